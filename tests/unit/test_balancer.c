/* The balancer kind: which backend each request goes to, under each policy. Counts follow
 * from the policies' definitions (round robin takes turns, a pinned connection keeps its
 * backend, a key hashes to one backend, a reconnect goes to the fewest connections). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "testutil.h"

#define fig fl_test_fig

/* Four backends, b3 and b4 joining at 1 s; 400 requests/s evenly spaced for 3 s. */
static const char *const four =
    "{\"faultline\": 1, \"name\": \"lb\", \"duration\": \"3s\",\n"
    " \"nodes\": [{\"name\": \"lb\", \"kind\": \"balancer\", \"policy\": \"round_robin\",\n"
    "   \"backends\": [\"b1\", \"b2\", {\"node\": \"b3\", \"joins\": \"1s\"},\n"
    "                {\"node\": \"b4\", \"joins\": \"1s\"}]},\n"
    "  {\"name\": \"b1\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(1ms)\"},\n"
    "  {\"name\": \"b2\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(1ms)\"},\n"
    "  {\"name\": \"b3\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(1ms)\"},\n"
    "  {\"name\": \"b4\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(1ms)\"}],\n"
    " \"workloads\": [{\"name\": \"w\", \"target\": \"lb\", \"rate\": \"400/s\", "
    "\"arrivals\": \"deterministic\", \"keys\": \"uniform(1000)\"}]}\n";

static double sent(const char *s, const char *be, const char *what)
{
    char after[64], key[64];
    snprintf(after, sizeof after, "\"%s\":\t{", be);
    snprintf(key, sizeof key, "\"%s\":\t", what);
    return fig(s, after, key);
}

START_TEST(round_robin_takes_turns_over_the_pool)
{
    char *s = fl_test_summary(four, NULL, 0);
    /* Arrivals at k x 2.5 ms: 400 before 1 s over two backends (200 each), then 800 over
     * four (200 each). */
    ck_assert_double_eq(fig(s, "\"lb\"", "\"sent\":\t"), 1200);
    ck_assert_double_eq(sent(s, "b1", "sent"), 400);
    ck_assert_double_eq(sent(s, "b3", "sent"), 200);
    ck_assert_double_eq(sent(s, "b1", "sent_after_join"), 200);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"max_to_mean\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"idle_backends\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"w\"", "\"ok\":\t"), 1200);
    free(s);
}
END_TEST

START_TEST(pinned_connections_keep_their_backend_after_a_join)
{
    const char *sets[] = {"nodes.lb.policy=\"pinned\"", "nodes.lb.connections=8"};
    char *s = fl_test_summary(four, sets, 2);
    /* Eight connections opened at 0 s over b1 and b2 (four each); b3 and b4 join later and
     * never get one: the two old backends take every request after the join. */
    ck_assert_double_eq(sent(s, "b1", "connections"), 4);
    ck_assert_double_eq(sent(s, "b3", "connections"), 0);
    ck_assert_double_eq(sent(s, "b3", "sent"), 0);
    ck_assert_double_eq(sent(s, "b1", "sent") + sent(s, "b2", "sent"), 1200);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"idle_backends\":\t"), 2);
    /* the busiest of the two holds at least half of what four share: >= 2 x the mean */
    ck_assert(fig(s, "\"after_join\"", "\"max_to_mean\":\t") >= 2);
    ck_assert_double_eq(fig(s, "\"lb\"", "\"reconnects\":\t"), 0);
    free(s);
}
END_TEST

START_TEST(a_connection_age_rebalances_the_connections)
{
    const char *sets[] = {"nodes.lb.policy=\"pinned\"", "nodes.lb.connections=8",
                          "nodes.lb.max_connection_age=\"100ms\""};
    char *s = fl_test_summary(four, sets, 3);
    /* Each reconnect goes to the backend with the fewest connections: after the join the
     * old ones lose theirs to the new ones until all hold two, which is then stable (a
     * connection closed on a backend with two leaves it the only one with one). */
    ck_assert_double_eq(sent(s, "b1", "connections"), 2);
    ck_assert_double_eq(sent(s, "b2", "connections"), 2);
    ck_assert_double_eq(sent(s, "b3", "connections"), 2);
    ck_assert_double_eq(sent(s, "b4", "connections"), 2);
    /* 3 s of connections living 90 to 110 ms: 27 to 33 generations of 8 */
    double rc = fig(s, "\"lb\"", "\"reconnects\":\t");
    ck_assert(rc >= 8 * 27 - 8 && rc <= 8 * 34);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"idle_backends\":\t"), 0);
    free(s);
}
END_TEST

START_TEST(hash_keeps_a_key_on_one_backend)
{
    const char *sets[] = {"nodes.lb.policy=\"hash\"", "workloads.w.keys=\"const(7)\""};
    char *s = fl_test_summary(four, sets, 2);
    /* One key: one backend before the join and one after (the same unless a newcomer wins
     * the key): after the join one backend of four takes all, 4 x the mean. */
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"max_to_mean\":\t"), 4);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"idle_backends\":\t"), 3);
    free(s);
    const char *many[] = {"nodes.lb.policy=\"hash\""};
    s = fl_test_summary(four, many, 1);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"idle_backends\":\t"), 0);
    free(s);
}
END_TEST

