#!/usr/bin/env bash
# Lessons: every bundled incident (the scenarios at the top of SCENARIO_DIR) writes at least
# one lesson chart script (charts/lesson-*.gp: gnuplot is hidden here, since tests/plot.sh
# draws every chart of every scenario, lesson charts included), and its
# events.jsonl holds the moments its lesson turns on (a promotion and a heal for a split
# brain, key expiries for a stampede, ...). events.jsonl stays small: no (event, node)
# pair has more than 40 lines, and a capped pair says how many it left out.
# usage: lessons.sh FAULTLINE SCENARIO_DIR
set -uo pipefail
fl=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
# has NAME EVENT [TEXT]: NAME's events.jsonl has an EVENT line (whose label holds TEXT)
has() {
  if grep "\"event\":\"$2\"" "$tmp/$1/events.jsonl" | grep -c -- "${3:-}" >/dev/null; then ok; else
    bad "$1: events.jsonl has no $2 event${3:+ with \"$3\"}"; fi
}
for f in "$dir"/*.json; do
  n=$(basename "$f" .json)
  var=(); [ "$n" = breaker-degradation ] && var=(--variant breaker)
  [ "$n" = slow-replica-quorum ] && var=(--variant speculative-retry)
  if ! PATH="$tmp/nobin" "$fl" run "$f" "${var[@]}" --plot --quiet --out "$tmp/$n" >/dev/null 2>"$tmp/err"; then
    bad "$n: run --plot failed"; cat "$tmp/err"; continue
  fi
  ls "$tmp/$n"/charts/lesson-*.gp >/dev/null 2>&1 && ok || bad "$n: no charts/lesson-*.gp"
  # at most 40 lines per (event, node); kinds' lines carry a node and a label
  over=$(grep '"node":' "$tmp/$n/events.jsonl" | grep -v '"events-capped"' |
         sed 's/.*"event":"\([^"]*\)".*"node":"\([^"]*\)".*/\1 \2/' | sort | uniq -c | awk '$1 > 40')
  [ -z "$over" ] && ok || bad "$n: more than 40 lines for: $over"
done
# The retry storm's lesson chart says which span is the trigger and which the sustaining
# effect, and where nothing succeeded (the metastable-failure picture).
for want in 'trigger: api 4x slower (60-70 s)' 'sustaining: not recovered after the trigger' \
            'no request succeeded'; do
  grep -qF "$want" "$tmp/retry-storm/charts/lesson-clients-tries.gp" && ok ||
    bad "retry-storm: lesson-clients-tries.gp has no \"$want\" span"
done
grep -qF 'sustaining' "$tmp/split-brain-redis-sentinel/charts/lesson-redis-roles.gp" &&
  bad "split-brain: a sustaining span on a run that is not about overload" || ok
has split-brain-redis-sentinel promotion "n3 promoted"
has split-brain-redis-sentinel heal "2 primaries"
has split-brain-redis-sentinel reconciliation "643 writes it held discarded"
has split-brain-github-2018 promotion
has split-brain-github-2018 heal
has cache-stampede key-expiry "key 1 expires"
has cache-stampede recompute
has poison-pill rebalance-start
has poison-pill rebalance-end
has poison-pill poison-pill "p0 offset"
has breaker-degradation breaker-open
has breaker-degradation breaker-half-open
has breaker-degradation breaker-close
has connection-storm join-wave "trigger: 200000 users join"
has connection-storm disconnect-wave
has connection-storm disconnect-wave-end "clients dropped"
has replica-lag rate-step "trigger: app 1500/s"
has replica-lag replica-behind
has lock-gc-pause lease-expiry
has lock-gc-pause violation "two holders"
has lock-gc-pause acquisition
has pool-exhaustion pool-exhausted
has retry-storm not-recovered
has breaker-degradation recovered
has grpc-lb-pinning backend-join "18 backends join the pool (20 in all): pinned connections stay"
has autoscale-lag scale-up "utilisation 1 (target 0.6): 10 -> 17 instances"
has autoscale-lag instances-ready "4 instances join, cold (10 in the pool)"
has oom-cascade oom "killed (1): out of memory (4096 MB, 7680 requests held)"
has oom-cascade oom "killed (2): out of memory"
has oom-cascade backend-ejected "refused or timed out"
has slow-replica-quorum speculating "of requests speculate"
has quorum-loss promotion "m3 promoted"
has redelivery-storm redeliveries "visibility timeout"
has bad-config-push rollout-wave "100 of 100 backends"
has bad-config-push rollback "manual rollback"
has lb-failover-herd failover "now answers lb-west"
has lb-failover-herd backend-unhealthy "lb-east failed 3 health checks"
has raft-partial-partition promotion "promoted (term"
has raft-partial-partition demotion "m3 steps down (term 1)"
has leader-flapping promotion "promoted (term 2)"
has clock-skew-lease demotion "m1 steps down (term 1)"
has clock-skew-lease promotion "promoted (term 2)"
# a rate step up is a window (shaded as the trigger), a step down a moment
grep -m1 '"rate-step"' "$tmp/replica-lag/events.jsonl" | grep '"until_s":100' >/dev/null && ok ||
  bad "replica-lag: the rate step up has no until_s"
# key expiries that run past the cap are counted, not written
has config-cache-feedback-2010 events-capped "more recompute lines not written"
# lines in time order
for n in split-brain-redis-sentinel lock-gc-pause cache-stampede; do
  sed 's/^{"t_s":\([^,]*\),.*/\1/' "$tmp/$n/events.jsonl" | sort -g -c 2>/dev/null && ok ||
    bad "$n: events.jsonl is not in time order"
done
# the split-brain chart names who was primary and says what was lost
gp="$tmp/split-brain-redis-sentinel/charts/lesson-redis-roles.gp"
grep -q "^heading = 'redis: two primaries for 76 s; 643 acknowledged writes lost'" "$gp" && ok ||
  bad "split-brain: the roles chart's title does not state the lesson"
grep -q "set ytics ('n5' 1, 'n4' 2, 'n3' 3, 'n2' 4, 'n1' 5)" "$gp" && ok ||
  bad "split-brain: the roles chart does not name one row per member"
# the cold cache's chart is its own: the hit ratio and the database against its capacity,
# the title's figures computed from the run (the database offered 1.4x its ~80/s)
gp="$tmp/cold-cache-restart/charts/lesson-cache-warmup.gp"
grep -q "^heading = 'cache''s hit ratio falls from 1 to 0\.0[0-9]* at 10810 s: db peaks at 1\.[2-9]x its capacity; it never comes back'" "$gp" && ok ||
  bad "cold-cache-restart: lesson-cache-warmup.gp's title does not state the database's peak against its capacity"
grep -q "db capacity ~80" "$gp" && grep -qF "val('cache.hits_per_s') / (val('cache.hits_per_s') + val('cache.misses_per_s'))" "$gp" && ok ||
  bad "cold-cache-restart: lesson-cache-warmup.gp draws no capacity line or no hit ratio"
grep -q '"lesson-cache-warmup"' "$dir/cold-cache-restart.json" && ok ||
  bad "cold-cache-restart: its \"charts\" list does not name lesson-cache-warmup"
echo "lessons: $pass passed, $fail failed"
[ "$fail" = 0 ]
