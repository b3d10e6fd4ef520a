/* Variant comparison with confidence intervals: see compare.h.
 *
 * Statistics (95%, seeds paired: seed s gives every variant the same arrivals):
 *
 * - A number or count: each variant's mean +- t(0.975, n-1) * sd / sqrt(n) over its n
 *   seeds; the difference from the reference is paired by seed (variant minus reference,
 *   same seed), which cancels the noise both runs share, with its own t interval.
 * - A flag (recovered, a check holding): a proportion of runs, with Wilson's score
 *   interval; the difference of two proportions with Newcombe's hybrid score interval.
 *   It ignores the pairing, which only makes it wider when outcomes are positively
 *   correlated across variants: conservative. A mean of 0/1 with a t interval would be
 *   wrong both ways (zero width at 0/3 and 3/3).
 * - A censored duration (figures.h: recovery_s of a run that did not recover): the run's
 *   bound B = run end - origin (the end of the last fault) stands in for its value. The
 *   true value is at least B, and every observed value is at most B, so each paired
 *   difference computed with B has the sign of the true difference (or is 0) and is no
 *   larger: the verdict can only be too cautious, never too bold. Means with censored
 *   runs are lower bounds, printed as such ("censored at 230 s: a bound"). The flag is
 *   compared as a proportion beside it. A censored run with no known bound makes the
 *   duration not comparable.
 * - A figure absent from some run of either side (a pool a variant does not have) is
 *   "n/a" and "not comparable": never a NaN, never dropped.
 *
 * The verdict rules and the minimum effect are in verdict.h: a difference whose interval
 * excludes 0 but which is smaller than max(min_effect * |reference mean|, the catalogue's
 * floor) is "negligible", not "better". */
#include <faultline/compare.h>
#include <faultline/figures.h>
#include <faultline/run.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "out/files.h"
#include "scenario/pool.h"
#include "scenario/result_int.h"
#include "scenario/scenario_int.h"
#include "scenario/verdict.h"

typedef struct job {
    const char *variant;
    uint64_t seed;
    double *values;         /* one per metric; NaN when absent (see states) */
    unsigned char *states;  /* one fl__fig_state per metric */
    fl_status st;
    fl_error err;
} job;

typedef struct pool {
    const fl_scenario *sc;
    const fl_compare_config *cfg;
    const char *const *metrics;
    size_t nmetrics;
    job *jobs;
    size_t njobs;
} pool;

static int job_progress(void *ctx, double frac)
{
    const fl_compare_config *cfg = ctx;
    (void)frac;
    return cfg->poll(cfg->poll_ctx);
}

static const char *job_why(void *ctx)
{
    const fl_compare_config *cfg = ctx;
    return cfg->why_stopped ? cfg->why_stopped(cfg->poll_ctx) : NULL;
}

/* A run cut short (a limit, a signal) or never started: the comparison goes on without
 * its seed, marked incomplete. */
static bool cut(fl_status st) { return st == FL_INTERRUPTED || st == FL_LIMIT; }

/* Runs go seed by seed (every variant of seed 1, then of seed 2, ...), so a stop leaves
 * whole seeds behind it; jobs[] itself is laid out variant by variant (v * seeds + s). */
static void run_job(void *ctx, size_t i)
{
    pool *p = ctx;
    size_t nv = p->njobs / (size_t)p->cfg->seeds;
    job *j = &p->jobs[(i % nv) * (size_t)p->cfg->seeds + i / nv];
    for (size_t m = 0; m < p->nmetrics; m++)
        j->states[m] = FL__FIG_ABSENT;
    if (p->cfg->poll && p->cfg->poll(p->cfg->poll_ctx)) {
        j->st = FL_INTERRUPTED; /* never started */
        return;
    }
    fl_run_config rc = {0};
    if (p->cfg->poll) {
        rc.progress = job_progress;
        rc.why_stopped = job_why;
        rc.progress_ctx = (void *)p->cfg;
    }
    rc.variant = j->variant;
    rc.seed = j->seed;
    rc.seed_given = true;
    rc.sets = p->cfg->sets;
    rc.nsets = p->cfg->nsets;
    rc.max_events = p->cfg->max_events ? p->cfg->max_events : 100000000000ULL;
    rc.figures_only = !p->cfg->out_dir; /* no folder: the figures are all it reads */
    fl_result *r = NULL;
    j->st = fl_run(p->sc, &rc, &r, &j->err);
    if (j->st != FL_OK && !(cut(j->st) && r)) {
        fl_result_free(r);
        return;
    }
    if (j->st == FL_OK) {
        /* as summary.json gives them, without printing and parsing the whole summary */
        for (size_t m = 0; m < p->nmetrics; m++)
            j->states[m] = (unsigned char)fl__figure_read_printed(r->summary, p->metrics[m],
                                                                  &j->values[m]);
    }
    if (p->cfg->out_dir) { /* a run cut short keeps its folder, marked incomplete */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/runs/%s-seed%llu", p->cfg->out_dir, j->variant,
                 (unsigned long long)j->seed);
        fl_error we;
        if (fl_result_write(r, dir, &we) != FL_OK) {
            j->st = we.status;
            j->err = we;
        }
    }
    fl_result_free(r);
}

