#!/usr/bin/env bash
# Every bundled scenario (its baseline) once under valgrind memcheck, cut at 20,000 events
# (memcheck is ~50x slower; a cut run still loads, runs, reports and writes everything),
# which must report no error and no leak. The ASan+UBSan build runs every variant whole;
# here each run paid about 1.5 s of valgrind's start-up, and every variant (133) took
# 193 s of a CI run. Runs go two at a time (or one per core).
# usage: valgrind.sh FAULTLINE SCENARIO_DIR
set -uo pipefail
fl=$1; dir=$2
command -v valgrind >/dev/null || { echo "valgrind: not installed, skipped (apt-get install valgrind)"; exit 0; }
one() {
  set -- $1
  local log; log=$(mktemp)
  valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --quiet "$fl" run "$1" --variant "$2" --max-events 20000 --out "$log.d" \
    --quiet >/dev/null 2>"$log"
  local rc=$?
  rm -rf "$log.d"
  if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then   # 3: stopped at --max-events, as asked
    echo "ok   $1 [$2]"
  else
    echo "FAIL $1 [$2]"; sed 's/^/  /' "$log" | head -20
  fi
  rm -f "$log"
}
export -f one; export fl
jobs=()
for f in $(find "$dir" -name '*.json' | sort); do
  jobs+=("$f baseline")
done
out=$(printf '%s\n' "${jobs[@]}" | xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} bash -c 'one "$@"' _ {})
printf '%s\n' "$out"
pass=$(grep -c '^ok' <<<"$out" || true); fail=$(grep -c '^FAIL' <<<"$out" || true)
echo "valgrind: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
