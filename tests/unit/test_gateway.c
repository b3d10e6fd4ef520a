/* The gateway kind: exact figures that follow from its aggregated model (steps of 10 ms,
 * CPU capacity cpus * 10 ms per step, integer counts throughout). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "core/alloc.h"
#include "testutil.h"

/* A one-gateway scenario: `gw` is the body of the gateway node (after name and kind),
 * `extra` more top-level members (faults). The workload sends one message a minute: it
 * is there because a scenario needs one, and it barely touches the CPU. */
static char *scenario(const char *duration, const char *gw, const char *extra)
{
    static const char *const fmt =
        "{\"faultline\": 1, \"name\": \"g\", \"duration\": \"%s\", \"window\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"gw\", \"kind\": \"gateway\", %s}],\n"
        " \"workloads\": [{\"name\": \"u\", \"target\": \"gw\", \"rate\": \"1/m\"}]%s}\n";
    size_t n = strlen(fmt) + strlen(duration) + strlen(gw) + strlen(extra) + 1;
    char *s = malloc(n);
    ck_assert_ptr_nonnull(s);
    snprintf(s, n, fmt, duration, gw, extra);
    return s;
}

/* Runs text (baseline, seed 1) and returns its summary (caller frees). */
/* The figure `key` of the gateway node, inside its object `obj` (NULL: at its top). */
static double fig(const char *summary, const char *obj, const char *key)
{
    const char *node = strstr(summary, "\"kind\":\t\"gateway\"");
    ck_assert_ptr_nonnull(node);
    char k[128];
    snprintf(k, sizeof k, "\"%s\":", key);
    if (!obj)
        return fl_test_fig(node, NULL, k);
    char o[128];
    snprintf(o, sizeof o, "\"%s\":", obj);
    return fl_test_fig(node, o, k);
}

/* Saturated by handshakes, the CPU completes cpus / handshake_time per second. 2 cpus at
 * 1 ms: 20 handshakes per 10 ms step, 2,000/s; 100,000 newcomers in the first second keep
 * the queue full for the whole 10 s (1,000 steps). The newcomers' own heartbeats (every
 * 30 s, 20 us each by default) take the rest: the few that come due are answered. */
