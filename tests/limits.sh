#!/usr/bin/env bash
# Stopping cleanly: SIGINT and SIGTERM during a run, --max-events, --max-wall; each leaves
# complete files marked incomplete and no temporary file. And --out collisions.
# usage: limits.sh FAULTLINE SCENARIO
set -uo pipefail
fl=$1; sc=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

check_stopped() { # dir rc want_reason
  local d=$1 rc=$2 why=$3
  [ "$rc" = 3 ] || { bad "$d: exit $rc, want 3"; return; }
  grep -q '"complete":	false' "$d/summary.json" || { bad "$d: summary not marked incomplete"; return; }
  grep -q "\"stopped_because\":	\"$why" "$d/summary.json" || { bad "$d: reason is not '$why'"; return; }
  grep -q '"verdict":	"incomplete"' "$d/summary.json" || { bad "$d: verdict not incomplete"; return; }
  [ -z "$(find "$d" -name '*.tmp.*')" ] || { bad "$d: temporary files left"; return; }
  [ -s "$d/timeseries.csv" ] && [ -s "$d/events.jsonl" ] || { bad "$d: missing files"; return; }
  ok
}

for sig in INT TERM; do
  "$fl" run "$sc" --set duration=1000000s --quiet --out "$tmp/$sig" >/dev/null 2>&1 &
  pid=$!
  sleep 0.5
  kill -"$sig" "$pid"
  wait "$pid"; rc=$?
  check_stopped "$tmp/$sig" "$rc" "interrupted (SIG$sig)"
done

"$fl" run "$sc" --max-events 5000 --quiet --out "$tmp/ev" >/dev/null 2>&1; rc=$?
check_stopped "$tmp/ev" "$rc" "event limit"
"$fl" run "$sc" --set duration=1000000s --max-wall 1 --quiet --out "$tmp/wall" >/dev/null 2>&1; rc=$?
check_stopped "$tmp/wall" "$rc" "wall-clock limit"

# A directory with someone else's files is refused, untouched; --force writes.
mkdir -p "$tmp/theirs"; echo keep > "$tmp/theirs/notes.txt"
"$fl" run "$sc" --set duration=60s --quiet --out "$tmp/theirs" >/dev/null 2>&1; rc=$?
if [ "$rc" = 2 ] && [ ! -e "$tmp/theirs/summary.json" ]; then ok; else bad "foreign --out: exit $rc"; fi
"$fl" run "$sc" --set duration=60s --quiet --out "$tmp/theirs" --force >/dev/null 2>&1; rc=$?
if [ "$rc" = 0 ] && [ -e "$tmp/theirs/summary.json" ] && [ -e "$tmp/theirs/notes.txt" ]; then ok; else bad "--force: exit $rc"; fi
# A previous run's directory is simply replaced.
"$fl" run "$sc" --set duration=60s --quiet --out "$tmp/theirs" >/dev/null 2>&1; rc=$?
[ "$rc" = 0 ] && ok || bad "rerun into a run directory: exit $rc"

echo "limits: $pass passed, $fail failed"
[ "$fail" = 0 ]
