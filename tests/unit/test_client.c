/* Client policies and faults: backoff and jitter distributions, the retry budget's bound,
 * retries counted exactly, a crashed node that answers nothing, a pause that delays. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "model/client.h"
#include "testutil.h"

static fl_client_policy policy(const char *json)
{
    cJSON *c = cJSON_Parse(json);
    fl_client_policy p;
    fl_error e;
    ck_assert_msg(fl_client_policy_read(c, "client", true, &p, &e) == FL_OK, "%s", e.msg);
    cJSON_Delete(c);
    return p;
}

START_TEST(backoff_shapes)
{
    fl_rng r;
    fl_rng_seed(&r, 1, "backoff");
    fl_client_policy p = policy("{\"backoff\": \"exponential(10ms, max=1s)\"}");
    ck_assert_int_eq(fl_client_backoff(&p, 1, 0, &r), 10 * FL_MS);
    ck_assert_int_eq(fl_client_backoff(&p, 2, 0, &r), 20 * FL_MS);
    ck_assert_int_eq(fl_client_backoff(&p, 5, 0, &r), 160 * FL_MS);
    ck_assert_int_eq(fl_client_backoff(&p, 20, 0, &r), FL_SEC); /* capped */
    p = policy("{\"backoff\": \"constant(50ms)\"}");
    ck_assert_int_eq(fl_client_backoff(&p, 7, 0, &r), 50 * FL_MS);
    p = policy("{}");
    ck_assert_int_eq(fl_client_backoff(&p, 3, 0, &r), 0);
}
END_TEST

/* Mean of full jitter is b/2, of equal jitter 3b/4; decorrelated stays in [base, cap]. */
START_TEST(jitter_distributions)
{
    fl_rng r;
    fl_rng_seed(&r, 2, "jitter");
    const int n = 200000;
    fl_client_policy full = policy("{\"backoff\": \"constant(100ms)\", \"jitter\": \"full\"}");
    fl_client_policy equal = policy("{\"backoff\": \"constant(100ms)\", \"jitter\": \"equal\"}");
    fl_client_policy dec =
        policy("{\"backoff\": \"exponential(10ms, max=2s)\", \"jitter\": \"decorrelated\"}");
    double sf = 0, se = 0;
    fl_time prev = 0;
    for (int i = 0; i < n; i++) {
        fl_time f = fl_client_backoff(&full, 1, 0, &r), q = fl_client_backoff(&equal, 1, 0, &r);
        ck_assert(f >= 0 && f <= 100 * FL_MS);
        ck_assert(q >= 50 * FL_MS && q <= 100 * FL_MS);
        sf += (double)f;
        se += (double)q;
        prev = fl_client_backoff(&dec, 2, prev, &r);
        ck_assert(prev >= 10 * FL_MS && prev <= 2 * FL_SEC);
    }
    /* uniform(0, 100ms) has sd 28.9 ms: the mean of n draws is within 5 sd/sqrt(n) */
    ck_assert_double_lt(fabs(sf / n - 50e6), 5 * 28.87e6 / sqrt(n));
    ck_assert_double_lt(fabs(se / n - 75e6), 5 * 14.43e6 / sqrt(n));
}
END_TEST

START_TEST(budget_bounds_retries)
{
    fl_client_policy p = policy("{\"retry_budget\": {\"ratio\": 0.1, \"burst\": 5}}");
    fl_budget b;
    fl_budget_init(&b, &p);
    int granted = 0;
    const int firsts = 10000;
    for (int i = 0; i < firsts; i++) {
        fl_budget_earn(&b, &p);
        for (int k = 0; k < 3; k++) /* every request wants three retries */
            granted += fl_budget_take(&b, &p);
    }
    /* at most the burst plus 10% of first tries */
    ck_assert_int_le(granted, 5 + firsts / 10);
    ck_assert_int_ge(granted, firsts / 10 - 1);
}
END_TEST

