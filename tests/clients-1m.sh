#!/usr/bin/env bash
# A million individual gateway clients (issue 16): tests/perf/clients-1m.json must pass its
# expectations (10^6 clients, every one dropped by the crash and reconnected, 9-10 million
# heartbeats) in at most 2 GiB of peak memory, measured by /usr/bin/time -v. Wall time is
# printed, not asserted: the machine is shared.
# usage: clients-1m.sh FAULTLINE SCENARIO_FILE
set -uo pipefail
fl=$1; sc=$2
[ -x /usr/bin/time ] || { echo "SKIP: no /usr/bin/time"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/time -v "$fl" run "$sc" --no-files --check >"$tmp/out" 2>"$tmp/time"; rc=$?
cat "$tmp/out"
if [ "$rc" != 0 ]; then echo "FAIL: run --check exited $rc"; cat "$tmp/time"; exit 1; fi
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time")
user=$(sed -n 's/.*User time (seconds): //p' "$tmp/time")
events=$(sed -n 's/.* simulated, \([0-9]*\) events.*/\1/p' "$tmp/out")
echo "clients-1m: wall $wall, user ${user} s, peak RSS $((rss / 1024)) MiB, $events events"
[ -n "$rss" ] || { echo "FAIL: no peak RSS from /usr/bin/time -v"; exit 1; }
if [ "$rss" -gt $((2 * 1024 * 1024)) ]; then echo "FAIL: peak RSS $rss KiB > 2 GiB"; exit 1; fi
grep -q "^verdict: PASS" "$tmp/out" || { echo "FAIL: no verdict line"; exit 1; }
echo "clients-1m: ok"
