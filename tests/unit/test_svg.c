/* The SVG line-chart writer: escaping, number format, nice ticks, log axes with zeros,
 * NaN gaps, degenerate series, coordinates inside the view box, byte determinism. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/svg.h"
#include "testutil.h"

/* The chart as a malloc'd string (caller frees). */
static char *render(const fl_svg_chart *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fl_svg_write(f, c), FL_OK);
    fclose(f);
    return buf;
}

static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(fl_svg_escape(f, s), 0);
    fclose(f);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Every number in every path's d="..." lies inside [0, w] x [0, h]. */
static void paths_inside(const char *svg, double w, double h)
{
    for (const char *p = svg; (p = strstr(p, " d=\"")); ) {
        p += 4;
        int k = 0;
        while (*p && *p != '"') {
            if (*p == 'M' || *p == 'L' || *p == ' ') {
                p++;
                continue;
            }
            char *end;
            double v = strtod(p, &end);
            ck_assert_msg(end != p, "not a number in a path: %.20s", p);
            ck_assert(isfinite(v));
            ck_assert(v >= 0 && v <= (k % 2 ? h : w));
            k++;
            p = end;
        }
    }
}

static const char *const stamp = "test [baseline] seed 1 - faultline 0";

/* Every font-size in the chart (the root's default included) is at least 18: text a
 * projector shows at the chart's own size stays readable. Returns how many it saw. */
static int fonts_at_least(const char *svg, double min)
{
    int n = 0;
    for (const char *p = svg; (p = strstr(p, "font-size=\"")); n++) {
        p += strlen("font-size=\"");
        ck_assert_msg(strtod(p, NULL) >= min, "font-size %.8s below %g", p, min);
    }
    return n;
}

START_TEST(projector_text)
{
    /* A long title and stamp wrap inside the width instead of running off it; every text
     * is at least 18 px at the view box's own size. */
    double x[3] = {0, 50, 100}, y[3] = {1, 5, 2};
    fl_svg_series se = {"tries per second (with retries)", x, y, 3, NULL, NULL, NULL, 0, false, 0};
    fl_svg_shade sh = {10, 20, "api 4x slower", NULL};
    fl_svg_chart c = {"clients -> api: the faults end at 70 s, but tries stay at 2.3x capacity "
                      "and goodput does not come back",
                      "time (s)", "requests per second", stamp, false, true, 0, 0, &se, 1, &sh, 1, NULL, 0};
    char *svg = render(&c);
    ck_assert_int_ge(fonts_at_least(svg, 18), 2);
    ck_assert_ptr_nonnull(strstr(svg, "font-size=\"18\""));
    /* the title is two lines of text, each narrower than the chart at 0.58 em per char */
    ck_assert_uint_eq(count(svg, "font-weight=\"bold\""), 2);
    for (const char *p = svg; (p = strstr(p, "font-weight=\"bold\">")); ) {
        p += strlen("font-weight=\"bold\">");
        size_t len = strcspn(p, "<"), chars = 0;
        for (size_t i = 0; i < len; i++) { /* an entity (&gt;) is one character */
            if (p[i] == '&')
                i += strcspn(p + i, ";");
            chars++;
        }
        ck_assert_msg(chars * 20 * 0.58 <= 760 - 24, "title line too wide: %.*s", (int)len, p);
    }
    paths_inside(svg, 760, 500);
    free(svg);
}
END_TEST