START_TEST(policy_errors)
{
    const char *bad[][2] = {
        {"{\"backoff\": \"exponential(0s, max=1s)\"}", "client.backoff: expected 0 < base <= max, got \"exponential(0s, max=1s)\""},
        {"{\"backoff\": \"linear(1s)\"}", "client.backoff: expected \"none\", \"constant(50ms)\" or \"exponential(10ms, max=1s)\", got \"linear(1s)\""},
        {"{\"jitter\": \"ful\"}", "client.jitter: expected one of \"none\", \"full\", \"equal\", \"decorrelated\", got \"ful\" (did you mean \"full\"?)"},
        {"{\"attempts\": 0}", "client.attempts: expected an integer from 1 to 10000, got 0"},
        {"{\"retries\": 3}", "client.retries: unknown key \"retries\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *c = cJSON_Parse(bad[i][0]);
        fl_client_policy p;
        fl_error e;
        fl_error_clear(&e);
        ck_assert_int_ne(fl_client_policy_read(c, "client", true, &p, &e), FL_OK);
        char msg[1000];
        fl_error_format(&e, msg, sizeof msg);
        ck_assert_str_eq(msg, bad[i][1]);
        cJSON_Delete(c);
    }
}
END_TEST

#define fig fl_test_fig

/* The node is down for the whole measured run: every try is refused, and with 4 attempts
 * and no backoff each request makes exactly 4 tries. */
START_TEST(retries_multiply_exactly)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"20s\", \"warmup\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"service\", \"service_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"100/s\",\n"
        "   \"client\": {\"attempts\": 4, \"timeout\": \"1s\"}}],\n"
        " \"faults\": [{\"at\": \"0s\", \"crash\": \"db\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"retry_amplification\":\t"), 4);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"ok\":\t"), 0);
    double issued = fig(s, "\"workloads\"", "\"issued\":\t");
    ck_assert_double_eq(fig(s, "\"try_errors_by_cause\"", "\"refused\":\t"), 4 * issued);
    free(s);
}
END_TEST

/* A crash loses the work in progress: nothing is answered, the clients time out. */
START_TEST(crash_answers_nothing)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"30s\",\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"service\", \"service_time\": \"const(100s)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"10/s\", \"stop\": \"1s\",\n"
        "   \"arrivals\": \"deterministic\",\n"
        "   \"client\": {\"timeout\": \"5s\"}}],\n"
        " \"faults\": [{\"at\": \"2s\", \"for\": \"1s\", \"crash\": \"db\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"ok\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"timeout\":\t"), 10);
    ck_assert_double_eq(fig(s, "\"nodes\"", "\"lost_in_crash\":\t"), 10);
    free(s);
}
END_TEST

/* A stop-the-world pause holds completions until it ends. */
START_TEST(pause_delays_by_its_length)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"service\", \"service_time\": \"const(10ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"1/s\", \"arrivals\": "
        "\"deterministic\", \"start\": \"1s\", \"stop\": \"1.5s\"}],\n"
        " \"faults\": [{\"at\": \"1.005s\", \"for\": \"2s\", \"pause\": \"db\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    /* one request at 1 s, due at 1.01 s, released when the pause ends at 3.005 s */
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":\t"), 2005, 1);
    free(s);
}
END_TEST

/* The breaker opens while the dependency is down, short-circuits, then half-open probes
 * close it again once the dependency is back. */
START_TEST(breaker_opens_and_closes)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"b\", \"duration\": \"40s\",\n"
        " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"workers\": 50, "
        "\"service_time\": \"const(1ms)\",\n"
        "   \"calls\": [{\"to\": \"dep\", \"client\": {\"breaker\": {\"min_requests\": 5, "
        "\"open_for\": \"2s\", \"probes\": 2}}}]},\n"
        "  {\"name\": \"dep\", \"kind\": \"service\", \"workers\": 50, \"service_time\": "
        "\"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"100/s\"}],\n"
        " \"faults\": [{\"at\": \"10s\", \"for\": \"10s\", \"crash\": \"dep\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_ge(fig(s, "\"breaker\"", "\"opened\":\t"), 1);
    ck_assert_double_gt(fig(s, "\"breaker\"", "\"short_circuited\":\t"), 500);
    ck_assert_ptr_nonnull(strstr(s, "\"state_at_end\":\t\"closed\""));
    /* While open, requests fail at once as a dependency error, not by waiting. */
    ck_assert_double_gt(fig(s, "\"errors_by_cause\"", "\"dependency\":\t"), 500);
    free(s);
}
END_TEST

/* A node whose clock runs 5% fast times out its calls early: a 1 s timeout on its clock
 * is 1/1.05 s of true time. The trace gives the node's wall-clock reading at each clock
 * fault, and the summary how far its clocks ended from true time. */
