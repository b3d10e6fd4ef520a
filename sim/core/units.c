/* Durations and rates as users write them: "250ms", "1.5s", "2000/s".
 *
 * Numbers are read by hand into an exact decimal (up to 19 significant digits and a power
 * of ten), never through the locale: strtod's decimal point follows LC_NUMERIC, and a
 * scenario must mean the same thing on every machine. Durations are then scaled to
 * nanoseconds in integer arithmetic, so "1.5s" is exactly 1500000000 and rounding to the
 * nearest nanosecond (ties away from zero) is exact. Rates become doubles through strtod
 * on a digits-and-exponent string that has no decimal point to localise, which gives the
 * correctly rounded double.
 *
 * Invariants: a successful parse writes *out and returns 0; a failed one leaves *out alone,
 * returns -1 and says why in words a user can act on. The messages are part of the
 * interface: tests/bad pins them. */
#include <faultline/time.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Units in nanoseconds. A unit must match the whole text after the number. */
static const struct unit {
    const char *name;
    int64_t ns;
} units[] = {{"ns", 1},           {"us", 1000},        {"ms", 1000000},
             {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL}};
#define NUNITS (sizeof units / sizeof units[0])

#define MAX_DIGITS 19 /* significant digits kept: any 19-digit integer fits in a uint64 */

/* value = (neg ? -1 : 1) * digits * 10^exp10 */
typedef struct decimal {
    uint64_t digits;
    int exp10;
    bool neg;
} decimal;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Reads [+-]digits[.digits][(e|E)[+-]digits] (a lone "." or "5." and ".5" are fine as long
 * as one digit is there). Returns the characters consumed, 0 when there is no number.
 * Digits past the 19th significant one are dropped (below a nanosecond for any duration
 * that fits in an fl_time). Zeros are folded in lazily, so trailing zeros never count. */
static size_t read_decimal(const char *s, decimal *d)
{
    const char *p = s;
    *d = (decimal){0, 0, false};
    if (*p == '+' || *p == '-')
        d->neg = *p++ == '-';
    int ndig = 0, seen = 0, zeros = 0; /* zeros: pending zeros not yet multiplied in */
    bool frac = false;
    for (;; p++) {
        if (*p == '.' && !frac) {
            frac = true;
            continue;
        }
        if (!is_digit(*p))
            break;
        seen++;
        int c = *p - '0';
        if (c == 0) {
            if (ndig == 0) { /* a leading zero: only its place counts */
                if (frac)
                    d->exp10--;
            } else if (ndig + zeros < MAX_DIGITS) {
                zeros++;
                if (frac)
                    d->exp10--;
            } else if (!frac) {
                d->exp10++; /* an integer digit past the kept ones still scales */
            }
            continue;
        }
        if (ndig + zeros < MAX_DIGITS) {
            for (; zeros; zeros--, ndig++)
                d->digits *= 10;
            d->digits = d->digits * 10 + (uint64_t)c;
            ndig++;
            if (frac)
                d->exp10--;
        } else if (!frac) {
            d->exp10++;
        }
    }
    if (!seen)
        return 0;
    /* Pending zeros: an integer zero scales by ten ("100" is 1 * 10^2); a fraction zero
     * already moved exp10 down one place, so adding it back leaves the value unchanged. */
    d->exp10 += zeros;
    if ((*p == 'e' || *p == 'E') &&
        (is_digit(p[1]) || ((p[1] == '+' || p[1] == '-') && is_digit(p[2])))) {
        const char *q = p + 1;
        bool eneg = false;
        if (*q == '+' || *q == '-')
            eneg = *q++ == '-';
        long ex = 0;
        for (; is_digit(*q); q++)
            if (ex < 100000) /* saturate: far beyond any value that fits */
                ex = ex * 10 + (*q - '0');
        d->exp10 += (int)(eneg ? -ex : ex);
        p = q;
    }
    return (size_t)(p - s);
}

/* The whole of [u, u + len) names a unit: its index, or -1. */
static int find_unit(const char *u, size_t len)
{
    for (size_t i = 0; i < NUNITS; i++)
        if (strlen(units[i].name) == len && strncmp(units[i].name, u, len) == 0)
            return (int)i;
    return -1;
}

static void say(char *why, size_t n, const char *fmt, const char *arg)
{
    if (why && n)
        snprintf(why, n, fmt, arg);
}

