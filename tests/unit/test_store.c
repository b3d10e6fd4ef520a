/* The store kind: replication lag grows at exactly (write rate - apply rate), synchronous
 * replication never serves a stale read from a replica, a primary crash loses its queued
 * writes (and only those: every acknowledged write survives). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "testutil.h"

#define fig fl_test_fig

/* 1500 writes/s, evenly spaced, against one replica that applies one write per 1 ms
 * (1000/s) with no reads: the replica falls behind by (1500 - 1000) = 500 writes a second.
 * Write k arrives at floor(k * 2/3 ms) (exact arrival times, no rounded gaps added up) and
 * commits 0.1 ms later; the replica applies write k at (k + 1) ms + 0.1 ms. At 10 s:
 * 15,000 committed, 9,999 applied, so 5,001 behind (500/s * 10 s, plus the one in apply);
 * the oldest write not applied, k = 9,999, arrived at 6.666 s and committed at 6.6661 s,
 * so the lag is 3.3339 s, which is (W - A) / W of the elapsed time. */
START_TEST(lag_grows_at_write_minus_apply_rate)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"s\", \"duration\": \"10s\", \"window\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"store\", \"write_time\": \"const(100us)\",\n"
        "   \"read_time\": \"const(1ms)\", \"replicas\": 1, \"apply_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"1500/s\",\n"
        "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}, \"keys\": \"uniform(50)\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    double committed = fig(s, "\"db\"", "\"writes_committed\":\t");
    double applied = fig(s, "\"replica1\"", "\"applied\":\t");
    double lagw = fig(s, "\"replica1\"", "\"lag_writes\":\t");
    ck_assert_double_eq(committed, 15000);
    ck_assert_double_eq(applied, 9999);
    ck_assert_double_eq(lagw, 5001);
    ck_assert_double_eq(fig(s, "\"replica1\"", "\"max_lag_writes\":\t"), 5001);
    ck_assert_double_eq_tol(fig(s, "\"replica1\"", "\"lag_s\":\t"), 3.3339, 1e-9);
    ck_assert_double_eq_tol(fig(s, "\"replica1\"", "\"max_lag_s\":\t"), 3.3339, 1e-9);
    /* No acknowledged write is missing from the primary. */
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    ck_assert_double_eq_tol(fig(s, "\"lost_writes\"", "\"of\":\t"), 15000, 1);
    free(s);

    /* Below the apply rate the replica keeps up: at most the write in service is pending. */
    const char *slow[] = {"workloads.w.rate=800/s"};
    s = fl_test_summary(text, slow, 1);
    ck_assert_double_le(fig(s, "\"replica1\"", "\"max_lag_writes\":\t"), 1);
    ck_assert_double_le(fig(s, "\"replica1\"", "\"max_lag_s\":\t"), 0.0011);
    free(s);
}
END_TEST

/* Reads from two replicas in another zone while writes go on: with sync replication a
 * write is acknowledged only once both replicas applied it, so no read invoked after the
 * acknowledgement can miss it; async replication over the same links does serve stale
 * reads (the check is not vacuous). */
