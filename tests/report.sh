#!/usr/bin/env bash
# report: the HTML report of a run and of a comparison is one self-contained file (no
# external reference but the SVG namespace), every chart is well-formed XML, the number of
# charts and the title are as expected, two reports of the same files are byte-identical;
# a missing directory and a directory of neither kind exit 2 with a message naming it.
# usage: report.sh FAULTLINE SCENARIO (scenarios/retry-storm.json)
set -uo pipefail
fl=$1; sc=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
ko() { echo "FAIL: $*"; fail=$((fail + 1)); }

"$fl" run "$sc" --set duration=120s --quiet --out "$tmp/run" >/dev/null || { echo "FAIL: run"; exit 1; }
"$fl" compare "$sc" --variants baseline,retry-budget --seeds 2 --set duration=120s \
  --out "$tmp/cmp" >/dev/null || { echo "FAIL: compare"; exit 1; }
title=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["title"])' "$sc")

# check_report FILE CHARTS: well-formed charts, self-contained, CHARTS <svg> elements, title.
check_report() {
  local f=$1 n=$2
  python3 - "$f" "$n" "$title" <<'EOF' && ok || ko "$f: see above"
import re, sys, xml.dom.minidom
path, want, title = sys.argv[1], int(sys.argv[2]), sys.argv[3]
html = open(path, encoding="utf-8").read()
svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
bad = []
for s in svgs:
    try:
        xml.dom.minidom.parseString(s)
    except Exception as e:
        bad.append(str(e))
if bad:
    sys.exit("%s: malformed svg: %s" % (path, bad[0]))
if html.count("<svg") != want or len(svgs) != want:
    sys.exit("%s: %d <svg elements, expected %d" % (path, html.count("<svg"), want))
rest = html.replace("http://www.w3.org/2000/svg", "")
if "http://" in rest or "https://" in rest:
    sys.exit("%s: an external reference" % path)
if re.search(r"<(script|link|img|iframe)\b|@import|url\(", html):
    sys.exit("%s: an external or active resource" % path)
if title.replace("&", "&amp;") not in html:
    sys.exit("%s: no title %r" % (path, title))
if not html.startswith("<!DOCTYPE html>") or not html.rstrip().endswith("</html>"):
    sys.exit("%s: not a whole HTML page" % path)
EOF
}

# A run: the lesson chart (tries against capacity) first, then latency, requests per
# second (one workload), requests at nodes, busy workers.
if "$fl" report "$tmp/run" --scenario "$sc" >/dev/null; then ok; else ko "report of a run: exit $?"; fi
check_report "$tmp/run/report.html" 5
sed -n '/What this run shows/,/<h2>Timeline/p' "$tmp/run/report.html" |
  grep 'clients -&gt; api: the faults end at 70 s, but tries stay at' >/dev/null && ok ||
  ko "run report: the lesson chart is not at the top, or does not state the lesson"
grep -q 'Metastable Failures' "$tmp/run/report.html" && ok || ko "run report: no reference from --scenario"
grep -q 'api 4x slower' "$tmp/run/report.html" && ok || ko "run report: no fault label"
grep -q 'clients SLO 200 ms' "$tmp/run/report.html" && ok || ko "run report: no SLO line on the latency chart"
grep -q 'no request succeeded' "$tmp/run/report.html" && ok || ko "run report: the span with no success is not shaded"
cp "$tmp/run/report.html" "$tmp/run1.html"
"$fl" report "$tmp/run" --scenario "$sc" >/dev/null
cmp -s "$tmp/run/report.html" "$tmp/run1.html" && ok || ko "two reports of one run differ"
# Without --scenario the report still works, from the directory's files alone.
"$fl" report "$tmp/run" -o "$tmp/bare.html" >/dev/null && check_report "$tmp/bare.html" 5 ||
  ko "report without --scenario"

# A comparison: goodput and p99 latency for the one workload.
if "$fl" report "$tmp/cmp" --scenario "$sc" >/dev/null; then ok; else ko "report of a comparison: exit $?"; fi
# goodput and p99 overlays, and the lesson chart (tries against capacity) overlaid per
# variant, one colour per variant
check_report "$tmp/cmp/report.html" 3
sed -n '/What the variants show/,/<h2>Charts/p' "$tmp/cmp/report.html" |
  grep -c '<svg' | grep -qx 1 && ok || ko "compare report: no lesson chart overlaid per variant"
grep -q 'retries limited to 10%' "$tmp/cmp/report.html" && ok || ko "compare report: no variant 'about'"
grep -q 'class="better"' "$tmp/cmp/report.html" && ok || ko "compare report: no coloured verdict"
# The lesson line per variant (compare.json's "lessons"), and never a NaN in the table.
grep -q '<li>retry-budget: .* -&gt; ' "$tmp/cmp/report.html" && ok || ko "compare report: no lesson line"
sed -n '/<h2>Comparison/,/<\/table>/p' "$tmp/cmp/report.html" | grep -iw 'nan' >/dev/null && ko "compare report: nan in the table" || ok
"$fl" report "$tmp/cmp" --scenario "$sc" -o "$tmp/cmp2.html" >/dev/null
cmp -s "$tmp/cmp/report.html" "$tmp/cmp2.html" && ok || ko "two reports of one comparison differ"

# Errors: exit 2 and a message that names the directory; nothing written.
msg=$("$fl" report "$tmp/nowhere" 2>&1 >/dev/null); rc=$?
[ "$rc" = 2 ] && grep -q "$tmp/nowhere" <<<"$msg" && ok || ko "missing dir: exit $rc, message: $msg"
mkdir "$tmp/empty"
msg=$("$fl" report "$tmp/empty" 2>&1 >/dev/null); rc=$?
[ "$rc" = 2 ] && grep -q "$tmp/empty" <<<"$msg" && [ -z "$(ls -A "$tmp/empty")" ] && ok ||
  ko "dir of neither kind: exit $rc, message: $msg"
msg=$("$fl" report "$tmp/run" --scenario "$(dirname "$sc")/queueing/mm1.json" 2>&1 >/dev/null); rc=$?
[ "$rc" = 2 ] && ok || ko "another scenario's file: exit $rc, message: $msg"
# A malformed timeseries.csv (a field that is not a number, a row cut short): exit 2, the
# file and line named, no report written.
for how in 'field:5s/,[^,]*,/,x1,/' 'short:7s/,[^,]*$//'; do
  name=${how%%:*}; cp -r "$tmp/run" "$tmp/csv-$name"; rm -f "$tmp/csv-$name/report.html"
  sed -i "${how#*:}" "$tmp/csv-$name/timeseries.csv"
  line=$(sed 's/^\([0-9]*\).*/\1/' <<<"${how#*:}")
  msg=$("$fl" report "$tmp/csv-$name" 2>&1 >/dev/null); rc=$?
  [ "$rc" = 2 ] && grep -q "$tmp/csv-$name/timeseries.csv:$line: .*run the scenario again" <<<"$msg" &&
    [ ! -e "$tmp/csv-$name/report.html" ] && ok || ko "malformed csv ($name): exit $rc, message: $msg"
done
"$fl" report >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && ok || ko "no directory: exit $rc"

echo "report: $pass passed, $fail failed"
[ "$fail" = 0 ]
