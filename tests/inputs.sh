#!/usr/bin/env bash
# Hostile and mistaken inputs on the command line: an override that would change nothing is
# refused (exit 2, with a suggestion) by run, sweep and compare; names that are paths never
# reach the file system; an expectation naming a figure the run does not report exits 2
# under --check.
# usage: inputs.sh FAULTLINE
set -uo pipefail
fl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
# expect_refusal NAME WANTED-MESSAGE COMMAND...: exit 2, exactly that message on stderr
expect_refusal() {
  local name=$1 want=$2; shift 2
  got=$("$@" 2>&1 >/dev/null); rc=$?
  if [ "$rc" = 2 ] && [ "$got" = "$want" ]; then ok; else
    bad "$name (exit $rc)"; echo "  want: $want"; echo "  got:  $got"; fi
}

cat >s.json <<'EOF'
{"faultline": 1, "name": "inputs", "duration": "2s", "window": "0.5s",
 "nodes": [{"name": "server", "kind": "service", "workers": 1, "service_time": "exp(1ms)"}],
 "workloads": [{"name": "users", "target": "server", "rate": "500/s"}],
 "variants": {"more": {"set": {"nodes.server.workers": 2}}},
 "expect": {"baseline": {"checks.conservation.ok": "== true"}}}
EOF

tops="an override starts with one of duration, window, warmup, zones, nodes, links, workloads, faults"
expect_refusal "--set with a misspelt first segment" \
  "--set: nodse.server.workers: unknown top-level key \"nodse\" (did you mean \"nodes\"?); $tops" \
  "$fl" run s.json --set nodse.server.workers=8 --check --no-files
expect_refusal "--set with a misspelt key" \
  "--set: nodes[0].wrkers: unknown key \"wrkers\" (did you mean \"workers\"?)" \
  "$fl" run s.json --set nodes.server.wrkers=8 --check --no-files
expect_refusal "--set of an expectation" \
  "--set: expect.baseline.X: expectations cannot be overridden; edit \"expect\" in the file" \
  "$fl" run s.json --set 'expect.baseline.X=< 0' --check --no-files
expect_refusal "--set of the seed" \
  "--set: seed: \"seed\" cannot be overridden: use --seed N (a variant runs on the baseline's seeds)" \
  "$fl" run s.json --set seed=3 --no-files
expect_refusal "sweep --param with a misspelt first segment" \
  "--param: nodse.x: unknown top-level key \"nodse\" (did you mean \"nodes\"?); $tops" \
  "$fl" sweep s.json --param nodse.x=1,2 --seeds 1 --out sweep-out
[ ! -e sweep-out ] && ok || bad "sweep with a bad --param wrote sweep-out"
expect_refusal "compare --set with a misspelt first segment" \
  "--set: nodse.server.workers: unknown top-level key \"nodse\" (did you mean \"nodes\"?); $tops" \
  "$fl" compare s.json --seeds 2 --set nodse.server.workers=8 --out cmp-out

# An optional key the file does not have is still settable, and changes the run.
"$fl" run s.json --set nodes.server.queue.capacity=1 --out opt >/dev/null 2>&1 && ok || bad "an optional key could not be set"
grep -q '"rejected":[[:space:]]*[1-9]' opt/summary.json 2>/dev/null && ok ||
  bad "queue.capacity=1 changed nothing (no request was rejected)"

# Names that are paths: refused at load, nothing written anywhere.
mkdir -p deep/er && cd deep/er || exit 1
sed 's/"more":/"..\/..\/ESCAPED":/' ../../s.json >v.json
"$fl" compare v.json --seeds 2 --out o >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && [ ! -e o ] && [ ! -e ../../ESCAPED ] && [ ! -e ../ESCAPED ] && ok ||
  bad "compare with variant ../../ESCAPED: exit $rc, or something was written"
sed 's/"name": "inputs"/"name": ".."/' ../../s.json >d.json
"$fl" run d.json >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && [ ! -e out ] && ok || bad "scenario named '..': exit $rc, or out/ was written"
sed 's/"name": "users"/"name": "a\/b"/; s/"target": "server", "rate"/"target": "server", "rate"/' ../../s.json >w.json
"$fl" compare w.json --seeds 2 --plot --out o >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'workloads\[0\].name: expected a name' "$tmp/err" && ok ||
  { bad "workload named a/b: compare exited $rc"; cat "$tmp/err"; }
cd "$tmp" || exit 1

# A figure that depends on the run: validate cannot see it; run --check exits 2 naming it.
sed 's/"checks.conservation.ok": "== true"/"nodes.server.no_such_figure": "> 0"/' s.json >f.json
"$fl" validate f.json >/dev/null 2>&1 && ok || bad "validate refused a figure under an existing node"
got=$("$fl" run f.json --check --no-files 2>&1 >/dev/null); rc=$?
want="f.json: expect.baseline.nodes.server.no_such_figure: no such figure in this run's summary (summary.json lists the figures the run reports)"
[ "$rc" = 2 ] && [ "$got" = "$want" ] && ok || { bad "missing figure: exit $rc"; echo "  want: $want"; echo "  got:  $got"; }

# A censored figure the run did not observe (recovery time of a run that did not recover)
# is a failed check (exit 1), not a mistake in the file (exit 2).
sed -e 's/"checks.conservation.ok": "== true"/"workloads.users.recovery.recovery_s": "< 5"/' \
    -e 's/"variants":/"faults": [{"crash": "server", "at": "1s", "for": "0.5s"}], "variants":/' s.json >c.json
got=$("$fl" run c.json --check --no-files 2>&1); rc=$?
if [ "$rc" = 1 ] && grep 'recovery_s < 5: got not observed in this run' <<<"$got" >/dev/null; then ok
else bad "censored figure not observed: exit $rc"; echo "$got" | tail -5; fi

echo "inputs: $pass passed, $fail failed"
[ "$fail" = 0 ]
