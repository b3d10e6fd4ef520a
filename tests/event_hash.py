#!/usr/bin/env python3
"""event_hash means what it says: over a folder of run folders named SCENARIO--VARIANT (every
variant of every bundled scenario, seed 1: tests/scenarios.sh writes them), whenever two
runs' summaries differ in any figure, their event hashes must differ too. Only the fields
that name the run or judge it are ignored (variant, overrides, event_hash itself,
expectations, verdict) and the settings a node's report repeats (a setting no event
exercised changes no outcome: split-brain-redis-sentinel's min-replicas-1 runs exactly as
its baseline). Two variants that produce the same figures may share a hash, two that do not
must not.

usage: event_hash.py RUNS_DIR
"""
import json, os, sys
root = sys.argv[1]
ignored = {"variant", "overrides", "event_hash", "expectations", "verdict"}
settings = {"kind", "workers", "failover", "members", "observers", "cross_region_promotion",
            "min_replicas_to_write", "pre_vote", "check_quorum", "reads", "failover_cost_s",
            "lease_margin_s", "timers"}
runs = {}
for d in sorted(os.listdir(root)):
    p = os.path.join(root, d, "summary.json")
    if not os.path.isfile(p):
        continue
    with open(p) as fh:
        s = json.load(fh)
    scenario = d.split("--")[0]
    for node in s.get("nodes", {}).values():
        for k in settings:
            node.pop(k, None)
    body = json.dumps({k: v for k, v in s.items() if k not in ignored}, sort_keys=True)
    runs.setdefault(scenario, []).append((s["variant"], s["event_hash"], body))
bad = n = 0
for scenario, rs in runs.items():
    for i in range(len(rs)):
        for j in range(i + 1, len(rs)):
            n += 1
            (va, ha, ba), (vb, hb, bb) = rs[i], rs[j]
            if ha == hb and ba != bb:
                bad += 1
                print(f"FAIL: {scenario}: {va} and {vb} differ but share event_hash {ha}")
            elif ha != hb and ba == bb:
                print(f"note: {scenario}: {va} and {vb} have the same figures, different hashes")
total = sum(len(r) for r in runs.values())
print(f"event_hash: {total} runs, {n} pairs, {bad} pairs with different figures and one hash")
sys.exit(1 if bad or total == 0 else 0)
