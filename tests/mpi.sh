#!/usr/bin/env bash
# MPI sweeps: `mpirun -n 2` gives the same bytes as the threaded sweep (registered only in
# a build made with -Dmpi=enabled; builds nothing itself).
# usage: mpi.sh FAULTLINE SCENARIO
set -uo pipefail
fl=$1; sc=$2
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
# An error is reported once (by process 0), with the same exit status.
out=$(mpirun -n 2 --oversubscribe --allow-run-as-root "$fl" sweep "$sc" "${grid[@]}" --variant nope 2>&1); rc=$?
if [ "$rc" != 0 ] && [ "$(grep -c 'no variant named "nope"' <<< "$out")" = 1 ]; then pass=$((pass + 1))
else echo "FAIL: a bad variant under mpirun: exit $rc, output: $out"; fail=$((fail + 1)); fi
echo "mpi: $pass passed, $fail failed"
[ "$fail" = 0 ]
