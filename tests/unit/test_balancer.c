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


/* Four backends taking 100 requests/s each (round robin over 400/s, evenly spaced), and a
 * rollout to them at 1.001 s: `ROLLOUT` is the rest of the rollout object. */
#define ROLLOUT_SCENARIO(ROLLOUT)                                                              \
    "{\"faultline\": 1, \"name\": \"ro\", \"duration\": \"4s\", \"window\": \"1s\",\n"        \
    " \"nodes\": [{\"name\": \"lb\", \"kind\": \"balancer\", \"backends\": [\"b1\", \"b2\", "  \
    "\"b3\", \"b4\"]},\n"                                                                      \
    "  {\"name\": \"b1\", \"kind\": \"service\", \"workers\": 100, \"service_time\": "         \
    "\"const(1ms)\"},\n"                                                                       \
    "  {\"name\": \"b2\", \"kind\": \"service\", \"workers\": 100, \"service_time\": "         \
    "\"const(1ms)\"},\n"                                                                       \
    "  {\"name\": \"b3\", \"kind\": \"service\", \"workers\": 100, \"service_time\": "         \
    "\"const(1ms)\"},\n"                                                                       \
    "  {\"name\": \"b4\", \"kind\": \"service\", \"workers\": 100, \"service_time\": "         \
    "\"const(1ms)\"}],\n"                                                                      \
    " \"workloads\": [{\"name\": \"w\", \"target\": \"lb\", \"rate\": \"400/s\", "             \
    "\"arrivals\": \"deterministic\"}],\n"                                                     \
    " \"faults\": [{\"at\": \"1001ms\", \"rollout\": {\"to\": \"lb\", " ROLLOUT "}}]}\n"

static double svc(const char *s, const char *node, const char *key)
{
    char after[64], k[64];
    snprintf(after, sizeof after, "\"%s\":\t{\n\t\t\t\"kind\":\t\"service\"", node);
    snprintf(k, sizeof k, "\"%s\":\t", key);
    return fig(s, after, k);
}

START_TEST(a_rollout_goes_out_in_waves_until_its_manual_rollback)
{
    /* b1 from 1.001 s, b2 from 2.001 s, both back at 3.501 s: every request they get
     * meanwhile is answered server_error: 250 and 150 of their 100/s. */
    char *s = fl_test_summary(ROLLOUT_SCENARIO("\"waves\": [0.25, 0.5], \"wave_interval\": \"1s\", "
                                               "\"effect\": {\"error_rate\": 1}, "
                                               "\"rollback\": {\"after\": \"2500ms\"}"),
                              NULL, 0);
    ck_assert_double_eq(svc(s, "b1", "server_errors"), 250);
    ck_assert_double_eq(svc(s, "b2", "server_errors"), 150);
    ck_assert_ptr_null(strstr(strstr(s, "\"b3\":\t{\n\t\t\t\"kind\":\t\"service\""),
                              "server_errors")); /* never reached */
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"dependency\":\t"), 400);
    ck_assert_double_eq(fig(s, "\"rollout\"", "\"waves_begun\":\t"), 2);
    ck_assert_double_eq(fig(s, "\"rollout\"", "\"updated_max\":\t"), 2);
    ck_assert_double_eq(fig(s, "\"rollout\"", "\"rollback_s\":\t"), 3.501);
    ck_assert_ptr_nonnull(strstr(s, "\"rollback_cause\":\t\"manual\""));
    /* 1 backend x 1 s + 2 x 1.5 s */
    ck_assert_double_eq_tol(fig(s, "\"rollout\"", "\"exposure_backend_s\":\t"), 4, 1e-9);
    free(s);
}
END_TEST

