/* Per-window time series: each column kind, window edges, and the exact CSV text
 * (integers as integers, "%.6g" otherwise, exact t_s, whatever the locale). */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/series.h>

#include "core/alloc.h"
#include "testutil.h"

/* The CSV as a malloc'd string (caller frees). */
static char *csv(const fl_series *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(fl_series_write_csv(s, f), FL_OK);
    fclose(f);
    return buf;
}

START_TEST(kinds_combine)
{
    fl_series *s = fl_series_new(FL_SEC, 3500 * FL_MS); /* 4 windows, the last half */
    int sum = fl_series_column(s, "n", FL_SERIES_SUM);
    int mx = fl_series_column(s, "q", FL_SERIES_MAX);
    int last = fl_series_column(s, "g", FL_SERIES_LAST);
    int mean = fl_series_column(s, "lat", FL_SERIES_MEAN);
    int rate = fl_series_column(s, "r", FL_SERIES_RATE);
    ck_assert_uint_eq(fl_series_windows(s), 4);
    ck_assert_uint_eq(fl_series_columns(s), 5);
    fl_series_add(s, sum, 0, 1);
    fl_series_add(s, sum, 999 * FL_MS, 2);
    fl_series_add(s, sum, FL_SEC, 5); /* the next window starts exactly at 1 s */
    fl_series_add(s, mx, 100, 3);
    fl_series_add(s, mx, 200, 7);
    fl_series_add(s, mx, 300, 4);
    fl_series_add(s, mx, FL_SEC, -2); /* a negative peak is still the peak */
    fl_series_add(s, last, 0, 9);
    fl_series_add(s, last, 2500 * FL_MS, 4);
    fl_series_add(s, last, 2600 * FL_MS, 6); /* the last set in the window wins */
    fl_series_add(s, mean, 0, 1);
    fl_series_add(s, mean, 1, 3);
    fl_series_add(s, mean, FL_SEC, 1);
    fl_series_add(s, mean, FL_SEC, 1);
    fl_series_add(s, mean, FL_SEC, 2); /* 4/3 */
    fl_series_add(s, rate, 100, 3);
    fl_series_add(s, rate, 3200 * FL_MS, 1);
    fl_series_add(s, rate, 3300 * FL_MS, 1);
    fl_series_add(s, sum, 3500 * FL_MS, 100); /* outside [0, duration): ignored */
    fl_series_add(s, sum, -1, 100);
    fl_series_add(s, 99, 0, 100); /* no such column: ignored */
    ck_assert_double_eq(fl_series_value(s, sum, 0), 3);
    ck_assert_double_eq(fl_series_value(s, sum, 1), 5);
    ck_assert_double_eq(fl_series_value(s, sum, 3), 0);
    ck_assert_double_eq(fl_series_value(s, mx, 0), 7);
    ck_assert_double_eq(fl_series_value(s, mx, 1), -2);
    ck_assert_double_eq(fl_series_value(s, mx, 2), 0);
    ck_assert_double_eq(fl_series_value(s, last, 0), 9);
    ck_assert_double_eq(fl_series_value(s, last, 1), 9); /* carried forward */
    ck_assert_double_eq(fl_series_value(s, last, 2), 6);
    ck_assert_double_eq(fl_series_value(s, last, 3), 6);
    ck_assert_double_eq(fl_series_value(s, mean, 0), 2);
    ck_assert_double_eq(fl_series_value(s, rate, 0), 3); /* 3 in a 1 s window */
    ck_assert_double_eq(fl_series_value(s, rate, 3), 4); /* 2 events in a 0.5 s window */
    ck_assert_str_eq(fl_series_name(s, mean), "lat");

    char *text = csv(s);
    ck_assert_str_eq(text, "t_s,n,q,g,lat,r\n"
                           "0,3,7,9,2,3\n"
                           "1,5,-2,9,1.33333,0\n"
                           "2,0,0,6,,0\n"
                           "3,0,0,6,,4\n");
    free(text);
    fl_series_free(s);
}
END_TEST

