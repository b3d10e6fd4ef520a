/* Distributions of durations: parsing, sampling, moments. See dist.h for the grammar.
 *
 * Representation. Every parameter is stored in nanoseconds (lognormal: mu of ln(ns)), with
 * what sampling needs precomputed (pareto and weibull keep 1/shape), so fl_dist_sample
 * does no allocation, no parsing and no division it could avoid. The user's own numbers
 * are kept too (`u1`, `u2`, `form`, mixture weights) so fl_dist_format gives back what
 * was written, not a rounded re-derivation of it.
 *
 * Sampling. A draw is a pure function of the caller's stream state: no hidden state, no
 * cached spare normal (the distribution is shared and const). Methods:
 *   uniform, exp, pareto, weibull   inversion of one uniform (log, pow)
 *   normal, lognormal               Marsaglia's polar method: pairs (u, v) uniform on the
 *                                   square until u^2 + v^2 = s is in (0, 1), then
 *                                   u * sqrt(-2 ln s / s); no trigonometry, so the result
 *                                   depends only on IEEE sqrt (exact) and libm's log
 *   empirical                       fl_rng_below over the sorted values (a monotone map
 *                                   from the stream, which helps common random numbers)
 *   mix                             one uniform picks the component by cumulative weight
 * Normal draws below zero are clamped to 0 in both sample functions, and the moments and
 * quantiles describe that clamped variable.
 *
 * Invariants: empirical values are sorted and n >= 1; mixture cumulative weights are
 * increasing with the last exactly 1; every fl_dist is owned by one parent or the caller. */
#include <faultline/dist.h>

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/stats.h"

typedef enum kind { K_CONST, K_UNIFORM, K_EXP, K_NORMAL, K_LOGNORMAL, K_PARETO, K_WEIBULL,
                    K_EMPIRICAL, K_MIX } kind;

static const char *const kind_names[] = {"const", "uniform", "exp", "normal", "lognormal",
                                         "pareto", "weibull", "empirical", "mix", NULL};

/* How a lognormal was written, for formatting. */
enum { FORM_MU_SIGMA, FORM_MEDIAN_P99 };

struct fl_dist {
    kind k;
    double a, b;    /* const: a; uniform: a, b; exp: mean a; normal: mean a, sd b;
                       lognormal: mu a, sigma b (of ln ns); pareto, weibull: scale a,
                       1/shape b */
    double shape;   /* pareto, weibull */
    double u1, u2;  /* lognormal as written: (mu, sigma) of ln s, or (median, p99) in ns */
    int form;       /* lognormal: FORM_* */
    size_t n;       /* empirical values, mixture components */
    double *vals;   /* empirical: sorted values (ns); mix: cumulative weights, last = 1 */
    double *weights; /* mix: the weights as written */
    fl_dist **parts; /* mix: the components */
};

#define Z99 2.3263478740408408 /* the standard normal's 99th percentile */
#define LN_1E9 20.723265836946411 /* ln(10^9): ln(seconds) -> ln(nanoseconds) */

void fl_dist_free(fl_dist *d)
{
    if (!d)
        return;
    for (size_t i = 0; d->parts && i < d->n; i++)
        fl_dist_free(d->parts[i]);
    fl_free(d->parts);
    fl_free(d->weights);
    fl_free(d->vals);
    fl_free(d);
}

static fl_dist *mk(kind k)
{
    fl_dist *d = fl_calloc(1, sizeof *d);
    if (d)
        d->k = k;
    return d;
}

fl_dist *fl_dist_const(fl_time v)
{
    fl_dist *d = mk(K_CONST);
    if (d)
        d->a = (double)v;
    return d;
}

fl_dist *fl_dist_exp(fl_time mean)
{
    fl_dist *d = mk(K_EXP);
    if (d)
        d->a = (double)mean;
    return d;
}

/* ---- sampling ------------------------------------------------------------------------ */

/* A standard normal by Marsaglia's polar method (see the file header). */
static double std_normal(fl_rng *r)
{
    for (;;) {
        double u = 2 * fl_rng_uniform(r) - 1, v = 2 * fl_rng_uniform(r) - 1;
        double s = u * u + v * v;
        if (s > 0 && s < 1)
            return u * sqrt(-2 * log(s) / s);
    }
}

double fl_dist_sample_f(const fl_dist *d, fl_rng *r)
{
    switch (d->k) {
    case K_CONST:
        return d->a;
    case K_UNIFORM:
        return d->a + (d->b - d->a) * fl_rng_uniform(r);
    case K_EXP:
        return -d->a * log(fl_rng_uniform_pos(r));
    case K_NORMAL: {
        double x = d->a + d->b * std_normal(r);
        return x > 0 ? x : 0;
    }
    case K_LOGNORMAL:
        return exp(d->a + d->b * std_normal(r));
    case K_PARETO:
        return d->a * pow(fl_rng_uniform_pos(r), -d->b);
    case K_WEIBULL:
        return d->a * pow(-log(fl_rng_uniform_pos(r)), d->b);
    case K_EMPIRICAL:
        return d->vals[fl_rng_below(r, d->n)];
    case K_MIX: {
        double u = fl_rng_uniform(r);
        size_t i = 0;
        while (i + 1 < d->n && u >= d->vals[i]) /* few components: a scan beats a search */
            i++;
        return fl_dist_sample_f(d->parts[i], r);
    }
    }
    return 0;
}

