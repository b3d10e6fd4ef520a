#!/usr/bin/env bash
# Charts: with gnuplot, every chart of every bundled scenario is drawn as a non-empty PNG
# and SVG; without gnuplot on the PATH, a run with --plot still exits 0, writes the .gp
# scripts and says how to draw them.
# usage: plot.sh FAULTLINE SCENARIO_DIR
set -uo pipefail
fl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
if command -v gnuplot >/dev/null; then
  for f in $(find "$dir" -name '*.json' | sort); do
    out="$tmp/$(basename "$f" .json)"
    if ! "$fl" run "$f" --plot --quiet --out "$out" >/dev/null 2>"$tmp/err"; then
      echo "FAIL $f: run --plot failed"; cat "$tmp/err"; fail=$((fail + 1)); continue
    fi
    # throughput always; every other chart whose script was written (latency when some
    # request succeeded, nodes when a node has a queue, the resource charts when their
    # columns exist) must have drawn both images
    charts="throughput"
    for gp in "$out"/charts/*.gp; do
      c=$(basename "$gp" .gp); [ "$c" = throughput ] || charts="$charts $c"
    done
    for c in $charts; do
      for x in png svg; do
        if [ -s "$out/charts/$c.$x" ]; then pass=$((pass + 1)); else echo "FAIL $f: no $c.$x"; fail=$((fail + 1)); fi
      done
    done
    grep -q 'seed 1 - faultline' "$out/charts/throughput.svg" && pass=$((pass + 1)) || { echo "FAIL $f: no stamp"; fail=$((fail + 1)); }
    # a node with a queue always gets the nodes chart
    if grep -q '"sojourn_ms"' "$out/summary.json" && grep -q 'in_system_max' "$out/timeseries.csv"; then
      [ -e "$out/charts/nodes.gp" ] && pass=$((pass + 1)) || { echo "FAIL $f: no nodes chart"; fail=$((fail + 1)); }
    fi
  done
else
  echo "plot: gnuplot is not installed; skipping the drawing checks (apt-get install gnuplot-nox)"
fi
# Without gnuplot: hide it by running with a PATH that has none.
mkdir -p "$tmp/bin"
out="$tmp/nognuplot"
msg=$(PATH="$tmp/bin" "$fl" run "$(find "$dir" -name '*.json' | sort | head -n 1)" --plot --quiet --out "$out" 2>&1 >/dev/null); rc=$?
if [ "$rc" = 0 ] && [ -s "$out/charts/throughput.gp" ] && [ ! -e "$out/charts/throughput.png" ] &&
   grep -q "gnuplot is not installed" <<<"$msg"; then pass=$((pass + 1)); else
  echo "FAIL: without gnuplot: exit $rc, message: $msg"; fail=$((fail + 1)); fi
echo "plot: $pass passed, $fail failed"
[ "$fail" = 0 ]
