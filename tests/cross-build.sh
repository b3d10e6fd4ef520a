#!/usr/bin/env bash
# Determinism across builds: the same run gives a byte-identical summary.json and
# timeseries.csv from gcc -O2, gcc -O0 and (when installed) clang -O2 builds. The -O0
# build is also the strict-invariant build (-Dinvariants=strict); the gcc -O2 build has
# link-time optimisation (the release default), the other two do not.
# usage: cross-build.sh SOURCE_DIR [--build-only]
#   (builds into SOURCE_DIR/build-xO0 and build-xclang; --build-only stops there)
set -euo pipefail
src=$(cd "$1" && pwd)
build_only=0; [ "${2:-}" = --build-only ] && build_only=1
cd "$src"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
builds=(build)
# The -O0 build also checks the event queue's invariants after every event.
[ -f build-xO0/build.ninja ] || meson setup build-xO0 --buildtype=debug -Db_lto=false -Dinvariants=strict -Dtests=disabled >/dev/null
ninja -C build-xO0 faultline >/dev/null
builds+=(build-xO0)
if command -v clang >/dev/null 2>&1; then
  # without link-time optimisation: clang's -O2 code is the point, and its LTO link took
  # half of this build's wall time
  [ -f build-xclang/build.ninja ] || CC=clang meson setup build-xclang --buildtype=release -Db_lto=false -Dtests=disabled >/dev/null
  ninja -C build-xclang faultline >/dev/null
  builds+=(build-xclang)
else
  echo "cross-build: clang not installed; comparing gcc -O2 with gcc -O0 only"
fi
[ "$build_only" = 1 ] && exit 0
pass=0; fail=0
# Queueing theory, and incidents with every kind of fault: slowdowns and retries, a
# partition with failover, clock steps, crashes and rebalances, a bad value.
for spec in scenarios/queueing/mm1.json:baseline:120s scenarios/queueing/mmc.json:baseline:120s \
            scenarios/retry-storm.json:retry-budget:100s \
            scenarios/split-brain-github-2018.json:baseline:90s \
            scenarios/lock-gc-pause.json:redlock-clock-jump:40s \
            scenarios/poison-pill.json:baseline:90s \
            scenarios/config-cache-feedback-2010.json:baseline:60s; do
  IFS=: read -r sc v d <<<"$spec"
  for b in "${builds[@]}"; do
    "$b/faultline" run "$sc" --variant "$v" --seed 3 --set "duration=$d" --quiet --history \
      --out "$tmp/$b" --force >/dev/null
  done
  for b in "${builds[@]:1}"; do
    if cmp -s "$tmp/build/summary.json" "$tmp/$b/summary.json" &&
       cmp -s "$tmp/build/timeseries.csv" "$tmp/$b/timeseries.csv" &&
       cmp -s "$tmp/build/events.jsonl" "$tmp/$b/events.jsonl" &&
       { [ ! -e "$tmp/build/history.jsonl" ] || cmp -s "$tmp/build/history.jsonl" "$tmp/$b/history.jsonl"; }; then
      pass=$((pass + 1))
    else
      echo "FAIL: $sc differs between build and $b"; diff "$tmp/build/summary.json" "$tmp/$b/summary.json" | head -5
      fail=$((fail + 1))
    fi
  done
done
echo "cross-build determinism: $pass passed, $fail failed"
[ "$fail" = 0 ]