/* The largest round value an fl_time holds (292 years): draws above it saturate. */
#define SATURATE 9.2e18

fl_time fl_dist_sample(const fl_dist *d, fl_rng *r)
{
    double v = fl_dist_sample_f(d, r);
    if (!(v > 0))
        return 0;
    if (v >= SATURATE) /* a heavy tail's outlier */
        return (fl_time)9200000000000000000LL;
    return (fl_time)nearbyint(v);
}

/* ---- moments ------------------------------------------------------------------------- */

/* Standard normal density and distribution function. */
static double phi(double x) { return exp(-0.5 * x * x) / sqrt(2 * 3.14159265358979323846); }
static double Phi(double x) { return 0.5 * erfc(-x / sqrt(2)); }

double fl_dist_mean(const fl_dist *d)
{
    switch (d->k) {
    case K_CONST:
        return d->a;
    case K_UNIFORM:
        return (d->a + d->b) / 2;
    case K_EXP:
        return d->a;
    case K_NORMAL: { /* of max(0, X): mu Phi(mu/sd) + sd phi(mu/sd) */
        if (d->b == 0)
            return d->a > 0 ? d->a : 0;
        double z = d->a / d->b;
        return d->a * Phi(z) + d->b * phi(z);
    }
    case K_LOGNORMAL:
        return exp(d->a + d->b * d->b / 2);
    case K_PARETO:
        return d->shape > 1 ? d->shape * d->a / (d->shape - 1) : NAN;
    case K_WEIBULL:
        return d->a * tgamma(1 + d->b);
    case K_EMPIRICAL: {
        double s = 0;
        for (size_t i = 0; i < d->n; i++)
            s += d->vals[i];
        return s / (double)d->n;
    }
    case K_MIX: {
        double s = 0, prev = 0;
        for (size_t i = 0; i < d->n; i++) {
            s += (d->vals[i] - prev) * fl_dist_mean(d->parts[i]);
            prev = d->vals[i];
        }
        return s;
    }
    }
    return NAN;
}

double fl_dist_variance(const fl_dist *d)
{
    switch (d->k) {
    case K_CONST:
        return 0;
    case K_UNIFORM:
        return (d->b - d->a) * (d->b - d->a) / 12;
    case K_EXP:
        return d->a * d->a;
    case K_NORMAL: { /* of max(0, X): E[X+^2] = (mu^2 + sd^2) Phi + mu sd phi */
        if (d->b == 0)
            return 0;
        double z = d->a / d->b, m = fl_dist_mean(d);
        double m2 = (d->a * d->a + d->b * d->b) * Phi(z) + d->a * d->b * phi(z);
        return m2 - m * m;
    }
    case K_LOGNORMAL:
        return expm1(d->b * d->b) * exp(2 * d->a + d->b * d->b);
    case K_PARETO: {
        double al = d->shape;
        return al > 2 ? d->a * d->a * al / ((al - 1) * (al - 1) * (al - 2)) : NAN;
    }
    case K_WEIBULL: {
        double g1 = tgamma(1 + d->b), g2 = tgamma(1 + 2 * d->b);
        return d->a * d->a * (g2 - g1 * g1);
    }
    case K_EMPIRICAL: {
        double m = fl_dist_mean(d), s = 0;
        for (size_t i = 0; i < d->n; i++)
            s += (d->vals[i] - m) * (d->vals[i] - m);
        return s / (double)d->n;
    }
    case K_MIX: { /* law of total variance */
        double m = fl_dist_mean(d), s = 0, prev = 0;
        for (size_t i = 0; i < d->n; i++) {
            double w = d->vals[i] - prev, mi = fl_dist_mean(d->parts[i]);
            s += w * (fl_dist_variance(d->parts[i]) + (mi - m) * (mi - m));
            prev = d->vals[i];
        }
        return s;
    }
    }
    return NAN;
}

