/* Durations and rates as users write them: exact nanoseconds, rounding, limits, the
 * messages a user sees, formatting round trips, and independence from the locale. */
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <faultline/name.h>
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
    fl_time t = 12345;
    ck_assert_msg(fl_parse_duration(s, &t, why, sizeof why) != 0, "%s parsed", s);
    ck_assert_int_eq(t, 12345); /* untouched on failure */
    return why;
}

static double rate(const char *s)
{
    double r = -1;
    char why[200];
    ck_assert_msg(fl_parse_rate(s, &r, why, sizeof why) == 0, "%s: %s", s, why);
    return r;
}

static const char *rate_err(const char *s)
{
    static char why[200];
    double r = 7;
    ck_assert_msg(fl_parse_rate(s, &r, why, sizeof why) != 0, "%s parsed", s);
    ck_assert_double_eq(r, 7);
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
    ck_assert_int_eq(dur("90"), 90 * FL_SEC); /* a bare number is seconds */
    ck_assert_int_eq(dur("1e3ms"), FL_SEC);
    ck_assert_int_eq(dur("1.5E-3s"), 1500 * FL_US);
    ck_assert_int_eq(dur(" 5 ms "), 5 * FL_MS);
    ck_assert_int_eq(dur("+5ms"), 5 * FL_MS);
    ck_assert_int_eq(dur(".5s"), 500 * FL_MS);
    ck_assert_int_eq(dur("5.s"), 5 * FL_SEC);
    ck_assert_int_eq(dur("0s"), 0);
    ck_assert_int_eq(dur("-0s"), 0); /* zero, not negative */
    ck_assert_int_eq(dur("9007199254740993ns"), 9007199254740993LL); /* beyond 2^53 */
}
END_TEST

/* Decimal fractions are exact: a double-based reader gets some of these wrong by 1 ns. */
START_TEST(durations_are_exact)
{
    ck_assert_int_eq(dur("1.1s"), 1100000000LL);
    ck_assert_int_eq(dur("0.3s"), 300000000LL);
    ck_assert_int_eq(dur("2.675ms"), 2675000LL);
    ck_assert_int_eq(dur("1.000000001s"), 1000000001LL);
    ck_assert_int_eq(dur("123456789.123456789s"), 123456789123456789LL);
    ck_assert_int_eq(dur("0.0000001h"), 360000LL);
    ck_assert_int_eq(dur("0.1m"), 6 * FL_SEC);
    ck_assert_int_eq(dur("00000000000000000000001.5s"), 1500 * FL_MS); /* leading zeros */
    ck_assert_int_eq(dur("1.5000000000000000000000000000s"), 1500 * FL_MS); /* trailing */
    ck_assert_int_eq(dur("100000000000000000000e-18s"), 100 * FL_SEC);
    ck_assert_int_eq(dur("9223372036854775807ns"), INT64_MAX);
    ck_assert_int_eq(dur("153722867m"), 153722867LL * FL_MIN);
}
END_TEST

START_TEST(rounding_to_nearest_ns)
{
    ck_assert_int_eq(dur("0.0000000015"), 2); /* 1.5 ns: ties go away from zero */
    ck_assert_int_eq(dur("2.5ns"), 3);
    ck_assert_int_eq(dur("0.5ns"), 1);
    ck_assert_int_eq(dur("0.49999ns"), 0);
    ck_assert_int_eq(dur("1.4999999999ns"), 1);
    ck_assert_int_eq(dur("1e-10s"), 0);
    ck_assert_int_eq(dur("1e-400s"), 0);
    ck_assert_int_eq(dur("0e400s"), 0);
}
END_TEST

