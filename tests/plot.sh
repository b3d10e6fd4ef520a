#!/usr/bin/env bash
# Charts: with gnuplot, every chart of every bundled scenario is drawn as a non-empty PNG
# and SVG; without gnuplot on the PATH, a run with --plot still exits 0, writes the .gp
# scripts and says how to draw them.
# usage: plot.sh FAULTLINE SCENARIO_DIR
set -uo pipefail
fl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
# Under the sanitizers (FL_SANITIZED, set by tools/test) the drawing loop is left to the
# release build: what the sanitizers check is faultline's code, and tests/lessons.sh runs
# every incident with --plot there (gnuplot hidden). The retry storm's scripts are checked.
if [ -n "${FL_SANITIZED:-}" ]; then
  for f in "$dir/retry-storm.json" "$dir/queueing/mm1.json"; do
    out="$tmp/$(basename "$f" .json)"
    if PATH="$tmp/nobin" "$fl" run "$f" --plot --quiet --out "$out" >/dev/null 2>"$tmp/err" &&
       [ -s "$out/charts/throughput.gp" ] && ls "$out"/charts/lesson-*.gp >/dev/null 2>&1; then
      pass=$((pass + 1)); else echo "FAIL $f: run --plot failed or wrote no throughput and lesson scripts"; cat "$tmp/err"; fail=$((fail + 1)); fi
  done
  rs="$tmp/retry-storm/charts/latency.gp"
  grep -q "set label 91 'SLO 200 ms'" "$rs" && grep -q "'no request succeeded'" "$rs" &&
    pass=$((pass + 1)) || { echo "FAIL retry-storm: latency.gp has no SLO line or no-success span"; fail=$((fail + 1)); }
elif command -v gnuplot >/dev/null; then
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
  # The retry storm's latency chart: the SLO line, and the span where nothing succeeded
  # shaded grey and labelled (the same marks as the report's SVG).
  rs="$tmp/retry-storm/charts/latency.gp"
  grep -q "set label 91 'SLO 200 ms'" "$rs" && grep -q "'no request succeeded'" "$rs" &&
    pass=$((pass + 1)) || { echo "FAIL retry-storm: latency.gp has no SLO line or no-success span"; fail=$((fail + 1)); }
else
  echo "plot: gnuplot is not installed; skipping the drawing checks (apt-get install gnuplot-nox)"
fi
# The resource charts come from the kinds' declared series (world.h's fl_kind_series): a
# store's replication lag is store-lag-s, its lines named by node and replica (no metric
# path), its axis the series' meaning and unit.
rl="$tmp/rl"
PATH="$tmp/nobin" "$fl" run "$dir/replica-lag.json" --plot --quiet --out "$rl" >/dev/null 2>&1
if grep -q "^titles = 'db/1 db/2'" "$rl/charts/store-lag-s.gp" 2>/dev/null &&
   grep -q "^ylab = 'replica N''s lag behind the primary (s)'" "$rl/charts/store-lag-s.gp"; then
  pass=$((pass + 1)); else echo "FAIL replica-lag: no store-lag-s chart from the store's series"; fail=$((fail + 1)); fi
# Without gnuplot: hide it by running with a PATH that has none.
mkdir -p "$tmp/bin"
out="$tmp/nognuplot"
msg=$(PATH="$tmp/bin" "$fl" run "$(find "$dir" -name '*.json' | sort | head -n 1)" --plot --quiet --out "$out" 2>&1 >/dev/null); rc=$?
if [ "$rc" = 0 ] && [ -s "$out/charts/throughput.gp" ] && [ ! -e "$out/charts/throughput.png" ] &&
   grep -q "gnuplot is not installed" <<<"$msg"; then pass=$((pass + 1)); else
  echo "FAIL: without gnuplot: exit $rc, message: $msg"; fail=$((fail + 1)); fi
# gnuplot draws a run's charts in one process (sim/out/plot.c); when it fails on one
# script, the others are still drawn and the error names that script. A stand-in gnuplot on
# the PATH refuses latency.gp and "draws" the rest (non-empty images).
mkdir -p "$tmp/failbin"
cat >"$tmp/failbin/gnuplot" <<'EOF'
#!/bin/sh
for s in "$@"; do
  [ "$s" = latency.gp ] && { echo "latency.gp: refused" >&2; exit 1; }
  echo drawn >"${s%.gp}.png"; echo drawn >"${s%.gp}.svg"