START_TEST(timeouts_run_on_the_local_clock)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"service_time\": \"const(1ms)\",\n"
        "   \"clock\": {\"drift\": \"50000ppm\", \"offset\": \"-3s\"},\n"
        "   \"calls\": [{\"to\": \"dep\", \"client\": {\"timeout\": \"1s\"}}]},\n"
        "  {\"name\": \"dep\", \"kind\": \"service\", \"service_time\": \"const(100s)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"1/s\", \"arrivals\": "
        "\"deterministic\", \"start\": \"1s\", \"stop\": \"1.5s\"}],\n"
        " \"faults\": [{\"at\": \"5s\", \"clock\": {\"node\": \"api\", \"step\": \"+2s\"}},\n"
        "   {\"at\": \"6s\", \"clock\": {\"node\": \"api\", \"slew\": \"-10ms\", \"rate\": \"500ppm\"}}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq_tol(fig(s, "\"calls\"", "\"max\":\t"), 1000 / 1.05, 1e-6);
    /* at the end (10 s): mono = 10.5 s - 4 s * 500 ppm of slew; wall = mono - 3 s + 2 s */
    ck_assert_double_eq_tol(fig(s, "\"clock\"", "\"mono_minus_true_s\":\t"), 0.498, 1e-9);
    ck_assert_double_eq_tol(fig(s, "\"clock\"", "\"wall_minus_true_s\":\t"), -0.502, 1e-9);
    free(s);

    fl_scenario *sc;
    fl_error e;
    ck_assert_int_eq(fl_scenario_parse(text, strlen(text), "t.json", &sc, &e), FL_OK);
    fl_run_config cfg = {0};
    fl_result *r;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    const char *ev = fl_result_events(r);
    ck_assert_ptr_nonnull(strstr(ev, "{\"t_s\":5,\"event\":\"clock\",\"label\":\"api clock steps "
                                     "+2s\",\"local_s\":4.25}"));
    ck_assert_ptr_nonnull(strstr(ev, "{\"t_s\":6,\"event\":\"clock\",\"until_s\":10,\"label\":"
                                     "\"api clock slews -10ms\",\"local_s\":5.3}"));
    fl_result_free(r);
    fl_scenario_free(sc);
}
END_TEST

/* A paused node's own timers fire late by the pause: api's 100 ms call timeout, due at
 * 1.101 s, fires when the pause ends at 3.005 s; the reply that arrives during a pause is
 * likewise read only when it ends. */
START_TEST(paused_timers_fire_late)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"service_time\": \"const(1ms)\",\n"
        "   \"calls\": [{\"to\": \"dep\", \"client\": {\"timeout\": \"100ms\"}}]},\n"
        "  {\"name\": \"dep\", \"kind\": \"service\", \"service_time\": \"const(10s)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"1/s\", \"arrivals\": "
        "\"deterministic\", \"start\": \"1s\", \"stop\": \"1.5s\"}],\n"
        " \"faults\": [{\"at\": \"1.005s\", \"for\": \"2s\", \"pause\": \"api\"}]}\n";
    const char *quick[] = {"nodes.dep.service_time=const(10ms)"};
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq_tol(fig(s, "\"calls\"", "\"max\":\t"), 3005 - 1001, 1e-6);
    ck_assert_double_eq(fig(s, "\"calls\"", "\"timeout\":\t"), 1);
    free(s);
    /* The reply (due at 1.011 s) waits for the pause too, and wins over the timeout that
     * also came due meanwhile: it arrived first. */
    s = fl_test_summary(text, quick, 1);
    ck_assert_double_eq_tol(fig(s, "\"calls\"", "\"max\":\t"), 3005 - 1001, 1e-6);
    ck_assert_double_eq(fig(s, "\"calls\"", "\"timeout\":\t"), 0);
    free(s);
}
END_TEST

/* Hedging a bimodal server: 5% of tries take 1 s. Without hedges the p99 is 1 s; with a
 * hedge after 50 ms a request is slow only when both tries are (0.25%), so the p99 is
 * about 60 ms, and about one request in twenty sends a hedge, most of which win. */
