/* Per-window time series: each column kind, window edges and the CSV text. */
#include <stdio.h>
#include <string.h>

#include <faultline/series.h>

#include "testutil.h"

START_TEST(kinds_combine)
{
    fl_series *s = fl_series_new(FL_SEC, 3500 * FL_MS); /* 4 windows, the last half */
    int sum = fl_series_column(s, "n", FL_SERIES_SUM);
    int mx = fl_series_column(s, "q", FL_SERIES_MAX);
    int last = fl_series_column(s, "g", FL_SERIES_LAST);
    int mean = fl_series_column(s, "lat", FL_SERIES_MEAN);
    int rate = fl_series_column(s, "r", FL_SERIES_RATE);
    ck_assert_uint_eq(fl_series_windows(s), 4);
    fl_series_add(s, sum, 0, 1);
    fl_series_add(s, sum, 999 * FL_MS, 2);
    fl_series_add(s, sum, FL_SEC, 5); /* the next window starts exactly at 1 s */
    fl_series_add(s, mx, 100, 3);
    fl_series_add(s, mx, 200, 7);
    fl_series_add(s, mx, 300, 4);
    fl_series_add(s, last, 0, 9);
    fl_series_add(s, last, 2500 * FL_MS, 4);
    fl_series_add(s, mean, 0, 1);
    fl_series_add(s, mean, 1, 3);
    fl_series_add(s, rate, 3200 * FL_MS, 1);
    fl_series_add(s, rate, 3300 * FL_MS, 1);
    fl_series_add(s, sum, 3500 * FL_MS, 100); /* outside [0, duration): ignored */
    fl_series_add(s, sum, -1, 100);
    ck_assert_double_eq(fl_series_value(s, sum, 0), 3);
    ck_assert_double_eq(fl_series_value(s, sum, 1), 5);
    ck_assert_double_eq(fl_series_value(s, sum, 3), 0);
    ck_assert_double_eq(fl_series_value(s, mx, 0), 7);
    ck_assert_double_eq(fl_series_value(s, mx, 1), 0);
    ck_assert_double_eq(fl_series_value(s, last, 0), 9);
    ck_assert_double_eq(fl_series_value(s, last, 1), 9); /* carried forward */
    ck_assert_double_eq(fl_series_value(s, last, 2), 4);
    ck_assert_double_eq(fl_series_value(s, last, 3), 4);
    ck_assert_double_eq(fl_series_value(s, mean, 0), 2);
    ck_assert_double_eq(fl_series_value(s, rate, 3), 4); /* 2 events in a 0.5 s window */
    ck_assert_str_eq(fl_series_name(s, mean), "lat");

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(fl_series_write_csv(s, f), FL_OK);
    fclose(f);
    ck_assert_str_eq(buf, "t_s,n,q,g,lat,r\n"
                          "0,3,7,9,2,0\n"
                          "1,5,0,9,,0\n"
                          "2,0,0,4,,0\n"
                          "3,0,0,4,,4\n");
    free(buf);
    fl_series_free(s);
}
END_TEST

START_TEST(bad_arguments)
{
    ck_assert_ptr_null(fl_series_new(0, FL_SEC));
    ck_assert_ptr_null(fl_series_new(FL_SEC, 0));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("series");
    TCase *tc = tcase_create("series");
    tcase_add_test(tc, kinds_combine);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