START_TEST(a_failing_canary_is_rolled_back_before_the_next_wave)
{
    /* The canary (b1) fails every call; the first judgement, 1 s later, sees 100 of 100
     * failed and rolls back: the wave to all four, due at 3.001 s, never begins. */
    char *s = fl_test_summary(ROLLOUT_SCENARIO("\"waves\": [0.25, 1], \"wave_interval\": \"2s\", "
                                               "\"effect\": {\"error_rate\": 1}, "
                                               "\"rollback\": {\"error_rate\": 0.5, "
                                               "\"window\": \"1s\"}"),
                              NULL, 0);
    ck_assert_double_eq(svc(s, "b1", "server_errors"), 100);
    ck_assert_double_eq(fig(s, "\"rollout\"", "\"waves_begun\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"rollout\"", "\"updated_max\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"rollout\"", "\"rollback_s\":\t"), 2.001);
    ck_assert_double_eq(fig(s, "\"rollout\"", "\"signal\":\t"), 1);
    ck_assert_ptr_nonnull(strstr(s, "\"rollback_cause\":\t\"error_rate\""));
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"dependency\":\t"), 100);
    free(s);
}
END_TEST

START_TEST(a_slow_canary_is_rolled_back_on_latency)
{
    /* cpu_factor 10: b1's requests take 10 ms; the mean latency over the first second
     * (10 ms, above 5 ms) rolls it back. Nothing fails. */
    char *s = fl_test_summary(ROLLOUT_SCENARIO("\"waves\": [0.25, 1], \"effect\": "
                                               "{\"cpu_factor\": 10}, \"rollback\": "
                                               "{\"latency\": \"5ms\", \"window\": \"1s\"}"),
                              NULL, 0);
    ck_assert_ptr_nonnull(strstr(s, "\"rollback_cause\":\t\"latency\""));
    ck_assert_double_eq(fig(s, "\"rollout\"", "\"rollback_s\":\t"), 2.001);
    ck_assert_double_eq_tol(fig(s, "\"rollout\"", "\"signal\":\t"), 0.010, 1e-9);
    ck_assert_double_eq(fig(s, "\"w\"", "\"errors\":\t"), 0);
    free(s);
}
END_TEST


/* Health checks every second (b2's at 0.5 s, 1.5 s, ...), 100 ms timeout: b2 hangs from 2 s
 * to 7 s, so its checks at 2.5, 3.5 and 4.5 s time out and it leaves the pool at 4.6 s;
 * those at 5.5 and 6.5 s fail too, those at 7.5 and 8.5 s pass and it is back at 8.501 s.
 * The requests sent to it between 2 s and 4.6 s (50/s) are never answered. */
START_TEST(a_hung_backend_fails_its_health_checks_and_leaves_the_pool)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"hc\", \"duration\": \"10s\", \"window\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"lb\", \"kind\": \"balancer\", \"backends\": [\"b1\", \"b2\"],\n"
        "   \"health_check\": {\"interval\": \"1s\", \"timeout\": \"100ms\", "
        "\"unhealthy_threshold\": 3, \"healthy_threshold\": 2}},\n"
        "  {\"name\": \"b1\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(1ms)\"},\n"
        "  {\"name\": \"b2\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"lb\", \"rate\": \"100/s\", "
        "\"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"1s\"}}],\n"
        " \"faults\": [{\"at\": \"2s\", \"for\": \"5s\", \"hang\": \"b2\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq(fig(s, "\"health_checks\"", "\"failed\":\t"), 5);
    ck_assert_double_eq(fig(s, "\"health_checks\"", "\"unhealthy_events\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"health_checks\"", "\"unhealthy_at_end\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"w\"", "\"errors\":\t"), 130);
    /* checks are requests like any other: b2 swallowed 5 of them too */
    ck_assert_double_eq(fig(s, "\"b2\":\t{\n\t\t\t\"kind\":\t\"service\"", "\"never_answered\":\t"),
                        135);
    free(s);
}
END_TEST

/* DNS failover: east crashes at 55 s, its checks (every 10 s, from 0 s) fail at 60, 70 and
 * 80 s: the answer moves to west at 80 s. Each client keeps its cached answer for the ttl
 * (60 s): with no late client nothing goes to east after 80 + 60 = 140 s; a late tenth,
 * keeping theirs 600 s longer, still sends there at the end. */
