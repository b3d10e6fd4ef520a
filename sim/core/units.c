/* Durations and rates as users write them: "250ms", "1.5s", "2000/s".
 * Parsing is locale-independent (a hand-written decimal reader, not strtod, whose
 * decimal point follows the locale) and exact for integers up to 2^53. */
#include <faultline/time.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct unit {
    const char *name;
    double ns;
} units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};

/* Reads [+-]digits[.digits][e[+-]digits]; returns chars consumed, 0 when none. */
static size_t read_number(const char *s, double *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    double v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p++ - '0');
        digits++;
    }
    if (*p == '.') {
        p++;
        double scale = 0.1;
        while (*p >= '0' && *p <= '9') {
            v += (*p++ - '0') * scale;
            scale /= 10;
            digits++;
        }
    }
    if (!digits)
        return 0;
    if ((*p == 'e' || *p == 'E') && (p[1] == '-' || p[1] == '+' || (p[1] >= '0' && p[1] <= '9'))) {
        const char *q = p + 1;
        int eneg = 0, ex = 0;
        if (*q == '+' || *q == '-')
            eneg = *q++ == '-';
        if (*q >= '0' && *q <= '9') {
            while (*q >= '0' && *q <= '9') {
                if (ex < 10000)
                    ex = ex * 10 + (*q - '0');
                q++;
            }
            v *= pow(10, eneg ? -ex : ex);
            p = q;
        }
    }
    *out = neg ? -v : v;
    return (size_t)(p - s);
}

static void say(char *why, size_t n, const char *fmt, const char *arg)
{
    if (why && n)
        snprintf(why, n, fmt, arg);
}

int fl_parse_duration(const char *s, fl_time *out, char *why, size_t why_n)
{
    while (*s == ' ')
        s++;
    double v;
    size_t k = read_number(s, &v);
    if (!k) {
        say(why, why_n, "expected a number then a unit, such as \"250ms\"%s", "");
        return -1;
    }
    const char *u = s + k;
    while (*u == ' ')
        u++;
    size_t ul = strlen(u);
    while (ul && u[ul - 1] == ' ')
        ul--;
    double mult = 1e9; /* a bare number is seconds */
    if (ul) {
        size_t i;
        for (i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].name) == ul && strncmp(units[i].name, u, ul) == 0)
                break;
        if (i == sizeof units / sizeof units[0]) {
            char unit[24];
            snprintf(unit, sizeof unit, "%.*s", (int)(ul < 20 ? ul : 20), u);
            say(why, why_n, "unknown unit \"%s\" (use ns, us, ms, s, m or h)", unit);
            return -1;
        }
        mult = units[i].ns;
    }
    if (!isfinite(v)) {
        say(why, why_n, "not a finite number%s", "");
        return -1;
    }
    if (v < 0) {
        say(why, why_n, "negative duration%s", "");
        return -1;
    }
    double ns = nearbyint(v * mult);
    if (!(ns < 9.2e18)) {
        say(why, why_n, "duration too large (the most is about 292 years)%s", "");
        return -1;
    }
    *out = (fl_time)ns;
    return 0;
}

int fl_parse_rate(const char *s, double *per_s, char *why, size_t why_n)
{
    while (*s == ' ')
        s++;
    double v;
    size_t k = read_number(s, &v);
    if (!k) {
        say(why, why_n, "expected a number per unit of time, such as \"2000/s\"%s", "");
        return -1;
    }
    const char *p = s + k;
    while (*p == ' ')
        p++;
    double per = 1;
    if (*p == '/') {
        p++;
        while (*p == ' ')
            p++;
        size_t ul = strlen(p);
        while (ul && p[ul - 1] == ' ')
            ul--;
        size_t i;
        for (i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].name) == ul && strncmp(units[i].name, p, ul) == 0)
                break;
        if (i == sizeof units / sizeof units[0]) {
            char unit[24];
            snprintf(unit, sizeof unit, "%.*s", (int)(ul < 20 ? ul : 20), p);
            say(why, why_n, "unknown unit \"/%s\" (use /ns, /us, /ms, /s, /m or /h)", unit);
            return -1;
        }
        per = units[i].ns / 1e9;
    } else if (*p) {
        say(why, why_n, "unexpected \"%s\" (write a rate as \"2000/s\")", p);
        return -1;
    }
    if (!isfinite(v) || v < 0) {
        say(why, why_n, "expected a finite rate >= 0%s", "");
        return -1;
    }
    *per_s = v / per;
    if (!isfinite(*per_s)) {
        say(why, why_n, "rate too large%s", "");
        return -1;
    }
    return 0;
}

void fl_format_duration(fl_time t, char *buf, size_t n)
{
    const char *sign = t < 0 ? "-" : "";
    double a = fabs((double)t);
    if (a >= 3600e9 && fmod(a, 3600e9) == 0)
        snprintf(buf, n, "%s%.0fh", sign, a / 3600e9);
    else if (a >= 60e9 && fmod(a, 60e9) == 0)
        snprintf(buf, n, "%s%.0fm", sign, a / 60e9);
    else if (a >= 1e9)
        snprintf(buf, n, "%s%.15gs", sign, a / 1e9);
    else if (a >= 1e6)
        snprintf(buf, n, "%s%.15gms", sign, a / 1e6);
    else if (a >= 1e3)
        snprintf(buf, n, "%s%.15gus", sign, a / 1e3);
    else
        snprintf(buf, n, "%s%.0fns", sign, a);
}