/* One variant's runs of one figure. */
typedef struct side {
    size_t n;          /* runs with the figure (observed, or censored with a bound) */
    size_t absent;     /* runs without it */
    size_t censored;   /* censored runs (bound standing in, or unknown) */
    bool bound_unknown;
    double bound_lo, bound_hi; /* the bounds of the censored runs */
    unsigned k;        /* flag: runs where it is true */
    double mean, hw;   /* over the n runs; NaN when n = 0 (hw: n < 2) */
} side;

static side summarise(const job *jobs, size_t seeds, size_t m)
{
    side sd = {0};
    sd.bound_lo = INFINITY;
    sd.bound_hi = -INFINITY;
    double x[4096];
    size_t k = 0;
    for (size_t s = 0; s < seeds && s < 4096; s++) {
        double v = jobs[s].values[m];
        switch ((fl__fig_state)jobs[s].states[m]) {
        case FL__FIG_ABSENT:
            sd.absent++;
            continue;
        case FL__FIG_CENSORED:
            sd.censored++;
            if (isnan(v)) {
                sd.bound_unknown = true;
                continue;
            }
            sd.bound_lo = fmin(sd.bound_lo, v);
            sd.bound_hi = fmax(sd.bound_hi, v);
            break;
        case FL__FIG_VALUE:
            sd.k += v != 0;
            break;
        }
        x[k++] = v;
    }
    sd.n = k;
    fl__mean_ci95(x, k, &sd.mean, &sd.hw, NULL);
    return sd;
}

/* " ms", " s", "/s" or "" after a number. */
static const char *unit_sep(const fl_figure_info *fi)
{
    if (!fi || !fi->unit[0] || strcmp(fi->unit, "fraction") == 0 || strcmp(fi->unit, "ratio") == 0)
        return "";
    return strcmp(fi->unit, "/s") == 0 ? "/s" : strcmp(fi->unit, "ms") == 0 ? " ms" : " s";
}

static bool is_count(const fl_figure_info *fi) { return fi && fi->type == FL_FIGURE_COUNT; }

/* "not recovered", "not all admitted": the flag's name, negated. */
static void not_observed(const fl_figure_info *fi, char *out, size_t n)
{
    snprintf(out, n, "not %s", fi && fi->flag ? fi->flag : "observed");
    for (char *c = out; *c; c++)
        if (*c == '_')
            *c = ' ';
}

/* "a +- b unit" */
static void mean_text(const fl_figure_info *fi, double mean, double hw, char *out, size_t n)
{
    char a[48], b[48];
    fl__fmt_num(mean, 4, is_count(fi), a, sizeof a);
    if (isfinite(hw)) {
        fl__fmt_num(hw, 2, is_count(fi), b, sizeof b);
        snprintf(out, n, "%s +- %s%s", a, b, unit_sep(fi));
    } else
        snprintf(out, n, "%s%s", a, unit_sep(fi));
}

