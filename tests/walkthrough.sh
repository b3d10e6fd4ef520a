#!/usr/bin/env bash
# docs/writing-a-kind.md's walkthrough holds: every code block marked "from FILE" is FILE's
# own text, and the scenario marked "walkthrough scenario" passes its expectations.
# usage: walkthrough.sh FAULTLINE DOC SOURCE_ROOT
set -uo pipefail
fl=$1; doc=$2; root=$3
fail=0; n=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Split the doc's marked blocks into files: from-K.FILE (the excerpt) and scenario.json.
awk -v dir="$tmp" '
  /^<!-- from [^ ]+ -->$/ { src = $3; want = 1; next }
  /^<!-- walkthrough scenario -->$/ { src = "scenario"; want = 1; next }
  want && /^```/ { want = 0; inblock = 1; k++
                   out = (src == "scenario") ? dir "/scenario.json" : dir "/from-" k
                   if (src != "scenario") print src > (dir "/src-" k); next }
  inblock && /^```$/ { inblock = 0; close(out); next }
  inblock { print > out }' "$doc"
for f in "$tmp"/from-*; do
  [ -e "$f" ] || break
  k=${f##*/from-}; src=$(cat "$tmp/src-$k"); n=$((n + 1))
  if ! python3 - "$f" "$root/$src" <<'PY'
import sys
excerpt = open(sys.argv[1]).read(); source = open(sys.argv[2]).read()
sys.exit(0 if excerpt in source else 1)
PY
  then
    echo "FAIL: the doc's excerpt $k is not in $src any more:"; head -3 "$f" | sed 's/^/     /'; fail=1
  fi
done
[ "$n" -gt 0 ] || { echo "FAIL: no code excerpt in $doc"; fail=1; }
[ -s "$tmp/scenario.json" ] || { echo "FAIL: no walkthrough scenario in $doc"; exit 1; }
for v in $("$fl" validate --variants "$tmp/scenario.json"); do
  if ! out=$("$fl" run "$tmp/scenario.json" --variant "$v" --check --no-files 2>&1); then
    echo "FAIL: the walkthrough scenario [$v]:"; echo "$out" | tail -5 | sed 's/^/     /'; fail=1
  fi
done
[ "$fail" = 0 ] && echo "walkthrough: $n excerpts match their source; the scenario passes"
exit $fail