/* The text after the number, without surrounding spaces: start and length. */
static const char *trimmed(const char *u, size_t *len)
{
    while (*u == ' ' || *u == '\t')
        u++;
    size_t l = strlen(u);
    while (l && (u[l - 1] == ' ' || u[l - 1] == '\t'))
        l--;
    *len = l;
    return u;
}

/* d * unit_ns rounded to the nearest integer (ties away from zero), if it is at most
 * INT64_MAX; the sign is ignored. Returns false when too large. */
static bool scale_exact(const decimal *d, int64_t unit_ns, uint64_t *out)
{
    /* digits < 10^19 and unit_ns < 4e12: the product fits easily in 128 bits (< 4e31). */
    __uint128_t m = (__uint128_t)d->digits * (uint64_t)unit_ns;
    if (m == 0) {
        *out = 0;
        return true;
    }
    if (d->exp10 >= 0) {
        for (int i = 0; i < d->exp10; i++) {
            m *= 10;
            if (m > (__uint128_t)INT64_MAX)
                return false;
        }
    } else {
        if (d->exp10 < -38) { /* m < 10^32: far below half a nanosecond */
            *out = 0;
            return true;
        }
        __uint128_t p = 1;
        for (int i = 0; i < -d->exp10; i++)
            p *= 10;
        __uint128_t q = m / p, r = m % p;
        if (2 * r >= p)
            q++;
        m = q;
    }
    if (m > (__uint128_t)INT64_MAX)
        return false;
    *out = (uint64_t)m;
    return true;
}

int fl_parse_duration(const char *s, fl_time *out, char *why, size_t why_n)
{
    while (*s == ' ' || *s == '\t')
        s++;
    decimal d;
    size_t k = read_decimal(s, &d);
    if (!k) { /* also "nan", "inf" and "": none of them starts with a digit */
        say(why, why_n, "expected a number then a unit, such as \"250ms\"%s", "");
        return -1;
    }
    size_t ul;
    const char *u = trimmed(s + k, &ul);
    int64_t unit_ns = FL_SEC; /* a bare number is seconds */
    if (ul) {
        int i = find_unit(u, ul);
        if (i < 0) {
            char unit[24];
            snprintf(unit, sizeof unit, "%.*s", (int)(ul < 20 ? ul : 20), u);
            say(why, why_n, "unknown unit \"%s\" (use ns, us, ms, s, m or h)", unit);
            return -1;
        }
        unit_ns = units[i].ns;
    }
    if (d.neg && d.digits != 0) { /* "-0s" is zero, not negative */
        say(why, why_n, "negative duration%s", "");
        return -1;
    }
    uint64_t ns;
    if (!scale_exact(&d, unit_ns, &ns)) {
        say(why, why_n, "duration too large (the most is about 292 years)%s", "");
        return -1;
    }
    *out = (fl_time)ns;
    return 0;
}

/* The decimal as the nearest double, independent of the locale. */
static double to_double(const decimal *d)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%s%llue%d", d->neg ? "-" : "", (unsigned long long)d->digits,
             d->exp10);
    return strtod(buf, NULL); /* no decimal point in buf: nothing for the locale to change */
}

int fl_parse_rate(const char *s, double *per_s, char *why, size_t why_n)
{
    while (*s == ' ' || *s == '\t')
        s++;
    decimal d;
    size_t k = read_decimal(s, &d);
    if (!k) {
        say(why, why_n, "expected a number per unit of time, such as \"2000/s\"%s", "");
        return -1;
    }
    const char *p = s + k;
    while (*p == ' ' || *p == '\t')
        p++;
    int64_t unit_ns = FL_SEC; /* a bare number is per second */
    if (*p == '/') {
        size_t ul;
        const char *u = trimmed(p + 1, &ul);
        int i = find_unit(u, ul);
        if (i < 0) {
            char unit[24];
            snprintf(unit, sizeof unit, "%.*s", (int)(ul < 20 ? ul : 20), u);
            say(why, why_n, "unknown unit \"/%s\" (use /ns, /us, /ms, /s, /m or /h)", unit);
            return -1;
        }
        unit_ns = units[i].ns;
    } else if (*p) {
        say(why, why_n, "unexpected \"%s\" (write a rate as \"2000/s\")", p);
        return -1;
    }
    if (d.neg && d.digits != 0) {
        say(why, why_n, "expected a finite rate >= 0%s", "");
        return -1;
    }
    double v = d.digits ? to_double(&d) : 0.0; /* +0 even for "-0" */
    /* Scale by an exact factor: multiply by 1e9/ns for units up to a second, divide by
     * ns/1e9 (60, 3600) above, so "3/ms" is exactly 3000 and "60/m" exactly 1. */
    double r = unit_ns <= FL_SEC ? v * (double)(FL_SEC / unit_ns) : v / (double)(unit_ns / FL_SEC);
    if (!isfinite(r)) {
        say(why, why_n, "rate too large%s", "");
        return -1;
    }
    *per_s = r;
    return 0;
}

