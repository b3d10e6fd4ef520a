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

/* Heartbeats: every connection one per interval, from its own phase (those connected at
 * time 0 spread evenly over the interval). 1,000 connections every second at 10 us: 10 per
 * step, 10,000 in 10 s, 1% of one cpu, none missed. */
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
    /* 3 connections every 7 s: phases 7/3 s apart, first heartbeats at 0.01, 2.34 and
     * 4.67 s, so 3 s bring 2 of them (not 3 * 3 / 7 = 1.3 rounded either way). */
    const char *few[] = {"nodes.gw.clients.connected=3", "nodes.gw.heartbeat_interval=7s",
                         "duration=3s"};
    s = fl_test_summary(t, few, 3);
    ck_assert_double_eq(fig(s, "heartbeats", "answered"), 2);
    free(s);
    free(t);
}
END_TEST

/* A connection heartbeats once per interval at its own phase, so heartbeats that go
 * unanswered for a whole interval leave no connection standing: a pause of interval +
 * timeout (10 s + 1 s) drops all 1,000 connections, in both client models. A model that
 * drew each step's heartbeats from the connections still up (memoryless phases) would
 * drop about 1 - exp(-1) = 63% of them: the survivors would heartbeat again within the
 * interval, more often than they do. */
START_TEST(a_whole_interval_of_misses_drops_every_connection)
{
    for (int model = 0; model < 2; model++) {
        char gw[600];
        snprintf(gw, sizeof gw,
                 "\"cpus\": 1, \"heartbeat_interval\": \"10s\", \"heartbeat_time\": \"10us\","
                 " \"heartbeat_timeout\": \"1s\", \"clients\": {\"connected\": 1000%s},"
                 " \"reconnect\": {\"connect_timeout\": \"30s\"}",
                 model ? ", \"model\": \"individual\"" : "");
        char *t = scenario("20s", gw,
                           ", \"faults\": [{\"at\": \"5s\", \"for\": \"11s\", \"pause\": \"gw\"}]");
        char *s = fl_test_summary(t, NULL, 0);
        ck_assert_double_eq(fig(s, "disconnects", "heartbeat"), 1000);
        ck_assert_double_eq(fig(s, "connected", "min"), 0);
        ck_assert_double_eq(fig(s, "connected", "now"), 1000); /* back after the pause */
        free(s);
        free(t);
    }
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

/* A full accept queue drops SYNs; the client hears nothing and resends its SYN after 1, 2,
 * 4 ... s (offsets 0, 1, 3, 7 ... s into the attempt) until its connect timeout, then
 * starts a new attempt. 1,000 newcomers at t0 (1.01 s), backlog 100, 1 handshake per step
 * (1 cpu, 10 ms), so the queue empties in 1 s; connect timeout 5 s: SYNs at t0 + 0, 1, 3
 * (the next, at 7, is past the timeout), a new attempt at t0 + 5, 10, 15. Each SYN round
 * lets 100 in: dropped 900, 800, 700 | 600, 500, 400 | 300, 200, 100 | 0. */
START_TEST(backlog_overflows_and_syns_are_resent)
{
    char *t = scenario("30s",
                       "\"cpus\": 1, \"handshake_time\": \"10ms\", \"backlog\": 100,"
                       " \"clients\": {\"join\": {\"count\": 1000, \"within\": 0, \"at\": \"1s\"}},"
                       " \"reconnect\": {\"connect_timeout\": \"5s\"}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, "connected", "now"), 1000);
    ck_assert_double_eq(fig(s, NULL, "accept_queue_overflows"), 4500);
    ck_assert_double_eq(fig(s, NULL, "syn_retransmissions"), 900 + 800 + 600 + 500 + 300 + 200);
    ck_assert_double_eq(fig(s, NULL, "attempts"), 1000 + 700 + 400 + 100);
    ck_assert_double_eq(fig(s, NULL, "reconnect_attempts"), 700 + 400 + 100);
    ck_assert_double_eq(fig(s, "handshakes", "unanswered"), 700 + 400 + 100);
    /* Drops at t0 + 0, 1 | 3 | 5, 6 | 8 | 10, 11 | 13: gaps over 1 s start an episode. */
    ck_assert_double_eq(fig(s, NULL, "overflow_episodes"), 6);
    /* The last 100 get in at t0 + 15 (16.01 s) and the last handshake is done 99 steps
     * later, 16 s after the join began (one step more when the 900 connections' few
     * heartbeats took a share of a step). */
    double all = fig(s, "newcomers", "all_admitted_s");
    ck_assert_double_ge(all, 16.0 - 1e-9);
    ck_assert_double_le(all, 16.01 + 1e-9);
    free(s);
    free(t);
}
END_TEST

/* The count per window of a gateway series (a rate per second, times the window). */
static double *window_counts;
static size_t window_n;
static double window_s;
static void grab(void *ctx, const fl_series *s, size_t w)
{
    int col = -1;
    for (size_t c = 0; c < fl_series_columns(s); c++)
        if (strcmp(fl_series_name(s, (int)c), (const char *)ctx) == 0)
            col = (int)c;
    ck_assert_int_ge(col, 0);
    if (w < window_n)
        window_counts[w] = fl_series_value(s, col, w) * window_s;
}

static void per_window(const char *t, uint64_t seed, const char *column, double window, double *out,
                       size_t n)
{
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert_msg(fl_scenario_parse(t, strlen(t), "t.json", &sc, &e) == FL_OK, "%s", e.msg);
    window_counts = out;
    window_n = n;
    window_s = window;
    for (size_t i = 0; i < n; i++)
        out[i] = -1;
    fl_run_config cfg = {
        .seed = seed, .seed_given = true, .window = grab, .progress_ctx = (void *)column};
    fl_result *r = NULL;
    ck_assert_msg(fl_run(sc, &cfg, &r, &e) == FL_OK, "%s", e.msg);
    fl_result_free(r);
    fl_scenario_free(sc);
}

/* A blackholed gateway (backlog 0: every SYN is dropped). 100 newcomers at t0 = 1.01 s,
 * connect timeout 10 s: SYNs at t0 + 0, 1, 3, 7, a new attempt at t0 + 10 and t0 + 20;
 * in 30 s, 3 attempts of 4 SYNs. An attempt counts as unanswered when its last SYN is
 * dropped (at t0 + 7, 17, 27), before it ends at its timeout. With syn_retries 2 the
 * kernel gives up at 1 + 2 + 4 = 7 s (ETIMEDOUT) before the client's timeout: attempts
 * every 7 s (t0 + 0, 7, 14, 21, 28), the last one's second SYN past the end. */
START_TEST(blackholed_gateway_resends_syns_on_schedule)
{
    char *t = scenario("30s",
                       "\"backlog\": 0,"
                       " \"clients\": {\"join\": {\"count\": 100, \"within\": 0, \"at\": \"1s\"}},"
                       " \"reconnect\": {\"connect_timeout\": \"10s\"}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, NULL, "attempts"), 300);
    ck_assert_double_eq(fig(s, NULL, "syn_retransmissions"), 900);
    ck_assert_double_eq(fig(s, NULL, "accept_queue_overflows"), 1200);
    ck_assert_double_eq(fig(s, "handshakes", "unanswered"), 300);
    ck_assert_double_eq(fig(s, "connected", "now"), 0);
    /* SYNs of one attempt are 2 s apart at most before 7: episodes at 0-1, 3, 7 per try. */
    ck_assert_double_eq(fig(s, NULL, "overflow_episodes"), 9);
    free(s);
    /* The schedule itself: 100 dropped SYNs in the seconds 1, 2, 4, 8 | 11, 12, 14, 18 |
     * 21, 22, 24, 28, none in any other. */
    double ovf[30];
    per_window(t, 1, "gw.overflows_per_s", 1, ovf, 30);
    for (int i = 0; i < 30; i++) {
        int k = (i - 1) % 10;
        bool syn = i >= 1 && (k == 0 || k == 1 || k == 3 || k == 7);
        ck_assert_msg(ovf[i] == (syn ? 100 : 0), "second %d: %g dropped SYNs", i, ovf[i]);
    }
    const char *two[] = {"nodes.gw.reconnect.syn_retries=2"};
    s = fl_test_summary(t, two, 1);
    ck_assert_double_eq(fig(s, NULL, "attempts"), 500);
    ck_assert_double_eq(fig(s, NULL, "syn_retransmissions"), 4 * 200);
    ck_assert_double_eq(fig(s, "handshakes", "unanswered"), 400); /* t0 + 3, 10, 17, 24 */
    free(s);
    /* No retransmission at all: the kernel gives up after the first 1 s timeout. */
    const char *none[] = {"nodes.gw.reconnect.syn_retries=0"};
    s = fl_test_summary(t, none, 1);
    ck_assert_double_eq(fig(s, NULL, "attempts"), 2900);
    ck_assert_double_eq(fig(s, NULL, "syn_retransmissions"), 0);
    free(s);
    free(t);
}
END_TEST

/* Each attempt's connect timeout drawn uniform in [2 s, 4 s], a blackholed gateway:
 * 10,000 newcomers at t0 = 10 ms send SYN 1 at t0 + 1; SYN 2 at t0 + 3 only when their
 * timeout is longer than 3 s, probability 1/2; the others give up at their timeout, in
 * (2, 3] s, and start a new attempt at once. By t0 + 3 s (the run's end) those that gave
 * up number Binomial(10,000, 1/2): within 4 standard deviations (50) of 5,000. (Every
 * first attempt is unanswered by then: the rest drop their last SYN at t0 + 3.) */
START_TEST(connect_timeouts_are_spread)
{
    char *t = scenario("3010ms",
                       "\"backlog\": 0, \"clients\": {\"join\": {\"count\": 10000, \"within\": 0}},"
                       " \"reconnect\": {\"connect_timeout\": \"uniform(2s, 4s)\"}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, "handshakes", "unanswered"), 10000);
    double gone = fig(s, NULL, "attempts") - 10000;
    ck_assert_double_ge(gone, 4800);
    ck_assert_double_le(gone, 5200);
    ck_assert_double_eq(fig(s, NULL, "syn_retransmissions"), 10000 + (10000 - gone));
    /* Another seed draws other timeouts. */
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert(fl_scenario_parse(t, strlen(t), "t.json", &sc, &e) == FL_OK);
    fl_run_config cfg = {.seed = 2, .seed_given = true};
    fl_result *r = NULL;
    ck_assert(fl_run(sc, &cfg, &r, &e) == FL_OK);
    double gone2 = fig(fl_result_summary(r), NULL, "attempts") - 10000;
    ck_assert_double_ne(gone, gone2);
    ck_assert_double_ge(gone2, 4800);
    ck_assert_double_le(gone2, 5200);
    fl_result_free(r);
    fl_scenario_free(sc);
    free(s);
    /* Queued handshakes time out at their own deadlines too: a paused node (the kernel
     * still queues) and timeouts uniform in [1 s, 3 s]: by t0 + 2 s half have given up
     * (a second timeout needs two draws of 1 s, probability ~0). */
    char *q =
        scenario("2010ms",
                 "\"backlog\": 1000000, \"clients\": {\"join\": {\"count\": 10000,"
                 " \"within\": 0}}, \"reconnect\": {\"connect_timeout\": \"uniform(1s, 3s)\"}",
                 ", \"faults\": [{\"at\": 0, \"for\": \"1m\", \"pause\": \"gw\"}]");
    s = fl_test_summary(q, NULL, 0);
    double out = fig(s, "handshakes", "timed_out");
    ck_assert_double_ge(out, 4800);
    ck_assert_double_le(out, 5200);
    ck_assert_double_eq(fig(s, "handshakes", "completed"), 0);
    free(s);
    free(q);
    free(t);
}
END_TEST

/* A reconnect spread of 1 s: 10,000 clients dropped by a crash at 2 s each come back
 * after their own uniform draw in [0, 1 s], so every 100 ms window of (2.1, 3.0] holds
 * Binomial(10,000, 0.1) attempts, 1,000 +- 30, plus the few refused in the crash's one
 * step (about 1%) spread again (about 10 a window): within [880, 1130]. Another seed
 * gives other counts; without a spread all come back in one step. */
START_TEST(reconnect_spread_fills_the_window)
{
    char *t = scenario("4s",
                       "\"cpus\": 100, \"clients\": {\"connected\": 10000, \"rtt\": 0},"
                       " \"reconnect\": {\"spread\": \"1s\"}",
                       ", \"faults\": [{\"at\": \"2s\", \"for\": \"10ms\", \"crash\": \"gw\"}]");
    /* 100 ms windows instead of the helper's 1 s */
    char *w = strstr(t, "\"window\": \"1s\"");
    ck_assert_ptr_nonnull(w);
    char *t100 = malloc(strlen(t) + 8);
    ck_assert_ptr_nonnull(t100);
    snprintf(t100, strlen(t) + 8, "%.*s\"window\": \"100ms\"%s", (int)(w - t), t,
             w + strlen("\"window\": \"1s\""));
    free(t);
    t = t100;
    double a[40], b[40];
    per_window(t, 1, "gw.attempts_per_s", 0.1, a, 40);
    per_window(t, 2, "gw.attempts_per_s", 0.1, b, 40);
    int differ = 0;
    double sum = 0;
    for (int i = 21; i < 30; i++) {
        ck_assert_msg(a[i] >= 880 && a[i] <= 1130, "window %d: %g", i, a[i]);
        ck_assert_msg(b[i] >= 880 && b[i] <= 1130, "window %d: %g", i, b[i]);
        differ += a[i] != b[i];
    }
    for (int i = 20; i < 40; i++)
        sum += a[i];
    ck_assert_int_gt(differ, 0);
    ck_assert_double_ge(sum, 10000);
    free(t);
    t = scenario("4s", "\"cpus\": 100, \"clients\": {\"connected\": 10000, \"rtt\": 0}",
                 ", \"faults\": [{\"at\": \"2s\", \"for\": \"10ms\", \"crash\": \"gw\"}]");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, NULL, "reconnect_attempts"), 10000 * 2); /* refused once */
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

/* Attempts of one step that cannot all get in share the accept queue's room in proportion,
 * whatever their class: the kernel takes SYNs in arrival order, and within a step no class
 * comes first. 1,000 connections lost in a crash (1-2 s) are refused every round trip (one
 * step) while the node is down; 3,000 newcomers arrive as it restarts (a wave at 1.99 s
 * joins in the step after, 2 s); in that step, the node's first up, all 4,000 try for 400
 * places: 100 returning and 300 newcomers get in.
 * Their handshakes take 0.4 s, and the SYNs dropped at that step come back 1 s later,
 * so at 2.9 s exactly those 400 are connected. */
START_TEST(a_full_queue_is_shared_by_the_step_s_attempts)
{
    char *t = scenario("2900ms",
                       "\"cpus\": 1, \"handshake_time\": \"1ms\", \"backlog\": 400,"
                       " \"clients\": {\"connected\": 1000, \"rtt\": \"10ms\","
                       "   \"join\": {\"count\": 3000, \"within\": 0, \"at\": \"1990ms\"}},"
                       " \"reconnect\": {\"connect_timeout\": \"60s\"}",
                       ", \"faults\": [{\"at\": \"1s\", \"for\": \"1s\", \"crash\": \"gw\"}]");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, "connected", "now"), 400);
    ck_assert_double_eq(fig(s, "newcomers", "admitted"), 300);
    free(s);
    free(t);
}
END_TEST

/* The bundled reconnect-herd: its clients draw their own delays, so seeds 1 and 2 give
 * different figures (gateway figures only: the workload's senders are random anyway);
 * with the spread removed every client of a cohort acts in the same step and the
 * gateway's figures are the same for every seed. */
static char *herd(uint64_t seed, const char *set)
{
    const char *dir = getenv("FL_SCENARIO_DIR");
    ck_assert_msg(dir, "FL_SCENARIO_DIR is not set (tests/meson.build sets it)");
    char f[1024];
    snprintf(f, sizeof f, "%s/reconnect-herd.json", dir);
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert_msg(fl_scenario_load(f, &sc, &e) == FL_OK, "%s", e.msg);
    const char *sets[] = {"duration=200s", set};
    fl_run_config cfg = {.seed = seed, .seed_given = true, .sets = sets, .nsets = set ? 2 : 1};
    fl_result *r = NULL;
    ck_assert_msg(fl_run(sc, &cfg, &r, &e) == FL_OK, "%s", e.msg);
    char *out = strdup(fl_result_summary(r));
    fl_result_free(r);
    fl_scenario_free(sc);
    return out;
}

START_TEST(reconnect_herd_depends_on_the_seed)
{
    static const char *const figs[][2] = {{NULL, "attempts"},
                                          {NULL, "syn_retransmissions"},
                                          {NULL, "accept_queue_overflows"},
                                          {"handshakes", "completed"}};
    char *a = herd(1, NULL), *b = herd(2, NULL);
    int differ = 0;
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++)
        differ += fig(a, figs[i][0], figs[i][1]) != fig(b, figs[i][0], figs[i][1]);
    ck_assert_int_ge(differ, 3);
    free(a);
    free(b);
    a = herd(1, "nodes.gw.reconnect.spread=0");
    b = herd(2, "nodes.gw.reconnect.spread=0");
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++)
        ck_assert_double_eq(fig(a, figs[i][0], figs[i][1]), fig(b, figs[i][0], figs[i][1]));
    free(a);
    free(b);
}
END_TEST

