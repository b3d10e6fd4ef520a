#!/usr/bin/env bash
# faultline serve over HTTP: every endpoint and error status, the event stream, a full
# queue, concurrent clients, a short load test, and a clean stop on SIGTERM.
#
#   tests/serve.sh FAULTLINE SCENARIOS_DIR [LOAD_SECONDS [LOAD_CLIENTS]]
#
# LOAD_SECONDS (default 10) and LOAD_CLIENTS (default 200) size tests/serve_load.py;
# 0 seconds skips it.
set -euo pipefail
fl=$1 scen=$2 load_s=${3:-10} load_c=${4:-200}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# One worker and a queue of 8: a burst of slow runs fills it (429). Pacing 100 simulated
# seconds per second: the 300 s retry storm streams in about 3 s.
: >"$tmp/log" # exists before the server opens it: the loop below may read it first
"$fl" serve --port 0 --scenarios "$scen" --out "$tmp/out" --workers 1 --queue 8 \
  --realtime 100 >"$tmp/log" 2>&1 &
pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$tmp/log" || true)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/log"; echo "FAIL: the server exited"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/log"; echo "FAIL: no port printed"; exit 1; }
echo "server pid $pid on port $port"

# What the command line says for a bad variant: the API must say the same.
cli_msg=$("$fl" run "$scen/retry-storm.json" --variant retry-budgt --no-files 2>&1 >/dev/null || true)

FL_PORT=$port FL_CLI_MSG=$cli_msg FL_OUT="$tmp/out" python3 - <<'PY'
import http.client, json, os, threading, time, urllib.request

port = int(os.environ["FL_PORT"])
fails = 0
def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails += 1