START_TEST(sync_never_serves_stale_reads)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"s\", \"duration\": \"20s\", \"zones\": [\"a\", \"b\"],\n"
        " \"links\": {\"zones\": [{\"between\": [\"a\", \"b\"], \"latency\": \"exp(5ms)\"}]},\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"store\", \"zone\": \"a\", \"workers\": 4,\n"
        "   \"write_time\": \"exp(1ms)\", \"read_time\": \"exp(1ms)\", \"replicas\": 2,\n"
        "   \"replica_zones\": [\"b\", \"b\"], \"apply_time\": \"exp(2ms)\", \"apply_workers\": 2,\n"
        "   \"replication\": \"sync\", \"read_from\": \"any\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"400/s\", \"zone\": \"a\",\n"
        "   \"mix\": {\"read\": 0.7, \"write\": 0.3}, \"keys\": \"uniform(20)\", \"sessions\": 10,\n"
        "   \"client\": {\"timeout\": \"5s\"}}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_gt(fig(s, "\"replica1\"", "\"reads_served\":\t"), 1000);
    ck_assert_double_gt(fig(s, "\"stale_reads\"", "\"of\":\t"), 5000);
    ck_assert_double_eq(fig(s, "\"stale_reads\"", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"read_your_writes_violations\"", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    free(s);

    const char *async[] = {"nodes.db.replication=async"};
    s = fl_test_summary(text, async, 1);
    ck_assert_double_gt(fig(s, "\"stale_reads\"", "\"count\":\t"), 0);
    free(s);
}
END_TEST

/* 1000 writes/s, evenly spaced, into a primary that commits 500/s: by the crash at
 * 1.0005 s it has received 1001 writes (0 ms .. 1000 ms) and committed 500 (at 2, 4, ..,
 * 1000 ms), so 501 are queued or in service, and all of them are lost (no reply: their clients time out). Committed writes survive; after the
 * restart at 1.5 s the primary takes writes again. */
START_TEST(crash_loses_queued_writes)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"s\", \"duration\": \"3s\",\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"store\", \"write_time\": \"const(2ms)\",\n"
        "   \"read_time\": \"const(1ms)\", \"replicas\": 1, \"apply_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"1000/s\",\n"
        "   \"arrivals\": \"deterministic\", \"stop\": \"2s\", \"mix\": {\"write\": 1},\n"
        "   \"keys\": \"uniform(10)\", \"client\": {\"timeout\": \"500ms\"}}],\n"
        " \"faults\": [{\"at\": \"1.0005s\", \"for\": \"500ms\", \"crash\": \"db\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    double lost = fig(s, "\"db\"", "\"lost_in_crash\":\t");
    ck_assert_double_eq(lost, 501);
    ck_assert_double_gt(fig(s, "\"db\"", "\"refused\":\t"), 400); /* 1.0 s - 1.5 s: down */
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    /* Every committed write was acknowledged (async) and the replica has them all. */
    double committed = fig(s, "\"db\"", "\"writes_committed\":\t");
    ck_assert_double_eq(fig(s, "\"db\"", "\"writes_acked\":\t"), committed);
    ck_assert_double_eq(fig(s, "\"replica1\"", "\"applied\":\t"), committed);
    /* Clients saw fewer successes: after the restart the queue builds again and some
     * writes commit after their client's 500 ms timeout (acknowledged too late). */
    ck_assert_double_le(fig(s, "\"lost_writes\"", "\"of\":\t"), committed);
    free(s);

    /* With sync replication the primary also holds committed writes waiting for the
     * replica's report; a crash drops those answers, never the writes themselves. */
    const char *sync[] = {"nodes.db.replication=sync", "nodes.db.apply_time=const(3ms)"};
    s = fl_test_summary(text, sync, 2);
    ck_assert_double_gt(fig(s, "\"db\"", "\"acks_lost_in_crash\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    free(s);
}
END_TEST

/* One write, semi-sync with one ack, the replica 10 ms away: the primary commits after
 * 1 ms, the log entry reaches the replica 10 ms later, the replica takes 50 ms to apply it,
 * and its report takes 10 ms back. Acknowledged on receipt (MySQL's semi-sync, the
 * default): 1 + 10 + 10 = 21 ms. Acknowledged once applied: 1 + 10 + 50 + 10 = 71 ms. */
START_TEST(semi_sync_acks_on_receipt_or_after_apply)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"s\", \"duration\": \"1s\", \"zones\": [\"a\", \"b\"],\n"
        " \"links\": {\"zones\": [{\"between\": [\"a\", \"b\"], \"latency\": \"const(10ms)\"}]},\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"store\", \"zone\": \"a\",\n"
        "   \"write_time\": \"const(1ms)\", \"read_time\": \"const(1ms)\", \"replicas\": 1,\n"
        "   \"replica_zones\": [\"b\"], \"apply_time\": \"const(50ms)\",\n"
        "   \"replication\": \"semi-sync\", \"acks\": 1}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"1/s\", \"zone\": \"a\",\n"
        "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq(fig(s, "\"w\"", "\"ok\":\t"), 1);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":\t"), 21, 1e-9);
    free(s);
    const char *applied[] = {"nodes.db.ack=applied"};
    s = fl_test_summary(text, applied, 1);
    ck_assert_double_eq(fig(s, "\"w\"", "\"ok\":\t"), 1);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":\t"), 71, 1e-9);
    free(s);
}
END_TEST