double fl_dist_quantile(const fl_dist *d, double q)
{
    if (!(q > 0 && q < 1))
        return NAN;
    switch (d->k) {
    case K_CONST:
        return d->a;
    case K_UNIFORM:
        return d->a + (d->b - d->a) * q;
    case K_EXP:
        return -d->a * log1p(-q);
    case K_NORMAL: {
        double x = d->a + d->b * fl_normal_quantile(q);
        return x > 0 ? x : 0;
    }
    case K_LOGNORMAL:
        return exp(d->a + d->b * fl_normal_quantile(q));
    case K_PARETO:
        return d->a * pow(1 - q, -d->b);
    case K_WEIBULL:
        return d->a * pow(-log1p(-q), d->b);
    case K_EMPIRICAL: { /* the inverse of the step CDF: the ceil(q n)-th smallest value */
        double r = ceil(q * (double)d->n);
        size_t i = r < 1 ? 0 : (size_t)r - 1;
        return d->vals[i < d->n ? i : d->n - 1];
    }
    case K_MIX:
        return NAN; /* no closed form */
    }
    return NAN;
}

/* ---- numbers without the locale ------------------------------------------------------ */

/* Parses a whole plain number "[+-]digits[.digits][e[+-]digits]" (spaces around allowed)
 * into the nearest double. strtod alone would read the decimal point of LC_NUMERIC, so
 * the syntax is checked here and strtod only sees digits and an exponent. */
static bool plain_number(const char *text, double *out)
{
    const char *p = text;
    while (*p == ' ')
        p++;
    char buf[160];
    size_t w = 0;
    if (*p == '+' || *p == '-')
        buf[w++] = *p++;
    int ndig = 0, nfrac = 0;
    bool dot = false;
    for (; (*p >= '0' && *p <= '9') || (*p == '.' && !dot); p++) {
        if (*p == '.') {
            dot = true;
            continue;
        }
        if (w >= sizeof buf - 24)
            return false; /* absurdly long: refuse rather than cut */
        buf[w++] = *p;
        ndig++;
        nfrac += dot;
    }
    if (!ndig)
        return false;
    long ex = 0;
    if ((*p == 'e' || *p == 'E')) {
        p++;
        bool neg = false;
        if (*p == '+' || *p == '-')
            neg = *p++ == '-';
        if (!(*p >= '0' && *p <= '9'))
            return false;
        for (; *p >= '0' && *p <= '9'; p++)
            if (ex < 100000)
                ex = ex * 10 + (*p - '0');
        ex = neg ? -ex : ex;
    }
    while (*p == ' ')
        p++;
    if (*p)
        return false;
    snprintf(buf + w, sizeof buf - w, "e%ld", ex - nfrac);
    double v = strtod(buf, NULL);
    if (!isfinite(v))
        return false;
    *out = v;
    return true;
}

/* Writes the shortest "%.Ng" form of v that reads back exactly, with '.' as the decimal
 * point whatever the locale. */
static void fmt_num(double v, char *buf, size_t n)
{
    if (v == floor(v) && fabs(v) < 1e15) { /* whole numbers as such: "100", not "1e+02" */
        snprintf(buf, n, "%.0f", v == 0 ? 0.0 : v);
        return;
    }
    char tmp[48];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        /* Replace the locale's decimal point (maybe several bytes) with '.'. */
        char out[48];
        size_t w = 0;
        for (const char *p = tmp; *p && w < sizeof out - 1;) {
            if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == 'e') {
                out[w++] = *p++;
            } else {
                out[w++] = '.';
                while (*p && !((*p >= '0' && *p <= '9') || *p == 'e'))
                    p++;
            }
        }
        out[w] = 0;
        double back;
        if (prec == 17 || (plain_number(out, &back) && back == v)) {
            snprintf(buf, n, "%s", out);
            return;
        }
    }
}

/* ---- formatting ---------------------------------------------------------------------- */

static void fmt_ns(double ns, char *buf, size_t n)
{
    if (ns == nearbyint(ns) && fabs(ns) < 9e18) {
        fl_format_duration((fl_time)ns, buf, n);
    } else {
        char x[48];
        fmt_num(ns, x, sizeof x);
        snprintf(buf, n, "%sns", x);
    }
}

