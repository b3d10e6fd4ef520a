#!/usr/bin/env bash
# Scenario regression: every bundled scenario, every variant, several seeds, with --check;
# the run table must hold no nan or inf. Then event_hash means what it says
# (tests/event_hash.py, over seed 1's run folders; left to the release build under the
# sanitizers, FL_SANITIZED, as a question of meaning, not of memory).
# usage: scenarios.sh FAULTLINE SCENARIO_DIR [SEEDS]
set -euo pipefail
fl=$1; dir=$2; seeds=${FL_SCENARIO_SEEDS:-${3:-5}} # tools/test runs fewer under sanitizers
files=$(find "$dir" -name '*.json' | sort)
[ -n "$files" ] || { echo "no scenarios under $dir"; exit 1; }
jobs=()
log=$(mktemp); runs=$(mktemp -d); trap 'rm -rf "$log" "$runs"' EXIT
for f in $files; do
  # Every scenario tells its story.
  # (captured first: grep -q stops reading early, and a SIGPIPE would fail the pipeline)
  text=$("$fl" explain "$f") && grep -q '^fault timeline' <<<"$text" || { echo "FAIL: explain $f"; exit 1; }
  variants=$("$fl" validate --variants "$f")
  for v in $variants; do
    for s in $(seq 1 "$seeds"); do
      jobs+=("$f $v $s")
    done
  done
done
run_one() {
  set -- $1
  local files=(--no-files)
  if [ "$3" = 1 ] && [ -z "${FL_SANITIZED:-}" ]; then
    files=(--out "$runs/$(basename "$1" .json)--$2")
  fi
  if out=$("$fl" run "$1" --variant "$2" --seed "$3" --check "${files[@]}" 2>&1); then
    # The run table prints words (n/a, a verdict) for what a run lacks, never nan or inf.
    if grep -qiwE -- '-?(nan|inf)' <<<"$out"; then
      echo "FAIL $1 [$2] seed $3: the run table prints nan or inf"
      grep -iwE -- '-?(nan|inf)' <<<"$out" | sed 's/^/     /'; return 1
    fi
    echo "ok   $1 [$2] seed $3"
  else
    echo "FAIL $1 [$2] seed $3"; echo "$out" | sed 's/^/     /'; return 1
  fi
}
export -f run_one; export fl runs FL_SANITIZED
printf '%s\n' "${jobs[@]}" | xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} bash -c 'run_one "$@"' _ {} \
  > "$log" 2>&1 && status=0 || status=1
cat "$log"
n=$(grep -c "^ok" "$log" || true); f=$(grep -c "^FAIL" "$log" || true)
echo "scenario runs: $n passed, $f failed"
if [ -z "${FL_SANITIZED:-}" ]; then
  python3 "$(dirname "$0")/event_hash.py" "$runs" || status=1
fi
exit $status