/* ---- individual clients ("clients": {"model": "individual"}) ---------------------------- */

/* Every connected client sends one heartbeat every interval from its own phase in
 * (0, interval]: over a run of duration D each sends exactly D / interval of them (its
 * first at the phase, its last at phase + D - interval <= D). 1,000 clients, 10 s, 100 s:
 * 10,000 heartbeats; with CPU to spare all but those of the last step are answered. */
START_TEST(individual_heartbeats_are_counted_exactly)
{
    char *t = scenario("100s",
                       "\"cpus\": 1, \"heartbeat_interval\": \"10s\","
                       " \"clients\": {\"connected\": 1000, \"model\": \"individual\"}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, "heartbeats", "sent"), 10000);
    double answered = fig(s, "heartbeats", "answered");
    ck_assert_double_le(answered, 10000);
    ck_assert_double_ge(answered, 10000 - 10);
    ck_assert_double_eq(fig(s, "heartbeats", "missed"), 0);
    ck_assert_double_eq(fig(s, "connected", "now"), 1000);
    ck_assert_double_eq(fig(s, "disconnects", "total"), 0);
    ck_assert_double_eq(fig(s, NULL, "client_record_bytes"), 32);
    /* heartbeat_time of CPU each: 10,000 x 20 us */
    ck_assert_double_eq_tol(fig(s, "cpu_s", "heartbeats"), answered * 20e-6, 1e-9);
    free(s);
    free(t);
}
END_TEST

/* Saturated by newcomers' handshakes, individual clients get the same CPU as counted ones:
 * 2 cpus at 1 ms, 2,000 handshakes/s less what the heartbeats take. */
START_TEST(individual_handshake_throughput_is_cpus_over_handshake_time)
{
    char *t = scenario("10s",
                       "\"cpus\": 2, \"handshake_time\": \"1ms\", \"backlog\": 1000000,"
                       " \"clients\": {\"join\": {\"count\": 100000, \"within\": \"1s\"},"
                       "   \"model\": \"individual\"},"
                       " \"reconnect\": {\"connect_timeout\": \"1h\"}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    double hb = fig(s, "heartbeats", "answered");
    ck_assert_double_le(hb, 1000); /* 20,000 connections x 10 s / 30 s at most, fewer */
    double hs = fig(s, "handshakes", "completed");
    ck_assert_double_le(hs, 20000 - floor(hb * 0.020));
    ck_assert_double_ge(hs, 20000 - ceil(hb * 0.020) - 1);
    ck_assert_double_eq(fig(s, NULL, "utilisation"), 1);
    ck_assert_double_eq(fig(s, "newcomers", "joined"), 100000);
    ck_assert_double_eq(fig(s, "connected", "now"), hs);
    free(s);
    free(t);
}
END_TEST

/* A crash drops every connection; each client waits its own backoff before it reconnects.
 * 1,000 clients, an accept queue of 10 and 10 handshakes per 1 ms step: clients whose
 * waits are their own (full jitter over 1 s, 2 s ...) arrive about one a step, and the
 * queue never overflows; clients that share their timers (a constant 1 s, no spread) come
 * back at one instant, and all but 10 of them are dropped. */
START_TEST(individual_reconnects_after_a_crash_are_not_phase_locked)
{
    const char *gw =
        "\"cpus\": 1, \"handshake_time\": \"100us\", \"backlog\": 10, \"resolution\": \"1ms\","
        " \"clients\": {\"connected\": 1000, \"model\": \"individual\"},"
        " \"reconnect\": {\"delay\": \"exponential(1s, max=10s)\", \"jitter\": \"full\"}";
    const char *crash = ", \"faults\": [{\"at\": \"10s\", \"for\": \"1500ms\", \"crash\": \"gw\"}]";
    char *t = scenario("60s", gw, crash);
    char *s = fl_test_summary(t, NULL, 0);
    ck_assert_double_eq(fig(s, "disconnects", "crash"), 1000);
    ck_assert_double_eq(fig(s, "connected", "now"), 1000);
    ck_assert_double_eq(fig(s, "recovery", "connected_before"), 1000);
    ck_assert_double_ge(fig(s, NULL, "reconnect_attempts"), 1000);
    ck_assert_double_eq(fig(s, NULL, "accept_queue_overflows"), 0);
    ck_assert_double_eq(fig(s, "handshakes", "completed"), 1000);
    free(s);
    const char *locked[] = {"nodes.gw.reconnect.delay=constant(1s)",
                            "nodes.gw.reconnect.jitter=none"};
    s = fl_test_summary(t, locked, 2);
    ck_assert_double_ge(fig(s, NULL, "accept_queue_overflows"), 990);
    free(s);
    /* Two seeds: the clients' own draws differ, so the runs do. */
    char extra[200];
    snprintf(extra, sizeof extra, "%s, \"seed\": 2", crash);
    char *t2 = scenario("60s", gw, extra);
    char *a = fl_test_summary(t, NULL, 0), *b = fl_test_summary(t2, NULL, 0);
    ck_assert_str_ne(a, b);
    free(a);
    free(b);
    free(t2);
    free(t);
}
END_TEST

/* Heartbeats the CPU cannot answer within heartbeat_timeout disconnect their clients, one
 * each, and those clients reconnect: 200 clients every 1 s at 10 ms each need 2 cpus, and
 * there is 1. */
START_TEST(individual_missed_heartbeats_disconnect)
{
    char *t = scenario("60s",
                       "\"cpus\": 1, \"heartbeat_interval\": \"1s\", \"heartbeat_time\": \"10ms\","
                       " \"heartbeat_timeout\": \"2s\", \"handshake_time\": \"1ms\","
                       " \"clients\": {\"connected\": 200, \"model\": \"individual\"}",
                       "");
    char *s = fl_test_summary(t, NULL, 0);
    double disc = fig(s, "disconnects", "heartbeat");
    ck_assert_double_gt(disc, 0);
    ck_assert_double_ge(fig(s, "heartbeats", "missed"), disc);
    ck_assert_double_ge(fig(s, NULL, "reconnect_attempts"), disc);
    ck_assert_double_eq(fig(s, "disconnects", "total"), disc);
    ck_assert_double_gt(fig(s, NULL, "wasted_work_s"), 0); /* answers nobody waited for */
    ck_assert_double_le(fig(s, "connected", "min"), 200 - 1);
    free(s);
    free(t);
}
END_TEST

/* The same inputs give the same summary; and every allocation can fail cleanly. Both
 * client models (the loop's index _i: 0 aggregate, 1 individual). */
START_TEST(deterministic_and_clean_on_allocation_failure)
{
    char gw[600];
    snprintf(gw, sizeof gw,
             "\"cpus\": 1, \"handshake_time\": \"1ms\", \"backlog\": 500,"
             " \"clients\": {\"connected\": 2000, \"join\": [{\"count\": 3000, \"within\": \"1s\"}]%s},"
             " \"reconnect\": {\"delay\": \"exponential(100ms, max=1s)\", \"jitter\": \"full\","
             "   \"connect_timeout\": \"uniform(500ms, 1s)\", \"spread\": \"50ms\"}",
             _i ? ", \"model\": \"individual\"" : "");
    char *t = scenario("5s", gw, "");
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
    tcase_add_test(tc, a_whole_interval_of_misses_drops_every_connection);
    tcase_add_test(tc, priority_keeps_heartbeats_while_handshakes_queue);
    tcase_add_test(tc, admission_admits_at_its_rate);
    tcase_add_test(tc, backlog_overflows_and_syns_are_resent);
    tcase_add_test(tc, blackholed_gateway_resends_syns_on_schedule);
    tcase_add_test(tc, connect_timeouts_are_spread);
    tcase_add_test(tc, reconnect_spread_fills_the_window);
    tcase_add_test(tc, max_connections_refuses);
    tcase_add_test(tc, crash_loses_every_connection);
    tcase_add_test(tc, dropped_clients_resume);
    tcase_add_test(tc, reconnect_herd_depends_on_the_seed);
    tcase_add_test(tc, a_full_queue_is_shared_by_the_step_s_attempts);
    tcase_add_loop_test(tc, deterministic_and_clean_on_allocation_failure, 0, 2);
    tcase_add_test(tc, individual_heartbeats_are_counted_exactly);
    tcase_add_test(tc, individual_handshake_throughput_is_cpus_over_handshake_time);
    tcase_add_test(tc, individual_reconnects_after_a_crash_are_not_phase_locked);
    tcase_add_test(tc, individual_missed_heartbeats_disconnect);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