START_TEST(duration_errors)
{
    ck_assert_str_eq(dur_err("10sec"), "unknown unit \"sec\" (use ns, us, ms, s, m or h)");
    ck_assert_str_eq(dur_err("-5s"), "negative duration");
    ck_assert_str_eq(dur_err("-1e-30s"), "negative duration");
    ck_assert_str_eq(dur_err("1e30s"), "duration too large (the most is about 292 years)");
    ck_assert_str_eq(dur_err("9223372036854775808ns"),
                     "duration too large (the most is about 292 years)");
    ck_assert_str_eq(dur_err("153722868m"), "duration too large (the most is about 292 years)");
    ck_assert_str_eq(dur_err("1e99999999999s"), "duration too large (the most is about 292 years)");
    ck_assert_str_eq(dur_err(""), "expected a number then a unit, such as \"250ms\"");
    ck_assert_str_eq(dur_err("   "), "expected a number then a unit, such as \"250ms\"");
    ck_assert_str_eq(dur_err("ms"), "expected a number then a unit, such as \"250ms\"");
    ck_assert_str_eq(dur_err("."), "expected a number then a unit, such as \"250ms\"");
    ck_assert_str_eq(dur_err("nan"), "expected a number then a unit, such as \"250ms\"");
    ck_assert_str_eq(dur_err("infs"), "expected a number then a unit, such as \"250ms\"");
    ck_assert_str_eq(dur_err("1s2"), "unknown unit \"s2\" (use ns, us, ms, s, m or h)");
    ck_assert_str_eq(dur_err("1.5.2s"), "unknown unit \".2s\" (use ns, us, ms, s, m or h)");
    ck_assert_str_eq(dur_err("1e"), "unknown unit \"e\" (use ns, us, ms, s, m or h)");
    ck_assert_str_eq(dur_err("5 m s"), "unknown unit \"m s\" (use ns, us, ms, s, m or h)");
    ck_assert_str_eq(dur_err("0x10s"), "unknown unit \"x10s\" (use ns, us, ms, s, m or h)");
    /* A long unit is cut in the message, never overflowing it. */
    ck_assert_str_eq(dur_err("1abcdefghijklmnopqrstuvwxyz"),
                     "unknown unit \"abcdefghijklmnopqrst\" (use ns, us, ms, s, m or h)");
    /* A small buffer gets a cut message, and a NULL one is allowed. */
    char small[8];
    fl_time t;
    ck_assert_int_eq(fl_parse_duration("-1s", &t, small, sizeof small), -1);
    ck_assert_str_eq(small, "negativ");
    ck_assert_int_eq(fl_parse_duration("-1s", &t, NULL, 0), -1);
}
END_TEST

START_TEST(rates)
{
    ck_assert_double_eq(rate("2000/s"), 2000);
    ck_assert_double_eq(rate("60/m"), 1);
    ck_assert_double_eq(rate("50/m"), 50.0 / 60);
    ck_assert_double_eq(rate("3/ms"), 3000);
    ck_assert_double_eq(rate("0.5/us"), 500000);
    ck_assert_double_eq(rate("2/ns"), 2e9);
    ck_assert_double_eq(rate("7200/h"), 2);
    ck_assert_double_eq(rate("1.5/h"), 1.5 / 3600);
    ck_assert_double_eq(rate("0.1"), 0.1); /* per second; the correctly rounded double */
    ck_assert_double_eq(rate("900"), 900);
    ck_assert_double_eq(rate(" 5 / s "), 5);
    ck_assert_double_eq(rate("1e3/s"), 1000);
    ck_assert_double_eq(rate("0/s"), 0);
    double z = rate("-0/s");
    ck_assert(z == 0 && !signbit(z));
}
END_TEST

START_TEST(rate_errors)
{
    ck_assert_str_eq(rate_err("5/d"), "unknown unit \"/d\" (use /ns, /us, /ms, /s, /m or /h)");
    ck_assert_str_eq(rate_err("5/"), "unknown unit \"/\" (use /ns, /us, /ms, /s, /m or /h)");
    ck_assert_str_eq(rate_err("-1/s"), "expected a finite rate >= 0");
    ck_assert_str_eq(rate_err("fast"), "expected a number per unit of time, such as \"2000/s\"");
    ck_assert_str_eq(rate_err("nan/s"), "expected a number per unit of time, such as \"2000/s\"");
    ck_assert_str_eq(rate_err(""), "expected a number per unit of time, such as \"2000/s\"");
    ck_assert_str_eq(rate_err("5 per s"), "unexpected \"per s\" (write a rate as \"2000/s\")");
    ck_assert_str_eq(rate_err("1e300/ns"), "rate too large");
    ck_assert_str_eq(rate_err("1e400/s"), "rate too large");
}
END_TEST

START_TEST(formatting)
{
    char b[40];
    static const struct {
        fl_time t;
        const char *text;
    } cases[] = {
        {250 * FL_MS, "250ms"}, {90 * FL_SEC, "90s"},   {2 * FL_MIN, "2m"},
        {3 * FL_HOUR, "3h"},    {5400 * FL_SEC, "90m"}, {1500, "1.5us"},
        {12, "12ns"},           {0, "0ns"},             {-1500, "-1.5us"},
        {1000000001, "1.000000001s"},
        {123456789123456789LL, "123456789.123456789s"},
        {INT64_MAX, "9223372036.854775807s"},
        {INT64_MIN, "-9223372036.854775808s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fl_format_duration(cases[i].t, b, sizeof b);
        ck_assert_str_eq(b, cases[i].text);
    }
    /* Formatting then parsing gives the value back, exactly, across the whole range. */
    fl_time vals[] = {1, 999, 1000, 123456789, 61 * FL_SEC, 7 * FL_HOUR, INT64_MAX,
                      (fl_time)1 << 53 | 1, 999999999999LL, 86400 * FL_SEC + 1};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        fl_format_duration(vals[i], b, sizeof b);
        ck_assert_int_eq(dur(b), vals[i]);
    }
    fl_format_duration(1500, b, 4); /* cut, still terminated */
    ck_assert_str_eq(b, "1.5");
}
END_TEST

