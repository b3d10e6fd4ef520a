/* The figure catalogue: see figures.h.
 *
 * Order matters: the first matching pattern wins, so an entry for one kind's figure comes
 * before a general one with the same last key ("**.poison.published", a flag, before
 * "**.published", a count). Directions follow each kind's report comment: "lower" for
 * what a user pays (latency, errors, lost or duplicated work, lag, time unavailable),
 * "higher" for what a user gets (goodput, hits, acknowledged writes, a check holding),
 * "neither" for settings, sizes, and counts of a mechanism doing its job (dropped past
 * deadline, fenced writes, failovers), where more or less is not by itself a lesson. */
#include <faultline/figures.h>

#include <string.h>

#define H FL_BETTER_HIGHER
#define L FL_BETTER_LOWER
#define X FL_BETTER_NEITHER
/* KIND: the node kinds that write the entries that follow (redefined per section). */
#define NUM(p, u, l, b) {p, u, l, b, FL_FIGURE_NUMBER, 0, NULL, NULL, KIND, 0}
#define FLOOR(p, u, l, b, fl) {p, u, l, b, FL_FIGURE_NUMBER, fl, NULL, NULL, KIND, 0}
#define CNT(p, l, b) {p, "", l, b, FL_FIGURE_COUNT, 0, NULL, NULL, KIND, 0}
#define FLAG(p, l, b) {p, "", l, b, FL_FIGURE_FLAG, 0, NULL, NULL, KIND, 0}
#define CENS(p, l, flag, origin) {p, "s", l, L, FL_FIGURE_CENSORED, 0, flag, origin, KIND, 0}
/* A safety property (figures.h: invariant): a count or time a correct design keeps at 0. */
#define SAFE_CNT(p, l) {p, "", l, L, FL_FIGURE_COUNT, 0, NULL, NULL, KIND, 1}
#define SAFE_NUM(p, u, l) {p, u, l, L, FL_FIGURE_NUMBER, 0, NULL, NULL, KIND, 1}
#define KIND NULL