done
EOF
chmod +x "$tmp/failbin/gnuplot"
msg=$(PATH="$tmp/failbin:$PATH" "$fl" run "$dir/retry-storm.json" --plot --quiet --out "$tmp/gpfail" 2>&1 >/dev/null); rc=$?
if [ "$rc" != 0 ] && grep -qF "gnuplot failed on $tmp/gpfail/charts/latency.gp (exit 1); see $tmp/gpfail/charts/gnuplot.log" <<<"$msg" &&
   [ -s "$tmp/gpfail/charts/throughput.png" ] && [ -s "$tmp/gpfail/charts/nodes.svg" ] &&
   ls "$tmp"/gpfail/charts/lesson-*.png >/dev/null 2>&1 && [ ! -e "$tmp/gpfail/charts/latency.png" ] &&
   grep -q "latency.gp: refused" "$tmp/gpfail/charts/gnuplot.log"; then
  pass=$((pass + 1)); else echo "FAIL: a chart gnuplot refuses: exit $rc, message: $msg"; ls "$tmp/gpfail/charts" 2>&1 | head; fail=$((fail + 1)); fi
# Hostile text never runs: gnuplot substitutes `commands` inside double-quoted strings, so
# every text from a run's files is written single-quoted. A scenario whose title (free text)
# holds a backquoted command and a $(...) draws its charts and runs neither.
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
cat >"$tmp/hostile.json" <<EOF
{"faultline": 1, "name": "hostile", "title": "t \`touch $tmp/PWNED-title\` \$(touch $tmp/PWNED-dollar) it's \\\\",
 "duration": "2s", "window": "0.5s",
 "nodes": [{"name": "server", "kind": "service", "workers": 1, "service_time": "exp(1ms)"}],
 "workloads": [{"name": "users", "target": "server", "rate": "500/s"}]}
EOF
"$fl" run "$tmp/hostile.json" --plot --quiet --out "$tmp/hostile" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 0 ] && ok || { bad "hostile title: run --plot exited $rc"; cat "$tmp/err"; }
ls "$tmp"/PWNED-* >/dev/null 2>&1 && bad "hostile title: a command in the title ran" || ok
grep -q "^stamp = 'hostile \[baseline\]" "$tmp/hostile/charts/throughput.gp" && ok || bad "hostile title: stamp not single-quoted"
# A run folder handed over with doctored names: `faultline plot` refuses it (exit 2), runs
# nothing and writes no script.
doctor() { # NAME SED-EXPRESSION FILE: a copy of the hostile run with one file edited
  rm -rf "${tmp:?}/$1"; cp -r "$tmp/hostile" "$tmp/$1"; rm -rf "${tmp:?}/$1/charts"
  sed -i "$2" "$tmp/$1/$3"
}
doctor evil-variant "s|\"variant\":[[:space:]]*\"baseline\"|\"variant\": \"x\`touch $tmp/PWNED-variant\`\"|" summary.json
doctor evil-node "s|\"server\":[[:space:]]*{|\"\$(touch $tmp/PWNED-node)\": {|" summary.json
doctor evil-scenario "s|\"scenario\":[[:space:]]*\"hostile\"|\"scenario\": \"a\\\\nset output '$tmp/PWNED-nl'\"|" summary.json
doctor evil-csv "1s|server\.|s\`touch $tmp/PWNED-csv\`.|" timeseries.csv
for d in evil-variant evil-node evil-scenario evil-csv; do
  msg=$("$fl" plot "$tmp/$d" 2>&1 >/dev/null); rc=$?
  [ "$rc" = 2 ] && grep -q "did not write" <<<"$msg" && ok || bad "$d: plot exited $rc: $msg"
  [ ! -e "$tmp/$d/charts" ] && ok || bad "$d: charts were written"
done
grep -q 'touch' "$tmp/evil-variant/summary.json" && grep -q 'touch' "$tmp/evil-node/summary.json" &&
  grep -q 'touch' "$tmp/evil-csv/timeseries.csv" && grep -q 'PWNED-nl' "$tmp/evil-scenario/summary.json" && ok ||
  bad "the doctored folders were not doctored (the test is broken)"
ls "$tmp"/PWNED-* >/dev/null 2>&1 && bad "a doctored run folder ran a command: $(ls "$tmp"/PWNED-*)" || ok
echo "plot: $pass passed, $fail failed"
[ "$fail" = 0 ]