/* Hot keys. One key (7, below hot_keys.keys = 8): split over 4 sub-keys it reaches more
 * than one backend (all four sub-keys on one backend would leave 3 idle); replicated on
 * 2 backends, reads go to one of the two drawn at random (the other two backends idle, each
 * of the two near half), and writes go to both: each of the two gets every write, exactly
 * 2 x the mean, and every write has one copy. */
START_TEST(hot_keys_split_and_replicate)
{
    const char *split[] = {"nodes.lb.policy=\"hash\"", "workloads.w.keys=\"const(7)\"",
                           "nodes.lb.hot_keys={\"keys\": 8, \"split\": 4}"};
    char *s = fl_test_summary(four, split, 3);
    ck_assert_double_lt(fig(s, "\"after_join\"", "\"idle_backends\":\t"), 3);
    ck_assert_double_eq(fig(s, "\"hot_keys\"", "\"share\":\t"), 1);
    free(s);
    const char *repl[] = {"nodes.lb.policy=\"hash\"", "workloads.w.keys=\"const(7)\"",
                          "nodes.lb.hot_keys={\"keys\": 8, \"replicas\": 2}"};
    s = fl_test_summary(four, repl, 3);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"idle_backends\":\t"), 2);
    ck_assert_double_eq_tol(fig(s, "\"after_join\"", "\"max_to_mean\":\t"), 2, 0.15);
    free(s);
    const char *writes[] = {"nodes.lb.policy=\"hash\"", "workloads.w.keys=\"const(7)\"",
                            "nodes.lb.hot_keys={\"keys\": 8, \"replicas\": 2}",
                            "workloads.w.mix={\"write\": 1}"};
    s = fl_test_summary(four, writes, 4);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"max_to_mean\":\t"), 2);
    ck_assert_double_eq(fig(s, "\"hot_keys\"", "\"write_copies\":\t"),
                        fig(s, "\"hot_keys\"", "\"sent\":\t"));
    free(s);
    /* A key above the hot set hashes as before: one backend. */
    const char *cold[] = {"nodes.lb.policy=\"hash\"", "workloads.w.keys=\"const(9)\"",
                          "nodes.lb.hot_keys={\"keys\": 8, \"split\": 4}"};
    s = fl_test_summary(four, cold, 3);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"idle_backends\":\t"), 3);
    free(s);
}
END_TEST

START_TEST(least_outstanding_and_p2c_spread_the_load)
{
    const char *sets[] = {"nodes.lb.policy=\"least_outstanding\""};
    char *s = fl_test_summary(four, sets, 1);
    /* 1 ms of work every 2.5 ms: nothing is ever outstanding at an arrival, so the ties
     * rotate as round robin does */
    ck_assert_double_eq(sent(s, "b1", "sent"), 400);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"max_to_mean\":\t"), 1);
    free(s);
    const char *p2c[] = {"nodes.lb.policy=\"p2c\""};
    s = fl_test_summary(four, p2c, 1);
    /* with nothing outstanding p2c takes the first of two uniform draws: every backend
     * gets some, and all 1200 are sent */
    ck_assert_double_eq(fig(s, "\"lb\"", "\"sent\":\t"), 1200);
    ck_assert_double_eq(fig(s, "\"after_join\"", "\"idle_backends\":\t"), 0);
    free(s);
}
END_TEST

START_TEST(a_crash_refuses_while_it_lasts)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"lb\", \"duration\": \"3s\",\n"
        " \"nodes\": [{\"name\": \"lb\", \"kind\": \"balancer\", \"backends\": [\"b1\"]},\n"
        "  {\"name\": \"b1\", \"kind\": \"service\", \"workers\": 100, \"service_time\": "
        "\"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"lb\", \"rate\": \"100/s\", "
        "\"arrivals\": \"deterministic\"}],\n"
        " \"faults\": [{\"at\": \"1001ms\", \"for\": \"1s\", \"crash\": \"lb\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    /* arrivals at 1010 ... 2000 ms: 100 refused; the one at 1000 ms was still on its way
     * back when the balancer crashed: lost, and with no timeout still in flight at the end */
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"refused\":\t"), 100);
    ck_assert_double_eq(fig(s, "\"w\"", "\"in_flight_at_end\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"w\"", "\"ok\":\t"), 199);
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("balancer");
    TCase *tc = tcase_create("balancer");
    tcase_add_test(tc, round_robin_takes_turns_over_the_pool);
    tcase_add_test(tc, pinned_connections_keep_their_backend_after_a_join);
    tcase_add_test(tc, a_connection_age_rebalances_the_connections);
    tcase_add_test(tc, hash_keeps_a_key_on_one_backend);
    tcase_add_test(tc, hot_keys_split_and_replicate);
    tcase_add_test(tc, least_outstanding_and_p2c_spread_the_load);
    tcase_add_test(tc, a_crash_refuses_while_it_lasts);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
