/* Shared helpers for the Check unit tests. */
#ifndef FL_TESTUTIL_H
#define FL_TESTUTIL_H

#include <check.h>
#include <faultline/faultline.h>
#include <stdlib.h>
#include <string.h>

/* Long randomized loops run this many times shorter under AddressSanitizer (several times
 * slower per operation), so the sanitizer suite stays within the CI budget; the release
 * build runs them in full. */
#if defined(__SANITIZE_ADDRESS__)
#define FL_TEST_SCALE 4
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FL_TEST_SCALE 4
#endif
#endif
#ifndef FL_TEST_SCALE
#define FL_TEST_SCALE 1
#endif

/* Runs one suite and returns the process exit status. */
static inline int fl_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Runs a scenario given as text (with --set style overrides) and returns its summary JSON
 * (malloc'd; the caller frees it). Fails the test when it does not load or run. */
static inline char *fl_test_summary(const char *text, const char *const *sets, size_t nsets)
{
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert_msg(fl_scenario_parse(text, strlen(text), "t.json", &sc, &e) == FL_OK, "%s", e.msg);
    fl_run_config cfg = {.sets = sets, .nsets = nsets};
    fl_result *r = NULL;
    ck_assert_msg(fl_run(sc, &cfg, &r, &e) == FL_OK, "%s", e.msg);
    char *s = strdup(fl_result_summary(r));
    ck_assert_ptr_nonnull(s);
    fl_result_free(r);
    fl_scenario_free(sc);
    return s;
}

/* The number after `key` in a summary's text, searching from the first `after` (NULL: the
 * start). Fails the test when either is missing. */
static inline double fl_test_fig(const char *summary, const char *after, const char *key)
{
    const char *s = after ? strstr(summary, after) : summary;
    ck_assert_msg(s != NULL, "no %s in the summary", after);
    s = strstr(s, key);
    ck_assert_msg(s != NULL, "no %s in the summary", key);
    return strtod(s + strlen(key), NULL);
}

#endif
