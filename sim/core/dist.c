/* Distributions of durations: parsing, sampling, moments. See dist.h for the grammar.
 *
 * Every parameter is stored in nanoseconds (lognormal: mu of ln(ns)), with the constants
 * sampling needs precomputed, so fl_dist_sample does no allocation and no parsing.
 * Sampling uses only the caller's stream: a draw is a pure function of the stream state.
 * Normal draws use Marsaglia's polar method (no trigonometry; exact sqrt, libm log). */
#include <faultline/dist.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

typedef enum kind { K_CONST, K_UNIFORM, K_EXP, K_NORMAL, K_LOGNORMAL, K_PARETO, K_WEIBULL,
                    K_EMPIRICAL, K_MIX } kind;

static const char *const kind_names[] = {"const", "uniform", "exp", "normal", "lognormal",
                                         "pareto", "weibull", "empirical", "mix", NULL};

struct fl_dist {
    kind k;
    double a, b;    /* const: a; uniform: a, b; exp: mean a; normal: mean a, sd b;
                       lognormal: mu a, sigma b (of ln ns); pareto: scale a, 1/shape b;
                       weibull: scale a, 1/shape b */
    double shape;   /* pareto, weibull: shape */
    size_t n;       /* empirical values, mixture components */
    double *vals;   /* empirical values (ns); mixture: cumulative weights, last = 1 */
    fl_dist **parts;
};

#define Z99 2.3263478740408408 /* the standard normal's 99th percentile */

void fl_dist_free(fl_dist *d)
{
    if (!d)
        return;
    for (size_t i = 0; d->parts && i < d->n; i++)
        fl_dist_free(d->parts[i]);
    fl_free(d->parts);
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
    case K_NORMAL:
        return d->a + d->b * std_normal(r);
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
        while (i + 1 < d->n && u >= d->vals[i])
            i++;
        return fl_dist_sample_f(d->parts[i], r);
    }
    }
    return 0;
}

fl_time fl_dist_sample(const fl_dist *d, fl_rng *r)
{
    double v = fl_dist_sample_f(d, r);
    if (!(v > 0))
        return 0;
    if (v >= 9.2e18)
        return (fl_time)9200000000000000000LL;
    return (fl_time)nearbyint(v);
}

/* ---- moments ------------------------------------------------------------------------- */

double fl_dist_mean(const fl_dist *d)
{
    switch (d->k) {
    case K_CONST:
        return d->a;
    case K_UNIFORM:
        return (d->a + d->b) / 2;
    case K_EXP:
        return d->a;
    case K_NORMAL:
        return d->a; /* before clamping at 0 */
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
    case K_NORMAL:
        return d->b * d->b;
    case K_LOGNORMAL:
        return (exp(d->b * d->b) - 1) * exp(2 * d->a + d->b * d->b);
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
    case K_MIX: {
        double m = fl_dist_mean(d), s = 0, prev = 0;
        for (size_t i = 0; i < d->n; i++) {
            double w = d->vals[i] - prev, mi = fl_dist_mean(d->parts[i]);
            s += w * (fl_dist_variance(d->parts[i]) + mi * mi);
            prev = d->vals[i];
        }
        return s - m * m;
    }
    }
    return NAN;
}

/* Standard normal quantile (Acklam), enough for closed forms here. */
static double norm_q(double p)
{
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; i++) { /* bisection on erfc: slow but exact and rare */
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / sqrt(2)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
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
        return -d->a * log(1 - q);
    case K_NORMAL:
        return d->a + d->b * norm_q(q);
    case K_LOGNORMAL:
        return exp(d->a + d->b * norm_q(q));
    case K_PARETO:
        return d->a * pow(1 - q, -d->b);
    case K_WEIBULL:
        return d->a * pow(-log(1 - q), d->b);
    default:
        return NAN;
    }
}

/* ---- formatting ---------------------------------------------------------------------- */