START_TEST(grouped_ticks_and_dashes)
{
    char b[64];
    fl_svg_num_grouped(12000, b, sizeof b);
    ck_assert_str_eq(b, "12,000");
    fl_svg_num_grouped(1500000, b, sizeof b);
    ck_assert_str_eq(b, "1,500,000");
    fl_svg_num_grouped(-2500, b, sizeof b);
    ck_assert_str_eq(b, "-2,500");
    fl_svg_num_grouped(999, b, sizeof b);
    ck_assert_str_eq(b, "999");
    fl_svg_num_grouped(2.5, b, sizeof b);
    ck_assert_str_eq(b, "2.5");
    fl_svg_num_grouped(1e21, b, sizeof b);
    ck_assert_str_eq(b, "1e+21");
    /* A chart up to 20,000 labels its ticks with separators; a series' dash style gives
     * its stroke-dasharray, in the line and in its legend entry. */
    double x[2] = {0, 1}, y[2] = {0, 19000};
    fl_svg_series se[2] = {{"a", x, y, 2, NULL, NULL, NULL, 0, false, 0},
                           {"b", x, y, 2, NULL, NULL, NULL, 0, false, 2}};
    fl_svg_chart c = {"t", "x", "y", NULL, false, true, 0, 0, se, 2, NULL, 0, NULL, 0};
    char *svg = render(&c);
    ck_assert_ptr_nonnull(strstr(svg, ">20,000<"));
    ck_assert_ptr_null(strstr(svg, ">20000<"));
    char want[80];
    snprintf(want, sizeof want, "stroke-dasharray=\"%s\"", fl_svg_dash(2));
    ck_assert_uint_eq(count(svg, want), 2);
    ck_assert_str_ne(fl_svg_dash(1), fl_svg_dash(2));
    ck_assert_str_eq(fl_svg_dash(0), "");
    free(svg);
}
END_TEST

START_TEST(category_rows)
{
    /* A role chart: rows 1..3 named, a bar at row 2; the axis shows names, not numbers. */
    double x[3] = {0, 1, 2}, y[3] = {2, 2, NAN};
    fl_svg_series se = {"n2", x, y, 3, NULL, NULL, NULL, 10, false, 0};
    const char *rows[3] = {"n3", "n2", "n1"};
    fl_svg_chart c = {"roles", "time (s)", "primary", NULL, false, true, 0, 0, &se, 1, NULL, 0,
                      rows, 3};
    char *svg = render(&c);
    for (int i = 0; i < 3; i++) {
        char want[40];
        snprintf(want, sizeof want, ">%s</text>", rows[i]);
        ck_assert_ptr_nonnull(strstr(svg, want));
    }
    ck_assert_ptr_null(strstr(svg, "text-anchor=\"end\" fill=\"#333333\">2<"));
    free(svg);
}
END_TEST

START_TEST(distinct_past_the_palette)
{
    /* Twenty series in the palette's colours: no two share colour and line style. */
    double x[2] = {0, 1}, y[2] = {1, 2};
    fl_svg_series se[20];
    char names[20][8];
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof names[i], "s%d", i);
        se[i] = (fl_svg_series){names[i], x, y, 2, NULL, NULL, NULL, 0, false, 0};
    }
    fl_svg_chart c = {"many", "x", "y", NULL, false, true, 0, 0, se, 20, NULL, 0, NULL, 0};
    char *svg = render(&c);
    char seen[20][120];
    int n = 0;
    for (const char *p = svg; (p = strstr(p, "<path fill=\"none\" stroke=\"")); p++) {
        const char *d = strstr(p, " d=\"");
        ck_assert_ptr_nonnull(d);
        snprintf(seen[n], sizeof seen[n], "%.*s", (int)(d - p < 119 ? d - p : 119), p);
        for (int k = 0; k < n; k++)
            ck_assert_msg(strcmp(seen[k], seen[n]) != 0, "two series drawn alike: %s", seen[n]);
        n++;
    }
    ck_assert_int_eq(n, 20);
    free(svg);
}
END_TEST

START_TEST(escaping)
{
    char *s = escaped("a&b<c>\"d'e\x01\tz");
    ck_assert_str_eq(s, "a&amp;b&lt;c&gt;&quot;d&#39;e \tz");
    free(s);
    s = escaped("caf\xc3\xa9"); /* UTF-8 passes through */
    ck_assert_str_eq(s, "caf\xc3\xa9");
    free(s);
    /* Every text of a chart is escaped: title, labels, legend, shade labels, stamp. */
    double x[2] = {0, 1}, y[2] = {1, 2};
    fl_svg_series se = {"<p99> & \"max\"", x, y, 2, NULL, NULL, NULL, 0, false, 0};
    fl_svg_shade sh = {0, 0.5, "it's <down>", NULL};
    fl_svg_chart c = {"a <b> & 'c'", "time & (s)", "y <ms>", "stamp & <x>", false, true, 0, 0,
                      &se, 1, &sh, 1, NULL, 0};
    char *svg = render(&c);
    ck_assert_ptr_null(strstr(svg, "<b>"));
    ck_assert_ptr_null(strstr(svg, "<p99>"));
    ck_assert_ptr_null(strstr(svg, "<down>"));
    ck_assert_ptr_null(strstr(svg, "<x>"));
    ck_assert_ptr_null(strstr(svg, "<ms>"));
    ck_assert_ptr_null(strstr(svg, "& "));
    ck_assert_ptr_nonnull(strstr(svg, "a &lt;b&gt; &amp; &#39;c&#39;"));
    ck_assert_ptr_nonnull(strstr(svg, "it&#39;s &lt;down&gt;"));
    ck_assert_uint_eq(count(svg, "<svg "), 1);
    ck_assert_uint_eq(count(svg, "</svg>"), 1);
    free(svg);
}
END_TEST