def req(method, path, body=None, headers=None, raw=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    text = r.read()
    c.close()
    return r.status, dict(r.getheaders()), text

def js(text):
    try:
        return json.loads(text)
    except ValueError:
        return {}

def wait_done(path, limit=60):
    t0 = time.time()
    while time.time() - t0 < limit:
        st, _, t = req("GET", path)
        j = js(t)
        if j.get("status") in ("done", "failed"):
            return j
        time.sleep(0.1)
    return {}

# the page
st, h, t = req("GET", "/")
page = t.decode()
check(st == 200 and h.get("Content-Type", "").startswith("text/html"), "GET / serves the page")
check("src=\"http" not in page and "href=\"http" not in page and "@import" not in page
      and "url(http" not in page, "the page has no external asset")
check(req("HEAD", "/")[0] == 200, "HEAD /")

# scenarios
st, h, t = req("GET", "/api/scenarios")
sc = {s["name"]: s for s in js(t).get("scenarios", [])}
rs = sc.get("retry-storm", {})
check(st == 200 and "retry-storm" in sc, "GET /api/scenarios lists retry-storm")
check([v["name"] for v in rs.get("variants", [])][:2] == ["baseline", "retry-budget"]
      and all(v.get("about") for v in rs["variants"]), "variants with their 'about'")
params = {p["path"]: p for p in rs.get("parameters", [])}
p = params.get("workloads.clients.rate", {})
check(p.get("unit") == "/s" and p.get("min", 0) > 0 and p.get("max", 0) > p.get("value", 1e9),
      "rate parameter with unit and bounds: %s" % p)
check(params.get("nodes.api.workers", {}).get("kind") == "integer", "workers parameter")
check("workloads.clients.client.retry_budget" in params, "a number a variant sets is tunable")
check(rs.get("story", "").startswith("An API") and rs.get("title"), "story and title")

# a run, end to end
st, h, t = req("POST", "/api/runs", {"scenario": "retry-storm", "variant": "retry-budget",
                                    "seed": 3, "set": {"nodes.api.workers": 9}})
rid = js(t).get("id")
check(st == 202 and rid == "r1" and h.get("Location") == "/api/runs/r1", "POST /api/runs -> r1")
j = wait_done("/api/runs/r1")
check(j.get("status") == "done" and j.get("progress") == 1, "run r1 done")
s = j.get("summary", {})
check(s.get("variant") == "retry-budget" and s.get("seed") == 3
      and s.get("overrides") == ["nodes.api.workers=9"], "summary: variant, seed, override")
check(j.get("windows") == 300, "300 windows reported")
st, h, t = req("GET", "/api/runs/r1/timeseries.csv")
check(st == 200 and t.startswith(b"t_s,") and t.count(b"\n") == 301, "timeseries.csv")
st, h, t = req("GET", "/api/runs/r1/report.html")
check(st == 200 and b"<html" in t[:200].lower() and b"<svg" in t, "report.html")
for name in ("latency", "goodput", "nodes"):
    st, h, t = req("GET", "/api/runs/r1/charts/%s.svg" % name)
    check(st == 200 and h.get("Content-Type", "").startswith("image/svg+xml")
          and t.count(b"<path") >= 1, "charts/%s.svg" % name)
check(os.path.isfile(os.path.join(os.environ["FL_OUT"], "r1", "summary.json")), "files under --out/r1")

# the event stream, paced at 100 simulated s per wall second
st, h, t = req("POST", "/api/runs", {"scenario": "retry-storm"})
r2 = js(t).get("id")
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
t0 = time.time()
c.request("GET", "/api/runs/%s/events" % r2)
r = c.getresponse()
check(r.status == 200 and r.getheader("Content-Type", "").startswith("text/event-stream"),
      "GET events: text/event-stream")
data, events, first_at = [], [], None
etype, payload = "message", None
for line in r:  # SSE blocks: "event: X" (optional) and "data: ..." lines, then a blank line
    line = line.decode().rstrip("\n")
    if line.startswith("event: "):
        etype = line[7:]
    elif line.startswith("data: "):
        payload = line[6:]
    elif line == "":
        if etype == "message" and payload is not None:
            data.append(json.loads(payload))
            first_at = first_at or time.time()
        elif payload is not None:
            events.append(etype)
        if etype == "done":
            break
        etype, payload = "message", None
took = time.time() - (first_at or t0)
c.close()
check(len(data) == 300 and [w["w"] for w in data] == list(range(300)), "300 data lines in order")
check("clients.goodput_per_s" in data[0].get("v", {}), "a window carries its metrics")
check(events[-1:] == ["done"], "then event: done")
check(2.5 <= took <= 10, "paced: 300 simulated s in %.1f s at --realtime 100" % took)

# a comparison
st, h, t = req("POST", "/api/compares", {"scenario": "retry-storm",
                                        "variants": ["baseline", "retry-budget"], "seeds": 2})
cid = js(t).get("id")
check(st == 202 and cid == "c1", "POST /api/compares -> c1")
j = wait_done("/api/compares/c1", 120)
cm = j.get("compare", {})
check(j.get("status") == "done" and cm.get("variants") == ["baseline", "retry-budget"], "compare c1 done")
verdicts = [m["by_variant"]["retry-budget"]["verdict"] for m in cm.get("metrics", [])]
check("better" in verdicts, "the verdict table says better: %s" % verdicts)
st, h, t = req("GET", "/api/compares/c1/report.html")
check(st == 200 and b"<svg" in t, "compare report.html")
st, h, t = req("GET", "/api/compares/c1/compare.csv")
check(st == 200 and len(t) > 50, "compare.csv")
for name in ("latency", "goodput"):
    st, h, t = req("GET", "/api/compares/c1/charts/%s.svg" % name)
    check(st == 200 and t.count(b"<path") >= 2, "compare charts/%s.svg" % name)
st, h, t = req("GET", "/api/compares/c1/events")
check(st == 200 and t.rstrip().endswith(b'event: done\ndata: {"status":"done"}'), "compare events end with done")

# errors
def err(method, path, body=None, raw=None, headers=None):
    st, h, t = req(method, path, body, headers, raw)
    return st, js(t).get("error", ""), h
st, m, _ = err("POST", "/api/runs", {"scenario": "nope"})
check(st == 404 and "nope" in m, "unknown scenario: 404")
st, m, _ = err("POST", "/api/runs", {"scenario": "retry-storm", "variant": "retry-budgt"})
check(st == 400 and m == os.environ["FL_CLI_MSG"], "bad variant: 400 with the CLI's message: " + m)
st, m, _ = err("POST", "/api/compares", {"scenario": "retry-storm", "variants": ["baseline", "retry-budgt"]})
check(st == 400 and m == os.environ["FL_CLI_MSG"], "bad variant in a comparison: 400, same message")
for bad in (-1, 1.5, "7"):
    st, m, _ = err("POST", "/api/runs", {"scenario": "retry-storm", "seed": bad})
    check(st == 400 and m.startswith("seed:"), "bad seed %r: 400 %s" % (bad, m))
st, m, _ = err("POST", "/api/runs", {"scenario": "retry-storm", "set": {"nodes.api.workers": 0}})
check(st == 400 and "from 1 to" in m, "parameter out of bounds: 400 " + m)
st, m, _ = err("POST", "/api/runs", {"scenario": "retry-storm", "set": {"nodes.api.wrokers": 8}})
check(st == 400 and "not a parameter" in m, "unknown parameter: 400")
st, m, _ = err("POST", "/api/runs", {"scenario": "retry-storm", "set": {"workloads.clients.rate": "fast"}})
check(st == 400, "malformed parameter: 400 " + m)
st, m, _ = err("POST", "/api/runs", raw=b"{not json")
check(st == 400, "malformed JSON: 400")
st, m, _ = err("POST", "/api/runs", {"scenario": "retry-storm", "extra": 1})
check(st == 400 and "extra" in m, "unknown key: 400")
st, m, _ = err("POST", "/api/compares", {"scenario": "retry-storm", "seeds": 1})
check(st == 400 and m.startswith("seeds:"), "one seed: 400")
st, _, _ = err("POST", "/api/runs", raw=b"x" * (70 * 1024))
check(st == 413, "a 70 KiB body: 413")
for path in ("/nope", "/api", "/api/runs/r999", "/api/runs/c1", "/api/runs/r01", "/api/runs/r1/x",
             "/api/runs/r1/charts/x.svg", "/api/runs/r1/charts/../summary.json",
             "/api/runs/../../etc/passwd", "/api/runs/r1/../../../etc/passwd",
             "/api/runs/r1/charts/latency.png", "/api/compares/c1/charts/nodes.svg",
             "/api/runs/r1/summary.json", "/%2e%2e/%2e%2e/etc/passwd", "/api/scenarios/retry-storm"):
    st, _, _ = err("GET", path)
    check(st == 404, "GET %s: 404" % path)
for method, path in (("DELETE", "/api/runs"), ("GET", "/api/runs"), ("POST", "/api/scenarios"),
                     ("POST", "/"), ("PUT", "/api/runs/r1"), ("POST", "/api/runs/r1/events"),
                     ("GET", "/api/compares")):
    st, _, h = err(method, path)
    check(st == 405 and h.get("Allow"), "%s %s: 405 (Allow: %s)" % (method, path, h.get("Allow")))

# a full queue: a burst of slow runs (4x the load) at one worker and 8 places
codes, retry = [], []
def post():
    st, h, t = req("POST", "/api/runs", {"scenario": "retry-storm",
                                        "set": {"workloads.clients.rate": 2240}})
    codes.append(st)
    if st == 429:
        retry.append(h.get("Retry-After"))
ths = [threading.Thread(target=post) for _ in range(30)]
[x.start() for x in ths]
[x.join() for x in ths]
check(codes.count(429) >= 1 and codes.count(202) >= 8 and set(codes) <= {202, 429},
      "30 slow runs at once: %d accepted, %d refused with 429" % (codes.count(202), codes.count(429)))
check(retry and all(r and r.isdigit() for r in retry), "429 carries Retry-After")

# concurrent clients while the queue drains
bad = []
def reader():
    for _ in range(20):
        for path in ("/api/scenarios", "/api/runs/r1", "/api/runs/r1/charts/goodput.svg", "/"):
            st, _, _ = req("GET", path)
            if st != 200:
                bad.append((path, st))
ths = [threading.Thread(target=reader) for _ in range(16)]
[x.start() for x in ths]
[x.join() for x in ths]
check(not bad, "16 concurrent clients x 80 requests: all 200 %s" % bad[:3])

print("serve.sh: %d failed" % fails)
raise SystemExit(1 if fails else 0)
PY

if [ "$load_s" != 0 ]; then
  python3 "$here/serve_load.py" --port "$port" --pid "$pid" --seconds "$load_s" --clients "$load_c"
fi

# SIGTERM while runs are queued: exit 0, the port is free again.
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
tail -1 "$tmp/log"
if [ "$rc" != 0 ]; then echo "FAIL: exit $rc after SIGTERM"; exit 1; fi
echo "ok   SIGTERM: exit 0"
python3 - "$port" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.close()
print("ok   the port is free")
PY
echo "serve.sh: all passed"
