#!/usr/bin/env bash
# faultline serve over HTTP: every endpoint and error status, the event stream, a full
# queue, concurrent clients, a short load test, and a clean stop on SIGTERM. Then hostile
# inputs: requests from other web pages (Host, Origin, Content-Type), a non-loopback bind,
# a restart into the same output folder, a connection cap, and running out of files.
#
#   tests/serve.sh FAULTLINE SCENARIOS_DIR [LOAD_SECONDS [LOAD_CLIENTS]]
#
# LOAD_SECONDS (default $FL_SERVE_LOAD_SECONDS, else 10) and LOAD_CLIENTS (default 200) size tests/serve_load.py;
# 0 seconds skips it.
set -euo pipefail
fl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") scen=$(cd "$2" && pwd)
load_s=${3:-${FL_SERVE_LOAD_SECONDS:-10}} load_c=${4:-200}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# start LOG ARGS...: starts `faultline serve --port 0 ARGS` (with at most $NOFILE open
# files when set, $INHERIT extra descriptors inherited open when set; scenarios from $SCEN
# when set), sets pid and port once it prints where it listens.
start() {
  local log=$1
  shift
  : >"$log" # exists before the server opens it: the loop below may read it first
  (if [ -n "${NOFILE:-}" ]; then ulimit -n "$NOFILE"; fi
   for ((fd = 20; fd < 20 + ${INHERIT:-0}; fd++)); do eval "exec $fd</dev/null"; done
   exec "$fl" serve --port 0 --scenarios "${SCEN:-$scen}" "$@" >"$log" 2>&1) &
  pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's#.*listening on http://[0-9.]*:\([0-9]*\)/.*#\1#p' "$log" || true)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "FAIL: the server exited"; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$log"; echo "FAIL: no port printed"; exit 1; }
  echo "server pid $pid on port $port"
}
stop() { # SIGTERM; fails unless it exits 0
  local rc=0
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  pid=
  if [ "$rc" != 0 ]; then echo "FAIL: exit $rc after SIGTERM"; exit 1; fi
}

# One worker and a queue of 8: a burst of slow runs fills it (429). Pacing 100 simulated
# seconds per second: the 300 s retry storm streams in about 3 s.
start "$tmp/log" --out "$tmp/out" --workers 1 --queue 8 --realtime 100

# What the command line says for a bad variant, run from the scenarios folder: the API must
# say the same, naming the file relative to that folder (never where the server keeps it).
cli_msg=$(cd "$scen" && "$fl" run retry-storm.json --variant retry-budgt --no-files 2>&1 >/dev/null || true)

FL_PORT=$port FL_CLI_MSG=$cli_msg FL_OUT="$tmp/out" python3 - <<'PY'
import http.client, json, os, re, threading, time, urllib.request

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
# A node's tunables come from its kind's descriptor: a cache's ttl is a duration.
cp = {p["path"]: p for p in sc.get("cache-stampede", {}).get("parameters", [])}
check(cp.get("nodes.cache.ttl", {}).get("kind") == "duration"
      and cp.get("nodes.cache.workers", {}).get("kind") == "integer",
      "a node's tunables follow its kind's descriptor (cache ttl, workers)")
# ... and never leave the bounds it declares: a redelivery-storm worker receives at most 10
# messages at once, a restart's slowdown factor is at least 1.
rp = {p["path"]: p for p in sc.get("redelivery-storm", {}).get("parameters", [])}
check(rp.get("nodes.workers.max_messages", {}).get("max") == 10,
      "a slider stops at the kind's declared maximum: %s" % rp.get("nodes.workers.max_messages"))
op = {p["path"]: p for p in sc.get("oom-cascade", {}).get("parameters", [])}
check(op.get("nodes.s1.restart.factor", {}).get("min") == 1,
      "a slider starts at the kind's declared minimum: %s" % op.get("nodes.s1.restart.factor"))
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
for name in ("latency", "goodput", "nodes", "lesson"):
    st, h, t = req("GET", "/api/runs/r1/charts/%s.svg" % name)
    check(st == 200 and h.get("Content-Type", "").startswith("image/svg+xml")
          and t.count(b"<path") >= 1, "charts/%s.svg" % name)
