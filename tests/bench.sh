#!/usr/bin/env bash
# faultline bench: the quick run prints every figure (positive rates, the short-run row from
# the given scenario, the M/M/1 mean near theory); --hold N measures one hold model; bad
# arguments are usage errors with a message; later short runs reuse the tables earlier runs
# grew (tests/perf/short-overload.json).
# usage: bench.sh FAULTLINE SCENARIO_FILE
set -euo pipefail
fl=$1; short=$2
fail=0
err() { echo "FAIL: $*"; fail=1; }
json=$("$fl" bench --quick --json --short "$short")
python3 - "$json" <<'PY' || fail=1
import json, sys
d = json.loads(sys.argv[1])
for k in ("hold_1e3_events_per_s", "hold_1e6_events_per_s", "mm1_customers_per_s",
          "short_runs_per_s", "short_ms_per_run"):
    if not (isinstance(d.get(k), (int, float)) and d[k] > 0):
        print(f"FAIL: bench --json: {k} = {d.get(k)!r}, expected a positive number"); sys.exit(1)
# 10^5 customers at rho = 0.9: the mean time in system is 10 ms within a few percent
if not 8 < d["mm1_mean_sojourn_ms"] < 12:
    print(f"FAIL: bench: M/M/1 mean {d['mm1_mean_sojourn_ms']} ms, theory 10 ms"); sys.exit(1)
# the hot path allocates nothing per customer: the run's allocations are its set-up and
# summary (about 450), far below one per customer (10^5 here)
if not (isinstance(d.get("mm1_allocations"), int) and 0 < d["mm1_allocations"] < 2000):
    print(f"FAIL: bench: M/M/1 made {d.get('mm1_allocations')!r} allocations for 10^5 customers"); sys.exit(1)
# runs per second and milliseconds per run are the same measure
if abs(d["short_runs_per_s"] * d["short_ms_per_run"] / 1e3 - 1) > 0.01:
    print("FAIL: bench: short_runs_per_s and short_ms_per_run disagree"); sys.exit(1)
PY
# Short runs reuse the tables of earlier runs of the process (core/pool.h, spare tables).
# short-overload offers 50,000 requests/s to a server of 25,000/s for 1 s: about 25,000
# requests are live at the end, so the first run grows the request table (80-byte slots,
# doubling from 1,024) to 32,768 slots, 2.6 MB, having allocated 5.2 MB on the way, and the
# queue ring likewise. A later run takes them over and allocates none of that again: it
# must allocate at least 2 MB less than the first (it allocated the same without reuse).
# Bytes, not time: the allocation sequence of a run is deterministic.
over=$("$fl" bench --quick --json --short "$(dirname "$0")/perf/short-overload.json")
python3 - "$over" <<'PY' || fail=1
import json, sys
d = json.loads(sys.argv[1])
first, later = d["short_first_run_bytes"], d["short_bytes_per_run"]
if not first - later >= 2e6:
    print(f"FAIL: bench: short-overload runs after the first allocate {later:.0f} bytes each, "
          f"the first {first:.0f}: the grown tables were not reused (expected >= 2 MB less)")
    sys.exit(1)
PY
out=$("$fl" bench --hold 500 --quick --json)
grep -q '"hold_n": 500,' <<<"$out" || err "bench --hold 500: $out"
for bad in abc 0 -5 1e3; do
  if msg=$("$fl" bench --hold "$bad" 2>&1); then err "bench --hold $bad succeeded"; else
    [ $? = 2 ] || err "bench --hold $bad: exit status not 2"
    grep -q -- "--hold $bad: expected a count of events from 1 to 10^8" <<<"$msg" ||
      err "bench --hold $bad: message: $msg"
  fi
done
if msg=$("$fl" bench --quick --short /nonexistent/x.json 2>&1); then err "bench --short missing succeeded"; else
  grep -q "/nonexistent/x.json: cannot read the file" <<<"$msg" || err "bench --short missing: $msg"
fi
[ "$fail" = 0 ] && echo "bench: ok"
