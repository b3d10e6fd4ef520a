#!/usr/bin/env bash
# The bad-input catalogue: every tests/bad/*.json must be refused by `faultline validate`
# with exit status 2 and exactly the message in the matching .expect file, and
# `faultline run` must write no output for it.
# usage: bad.sh FAULTLINE BAD_DIR
set -uo pipefail
fl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); dir=$2
cd "$dir/.." || exit 1
base=$(basename "$dir")
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# one FILE: prints "ok FILE" or what failed
one() {
  local f=$1 exp="${1%.json}.expect" got rc want
  if [ ! -f "$exp" ]; then echo "MISSING $exp"; return; fi
  got=$("$fl" validate "$f" 2>&1 >/dev/null); rc=$?
  want=$(cat "$exp")
  if [ "$rc" != 2 ] || [ "$got" != "$want" ]; then
    echo "FAIL $f (exit $rc)"; echo "  want: $want"; echo "  got:  $got"; return
  fi
  run_refuses "$f"
}
# run_refuses FILE: `faultline run` refuses it too and writes nothing. Under the sanitizers
# (FL_SANITIZED, set by tools/test) validate's load is what they check; that run refuses
# the same file is checked in the release build.
run_refuses() {
  local f=$1 out rc
  if [ -n "${FL_SANITIZED:-}" ]; then echo "ok $f"; return; fi
  out="$tmp/$(basename "$f" .json)"
  "$fl" run "$f" --out "$out" >/dev/null 2>&1; rc=$?
  if [ "$rc" != 2 ] || [ -e "$out" ]; then
    echo "FAIL $f: run exited $rc or wrote outputs"; return
  fi
  echo "ok $f"
}
# some FILE...: validates them in one process (validate goes on past a refused file and
# prints one line for each): its messages must be exactly the .expect files' lines, in
# order, and its exit status 2. Any difference, and each file is checked on its own, to say
# which and how.
some() {
  local f want got rc
  for f in "$@"; do [ -f "${f%.json}.expect" ] || { for f in "$@"; do one "$f"; done; return; }; done
  want=$(for f in "$@"; do printf '%s\n' "$(cat "${f%.json}.expect")"; done)
  got=$("$fl" validate "$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" != 2 ] || [ "$got" != "$want" ]; then
    for f in "$@"; do one "$f"; done; return
  fi
  for f in "$@"; do run_refuses "$f"; done
}
export -f one run_refuses some; export fl tmp FL_SANITIZED
# 40 files a process, two processes at a time (or one per core)
log=$(ls "$base"/*.json | xargs -n 40 -P "$(nproc 2>/dev/null || echo 2)" bash -c 'some "$@"' _)
grep -v '^ok ' <<<"$log" || true
pass=$(grep -c '^ok ' <<<"$log" || true)
fail=$(grep -c '^\(FAIL\|MISSING\) ' <<<"$log" || true)
# Not a file at all: a directory, and a path that does not exist.
check_io() {
  got=$("$fl" validate "$1" 2>&1 >/dev/null); rc=$?
  if [ "$rc" = 2 ] && [ "$got" = "$2" ]; then pass=$((pass + 1)); else
    echo "FAIL $1 (exit $rc)"; echo "  want: $2"; echo "  got:  $got"; fail=$((fail + 1)); fi
}
check_io "$base" "$base: is a directory; expected a scenario file (.json)"
check_io "$base/no-such-file.json" "$base/no-such-file.json: cannot open: No such file or directory"
echo "bad inputs: $pass passed, $fail failed"
[ "$fail" = 0 ]
