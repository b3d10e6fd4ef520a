#!/usr/bin/env bash
# Determinism: the same inputs give byte-identical summary.json and timeseries.csv; a
# different seed gives a different event sequence; and every bundled scenario (its last
# variant, with --history) gives the same bytes in every file twice.
# usage: determinism.sh FAULTLINE SCENARIO
set -euo pipefail
fl=$1; sc=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$fl" run "$sc" --seed 42 --quiet --out "$tmp/a" --set duration=60s >/dev/null
"$fl" run "$sc" --seed 42 --quiet --out "$tmp/b" --set duration=60s >/dev/null
"$fl" run "$sc" --seed 43 --quiet --out "$tmp/c" --set duration=60s >/dev/null
cmp "$tmp/a/summary.json" "$tmp/b/summary.json"
cmp "$tmp/a/timeseries.csv" "$tmp/b/timeseries.csv"
cmp "$tmp/a/events.jsonl" "$tmp/b/events.jsonl"
if cmp -s "$tmp/a/summary.json" "$tmp/c/summary.json"; then
  echo "seed 43 gave the same summary as seed 42"; exit 1
fi
h1=$(grep '"event_hash"' "$tmp/a/summary.json"); h3=$(grep '"event_hash"' "$tmp/c/summary.json")
[ "$h1" != "$h3" ] || { echo "event hashes equal across seeds"; exit 1; }
# Every bundled scenario, with all its faults, in its last variant: two runs, the same
# bytes in every file, the history included (scenarios two at a time, or one per core).
dir=$(dirname "$sc"); [ "$(basename "$dir")" = queueing ] && dir=$(dirname "$dir")
one() {
  local f=$1 v d k file
  v=$("$fl" validate --variants "$f" | tail -n 1)
  d="$tmp/$(basename "$f" .json)"
  for k in x y; do
    "$fl" run "$f" --variant "$v" --seed 7 --quiet --history --out "$d-$k" --force >/dev/null ||
      { echo "FAIL: $f [$v] did not run"; return; }
  done
  for file in summary.json timeseries.csv events.jsonl history.jsonl; do
    [ -e "$d-x/$file" ] || continue
    cmp -s "$d-x/$file" "$d-y/$file" || { echo "FAIL: $f [$v] $file differs between two runs"; return; }
  done
  rm -rf "$d-x" "$d-y"
  echo "ok $f"
}
export -f one; export fl tmp
log=$(ls "$dir"/*.json | xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} bash -c 'one "$@"' _ {})
grep -v '^ok ' <<<"$log" || true
n=$((4 + $(grep -c '^ok ' <<<"$log" || true)))
f=$(grep -c '^FAIL' <<<"$log" || true)
echo "determinism: $n passed, $f failed"
[ "$f" = 0 ]
