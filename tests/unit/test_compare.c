/* The statistics and words of compare's verdicts (scenario/verdict.h), reading figures
 * with censoring (scenario/pool.h), and the figure catalogue (faultline/figures.h): every
 * figure a bundled scenario writes has an entry, so none can be added without a
 * direction. Hand-computed values are worked out in the comments. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <faultline/faultline.h>
#include <faultline/figures.h>

#include "scenario/pool.h"
#include "scenario/verdict.h"
#include "testutil.h"

/* Wilson, z = 1.96, n = 3: z^2/n = 1.28053; 3/3: centre (1 + 0.64027) / 2.28053 = 0.71925,
 * half 1.96 sqrt(3.8416 / 36) / 2.28053 = 0.28075: [0.43850, 1]. 0/3 mirrors: [0, 0.56150].
 * 1/3: centre (0.33333 + 0.64027) / 2.28053 = 0.42692, half 1.96 sqrt(0.074074 + 0.106711)
 * / 2.28053 = 0.36542: [0.06150, 0.79234]. */
START_TEST(wilson_small)
{
    double lo, hi;
    fl__wilson(3, 3, 1.96, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0.43850, 1e-4);
    ck_assert_double_eq(hi, 1);
    fl__wilson(0, 3, 1.96, &lo, &hi);
    ck_assert_double_eq(lo, 0);
    ck_assert_double_eq_tol(hi, 0.56150, 1e-4);
    fl__wilson(1, 3, 1.96, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0.06150, 1e-4);
    ck_assert_double_eq_tol(hi, 0.79234, 1e-4);
}
END_TEST

/* Newcombe for 3/3 - 0/3: d = 1; lo = 1 - sqrt((1 - 0.43850)^2 + (0.56150 - 0)^2) =
 * 1 - 0.79408 = 0.20592; hi = 1 + sqrt(0 + 0) = 1. Excludes 0: a fix that recovers on
 * every seed against a baseline that never does is detectably better at 3 seeds. And
 * 0/3 - 0/3: [-0.56150, 0.56150], which holds 0. */
START_TEST(newcombe_difference)
{
    double lo, hi;
    fl__newcombe(3, 3, 0, 3, 1.96, &lo, &hi);
    ck_assert_double_eq_tol(lo, 0.20592, 1e-4);
    ck_assert_double_eq_tol(hi, 1, 1e-12);
    ck_assert_int_eq(fl__verdict_of(1, lo, hi, 0, FL_BETTER_HIGHER), FL__V_BETTER);
    fl__newcombe(0, 3, 0, 3, 1.96, &lo, &hi);
    ck_assert_double_eq_tol(lo, -0.56150, 1e-4);
    ck_assert_double_eq_tol(hi, 0.56150, 1e-4);
    ck_assert_int_eq(fl__verdict_of(0, lo, hi, 0, FL_BETTER_HIGHER), FL__V_NONE);
}
END_TEST

/* Paired differences {-2, -4, -3}: mean -3, sd 1, t(0.975, 2) = 4.302653, half-width
 * 4.302653 / sqrt(3) = 2.484138: [-5.484, -0.516], lower is better: better; with a
 * minimum effect of 3.5 it is negligible; {1, -1, 0} holds 0. */
START_TEST(paired_t)
{
    double d[] = {-2, -4, -3}, mean, hw;
    fl__mean_ci95(d, 3, &mean, &hw, NULL);
    ck_assert_double_eq_tol(mean, -3, 1e-12);
    ck_assert_double_eq_tol(hw, 2.484138, 1e-5);
    ck_assert_int_eq(fl__verdict_of(mean, mean - hw, mean + hw, 0.03, FL_BETTER_LOWER), FL__V_BETTER);
    ck_assert_int_eq(fl__verdict_of(mean, mean - hw, mean + hw, 0.03, FL_BETTER_HIGHER), FL__V_WORSE);
    ck_assert_int_eq(fl__verdict_of(mean, mean - hw, mean + hw, 3.5, FL_BETTER_LOWER),
                     FL__V_NEGLIGIBLE);
    ck_assert_int_eq(fl__verdict_of(mean, mean - hw, mean + hw, 0, FL_BETTER_NEITHER), FL__V_LOWER);
    double e[] = {1, -1, 0};
    fl__mean_ci95(e, 3, &mean, &hw, NULL);
    ck_assert_int_eq(fl__verdict_of(mean, mean - hw, mean + hw, 0, FL_BETTER_LOWER), FL__V_NONE);
    ck_assert_int_eq(fl__verdict_of(NAN, NAN, NAN, 0, FL_BETTER_LOWER), FL__V_NONE);
}
END_TEST

