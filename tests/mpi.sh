#!/usr/bin/env bash
# MPI sweeps and explore: `mpirun -n 2` and `-n 3` give the same bytes as the threaded
# sweep, and as the threaded explore (report, found/*.json, explore.json; the frontier, which
# process 0 computes alone, too). Registered only in a build made with -Dmpi=enabled;
# builds nothing itself.
# usage: mpi.sh FAULTLINE SCENARIO
set -uo pipefail
fl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); sc=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
command -v mpirun >/dev/null 2>&1 || { echo "FAIL: mpirun not found (apt-get install openmpi-bin)"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
grid=(--param workloads.clients.rate=300/s,400/s --param faults.0.slow.factor=1.5,2
      --seeds 3 --set duration=120s --quiet)
pass=0; fail=0
"$fl" sweep "$sc" "${grid[@]}" -j 2 --out "$tmp/threads" || { echo "FAIL: threaded sweep"; exit 1; }
for n in 2 3; do
  mpirun -n "$n" --oversubscribe --allow-run-as-root "$fl" sweep "$sc" "${grid[@]}" -j 1 \
    --out "$tmp/mpi$n" > "$tmp/out$n" 2>&1; rc=$?
  if [ "$rc" != 0 ]; then echo "FAIL: mpirun -n $n exit $rc"; cat "$tmp/out$n"; fail=$((fail + 1)); continue; fi
  same=1
  for f in sweep.csv sweep_summary.csv sweep.json; do
    cmp -s "$tmp/threads/$f" "$tmp/mpi$n/$f" || { same=0; echo "FAIL: mpirun -n $n: $f differs from the threaded sweep"; }
  done
  [ "$same" = 1 ] && pass=$((pass + 1)) || fail=$((fail + 1))
done
# explore: 40 schedules of split-brain-redis-sentinel (a 60 s scenario), spread over the
# processes; process 0 gathers them and shrinks what broke. The same violations, the same
# shrunk files, byte for byte, and the same exit status (1: a violation found).
sentinel=$(dirname "$sc")/split-brain-redis-sentinel.json
xp=(explore "$sentinel" --runs 40 --safety-only --max-found 2)
(mkdir -p "$tmp/x-threads" && cd "$tmp/x-threads" && "$fl" "${xp[@]}" -j 2 >out.txt 2>/dev/null; echo $? >rc)
for n in 2 3; do
  mkdir -p "$tmp/x-mpi$n"
  (cd "$tmp/x-mpi$n" && mpirun -n "$n" --oversubscribe --allow-run-as-root "$fl" "${xp[@]}" -j 1 \
     >out.txt 2>err.txt; echo $? >rc)
  same=1
  [ -n "$(ls "$tmp/x-threads/found" 2>/dev/null)" ] || { same=0; echo "FAIL: the threaded explore found nothing to compare"; }
  for f in rc out.txt out/split-brain-redis-sentinel/explore/explore.json $(cd "$tmp/x-threads" && ls found/*.json 2>/dev/null); do
    cmp -s "$tmp/x-threads/$f" "$tmp/x-mpi$n/$f" || { same=0; echo "FAIL: explore under mpirun -n $n: $f differs from the threaded explore"; }
  done
  [ "$(ls "$tmp/x-mpi$n/found" 2>/dev/null | wc -l)" = "$(ls "$tmp/x-threads/found" | wc -l)" ] ||
    { same=0; echo "FAIL: explore under mpirun -n $n wrote other found files"; }
  [ "$same" = 1 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); cat "$tmp/x-mpi$n/err.txt"; }
done
fr=(explore "$sc" --frontier workloads.clients.rate=300/s..700/s --trigger faults.0.slow.factor=1.5..4
    --triggers 2 --steps 2 --seeds 2 --set duration=120s)
"$fl" "${fr[@]}" -j 2 --out "$tmp/fr-threads" >/dev/null 2>&1
for n in 2 3; do
  mpirun -n "$n" --oversubscribe --allow-run-as-root "$fl" "${fr[@]}" -j 1 --out "$tmp/fr-mpi$n" >/dev/null 2>&1
  cmp -s "$tmp/fr-threads/frontier.csv" "$tmp/fr-mpi$n/frontier.csv" &&
    cmp -s "$tmp/fr-threads/frontier.json" "$tmp/fr-mpi$n/frontier.json" && pass=$((pass + 1)) ||
    { fail=$((fail + 1)); echo "FAIL: frontier under mpirun -n $n differs from the threaded one"; }
done
# An error is reported once (by process 0), with the same exit status.
out=$(mpirun -n 2 --oversubscribe --allow-run-as-root "$fl" sweep "$sc" "${grid[@]}" --variant nope 2>&1); rc=$?
if [ "$rc" != 0 ] && [ "$(grep -c 'no variant named "nope"' <<< "$out")" = 1 ]; then pass=$((pass + 1))
else echo "FAIL: a bad variant under mpirun: exit $rc, output: $out"; fail=$((fail + 1)); fi
echo "mpi: $pass passed, $fail failed"
[ "$fail" = 0 ]
