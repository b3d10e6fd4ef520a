/* Durations and rates as users write them. */
#include <string.h>

#include <faultline/time.h>

#include "testutil.h"

static fl_time dur(const char *s)
{
    fl_time t = -1;
    char why[200];
    ck_assert_msg(fl_parse_duration(s, &t, why, sizeof why) == 0, "%s: %s", s, why);
    return t;
}

static const char *dur_err(const char *s)
{
    static char why[200];
    fl_time t;
    ck_assert_msg(fl_parse_duration(s, &t, why, sizeof why) != 0, "%s parsed", s);
    return why;
}

START_TEST(durations)
{
    ck_assert_int_eq(dur("250ms"), 250 * FL_MS);
    ck_assert_int_eq(dur("1.5s"), 1500 * FL_MS);
    ck_assert_int_eq(dur("2m"), 120 * FL_SEC);
    ck_assert_int_eq(dur("1h"), 3600 * FL_SEC);
    ck_assert_int_eq(dur("7ns"), 7);
    ck_assert_int_eq(dur("3us"), 3000);
    ck_assert_int_eq(dur("90"), 90 * FL_SEC);
    ck_assert_int_eq(dur("0.0000000015"), 2); /* rounded to the nearest ns */
    ck_assert_int_eq(dur("1e3ms"), FL_SEC);
    ck_assert_int_eq(dur(" 5 ms "), 5 * FL_MS);
    ck_assert_int_eq(dur("0s"), 0);
    ck_assert_int_eq(dur("9007199254740992ns"), 9007199254740992LL);
}
END_TEST

START_TEST(duration_errors)
{
    ck_assert_str_eq(dur_err("10sec"), "unknown unit \"sec\" (use ns, us, ms, s, m or h)");
    ck_assert_str_eq(dur_err("-5s"), "negative duration");
    ck_assert_str_eq(dur_err("1e30s"), "duration too large (the most is about 292 years)");
    ck_assert_str_eq(dur_err(""), "expected a number then a unit, such as \"250ms\"");
    ck_assert_str_eq(dur_err("ms"), "expected a number then a unit, such as \"250ms\"");
    ck_assert_str_eq(dur_err("nan"), "expected a number then a unit, such as \"250ms\"");
    ck_assert_str_eq(dur_err("1s2"), "unknown unit \"s2\" (use ns, us, ms, s, m or h)");
}
END_TEST

START_TEST(rates)
{
    double r;
    char why[200];
    ck_assert_int_eq(fl_parse_rate("2000/s", &r, why, sizeof why), 0);
    ck_assert_double_eq(r, 2000);
    ck_assert_int_eq(fl_parse_rate("60/m", &r, why, sizeof why), 0);
    ck_assert_double_eq_tol(r, 1, 1e-12);
    ck_assert_int_eq(fl_parse_rate("3/ms", &r, why, sizeof why), 0);
    ck_assert_double_eq(r, 3000);
    ck_assert_int_eq(fl_parse_rate("7200/h", &r, why, sizeof why), 0);
    ck_assert_double_eq_tol(r, 2, 1e-12);
    ck_assert_int_eq(fl_parse_rate("900", &r, why, sizeof why), 0);
    ck_assert_double_eq(r, 900);
    ck_assert_int_eq(fl_parse_rate("0/s", &r, why, sizeof why), 0);
    ck_assert_double_eq(r, 0);
    ck_assert_int_eq(fl_parse_rate("5/d", &r, why, sizeof why), -1);
    ck_assert_str_eq(why, "unknown unit \"/d\" (use /ns, /us, /ms, /s, /m or /h)");
    ck_assert_int_eq(fl_parse_rate("-1/s", &r, why, sizeof why), -1);
    ck_assert_str_eq(why, "expected a finite rate >= 0");
    ck_assert_int_eq(fl_parse_rate("fast", &r, why, sizeof why), -1);
    ck_assert_int_eq(fl_parse_rate("5 per s", &r, why, sizeof why), -1);
}
END_TEST

START_TEST(formatting)
{
    char b[32];
    fl_format_duration(250 * FL_MS, b, sizeof b);
    ck_assert_str_eq(b, "250ms");
    fl_format_duration(90 * FL_SEC, b, sizeof b);
    ck_assert_str_eq(b, "90s");
    fl_format_duration(2 * FL_MIN, b, sizeof b);
    ck_assert_str_eq(b, "2m");
    fl_format_duration(3 * FL_HOUR, b, sizeof b);
    ck_assert_str_eq(b, "3h");
    fl_format_duration(1500, b, sizeof b);
    ck_assert_str_eq(b, "1.5us");
    fl_format_duration(12, b, sizeof b);
    ck_assert_str_eq(b, "12ns");
    /* Formatting then parsing gives the value back. */
    fl_time vals[] = {1, 999, 1000, 123456789, 61 * FL_SEC, 7 * FL_HOUR};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        fl_format_duration(vals[i], b, sizeof b);
        ck_assert_int_eq(dur(b), vals[i]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("units");
    TCase *tc = tcase_create("units");
    tcase_add_test(tc, durations);
    tcase_add_test(tc, duration_errors);
    tcase_add_test(tc, rates);
    tcase_add_test(tc, formatting);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