/* A program that set a locale with a decimal comma must read "1.5s" the same way. */
/* The one name rule: its edges, and every character outside the set. */
START_TEST(name_rule)
{
    char why[300], s[80];
    const char *good[] = {"a", "A-b_c.9", "_x", "9", "n.2", "mm1", NULL};
    for (int i = 0; good[i]; i++)
        ck_assert_msg(fl_name_check(good[i], strlen(good[i]), why, sizeof why) == 0, "%s: %s",
                      good[i], why);
    memset(s, 'n', 64);
    ck_assert_int_eq(fl_name_check(s, 64, why, sizeof why), 0);
    ck_assert_int_eq(fl_name_check(s, 65, why, sizeof why), -1);
    ck_assert_str_eq(why, "expected a name of at most 64 characters, got 65 characters "
                          "(\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...\")");
    ck_assert_int_eq(fl_name_check("", 0, why, sizeof why), -1);
    ck_assert_str_eq(why, "expected a non-empty name");
    ck_assert_int_eq(fl_name_check("..", 2, why, sizeof why), -1);
    ck_assert_str_eq(why, "expected a name that does not start with '.', got \"..\"");
    ck_assert_int_eq(fl_name_check("-rf", 3, why, sizeof why), -1);
    ck_assert_int_eq(fl_name_check("a\0b", 3, why, sizeof why), -1); /* a NUL inside */
    ck_assert_str_eq(why, "expected a name of letters, digits, '.', '_' or '-', got \"a\\x00b\" "
                          "(the character \"\\x00\")");
    ck_assert_int_eq(fl_name_check("a\nb", 3, why, sizeof why), -1);
    ck_assert_str_eq(why, "expected a name of letters, digits, '.', '_' or '-', got \"a\\x0Ab\" "
                          "(the character \"\\x0A\")");
    for (int c = 1; c < 256; c++) {
        bool in = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        char t[3] = {'x', (char)c, 0};
        ck_assert_int_eq(fl_name_check(t, 2, why, sizeof why), in ? 0 : -1);
    }
}
END_TEST

/* Retry delays are read exactly: whatever is not the form is refused, with the reason. */
START_TEST(backoffs)
{
    int kind;
    fl_time base, cap;
    char why[160];
    ck_assert_int_eq(fl_parse_backoff("constant(50ms)", &kind, &base, &cap, why, sizeof why), 0);
    ck_assert_int_eq(kind, 1);
    ck_assert_int_eq(base, 50 * FL_MS);
    ck_assert_int_eq(cap, 0);
    ck_assert_int_eq(fl_parse_backoff("exponential( 10ms , max=1s )", &kind, &base, &cap, why,
                                      sizeof why), 0);
    ck_assert_int_eq(kind, 2);
    ck_assert_int_eq(base, 10 * FL_MS);
    ck_assert_int_eq(cap, FL_SEC);
    ck_assert_int_eq(fl_parse_backoff("exponential(10ms)", &kind, &base, &cap, why, sizeof why), 0);
    ck_assert_int_eq(cap, 0);
    const struct {
        const char *in, *why;
    } bad[] = {
        {"exponential(1s", "no ')' at the end"},
        {"exponential(1s)x", "text after the ')'"},
        {"constant(1s) ", "text after the ')'"},
        {"constant(1s, max=2s)", "constant(...) takes one duration"},
        {"exponential(1s, maxi=2s)", "the second argument must be max=DURATION"},
        {"exponential(1s, max=2s, max=3s)", "the second argument must be max=DURATION"},
        {"linear(1s)", ""},
        {"constant", ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(fl_parse_backoff(bad[i].in, &kind, &base, &cap, why, sizeof why) == -1,
                      "%s accepted", bad[i].in);
        ck_assert_str_eq(why, bad[i].why);
    }
}
END_TEST

START_TEST(locale_independent)
{
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8", "fr_FR"};
    const char *set = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !set; i++)
        set = setlocale(LC_NUMERIC, names[i]);
    if (set && strcmp(localeconv()->decimal_point, ".") != 0) {
        ck_assert_int_eq(dur("1.5s"), 1500 * FL_MS);
        ck_assert_double_eq(rate("2.5/s"), 2.5);
        char b[32];
        fl_format_duration(1500, b, sizeof b);
        ck_assert_str_eq(b, "1.5us");
    }
    setlocale(LC_NUMERIC, "C");
    ck_assert_int_eq(dur("1.5s"), 1500 * FL_MS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("units");
    TCase *tc = tcase_create("units");
    tcase_add_test(tc, durations);
    tcase_add_test(tc, durations_are_exact);
    tcase_add_test(tc, rounding_to_nearest_ns);
    tcase_add_test(tc, duration_errors);
    tcase_add_test(tc, rates);
    tcase_add_test(tc, rate_errors);
    tcase_add_test(tc, formatting);
    tcase_add_test(tc, locale_independent);
    tcase_add_test(tc, name_rule);
    tcase_add_test(tc, backoffs);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
