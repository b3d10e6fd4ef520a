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
for f in "$base"/*.json; do
  exp="${f%.json}.expect"
  if [ ! -f "$exp" ]; then echo "MISSING $exp"; fail=$((fail + 1)); continue; fi
  got=$("$fl" validate "$f" 2>&1 >/dev/null); rc=$?
  want=$(cat "$exp")
  if [ "$rc" != 2 ] || [ "$got" != "$want" ]; then
    echo "FAIL $f (exit $rc)"; echo "  want: $want"; echo "  got:  $got"; fail=$((fail + 1)); continue
  fi
  "$fl" run "$f" --out "$tmp/out" >/dev/null 2>&1; rc=$?
  if [ "$rc" != 2 ] || [ -e "$tmp/out" ]; then
    echo "FAIL $f: run exited $rc or wrote outputs"; fail=$((fail + 1)); continue
  fi
  pass=$((pass + 1))
done
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