static void fmt_ns(double ns, char *buf, size_t n)
{
    if (ns == nearbyint(ns) && fabs(ns) < 9e18)
        fl_format_duration((fl_time)ns, buf, n);
    else
        snprintf(buf, n, "%.9gs", ns / 1e9);
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
        snprintf(buf, n, "lognormal(mu=%.17g, sigma=%.17g)", d->a - log(1e9), d->b);
        return;
    case K_PARETO:
    case K_WEIBULL:
        fmt_ns(d->a, x, sizeof x);
        snprintf(buf, n, "%s(scale=%s, shape=%.17g)", d->k == K_PARETO ? "pareto" : "weibull", x,
                 d->shape);
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
        double prev = 0;
        for (size_t i = 0; i < d->n && w < n; i++) {
            char part[256];
            fl_dist_format(d->parts[i], part, sizeof part);
            w += (size_t)snprintf(buf + w, n - w, "%s%.17g: %s", i ? ", " : "", d->vals[i] - prev,
                                  part);
            prev = d->vals[i];
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

static fl_status fail(parser *ps, fl_status st, const char *fmt, const char *arg)
{
    char msg[400];
    snprintf(msg, sizeof msg, fmt, arg);
    return fl_error_set(ps->e, st, NULL, "\"%.60s\": %s", ps->s, msg);
}

/* The text of one argument: up to the next ',' or ')' at depth 0. */
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

typedef struct arg {
    char key[16];
    char val[128];
} arg;

static fl_status parse_dist(parser *ps, fl_dist **out);

/* A duration argument in ns (must be >= 0 unless allow_neg). */
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
    char *end;
    *v = strtod(text, &end);
    while (*end == ' ')
        end++;
    if (end == text || *end || !isfinite(*v))
        return fail(ps, FL_INVALID, "expected a number, got \"%.60s\"", text);
    return FL_OK;
}

/* Splits the simple arguments of name(...) into key=value pairs. */
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
        arg *a = &args[(*n)++];
        a->key[0] = 0;
        char buf[160];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 159 ? len : 159), ps->p);
        char *eq = strchr(buf, '=');
        char *v = buf;
        if (eq) {
            *eq = 0;
            char *k = buf;
            size_t kl = strlen(k);
            while (kl && k[kl - 1] == ' ')
                k[--kl] = 0;
            snprintf(a->key, sizeof a->key, "%s", k);
            v = eq + 1;
        }
        while (*v == ' ')
            v++;
        size_t vl = strlen(v);
        while (vl && v[vl - 1] == ' ')
            v[--vl] = 0;
        if (!vl)
            return fail(ps, FL_SYNTAX, "an empty argument%s", "");
        snprintf(a->val, sizeof a->val, "%s", v);
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

static const char *find_arg(arg *args, int n, const char *key, int pos)
{
    for (int i = 0; i < n; i++)
        if (strcmp(args[i].key, key) == 0)
            return args[i].val;
    if (pos >= 0 && pos < n && !args[pos].key[0])
        return args[pos].val;
    return NULL;
}

static fl_status expect_n(parser *ps, int n, int want, const char *name, const char *form)
{
    if (n == want)
        return FL_OK;
    char m[200];
    snprintf(m, sizeof m, "%s takes %d argument%s: %s", name, want, want == 1 ? "" : "s", form);
    return fail(ps, FL_INVALID, "%s", m);
}

