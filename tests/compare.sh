#!/usr/bin/env bash
# compare: identical results for -j 1 and -j 2; a variant against itself differs by exactly
# 0 (common random numbers: same seed, same arrivals); a real difference is detected.
# usage: compare.sh FAULTLINE SCENARIO
set -uo pipefail
fl=$1; sc=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
"$fl" compare "$sc" --seeds 4 -j 1 --set duration=100s --out "$tmp/j1" >/dev/null || { echo "FAIL: compare -j 1"; exit 1; }
"$fl" compare "$sc" --seeds 4 -j 2 --set duration=100s --out "$tmp/j2" >/dev/null || { echo "FAIL: compare -j 2"; exit 1; }
if cmp -s "$tmp/j1/compare.json" "$tmp/j2/compare.json" && cmp -s "$tmp/j1/compare.csv" "$tmp/j2/compare.csv"; then
  pass=$((pass + 1)); else echo "FAIL: -j 1 and -j 2 differ"; fail=$((fail + 1)); fi
"$fl" compare "$sc" --seeds 3 --variants baseline,baseline --set duration=100s --no-files --json > "$tmp/self.json"
if grep -q '"diff":	0,' "$tmp/self.json" && ! grep -q '"verdict":	"better"\|"verdict":	"worse"' "$tmp/self.json"; then
  pass=$((pass + 1)); else echo "FAIL: a variant against itself is not identical"; fail=$((fail + 1)); fi
if grep -q '^workloads.arrivals.latency_ms.mean,half-load,.*,better$' "$tmp/j1/compare.csv"; then
  pass=$((pass + 1)); else echo "FAIL: half-load latency not better"; cat "$tmp/j1/compare.csv"; fail=$((fail + 1)); fi
"$fl" compare "$sc" --seeds 1 --no-files >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && pass=$((pass + 1)) || { echo "FAIL: --seeds 1 exit $rc"; fail=$((fail + 1)); }
"$fl" compare "$sc" --variants baseline,nope --no-files >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && pass=$((pass + 1)) || { echo "FAIL: unknown variant exit $rc"; fail=$((fail + 1)); }
# --plot: one overlay chart per workload and figure (well-formed SVG with a line per
# variant) and the report; with --no-files it is refused.
"$fl" compare "$sc" --seeds 3 --set duration=100s --out "$tmp/plot" --plot >/dev/null || { echo "FAIL: compare --plot"; exit 1; }
for c in overlay-arrivals-goodput overlay-arrivals-latency-p99; do
  f="$tmp/plot/charts/$c.svg"
  if [ -s "$f" ] && python3 -c "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); sys.exit(0 if len(d.getElementsByTagName('path')) + len(d.getElementsByTagName('polyline')) >= 2 else 1)" "$f"; then
    pass=$((pass + 1)); else echo "FAIL: $c.svg missing, malformed or without lines"; fail=$((fail + 1)); fi
done
[ -s "$tmp/plot/report.html" ] && pass=$((pass + 1)) || { echo "FAIL: compare --plot wrote no report"; fail=$((fail + 1)); }
"$fl" compare "$sc" --seeds 2 --no-files --plot >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && pass=$((pass + 1)) || { echo "FAIL: --plot --no-files exit $rc"; fail=$((fail + 1)); }
# Verdicts a user can trust (retry-storm, 3 seeds): no NaN anywhere; a fix that recovers
# against a baseline that never does is better on recovery time and on the recovered
# proportion; the summary is one line per variant in the scenario's terms, not a count of
# "better" figures; counts print as integers.
# These are checks of what verdicts mean: under the sanitizers (FL_SANITIZED, set by
# tools/test) they are left to the release build, like the 'meaning' suite.
storm=$(dirname "$sc")/../retry-storm.json
if [ -z "${FL_SANITIZED:-}" ]; then
"$fl" compare "$storm" --seeds 3 --out "$tmp/storm" > "$tmp/storm.txt" 2>&1 || { echo "FAIL: compare retry-storm"; cat "$tmp/storm.txt"; exit 1; }
if ! grep -qi 'nan' "$tmp/storm.txt" "$tmp/storm/compare.json" "$tmp/storm/compare.csv"; then
  pass=$((pass + 1)); else echo "FAIL: nan in compare's output"; grep -i nan "$tmp/storm.txt" | head; fail=$((fail + 1)); fi
for v in retry-budget drop-expired-lifo; do
  if grep -q "^workloads.clients.recovery.recovery_s,$v,.*,better$" "$tmp/storm/compare.csv" &&
     grep -q "^workloads.clients.recovery.recovered,$v,.*,better$" "$tmp/storm/compare.csv" &&
     grep -q "^  $v: recovered on 3/3 seeds (baseline 0/3)" "$tmp/storm.txt"; then
    pass=$((pass + 1)); else echo "FAIL: $v not better on recovery"; grep "recover" "$tmp/storm/compare.csv"; fail=$((fail + 1)); fi
done
if grep -q '^  baseline  *not recovered in 230 s' "$tmp/storm.txt" && ! grep -q 'better on [0-9]* of' "$tmp/storm.txt" &&
   ! grep -q 'e+0' "$tmp/storm.txt" && grep -q '465,' "$tmp/storm.txt"; then
  pass=$((pass + 1)); else echo "FAIL: censored baseline, summary or integer wording"; cat "$tmp/storm.txt"; fail=$((fail + 1)); fi
# A figure one side lacks is n/a and not comparable; a tiny detected change is negligible.
"$fl" compare "$storm" --seeds 3 --no-files --variants baseline,backoff-jitter \
  --metrics workloads.clients.retry_amplification,nodes.nope.pool.waits > "$tmp/na.txt" 2>&1
if grep -q 'backoff-jitter .*negligible' "$tmp/na.txt" && grep -q 'n/a (absent).*not comparable' "$tmp/na.txt" &&
   ! grep -qi 'nan' "$tmp/na.txt"; then
  pass=$((pass + 1)); else echo "FAIL: negligible / not comparable"; cat "$tmp/na.txt"; fail=$((fail + 1)); fi
fi
"$fl" compare "$storm" --seeds 2 --no-files --min-effect x >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && pass=$((pass + 1)) || { echo "FAIL: --min-effect x exit $rc"; fail=$((fail + 1)); }
# Every bundled scenario, shortened to 60 s: compare prints no NaN. Under the sanitizers
# (FL_SANITIZED, set by tools/test) 40 s, and the baseline against the
# last variant rather than every variant (the scenario test runs each variant there):
# config-cache-feedback-2010 alone took 36 s of that build's 102 s here.
short=60s; [ -n "${FL_SANITIZED:-}" ] && short=40s
for f in $(dirname "$sc")/../*.json $(dirname "$sc")/*.json; do
  pick=()
  if [ -n "${FL_SANITIZED:-}" ]; then
    last=$("$fl" validate --variants "$f" | tail -n 1)
    [ "$last" = baseline ] || pick=(--variants "baseline,$last")
  fi
  out=$("$fl" compare "$f" "${pick[@]}" --seeds 2 --no-files --set duration=$short 2>&1)
  if grep -i 'nan' <<<"$out" >/dev/null; then echo "FAIL: nan in compare $f"; echo "$out" | grep -i nan | head -3; fail=$((fail + 1)); fi
done
pass=$((pass + 1))
echo "compare: $pass passed, $fail failed"
[ "$fail" = 0 ]