/* A variant's value as words: never "nan". */
static void value_text(const fl_figure_info *fi, const side *sd, size_t seeds, char *out, size_t n)
{
    char m[128], no[64], b[48];
    if (sd->absent == seeds) {
        snprintf(out, n, "n/a (absent)");
        return;
    }
    if (fi && fi->type == FL_FIGURE_FLAG) {
        double lo, hi;
        fl__wilson(sd->k, (unsigned)sd->n, FL__Z95, &lo, &hi);
        char l[32], h[32];
        fl__fmt_num(lo, 2, false, l, sizeof l);
        fl__fmt_num(hi, 2, false, h, sizeof h);
        snprintf(out, n, "%u/%zu runs (95%% %s to %s)", sd->k, sd->n, l, h);
    } else if (fi && fi->type == FL_FIGURE_CENSORED && sd->censored) {
        not_observed(fi, no, sizeof no);
        fl__fmt_num(sd->bound_hi, 4, false, b, sizeof b);
        if (sd->bound_unknown)
            snprintf(out, n, "%s in %zu/%zu runs (no bound known)", no, sd->censored, seeds);
        else if (sd->censored == sd->n)
            snprintf(out, n, "%s in %s s", no, b);
        else {
            mean_text(fi, sd->mean, sd->hw, m, sizeof m);
            snprintf(out, n, ">= %s (%zu/%zu runs %s: censored at %s s, a bound)", m,
                     sd->censored, seeds, no, b);
        }
    } else
        mean_text(fi, sd->mean, sd->hw, out, n);
    if (sd->absent) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, " (n/a in %zu/%zu runs)", sd->absent, seeds);
    }
}

/* Words for a figure: "recovery", "latency p99", "api wasted work". */
static void label_of(const char *metric, const fl_figure_info *fi, size_t nworkloads, char *out,
                     size_t n)
{
    const char *last = strrchr(metric, '.');
    last = last ? last + 1 : metric;
    const char *pl = fi ? strrchr(fi->pattern, '.') : NULL;
    bool star = fi && pl && strcmp(pl, ".*") == 0;
    char owner[128] = "";
    if (strncmp(metric, "nodes.", 6) == 0 || (strncmp(metric, "workloads.", 10) == 0 && nworkloads > 1)) {
        const char *o = strchr(metric, '.') + 1;
        const char *e = strchr(o, '.');
        if (e)
            snprintf(owner, sizeof owner, "%.*s ", (int)(e - o), o);
    }
    if (!fi || !fi->label) /* the path itself says it best */
        snprintf(out, n, "%s", metric);
    else
        snprintf(out, n, "%s%s%s%s", owner, fi->label, star ? " " : "", star ? last : "");
}

/* Default figures: for each workload, latency mean and p99, throughput, goodput, error
 * rate, and SLO attainment where the summaries have it (optional[i] set: left out when no
 * run has it); then every figure the scenario's expectations name (what the scenario says
 * matters: queries per expiry, lost writes, lag, ...), each once, in order. A latency of
 * successes only is never a default: it hides the requests that failed. */
static size_t default_metrics(const fl_scenario *sc, char ***out, bool **optional)
{
    cJSON *doc = cJSON_GetObjectItemCaseSensitive(sc->doc, "workloads");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(sc->doc, "expect");
    static const char *const per[] = {"latency_ms.mean", "latency_ms.p99", "throughput_per_s",
                                      "goodput_per_s",   "error_rate",     "slo_attainment"};
    enum { NPER = sizeof per / sizeof per[0] };
    size_t n = (size_t)cJSON_GetArraySize(doc) * NPER, k = 0;
    for (const cJSON *v = expect ? expect->child : NULL; v; v = v->next)
        n += (size_t)cJSON_GetArraySize(v);
    char **m = fl_calloc(n + 1, sizeof *m);
    bool *opt = fl_calloc(n + 1, sizeof *opt);
    for (cJSON *w = doc ? doc->child : NULL; w && m && opt; w = w->next) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "name"));
        for (int i = 0; i < NPER && name; i++) {
            char buf[512];
            snprintf(buf, sizeof buf, "workloads.%s.%s", name, per[i]);
            opt[k] = strcmp(per[i], "slo_attainment") == 0;
            m[k++] = fl_strdup(buf);
        }
    }
    for (const cJSON *v = expect ? expect->child : NULL; v && m && opt; v = v->next)
        for (const cJSON *x = cJSON_IsObject(v) ? v->child : NULL; x; x = x->next) {
            size_t j = 0;
            while (j < k && strcmp(m[j], x->string) != 0)
                j++;
            if (j == k)
                m[k++] = fl_strdup(x->string);
            else
                opt[j] = false; /* named by an expectation: always shown */
        }
    *out = m;
    *optional = opt;
    return k;
}

