/* Scenario loading, overrides, variants, expectations and whole runs through the public
 * API: exact messages, determinism, and clean failure at every allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "core/alloc.h"
#include "testutil.h"

static const char *const base =
    "{\n"
    "  \"faultline\": 1,\n"
    "  \"name\": \"t\",\n"
    "  \"duration\": \"20s\",\n"
    "  \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"workers\": 2,\n"
    "             \"service_time\": \"exp(1ms)\"}],\n"
    "  \"workloads\": [{\"name\": \"users\", \"target\": \"api\", \"rate\": \"500/s\"}],\n"
    "  \"variants\": {\"big\": {\"about\": \"more workers\", \"set\": {\"nodes.api.workers\": 8}}},\n"
    "  \"expect\": {\"baseline\": {\"nodes.api.workers\": \"== 2\"},\n"
    "             \"big\": {\"nodes.api.workers\": \"== 8\", \"workloads.users.ok\": \"> 0\"}}\n"
    "}\n";

static fl_scenario *load(const char *text, fl_error *e)
{
    fl_scenario *sc = NULL;
    fl_scenario_parse(text, strlen(text), "t.json", &sc, e);
    return sc;
}

static double figure(const fl_result *r, const char *key)
{
    const char *s = strstr(fl_result_summary(r), key);
    ck_assert_msg(s != NULL, "no %s in the summary", key);
    return strtod(s + strlen(key), NULL);
}

START_TEST(loads_and_describes)
{
    fl_error e;
    fl_scenario *sc = load(base, &e);
    ck_assert_msg(sc != NULL, "%s", e.msg);
    ck_assert_str_eq(fl_scenario_name(sc), "t");
    ck_assert_uint_eq(fl_scenario_variant_count(sc), 1);
    ck_assert_str_eq(fl_scenario_variant_name(sc, 0), "big");
    ck_assert_str_eq(fl_scenario_variant_about(sc, 0), "more workers");
    ck_assert(fl_scenario_has_variant(sc, "baseline"));
    ck_assert(!fl_scenario_has_variant(sc, "small"));
    ck_assert_int_eq(fl_scenario_duration(sc), 20 * FL_SEC);
    fl_scenario_free(sc);
}
END_TEST

START_TEST(variant_and_set_change_the_model)
{
    fl_error e;
    fl_scenario *sc = load(base, &e);
    fl_run_config cfg = {0};
    fl_result *r;
    int failed;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    ck_assert_double_eq(figure(r, "\"workers\":"), 2);
    ck_assert_int_eq(fl_result_expectations(r, &failed), 1);
    ck_assert_int_eq(failed, 0);
    fl_result_free(r);

    cfg.variant = "big";
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    ck_assert_double_eq(figure(r, "\"workers\":"), 8);
    ck_assert_int_eq(fl_result_expectations(r, &failed), 2);
    ck_assert_int_eq(failed, 0);
    fl_result_free(r);

    /* --set applies after the variant, so it wins; and the expectation then fails. */
    const char *sets[] = {"nodes.api.workers=3", "workloads.users.rate=100/s"};
    cfg.sets = sets;
    cfg.nsets = 2;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    ck_assert_double_eq(figure(r, "\"workers\":"), 3);
    ck_assert_int_eq(fl_result_expectations(r, &failed), 2);
    ck_assert_int_eq(failed, 1);
    ck_assert_ptr_nonnull(strstr(fl_result_summary(r), "\"verdict\":\t\"fail\""));
    fl_result_free(r);

    /* A value with units is a string as a whole: "100/m" is 100 per minute (about 33 in
     * 20 s), never the JSON number 100 with "/m" ignored (2000 in 20 s). */
    const char *per_minute[] = {"workloads.users.rate=100/m", "workloads.users.arrivals=deterministic"};
    cfg.sets = per_minute;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    ck_assert_double_eq_tol(figure(r, "\"issued\":\t"), 100.0 / 3, 1.5);
    fl_result_free(r);
    fl_scenario_free(sc);
}
END_TEST

/* A calibrated check is judged like any other, and its result carries the reason, so that
 * every output can show it apart from the evidence; a failing one still fails the run. */