START_TEST(hedges_cut_the_tail)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"h\", \"duration\": \"60s\", \"warmup\": \"5s\",\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"service\", \"workers\": 1000,\n"
        "   \"service_time\": \"mix(0.95: const(10ms), 0.05: const(1s))\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"200/s\",\n"
        "   \"client\": {\"timeout\": \"5s\"}}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_ge(fig(s, "\"latency_ms\"", "\"p99\":\t"), 999);
    free(s);
    const char *hedge[] = {"workloads.w.client.hedge=50ms"};
    s = fl_test_summary(text, hedge, 1);
    double issued = fig(s, "\"workloads\"", "\"issued\":\t");
    ck_assert_double_lt(fig(s, "\"latency_ms\"", "\"p99\":\t"), 70);
    ck_assert_double_ge(fig(s, "\"latency_ms\"", "\"p99\":\t"), 10);
    double sent = fig(s, "\"hedge\"", "\"sent\":\t");
    double won = fig(s, "\"hedge\"", "\"won\":\t");
    ck_assert_double_gt(sent, 0.04 * issued);
    ck_assert_double_lt(sent, 0.06 * issued);
    ck_assert_double_gt(won, 0.8 * sent); /* a hedge wins unless it is slow too (5%) */
    /* every race ends with one loser abandoned, whichever try won */
    ck_assert_double_eq(fig(s, "\"hedge\"", "\"abandoned_tries\":\t"), sent);
    /* tries = first tries + hedges: the amplification is what hedging costs */
    ck_assert_double_eq_tol(fig(s, "\"workloads\"", "\"retry_amplification\":\t"),
                            1 + sent / issued, 0.01);
    free(s);
    /* A percentile: "p80" follows the fast mode (10 ms), so hedges go out at about 10 ms. */
    const char *pct[] = {"workloads.w.client.hedge=p80"};
    s = fl_test_summary(text, pct, 1);
    ck_assert_double_eq_tol(fig(s, "\"hedge\"", "\"delay_ms_at_end\":\t"), 10, 0.2);
    ck_assert_double_lt(fig(s, "\"latency_ms\"", "\"p99\":\t"), 30);
    free(s);
}
END_TEST

/* A restarted node is cold: service times start `factor` times longer and return to normal
 * linearly over `warmup`. One request every 100 ms, 10 ms each; down from 10 s to 11 s,
 * then 3x slower at 11 s, 2x at 16 s, normal from 21 s. */
START_TEST(restart_warms_up)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"30s\",\n"
        " \"nodes\": [{\"name\": \"db\", \"kind\": \"service\", \"service_time\": \"const(10ms)\",\n"
        "   \"restart\": {\"warmup\": \"10s\", \"factor\": 3}}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"10/s\", \"arrivals\": "
        "\"deterministic\", \"client\": {\"timeout\": \"1s\"}}],\n"
        " \"faults\": [{\"at\": \"10s\", \"for\": \"1s\", \"crash\": \"db\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":\t"), 30, 0.01);
    ck_assert_double_eq(fig(s, "\"nodes\"", "\"cold_restarts\":\t"), 1);
    free(s);
    const char *warm[] = {"nodes.db.restart.factor=1"};
    s = fl_test_summary(text, warm, 1);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":\t"), 10, 0.01);
    free(s);
}
END_TEST

/* Fan-out: three dependencies of 100 ms each take 300 ms one after the other and 100 ms
 * in parallel; with one of them down, the request fails at once either way. */
START_TEST(parallel_fanout)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"workers\": 100, "
        "\"service_time\": \"const(0ms)\",\n"
        "   \"calls\": [{\"to\": \"a\"}, {\"to\": \"b\"}, {\"to\": \"c\"}]},\n"
        "  {\"name\": \"a\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(100ms)\"},\n"
        "  {\"name\": \"b\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(100ms)\"},\n"
        "  {\"name\": \"c\", \"kind\": \"service\", \"workers\": 100, \"service_time\": \"const(100ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"10/s\", \"arrivals\": "
        "\"deterministic\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":\t"), 300, 1e-6);
    free(s);
    const char *par[] = {"nodes.api.fanout=parallel"};
    s = fl_test_summary(text, par, 1);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":\t"), 100, 1e-6);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"errors\":\t"), 0);
    free(s);
    const char *down[] = {"nodes.api.fanout=parallel",
                          "faults=[{\"at\": \"0s\", \"crash\": \"b\"}]"};
    s = fl_test_summary(text, down, 2);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"ok\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"dependency\":\t"),
                        fig(s, "\"workloads\"", "\"issued\":\t"));
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("client");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, backoff_shapes);
    tcase_add_test(tc, jitter_distributions);
    tcase_add_test(tc, budget_bounds_retries);
    tcase_add_test(tc, policy_errors);
    tcase_add_test(tc, retries_multiply_exactly);
    tcase_add_test(tc, crash_answers_nothing);
    tcase_add_test(tc, pause_delays_by_its_length);
    tcase_add_test(tc, breaker_opens_and_closes);
    tcase_add_test(tc, timeouts_run_on_the_local_clock);
    tcase_add_test(tc, paused_timers_fire_late);
    tcase_add_test(tc, hedges_cut_the_tail);
    tcase_add_test(tc, restart_warms_up);
    tcase_add_test(tc, parallel_fanout);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