/* Semi-sync on receipt over a replica that applies slower than writes arrive: writes are
 * acknowledged while the replica falls behind, so a read it serves can be older than the
 * primary's committed write and older than an acknowledged one; acknowledged after apply,
 * nearly every such read is older than the committed write only (the two figures differ). */
START_TEST(stale_reads_against_committed_and_acked)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"s\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"store\", \"workers\": 4,\n"
        "   \"write_time\": \"const(100us)\", \"read_time\": \"const(100us)\", \"replicas\": 1,\n"
        "   \"apply_time\": \"const(2ms)\", \"replication\": \"semi-sync\", \"acks\": 1,\n"
        "   \"read_from\": \"any\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"600/s\",\n"
        "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}, \"keys\": \"uniform(10)\",\n"
        "   \"client\": {\"timeout\": \"100ms\"}},\n"
        "  {\"name\": \"r\", \"target\": \"db\", \"rate\": \"200/s\", \"keys\": \"uniform(10)\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    double committed = fig(s, "\"db\"", "\"stale_reads_vs_committed\":\t");
    double acked = fig(s, "\"db\"", "\"stale_reads_vs_acked\":\t");
    ck_assert_double_gt(committed, 1000);
    ck_assert_double_gt(acked, 1000);
    ck_assert_double_ge(committed, acked);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"timeout\":\t"), 0);
    free(s);
    const char *applied[] = {"nodes.db.ack=applied"};
    s = fl_test_summary(text, applied, 1);
    committed = fig(s, "\"db\"", "\"stale_reads_vs_committed\":\t");
    acked = fig(s, "\"db\"", "\"stale_reads_vs_acked\":\t");
    ck_assert_double_gt(committed, 1000);
    ck_assert_double_lt(acked, committed / 10);
    ck_assert_double_gt(fig(s, "\"errors_by_cause\"", "\"timeout\":\t"), 1000);
    free(s);
}
END_TEST

/* The replication stream is a message on the network model: a partition that cuts only the
 * primary's link to replica 2 ("db/0" is the primary, the node itself) stalls that replica's
 * stream and no other, all members being in one zone. 100 writes/s from 0 s; the cut lasts
 * from 2 s to 7 s. The write of 2.00 s commits at 2.0001 s and its message is lost; the
 * stream retries every 100 ms (2.1001 s, ...: 50 tries lost) and gets through at 7.0001 s,
 * then replica 2 applies that write at 7.0011 s: a lag of 5.001 s, 501 writes (those of
 * 2.00-7.00 s). Replica 1 never lags more than the write in apply. Both hold everything at
 * the end. */
START_TEST(node_pair_partition_stalls_one_replica)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"s\", \"duration\": \"10s\", \"window\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"store\", \"write_time\": \"const(100us)\",\n"
        "   \"read_time\": \"const(1ms)\", \"replicas\": 2, \"apply_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"100/s\",\n"
        "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}, \"keys\": \"uniform(50)\"}],\n"
        " \"faults\": [{\"at\": \"2s\", \"for\": \"5s\",\n"
        "   \"partition\": {\"links\": [[\"db/0\", \"db/2\"]]}}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_le(fig(s, "\"replica1\"", "\"max_lag_s\":\t"), 0.0011);
    ck_assert_double_eq_tol(fig(s, "\"replica2\"", "\"max_lag_s\":\t"), 5.001, 1e-9);
    ck_assert_double_eq(fig(s, "\"replica2\"", "\"max_lag_writes\":\t"), 501);
    ck_assert_double_eq(fig(s, "\"node_links\"", "\"lost_in_partition\":\t"), 50);
    ck_assert_double_eq(fig(s, "\"replica2\"", "\"lag_writes\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"replica2\"", "\"applied\":\t"),
                        fig(s, "\"db\"", "\"writes_committed\":\t"));
    free(s);
}
END_TEST