START_TEST(calibrated_expectations_carry_their_reason)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"t\", \"duration\": \"20s\",\n"
        " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"workers\": 2,\n"
        "             \"service_time\": \"exp(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"users\", \"target\": \"api\", \"rate\": \"500/s\"}],\n"
        " \"expect\": {\"baseline\": {\"nodes.api.workers\": \"== 2\",\n"
        "   \"workloads.users.issued\": {\"check\": \"in [9000, 11000]\",\n"
        "                              \"calibrated\": \"rate set from the 10,000 requests\"}}}}\n";
    fl_error e;
    fl_scenario *sc = load(text, &e);
    ck_assert_msg(sc != NULL, "%s", e.msg);
    fl_run_config cfg = {0};
    fl_result *r;
    int failed;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    ck_assert_int_eq(fl_result_expectations(r, &failed), 2);
    ck_assert_int_eq(failed, 0);
    const char *sum = fl_result_summary(r);
    const char *cal = strstr(sum, "\"calibrated\":\t\"rate set from the 10,000 requests\"");
    ck_assert_ptr_nonnull(cal);
    /* on the calibrated check's entry, not the plain one's */
    ck_assert_ptr_nonnull(strstr(sum, "\"expect\":\t\"in [9000, 11000]\",\n"));
    ck_assert_int_eq((int)(strstr(sum, "\"calibrated\"") - sum), (int)(cal - sum));
    ck_assert_ptr_null(strstr(cal + 1, "\"calibrated\""));
    fl_result_free(r);
    const char *slow[] = {"workloads.users.rate=100/s"}; /* 2,000 requests: it fails */
    cfg.sets = slow;
    cfg.nsets = 1;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    ck_assert_int_eq(fl_result_expectations(r, &failed), 2);
    ck_assert_int_eq(failed, 1);
    fl_result_free(r);
    fl_scenario_free(sc);
}
END_TEST

START_TEST(bad_overrides_name_the_problem)
{
    fl_error e;
    char msg[1200];
    fl_scenario *sc = load(base, &e);
    fl_run_config cfg = {0};
    fl_result *r = NULL;
    const char *bad_path[] = {"nodes.apx.workers=3"};
    cfg.sets = bad_path;
    cfg.nsets = 1;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_UNKNOWN);
    ck_assert_ptr_null(r);
    fl_error_format(&e, msg, sizeof msg);
    ck_assert_str_eq(msg, "--set: nodes.apx.workers: nothing named \"apx\" here (did you mean \"api\"?)");

    const char *bad_value[] = {"nodes.api.workers=many"};
    cfg.sets = bad_value;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_INVALID);
    fl_error_format(&e, msg, sizeof msg);
    ck_assert_str_eq(msg, "--set: nodes[0].workers: expected an integer from 1 to 1000000, got \"many\"");

    const char *no_eq[] = {"nodes.api.workers"};
    cfg.sets = no_eq;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_USAGE);

    /* A new top-level key would be silently ignored: refused, with a suggestion. */
    const char *top[] = {"duratoin=5s"};
    cfg.sets = top;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_UNKNOWN);
    fl_error_format(&e, msg, sizeof msg);
    ck_assert_str_eq(msg, "--set: duratoin: unknown top-level key \"duratoin\" (did you mean "
                          "\"duration\"?); an override starts with one of duration, window, "
                          "warmup, zones, nodes, links, workloads, faults");

    /* A misspelt first segment of a longer path used to create an object nobody reads. */
    const char *deep[] = {"nodse.api.workers=8"};
    cfg.sets = deep;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_UNKNOWN);
    fl_error_format(&e, msg, sizeof msg);
    ck_assert_str_eq(msg, "--set: nodse.api.workers: unknown top-level key \"nodse\" (did you "
                          "mean \"nodes\"?); an override starts with one of duration, window, "
                          "warmup, zones, nodes, links, workloads, faults");
    /* ...and a misspelt key below a node is refused by the kind's own key list. */
    const char *leaf[] = {"nodes.api.wrkers=8"};
    cfg.sets = leaf;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_UNKNOWN);
    fl_error_format(&e, msg, sizeof msg);
    ck_assert_str_eq(msg, "--set: nodes[0].wrkers: unknown key \"wrkers\" (did you mean "
                          "\"workers\"?)");
    /* Keys the run does not read from the instance are refused, not ignored. */
    const char *seed[] = {"seed=7"};
    cfg.sets = seed;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_INVALID);
    fl_error_format(&e, msg, sizeof msg);
    ck_assert_str_eq(msg, "--set: seed: \"seed\" cannot be overridden: use --seed N (a variant "
                          "runs on the baseline's seeds)");
    const char *expect[] = {"expect.baseline.x=< 0"};
    cfg.sets = expect;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_INVALID);
    fl_error_format(&e, msg, sizeof msg);
    ck_assert_str_eq(msg, "--set: expect.baseline.x: expectations cannot be overridden; edit "
                          "\"expect\" in the file");
    /* An optional section the file does not have can still be set. */
    const char *optional[] = {"nodes.api.queue.capacity=5"};
    cfg.sets = optional;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    fl_result_free(r);
    r = NULL;

    /* Brackets index arrays as dots do: nodes[0].workers is nodes.0.workers. */
    const char *brackets[] = {"nodes[0].workers=5"};
    cfg.sets = brackets;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    ck_assert_double_eq(figure(r, "\"workers\":"), 5);
    fl_result_free(r);
    r = NULL;

    cfg.nsets = 0;
    cfg.variant = "bigg";
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_UNKNOWN);
    fl_error_format(&e, msg, sizeof msg);
    ck_assert_str_eq(msg, "t.json: no variant named \"bigg\" (did you mean \"big\"?); this scenario "
                          "has: baseline, big");
    fl_scenario_free(sc);
}
END_TEST