static const fl_figure_info table[] = {
    /* The run itself. */
    NUM("duration_s", "s", "run length", X),
    NUM("simulated_s", "s", "simulated time", X),
    NUM("warmup_s", "s", "warm-up", X),
    NUM("window_s", "s", "window", X),
    CNT("seed", "seed", X),
    CNT("events", "events", X),
    CNT("pending_max", "pending events peak", X),
    FLAG("complete", "run complete", X),
    CNT("network.messages_sent", "messages sent", X),
    CNT("network.lost_*", "messages lost", L),
    /* With per-link detail (node links, duplication, reordering, bandwidth: net/link.c). */
    CNT("network.duplicated", "messages duplicated", X),
    CNT("network.reordered", "messages reordered", X),
#define LINK(set)                                                                               \
    CNT("network." set ".*.sent", "messages sent on the link", X),                             \
    CNT("network." set ".*.lost_*", "messages lost on the link", L),                           \
    CNT("network." set ".*.duplicated", "messages duplicated on the link", X),                 \
    CNT("network." set ".*.reordered", "messages reordered on the link", X),                   \
    FLAG("network." set ".*.fifo", "link delivers in order", X),                               \
    NUM("network." set ".*.bandwidth_bit_s", "bit/s", "link bandwidth", X),                    \
    CNT("network." set ".*.bytes", "bytes carried", X),                                        \
    NUM("network." set ".*.busy_s", "s", "link busy", X),                                      \
    NUM("network." set ".*.queueing_ms_mean", "ms", "link queueing, mean", L),                 \
    NUM("network." set ".*.queueing_ms_max", "ms", "link queueing, max", L)
    LINK("zone_links"),
    LINK("node_links"),
#undef LINK

    /* Checks (sim/check, world.c). */
    FLAG("checks.*.ok", "check holds", H),
    NUM("checks.littles_law.max_rel_diff", "fraction", "Little's law gap", L),
    CNT("checks.conservation.*", "requests", X),
    CNT("consistency.operations", "operations", X),
    CNT("consistency.linearizability.keys_not_linearizable.count", "keys not linearizable", L),
    NUM("consistency.linearizability.keys_not_linearizable.rate", "fraction",
        "keys not linearizable", L),
    CNT("consistency.linearizability.keys_not_linearizable.of", "keys", X),
    CNT("consistency.linearizability.*", "linearizability", X),
    CNT("consistency.*.count", NULL, L),
    NUM("consistency.*.rate", "fraction", NULL, L),
    CNT("consistency.*.of", "operations", X),

    /* Workloads (workload.c, caller.c). */
    FLAG("workloads.*.recovery.recovered", "recovered", H),
    CENS("workloads.*.recovery.recovery_s", "recovery", "recovered", "faults_end_s"),
    NUM("workloads.*.recovery.goodput_after_faults_per_s", "/s", "goodput after the faults", H),
    NUM("workloads.*.recovery.faults_end_s", "s", "faults end", X),
    NUM("workloads.*.recovery.*", "/s", "recovery reference", X),
    NUM("workloads.*.goodput_per_s", "/s", "goodput", H),
    NUM("workloads.*.throughput_per_s", "/s", "throughput", H),
    NUM("workloads.*.error_rate", "fraction", "error rate", L),
    NUM("workloads.*.slo_attainment", "fraction", "SLO attainment", H),
    NUM("workloads.*.slo_ms", "ms", "SLO", X),
    CNT("workloads.*.slo_requests", "requests with a known SLO outcome", X),
    CNT("workloads.*.slo_met", "requests within the SLO", H),
    CNT("workloads.*.slo_undecided", "requests still in flight within the SLO", X),
    CNT("workloads.*.errors", "errors", L),
    CNT("workloads.*.ok", "requests ok", H),
    CNT("workloads.*.issued", "requests issued", X),
    CNT("workloads.*.in_flight_at_end", "in flight at the end", L),
    CNT("workloads.*.clients", "clients", X),
    CNT("workloads.*.clients_done", "clients done", H),
    NUM("workloads.*.completion_s", "s", "time until the last client was done", L),
    CNT("workloads.*.errors_by_cause.*", "errors", L),
    NUM("workloads.*.latency_ms.*_ci9*", "ms", "latency interval", X),
    CNT("workloads.*.latency_ms.count", "latencies", X),
    NUM("workloads.*.latency_ms.*", "ms", "latency", L),
    NUM("workloads.*.success_latency_ms.*_ci9*", "ms", "success latency interval", X),
    CNT("workloads.*.success_latency_ms.count", "successes", X),
    NUM("workloads.*.success_latency_ms.*", "ms", "success latency", L),

    /* A caller's tries (caller.c: workloads and service calls). */
    NUM("**.retry_amplification", "ratio", "retry amplification", L),
    CNT("**.tries", "tries", X),
    CNT("**.try_errors_by_cause.*", "try errors", L),
    CNT("**.try_latency_ms.count", "tries", X),
    NUM("**.try_latency_ms.*", "ms", "try latency", L),
    CNT("**.pool.size", "pool size", X),
    CNT("**.pool.waits", "pool waits", L),
    CNT("**.pool.timeouts", "pool timeouts", L),
    NUM("**.pool.mean_wait_ms", "ms", "pool wait", L),
    CNT("**.breaker.opened", "breaker openings", X),
    CNT("**.breaker.short_circuited", "short-circuited", X),
    CNT("**.breaker.fallbacks", "fallbacks", X),
    CNT("**.hedge.sent", "hedges sent", X),
    CNT("**.hedge.won", "hedges won", X),
    CNT("**.hedge.abandoned_tries", "abandoned tries", L),
    NUM("**.hedge.delay_ms_at_end", "ms", "hedge delay", X),

#undef KIND
#define KIND "service cache store quorum"
    /* A station (node/station.c): services, members of stores, caches. */
    NUM("**.*_ci95", "", "interval", X),
    NUM("**.*_ci999", "", "interval", X),
    /* Present only when the batch means failed the independence test (core/stats.h). */
    FLAG("**.*_ci_reliable", "interval reliable", X),
    NUM("**.littles_law.*", "", "Little's law", X),
    CNT("**.sojourn_ms.count", "served", X),
    NUM("**.sojourn_ms.*", "ms", "sojourn", L),
    CNT("**.wait_ms.count", "waits", X),
    NUM("**.wait_ms.*", "ms", "queue wait", L),
    NUM("**.utilisation", "fraction", "utilisation", X),
    NUM("**.in_system_mean", "", "in system", L),
    NUM("**.queue_mean", "", "queue length", L),
    NUM("**.p_wait", "fraction", "share that waited", L),
    NUM("**.p_rejected", "fraction", "share refused for want of room", L),
    NUM("**.wasted_fraction", "fraction", "wasted work", L),
    NUM("**.wasted_work_s", "s", "wasted work", L),
    NUM("**.cancelled_work_s", "s", "work then cancelled", X),
    NUM("**.work_s", "s", "work", X),
    CNT("**.dropped_past_deadline", "dropped past deadline", X),
    CNT("**.cancelled", "cancelled by the server", X),
    CNT("nodes.*.never_answered", "never answered (hang)", L),
    CNT("**.expired", "expired in queue", L),
    CNT("**.lost_in_crash", "lost in crash", L),
    CNT("**.received", "received", X),
    CNT("**.served", "served", X),
    CNT("**.rejected", "rejected", L),
    CNT("**.workers", "workers", X),

#undef KIND
#define KIND "cache"
    /* cache.c */
    NUM("nodes.*.hit_ratio", "fraction", "hit ratio", H),
    CNT("nodes.*.hits", "hits", H),
    CNT("nodes.*.misses", "misses", L),
    CNT("nodes.*.stale_served", "stale served", X),
    CNT("nodes.*.early_recomputes", "early recomputes", X),
    CNT("nodes.*.lease_waits", "lease waits", X),
    CNT("nodes.*.backend_fetches", "backend queries", L),
    CNT("nodes.*.backend_errors", "backend errors", L),
    NUM("nodes.*.backend_fetch_peak_per_s", "/s", "backend query peak", L),
    CNT("nodes.*.miss_episodes", "miss episodes", X),
    NUM("nodes.*.fetches_per_episode", "", "backend queries per expiry", L),
    CNT("nodes.*.deletes_on_error", "deletes on error", X),
    CNT("nodes.*.write_errors", "write errors", L),
    CNT("nodes.*.invalidations", "invalidations", X),
    CNT("nodes.*.evictions", "evictions", X),
    CNT("nodes.*.warm_tier.fetches", "misses fetched from the warm tier", X),
    CNT("nodes.*.entries_at_end", "entries at the end", X),

#undef KIND
#define KIND "broker"
    /* broker.c */
    FLAG("**.poison.published", "poison published", X),
    NUM("**.poison.published_s", "s", "poison published at", X),
    CNT("**.poison.*", "poison", X),
    CNT("nodes.*.dead_letter.*", "dead-lettered", X),
    CNT("nodes.*.partitions.*.log_end", "log end", X),
    CNT("nodes.*.published", "published", X),

#undef KIND
#define KIND "consumer"
    /* consumer.c */
    /* Produced messages never processed (fl_check_messages); label as "nodes.*.*.count". */
    SAFE_CNT("nodes.*.lost.count", NULL),
    CNT("nodes.*.rebalances", "rebalances", L),
    CNT("nodes.*.crashes", "crashes", L),
    CNT("nodes.*.restarts", "restarts", X),
    CNT("nodes.*.uncommitted_at_crash", "uncommitted at crash", L),
    CNT("nodes.*.dropped_members", "members dropped", L),
    CNT("nodes.*.processed", "processed", H),
    CNT("nodes.*.failed_attempts", "failed attempts", L),
    CNT("nodes.*.dead_lettered", "dead-lettered", X),
    CNT("nodes.*.to_retry_topic", "to the retry topic", X),
    CNT("nodes.*.skipped", "skipped", L),
    CNT("nodes.*.reprocessed", "reprocessed", L),
    CNT("nodes.*.partitions.*.committed", "committed", X),
    CNT("nodes.*.partitions.*.lag_*", "lag", L),
    NUM("nodes.*.partitions.*.stalled_s", "s", "stalled", L),
    CNT("nodes.*.partitions.*.published_while_stalled", "published while stalled", X),
    NUM("nodes.*.partitions.*.stall_lag_ratio", "ratio", "lag per stall", L),
    CNT("nodes.*.lag.*", "lag", L),
    NUM("nodes.*.stalled_s_*", "s", "stalled", L),
    NUM("nodes.*.max_delay_s", "s", "longest delay", L),
    NUM("nodes.*.oldest_unprocessed_s", "s", "oldest unprocessed", L),
    /* consumer_queue.c ("delivery": "queue") */
    NUM("nodes.*.visibility_timeout_s", "s", "visibility timeout", X),
    CNT("nodes.*.receives", "receives", X),
    CNT("nodes.*.redeliveries", "redeliveries", L),
    CNT("nodes.*.processings", "processings", X),
    CNT("nodes.*.duplicates", "duplicate processings", L),
    CNT("nodes.*.duplicates_skipped", "duplicates skipped (idempotent)", X),
    CNT("nodes.*.deleted", "deleted", H),
    CNT("nodes.*.stale_deletes", "deletes with an old receipt", L),
    CNT("nodes.*.extensions", "visibility extensions", X),
    CNT("nodes.*.backlog_end", "backlog at the end", L),

#undef KIND
#define KIND "election"
    /* election.c */
    FLAG("nodes.*.cross_region_promotion", "cross-region promotion", X),
    CNT("nodes.*.min_replicas_to_write", "min replicas to write", X),
    CNT("nodes.*.observers", "observers", X),
    CNT("nodes.*.failovers", "failovers", X),
    /* raft (election_raft.c): every leader change costs a reconnect (failover_cost) */
    FLAG("nodes.*.pre_vote", "PreVote", X),
    FLAG("nodes.*.check_quorum", "CheckQuorum", X),
    NUM("nodes.*.failover_cost_s", "s", "failover cost", X),
    NUM("nodes.*.lease_margin_s", "s", "lease margin", X), /* only when set */
    CNT("nodes.*.leader_changes", "leader changes", L),
    CNT("nodes.*.elections", "elections (term increments)", X),
    CNT("nodes.*.prevotes_lost", "pre-votes lost", X),
    CNT("nodes.*.disruptions", "leaders deposed by a higher term", L),
    NUM("nodes.*.leaderless_s", "s", "no leader taking writes", L),
    CNT("nodes.*.reads_refused", "reads refused", L),
    /* degraded_reads "stale" (only then reported): reads answered from a member's own copy
     * with no leader to confirm them, of them stale; unavailable_s counts writes, this reads */
    CNT("nodes.*.reads_served_degraded", "reads served degraded", X),
    CNT("nodes.*.degraded_stale_reads", "degraded reads stale", L),
    NUM("nodes.*.reads_unavailable_s", "s", "no read answered", L),
    CNT("nodes.*.stepdowns", "stepdowns", X),
    CNT("nodes.*.primaries_at_end", "primaries at the end", L),
    CNT("nodes.*.primaries_at_heal", "primaries at the heal", L),
    CNT("nodes.*.term_at_end", "term at the end", X),
    CNT("nodes.*.requests_lost", "requests lost", L),
    CNT("nodes.*.reconciliations", "reconciliations", X),
    CNT("nodes.*.discarded_by_members", "writes discarded", L),
    CNT("nodes.*.writes_discarded", "writes discarded", L),
    CNT("nodes.*.heals", "heals", X),
    NUM("nodes.*.unavailable_s", "s", "unavailable", L),
    NUM("nodes.*.unavailable_s_by_zone.*", "s", "unavailable", L),
    CNT("nodes.*.writes_acked_by_zone.*", "writes acknowledged", H),
    /* Where the acknowledging member stood: which side took writes, not a gain or a loss. */
    CNT("nodes.*.writes_acked_by_member_zone.*", "writes acknowledged by members there", X),
    CNT("nodes.*.out_of_memory_events", "out of memory", L),
    CNT("nodes.*.by_member.*.discarded_writes", "writes discarded", L),
    NUM("nodes.*.by_member.*.accepting_s", "s", "accepting writes", X),
    CNT("nodes.*.by_member.*.*", "member", X),
    SAFE_NUM("nodes.*.split_brain.seconds", "s", "split brain"),
    CNT("**.split_brain.count", "split-brain writes", L),
    NUM("**.split_brain.rate", "fraction", "split-brain writes", L),
    CNT("**.split_brain.of", "writes", X),

#undef KIND
#define KIND "store election"
    /* Acknowledged writes the surviving replica does not have (fl_check_lost_writes). The
     * label stays that of "nodes.*.*.count" (none: the path says it), so that no output
     * that printed it before changes. */
    SAFE_CNT("nodes.*.lost_writes.count", NULL),

#undef KIND
#define KIND "store"
    /* store.c */
    CNT("nodes.*.replicas", "replicas", X),
    CNT("nodes.*.acks_needed", "acks needed", X),
    CNT("nodes.*.writes_committed", "writes committed", X),
    CNT("nodes.*.writes_acked", "writes acknowledged", H),
    CNT("nodes.*.acks_lost_in_crash", "acknowledgements lost in crash", L),
    NUM("nodes.*.members.*.lag_s", "s", "replica lag", L),
    NUM("nodes.*.members.*.max_lag_s", "s", "replica lag peak", L),
    CNT("nodes.*.members.*.lag_writes", "replica lag", L),
    CNT("nodes.*.members.*.max_lag_writes", "replica lag peak", L),
    CNT("nodes.*.members.*.applied", "applied", X),
    NUM("nodes.*.max_lag_s", "s", "replica lag peak", L),
    CNT("nodes.*.max_lag_writes", "replica lag peak", L),
    NUM("nodes.*.lag_s_at_end", "s", "replica lag at the end", L),
    CNT("nodes.*.lag_writes_at_end", "replica lag at the end", L),
    CNT("nodes.*.reads_primary", "reads on the primary", X),
    CNT("nodes.*.reads_replicas", "reads on replicas", X),
    NUM("nodes.*.primary_read_share", "fraction", "primary read share", X),
    CNT("nodes.*.stale_reads_vs_committed", "replica reads older than the primary's committed write", L),
    CNT("nodes.*.stale_reads_vs_acked", "replica reads older than the latest acknowledged write", L),

#undef KIND
#define KIND "occ"
    /* occ.c */
    CNT("nodes.*.commits", "commits", X),
    CNT("nodes.*.conflicts", "conflicts", L),
    NUM("nodes.*.conflict_rate", "fraction", "conflict rate", L),
    CNT("nodes.*.wasted_commits", "commits for nobody", L),
    CNT("nodes.*.records", "records", X),

#undef KIND
#define KIND "lock"
    /* lock.c, lock_client.c, lock_storage.c */
    CNT("nodes.*.expirations", "leases expired", L),
    CNT("nodes.*.grants", "grants", X),
    CNT("nodes.*.last_token", "last token", X),
    CNT("nodes.*.late_releases", "late releases", L),
    CNT("nodes.*.refusals", "refusals", X),
    CNT("nodes.*.releases", "releases", X),
    NUM("nodes.*.ttl_s", "s", "lease", X),
#undef KIND
#define KIND "lock_client"
    CNT("nodes.*.acquisitions", "acquisitions", X),
    CNT("nodes.*.failed_acquisitions", "failed acquisitions", X),
    CNT("nodes.*.fences_ok", "fences accepted", X),
    CNT("nodes.*.fences_failed", "fences rejected or timed out", X),
    CNT("nodes.*.holds", "holds", X),
    CNT("nodes.*.expired_while_held", "leases expired while held", L),
    NUM("nodes.*.max_overrun_s", "s", "overrun", L),
    CNT("nodes.*.quorum", "quorum", X),
    CNT("nodes.*.servers", "servers", X),
    CNT("nodes.*.writes_fenced", "writes fenced", X),
    CNT("nodes.*.writes_ok", "writes ok", X),
    CNT("nodes.*.writes_unknown", "writes with unknown outcome", L),
#undef KIND
#define KIND "lock_storage"
    FLAG("nodes.*.fencing", "fencing", X),
    CNT("nodes.*.highest_token", "highest token", X),
    CNT("nodes.*.stale_writes_accepted", "stale writes accepted", L),
    CNT("nodes.*.writes_rejected", "writes rejected", X),
#undef KIND
#define KIND "lock_storage"
    SAFE_CNT("nodes.*.mutual_exclusion_violations.count", "mutual exclusion violations"),
    NUM("nodes.*.mutual_exclusion_violations.rate", "fraction", "mutual exclusion violations", L),
    CNT("nodes.*.mutual_exclusion_violations.of", "holds", X),
    CNT("nodes.*.fenced_writes.*", "fenced writes", X),
    NUM("nodes.*.fenced_writes.rate", "fraction", "fenced writes", X),

#undef KIND
#define KIND "gateway"
    /* gateway.c */
    CNT("nodes.*.connected.now", "connected at the end", H),
    CNT("nodes.*.connected.min", "fewest connected", H),
    CNT("nodes.*.connected.*", "connected", X),
    CNT("nodes.*.clients", "clients", X),
    FLAG("nodes.*.newcomers.all_admitted", "all newcomers admitted", H),
    CENS("nodes.*.newcomers.all_admitted_s", "time to admit all newcomers", "all_admitted", NULL),
    CNT("nodes.*.newcomers.admitted", "newcomers admitted", H),
    CNT("nodes.*.newcomers.*", "newcomers", X),
    CNT("nodes.*.handshakes.wasted", "wasted handshakes", L),
    CNT("nodes.*.handshakes.timed_out", "handshakes timed out", L),
    CNT("nodes.*.handshakes.failed", "handshakes failed", L),
    NUM("nodes.*.handshakes.per_s", "/s", "handshakes", X),
    CNT("nodes.*.handshakes.*", "handshakes", X),
    CNT("nodes.*.attempts", "attempts", X),
    CNT("nodes.*.reconnect_attempts", "reconnect attempts", L),
    CNT("nodes.*.syn_retransmissions", "SYN retransmissions", L),
    CNT("nodes.*.accept_queue_overflows", "accept queue overflows", L),
    CNT("nodes.*.overflow_episodes", "overflow episodes", L),
    CNT("nodes.*.admission_rejected", "admission rejected", X),
    CNT("nodes.*.refused.*", "refused", L),
    CNT("nodes.*.heartbeats.answered", "heartbeats answered", X),
    CNT("nodes.*.heartbeats.sent", "heartbeats sent", X),
    NUM("nodes.*.client_record_bytes", "bytes", "bytes per client record", X),
    CNT("nodes.*.heartbeats.*", "heartbeats missed", L),
    CNT("nodes.*.heartbeat_misses", "heartbeats missed", L),
    CNT("nodes.*.disconnects.crash", "disconnected by the crash", X),
    CNT("nodes.*.disconnects.*", "disconnects", L),
    FLAG("nodes.*.recovery.restored", "connections restored", H),
    CENS("nodes.*.recovery.restored_s", "time to restore connections", "restored", NULL),
    CNT("nodes.*.recovery.connected_before", "connected before the crash", X),
    CNT("nodes.*.messages.served", "messages served", X),
    CNT("nodes.*.messages.*", "messages refused", L),
    NUM("nodes.*.cpu_s.*", "s", "CPU", X),

#undef KIND
#define KIND "ratelimit"
    /* ratelimit.c */
    NUM("nodes.*.rate_per_s", "/s", "rate limit", X),
    CNT("nodes.*.burst", "burst", X),
    CNT("nodes.*.admitted", "admitted", X),
    CNT("nodes.*.rate_limited", "rate limited", X),

#undef KIND
#define KIND "balancer"
    /* balancer.c */
    NUM("nodes.*.after_join.max_to_mean", "ratio",
        "busiest backend's requests over the mean, after the last join", L),
    CNT("nodes.*.after_join.idle_backends", "backends sent under a tenth of the mean", L),
    CNT("nodes.*.after_join.sent", "sent after the last join", X),
    NUM("nodes.*.after_join.from_s", "s", "last join", X),
    CNT("nodes.*.by_backend.*.sent", "sent to the backend", X),
    CNT("nodes.*.by_backend.*.sent_after_join", "sent to the backend after the last join", X),
    CNT("nodes.*.by_backend.*.connections", "connections at the end", X),
    CNT("nodes.*.backends", "backends in the pool", X),
    CNT("nodes.*.sent", "sent", X),
    CNT("nodes.*.connections", "connections", X),
    CNT("nodes.*.reconnects", "reconnects (connection age)", X),
    CNT("nodes.*.ejections", "backends ejected", X),
    CNT("nodes.*.by_backend.*.ejections", "ejections", X),
    CNT("nodes.*.health_checks.sent", "health checks sent", X),
    CNT("nodes.*.health_checks.failed", "health checks failed", L),
    CNT("nodes.*.health_checks.unhealthy_events", "backends found unhealthy", X),
    CNT("nodes.*.health_checks.unhealthy_at_end", "backends unhealthy at the end", L),
    CNT("nodes.*.failovers", "answer changes (failover)", X),
    CNT("nodes.*.dns.resolutions", "DNS resolutions", X),
    CNT("nodes.*.dns.stale_sent", "requests sent to a stale cached answer", L),
    NUM("nodes.*.dns.last_stale_s", "s", "last request to a stale answer", L),
    CNT("nodes.*.hot_keys.keys", "hot keys", X),
    CNT("nodes.*.hot_keys.ways", "sub-keys or replicas per hot key", X),
    CNT("nodes.*.hot_keys.sent", "requests for hot keys", X),
    NUM("nodes.*.hot_keys.share", "fraction", "hot keys' share of the requests", X),
    CNT("nodes.*.hot_keys.write_copies", "hot-key write copies", X),
    /* rollout.c, in the balancer's report */
    CNT("nodes.*.rollout.backends", "backends a rollout may reach", X),
    CNT("nodes.*.rollout.waves_begun", "rollout waves begun", X),
    CNT("nodes.*.rollout.updated_max", "backends at most on the new version", L),
    NUM("nodes.*.rollout.updated_fraction_max", "fraction",
        "largest share of the backends on the new version", L),
    NUM("nodes.*.rollout.first_wave_s", "s", "first rollout wave", X),
    FLAG("nodes.*.rollout.rolled_back", "rolled back", X),
    NUM("nodes.*.rollout.rollback_s", "s", "rollback", L),
    NUM("nodes.*.rollout.signal", "", "health signal that rolled back", X),
    NUM("nodes.*.rollout.exposure_backend_s", "s", "backend-seconds on the new version", L),
    NUM("nodes.*.rollout.exposure_fraction", "fraction",
        "share of the fleet's time on the new version", L),

#undef KIND
#define KIND "autoscaler"
    /* autoscaler.c */
    NUM("nodes.*.saturated_s", "s", "seconds the pool's workers were 95% busy or more", L),
    CNT("nodes.*.scale_ups", "scale-ups", X),
    CNT("nodes.*.scale_downs", "scale-downs", X),
    CNT("nodes.*.instances_added", "instances added", X),
    CNT("nodes.*.instances_start", "instances at the start", X),
    CNT("nodes.*.instances_max", "instances at most", X),
    CNT("nodes.*.instances_end", "instances at the end", X),
    NUM("nodes.*.first_scale_up_s", "s", "first scale-up", X),
    NUM("nodes.*.last_ready_s", "s", "last instance ready", X),
    NUM("nodes.*.target", "", "metric target", X),

#undef KIND
#define KIND "service"
    /* service.c: a cold restart, and the memory bound */
    CNT("nodes.*.cold_restarts", "cold restarts", X),
    CNT("nodes.*.oom_kills", "killed out of memory", L),
    NUM("nodes.*.memory_peak_mb", "MB", "memory peak", L),
    NUM("nodes.*.memory_limit_mb", "MB", "memory limit", X),
    NUM("nodes.*.first_oom_s", "s", "first out-of-memory kill", X),
    CNT("nodes.*.server_errors", "answered server_error (a rollout's bad version)", L),

#undef KIND
#define KIND "quorum"
    /* quorum.c */
    CNT("nodes.*.read_latency_ms.count", "quorum reads", X),
    NUM("nodes.*.read_latency_ms.*", "ms", "read latency", L),
    CNT("nodes.*.write_latency_ms.count", "quorum writes", X),
    NUM("nodes.*.write_latency_ms.*", "ms", "write latency", L),
    CNT("nodes.*.r", "read quorum R", X),
    CNT("nodes.*.w", "write quorum W", X),
    CNT("nodes.*.quorum_reads", "reads answered", X),
    CNT("nodes.*.quorum_writes", "writes acknowledged", X),
    NUM("nodes.*.stale_read_rate", "fraction", "stale-read probability", L),
    CNT("nodes.*.speculative_retries", "speculative retries", X),
    CNT("nodes.*.read_repairs", "read repairs", X),
    CNT("nodes.*.request_timeouts", "coordinator timeouts", L),
    CNT("nodes.*.members.*.writes_applied", "writes applied", X),
    CNT("nodes.*.members.*.dropped", "dropped after waiting past the timeout", L),

#undef KIND
#define KIND "store election consumer"
    /* Shared by several kinds: sizes, reads and writes, checks over histories. */
    CNT("nodes.*.members", "members", X),
#undef KIND
#define KIND "service store election gateway broker occ balancer"
    CNT("nodes.*.refused", "refused", L),
#undef KIND
#define KIND "store election quorum"
    CNT("**.reads_served", "reads served", X),
#undef KIND
#define KIND "election quorum"
    CNT("nodes.*.stale_reads", "stale reads", L),
#undef KIND
#define KIND "cache store election lock_storage"
    CNT("nodes.*.reads", "reads", X),
#undef KIND
#define KIND "cache store election lock_client lock_storage"
    CNT("nodes.*.writes", "writes", X),
#undef KIND
#define KIND "election lock_storage"
    CNT("nodes.*.writes_accepted", "writes accepted", X),
#undef KIND
#define KIND "election"
    CNT("nodes.*.writes_refused", "writes refused", L),
#undef KIND
#define KIND "store"
    NUM("nodes.*.members.*.utilisation", "fraction", "utilisation", X),
#undef KIND
#define KIND NULL
    CNT("nodes.*.*.count", NULL, L),
    NUM("nodes.*.*.rate", "fraction", NULL, L),
    CNT("nodes.*.*.of", "operations", X),

    /* node/clock.c */
    NUM("nodes.*.clock.*", "", "clock", X),
};