/* A crash of one replica ("db/2", 2 s to 5 s): it stops applying and acknowledging, reads
 * routed to it are refused, and on restart it catches up from its own position (applied
 * data and received entries are durable; what was in flight is resent when the primary
 * reconnects, every 100 ms). 100 writes/s and 100 reads/s spread over both replicas. The
 * oldest write it misses commits at 2.0001 s; the primary's reconnection at 5 s resends the
 * 300 missed, applied from 5 s one per ms (behind at most one 1 ms read): a lag of
 * 3.0009-3.0019 s and 301 writes at worst. About half of the 300 reads of 2-5 s go to
 * replica 2 and are refused (binomial: 150 +- 9). Replica 1 never lags. */
START_TEST(replica_crash_stops_and_catches_up)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"s\", \"duration\": \"10s\", \"window\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"store\", \"write_time\": \"const(100us)\",\n"
        "   \"read_time\": \"const(1ms)\", \"replicas\": 2, \"apply_time\": \"const(1ms)\",\n"
        "   \"read_from\": \"any\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"100/s\",\n"
        "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}, \"keys\": \"uniform(50)\"},\n"
        "  {\"name\": \"r\", \"target\": \"db\", \"rate\": \"100/s\",\n"
        "   \"arrivals\": \"deterministic\", \"mix\": {\"read\": 1}, \"keys\": \"uniform(50)\"}],\n"
        " \"faults\": [{\"at\": \"2s\", \"for\": \"3s\", \"crash\": \"db/2\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_ge(fig(s, "\"replica2\"", "\"max_lag_s\":\t"), 3.0009 - 1e-9);
    ck_assert_double_le(fig(s, "\"replica2\"", "\"max_lag_s\":\t"), 3.0019 + 1e-9);
    ck_assert_double_eq(fig(s, "\"replica2\"", "\"max_lag_writes\":\t"), 301);
    ck_assert_double_le(fig(s, "\"replica1\"", "\"max_lag_s\":\t"), 0.0021);
    ck_assert_double_eq(fig(s, "\"replica2\"", "\"lag_writes\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"replica2\"", "\"applied\":\t"),
                        fig(s, "\"db\"", "\"writes_committed\":\t"));
    double refused = fig(s, "\"acks_needed\"", "\"refused\":\t"); /* the node's */
    ck_assert_double_ge(refused, 150 - 4 * 9);
    ck_assert_double_le(refused, 150 + 4 * 9);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    free(s);

    /* semi-sync waiting for both replicas (on receipt): writes wait for the crashed one,
     * acknowledged when the primary's reconnection at 5 s reaches it: the write of 2.00 s
     * waits 3 s. None is lost. */
    const char *sync[] = {"nodes.db.replication=semi-sync", "nodes.db.acks=2",
                          "nodes.db.read_from=primary"};
    s = fl_test_summary(text, sync, 3);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"db\"", "\"writes_acked\":\t"),
                        fig(s, "\"db\"", "\"writes_committed\":\t"));
    ck_assert_double_eq(fig(s, "\"replica2\"", "\"lag_writes\":\t"), 0);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":\t"), 3000, 1e-6);
    free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("store");
    TCase *t = tcase_create("store");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, lag_grows_at_write_minus_apply_rate);
    tcase_add_test(t, sync_never_serves_stale_reads);
    tcase_add_test(t, crash_loses_queued_writes);
    tcase_add_test(t, semi_sync_acks_on_receipt_or_after_apply);
    tcase_add_test(t, stale_reads_against_committed_and_acked);
    tcase_add_test(t, node_pair_partition_stalls_one_replica);
    tcase_add_test(t, replica_crash_stops_and_catches_up);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return fl_test_run(suite()); }