/* A growing text (the CSV); oom set when an allocation failed. */
typedef struct text {
    char *p;
    size_t len, cap;
    bool oom;
} textbuf;

static void text_printf(textbuf *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->oom || need < 0)
        return;
    if (t->len + (size_t)need + 1 > t->cap) {
        size_t cap = (t->len + (size_t)need + 1) * 2;
        char *p = fl_realloc(t->p, cap);
        if (!p) {
            t->oom = true;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)need;
}

/* A number into JSON only when finite: compare.json never holds NaN (cJSON would print
 * null, which a reader would take for 0 or crash on). */
static void add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
}

/* "%.6g" for the CSV; "" when not finite. */
static const char *csv_num(double v, char *buf, size_t n)
{
    if (!isfinite(v))
        buf[0] = 0;
    else
        snprintf(buf, n, "%.6g", v);
    return buf;
}

/* The comparison of one variant's side with the reference's, into vo (a by_variant
 * entry). d holds scratch for `seeds` values. Returns the verdict. */
static fl__verdict compare_sides(const fl_figure_info *fi, const char *ref, const char *var,
                                 const job *rj, const job *vj, const side *rs, const side *vs,
                                 size_t seeds, size_t m, double rel, double *d, cJSON *vo)
{
    char why[512] = "", dt[256] = "", a[48], b[48], c[48];
    fl__verdict v;
    fl_figure_better dir = fi ? fi->better : FL_BETTER_NEITHER;
    double dm = NAN, lo = NAN, hi = NAN;
    if (rs->absent || vs->absent) {
        const side *s = rs->absent ? rs : vs;
        const char *who = rs->absent ? ref : var;
        if (s->absent == seeds)
            snprintf(why, sizeof why, "%s has no such figure", who);
        else
            snprintf(why, sizeof why, "absent from %zu of %zu runs of %s", s->absent, seeds, who);
        v = FL__V_NOT_COMPARABLE;
    } else if (rs->bound_unknown || vs->bound_unknown) {
        char no[64];
        not_observed(fi, no, sizeof no);
        snprintf(why, sizeof why, "%s in some runs, with no bound known: compare \"%s\"", no,
                 fi && fi->flag ? fi->flag : "the flag");
        v = FL__V_NOT_COMPARABLE;
    } else if (fi && fi->type == FL_FIGURE_FLAG) {
        fl__newcombe(vs->k, (unsigned)vs->n, rs->k, (unsigned)rs->n, FL__Z95, &lo, &hi);
        dm = (double)vs->k / (double)vs->n - (double)rs->k / (double)rs->n;
        v = fl__verdict_of(dm, lo, hi, fi->floor, dir);
        fl__fmt_num(dm, 2, false, a, sizeof a);
        fl__fmt_num(lo, 2, false, b, sizeof b);
        fl__fmt_num(hi, 2, false, c, sizeof c);
        snprintf(dt, sizeof dt, "%s%s (95%% %s to %s)", dm > 0 ? "+" : "", a, b, c);
    } else {
        for (size_t s = 0; s < seeds; s++)
            d[s] = vj[s].values[m] - rj[s].values[m];
        double hw;
        fl__mean_ci95(d, seeds, &dm, &hw, NULL);
        lo = dm - hw;
        hi = dm + hw;
        double min_eff = fmax(rel * fabs(rs->mean), fi ? fi->floor : 0);
        v = fl__verdict_of(dm, lo, hi, min_eff, dir);
        fl__fmt_num(dm, 4, is_count(fi), a, sizeof a);
        fl__fmt_num(hw, 2, is_count(fi), b, sizeof b);
        snprintf(dt, sizeof dt, "%s%s +- %s%s", dm > 0 ? "+" : "", a, b, unit_sep(fi));
        add_num(vo, "min_effect", min_eff);
        if (v == FL__V_NEGLIGIBLE) {
            fl__fmt_num(min_eff, 2, is_count(fi), c, sizeof c);
            snprintf(why, sizeof why, "smaller than the minimum effect, %s%s", c, unit_sep(fi));
        }
        if (fi && fi->type == FL_FIGURE_CENSORED && rs->censored == rs->n && vs->censored == vs->n) {
            char no[64];
            not_observed(fi, no, sizeof no);
            fl__fmt_num(fmax(rs->bound_hi, vs->bound_hi), 4, false, c, sizeof c);
            snprintf(why, sizeof why, "neither side observed it: %s in %s s", no, c);
        } else if (fi && fi->type == FL_FIGURE_CENSORED && (rs->censored || vs->censored)) {
            char no[64], r[256], w[256];
            not_observed(fi, no, sizeof no);
            value_text(fi, rs, seeds, r, sizeof r);
            value_text(fi, vs, seeds, w, sizeof w);
            fl__fmt_num(fmax(rs->bound_hi, vs->bound_hi), 4, false, c, sizeof c);
            size_t l = strlen(why);
            snprintf(why + l, sizeof why - l, "%s%s: %s; %s: %s; a run %s counts as %s s, a bound: "
                     "the true difference is if anything larger",
                     l ? "; " : "", ref, r, var, w, no, c);
        }
    }
    if (isfinite(dm)) {
        add_num(vo, "diff", dm);
        add_num(vo, "diff_lo", lo);
        add_num(vo, "diff_hi", hi);
        if (!(fi && fi->type == FL_FIGURE_FLAG))
            add_num(vo, "diff_ci95", hi - dm);
        cJSON_AddStringToObject(vo, "diff_text", dt);
    } else
        cJSON_AddStringToObject(vo, "diff_text", "n/a");
    cJSON_AddStringToObject(vo, "verdict", fl__verdict_name(v));
    if (why[0])
        cJSON_AddStringToObject(vo, "why", why);
    return v;
}