void fl_dist_format(const fl_dist *d, char *buf, size_t n)
{
    char x[48], y[48];
    switch (d->k) {
    case K_CONST:
        fmt_ns(d->a, x, sizeof x);
        snprintf(buf, n, "const(%s)", x);
        return;
    case K_UNIFORM:
        fmt_ns(d->a, x, sizeof x);
        fmt_ns(d->b, y, sizeof y);
        snprintf(buf, n, "uniform(%s, %s)", x, y);
        return;
    case K_EXP:
        fmt_ns(d->a, x, sizeof x);
        snprintf(buf, n, "exp(%s)", x);
        return;
    case K_NORMAL:
        fmt_ns(d->a, x, sizeof x);
        fmt_ns(d->b, y, sizeof y);
        snprintf(buf, n, "normal(%s, %s)", x, y);
        return;
    case K_LOGNORMAL:
        if (d->form == FORM_MEDIAN_P99) {
            fmt_ns(d->u1, x, sizeof x);
            fmt_ns(d->u2, y, sizeof y);
            snprintf(buf, n, "lognormal(median=%s, p99=%s)", x, y);
        } else {
            fmt_num(d->u1, x, sizeof x);
            fmt_num(d->u2, y, sizeof y);
            snprintf(buf, n, "lognormal(mu=%s, sigma=%s)", x, y);
        }
        return;
    case K_PARETO:
    case K_WEIBULL:
        fmt_ns(d->a, x, sizeof x);
        fmt_num(d->shape, y, sizeof y);
        snprintf(buf, n, "%s(scale=%s, shape=%s)", d->k == K_PARETO ? "pareto" : "weibull", x,
                 y);
        return;
    case K_EMPIRICAL: {
        size_t w = (size_t)snprintf(buf, n, "empirical([");
        for (size_t i = 0; i < d->n && w < n; i++) {
            fmt_ns(d->vals[i], x, sizeof x);
            w += (size_t)snprintf(buf + w, n - w, "%s%s", i ? ", " : "", x);
        }
        if (w < n)
            snprintf(buf + w, n - w, "])");
        return;
    }
    case K_MIX: {
        size_t w = (size_t)snprintf(buf, n, "mix(");
        for (size_t i = 0; i < d->n && w < n; i++) {
            char part[256];
            fl_dist_format(d->parts[i], part, sizeof part);
            fmt_num(d->weights[i], x, sizeof x);
            w += (size_t)snprintf(buf + w, n - w, "%s%s: %s", i ? ", " : "", x, part);
        }
        if (w < n)
            snprintf(buf + w, n - w, ")");
        return;
    }
    }
}

/* ---- parsing ------------------------------------------------------------------------- */

typedef struct parser {
    const char *s, *p;
    fl_error *e;
    int depth;
} parser;

static void ws(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t')
        ps->p++;
}

/* Every message starts with the text being parsed (cut at 60 characters). */
static fl_status fail(parser *ps, fl_status st, const char *fmt, const char *arg)
{
    char msg[400];
    snprintf(msg, sizeof msg, fmt, arg);
    return fl_error_set(ps->e, st, NULL, "\"%.60s\": %s", ps->s, msg);
}

static fl_status nomem(parser *ps) { return fl_error_set(ps->e, FL_NOMEM, NULL, "out of memory"); }

/* Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions),
 * case-insensitive, for "did you mean". Names longer than 31 characters count as far. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31)
        return 99;
    int d[32][32];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            int cost = ca != cb;
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* The candidate nearest to name: by edit distance (at most a third of the name, at least
 * one edit), else by a shared prefix of two or more letters; NULL when nothing is close. */
static const char *suggest(const char *name, const char *const *cands)
{
    const char *best = NULL;
    int best_d = (int)strlen(name) / 3;
    if (best_d < 1)
        best_d = 1;
    best_d++;
    for (int i = 0; cands[i]; i++) {
        int dd = edit_distance(name, cands[i]);
        if (dd < best_d) {
            best_d = dd;
            best = cands[i];
        }
    }
    if (best)
        return best;
    size_t best_l = 1;
    for (int i = 0; cands[i]; i++) {
        size_t l = 0;
        while (name[l] && tolower((unsigned char)name[l]) == cands[i][l])
            l++;
        if (l > best_l) {
            best_l = l;
            best = cands[i];
        }
    }
    return best;
}

/* The length of one argument: up to the next ',' or ')' outside brackets. */
static size_t arg_len(const char *p)
{
    int depth = 0;
    size_t i = 0;
    for (; p[i]; i++) {
        if (p[i] == '(' || p[i] == '[')
            depth++;
        else if (p[i] == ')' || p[i] == ']') {
            if (depth == 0)
                break;
            depth--;
        } else if (p[i] == ',' && depth == 0)
            break;
    }
    return i;
}

#define ARG_MAX 120 /* longest argument text: far beyond any real duration or number */

typedef struct arg {
    char key[16]; /* "" for a positional argument */
    char val[ARG_MAX + 1];
} arg;

static fl_status parse_dist(parser *ps, fl_dist **out);

/* A duration argument in ns (>= 0). */
static fl_status dur(parser *ps, const char *text, double *ns)
{
    fl_time t;
    char why[160];
    if (fl_parse_duration(text, &t, why, sizeof why) != 0) {
        char m[320];
        snprintf(m, sizeof m, "bad duration \"%.60s\" (%s)", text, why);
        return fail(ps, FL_INVALID, "%s", m);
    }
    *ns = (double)t;
    return FL_OK;
}

static fl_status number(parser *ps, const char *text, double *v)
{
    if (!plain_number(text, v))
        return fail(ps, FL_INVALID, "expected a number, got \"%.60s\"", text);
    return FL_OK;
}

