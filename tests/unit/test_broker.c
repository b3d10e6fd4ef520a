/* The broker and consumer kinds: figures that follow exactly from the model. */
#include <math.h>
#include <stdio.h>

#include <faultline/run.h>
#include <faultline/scenario.h>

#include "testutil.h"

#define fig fl_test_fig

/* One partition, 100 messages/s evenly spaced (at 0, 10 ms, 20 ms, ...), 1 ms to process
 * each: the consumer keeps up until the poison pill (the message published at t = 10 s,
 * offset 1000). With poison_effect "loop" it fails on it (1 ms) and seeks back forever: from then
 * on the partition is stalled and every message published adds one to the lag. */
START_TEST(lag_grows_at_the_producer_rate_while_stalled)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"b\", \"duration\": \"60s\",\n"
        " \"nodes\": [{\"name\": \"k\", \"kind\": \"broker\", \"partitions\": 1,\n"
        "              \"poison\": {\"partition\": 0, \"at\": \"10s\"}, \"poison_effect\": \"loop\"},\n"
        "             {\"name\": \"g\", \"kind\": \"consumer\", \"broker\": \"k\",\n"
        "              \"process\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"p\", \"target\": \"k\", \"rate\": \"100/s\",\n"
        "                  \"arrivals\": \"deterministic\", \"keys\": \"const(0)\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    const char *g = "\"g\":";
    double log_end = fig(s, "\"k\":", "\"log_end\":\t");
    double lag_end = fig(s, g, "\"lag_end\":\t");
    double stalled = fig(s, g, "\"stalled_s\":\t");
    ck_assert_double_eq(fig(s, g, "\"committed\":\t"), 1000);  /* stuck at the pill */
    ck_assert_double_eq(log_end, 6000);
    ck_assert_double_eq(lag_end, log_end - 1000);
    /* stalled from the failed attempt (10.001 s) to the end */
    ck_assert_double_eq_tol(stalled, 60 - 10.001, 1e-9);
    /* exactly the messages published while stalled, plus the pill itself */
    ck_assert_double_eq(fig(s, g, "\"published_while_stalled\":\t"), lag_end - 1);
    ck_assert(fabs(lag_end - 100 * stalled) <= 1);
    ck_assert_double_eq(fig(s, g, "\"rebalances\":\t"), 0);
    ck_assert_double_eq(fig(s, g, "\"crashes\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"duplicates\":", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost\":", "\"count\":\t"), 0);
    free(s);
}
END_TEST

/* Four partitions, two members, no fault: every message the group has passed was
 * processed exactly once, nothing was rebalanced, and what is left is lag. */
START_TEST(fault_free_loses_and_repeats_nothing)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"b\", \"duration\": \"60s\",\n"
        " \"nodes\": [{\"name\": \"k\", \"kind\": \"broker\", \"partitions\": 4},\n"
        "             {\"name\": \"g\", \"kind\": \"consumer\", \"broker\": \"k\", \"members\": 2,\n"
        "              \"process\": \"exp(2ms)\", \"max_poll_records\": 50}],\n"
        " \"workloads\": [{\"name\": \"p\", \"target\": \"k\", \"rate\": \"300/s\",\n"
        "                  \"keys\": \"uniform(4)\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    const char *g = "\"g\":";
    double published = fig(s, "\"k\":", "\"published\":\t");
    double processed = fig(s, g, "\"processed\":\t");
    double lag = fig(s, "\"lag\":", "\"end\":\t");
    ck_assert(published > 15000);
    ck_assert_double_eq(fig(s, g, "\"rebalances\":\t"), 0);
    ck_assert_double_eq(fig(s, g, "\"reprocessed\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"duplicates\":", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost\":", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost\":", "\"of\":\t"), processed);
    ck_assert_double_eq(processed + lag, published);
    ck_assert_double_eq(fig(s, g, "\"stalled_s_max\":\t"), 0);
    free(s);
}
END_TEST