/* One phrase of a lesson line: "recovered on 3/3 runs (baseline 0/3)", "goodput 80.2 ->
 * 497.3/s". */
static void lesson_phrase(const char *label, const fl_figure_info *fi, const char *ref,
                          const side *rs, const side *vs, size_t seeds, char *out, size_t n)
{
    char a[64], b[64], t[256];
    if (vs->absent == seeds || rs->absent == seeds) {
        snprintf(out, n, "%s n/a for %s", label, vs->absent == seeds ? "this variant" : ref);
        return;
    }
    if (fi && fi->type == FL_FIGURE_FLAG) {
        snprintf(out, n, "%s on %u/%zu seeds (%s %u/%zu)", label, vs->k, vs->n, ref, rs->k, rs->n);
        return;
    }
    if (fi && fi->type == FL_FIGURE_CENSORED) {
        value_text(fi, vs, seeds, t, sizeof t);
        snprintf(out, n, "%s %s", label, t);
        return;
    }
    fl__fmt_num(rs->mean, 3, is_count(fi), a, sizeof a);
    fl__fmt_num(vs->mean, 3, is_count(fi), b, sizeof b);
    snprintf(out, n, "%s %s -> %s%s", label, a, b, unit_sep(fi));
}

static size_t metric_index(const char *const *metrics, size_t nm, const char *path)
{
    for (size_t m = 0; m < nm; m++)
        if (strcmp(metrics[m], path) == 0)
            return m;
    return SIZE_MAX;
}

