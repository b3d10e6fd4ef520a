#!/usr/bin/env bash
# explore: random fault schedules find the violations a design allows and none where it
# holds; each is shrunk to a scenario whose `run --check` fails with it; -j 1 and -j 2 give
# byte-identical outputs; the frontier brackets the tipping point; limits stop it (exit 3).
# Run counts are small for CI; the 300-run checks of the README are the same commands.
# usage: explore.sh FAULTLINE SCENARIO_DIR
set -uo pipefail
fl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); dir=$(cd "$2" && pwd)
sentinel=$dir/split-brain-redis-sentinel.json; lock=$dir/lock-gc-pause.json
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# A design that holds: the majority quorum loses no acknowledged write, has no split brain.
mkdir -p "$tmp/q" && cd "$tmp/q" || exit 1
"$fl" explore "$sentinel" --variant quorum --runs 40 -j 2 --safety-only >out.txt 2>err.txt; rc=$?
if [ "$rc" = 0 ] && grep -q '^no violation in 40 runs$' out.txt && [ ! -e found ]; then ok; else
  bad "quorum: exit $rc, expected no violation"; cat out.txt err.txt; fi

# Sentinel-style failover: lost acknowledged writes, shrunk to at most 2 faults, written as
# a scenario whose --check fails with exactly that figure.
for j in 1 2; do
  mkdir -p "$tmp/b$j" && cd "$tmp/b$j" || exit 1
  "$fl" explore "$sentinel" --runs 40 -j $j --safety-only >out.txt 2>err.txt; echo $? >rc