static fl_status parse_simple(parser *ps, kind k, fl_dist *d)
{
    arg args[4];
    int n;
    fl_status st = simple_args(ps, args, 4, &n);
    if (st)
        return st;
    const char *x, *y;
    switch (k) {
    case K_CONST:
        if ((st = expect_n(ps, n, 1, "const", "const(1ms)")) || (st = dur(ps, args[0].val, &d->a)))
            return st;
        break;
    case K_EXP:
        if ((st = expect_n(ps, n, 1, "exp", "exp(mean), e.g. exp(5ms)")) ||
            (st = dur(ps, args[0].val, &d->a)))
            return st;
        if (d->a <= 0)
            return fail(ps, FL_INVALID, "exp needs a positive mean%s", "");
        break;
    case K_UNIFORM:
        if ((st = expect_n(ps, n, 2, "uniform", "uniform(1ms, 3ms)")) ||
            (st = dur(ps, args[0].val, &d->a)) || (st = dur(ps, args[1].val, &d->b)))
            return st;
        if (d->a > d->b)
            return fail(ps, FL_INVALID, "uniform(a, b) needs a <= b%s", "");
        break;
    case K_NORMAL:
        if ((st = expect_n(ps, n, 2, "normal", "normal(mean, sd), e.g. normal(30ms, 2ms)")) ||
            (st = dur(ps, args[0].val, &d->a)) || (st = dur(ps, args[1].val, &d->b)))
            return st;
        break;
    case K_LOGNORMAL:
        if ((st = expect_n(ps, n, 2, "lognormal",
                           "lognormal(median=2ms, p99=20ms) or lognormal(mu=-7, sigma=0.5)")))
            return st;
        if ((x = find_arg(args, n, "median", -1)) && (y = find_arg(args, n, "p99", -1))) {
            double med = 0, p99 = 0;
            if ((st = dur(ps, x, &med)) || (st = dur(ps, y, &p99)))
                return st;
            if (med <= 0 || p99 <= med)
                return fail(ps, FL_INVALID, "lognormal needs 0 < median < p99%s", "");
            d->a = log(med);
            d->b = (log(p99) - log(med)) / Z99;
        } else if ((x = find_arg(args, n, "mu", 0)) && (y = find_arg(args, n, "sigma", 1))) {
            if ((st = number(ps, x, &d->a)) || (st = number(ps, y, &d->b)))
                return st;
            if (d->b < 0)
                return fail(ps, FL_INVALID, "lognormal needs sigma >= 0%s", "");
            d->a += log(1e9); /* of ln(seconds) -> of ln(ns) */
        } else
            return fail(ps, FL_INVALID,
                        "lognormal takes median= and p99=, or mu= and sigma=%s", "");
        break;
    case K_PARETO:
    case K_WEIBULL: {
        const char *nm = k == K_PARETO ? "pareto" : "weibull";
        char form[64];
        snprintf(form, sizeof form, "%s(scale=1ms, shape=1.5)", nm);
        if ((st = expect_n(ps, n, 2, nm, form)))
            return st;
        x = find_arg(args, n, "scale", 0);
        y = find_arg(args, n, "shape", 1);
        if (!x || !y)
            return fail(ps, FL_INVALID, "expected scale= and shape=, e.g. %s", form);
        if ((st = dur(ps, x, &d->a)) || (st = number(ps, y, &d->shape)))
            return st;
        if (d->a <= 0 || d->shape <= 0)
            return fail(ps, FL_INVALID, "%s needs a positive scale and shape", nm);
        d->b = 1 / d->shape;
        break;
    }
    default:
        break;
    }
    return FL_OK;
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
        return fl_error_set(ps->e, FL_NOMEM, NULL, "out of memory");
    for (;;) {
        ws(ps);
        const char *start = ps->p;
        while (*ps->p && *ps->p != ',' && *ps->p != ']')
            ps->p++;
        if (!*ps->p)
            return fail(ps, FL_SYNTAX, "missing ']'%s", "");
        char item[64];
        size_t len = (size_t)(ps->p - start);
        while (len && start[len - 1] == ' ')
            len--;
        snprintf(item, sizeof item, "%.*s", (int)(len < 63 ? len : 63), start);
        if (d->n == cap) {
            cap *= 2;
            double *v = fl_realloc(d->vals, cap * sizeof *v);
            if (!v)
                return fl_error_set(ps->e, FL_NOMEM, NULL, "out of memory");
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
    return FL_OK;
}

static fl_status parse_mix(parser *ps, fl_dist *d)
{
    size_t cap = 4;
    d->vals = fl_malloc(cap * sizeof *d->vals);
    d->parts = fl_calloc(cap, sizeof *d->parts);
    if (!d->vals || !d->parts)
        return fl_error_set(ps->e, FL_NOMEM, NULL, "out of memory");
    double total = 0;
    for (;;) {
        ws(ps);
        const char *colon = strchr(ps->p, ':');
        if (!colon)
            return fail(ps, FL_SYNTAX, "mix takes weight: distribution pairs, e.g. mix(0.9: "
                                       "const(1ms), 0.1: exp(50ms))%s", "");
        char wtext[64];
        snprintf(wtext, sizeof wtext, "%.*s", (int)((colon - ps->p) < 63 ? colon - ps->p : 63), ps->p);
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
                return fl_error_set(ps->e, FL_NOMEM, NULL, "out of memory");
            d->vals = v;
            fl_dist **pp = fl_realloc(d->parts, cap * sizeof *pp);
            if (!pp)
                return fl_error_set(ps->e, FL_NOMEM, NULL, "out of memory");
            d->parts = pp;
        }
        d->parts[d->n] = NULL;
        total += w;
        d->vals[d->n] = total;
        d->n++;
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
    for (size_t i = 0; i < d->n; i++)
        d->vals[i] /= total;
    d->vals[d->n - 1] = 1;
    return FL_OK;
}

static fl_status parse_dist(parser *ps, fl_dist **out)
{
    *out = NULL;
    if (++ps->depth > 8)
        return fail(ps, FL_INVALID, "mixtures nested too deep%s", "");
    ws(ps);
    char name[24];
    size_t k = 0;
    while (isalpha((unsigned char)*ps->p) && k < sizeof name - 1)
        name[k++] = *ps->p++;
    name[k] = 0;
    ws(ps);
    if (!k || *ps->p != '(') {
        if (!k)
            return fail(ps, FL_SYNTAX, "expected a name such as exp(5ms)%s", "");
        return fail(ps, FL_SYNTAX, "expected '(' after \"%s\"", name);
    }
    int kd = -1;
    for (int i = 0; kind_names[i]; i++)
        if (strcmp(name, kind_names[i]) == 0)
            kd = i;
    if (strcmp(name, "exponential") == 0)
        kd = K_EXP;
    if (kd < 0) {
        /* The nearest name by shared prefix: a cheap, good "did you mean". */
        const char *best = NULL;
        size_t best_l = 1;
        for (int i = 0; kind_names[i]; i++) {
            size_t l = 0;
            while (name[l] && name[l] == kind_names[i][l])
                l++;
            if (l > best_l) {
                best_l = l;
                best = kind_names[i];
            }
        }
        char m[200];
        if (best)
            snprintf(m, sizeof m, "unknown distribution \"%s\" (did you mean \"%s\"?)", name, best);
        else
            snprintf(m, sizeof m, "unknown distribution \"%s\" (known: const, uniform, exp, "
                                  "normal, lognormal, pareto, weibull, empirical, mix)", name);
        return fail(ps, FL_INVALID, "%s", m);
    }
    ps->p++;
    fl_dist *d = mk((kind)kd);
    if (!d)
        return fl_error_set(ps->e, FL_NOMEM, NULL, "out of memory");
    *out = d;
    fl_status st = kd == K_EMPIRICAL ? parse_empirical(ps, d)
                   : kd == K_MIX     ? parse_mix(ps, d)
                                     : parse_simple(ps, (kind)kd, d);
    if (st)
        return st;
    ps->p++; /* the ')' */
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

/* Rejection-inversion sampling (Hormann & Derflinger 1996): O(1) expected per draw. */
struct fl_zipf {
    uint64_t n;
    double s, h_x1, h_n, sc;
};

static double zh(const fl_zipf *z, double x) /* integral of x^-s */
{
    double l = log(x);
    return fabs(1 - z->s) < 1e-12 ? l : (exp((1 - z->s) * l) - 1) / (1 - z->s);
}

static double zh_inv(const fl_zipf *z, double x)
{
    if (fabs(1 - z->s) < 1e-12)
        return exp(x);
    double t = x * (1 - z->s) + 1;
    return exp(log(t) / (1 - z->s));
}

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
    z->h_x1 = zh(z, 1.5) - 1;
    z->h_n = zh(z, (double)n + 0.5);
    z->sc = 2 - zh_inv(z, zh(z, 2.5) - exp(-s * log(2)));
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
        double x = zh_inv(z, u);
        double k = floor(x + 0.5);
        if (k < 1)
            k = 1;
        if (k > (double)z->n)
            k = (double)z->n;
        if (k - x <= z->sc || u >= zh(z, k + 0.5) - exp(-z->s * log(k)))
            return (uint64_t)k;
    }
}
