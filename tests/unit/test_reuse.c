/* Runs of one process share nothing a result can see: a run gives byte-identical results
 * whether it is the first of the process or comes after others that left grown tables
 * behind (core/pool.h: spare tables), and a figures-only run has the same figures as a
 * full one. Then the spare tables themselves: the largest comes back first, and at most
 * FL_SPARE_KEEP of a kind are kept.
 *
 * The run test must be the first thing this process runs (CK_FORK=no, tests in order). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "core/alloc.h"
#include "core/pool.h"
#include "scenario/result_int.h"
#include "testutil.h"

static fl_scenario *load(const char *name)
{
    const char *dir = getenv("FL_SCENARIO_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "scenarios", name);
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert_msg(fl_scenario_load(path, &sc, &e) == FL_OK, "%s: %s", path, e.msg);
    return sc;
}

/* One run's summary and trace, as one text (malloc'd). */
static char *run_text(const fl_scenario *sc, const char *variant, uint64_t seed)
{
    fl_run_config cfg = {.variant = variant, .seed = seed, .seed_given = true};
    fl_result *r = NULL;
    fl_error e;
    ck_assert_msg(fl_run(sc, &cfg, &r, &e) == FL_OK, "%s", e.msg);
    const char *s = fl_result_summary(r), *ev = fl_result_events(r);
    char *t = malloc(strlen(s) + strlen(ev) + 2);
    ck_assert_ptr_nonnull(t);
    sprintf(t, "%s\n%s", s, ev);
    fl_result_free(r);
    return t;
}

/* The figures of a figures-only run, printed as summary.json would have them. */
static char *figures_text(const fl_scenario *sc, const char *variant, uint64_t seed)
{
    fl_run_config cfg = {.variant = variant, .seed = seed, .seed_given = true,
                         .figures_only = true};
    fl_result *r = NULL;
    fl_error e;
    ck_assert_msg(fl_run(sc, &cfg, &r, &e) == FL_OK, "%s", e.msg);
    ck_assert_ptr_null(fl_result_summary(r)); /* no text: that is the saving */
    ck_assert_ptr_null(fl_result_events(r));
    char *p = cJSON_Print(r->summary), *t = strdup(p);
    cJSON_free(p);
    fl_result_free(r);
    return t;
}

START_TEST(a_run_is_the_same_first_in_the_process_and_after_others)
{
    /* as the runs of a compare or sweep do: tables handed on while the batch is open */
    fl__spare_batch_begin();
    /* split-brain (requests, replication, checkers) first of all, seed 2 */
    fl_scenario *a = load("split-brain-redis-sentinel.json");
    char *a_first = run_text(a, "baseline", 2);
    /* an overloaded server that grows its request table and queue ring to ~25,000 slots,
     * twice, then other scenarios and variants of a */
    fl_scenario *big = load("../tests/perf/short-overload.json");
    char *big_first = run_text(big, NULL, 1);
    char *big_second = run_text(big, NULL, 1);
    ck_assert_str_eq(big_first, big_second);
    fl_scenario *c = load("cascading-timeouts.json");
    free(run_text(c, NULL, 1));
    free(run_text(a, "quorum", 3));
    free(run_text(a, "gc-pause", 1));
    /* a again, now reusing tables the others grew: byte for byte the same */
    char *a_again = run_text(a, "baseline", 2);
    ck_assert_str_eq(a_first, a_again);
    /* and a figures-only run has exactly the summary's figures */
    char *fig = figures_text(a, "baseline", 2);
    ck_assert(strncmp(a_first, fig, strlen(fig)) == 0 && a_first[strlen(fig)] == '\n');
    free(fig);
    fig = figures_text(big, NULL, 1);
    ck_assert(strncmp(big_first, fig, strlen(fig)) == 0 && big_first[strlen(fig)] == '\n');
    free(fig);
    free(a_first);
    free(a_again);
    free(big_first);
    free(big_second);
    fl_scenario_free(a);
    fl_scenario_free(big);
    fl_scenario_free(c);
    fl__spare_batch_end();
}
END_TEST

START_TEST(the_largest_spare_comes_back_first_and_at_most_keep_are_kept)
{
    size_t bytes;
    void *p;
    /* the batch above ended: nothing was kept */
    ck_assert_ptr_null(fl__spare_take(FL_SPARE_RING, &bytes));
    ck_assert_ptr_null(fl__spare_take(FL_SPARE_REQS, &bytes));
    /* outside a batch a table given back is freed at once */
    fl__spare_give(FL_SPARE_RING, fl_malloc(4096), 4096);
    ck_assert_ptr_null(fl__spare_take(FL_SPARE_RING, &bytes));
    fl__spare_batch_begin();
    /* sizes 1..KEEP+2 KiB given in a scrambled order: the two smallest are let go */
    int n = FL_SPARE_KEEP + 2;
    for (int i = 0; i < n; i++) {
        size_t b = (size_t)((i * 7) % n + 1) * 1024;
        fl__spare_give(FL_SPARE_RING, fl_malloc(b), b);
    }
    for (int k = n; k > 2; k--) {
        p = fl__spare_take(FL_SPARE_RING, &bytes);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq(bytes, (size_t)k * 1024);
        fl_free(p);
    }
    ck_assert_ptr_null(fl__spare_take(FL_SPARE_RING, &bytes));
    ck_assert_uint_eq(bytes, 0);
    fl__spare_give(FL_SPARE_RING, NULL, 0); /* a no-op */
    ck_assert_ptr_null(fl__spare_take(FL_SPARE_RING, &bytes));
    /* the end of the last batch frees what is kept */
    fl__spare_give(FL_SPARE_RING, fl_malloc(4096), 4096);
    fl__spare_batch_end();
    ck_assert_ptr_null(fl__spare_take(FL_SPARE_RING, &bytes));
}
END_TEST

int main(void)
{
    fl_alloc_install_cjson();
    Suite *s = suite_create("reuse");
    TCase *tc = tcase_create("reuse");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, a_run_is_the_same_first_in_the_process_and_after_others);
    tcase_add_test(tc, the_largest_spare_comes_back_first_and_at_most_keep_are_kept);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