done
cd "$tmp/b1" || exit 1
[ "$(cat rc)" = 1 ] && ok || bad "baseline: exit $(cat rc), expected 1 (a violation found)"
f=$(grep -l '"nodes.redis.lost_writes.count"' found/*.json 2>/dev/null | head -1)
if [ -n "$f" ]; then ok; else bad "baseline: no found scenario for lost acknowledged writes"; cat out.txt; fi
if [ -n "$f" ]; then
  n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['faults']))" "$f")
  [ "$n" -ge 1 ] && [ "$n" -le 2 ] && ok || bad "$f: $n faults after shrinking, expected 1 or 2"
  "$fl" run "$f" --check --no-files >run.txt 2>&1; rc=$?
  if [ "$rc" = 1 ] && grep -q 'FAIL  nodes.redis.lost_writes.count == 0' run.txt; then ok; else
    bad "run --check $f: exit $rc, expected 1 with lost_writes.count"; cat run.txt; fi
  "$fl" validate "$f" >/dev/null 2>&1 && ok || bad "$f does not validate"
  # Shrinking lowers the load too: fewer writes still lose some, so the found scenario's
  # clients run at a tenth of the 4/s they were written with, and its story says so.
  r=$(python3 -c "import json,sys; print(sorted({w.get('rate') for w in json.load(open(sys.argv[1]))['workloads']}))" "$f")
  [ "$r" = "['0.4/s']" ] && grep -q "rate lowered to 0.4/s (from 4/s)" "$f" && ok ||
    bad "$f: workload rates $r, expected lowered to ['0.4/s'] with the story saying so"
  grep -Eq '"story":[[:space:]]*"faultline explore drew 40 random fault schedules' "$f" && ok ||
    bad "$f has no generated story"
fi
# Deterministic: the same command, -j 1 or -j 2, the same bytes everywhere.
for x in out.txt rc out/split-brain-redis-sentinel/explore/explore.json $(cd "$tmp/b1" && ls found/*.json); do
  cmp -s "$tmp/b1/$x" "$tmp/b2/$x" && ok || bad "-j 1 and -j 2 differ in $x"
done

# A lock without fencing: one process pause is enough for two writers in the critical
# section (Kleppmann's GC pause).
mkdir -p "$tmp/l" && cd "$tmp/l" || exit 1
"$fl" explore "$lock" --runs 60 --faults pause --safety-only --max-found 1 >out.txt 2>&1; rc=$?
f=found/lock-gc-pause-1.json
if [ "$rc" = 1 ] && [ -f "$f" ] && grep -q '"nodes.storage.mutual_exclusion_violations.count"' "$f" &&
   [ "$(python3 -c "import json,sys; f=json.load(open(sys.argv[1]))['faults']; print(len(f), 'pause' in f[0])" "$f")" = "1 True" ]; then
  ok; else bad "lock baseline: expected a mutual-exclusion violation with a single pause (exit $rc)"; cat out.txt; fi

# Fencing alone: a pause can still leave a new holder whose token the storage has not seen,
# so the older holder's write is accepted inside the overlap (runs 59 and 69 of these 100).
# Fencing on acquire (the new holder's token reaches the storage before it relies on the
# lock): no violation over every fault type.
mkdir -p "$tmp/lf" && cd "$tmp/lf" || exit 1
"$fl" explore "$lock" --variant fencing --runs 100 --faults pause --safety-only --max-found 1 \
  -j 2 >out.txt 2>&1; rc=$?
f=found/lock-gc-pause-1.json
if [ "$rc" = 1 ] && [ -f "$f" ] && grep -q '"nodes.storage.mutual_exclusion_violations.count"' "$f"; then
  ok; else bad "lock fencing: expected a mutual-exclusion violation under pauses (exit $rc)"; cat out.txt; fi
"$fl" explore "$lock" --variant fencing-on-acquire --runs 200 --safety-only -j 2 --no-files \
  >out2.txt 2>&1; rc=$?
if [ "$rc" = 0 ] && grep -q '^no violation in 200 runs$' out2.txt; then ok; else
  bad "lock fencing-on-acquire: exit $rc, expected no violation"; cat out2.txt; fi

# The space from flags and from the file are checked alike; bad flags are exit 2.
"$fl" explore "$sentinel" --window 50s..10s --no-files >/dev/null 2>err.txt; rc=$?
[ "$rc" = 2 ] && grep -q -- '--window: expected LOW <= HIGH' err.txt && ok || bad "--window reversed: exit $rc: $(cat err.txt)"
"$fl" explore "$sentinel" --faults hang --no-files >/dev/null 2>err.txt; rc=$?
[ "$rc" = 2 ] && grep -q -- '--faults: no node or zone pair of this scenario takes "hang"' err.txt && ok ||
  bad "--faults hang: exit $rc: $(cat err.txt)"
"$fl" explore "$sentinel" --targets redis/7 --no-files >/dev/null 2>err.txt; rc=$?
[ "$rc" = 2 ] && ok || bad "--targets redis/7: exit $rc"

# A limit stops it: exit 3, marked incomplete.
mkdir -p "$tmp/lim" && cd "$tmp/lim" || exit 1
"$fl" explore "$sentinel" --runs 20 --max-events 100 >out.txt 2>&1; rc=$?
[ "$rc" = 3 ] && grep -q '"complete":	false' out/split-brain-redis-sentinel/explore/explore.json && ok ||
  bad "--max-events: exit $rc, expected 3 and an incomplete explore.json"

# The frontier: brackets where retry-storm stops recovering; -j 1 and -j 2 agree.
for j in 1 2; do
  "$fl" explore "$dir/retry-storm.json" --frontier workloads.clients.rate=300/s..700/s \
    --trigger faults.0.slow.factor=1.5..4 --triggers 2 --steps 2 --seeds 3 -j $j \
    --out "$tmp/fr$j" 2>/dev/null | grep -v '^outputs: ' >"$tmp/fr$j.txt" || bad "frontier -j $j failed"
done
cmp -s "$tmp/fr1/frontier.csv" "$tmp/fr2/frontier.csv" && cmp -s "$tmp/fr1/frontier.json" "$tmp/fr2/frontier.json" &&
  cmp -s "$tmp/fr1.txt" "$tmp/fr2.txt" && ok || bad "frontier: -j 1 and -j 2 differ"
# factor 1.5: stable at 300/s, not at 700/s (capacity 800/s / 1.5 = 533/s); factor 4: 200/s
# of capacity is below the whole range.
if awk -F, 'NR == 2 && $1 == 1.5 && $2 >= 300 && $3 <= 700 && $2 < $3 { a = 1 }
            NR == 3 && $1 == 4 && $9 == "below range" { b = 1 } END { exit !(a && b) }' "$tmp/fr1/frontier.csv"; then
  ok; else bad "frontier.csv does not bracket the boundary"; cat "$tmp/fr1/frontier.csv"; fi
"$fl" explore "$dir/retry-storm.json" --frontier workloads.clients.rate=300/s..7ms --trigger x=1..2 \
  --no-files >/dev/null 2>err.txt; rc=$?
[ "$rc" = 2 ] && grep -q 'must have the same unit' err.txt && ok || bad "frontier units: exit $rc"

echo "explore: $pass passed, $fail failed"
[ "$fail" = 0 ]