START_TEST(number_format)
{
    fl_series *s = fl_series_new(100 * FL_MS, 700 * FL_MS);
    int v = fl_series_column(s, "v", FL_SERIES_LAST);
    fl_series_add(s, v, 0, 1e15);       /* whole, but beyond 1e15: %.6g */
    fl_series_add(s, v, 100 * FL_MS, 123456789); /* whole: every digit */
    fl_series_add(s, v, 200 * FL_MS, 0.000012345678);
    fl_series_add(s, v, 300 * FL_MS, -0.0); /* never "-0" */
    fl_series_add(s, v, 400 * FL_MS, -2.5);
    fl_series_add(s, v, 500 * FL_MS, 2.0 / 3);
    fl_series_add(s, v, 600 * FL_MS, 1e300);
    char *text = csv(s);
    /* t_s is exact from the integer nanoseconds: 0.3, never 0.30000000000000004 */
    ck_assert_str_eq(text, "t_s,v\n"
                           "0,1e+15\n"
                           "0.1,123456789\n"
                           "0.2,1.23457e-05\n"
                           "0.3,0\n"
                           "0.4,-2.5\n"
                           "0.5,0.666667\n"
                           "0.6,1e+300\n");
    free(text);
    fl_series_free(s);
}
END_TEST

START_TEST(window_times_are_exact)
{
    /* 1.5 s windows over a day: the t_s column must stay exact far from 0 ("%.6g" would
     * print 86398.5 as 86398.5 but 123456.5 as 123456, making rows collide). */
    fl_series *s = fl_series_new(1500 * FL_MS, 200000 * FL_SEC);
    int n = fl_series_column(s, "n", FL_SERIES_SUM);
    ck_assert_uint_eq(fl_series_windows(s), 133334);
    fl_series_add(s, n, 199999600 * FL_MS, 1);
    char *text = csv(s);
    ck_assert_ptr_nonnull(strstr(text, "\n123456,0\n123457.5,0\n"));
    ck_assert_ptr_nonnull(strstr(text, "\n199999.5,1\n"));
    free(text);
    fl_series_free(s);
    /* a window that does not divide the duration: the last one is partial */
    s = fl_series_new(3 * FL_SEC, 10 * FL_SEC);
    ck_assert_uint_eq(fl_series_windows(s), 4);
    int r = fl_series_column(s, "r", FL_SERIES_RATE);
    fl_series_add(s, r, 9 * FL_SEC, 2);
    ck_assert_double_eq(fl_series_value(s, r, 3), 2); /* 2 events in 1 s */
    fl_series_free(s);
    /* the largest duration does not overflow the window count */
    s = fl_series_new(FL_TIME_MAX / 2, FL_TIME_MAX);
    ck_assert_uint_eq(fl_series_windows(s), 3);
    fl_series_free(s);
}
END_TEST

/* A LAST column over many windows writes in linear time (a scan back per window would be
 * 2 * 10^10 steps here and time out). */
START_TEST(carry_forward_is_linear)
{
    fl_series *s = fl_series_new(FL_MS, 200000 * FL_MS);
    int g = fl_series_column(s, "g", FL_SERIES_LAST);
    fl_series_add(s, g, 0, 5);
    char *text = csv(s);
    ck_assert_ptr_nonnull(strstr(text, "\n199.999,5\n"));
    free(text);
    ck_assert_double_eq(fl_series_value(s, g, 199999), 5);
    fl_series_free(s);
}
END_TEST

START_TEST(names_are_quoted)
{
    fl_series *s = fl_series_new(FL_SEC, FL_SEC);
    fl_series_column(s, "a,b", FL_SERIES_SUM);
    fl_series_column(s, "say \"hi\"", FL_SERIES_SUM);
    fl_series_column(s, "plain", FL_SERIES_SUM);
    char *text = csv(s);
    ck_assert_str_eq(text, "t_s,\"a,b\",\"say \"\"hi\"\"\",plain\n0,0,0,0\n");
    free(text);
    fl_series_free(s);
}
END_TEST