START_TEST(numbers)
{
    char b[40];
    fl_svg_num(0.1 + 0.2, b, sizeof b);
    ck_assert_str_eq(b, "0.3");
    fl_svg_num(-0.0, b, sizeof b);
    ck_assert_str_eq(b, "0");
    fl_svg_num(1234567, b, sizeof b);
    ck_assert_str_eq(b, "1.23457e+06");
    fl_svg_num(612.3456, b, sizeof b);
    ck_assert_str_eq(b, "612.346");
    fl_svg_numg(3.14159, 3, b, sizeof b);
    ck_assert_str_eq(b, "3.14");
    fl_svg_num(1e-5, b, sizeof b);
    ck_assert_str_eq(b, "1e-05");
}
END_TEST

START_TEST(ticks)
{
    double t[64], lo, hi;
    char b[40];
    size_t n = fl_svg_ticks(0, 97, 5, &lo, &hi, t, 64);
    ck_assert_uint_eq(n, 6);
    ck_assert_double_eq(lo, 0);
    ck_assert_double_eq(hi, 100);
    ck_assert_double_eq(t[1], 20);
    n = fl_svg_ticks(0.13, 0.87, 5, &lo, &hi, t, 64);
    ck_assert_uint_eq(n, 6);
    ck_assert_double_eq(lo, 0);
    fl_svg_num(t[3], b, sizeof b);
    ck_assert_str_eq(b, "0.6");
    fl_svg_num(hi, b, sizeof b);
    ck_assert_str_eq(b, "1");
    n = fl_svg_ticks(-3, 7, 5, &lo, &hi, t, 64);
    ck_assert_double_eq(lo, -4);
    ck_assert_double_eq(hi, 8);
    ck_assert_uint_eq(n, 7);
    n = fl_svg_ticks(1000, 1001, 5, &lo, &hi, t, 64); /* a narrow range far from 0 */
    ck_assert(n >= 3 && n <= 8);
    ck_assert(lo <= 1000 && hi >= 1001);
    n = fl_svg_ticks(0, 300, 8, &lo, &hi, t, 3); /* never more than asked */
    ck_assert_uint_eq(n, 3);

    n = fl_svg_log_ticks(0.5, 2000, &lo, &hi, t, 64);
    ck_assert_uint_eq(n, 6);
    fl_svg_num(t[0], b, sizeof b);
    ck_assert_str_eq(b, "0.1");
    ck_assert_double_eq(hi, 10000);
    n = fl_svg_log_ticks(5, 5, &lo, &hi, t, 64); /* one value: one decade around it */
    ck_assert_uint_eq(n, 2);
    ck_assert_double_eq(lo, 1);
    ck_assert_double_eq(hi, 10);
    n = fl_svg_log_ticks(1e-3, 1e12, &lo, &hi, t, 64); /* many decades: every other */
    ck_assert(n <= 9);
    ck_assert(lo <= 1e-3 && hi >= 1e12);
}
END_TEST