check(os.path.isfile(os.path.join(os.environ["FL_OUT"], "r1", "summary.json")), "files under --out/r1")
check([u.rsplit("/", 1)[1] for u in j.get("files", {}).get("charts", [])][:1] == ["lesson.svg"],
      "the run's chart list starts with its lesson chart")
# the finished lesson charts, from the catalogue: a title with the run's figures, the spans
lc = (j.get("lessons") or {}).get("charts", [])
check([x.get("name") for x in lc] == ["lesson-clients-tries"] and "->" in lc[0].get("title", "")
      and any(x.get("trigger") is False and x.get("t1", 0) > x.get("t0", 1) for x in lc[0].get("shades", []))
      and isinstance(lc[0].get("marks"), list), "GET run: its lesson charts with title, spans, marks")

def stream(path):
    """Reads an SSE stream to its "done": (data lines, [(event, payload)] of the others)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", path)
    r = c.getresponse()
    data, other, etype, payload = [], [], "message", None
    for line in r:
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            etype = line[7:]
        elif line.startswith("data: "):
            payload = line[6:]
        elif line == "":
            if etype == "message" and payload is not None:
                data.append(json.loads(payload))
            elif payload is not None:
                other.append((etype, json.loads(payload), len(data)))
            if etype == "done":
                break
            etype, payload = "message", None
    c.close()
    return data, other

# live lesson charts: what the catalogue declares, before window 0, in columns the windows carry
for scen, variant, name, style in (("split-brain-redis-sentinel", "baseline", "lesson-redis-roles", "role"),
                                   ("cache-stampede", "lease", "lesson-cache-backend", "steps"),
                                   ("lock-gc-pause", "redlock", "lesson-lock-holders", "role"),
                                   ("retry-storm", "closed-loop-clients", "lesson-clients-tries", "steps")):
    st, h, t = req("POST", "/api/runs", {"scenario": scen, "variant": variant})
    data, other = stream("/api/runs/%s/events" % js(t).get("id"))
    les = [(p, at) for e, p, at in other if e == "lessons"]
    ch = les[0][0].get("charts", []) if les else []
    cols = [x["col"] for c in ch for x in c.get("series", [])]
    check(len(les) == 1 and les[0][1] == 0 and ch and ch[0].get("name") == name
          and ch[0]["series"][0].get("style") == style and cols and data
          and all(col in data[0].get("v", {}) for col in cols),
          "%s/%s: 'lessons' first, %s (%d columns, all in the windows)" % (scen, variant, name, len(cols)))

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
# The lesson chart overlaid per variant: one line colour per variant (retry-storm's tries).
st, h, t = req("GET", "/api/compares/c1/charts/lesson.svg")
cols = set(re.findall(rb'<path fill="none" stroke="(#[0-9a-f]+)"', t))
check(st == 200 and b"clients-tries per variant" in t and len(cols) == 2,
      "compare charts/lesson.svg: %d line colours for 2 variants" % len(cols))
st, h, t = req("GET", "/api/compares/c1/events")
check(st == 200 and t.rstrip().endswith(b'event: done\ndata: {"status":"done"}'), "compare events end with done")
check(b'"runs_done":4,"runs":4}' in t, "an ended comparison's stream still says its runs: 4 of 4")
# progress while it runs: status events, runs done never going back, the last one all of them
st, h, t = req("POST", "/api/compares", {"scenario": "retry-storm", "seeds": 3})
data, other = stream("/api/compares/%s/events" % js(t).get("id"))
done = [p.get("runs_done") for e, p, _ in other if e == "status" and "runs_done" in p]
runs = {p.get("runs") for e, p, _ in other if e == "status" and "runs" in p}
check(done and done == sorted(done) and runs == {24} and done[-1] == 24 and other[-1][0] == "done",
      "compare progress: status events with runs done %s of 24, then done" % done)

# errors
def err(method, path, body=None, raw=None, headers=None):
    st, h, t = req(method, path, body, headers, raw)
    return st, js(t).get("error", ""), h
st, m, _ = err("POST", "/api/runs", {"scenario": "nope"})
check(st == 404 and "nope" in m, "unknown scenario: 404")
st, m, _ = err("POST", "/api/runs", {"scenario": "retry-storm", "variant": "retry-budgt"})
check(st == 400 and m == os.environ["FL_CLI_MSG"], "bad variant: 400 with the CLI's message: " + m)
check(m.startswith("retry-storm.json:"), "the message names the file relative to the scenarios folder")
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
st, m, h = err("POST", "/api/runs", raw=b"x" * (70 * 1024))
check(st == 413 and h.get("Content-Type", "").startswith("application/json") and "64 KiB" in m,
      "a 70 KiB body: 413 in JSON: " + m)
for big in (2**53 + 1, 2**53, 2**64):
    st, m, _ = err("POST", "/api/runs", raw=b'{"scenario": "retry-storm", "seed": %d}' % big)
    check(st == 400 and m.startswith("seed:") and "9007199254740991" in m,
          "seed %d (not exact in JSON): 400 %s" % (big, m))

# requests another web page could make (the server is on loopback; a page is not)
me = "127.0.0.1:%d" % port
body = {"scenario": "no-such-scenario"}  # passes every check: 404, and no run is made
for origin, ctype, want, what in (
        ("http://evil.example", "text/plain", 403, "a cross-origin text/plain POST (no preflight)"),
        ("http://evil.example", "application/json", 403, "a cross-origin JSON POST"),
        ("null", "application/json", 403, "Origin: null (a sandboxed page, a file)"),
        ("http://127.0.0.1:%d" % (port + 1), "application/json", 403, "another port's page"),
        ("https://" + me, "application/json", 403, "another scheme"),
        ("http://" + me, "text/plain", 415, "the dashboard's own origin, text/plain"),
        ("http://" + me, "application/x-www-form-urlencoded", 415, "a form's encoding"),
        ("http://" + me, None, 415, "no Content-Type"),
        ("http://" + me, "application/json; charset=utf-8", 404, "own origin, JSON: admitted"),
        ("http://localhost:%d" % port, "application/json", 404, "localhost: admitted"),
        (None, "Application/JSON", 404, "no Origin (a program), JSON: admitted")):
    h = {"Content-Type": ctype} if ctype else {}
    if origin:
        h["Origin"] = origin
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.putrequest("POST", "/api/runs", skip_accept_encoding=True)
    for k, v in h.items():
        c.putheader(k, v)
    data = json.dumps(body).encode()
    c.putheader("Content-Length", str(len(data)))
    c.endheaders(data)
    r = c.getresponse()
    t = r.read()
    c.close()
    m = js(t).get("error", "")
    check(r.status == want and r.getheader("Content-Type", "").startswith("application/json") and m,
          "%s: %d (want %d) %s" % (what, r.status, want, m[:90]))
for host, want in (("evil.example", 421), ("evil.example:%d" % port, 421), ("127.0.0.1", 421),
                   ("127.0.0.1:%d" % (port + 1), 421), ("localhost.evil.example:%d" % port, 421),
                   ("localhost:%d" % port, 200), ("LOCALHOST:%d" % port, 200),
                   ("[::1]:%d" % port, 200), (me, 200)):
    st, m, h = err("GET", "/api/scenarios", headers={"Host": host})
    check(st == want and (want == 200 or (m and "DNS rebinding" in m)),
          "GET with Host: %s: %d (want %d)" % (host, st, want))
st, m, _ = err("GET", "/api/runs/r1", headers={"Origin": "http://evil.example"})
check(st == 403, "a cross-origin GET (another page reading results): 403")
st, m, _ = err("OPTIONS", "/api/runs", headers={"Origin": "http://" + me,
                                                 "Access-Control-Request-Method": "POST"})
check(st == 405 and m, "a preflight (OPTIONS): 405 in JSON, so no cross-origin JSON POST")
st, m, _ = err("POST", "/api/runs", raw=b"{}", headers={"Host": "a", "host": "b"})
check(st == 400 and "Host" in m, "two Host headers: 400")

# what libevent itself refuses is answered in JSON too
import socket
for raw, want in ((b"GARBAGE\r\n\r\n", 400),
                  (b"GET / HTTP/1.1\r\nHost: %s\r\nX: %s\r\n\r\n" % (me.encode(), b"a" * 20000), 400),
                  (b"POST /api/runs HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                   b"Content-Length: 99999999\r\n\r\n" % me.encode(), 413),
                  (b"BREW /api/runs HTTP/1.1\r\nHost: %s\r\n\r\n" % me.encode(), 405)):
    sk = socket.create_connection(("127.0.0.1", port), timeout=10)
    sk.sendall(raw)
    got = b""
    try:
        while b"}" not in got:
            d = sk.recv(4096)
            if not d:
                break
            got += d
    except OSError:
        pass
    sk.close()
    head, _, tail = got.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 %d" % want) and b"Content-Type: application/json" in head
          and "error" in js(tail), "%r...: %d in JSON: %r" % (raw[:20], want, got[:60]))
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
stop
tail -1 "$tmp/log"
echo "ok   SIGTERM: exit 0"
python3 - "$port" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.close()
print("ok   the port is free")
PY

# A restart into the same output folder: new ids go on after the old ones, which stay as
# they were.
old=$(cat "$tmp/out/r1/summary.json")
start "$tmp/log2" --out "$tmp/out" --workers 1
FL_PORT=$port FL_OUT="$tmp/out" FL_OLD=$old python3 - <<'PY'
import http.client, json, os, time
port, out = int(os.environ["FL_PORT"]), os.environ["FL_OUT"]
before = sorted(d for d in os.listdir(out) if d[0] == "r")
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
c.request("POST", "/api/runs", body=json.dumps({"scenario": "retry-storm", "seed": 11}),
          headers={"Content-Type": "application/json"})
rid = json.loads(c.getresponse().read()).get("id", "")
highest = max(int(d[1:]) for d in before)
for _ in range(600):
    c.request("GET", "/api/runs/" + rid)
    if json.loads(c.getresponse().read()).get("status") in ("done", "failed"):
        break
    time.sleep(0.1)
fails = 0
ok = rid not in before and int(rid[1:]) == highest + 1
print(("ok   " if ok else "FAIL ") + "after a restart the first run is %s (the folder had r1..r%d)" % (rid, highest))
fails += not ok
ok = open(os.path.join(out, "r1", "summary.json")).read().rstrip("\n") == os.environ["FL_OLD"]
print(("ok   " if ok else "FAIL ") + "the earlier start's r1 is untouched")
fails += not ok
raise SystemExit(1 if fails else 0)
PY
stop

# A bind other machines can reach needs --allow-remote: exit 2 with what to do, before
# listening. Another loopback address is fine, and a Host naming it is admitted.
rc=0
"$fl" serve --bind 0.0.0.0 --port 0 --scenarios "$scen" --out "$tmp/out3" >"$tmp/log3" 2>&1 || rc=$?
if [ "$rc" != 2 ] || ! grep -q -- "--allow-remote" "$tmp/log3" || grep -q listening "$tmp/log3"; then
  cat "$tmp/log3"; echo "FAIL: --bind 0.0.0.0 without --allow-remote: exit $rc"; exit 1
fi
echo "ok   --bind 0.0.0.0 without --allow-remote: exit 2: $(head -c 120 "$tmp/log3")..."
start "$tmp/log3" --bind 127.0.0.2 --out "$tmp/out3"
st=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: 127.0.0.2:$port" "http://127.0.0.2:$port/api/scenarios")
[ "$st" = 200 ] || { echo "FAIL: Host: 127.0.0.2 (the bound address): $st"; exit 1; }
echo "ok   --bind 127.0.0.2 (loopback): no --allow-remote needed; Host 127.0.0.2:$port admitted"
stop

# A run that fails on a file (its scenario was removed after the server read it): the error
# names the file relative to the scenarios folder, and no folder of the server's.
mkdir "$tmp/scen7"
cp "$scen/retry-storm.json" "$tmp/scen7/"
SCEN=$tmp/scen7 start "$tmp/log7" --out "$tmp/out7"
rm "$tmp/scen7/retry-storm.json"
FL_PORT=$port FL_TMP=$tmp python3 - <<'PY'
import http.client, json, os, time
c = http.client.HTTPConnection("127.0.0.1", int(os.environ["FL_PORT"]), timeout=60)
c.request("POST", "/api/runs", body='{"scenario": "retry-storm"}',
          headers={"Content-Type": "application/json"})
rid = json.loads(c.getresponse().read())["id"]
for _ in range(600):
    c.request("GET", "/api/runs/" + rid)
    j = json.loads(c.getresponse().read())
    if j.get("status") in ("done", "failed"):
        break
    time.sleep(0.1)
m = j.get("error", "")
ok = j.get("status") == "failed" and "retry-storm.json" in m and os.environ["FL_TMP"] not in m
print(("ok   " if ok else "FAIL ") + "a failed run's error names no server folder: " + m)
raise SystemExit(0 if ok else 1)
PY
stop

# conns PORT PID N HOLD: opens N idle connections for HOLD seconds while checking that a
# fresh request waits (WAITS=1) or is answered (WAITS=0); then closes them and checks that
# a fresh request is answered, that the server used little CPU meanwhile, and a few
# dozen new connections one after the other.
conns() {
  WAITS=$5 python3 - "$@" <<'PY'
import http.client, os, socket, sys, threading, time
port, pid, n, hold = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
waits = os.environ["WAITS"] == "1"
fails = 0
def check(ok, what):
    global fails
    print(("ok   " if ok else "FAIL ") + what)
    fails += not ok
def cpu():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def get(res):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        c.request("GET", "/api/scenarios")
        r = c.getresponse()
        r.read()
        res.append(r.status)
    except OSError as e:
        res.append(str(e))
socks = []
for _ in range(n):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    socks.append(s)
time.sleep(0.3)
c0, t0 = cpu(), time.time()
res = []
th = threading.Thread(target=get, args=(res,))
th.start()
th.join(hold)
busy = (cpu() - c0) / (time.time() - t0)
if waits:
    check(not res, "with %d idle connections open a new one waits: %s" % (n, res or "waiting"))
else:
    check(res == [200], "with %d idle connections open a new one is answered: %s" % (n, res))
check(busy < 0.3, "the server is idle meanwhile: %.0f%% CPU" % (100 * busy))
for s in socks:
    s.close()
t1 = time.time()
th.join(10)
check(res == [200] and time.time() - t1 < 5,
      "once they close, it is answered: %s after %.2f s" % (res, time.time() - t1))
res = []
for _ in range(40):
    get(res)
check(res == [200] * 40, "then 40 connections one after another: all 200")
raise SystemExit(1 if fails else 0)
PY
}

# A cap of 4 connections: the 5th waits in the kernel's queue, without spinning.
start "$tmp/log4" --out "$tmp/out4" --max-connections 4
conns "$port" "$pid" 4 1.5 1
stop

# Out of file descriptors (a limit of 64 files, a cap above it): accept() fails; the
# server pauses new connections instead of spinning, logs it once, and recovers.
NOFILE=64 start "$tmp/log5" --out "$tmp/out5" --max-connections 1000
conns "$port" "$pid" 150 3 1
grep -q "Too many open files" "$tmp/log5" || { cat "$tmp/log5"; echo "FAIL: no EMFILE"; exit 1; }
stop
size=$(wc -c <"$tmp/log5")
[ "$size" -lt 2000 ] || { head -c 2000 "$tmp/log5"; echo "FAIL: the log grew to $size bytes"; exit 1; }
echo "ok   out of files: $(grep -c "Too many open files" "$tmp/log5") line(s) in the log, $size bytes in all"
# The same limit with the default cap: it stays under the limit, so accept() never fails,
# even when the server inherits open descriptors (a shell's, a test harness's): they count.
NOFILE=64 INHERIT=20 start "$tmp/log6" --out "$tmp/out6"
conns "$port" "$pid" 150 1.5 1
stop
if grep -q "Too many open files" "$tmp/log6"; then cat "$tmp/log6"; echo "FAIL: EMFILE under the default cap"; exit 1; fi
echo "ok   the default cap keeps 32 files free under a limit of 64"
echo "serve.sh: all passed"