/* Splits the simple arguments of name(...) into key=value pairs; ps->p is left on ')'. */
static fl_status simple_args(parser *ps, arg *args, int max, int *n)
{
    *n = 0;
    ws(ps);
    if (*ps->p == ')')
        return FL_OK;
    for (;;) {
        ws(ps);
        size_t len = arg_len(ps->p);
        if (*n == max)
            return fail(ps, FL_INVALID, "too many arguments%s", "");
        if (len > ARG_MAX) {
            char m[200];
            snprintf(m, sizeof m, "expected an argument of at most %d characters, got \"%.20s...\"",
                     ARG_MAX, ps->p);
            return fail(ps, FL_INVALID, "%s", m);
        }
        arg *a = &args[(*n)++];
        a->key[0] = 0;
        char buf[ARG_MAX + 1];
        snprintf(buf, sizeof buf, "%.*s", (int)len, ps->p);
        char *v = buf;
        char *eq = strchr(buf, '=');
        if (eq) {
            *eq = 0;
            char *k = buf;
            size_t kl = strlen(k);
            while (kl && k[kl - 1] == ' ')
                k[--kl] = 0;
            if (!kl || kl >= sizeof a->key)
                return fail(ps, FL_SYNTAX, "expected name=value, got \"%s\"", buf);
            memcpy(a->key, k, kl + 1);
            v = eq + 1;
        }
        while (*v == ' ')
            v++;
        size_t vl = strlen(v);
        while (vl && v[vl - 1] == ' ')
            v[--vl] = 0;
        if (!vl)
            return fail(ps, FL_SYNTAX, "an empty argument%s", "");
        memcpy(a->val, v, vl + 1);
        ps->p += len;
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == ')')
            return FL_OK;
        return fail(ps, FL_SYNTAX, "missing ')'%s", "");
    }
}

/* One kind's arguments: names by position, and the form shown when they are wrong. */
typedef struct spec {
    const char *name;
    int nargs;
    const char *const keys[3]; /* NULL-terminated */
    const char *form;
} spec;

static const spec specs[] = {
    [K_CONST] = {"const", 1, {"value", NULL}, "const(1ms)"},
    [K_UNIFORM] = {"uniform", 2, {"a", "b", NULL}, "uniform(1ms, 3ms)"},
    [K_EXP] = {"exp", 1, {"mean", NULL}, "exp(mean), e.g. exp(5ms)"},
    [K_NORMAL] = {"normal", 2, {"mean", "sd", NULL}, "normal(mean, sd), e.g. normal(30ms, 2ms)"},
    [K_PARETO] = {"pareto", 2, {"scale", "shape", NULL}, "pareto(scale=1ms, shape=1.5)"},
    [K_WEIBULL] = {"weibull", 2, {"scale", "shape", NULL}, "weibull(scale=1ms, shape=1.5)"},
};

/* Places args into slots by position or by name. Checks the count first (the message a
 * user most needs), then names and repeats. */
static fl_status bind(parser *ps, const spec *sp, arg *args, int n, const char **slot)
{
    if (n != sp->nargs) {
        char m[200];
        snprintf(m, sizeof m, "%s takes %d argument%s: %s", sp->name, sp->nargs,
                 sp->nargs == 1 ? "" : "s", sp->form);
        return fail(ps, FL_INVALID, "%s", m);
    }
    for (int i = 0; i < n; i++)
        slot[i] = NULL;
    for (int i = 0; i < n; i++) {
        int at = i;
        if (args[i].key[0]) {
            at = -1;
            for (int k = 0; sp->keys[k]; k++)
                if (strcmp(args[i].key, sp->keys[k]) == 0)
                    at = k;
            if (at < 0) {
                const char *near = suggest(args[i].key, sp->keys);
                char m[240];
                if (near)
                    snprintf(m, sizeof m, "%s has no argument \"%s\" (did you mean \"%s\"?); "
                             "expected %s", sp->name, args[i].key, near, sp->form);
                else
                    snprintf(m, sizeof m, "%s has no argument \"%s\"; expected %s", sp->name,
                             args[i].key, sp->form);
                return fail(ps, FL_INVALID, "%s", m);
            }
        }
        if (slot[at])
            return fail(ps, FL_INVALID, "argument \"%s\" given twice", sp->keys[at]);
        slot[at] = args[i].val;
    }
    return FL_OK;
}