START_TEST(log_axis_skips_zeros)
{
    double x[6] = {0, 1, 2, 3, 4, 5}, y[6] = {0, 1, 10, 0, 100, -1};
    fl_svg_series se = {"p99", x, y, 6, NULL, NULL, NULL, 0, false, 0};
    fl_svg_chart c = {"log", "time (s)", "latency (ms)", stamp, true, false, 0, 0, &se, 1,
                      NULL, 0, NULL, 0};
    char *svg = render(&c);
    ck_assert_ptr_null(strstr(svg, "nan"));
    ck_assert_ptr_null(strstr(svg, "inf"));
    /* Points 1-2 are a line; 4 stands alone between non-positive values: a dot. */
    ck_assert_uint_eq(count(svg, "<path"), 1);
    ck_assert_uint_eq(count(svg, "M"), 1);
    ck_assert_uint_eq(count(svg, " L"), 1);
    ck_assert_uint_eq(count(svg, "<circle"), 1);
    ck_assert_ptr_nonnull(strstr(svg, ">100</text>")); /* decade ticks 1, 10, 100 */
    paths_inside(svg, 760, 400);
    free(svg);

    /* Only zeros: nothing to draw on a log axis, said so, still a valid chart. */
    double z[3] = {0, 0, 0};
    fl_svg_series sz = {"p99", x, z, 3, NULL, NULL, NULL, 0, false, 0};
    c.series = &sz;
    svg = render(&c);
    ck_assert_uint_eq(count(svg, "<path"), 0);
    ck_assert_ptr_nonnull(strstr(svg, "no data"));
    free(svg);
}
END_TEST

START_TEST(nan_breaks_the_line)
{
    double x[7] = {0, 1, 2, 3, 4, 5, 6}, y[7] = {1, 2, NAN, 3, 4, NAN, 5};
    fl_svg_series se = {"ok", x, y, 7, NULL, NULL, NULL, 0, false, 0};
    fl_svg_chart c = {"gaps", "time (s)", "per second", stamp, false, true, 0, 0, &se, 1, NULL, 0, NULL, 0};
    char *svg = render(&c);
    ck_assert_uint_eq(count(svg, "<path"), 1);
    ck_assert_uint_eq(count(svg, "M"), 2); /* two runs of two points */
    ck_assert_uint_eq(count(svg, " L"), 2);
    ck_assert_uint_eq(count(svg, "<circle"), 1); /* the last point, alone */
    ck_assert_ptr_null(strstr(svg, "nan"));
    paths_inside(svg, 760, 400);
    /* The x axis spans every point, gap or not. */
    ck_assert_ptr_nonnull(strstr(svg, ">6</text>"));
    free(svg);

    /* A band with a gap: one polygon per run. */
    double lo[7] = {0.5, 1.5, 2, 2.5, NAN, 3, 4}, hi[7] = {1.5, 2.5, 3, 3.5, NAN, 5, 6};
    double m[7] = {1, 2, 2.5, 3, NAN, 4, 5};
    fl_svg_series sb = {"median", x, m, 7, lo, hi, NULL, 0, false, 0};
    c.series = &sb;
    svg = render(&c);
    ck_assert_uint_eq(count(svg, "<polygon"), 2);
    free(svg);
}
END_TEST

START_TEST(degenerate_series)
{
    /* All zero: a flat line on the axis, 0..1 scale, no division by zero. */
    double x[4] = {0, 1, 2, 3}, z[4] = {0, 0, 0, 0};
    fl_svg_series se = {"errors", x, z, 4, NULL, NULL, NULL, 0, false, 0};
    fl_svg_chart c = {"zero", "time (s)", "per second", stamp, false, true, 0, 0, &se, 1, NULL, 0, NULL, 0};
    char *svg = render(&c);
    ck_assert_ptr_null(strstr(svg, "nan"));
    ck_assert_ptr_nonnull(strstr(svg, ">1</text>"));
    ck_assert_uint_eq(count(svg, "<path"), 1);
    paths_inside(svg, 760, 400);
    free(svg);

    /* Constant non-zero without y_zero: room around the value. */
    double k[4] = {7, 7, 7, 7};
    se.y = k;
    c.y_zero = false;
    svg = render(&c);
    ck_assert_ptr_null(strstr(svg, "nan"));
    paths_inside(svg, 760, 400);
    free(svg);

    /* One point: a dot, x range centred on it. */
    double x1 = 5, y1 = 3;
    fl_svg_series one = {"one", &x1, &y1, 1, NULL, NULL, NULL, 0, false, 0};
    c.series = &one;
    svg = render(&c);
    ck_assert_uint_eq(count(svg, "<path"), 0);
    ck_assert_uint_eq(count(svg, "<circle"), 1);
    ck_assert_ptr_null(strstr(svg, "nan"));
    free(svg);

    /* No series at all, shades only. */
    fl_svg_shade sh = {10, 20, "down", NULL};
    c.series = NULL;
    c.nseries = 0;
    c.shades = &sh;
    c.nshades = 1;
    svg = render(&c);
    ck_assert_ptr_nonnull(strstr(svg, "no data"));
    ck_assert_ptr_nonnull(strstr(svg, ">down</text>"));
    free(svg);

    /* Bad arguments are refused, not crashed on. */
    FILE *f = fopen("/dev/null", "w");
    ck_assert_int_eq(fl_svg_write(f, NULL), FL_INVALID);
    fl_svg_series bad = {"bad", NULL, NULL, 3, NULL, NULL, NULL, 0, false, 0};
    fl_svg_chart cb = {"bad", NULL, NULL, NULL, false, false, 0, 0, &bad, 1, NULL, 0, NULL, 0};
    ck_assert_int_eq(fl_svg_write(f, &cb), FL_INVALID);
    fclose(f);
}
END_TEST