/* The comparison as JSON and CSV (both owned by the caller on FL_OK). */
static fl_status build(const fl_scenario *sc, const fl_compare_config *cfg, const char **vars,
                       size_t nv, const char *const *metrics, size_t nm, const bool *optional,
                       const job *jobs, size_t seeds, fl_status cut_st, size_t runs_done,
                       cJSON **outp, char **csvp, fl_error *e)
{
    size_t stride = (size_t)cfg->seeds; /* jobs[v * stride + s]; seeds: the whole ones */
    double rel = cfg->min_effect_set ? cfg->min_effect : 0.01;
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(sc->doc, "workloads");
    size_t nworkloads = (size_t)cJSON_GetArraySize(wls);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "scenario", fl_scenario_name(sc));
    cJSON_AddNumberToObject(out, "seeds", (double)seeds);
    cJSON_AddBoolToObject(out, "complete", cut_st == FL_OK);
    if (cut_st) {
        const char *why = cfg->why_stopped ? cfg->why_stopped(cfg->poll_ctx) : NULL;
        if (!why)
            why = cut_st == FL_LIMIT ? "event limit (--max-events)" : "interrupted";
        cJSON_AddStringToObject(out, "stopped_because", why);
        cJSON_AddNumberToObject(out, "seeds_asked", (double)stride);
        cJSON_AddNumberToObject(out, "runs_complete", (double)runs_done);
        cJSON_AddNumberToObject(out, "runs", (double)(stride * nv));
    }
    cJSON_AddStringToObject(out, "reference", vars[0]);
    cJSON_AddStringToObject(out, "confidence",
                            "95% (Student t over seeds, differences paired by seed; proportions: "
                            "Wilson, differences Newcombe)");
    cJSON_AddNumberToObject(out, "min_effect", rel);
    cJSON *sets = cJSON_AddArrayToObject(out, "overrides");
    for (size_t i = 0; i < cfg->nsets; i++)
        cJSON_AddItemToArray(sets, cJSON_CreateString(cfg->sets[i]));
    cJSON *vlist = cJSON_AddArrayToObject(out, "variants");
    for (size_t v = 0; v < nv; v++)
        cJSON_AddItemToArray(vlist, cJSON_CreateString(vars[v]));
    cJSON *mlist = cJSON_AddArrayToObject(out, "metrics");
    textbuf csv = {0};
    text_printf(&csv, "metric,variant,runs,censored,mean,ci95,diff,diff_lo,diff_hi,verdict\n");
    double *d = fl_malloc((seeds + 1) * sizeof *d);
    side *sides = fl_calloc(nv * nm + 1, sizeof *sides);
    if (!d || !sides)
        csv.oom = true;
    if (seeds < 2) /* stopped early: an interval needs two whole seeds */
        cJSON_AddStringToObject(out, "note", "stopped before two seeds had finished for every "
                                             "variant: nothing to compare");
    for (size_t m = 0; m < nm && !csv.oom && seeds >= 2; m++) {
        for (size_t v = 0; v < nv; v++)
            sides[v * nm + m] = summarise(jobs + v * stride, seeds, m);
        bool anywhere = false;
        for (size_t v = 0; v < nv; v++)
            anywhere |= sides[v * nm + m].absent < seeds;
        if (optional && optional[m] && !anywhere)
            continue; /* an optional default no run has: not this scenario's figure */
        const fl_figure_info *fi = fl_figure_lookup(metrics[m]);
        char label[256], val[512], c1[48], c2[48], c3[48], c4[48], c5[48];
        label_of(metrics[m], fi, nworkloads, label, sizeof label);
        cJSON *mo = cJSON_CreateObject();
        cJSON_AddItemToArray(mlist, mo);
        cJSON_AddStringToObject(mo, "metric", metrics[m]);
        cJSON_AddStringToObject(mo, "label", label);
        cJSON_AddStringToObject(mo, "better", fi ? fl_figure_better_name(fi->better) : "unknown");
        cJSON_AddStringToObject(mo, "type", fi ? fl_figure_type_name(fi->type) : "number");
        cJSON_AddStringToObject(mo, "unit", fi ? fi->unit : "");
        if (!fi)
            cJSON_AddStringToObject(mo, "note", "not in the figure catalogue: no better direction");
        cJSON *per = cJSON_AddObjectToObject(mo, "by_variant");
        for (size_t v = 0; v < nv; v++) {
            const side *sd = &sides[v * nm + m];
            cJSON *vo = cJSON_AddObjectToObject(per, vars[v]);
            cJSON_AddNumberToObject(vo, "runs", (double)sd->n);
            if (sd->absent)
                cJSON_AddNumberToObject(vo, "absent", (double)sd->absent);
            if (sd->censored) {
                cJSON_AddNumberToObject(vo, "censored", (double)sd->censored);
                add_num(vo, "bound_s", sd->bound_hi);
            }
            if (fi && fi->type == FL_FIGURE_FLAG && sd->n) {
                double lo, hi;
                fl__wilson(sd->k, (unsigned)sd->n, FL__Z95, &lo, &hi);
                cJSON_AddNumberToObject(vo, "successes", sd->k);
                add_num(vo, "lo", lo);
                add_num(vo, "hi", hi);
            }
            add_num(vo, "mean", sd->mean);
            add_num(vo, "ci95", sd->hw);
            value_text(fi, sd, seeds, val, sizeof val);
            cJSON_AddStringToObject(vo, "value", val);
            fl__verdict verdict = FL__V_REFERENCE;
            if (v > 0)
                verdict = compare_sides(fi, vars[0], vars[v], jobs, jobs + v * stride, &sides[m], sd,
                                        seeds, m, rel, d, vo);
            else
                cJSON_AddStringToObject(vo, "verdict", "reference");
            const cJSON *jd = cJSON_GetObjectItemCaseSensitive(vo, "diff");
            text_printf(&csv, "%s,%s,%zu,%zu,%s,%s,%s,%s,%s,%s\n", metrics[m], vars[v], sd->n,
                        sd->censored, csv_num(sd->mean, c1, sizeof c1), csv_num(sd->hw, c2, sizeof c2),
                        csv_num(jd ? jd->valuedouble : NAN, c3, sizeof c3),
                        csv_num(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(vo, "diff_lo")), c4, sizeof c4),
                        csv_num(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(vo, "diff_hi")), c5, sizeof c5),
                        fl__verdict_name(verdict));
        }
    }
    /* The lessons: per variant, the figures its expectations name (else the reference's),
     * then each workload's goodput, in the scenario's own terms. */
    cJSON *lessons = cJSON_AddArrayToObject(out, "lessons");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(sc->doc, "expect");
    for (size_t v = 1; v < nv && !csv.oom && seeds >= 2; v++) {
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(expect, vars[v]);
        if (!cJSON_GetArraySize(ex))
            ex = cJSON_GetObjectItemCaseSensitive(expect, vars[0]);
        char line[2048];
        size_t len = (size_t)snprintf(line, sizeof line, "%s:", vars[v]);
        int said = 0;
        const char *paths[64];
        size_t np = 0;
        for (const cJSON *x = cJSON_IsObject(ex) ? ex->child : NULL; x && np < 60; x = x->next)
            paths[np++] = x->string;
        char good[4][300];
        size_t ng = 0;
        for (const cJSON *w = wls ? wls->child : NULL; w && ng < 4; w = w->next) {
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "name"));
            if (name) {
                snprintf(good[ng], sizeof good[ng], "workloads.%s.goodput_per_s", name);
                paths[np++] = good[ng++];
            }
        }
        for (size_t i = 0; i < np && len < sizeof line - 1; i++) {
            size_t m = metric_index(metrics, nm, paths[i]);
            bool dup = false;
            for (size_t j = 0; j < i; j++)
                dup |= strcmp(paths[j], paths[i]) == 0;
            if (m == SIZE_MAX || dup)
                continue;
            const fl_figure_info *fi = fl_figure_lookup(paths[i]);
            char label[256], phrase[512];
            label_of(paths[i], fi, nworkloads, label, sizeof label);
            lesson_phrase(label, fi, vars[0], &sides[m], &sides[v * nm + m], seeds, phrase,
                          sizeof phrase);
            len += (size_t)snprintf(line + len, sizeof line - len, "%s %s", said++ ? "," : "", phrase);
        }
        cJSON *lo = cJSON_CreateObject();
        cJSON_AddStringToObject(lo, "variant", vars[v]);
        cJSON_AddStringToObject(lo, "text", line);
        cJSON_AddItemToArray(lessons, lo);
    }
    fl_free(d);
    fl_free(sides);
    if (csv.oom || !csv.p) {
        fl_free(csv.p);
        cJSON_Delete(out);
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    }
    *outp = out;
    *csvp = csv.p;
    return FL_OK;
}