static fl_status parse_lognormal(parser *ps, arg *args, int n, fl_dist *d)
{
    static const char *const form =
        "lognormal(median=2ms, p99=20ms) or lognormal(mu=-7, sigma=0.5)";
    static const char *const keys[] = {"median", "p99", "mu", "sigma", NULL};
    if (n != 2) {
        char m[200];
        snprintf(m, sizeof m, "lognormal takes 2 arguments: %s", form);
        return fail(ps, FL_INVALID, "%s", m);
    }
    const char *med = NULL, *p99 = NULL, *mu = NULL, *sigma = NULL;
    for (int i = 0; i < 2; i++) {
        const char *k = args[i].key, *v = args[i].val;
        const char **to = !k[0] ? (i == 0 ? &mu : &sigma) /* positional: mu, sigma */
                          : strcmp(k, "median") == 0 ? &med
                          : strcmp(k, "p99") == 0    ? &p99
                          : strcmp(k, "mu") == 0     ? &mu
                          : strcmp(k, "sigma") == 0  ? &sigma
                                                     : NULL;
        if (!to) {
            const char *near = suggest(k, keys);
            char m[240];
            snprintf(m, sizeof m, "lognormal has no argument \"%s\"%s%s%s; expected %s", k,
                     near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "", form);
            return fail(ps, FL_INVALID, "%s", m);
        }
        if (*to)
            return fail(ps, FL_INVALID, "argument \"%s\" given twice",
                        k[0] ? k : i == 0 ? "mu" : "sigma");
        *to = v;
    }
    fl_status st;
    if (med && p99) {
        double a = 0, b = 0;
        if ((st = dur(ps, med, &a)) || (st = dur(ps, p99, &b)))
            return st;
        if (a <= 0 || b <= a)
            return fail(ps, FL_INVALID, "lognormal needs 0 < median < p99%s", "");
        d->form = FORM_MEDIAN_P99;
        d->u1 = a;
        d->u2 = b;
        d->a = log(a);
        d->b = (log(b) - log(a)) / Z99;
    } else if (mu && sigma) {
        if ((st = number(ps, mu, &d->u1)) || (st = number(ps, sigma, &d->u2)))
            return st;
        if (d->u2 < 0)
            return fail(ps, FL_INVALID, "lognormal needs sigma >= 0%s", "");
        d->form = FORM_MU_SIGMA;
        d->a = d->u1 + LN_1E9; /* of ln(seconds) -> of ln(ns) */
        d->b = d->u2;
    } else {
        return fail(ps, FL_INVALID, "lognormal takes median= and p99=, or mu= and sigma=%s", "");
    }
    return FL_OK;
}