/* The consumer is overloaded (200/s arrive, 100/s processed), so it works through batches
 * of 500 and commits only after each: when its node crashes at t = 10 s the messages it
 * processed in the current batch are uncommitted. After the restart (and the rebalance
 * that waits out the dead member's session) it reads from the committed offset and
 * processes exactly those messages a second time. */
START_TEST(crash_reprocesses_the_uncommitted)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"b\", \"duration\": \"40s\",\n"
        " \"nodes\": [{\"name\": \"k\", \"kind\": \"broker\", \"partitions\": 1},\n"
        "             {\"name\": \"g\", \"kind\": \"consumer\", \"broker\": \"k\",\n"
        "              \"process\": \"const(10ms)\", \"session_timeout\": \"6s\",\n"
        "              \"heartbeat_interval\": \"1s\", \"rebalance_time\": \"1s\"}],\n"
        " \"workloads\": [{\"name\": \"p\", \"target\": \"k\", \"rate\": \"200/s\",\n"
        "                  \"arrivals\": \"deterministic\", \"keys\": \"const(0)\"}],\n"
        " \"faults\": [{\"at\": \"10s\", \"for\": \"1s\", \"crash\": \"g\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    const char *g = "\"g\":";
    double lostwork = fig(s, g, "\"uncommitted_at_crash\":\t");
    ck_assert(lostwork > 0);
    ck_assert_double_eq(fig(s, g, "\"crashes\":\t"), 1);
    ck_assert_double_eq(fig(s, g, "\"rebalances\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"duplicates\":", "\"count\":\t"), lostwork);
    ck_assert_double_eq(fig(s, g, "\"reprocessed\":\t"), lostwork);
    ck_assert_double_eq(fig(s, "\"lost\":", "\"count\":\t"), 0);
    /* stopped from the crash (10 s) to the rebalance's end: the session ran out 6 s after
     * the last heartbeat (t = 10 s), then 1 s of sync */
    ck_assert_double_eq_tol(fig(s, g, "\"stalled_s\":\t"), 7, 1e-9);
    free(s);
}
END_TEST

/* A poison pill that crashes its consumer, caught instead: retries, then the DLQ. */
START_TEST(retries_then_dead_letter)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"b\", \"duration\": \"30s\",\n"
        " \"nodes\": [{\"name\": \"k\", \"kind\": \"broker\", \"partitions\": 2,\n"
        "              \"poison\": {\"partition\": 1, \"at\": \"5s\"}},\n"
        "             {\"name\": \"g\", \"kind\": \"consumer\", \"broker\": \"k\",\n"
        "              \"process\": \"const(2ms)\",\n"
        "              \"on_error\": {\"retries\": 3, \"dead_letter\": true}}],\n"
        " \"workloads\": [{\"name\": \"p\", \"target\": \"k\", \"rate\": \"100/s\",\n"
        "                  \"arrivals\": \"deterministic\", \"keys\": \"uniform(2)\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    const char *g = "\"g\":";
    ck_assert_double_eq(fig(s, g, "\"failed_attempts\":\t"), 4);
    ck_assert_double_eq(fig(s, g, "\"dead_lettered\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"dead_letter\":", "\"poison\":\t"), 1);
    ck_assert_double_eq(fig(s, g, "\"crashes\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"duplicates\":", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost\":", "\"count\":\t"), 0);
    /* partition 1 stops for the four failed attempts of 2 ms, after the first failed */
    ck_assert_double_eq_tol(fig(s, g, "\"stalled_s_max\":\t"), 0.006, 1e-9);
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("broker");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lag_grows_at_the_producer_rate_while_stalled);
    tcase_add_test(tc, fault_free_loses_and_repeats_nothing);
    tcase_add_test(tc, crash_reprocesses_the_uncommitted);
    tcase_add_test(tc, retries_then_dead_letter);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
