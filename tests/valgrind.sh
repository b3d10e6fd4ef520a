#!/usr/bin/env bash
# Every bundled scenario and variant once under valgrind memcheck, cut at 300,000 events
# (memcheck is ~50x slower; a cut run still loads, runs, reports and writes everything),
# which must report no error and no leak.
# usage: valgrind.sh FAULTLINE SCENARIO_DIR
set -uo pipefail
fl=$1; dir=$2
command -v valgrind >/dev/null || { echo "valgrind: not installed, skipped (apt-get install valgrind)"; exit 0; }
pass=0; fail=0
for f in $(find "$dir" -name '*.json' | sort); do
  for v in $("$fl" validate --variants "$f"); do
    log=$(mktemp)
    valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
      --quiet "$fl" run "$f" --variant "$v" --max-events 300000 --out "$log.d" \
      --quiet >/dev/null 2>"$log"
    rc=$?
    rm -rf "$log.d"
    if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then   # 3: stopped at --max-events, as asked
      pass=$((pass + 1))
    else
      echo "FAIL $f [$v]"; sed 's/^/  /' "$log" | head -20; fail=$((fail + 1))
    fi
    rm -f "$log"
  done
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" = 0 ]