/* Censored durations: a run that did not recover reads as its bound, run end minus the end
 * of the last fault (300 - 70 = 230), never as NaN; paired with a fix that recovered in
 * 21 s the difference -209 is no larger than the true one. Without a flag the figure is
 * absent (not measured), and a figure of a pool that is not there is absent. */
START_TEST(censored_read)
{
    const char *txt = "{\"duration_s\": 300, \"workloads\": {\"c\": {\"recovery\": {\"faults_end_s\": 70,"
                      " \"recovered\": false}}, \"d\": {\"recovery\": {\"faults_end_s\": 70,"
                      " \"recovered\": true, \"recovery_s\": 21}}, \"e\": {\"recovery\": "
                      "{\"note\": \"no fault-free window\"}}}}";
    cJSON *s = cJSON_Parse(txt);
    double v;
    ck_assert_int_eq(fl__figure_read(s, "workloads.c.recovery.recovery_s", &v), FL__FIG_CENSORED);
    ck_assert_double_eq(v, 230);
    ck_assert_int_eq(fl__figure_read(s, "workloads.d.recovery.recovery_s", &v), FL__FIG_VALUE);
    ck_assert_double_eq(v, 21);
    ck_assert_int_eq(fl__figure_read(s, "workloads.e.recovery.recovery_s", &v), FL__FIG_ABSENT);
    ck_assert(isnan(v));
    ck_assert_int_eq(fl__figure_read(s, "workloads.c.recovery.recovered", &v), FL__FIG_VALUE);
    ck_assert_double_eq(v, 0);
    ck_assert_int_eq(fl__figure_read(s, "nodes.app.calls.db.pool.waits", &v), FL__FIG_ABSENT);
    cJSON_Delete(s);
    /* The gateway's restore time has no origin in the summary: censored, bound unknown. */
    s = cJSON_Parse("{\"duration_s\": 300, \"nodes\": {\"gw\": {\"recovery\": {\"restored\": false,"
                    " \"restored_s\": null}}}}");
    ck_assert_int_eq(fl__figure_read(s, "nodes.gw.recovery.restored_s", &v), FL__FIG_CENSORED);
    ck_assert(isnan(v));
    cJSON_Delete(s);
}
END_TEST

START_TEST(numbers_for_people)
{
    char b[64];
    fl__fmt_num(3003112, 4, true, b, sizeof b);
    ck_assert_str_eq(b, "3,003,112");
    fl__fmt_num(465208.67, 4, true, b, sizeof b);
    ck_assert_str_eq(b, "465,209");
    fl__fmt_num(-12345.4, 4, false, b, sizeof b);
    ck_assert_str_eq(b, "-12,345");
    fl__fmt_num(21.333, 4, false, b, sizeof b);
    ck_assert_str_eq(b, "21.33");
    fl__fmt_num(80.2, 4, false, b, sizeof b);
    ck_assert_str_eq(b, "80.2");
    fl__fmt_num(0.0000522, 2, false, b, sizeof b);
    ck_assert_str_eq(b, "0.000052");
    fl__fmt_num(7, 4, true, b, sizeof b);
    ck_assert_str_eq(b, "7");
    fl__fmt_num(NAN, 4, false, b, sizeof b);
    ck_assert_str_eq(b, "n/a");
}
END_TEST

/* Directions come from the catalogue, including the cases substrings got wrong: a
 * recovery time is a censored duration (lower is better), "recovered" a flag. */
START_TEST(catalogue_entries)
{
    const fl_figure_info *f = fl_figure_lookup("workloads.clients.recovery.recovery_s");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f->type, FL_FIGURE_CENSORED);
    ck_assert_int_eq(f->better, FL_BETTER_LOWER);
    ck_assert_str_eq(f->flag, "recovered");
    f = fl_figure_lookup("workloads.clients.recovery.recovered");
    ck_assert_int_eq(f->type, FL_FIGURE_FLAG);
    ck_assert_int_eq(f->better, FL_BETTER_HIGHER);
    ck_assert_int_eq(fl_figure_lookup("workloads.x.goodput_per_s")->better, FL_BETTER_HIGHER);
    ck_assert_int_eq(fl_figure_lookup("workloads.x.slo_attainment")->better, FL_BETTER_HIGHER);
    ck_assert_int_eq(fl_figure_lookup("workloads.x.latency_ms.p99")->better, FL_BETTER_LOWER);
    ck_assert_int_eq(fl_figure_lookup("workloads.x.latency_ms.count")->type, FL_FIGURE_COUNT);
    ck_assert_int_eq(fl_figure_lookup("nodes.app.calls.db#2.pool.timeouts")->better, FL_BETTER_LOWER);
    ck_assert_int_eq(fl_figure_lookup("nodes.api.dropped_past_deadline")->better, FL_BETTER_NEITHER);
    ck_assert_int_eq(fl_figure_lookup("nodes.kafka.poison.published")->type, FL_FIGURE_FLAG);
    ck_assert_ptr_null(fl_figure_lookup("nodes.x.no_such_figure"));
    ck_assert(fl_figure_match("**.p_wait", "p_wait"));
    ck_assert(fl_figure_match("**.p_wait", "nodes.db.members.r1.station.p_wait"));
    ck_assert(!fl_figure_match("nodes.*.p_wait", "nodes.db.members.p_wait"));
    ck_assert(fl_figure_match("workloads.*.latency_ms.*_ci9*", "workloads.a.latency_ms.mean_ci999"));
}
END_TEST