START_TEST(handshake_throughput_is_cpus_over_handshake_time)
{
    char *t = scenario("10s",
                       "\"cpus\": 2, \"handshake_time\": \"1ms\", \"backlog\": 1000000,"
                       " \"clients\": {\"join\": {\"count\": 100000, \"within\": \"1s\"}},"
                       " \"reconnect\": {\"connect_timeout\": \"1h\"}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    double hb = fig(s, "heartbeats", "answered");
    ck_assert_double_le(hb, 10);
    /* 20 s of CPU: every whole millisecond the heartbeats left went to a handshake. */
    double hs = 20000 - ceil(hb * 0.020);
    ck_assert_double_eq(fig(s, "handshakes", "completed"), hs);
    ck_assert_double_eq_tol(fig(s, "handshakes", "per_s"), hs / 10, 1e-9);
    ck_assert_double_eq(fig(s, NULL, "utilisation"), 1);
    ck_assert_double_eq(fig(s, "newcomers", "joined"), 100000);
    ck_assert_double_eq(fig(s, "connected", "now"), hs);
    ck_assert_double_eq(fig(s, NULL, "accept_queue_overflows"), 0);
    free(s);
    /* Twice the cpus, or half the handshake time: twice the handshakes, less what the
     * (more numerous) heartbeats took. */
    const char *more[] = {"nodes.gw.cpus=4"};
    s = fl_test_summary(t, more, 1);
    hb = fig(s, "heartbeats", "answered");
    ck_assert_double_eq(fig(s, "handshakes", "completed"), 40000 - ceil(hb * 0.020));
    free(s);
    const char *faster[] = {"nodes.gw.handshake_time=500us"};
    s = fl_test_summary(t, faster, 1);
    hb = fig(s, "heartbeats", "answered");
    ck_assert_double_eq(fig(s, "handshakes", "completed"), 40000 - ceil(hb * 0.040));
    free(s);
    free(t);
}
END_TEST

/* Heartbeats: connected * step / interval per step, carried exactly. 1,000 connections
 * every second at 10 us: 10 per step, 10,000 in 10 s, 1% of one cpu, none missed. */
START_TEST(heartbeats_are_counted_exactly)
{
    char *t = scenario("10s",
                       "\"heartbeat_interval\": \"1s\", \"heartbeat_time\": \"10us\","
                       " \"clients\": {\"connected\": 1000}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, "heartbeats", "answered"), 10000);
    ck_assert_double_eq(fig(s, "heartbeats", "missed"), 0);
    ck_assert_double_eq_tol(fig(s, "cpu_s", "heartbeats"), 0.1, 1e-9);
    ck_assert_double_eq(fig(s, "connected", "min"), 1000);
    free(s);
    /* 3 connections every 7 s: the fractions carry over, so 300 steps bring
     * floor(3 * 3 s / 7 s) = 1 heartbeat, not 0. */
    const char *few[] = {"nodes.gw.clients.connected=3", "nodes.gw.heartbeat_interval=7s",
                         "duration=3s"};
    s = fl_test_summary(t, few, 3);
    ck_assert_double_eq(fig(s, "heartbeats", "answered"), 1);
    free(s);
    free(t);
}
END_TEST

/* 100,000 connections heartbeat every 10 s at 100 us: one of the 2 cpus. 100,000
 * newcomers arrive in the first second, far more than the other cpu can handshake
 * (1,000/s). In arrival order, heartbeats wait behind seconds of handshakes and miss their
 * 1 s timeout; with priority for established connections, none is missed, while the
 * handshakes queue and go at the 1,000/s the heartbeats leave them. */
START_TEST(priority_keeps_heartbeats_while_handshakes_queue)
{
    char *t = scenario("20s",
                       "\"cpus\": 2, \"handshake_time\": \"1ms\", \"backlog\": 1000000,"
                       " \"heartbeat_interval\": \"10s\", \"heartbeat_time\": \"100us\","
                       " \"heartbeat_timeout\": \"1s\","
                       " \"clients\": {\"connected\": 100000,"
                       "   \"join\": {\"count\": 100000, \"within\": \"1s\"}},"
                       " \"reconnect\": {\"connect_timeout\": \"1h\"}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_gt(fig(s, NULL, "heartbeat_misses"), 0);
    ck_assert_double_gt(fig(s, "disconnects", "heartbeat"), 0);
    ck_assert_double_lt(fig(s, "connected", "min"), 100000);
    free(s);
    const char *prio[] = {"nodes.gw.priority=established"};
    s = fl_test_summary(t, prio, 1);
    ck_assert_double_eq(fig(s, NULL, "heartbeat_misses"), 0);
    ck_assert_double_eq(fig(s, "disconnects", "total"), 0);
    ck_assert_double_eq(fig(s, "connected", "min"), 100000);
    /* The handshakes still queued: the run ends with most newcomers waiting. */
    ck_assert_double_gt(fig(s, "littles_law", "L"), 50000);
    ck_assert_double_eq(fig(s, NULL, "utilisation"), 1);
    /* Heartbeats take 1 cpu at first and more as newcomers connect; handshakes get the
     * rest: fewer than 1,000/s, but not much fewer (each newcomer adds 10 us/s). */
    double hs = fig(s, "handshakes", "per_s");
    ck_assert_double_le(hs, 1000);
    ck_assert_double_gt(hs, 850);
    free(s);
    free(t);
}
END_TEST

/* A token bucket of 500/s (5 per step) with a burst of 100 admits 100 at once, then 5 per
 * step: 100 + 5 * 1,999 = 10,095 in 20 s (2,000 steps, the first of which finds the
 * bucket full). The CPU (100 cpus) is never the limit, and rejected clients (rtt 0, no
 * retry_after) try again at the next step, so no token is ever left unused. */
START_TEST(admission_admits_at_its_rate)
{
    char *t =
        scenario("20s",
                 "\"cpus\": 100, \"backlog\": 1000000,"
                 " \"admission\": {\"rate\": \"500/s\", \"burst\": 100, \"retry_after\": 0},"
                 " \"clients\": {\"join\": {\"count\": 100000, \"within\": \"1s\"}, \"rtt\": 0}",
                 "");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, "newcomers", "admitted"), 10095);
    ck_assert_double_eq(fig(s, "handshakes", "completed"), 10095);
    ck_assert_double_eq(fig(s, NULL, "accept_queue_overflows"), 0);
    ck_assert_double_gt(fig(s, NULL, "admission_rejected"), 0);
    ck_assert_ptr_nonnull(strstr(s, "\"all_admitted\":\tfalse"));
    free(s);
    /* Enough time: 100,000 admitted after (100,000 - 100) / 500 = 199.8 s, i.e. at the
     * step 1 + 19,980 = 19,981 (199.81 s) after the first join. */
    const char *longer[] = {"duration=250s"};
    s = fl_test_summary(t, longer, 1);
    ck_assert_double_eq(fig(s, "newcomers", "admitted"), 100000);
    ck_assert_ptr_nonnull(strstr(s, "\"all_admitted\":\ttrue"));
    ck_assert_double_eq_tol(fig(s, "newcomers", "all_admitted_s"), 199.81, 1e-9);
    free(s);
    free(t);
}
END_TEST

/* A full accept queue drops attempts; each client waits out its connect timeout and comes
 * back. 1,000 newcomers at once, backlog 100, 1 handshake per step (1 cpu, 10 ms): the
 * first 100 wait, 900 overflow, and return 5 s later in the same step. */
START_TEST(backlog_overflows_and_clients_come_back)
{
    char *t = scenario("30s",
                       "\"cpus\": 1, \"handshake_time\": \"10ms\", \"backlog\": 100,"
                       " \"clients\": {\"join\": {\"count\": 1000, \"within\": 0, \"at\": \"1s\"}},"
                       " \"reconnect\": {\"connect_timeout\": \"5s\"}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    /* Waves every 5 s (at 1, 6, 11, 16, 21, 26 s) of 100 admitted each: all 1,000 after
     * ten waves would need 46 s, so 600 connect within 30 s. */
    ck_assert_double_eq(fig(s, "connected", "now"), 600);
    ck_assert_double_eq(fig(s, NULL, "accept_queue_overflows"), 900 + 800 + 700 + 600 + 500 + 400);
    ck_assert_double_eq(fig(s, NULL, "overflow_episodes"), 6);
    ck_assert_double_eq(fig(s, NULL, "reconnect_attempts"), 900 + 800 + 700 + 600 + 500);
    free(s);
    free(t);
}
END_TEST

/* At max_connections further attempts are refused: 900 connected, limit 1,000, 500
 * newcomers: 100 get in, the other 400 are refused and keep trying. */
START_TEST(max_connections_refuses)
{
    char *t = scenario("5s",
                       "\"max_connections\": 1000, \"clients\": {\"connected\": 900,"
                       " \"join\": {\"count\": 500, \"within\": 0}}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, "connected", "now"), 1000);
    ck_assert_double_eq(fig(s, "newcomers", "admitted"), 100);
    ck_assert_double_ge(fig(s, "refused", "max_connections"), 400);
    free(s);
    free(t);
}
END_TEST

/* A crash loses every connection; immediate reconnects are refused until the restart,
 * then every client is back within the handshake capacity (1,000 at 4 cpus, 1 ms: 0.25 s). */
START_TEST(crash_loses_every_connection)
{
    char *t = scenario("10s",
                       "\"cpus\": 4, \"handshake_time\": \"1ms\","
                       " \"clients\": {\"connected\": 1000}",
                       ", \"faults\": [{\"at\": \"2s\", \"for\": \"1s\", \"crash\": \"gw\"}]");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, "disconnects", "crash"), 1000);
    ck_assert_double_eq(fig(s, "connected", "min"), 0);
    ck_assert_double_eq(fig(s, "connected", "now"), 1000);
    ck_assert_double_gt(fig(s, "refused", "down"), 0);
    ck_assert_double_eq(fig(s, "handshakes", "completed"), 1000);
    ck_assert_ptr_nonnull(strstr(s, "\"restored\":\ttrue"));
    double back = fig(s, "recovery", "restored_s");
    ck_assert_double_ge(back, 1.0);
    ck_assert_double_le(back, 1.3);
    free(s);
    free(t);
}
END_TEST

/* Session resumption: clients whose connection dropped resume with the cheap handshake. */
START_TEST(dropped_clients_resume)
{
    char *t =
        scenario("20s",
                 "\"cpus\": 1, \"handshake_time\": \"1ms\", \"resumed_handshake_time\": \"100us\","
                 " \"heartbeat_interval\": \"1s\", \"heartbeat_time\": \"10us\","
                 " \"heartbeat_timeout\": \"1s\", \"session_resumption\": true,"
                 " \"clients\": {\"connected\": 1000}",
                 ", \"faults\": [{\"at\": \"5s\", \"for\": \"3s\", \"pause\": \"gw\"}]");
    char *s = fl_test_summary(t, NULL, 0);
    /* A 3 s pause outlasts the 1 s heartbeat timeout: every connection drops, and all
     * come back resumed. */
    ck_assert_double_eq(fig(s, "disconnects", "heartbeat"), 1000);
    ck_assert_double_eq(fig(s, "handshakes", "resumed"), 1000);
    ck_assert_double_eq(fig(s, "handshakes", "full"), 0);
    ck_assert_double_eq(fig(s, "connected", "now"), 1000);
    free(s);
    free(t);
}
END_TEST

/* The same inputs give the same summary; and every allocation can fail cleanly. */
START_TEST(deterministic_and_clean_on_allocation_failure)
{
    char *t = scenario(
        "5s",
        "\"cpus\": 1, \"handshake_time\": \"1ms\", \"backlog\": 500,"
        " \"clients\": {\"connected\": 2000, \"join\": [{\"count\": 3000, \"within\": \"1s\"}]},"
        " \"reconnect\": {\"delay\": \"exponential(100ms, max=1s)\", \"jitter\": \"full\","
        "   \"connect_timeout\": \"1s\"}",
        "");
    char *a = fl_test_summary(t, NULL, 0), *b = fl_test_summary(t, NULL, 0);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    fl_alloc_install_cjson();
    int ok = 0;
    for (long n = 1; n < 100000 && !ok; n++) {
        fl_alloc_fail_after(n);
        fl_error e;
        fl_scenario *sc = NULL;
        fl_status st = fl_scenario_parse(t, strlen(t), "g.json", &sc, &e);
        if (st == FL_OK) {
            fl_run_config cfg = {0};
            fl_result *r = NULL;
            st = fl_run(sc, &cfg, &r, &e);
            fl_result_free(r);
            fl_scenario_free(sc);
        }
        fl_alloc_fail_after(0);
        ok = st == FL_OK;
        ck_assert_msg(ok || st == FL_NOMEM, "allocation %ld: %s", n, e.msg);
    }
    ck_assert(ok);
    free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, handshake_throughput_is_cpus_over_handshake_time);
    tcase_add_test(tc, heartbeats_are_counted_exactly);
    tcase_add_test(tc, priority_keeps_heartbeats_while_handshakes_queue);
    tcase_add_test(tc, admission_admits_at_its_rate);
    tcase_add_test(tc, backlog_overflows_and_clients_come_back);
    tcase_add_test(tc, max_connections_refuses);
    tcase_add_test(tc, crash_loses_every_connection);
    tcase_add_test(tc, dropped_clients_resume);
    tcase_add_test(tc, deterministic_and_clean_on_allocation_failure);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