START_TEST(dns_clients_move_as_their_cached_answers_expire)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"dns\", \"duration\": \"300s\", \"window\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"dns\", \"kind\": \"balancer\", \"policy\": \"failover\",\n"
        "   \"backends\": [\"east\", \"west\"],\n"
        "   \"health_check\": {\"interval\": \"10s\", \"timeout\": \"2s\"},\n"
        "   \"dns\": {\"ttl\": \"60s\", \"clients\": 1000}},\n"
        "  {\"name\": \"east\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(1ms)\"},\n"
        "  {\"name\": \"west\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"u\", \"target\": \"dns\", \"rate\": \"100/s\"}],\n"
        " \"faults\": [{\"at\": \"55s\", \"crash\": \"east\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq(fig(s, "\"dns\":\t{", "\"failovers\":\t"), 1);
    ck_assert_ptr_nonnull(strstr(s, "\"answer\":\t\"west\""));
    double last = fig(s, "\"stale_sent\"", "\"last_stale_s\":\t");
    ck_assert(last > 80 && last <= 140);
    /* before 55 s every request went to east; from 55 s to 80 s all were refused */
    ck_assert(fig(s, "\"errors_by_cause\"", "\"dependency\":\t") > 2000);
    free(s);
    const char *late[] = {"nodes.dns.dns.late_fraction=0.1", "nodes.dns.dns.late_by=\"const(600s)\""};
    s = fl_test_summary(text, late, 2);
    ck_assert(fig(s, "\"stale_sent\"", "\"last_stale_s\":\t") > 290);
    free(s);
}
END_TEST


/* A failover balancer whose backends all fail their checks keeps its last answer (it fails
 * open): b2 (the answer since b1 failed at 3 s) crashes at 5 s and is marked unhealthy at
 * 7 s, yet requests still go to it (refused by b2, not by the balancer). With the weights
 * shifted in steps (half, then all, 2 s apart), a resolution after the change still gets
 * the old answer about half the time in the first step. */
START_TEST(a_failover_fails_open_and_shifts_in_steps)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"fo\", \"duration\": \"10s\", \"window\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"lb\", \"kind\": \"balancer\", \"policy\": \"failover\",\n"
        "   \"backends\": [\"b1\", \"b2\"], \"health_check\": {\"interval\": \"1s\", "
        "\"timeout\": \"100ms\", \"unhealthy_threshold\": 2}},\n"
        "  {\"name\": \"b1\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(1ms)\"},\n"
        "  {\"name\": \"b2\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"lb\", \"rate\": \"100/s\", "
        "\"arrivals\": \"deterministic\"}],\n"
        " \"faults\": [{\"at\": \"1900ms\", \"crash\": \"b1\"}, {\"at\": \"5600ms\", \"crash\": \"b2\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    /* b1's checks at 2 and 3 s fail: b2 answers from 3 s; b2's at 6.5 and 7.5 s fail */
    ck_assert_double_eq(fig(s, "\"health_checks\"", "\"unhealthy_at_end\":\t"), 2);
    ck_assert_double_eq(fig(s, "\"lb\"", "\"refused\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"b2\":\t{\n\t\t\t\"kind\":\t\"service\"", "\"refused\":\t"),
                        440 + 4); /* 100/s from 5.6 s, and its checks at 6.5 ... 9.5 s */
    free(s);
    const char *dns[] = {"nodes.lb.dns={\"ttl\": \"1s\", \"clients\": 100, \"shift\": "
                         "{\"step\": 0.5, \"every\": \"2s\"}}"};
    s = fl_test_summary(text, dns, 1);
    /* from 3 s to 5 s half the resolutions still name b1 (crashed): well over the ttl's
     * worth of stale requests, which alone would be about 50 */
    double stale = fig(s, "\"stale_sent\"", "\"stale_sent\":\t");
    ck_assert(stale > 80 && stale < 200);
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
    tcase_add_test(tc, a_rollout_goes_out_in_waves_until_its_manual_rollback);
    tcase_add_test(tc, a_failing_canary_is_rolled_back_before_the_next_wave);
    tcase_add_test(tc, a_slow_canary_is_rolled_back_on_latency);
    tcase_add_test(tc, a_hung_backend_fails_its_health_checks_and_leaves_the_pool);
    tcase_add_test(tc, dns_clients_move_as_their_cached_answers_expire);
    tcase_add_test(tc, a_failover_fails_open_and_shifts_in_steps);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