/* Every number and true/false a bundled scenario's runs write has a catalogue entry. */
static void walk(const cJSON *o, char *path, size_t len, size_t cap, const char *where, int *missing)
{
    for (const cJSON *it = o->child; it; it = it->next) {
        if (cJSON_IsArray(it)) /* lists (expectations, examples) are records, not figures */
            continue;
        size_t l = len;
        l += (size_t)snprintf(path + l, cap - l, "%s%s", len ? "." : "", it->string);
        if (cJSON_IsObject(it))
            walk(it, path, l, cap, where, missing);
        else if ((cJSON_IsNumber(it) || cJSON_IsBool(it)) && !fl_figure_lookup(path)) {
            fprintf(stderr, "%s: %s has no entry in the figure catalogue (sim/model/figures.c)\n",
                    where, path);
            (*missing)++;
        }
        path[len] = 0;
    }
}

/* Under AddressSanitizer (several times slower) only the retry storm's baseline runs here,
 * through the library's API: the catalogue is a question of meaning, which the release
 * build answers for every variant of every scenario, and the sanitizer build runs every
 * variant in tests/scenarios.sh, which is where memory errors would show. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static void check_file(const char *file, int *missing, int *runs)
{
    fl_scenario *sc;
    fl_error e;
    ck_assert_msg(fl_scenario_load(file, &sc, &e) == FL_OK, "%s: %s", file, e.msg);
    size_t variants = SANITIZED ? 0 : fl_scenario_variant_count(sc);
    for (size_t v = 0; v <= variants; v++) {
        fl_run_config rc = {0};
        rc.variant = v ? fl_scenario_variant_name(sc, v - 1) : "baseline";
        rc.seed = 1;
        rc.seed_given = true;
        fl_result *r = NULL;
        ck_assert_msg(fl_run(sc, &rc, &r, &e) == FL_OK, "%s %s: %s", file, rc.variant, e.msg);
        cJSON *s = cJSON_Parse(fl_result_summary(r));
        char path[2048] = "", where[1200];
        snprintf(where, sizeof where, "%s (%s)", file, rc.variant);
        walk(s, path, 0, sizeof path, where, missing);
        cJSON_Delete(s);
        fl_result_free(r);
        (*runs)++;
    }
    fl_scenario_free(sc);
}

START_TEST(catalogue_covers_bundled_scenarios)
{
    const char *dir = getenv("FL_SCENARIO_DIR");
    ck_assert_msg(dir, "FL_SCENARIO_DIR is not set (tests/meson.build sets it)");
    int missing = 0, runs = 0;
    const char *subs[] = {"", "/queueing"};
    for (int i = 0; i < 2; i++) {
        char d[1024];
        snprintf(d, sizeof d, "%s%s", dir, subs[i]);
        DIR *dp = opendir(d);
        ck_assert_msg(dp, "cannot open %s", d);
        for (struct dirent *de; (de = readdir(dp));) {
            size_t l = strlen(de->d_name);
            if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
                continue;
            if (SANITIZED && strcmp(de->d_name, "retry-storm.json") != 0)
                continue;
            char f[2048];
            snprintf(f, sizeof f, "%s/%s", d, de->d_name);
            check_file(f, &missing, &runs);
        }
        closedir(dp);
    }
    ck_assert_int_ge(runs, SANITIZED ? 1 : 15);
    ck_assert_msg(missing == 0, "%d figures without a catalogue entry (listed above)", missing);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("compare");
    TCase *tc = tcase_create("verdicts");
    tcase_add_test(tc, wilson_small);
    tcase_add_test(tc, newcombe_difference);
    tcase_add_test(tc, paired_t);
    tcase_add_test(tc, censored_read);
    tcase_add_test(tc, numbers_for_people);
    tcase_add_test(tc, catalogue_entries);
    suite_add_tcase(s, tc);
    TCase *cat = tcase_create("catalogue");
    tcase_set_timeout(cat, 300);
    tcase_add_test(cat, catalogue_covers_bundled_scenarios);
    suite_add_tcase(s, cat);
    return s;
}

int main(void) { return fl_test_run(suite()); }
