#!/usr/bin/env bash
# A scenario's "charts" list: the lesson charts it names come first, in its order, in the
# run's report, the comparison's report and the overlays `compare --plot` writes (one
# colour per variant); `plot --scenario` refuses another scenario's file.
# usage: lesson-charts.sh FAULTLINE
set -uo pipefail
fl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
ko() { echo "FAIL: $*"; fail=$((fail + 1)); }
# Two workloads on one service: the catalogue gives each a tries chart, a's first.
write() { # write FILE CHARTS_MEMBER
  cat > "$1" <<JSON
{
  "faultline": 1,
  "name": "two-workloads",
  "duration": "20s",
  "nodes": [{"name": "api", "kind": "service", "workers": 4, "service_time": "exp(5ms)"}],
  "workloads": [
    {"name": "a", "target": "api", "rate": "200/s", "client": {"timeout": "100ms", "attempts": 2}},
    {"name": "b", "target": "api", "rate": "300/s", "client": {"timeout": "100ms", "attempts": 3}}
  ],
  "faults": [{"at": "5s", "for": "5s", "slow": {"node": "api", "factor": 4}}],
  "variants": {"more-workers": {"set": {"nodes.api.workers": 8}}}$2
}
JSON
}
write "$tmp/plain.json" ""
write "$tmp/declared.json" ',
  "charts": ["lesson-b-tries"]'
"$fl" validate "$tmp/declared.json" >/dev/null && ok || ko "a valid \"charts\" list is refused"
"$fl" run "$tmp/declared.json" --quiet --out "$tmp/run" >/dev/null || ko "run failed"
# first_lesson HTML SECTION: the title of the first chart under the heading SECTION
first_lesson() {
  sed -n "/<h2>$2/,\$p" "$1" | grep -o '<title>[^<]*</title>' | head -1
}
"$fl" report "$tmp/run" --scenario "$tmp/plain.json" -o "$tmp/plain.html" >/dev/null 2>&1 ||
  ko "report with the plain scenario"
"$fl" report "$tmp/run" --scenario "$tmp/declared.json" -o "$tmp/declared.html" >/dev/null ||
  ko "report with the declaring scenario"
case $(first_lesson "$tmp/plain.html" 'What this run shows') in
  *'<title>a -&gt; api'*) ok ;; *) ko "without \"charts\", a's chart is not first" ;; esac
case $(first_lesson "$tmp/declared.html" 'What this run shows') in
  *'<title>b -&gt; api'*) ok ;; *) ko "with \"charts\": [\"lesson-b-tries\"], b's chart is not first" ;; esac
# Both charts are still drawn: the list orders, it does not hide the catalogue's others.
n=$(sed -n '/What this run shows/,/<h2>Timeline/p' "$tmp/declared.html" | grep -c '<svg')
[ "$n" = 2 ] && ok || ko "expected both lesson charts in the report, got $n"
# plot --scenario: the run's own scenario only.
other="$tmp/other.json"; sed 's/"two-workloads"/"another"/' "$tmp/plain.json" > "$other"
PATH=/nonexistent "$fl" plot "$tmp/run" --scenario "$tmp/declared.json" >/dev/null 2>&1 ||
  ko "plot --scenario with the run's scenario"
ls "$tmp/run/charts/lesson-b-tries.gp" "$tmp/run/charts/lesson-a-tries.gp" >/dev/null 2>&1 && ok ||
  ko "plot --scenario: both lesson scripts"
PATH=/nonexistent "$fl" plot "$tmp/run" --scenario "$other" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q 'another' "$tmp/err" && ok || ko "plot --scenario of another scenario: exit $rc"
# compare --plot: the lesson charts overlaid per variant, the declared one first.
"$fl" compare "$tmp/declared.json" --seeds 2 --plot --out "$tmp/cmp" >/dev/null 2>"$tmp/err" ||
  { ko "compare --plot failed"; cat "$tmp/err"; }
for c in b a; do
  svg="$tmp/cmp/charts/overlay-lesson-$c-tries.svg"
  if [ -s "$svg" ]; then ok; else ko "no $svg"; continue; fi
  # one colour per variant: the stroke colours of the drawn lines are two
  k=$(grep -o '<path fill="none" stroke="#[0-9a-f]*"' "$svg" | sort -u | wc -l)
  [ "$k" = 2 ] && ok || ko "overlay-lesson-$c-tries.svg: $k line colours for 2 variants"
  # a line style per metric: at least three dash patterns (tries, issued, goodput, failed)
  d=$(grep -o 'stroke-dasharray="[^"]*"' "$svg" | sort -u | wc -l)
  [ "$d" -ge 3 ] && ok || ko "overlay-lesson-$c-tries.svg: $d dash patterns, want one per metric"
done
case $(first_lesson "$tmp/cmp/report.html" 'What the variants show') in
  *'<title>b-tries'*) ok ;; *) ko "compare report: the declared chart is not the first overlay" ;; esac
echo "lesson charts: $pass passed, $fail failed"
[ "$fail" = 0 ]