START_TEST(errors_carry_line_and_column)
{
    const char *text = "{\n  \"faultline\": 1,\n  \"name\": \"t\",\n  \"duration\": \"20s\",\n"
                       "  \"nodes\": [\n    {\"name\": \"api\", \"kind\": \"service\", "
                       "\"workers\": \"three\", \"service_time\": \"exp(1ms)\"}\n  ],\n"
                       "  \"workloads\": [{\"name\": \"u\", \"target\": \"api\", \"rate\": 1}]\n}\n";
    fl_error e;
    char msg[1200];
    ck_assert_ptr_null(load(text, &e));
    fl_error_format(&e, msg, sizeof msg);
    ck_assert_str_eq(msg, "t.json:6:40: nodes[0].workers: expected an integer from 1 to 1000000, "
                          "got \"three\"");
}
END_TEST

START_TEST(same_inputs_same_bytes)
{
    fl_error e;
    fl_scenario *sc = load(base, &e);
    fl_run_config cfg = {.seed = 9, .seed_given = true};
    fl_result *a, *b, *c;
    ck_assert_int_eq(fl_run(sc, &cfg, &a, &e), FL_OK);
    ck_assert_int_eq(fl_run(sc, &cfg, &b, &e), FL_OK);
    cfg.seed = 10;
    ck_assert_int_eq(fl_run(sc, &cfg, &c, &e), FL_OK);
    ck_assert_str_eq(fl_result_summary(a), fl_result_summary(b));
    ck_assert_str_ne(fl_result_summary(a), fl_result_summary(c));
    fl_result_free(a);
    fl_result_free(b);
    fl_result_free(c);
    fl_scenario_free(sc);
}
END_TEST

/* A stop asked at a given moment: the progress hook is called with 0 while the model is
 * built and after the checkers ran, with the fraction done in between. */
typedef struct stopper {
    int when;      /* 0: at the first call (building); 1: the first call after the run */
    int calls, in_run;
} stopper;

static int stop_at(void *ctx, double frac)
{
    stopper *s = ctx;
    s->calls++;
    if (frac > 0)
        s->in_run++;
    return s->when == 0 ? 1 : s->in_run > 0 && frac == 0;
}

static const char *stop_why(void *ctx)
{
    (void)ctx;
    return "test stop";
}

/* A stop while the model is built gives no result (nothing was run); a stop that comes
 * while the checkers run (after the last event) still makes the run incomplete. */
START_TEST(stops_while_building_and_checking)
{
    fl_error e;
    fl_scenario *sc = load(base, &e);
    stopper st0 = {0, 0, 0}, st1 = {1, 0, 0};
    fl_run_config cfg = {.progress = stop_at, .why_stopped = stop_why, .progress_ctx = &st0};
    fl_result *r = NULL;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_INTERRUPTED);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(st0.calls, 1);
    ck_assert_ptr_nonnull(strstr(e.msg, "test stop"));
    cfg.progress_ctx = &st1;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_INTERRUPTED);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_gt(st1.in_run, 0);
    ck_assert_ptr_nonnull(strstr(fl_result_summary(r), "\"complete\":\tfalse,\n\t\"stopped_because\":\t\"test stop\""));
    ck_assert_ptr_nonnull(strstr(fl_result_summary(r), "\"verdict\":\t\"incomplete\""));
    int failed;
    ck_assert_int_eq(fl_result_expectations(r, &failed), 0); /* not judged */
    fl_result_free(r);
    fl_scenario_free(sc);
}
END_TEST