START_TEST(locale_independent)
{
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8", "fr_FR"};
    const char *set = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !set; i++)
        set = setlocale(LC_NUMERIC, names[i]);
    fl_series *s = fl_series_new(500 * FL_MS, FL_SEC);
    int m = fl_series_column(s, "m", FL_SERIES_MEAN);
    fl_series_add(s, m, 0, 1.25);
    char *text = csv(s);
    setlocale(LC_NUMERIC, "C");
    ck_assert_str_eq(text, "t_s,m\n0,1.25\n0.5,\n");
    free(text);
    fl_series_free(s);
}
END_TEST

START_TEST(bad_arguments)
{
    ck_assert_ptr_null(fl_series_new(0, FL_SEC));
    ck_assert_ptr_null(fl_series_new(FL_SEC, 0));
    ck_assert_ptr_null(fl_series_new(-1, FL_SEC));
    fl_series_free(NULL);
}
END_TEST

START_TEST(allocation_failures)
{
    fl_alloc_fail_after(1);
    ck_assert_ptr_null(fl_series_new(FL_SEC, 10 * FL_SEC));
    fl_alloc_fail_after(0);
    fl_series *s = fl_series_new(FL_SEC, 10 * FL_SEC);
    const long nth[] = {1, 1, 2}; /* the column array; then (array grown) the name, the cells */
    for (int i = 0; i < 3; i++) {
        fl_alloc_fail_after(nth[i]);
        ck_assert_int_eq(fl_series_column(s, "a", FL_SERIES_SUM), -1);
        fl_alloc_fail_after(0);
        ck_assert_uint_eq(fl_series_columns(s), 0);
    }
    ck_assert_int_eq(fl_series_column(s, "a", FL_SERIES_LAST), 0);
    fl_series_add(s, 0, 0, 1);
    FILE *f = fopen("/dev/null", "w");
    fl_alloc_fail_after(1);
    ck_assert_int_eq(fl_series_write_csv(s, f), FL_NOMEM);
    fl_alloc_fail_after(0);
    ck_assert_int_eq(fl_series_write_csv(s, f), FL_OK);
    fclose(f);
    fl_series_free(s);
}
END_TEST

/* A window's samples added as one cell give the cell the samples add one by one: a
 * column of ones and a mean column, each of its own (the use on hot paths). */
START_TEST(add_cell_matches_adds)
{
    fl_series *a = fl_series_new(10, 35), *b = fl_series_new(10, 35);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(fl_series_column(a, k ? "ones" : "mean", k ? FL_SERIES_RATE : FL_SERIES_MEAN), k);
        ck_assert_int_eq(fl_series_column(b, k ? "ones" : "mean", k ? FL_SERIES_RATE : FL_SERIES_MEAN), k);
    }
    const double v[] = {0.1, 0.7, 0.2, 1e-3, 0.3};
    double sum = 0, max = 0;
    for (int i = 0; i < 5; i++) {
        fl_series_add(a, 0, 12, v[i]);
        fl_series_add(a, 1, 12, 1);
        if (i == 0 || v[i] > max)
            max = v[i];
        sum += v[i];
    }
    fl_series_add_cell(b, 0, 19, sum, max, v[4], 5);
    fl_series_add_cell(b, 1, 11, 5, 1, 1, 5);
    fl_series_add_cell(b, 1, 40, 5, 1, 1, 5); /* past the end: ignored */
    fl_series_add_cell(b, 1, 25, 0, 0, 0, 0); /* none: the window stays empty */
    char *x = csv(a), *y = csv(b);
    ck_assert_str_eq(x, y);
    free(x);
    free(y);
    fl_series_free(a);
    fl_series_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("series");
    TCase *tc = tcase_create("series");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, kinds_combine);
    tcase_add_test(tc, number_format);
    tcase_add_test(tc, window_times_are_exact);
    tcase_add_test(tc, carry_forward_is_linear);
    tcase_add_test(tc, names_are_quoted);
    tcase_add_test(tc, add_cell_matches_adds);
    tcase_add_test(tc, locale_independent);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