static fl_status put_text(FILE *f, void *ctx)
{
    return fputs(ctx, f) < 0 ? FL_IO : FL_OK;
}

static fl_status write_text(const char *dir, const char *name, const char *text, fl_error *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return fl_file_write_atomic(path, put_text, (void *)text, e);
}

fl_status fl_compare(const fl_scenario *sc, const fl_compare_config *cfg, char **json,
                     fl_error *e)
{
    *json = NULL;
    fl_error_clear(e);
    if (cfg->seeds < 2)
        return fl_error_set(e, FL_USAGE, NULL, "--seeds: a confidence interval needs at least 2 seeds");
    if (cfg->seeds > 4096) /* the per-figure scratch below holds 4096 seeds */
        return fl_error_set(e, FL_USAGE, NULL, "--seeds: at most 4096 seeds, got %d", cfg->seeds);
    /* Variants: as given, or baseline + all. */
    const char **vars;
    size_t nv = cfg->variants ? cfg->nvariants : 1 + fl_scenario_variant_count(sc);
    vars = fl_calloc(nv, sizeof *vars);
    if (!vars)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < nv; i++)
        vars[i] = cfg->variants ? cfg->variants[i]
                  : i == 0      ? "baseline"
                                : fl_scenario_variant_name(sc, i - 1);
    for (size_t i = 0; i < nv; i++)
        if (!fl_scenario_has_variant(sc, vars[i])) {
            fl_error_set(e, FL_UNKNOWN, NULL, "--variants: no variant named \"%s\" in %s",
                         vars[i], fl_scenario_file(sc));
            fl_free(vars);
            return FL_UNKNOWN;
        }
    char **own = NULL;
    bool *optional = NULL;
    const char *const *metrics = cfg->metrics;
    size_t nm = cfg->nmetrics;
    if (!metrics) {
        nm = default_metrics(sc, &own, &optional);
        metrics = (const char *const *)own;
    }
    size_t seeds = (size_t)cfg->seeds, njobs = nv * seeds;
    job *jobs = fl_calloc(njobs, sizeof *jobs);
    double *vals = fl_calloc(njobs * (nm ? nm : 1), sizeof *vals);
    unsigned char *states = fl_calloc(njobs * (nm ? nm : 1), 1);
    fl_status st = FL_OK;
    if (!jobs || !vals || !states || (!cfg->metrics && (!own || !optional))) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto done;
    }
    for (size_t v = 0; v < nv; v++)
        for (size_t s = 0; s < seeds; s++) {
            job *j = &jobs[v * seeds + s];
            j->variant = vars[v];
            j->seed = s + 1;
            j->values = vals + (v * seeds + s) * nm;
            j->states = states + (v * seeds + s) * nm;
        }
    if (cfg->out_dir && fl__mkdirs(cfg->out_dir) != 0) {
        st = fl_error_set(e, FL_IO, NULL, "cannot create %s: %s", cfg->out_dir, strerror(errno));
        goto done;
    }
    pool p = {sc, cfg, metrics, nm, jobs, njobs};
    fl__pool_run(njobs, cfg->jobs, run_job, &p);
    fl_status cut_st = FL_OK;
    size_t runs_done = 0;
    for (size_t i = 0; i < njobs; i++)
        if (cut(jobs[i].st)) {
            if (!cut_st)
                cut_st = jobs[i].st;
        } else if (jobs[i].st != FL_OK) {
            *e = jobs[i].err;
            st = jobs[i].st;
            goto done;
        } else
            runs_done++;
    /* After a stop, only the seeds every variant finished are compared (paired by seed). */
    size_t whole = 0;
    while (whole < seeds) {
        bool all = true;
        for (size_t v = 0; v < nv; v++)
            all &= jobs[v * seeds + whole].st == FL_OK;
        if (!all)
            break;
        whole++;
    }

    cJSON *out = NULL;
    char *csv = NULL;
    if ((st = build(sc, cfg, vars, nv, metrics, nm, optional, jobs, whole, cut_st, runs_done,
                    &out, &csv, e)))
        goto done;
    char *text = cJSON_Print(out);
    cJSON_Delete(out);
    if (!text) {
        free(text);
        fl_free(csv);
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto done;
    }
    if (cfg->out_dir && ((st = write_text(cfg->out_dir, "compare.json", text, e)) ||
                         (st = write_text(cfg->out_dir, "compare.csv", csv, e)))) {
        free(text);
        fl_free(csv);
        goto done;
    }
    fl_free(csv);
    /* cJSON_Print allocated with the hook (fl_malloc = malloc): free() is the contract. */
    *json = text;
    st = cut_st;
done:
    fl_free(jobs);
    fl_free(vals);
    fl_free(states);
    fl_free(optional);
    fl_free(vars);
    for (size_t i = 0; own && own[i]; i++)
        fl_free(own[i]);
    fl_free(own);
    return st;
}