static fl_status parse_simple(parser *ps, kind k, fl_dist *d)
{
    arg args[8]; /* more than any form takes, so a count error names the right form */
    int n;
    fl_status st = simple_args(ps, args, 8, &n);
    if (st)
        return st;
    if (k == K_LOGNORMAL)
        return parse_lognormal(ps, args, n, d);
    const spec *sp = &specs[k];
    const char *v[3];
    if ((st = bind(ps, sp, args, n, v)))
        return st;
    switch (k) {
    case K_CONST:
        return dur(ps, v[0], &d->a);
    case K_EXP:
        if ((st = dur(ps, v[0], &d->a)))
            return st;
        if (d->a <= 0)
            return fail(ps, FL_INVALID, "exp needs a positive mean%s", "");
        return FL_OK;
    case K_UNIFORM:
        if ((st = dur(ps, v[0], &d->a)) || (st = dur(ps, v[1], &d->b)))
            return st;
        if (d->a > d->b)
            return fail(ps, FL_INVALID, "uniform(a, b) needs a <= b%s", "");
        return FL_OK;
    case K_NORMAL:
        return (st = dur(ps, v[0], &d->a)) ? st : dur(ps, v[1], &d->b);
    case K_PARETO:
    case K_WEIBULL:
        if ((st = dur(ps, v[0], &d->a)) || (st = number(ps, v[1], &d->shape)))
            return st;
        if (d->a <= 0 || d->shape <= 0)
            return fail(ps, FL_INVALID, "%s needs a positive scale and shape", sp->name);
        d->b = 1 / d->shape;
        return FL_OK;
    default:
        return FL_INTERNAL;
    }
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static fl_status parse_empirical(parser *ps, fl_dist *d)
{
    ws(ps);
    if (*ps->p != '[')
        return fail(ps, FL_SYNTAX, "empirical takes a list: empirical([1ms, 2ms, 5ms])%s", "");
    ps->p++;
    ws(ps);
    if (*ps->p == ']')
        return fail(ps, FL_INVALID, "empirical needs at least one value%s", "");
    size_t cap = 8;
    d->vals = fl_malloc(cap * sizeof *d->vals);
    if (!d->vals)
        return nomem(ps);
    for (;;) {
        ws(ps);
        const char *start = ps->p;
        while (*ps->p && *ps->p != ',' && *ps->p != ']')
            ps->p++;
        if (!*ps->p)
            return fail(ps, FL_SYNTAX, "missing ']'%s", "");
        size_t len = (size_t)(ps->p - start);
        while (len && (start[len - 1] == ' ' || start[len - 1] == '\t'))
            len--;
        if (len > ARG_MAX)
            return fail(ps, FL_INVALID, "expected a value of at most 120 characters, got "
                                        "\"%.20s...\"", start);
        char item[ARG_MAX + 1];
        memcpy(item, start, len);
        item[len] = 0;
        if (d->n == cap) {
            cap *= 2;
            double *v = fl_realloc(d->vals, cap * sizeof *v);
            if (!v)
                return nomem(ps);
            d->vals = v;
        }
        fl_status st = dur(ps, item, &d->vals[d->n]);
        if (st)
            return st;
        d->n++;
        if (*ps->p++ == ']')
            break;
    }
    ws(ps);
    if (*ps->p != ')')
        return fail(ps, FL_SYNTAX, "missing ')'%s", "");
    qsort(d->vals, d->n, sizeof *d->vals, cmp_double);
    return FL_OK;
}

static fl_status parse_mix(parser *ps, fl_dist *d)
{
    static const char *const how =
        "mix takes weight: distribution pairs, e.g. mix(0.9: const(1ms), 0.1: exp(50ms))%s";
    size_t cap = 4;
    d->vals = fl_malloc(cap * sizeof *d->vals);
    d->weights = fl_malloc(cap * sizeof *d->weights);
    d->parts = fl_calloc(cap, sizeof *d->parts);
    if (!d->vals || !d->weights || !d->parts)
        return nomem(ps);
    double total = 0;
    for (;;) {
        ws(ps);
        /* The weight runs to the ':' and may not cross a bracket or a comma. */
        const char *colon = ps->p;
        while (*colon && !strchr(":,()[]", *colon))
            colon++;
        if (*colon != ':')
            return fail(ps, FL_SYNTAX, how, "");
        size_t wl = (size_t)(colon - ps->p);
        char wtext[64];
        snprintf(wtext, sizeof wtext, "%.*s", (int)(wl < 63 ? wl : 63), ps->p);
        double w;
        fl_status st = number(ps, wtext, &w);
        if (st)
            return st;
        if (!(w > 0))
            return fail(ps, FL_INVALID, "mix weights must be positive, got %s", wtext);
        ps->p = colon + 1;
        if (d->n == cap) {
            cap *= 2;
            double *v = fl_realloc(d->vals, cap * sizeof *v);
            if (!v)
                return nomem(ps);
            d->vals = v;
            v = fl_realloc(d->weights, cap * sizeof *v);
            if (!v)
                return nomem(ps);
            d->weights = v;
            fl_dist **pp = fl_realloc(d->parts, cap * sizeof *pp);
            if (!pp)
                return nomem(ps);
            d->parts = pp;
        }
        d->parts[d->n] = NULL;
        d->weights[d->n] = w;
        total += w;
        d->vals[d->n] = total;
        d->n++; /* counted before parsing the part, so a failure frees what was built */
        if ((st = parse_dist(ps, &d->parts[d->n - 1])))
            return st;
        ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == ')')
            break;
        return fail(ps, FL_SYNTAX, "missing ')'%s", "");
    }
    if (!isfinite(total))
        return fail(ps, FL_INVALID, "mix weights add up to too much%s", "");
    for (size_t i = 0; i < d->n; i++)
        d->vals[i] /= total;
    d->vals[d->n - 1] = 1; /* exactly: the scan in sampling always ends on a component */
    return FL_OK;
}

static fl_status parse_dist(parser *ps, fl_dist **out)
{
    *out = NULL;
    if (++ps->depth > 8)
        return fail(ps, FL_INVALID, "mixtures nested too deep%s", "");
    ws(ps);
    const char *start = ps->p;
    if (isalpha((unsigned char)*ps->p)) /* a name: a letter, then letters, digits, '_' */
        while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
            ps->p++;
    size_t len = (size_t)(ps->p - start);
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)(len < 31 ? len : 31), start);
    ws(ps);
    if (!len)
        return fail(ps, FL_SYNTAX, "expected a name such as exp(5ms)%s", "");
    if (*ps->p != '(')
        return fail(ps, FL_SYNTAX, "expected '(' after \"%s\"", name);
    int kd = -1;
    for (int i = 0; kind_names[i]; i++)
        if (len == strlen(kind_names[i]) && strncmp(start, kind_names[i], len) == 0)
            kd = i;
    if (len == 11 && strncmp(start, "exponential", len) == 0)
        kd = K_EXP;
    if (kd < 0) {
        const char *near = suggest(name, kind_names);
        char m[200];
        if (near)
            snprintf(m, sizeof m, "unknown distribution \"%s\" (did you mean \"%s\"?)", name, near);
        else
            snprintf(m, sizeof m, "unknown distribution \"%s\" (known: const, uniform, exp, "
                                  "normal, lognormal, pareto, weibull, empirical, mix)", name);
        return fail(ps, FL_INVALID, "%s", m);
    }
    ps->p++;
    fl_dist *d = mk((kind)kd);
    if (!d)
        return nomem(ps);
    *out = d;
    fl_status st = kd == K_EMPIRICAL ? parse_empirical(ps, d)
                   : kd == K_MIX     ? parse_mix(ps, d)
                                     : parse_simple(ps, (kind)kd, d);
    if (st)
        return st;
    /* Saturation is for a heavy tail's rare outlier. When 1% of draws or more would be
     * clamped (lognormal(sigma=1e300): every draw is 0 or saturates), the run would measure
     * the clamp, not the distribution: refuse the parameters. */
    double p99 = kd == K_MIX ? 0 : fl_dist_quantile(d, 0.99);
    if (!(p99 < SATURATE))
        return fail(ps, FL_INVALID, "%s: its 99th percentile is beyond 292 years, the longest "
                    "duration a run holds, so its draws would saturate; check the parameters",
                    kind_names[kd]);
    ps->p++; /* the ')' every branch stopped on */
    ps->depth--;
    return FL_OK;
}