START_TEST(shades_and_legend)
{
    double x[301], y[301];
    for (int i = 0; i <= 300; i++)
        x[i] = i, y[i] = 500 + 50 * sin(i / 10.0);
    fl_svg_series se[2] = {{"issued", x, y, 301, NULL, NULL, "#555555", 2, false, 0},
                           {"succeeded", x, y, 301, NULL, NULL, NULL, 1.5, true, 0}};
    fl_svg_shade sh[3] = {{0, 20, "warm-up", "#dddddd"},
                          {60, 70, "api 4x slower", NULL},
                          {290, 400, "past the end", NULL}};
    fl_svg_chart c = {"rps", "time (s)", "requests per second", stamp, false, true, 0, 0, se, 2,
                      sh, 3, NULL, 0};
    char *svg = render(&c);
    ck_assert_ptr_nonnull(strstr(svg, ">api 4x slower</text>"));
    ck_assert_ptr_nonnull(strstr(svg, "fill=\"#f2c2c2\""));
    ck_assert_ptr_nonnull(strstr(svg, "fill=\"#dddddd\""));
    ck_assert_ptr_nonnull(strstr(svg, ">issued</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">succeeded</text>"));
    ck_assert_ptr_nonnull(strstr(svg, "stroke-dasharray"));
    ck_assert_ptr_nonnull(strstr(svg, stamp));
    ck_assert_ptr_nonnull(strstr(svg, ">300</text>"));
    /* The shade past the end is clipped: every rect stays inside the chart. */
    for (const char *p = svg; (p = strstr(p, "<rect x=\"")); p++) {
        double rx = strtod(p + 9, NULL);
        const char *wp = strstr(p, "width=\"");
        double rw = strtod(wp + 7, NULL);
        ck_assert(rx >= 0 && rx + rw <= 760);
    }
    paths_inside(svg, 760, 400);
    free(svg);
}
END_TEST

START_TEST(deterministic)
{
    double x[50], y[50], lo[50], hi[50];
    for (int i = 0; i < 50; i++) {
        x[i] = i * 0.1;
        y[i] = i % 7 ? exp(i / 10.0) : NAN;
        lo[i] = y[i] * 0.9;
        hi[i] = y[i] * 1.1;
    }
    fl_svg_series se = {"median", x, y, 50, lo, hi, NULL, 0, false, 0};
    fl_svg_shade sh = {1.5, 2.25, "fault", NULL};
    fl_svg_chart c = {"det", "time (s)", "ms", stamp, true, false, 0, 0, &se, 1, &sh, 1, NULL, 0};
    char *a = render(&c), *b = render(&c);
    ck_assert_str_eq(a, b);
    /* A locale with a decimal comma must not leak into the numbers. */
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8") || setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
        char *d = render(&c);
        setlocale(LC_NUMERIC, "C");
        ck_assert_str_eq(a, d);
        free(d);
    }
    free(a);
    free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svg");
    TCase *tc = tcase_create("svg");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, escaping);
    tcase_add_test(tc, numbers);
    tcase_add_test(tc, ticks);
    tcase_add_test(tc, log_axis_skips_zeros);
    tcase_add_test(tc, nan_breaks_the_line);
    tcase_add_test(tc, degenerate_series);
    tcase_add_test(tc, shades_and_legend);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, projector_text);
    tcase_add_test(tc, grouped_ticks_and_dashes);
    tcase_add_test(tc, category_rows);
    tcase_add_test(tc, distinct_past_the_palette);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
