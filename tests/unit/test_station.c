/* The queueing station: what its capacity means (unbounded, a bounded queue, no waiting
 * room at all), on small cases with exact event times; then a loss system against Erlang B
 * and Little's law with expired requests, and heavy-tailed service marking its wait
 * intervals unreliable, through the whole scenario path. */
#include <math.h>

#include <faultline/sim.h>

#include "node/station.h"
#include "testutil.h"

typedef struct trace {
    int n;
    uint32_t id[16];
    fl_station_end how[16];
    fl_time at[16];
} trace;

static fl_time ten_ns(void *ctx, uint32_t id)
{
    (void)ctx;
    (void)id;
    return 10;
}

static void done(void *ctx, uint32_t id, fl_station_end how, fl_time arrive, fl_time start)
{
    (void)arrive;
    (void)start;
    trace *t = ctx;
    ck_assert_int_lt(t->n, 16);
    t->id[t->n] = id;
    t->how[t->n] = how;
    t->at[t->n] = -1; /* stamped by run() after the step it happened in */
    t->n++;
}

static const fl_station_ops ops = {.service_time = ten_ns, .done = done};

typedef struct arrivals {
    fl_station *st;
} arrivals;

static void arrive(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    arrivals *a = ctx;
    ck_assert_int_eq(fl_station_arrive(a->st, (uint32_t)arg), FL_OK);
}

/* One worker serving 10 ns each; items 1, 2, 3 arrive at 0, 3 and 5. Returns how each
 * item ended, in the order they ended, and when. */
static trace run(const fl_station_cfg *cfg)
{
    fl_sim *sim = fl_sim_new(1);
    trace t = {0};
    fl_station *st = fl_station_new(sim, cfg, &ops, &t);
    ck_assert_ptr_nonnull(st);
    arrivals a = {st};
    int h = fl_sim_handler(sim, arrive, &a);
    fl_sim_at(sim, 0, h, 1);
    fl_sim_at(sim, 3, h, 2);
    fl_sim_at(sim, 5, h, 3);
    /* Step event by event to stamp each ending with its time. */
    for (fl_time now = 0; now <= 100; now++) {
        int before = t.n;
        fl_sim_run(sim, now);
        for (int i = before; i < t.n; i++)
            t.at[i] = now;
    }
    fl_station_free(st);
    fl_sim_free(sim);
    return t;
}

START_TEST(zero_value_config_is_unbounded)
{
    /* Kinds that leave the queue alone (cache, store) must keep an unbounded queue. */
    fl_station_cfg cfg = {.workers = 1, .stats_to = 1000};
    trace t = run(&cfg);
    ck_assert_int_eq(t.n, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(t.how[i], FL_STATION_SERVED);
        ck_assert_uint_eq(t.id[i], (uint32_t)i + 1);
        ck_assert_int_eq(t.at[i], 10 * (i + 1)); /* back to back */
    }
}
END_TEST

START_TEST(capacity_zero_is_no_waiting_room)
{
    fl_station_cfg cfg = {.workers = 1, .bounded = true, .capacity = 0, .stats_to = 1000};
    trace t = run(&cfg);
    ck_assert_int_eq(t.n, 3);
    /* 2 and 3 find the worker busy and are refused at once, not after a wait */
    ck_assert_uint_eq(t.id[0], 2);
    ck_assert_int_eq(t.how[0], FL_STATION_REJECTED);
    ck_assert_int_eq(t.at[0], 3);
    ck_assert_uint_eq(t.id[1], 3);
    ck_assert_int_eq(t.how[1], FL_STATION_REJECTED);
    ck_assert_int_eq(t.at[1], 5);
    ck_assert_uint_eq(t.id[2], 1);
    ck_assert_int_eq(t.how[2], FL_STATION_SERVED);
    ck_assert_int_eq(t.at[2], 10);
}
END_TEST

START_TEST(capacity_one_holds_one)
{
    fl_station_cfg cfg = {.workers = 1, .bounded = true, .capacity = 1, .stats_to = 1000};
    trace t = run(&cfg);
    ck_assert_int_eq(t.n, 3);
    ck_assert_uint_eq(t.id[0], 3); /* the queue holds 2 already */
    ck_assert_int_eq(t.how[0], FL_STATION_REJECTED);
    ck_assert_int_eq(t.at[0], 5);
    ck_assert_uint_eq(t.id[1], 1);
    ck_assert_int_eq(t.at[1], 10);
    ck_assert_uint_eq(t.id[2], 2);
    ck_assert_int_eq(t.how[2], FL_STATION_SERVED);
    ck_assert_int_eq(t.at[2], 20);
}
END_TEST