fl_status fl_dist_parse(const char *s, fl_dist **out, fl_error *e)
{
    parser ps = {s, s, e, 0};
    fl_dist *d = NULL;
    *out = NULL;
    fl_status st = parse_dist(&ps, &d);
    if (!st) {
        ws(&ps);
        if (*ps.p)
            st = fail(&ps, FL_SYNTAX, "unexpected \"%.20s\" after the distribution", ps.p);
    }
    if (st) {
        fl_dist_free(d);
        return st;
    }
    *out = d;
    return FL_OK;
}

/* ---- Zipf ---------------------------------------------------------------------------- */

/* Rejection-inversion (Hormann & Derflinger 1996, "Rejection-inversion to generate variates
 * from monotone discrete distributions"). With h(x) = x^-s and H an antiderivative of h,
 * rank k owns the interval [H(k + 1/2) - h(k), H(k + 1/2)) of the H scale for k >= 2, and
 * [H(3/2) - 1, H(3/2)) for k = 1; a uniform u on [H(n + 1/2), H(3/2) - 1) is mapped back
 * by x = H^-1(u), rounded to the rank k, and accepted when it falls in k's interval. The
 * acceptance rate is high for every s > 0, so a draw is O(1) expected, with no table.
 *
 * H(x) = (x^(1-s) - 1) / (1-s), written as expm1((1-s) ln x) / (1-s) so that s near 1
 * (where it tends to ln x) loses no precision; H^-1 likewise uses log1p. */
struct fl_zipf {
    uint64_t n;
    double s;
    double h_x1;   /* H(3/2) - 1: the top of the u range */
    double h_n;    /* H(n + 1/2): the bottom */
    double accept; /* 2 - H^-1(H(5/2) - h(2)): k - x <= accept is inside k's interval */
};

/* expm1(y) / y and log1p(y) / y, both 1 at y = 0. */
static double expm1_over(double y) { return fabs(y) > 1e-8 ? expm1(y) / y : 1 + y / 2; }
static double log1p_over(double y) { return fabs(y) > 1e-8 ? log1p(y) / y : 1 - y / 2; }

static double zipf_H(const fl_zipf *z, double x)
{
    double l = log(x);
    return expm1_over((1 - z->s) * l) * l;
}

static double zipf_H_inv(const fl_zipf *z, double u)
{
    double t = u * (1 - z->s);
    if (t < -1)
        t = -1; /* rounding at the edge of the range: x^(1-s) cannot be negative */
    return exp(log1p_over(t) * u);
}

static double zipf_h(const fl_zipf *z, double x) { return exp(-z->s * log(x)); }

fl_status fl_zipf_new(uint64_t n, double s, fl_zipf **out)
{
    *out = NULL;
    if (n < 1 || !(s > 0) || !isfinite(s))
        return FL_INVALID;
    fl_zipf *z = fl_calloc(1, sizeof *z);
    if (!z)
        return FL_NOMEM;
    z->n = n;
    z->s = s;
    z->h_x1 = zipf_H(z, 1.5) - 1;
    z->h_n = zipf_H(z, (double)n + 0.5);
    z->accept = 2 - zipf_H_inv(z, zipf_H(z, 2.5) - zipf_h(z, 2));
    *out = z;
    return FL_OK;
}

void fl_zipf_free(fl_zipf *z) { fl_free(z); }

uint64_t fl_zipf_sample(const fl_zipf *z, fl_rng *r)
{
    if (z->n == 1)
        return 1;
    for (;;) {
        double u = z->h_n + fl_rng_uniform(r) * (z->h_x1 - z->h_n);
        double x = zipf_H_inv(z, u);
        double k = floor(x + 0.5);
        if (k < 1)
            k = 1;
        else if (k > (double)z->n)
            k = (double)z->n;
        /* Most draws pass the cheap test; the exact one needs H and h at k. */
        if (k - x <= z->accept || u >= zipf_H(z, k + 0.5) - zipf_h(z, k))
            return (uint64_t)k;
    }
}
