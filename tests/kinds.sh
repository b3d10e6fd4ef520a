#!/usr/bin/env bash
# The kind descriptors are the one source of what each kind accepts: the parameter tables
# in scenarios/README.md must be exactly what `faultline list --kinds --markdown` prints,
# and `faultline list --kinds` must list every kind with its parameters, figures and faults.
# usage: kinds.sh FAULTLINE README
set -uo pipefail
fl=$1; readme=$2
fail=0
want=$("$fl" list --kinds --markdown) || { echo "FAIL: list --kinds --markdown exited $?"; exit 1; }
# The README's generated blocks: from each marker through the table's last row.
got=$(awk '/^<!-- kind [a-z_]+: generated/ { on = 1; if (n++) print "" }
           on && !/^(<!--|\|)/ { on = 0 }
           on { print }' "$readme")
if [ "$want" != "$got" ]; then
  echo "FAIL: $readme's kind tables differ from 'faultline list --kinds --markdown'"
  echo "      (regenerate them from the kinds' descriptors):"
  diff <(echo "$want") <(echo "$got") | head -20; fail=1
fi
list=$("$fl" list --kinds) || { echo "FAIL: list --kinds exited $?"; exit 1; }
# Every kind named in the unknown-kind message is listed, with its parameters and faults.
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
echo '{"faultline": 1, "name": "x", "duration": "1s", "nodes": [{"name": "a", "kind": "qqqqqqqq"}],
       "workloads": [{"name": "w", "target": "a", "rate": 1}]}' >"$tmp"
kinds=$("$fl" validate "$tmp" 2>&1 | sed -n 's/.*known kinds: \(.*\))$/\1/p')
[ -n "$kinds" ] || { echo "FAIL: the unknown-kind message lists no kinds"; fail=1; }
for k in ${kinds//,/}; do
  block=$(awk -v k="$k" '$0 ~ "^" k ": " { on = 1; print; next } /^[a-z_]+: / { on = 0 } on' <<<"$list")
  for part in "parameters" "figures" "series" "faults:"; do
    grep -q "  $part" <<<"$block" || { echo "FAIL: list --kinds: $k has no $part"; fail=1; }
  done
done
grep -qE '^    ttl +duration; default required' <<<"$list" || { echo "FAIL: list --kinds: no cache ttl"; fail=1; }
[ "$fail" = 0 ] && echo "kinds: README tables match the descriptors; $(wc -w <<<"${kinds//,/}") kinds listed"
exit $fail
