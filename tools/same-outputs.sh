#!/usr/bin/env bash
# Byte-identical outputs between two builds: every bundled scenario and every variant on
# one seed; summary.json, timeseries.csv and events.jsonl must match byte for byte.
# usage: tools/same-outputs.sh FAULTLINE_A FAULTLINE_B [SCENARIO_DIR] [SEED]
#   FAULTLINE_A may be a directory of outputs kept earlier: FL_KEEP=DIR keeps B's outputs there.
set -euo pipefail
a=$1; b=$2; dir=${3:-scenarios}; seed=${4:-1}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
for f in $(find "$dir" -name '*.json' | sort); do
  for v in $("$b" validate --variants "$f"); do
    key=$(basename "$f" .json)-$v
    if [ -d "$a" ]; then mkdir -p "$tmp/a"; cp -r "$a/$key" "$tmp/a/$key" 2>/dev/null || true; fi
    for side in a b; do
      fl=${!side}
      [ -d "$fl" ] && continue
      "$fl" run "$f" --variant "$v" --seed "$seed" --quiet --out "$tmp/$side/$key" --force \
        >/dev/null 2>&1 || true
    done
    same=1
    for o in summary.json timeseries.csv events.jsonl; do
      if [ -e "$tmp/a/$key/$o" ] || [ -e "$tmp/b/$key/$o" ]; then
        cmp -s "$tmp/a/$key/$o" "$tmp/b/$key/$o" || { same=0; echo "DIFF $f [$v] $o"; \
          diff "$tmp/a/$key/$o" "$tmp/b/$key/$o" | head -6 | sed 's/^/     /'; }
      fi
    done
    [ -e "$tmp/b/$key/summary.json" ] || { same=0; echo "MISSING $f [$v] summary.json"; }
    if [ "$same" = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
  done
done
[ -z "${FL_KEEP:-}" ] || { mkdir -p "$FL_KEEP"; cp -r "$tmp/b/." "$FL_KEEP/"; }
echo "same outputs: $pass identical, $fail differ"
[ "$fail" = 0 ]