/* M/M/2/2 at A = 1 Erlang: Erlang B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2. The theory value
 * must lie in the run's 99.9% interval, and nobody waits. */
START_TEST(loss_system_matches_erlang_b)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"b\", \"duration\": \"400s\", \"warmup\": \"2s\",\n"
        " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"workers\": 2,\n"
        "   \"service_time\": \"exp(10ms)\", \"queue\": {\"capacity\": 0}}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"rate\": \"100/s\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    double p = fl_test_fig(s, "\"s\":", "\"p_rejected\":\t");
    double hw = fl_test_fig(s, "\"s\":", "\"p_rejected_ci999\":\t");
    ck_assert_double_gt(hw, 0);
    ck_assert_double_lt(hw, 0.02);
    ck_assert_msg(fabs(p - 0.2) <= hw, "p_rejected %g +- %g, Erlang B 0.2", p, hw);
    ck_assert_double_eq(fl_test_fig(s, "\"s\":", "\"p_wait\":\t"), 0);
    ck_assert_double_gt(fl_test_fig(s, "\"s\":", "\"rejected\":\t"), 5000);
    free(s);
    /* The same node with "capacity": "unbounded" refuses nobody. */
    const char *sets[] = {"nodes.s.queue.capacity=unbounded"};
    s = fl_test_summary(text, sets, 1);
    ck_assert_double_eq(fl_test_fig(s, "\"s\":", "\"rejected\":\t"), 0);
    ck_assert_double_gt(fl_test_fig(s, "\"s\":", "\"p_wait\":\t"), 0.1);
    free(s);
}
END_TEST

/* Little's law on a node that expires requests: L counts the time expired requests spent
 * waiting, so lambda * W must count them too. In a steady state only the items present at
 * the window's edges separate the two sides, about W / span = 1e-5 of L here; served
 * requests alone would leave out several percent (the expired ones' waits). */
START_TEST(littles_law_counts_expired_requests)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"l\", \"duration\": \"300s\", \"warmup\": \"5s\",\n"
        " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"workers\": 1,\n"
        "   \"service_time\": \"exp(1ms)\", \"queue\": {\"max_wait\": \"20ms\"}}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"rate\": \"900/s\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_gt(fl_test_fig(s, "\"s\":", "\"expired\":\t"), 1000);
    double rel = fl_test_fig(s, "\"littles_law\"", "\"rel_diff\":\t");
    ck_assert_msg(rel < 1e-3, "littles_law.rel_diff %g", rel);
    free(s);
}
END_TEST

/* M/G/1 with Pareto service of tail index 2.5: waits have infinite variance (E[S^3] is
 * infinite), so intervals over waits, sojourns and queue lengths are marked unreliable
 * and a "~" expectation on them fails saying why; the same node with exponential service
 * (tail index about 5.7 by the same estimate) keeps them. Utilisation, a bounded figure,
 * keeps its interval either way. */
START_TEST(heavy_tailed_service_marks_wait_intervals)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"p\", \"duration\": \"120s\", \"warmup\": \"2s\",\n"
        " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"workers\": 1,\n"
        "   \"service_time\": \"pareto(scale=0.6ms, shape=2.5)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"rate\": \"800/s\"}],\n"
        " \"expect\": {\"baseline\": {\"nodes.s.wait_ms.mean\": \"~ 3.6\"}}}\n";
    char *s = fl_test_summary(text, NULL, 0);
    const char *why = strstr(s, "\"mean_ci_why\":\t\"service times are heavy-tailed");
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(s, "\"in_system_mean_ci_reliable\":\tfalse"));
    ck_assert_ptr_nonnull(strstr(s, "\"queue_mean_ci_why\""));
    ck_assert_ptr_null(strstr(s, "\"utilisation_ci_why\""));
    ck_assert_ptr_nonnull(strstr(s, "\"error\":\t\"confidence interval unreliable: service"));
    ck_assert_ptr_nonnull(strstr(s, "\"verdict\":\t\"fail\""));
    free(s);
    const char *sets[] = {"nodes.s.service_time=exp(1ms)", "workloads.w.rate=500/s"};
    s = fl_test_summary(text, sets, 2);
    ck_assert_ptr_null(strstr(s, "_ci_why"));
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("station");
    TCase *tc = tcase_create("station");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, zero_value_config_is_unbounded);
    tcase_add_test(tc, capacity_zero_is_no_waiting_room);
    tcase_add_test(tc, capacity_one_holds_one);
    tcase_add_test(tc, loss_system_matches_erlang_b);
    tcase_add_test(tc, littles_law_counts_expired_requests);
    tcase_add_test(tc, heavy_tailed_service_marks_wait_intervals);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
