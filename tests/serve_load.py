#!/usr/bin/env python3
"""Load test for `faultline serve`: many concurrent clients for a while, checking that the
server never fails a request (5xx, a reset, a hang) and that its memory stays bounded.

usage: serve_load.py --port P --pid PID [--seconds 10] [--clients 200] [--max-rss-mib 512]
       serve_load.py --full ...   (30 s, as in the issue)

Each client loops over a mix: the scenario list, the page, a run's status and a chart,
now and then a POST of a run (202, or 429 when the queue is full: both fine) and an event
stream it drops after the first line (the server must free the stream). RSS comes from
/proc/PID/status, sampled twice a second."""
import argparse
import http.client
import json
import random
import sys
import threading
import time


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--max-rss-mib", type=float, default=512)
    ap.add_argument("--full", action="store_true", help="30 s (the issue's full load test)")
    a = ap.parse_args()
    if a.full:
        a.seconds = 30

    def req(method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
        try:
            data = json.dumps(body).encode() if body is not None else None
            c.request(method, path, body=data,
                      headers={"Content-Type": "application/json"} if data else {})
            r = c.getresponse()
            r.read()
            return r.status
        finally:
            c.close()

    def stream_and_drop(rid):
        c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
        try:
            c.request("GET", "/api/runs/%s/events" % rid)
            r = c.getresponse()
            r.fp.readline()
            return r.status
        finally:
            c.close()

    # one finished run to read from
    st = 0
    for _ in range(100):
        c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
        c.request("POST", "/api/runs", body=json.dumps({"scenario": "retry-storm"}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read()
        st = r.status
        c.close()
        if st == 202:
            rid = json.loads(body)["id"]
            break
        time.sleep(0.5)
    if st != 202:
        print("FAIL: could not start a run for the load test")
        return 1
    for _ in range(600):  # its charts exist once it is done
        c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=30)
        c.request("GET", "/api/runs/" + rid)
        state = json.loads(c.getresponse().read()).get("status")
        c.close()
        if state in ("done", "failed"):
            break
        time.sleep(0.2)
    if state != "done":
        print("FAIL: the load test's run did not finish (%s)" % state)
        return 1

    stop = time.time() + a.seconds
    counts = {"requests": 0, "429": 0}
    failures = []
    lock = threading.Lock()

    def client(k):
        rnd = random.Random(k)
        while time.time() < stop:
            x = rnd.random()
            try:
                if x < 0.02:
                    st = req("POST", "/api/runs", {"scenario": "retry-storm", "seed": rnd.randint(1, 99)})
                    ok = st in (202, 429)
                elif x < 0.04:
                    st = stream_and_drop(rid)
                    ok = st == 200
                else:
                    path = rnd.choice(["/api/scenarios", "/", "/api/runs/" + rid,
                                       "/api/runs/%s/charts/goodput.svg" % rid, "/nope"])
                    st = req("GET", path)
                    ok = st == (404 if path == "/nope" else 200)
            except Exception as e:  # a reset, a timeout: the server failed this client
                st, ok = repr(e), False
            with lock:
                counts["requests"] += 1
                counts["429"] += st == 429
                if not ok and len(failures) < 20:
                    failures.append(st)

    rss0 = rss_kib(a.pid)
    peak = rss0
    ths = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(a.clients)]
    t0 = time.time()
    for t in ths:
        t.start()
    while any(t.is_alive() for t in ths):
        try:
            peak = max(peak, rss_kib(a.pid))
        except OSError:
            failures.append("the server died")
            break
        time.sleep(0.5)
    for t in ths:
        t.join(60)
    took = time.time() - t0
    rss1 = rss_kib(a.pid)
    print("load: %d clients, %.1f s, %d requests (%.0f/s), %d answered 429; RSS %.1f -> %.1f MiB "
          "(peak %.1f)" % (a.clients, took, counts["requests"], counts["requests"] / took,
                           counts["429"], rss0 / 1024, rss1 / 1024, peak / 1024))
    fails = 0
    if failures:
        print("FAIL: %d failed requests, e.g. %s" % (len(failures), failures[:5]))
        fails += 1
    if peak / 1024 > a.max_rss_mib:
        print("FAIL: peak RSS %.1f MiB above %.0f MiB" % (peak / 1024, a.max_rss_mib))
        fails += 1
    if not fails:
        print("ok   load test: no failure, memory bounded")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