#undef KIND

int fl_figure_of_kind(const fl_figure_info *f, const char *kind)
{
    size_t n = strlen(kind);
    for (const char *k = f->kinds; k && *k; k += strcspn(k, " "), k += *k == ' ') {
        if (strncmp(k, kind, n) == 0 && (k[n] == ' ' || k[n] == 0))
            return 1;
    }
    return 0;
}

const fl_figure_info *fl_figure_table(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}

/* Glob within one key: '*' matches any run of characters. s and p end at '.' or NUL. */
static int key_match(const char *p, const char *pe, const char *s, const char *se)
{
    while (p < pe) {
        if (*p == '*') {
            for (const char *t = se;; t--) {
                if (key_match(p + 1, pe, t, se))
                    return 1;
                if (t == s)
                    return 0;
            }
        }
        if (s == se || *p != *s)
            return 0;
        p++, s++;
    }
    return s == se;
}

static const char *key_end(const char *s) { return s + strcspn(s, "."); }

int fl_figure_match(const char *p, const char *s)
{
    if (!*p)
        return !*s;
    const char *pe = key_end(p);
    if (pe - p == 2 && p[0] == '*' && p[1] == '*') {
        const char *rest = *pe ? pe + 1 : pe;
        for (const char *t = s;;) { /* "**" takes zero, one, two, ... keys */
            if (fl_figure_match(rest, t))
                return 1;
            if (!*t)
                return 0;
            t = key_end(t);
            t += *t ? 1 : 0;
        }
    }
    if (!*s)
        return 0;
    const char *se = key_end(s);
    if (!key_match(p, pe, s, se))
        return 0;
    if (!*pe || !*se)
        return !*pe && !*se;
    return fl_figure_match(pe + 1, se + 1);
}

const fl_figure_info *fl_figure_lookup(const char *path)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (fl_figure_match(table[i].pattern, path))
            return &table[i];
    return NULL;
}

const char *fl_figure_better_name(fl_figure_better b)
{
    return b == FL_BETTER_HIGHER ? "higher" : b == FL_BETTER_LOWER ? "lower" : "neither";
}

const char *fl_figure_type_name(fl_figure_type t)
{
    static const char *const names[] = {"number", "count", "flag", "censored"};
    return (unsigned)t < 4 ? names[t] : "number";
}