START_TEST(event_limit_marks_incomplete)
{
    fl_error e;
    fl_scenario *sc = load(base, &e);
    fl_run_config cfg = {.max_events = 1000};
    fl_result *r;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_LIMIT);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(strstr(fl_result_summary(r), "\"complete\":\tfalse"));
    ck_assert_double_eq(figure(r, "\"events\":\t"), 1000);
    fl_result_free(r);
    fl_scenario_free(sc);
}
END_TEST

/* Every allocation of loading and of a short run, failed in turn, must give a clean error
 * (FL_NOMEM) and leak nothing (the sanitizer build checks leaks). */
START_TEST(every_allocation_failure_is_clean)
{
    fl_alloc_install_cjson();
    const char *sets[] = {"duration=1s"};
    int nomem = 0, ok = 0;
    for (long n = 1; n < 100000; n++) {
        fl_alloc_fail_after(n);
        fl_error e;
        fl_scenario *sc = NULL;
        fl_status st = fl_scenario_parse(base, strlen(base), "t.json", &sc, &e);
        if (st == FL_OK) {
            fl_run_config cfg = {.sets = sets, .nsets = 1};
            fl_result *r = NULL;
            st = fl_run(sc, &cfg, &r, &e);
            fl_result_free(r);
            fl_scenario_free(sc);
        }
        fl_alloc_fail_after(0);
        if (st == FL_OK) {
            ok = 1;
            break; /* n is past the last allocation: everything succeeded */
        }
        ck_assert_msg(st == FL_NOMEM, "allocation %ld: status %s (%s)", n, fl_status_name(st),
                      e.msg);
        nomem++;
    }
    ck_assert(ok);
    ck_assert_int_gt(nomem, 50);
}
END_TEST

/* Overload with every way a request can end: client timeouts, a full queue, a maximum
 * wait, network latency both ways. Every request issued must be accounted for. */
START_TEST(overload_outcomes_conserve)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"o\", \"duration\": \"60s\", \"warmup\": \"5s\",\n"
        " \"zones\": [\"a\"],\n"
        " \"links\": {\"default\": {\"latency\": \"const(5ms)\"}},\n"
        " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"workers\": 1, \"zone\": \"a\",\n"
        "   \"service_time\": \"exp(10ms)\", \"queue\": {\"capacity\": 20, \"max_wait\": \"150ms\"}}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"rate\": \"50/s\",\n"
        "   \"schedule\": [{\"at\": \"20s\", \"rate\": \"300/s\"}, {\"at\": \"40s\", \"rate\": \"50/s\"}],\n"
        "   \"client\": {\"timeout\": \"120ms\", \"slo\": \"50ms\"}}]}\n";
    fl_error e;
    fl_scenario *sc = load(text, &e);
    ck_assert_msg(sc != NULL, "%s", e.msg);
    fl_run_config cfg = {0};
    fl_result *r;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    ck_assert_double_gt(figure(r, "\"timeout\":\t"), 100);
    ck_assert_double_gt(figure(r, "\"rejected\":\t"), 100);
    ck_assert_double_gt(figure(r, "\"ok\":\t"), 1000);
    /* the minimum latency is the two 5 ms link crossings */
    const char *lat = strstr(fl_result_summary(r), "\"latency_ms\"");
    ck_assert_ptr_nonnull(lat);
    const char *p50 = strstr(lat, "\"p50\":\t");
    ck_assert_double_ge(strtod(p50 + 7, NULL), 10);
    ck_assert_ptr_nonnull(strstr(fl_result_summary(r), "\"ok\":\ttrue"));
    ck_assert_double_lt(figure(r, "\"goodput_per_s\":\t"), figure(r, "\"throughput_per_s\":\t"));
    fl_result_free(r);
    fl_scenario_free(sc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("scenario");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, loads_and_describes);
    tcase_add_test(tc, variant_and_set_change_the_model);
    tcase_add_test(tc, bad_overrides_name_the_problem);
    tcase_add_test(tc, calibrated_expectations_carry_their_reason);
    tcase_add_test(tc, errors_carry_line_and_column);
    tcase_add_test(tc, same_inputs_same_bytes);
    tcase_add_test(tc, event_limit_marks_incomplete);
    tcase_add_test(tc, stops_while_building_and_checking);
    tcase_add_test(tc, overload_outcomes_conserve);
    tcase_add_test(tc, every_allocation_failure_is_clean);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