void fl_format_duration(fl_time t, char *buf, size_t n)
{
    if (!buf || !n)
        return;
    /* Exact integer arithmetic: the text parses back to the same nanosecond count. */
    const char *sign = t < 0 ? "-" : "";
    uint64_t a = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    const uint64_t hour = (uint64_t)FL_HOUR, min = (uint64_t)FL_MIN;
    if (a >= hour && a % hour == 0) {
        snprintf(buf, n, "%s%lluh", sign, (unsigned long long)(a / hour));
        return;
    }
    if (a >= min && a % min == 0) {
        snprintf(buf, n, "%s%llum", sign, (unsigned long long)(a / min));
        return;
    }
    static const struct {
        uint64_t ns;
        int places;
        const char *name;
    } scale[] = {{1000000000u, 9, "s"}, {1000000u, 6, "ms"}, {1000u, 3, "us"}, {1u, 0, "ns"}};
    size_t i = 0;
    while (i + 1 < sizeof scale / sizeof scale[0] && a < scale[i].ns)
        i++;
    uint64_t whole = a / scale[i].ns, frac = a % scale[i].ns;
    if (!frac) {
        snprintf(buf, n, "%s%llu%s", sign, (unsigned long long)whole, scale[i].name);
        return;
    }
    int places = scale[i].places;
    while (frac % 10 == 0) { /* trim trailing zeros: 1500us -> 1.5us */
        frac /= 10;
        places--;
    }
    snprintf(buf, n, "%s%llu.%0*llu%s", sign, (unsigned long long)whole, places,
             (unsigned long long)frac, scale[i].name);
}

/* Copies [a, b) without its surrounding spaces into buf; false when it does not fit. */
static bool copy_trimmed(const char *a, const char *b, char *buf, size_t n)
{
    while (a < b && *a == ' ')
        a++;
    while (b > a && b[-1] == ' ')
        b--;
    if ((size_t)(b - a) >= n)
        return false;
    memcpy(buf, a, (size_t)(b - a));
    buf[b - a] = 0;
    return true;
}

int fl_parse_backoff(const char *s, int *kind, fl_time *base, fl_time *cap, char *why,
                     size_t why_n)
{
    char arg[64], max[64] = "";
    const char *open = strchr(s, '(');
    size_t len = strlen(s);
    if (open && (size_t)(open - s) == 8 && strncmp(s, "constant", 8) == 0)
        *kind = 1;
    else if (open && (size_t)(open - s) == 11 && strncmp(s, "exponential", 11) == 0)
        *kind = 2;
    else {
        snprintf(why, why_n, "%s", ""); /* the caller lists the forms it takes */
        return -1;
    }
    const char *close = strchr(open, ')');
    if (!close) {
        snprintf(why, why_n, "no ')' at the end");
        return -1;
    }
    if (close != s + len - 1) {
        snprintf(why, why_n, "text after the ')'");
        return -1;
    }
    const char *comma = memchr(open, ',', (size_t)(close - open));
    if (!copy_trimmed(open + 1, comma ? comma : close, arg, sizeof arg) ||
        (comma && !copy_trimmed(comma + 1, close, max, sizeof max))) {
        snprintf(why, why_n, "an argument is too long");
        return -1;
    }
    if (comma && (*kind == 1 || strncmp(max, "max=", 4) != 0 || strchr(max + 4, ','))) {
        snprintf(why, why_n, *kind == 1 ? "constant(...) takes one duration"
                                        : "the second argument must be max=DURATION");
        return -1;
    }
    *cap = 0;
    if (fl_parse_duration(arg, base, why, why_n) != 0 ||
        (comma && fl_parse_duration(max + 4, cap, why, why_n) != 0))
        return -1;
    return 0;
}
