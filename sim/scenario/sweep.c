/* Parameter sweeps: see sweep.h.
 *
 * Run i of the grid is grid point i / seeds (the first parameter's values outermost) with
 * seed i % seeds + 1. Each run's figures land in row i of one table, whichever thread or
 * process ran it, so every output is a function of the inputs alone. Per grid point, each
 * figure's mean has the 95% interval mean +- t(0.975, k-1) * sd / sqrt(k) over the k
 * seeds where the figure exists. A censored duration (faultline/figures.h: recovery_s of
 * a run that did not recover) is not left out, which would average the survivors only:
 * the run counts with its bound (the time left after the last fault), so the mean is a
 * lower bound of the true mean, never an average of the runs that recovered; the
 * "recovered" figure beside it says how many did. A figure absent from a run (and a
 * censored one with no known bound) is left out and counted in no k.
 *
 * Numbers are written "%.10g" with '.' as the decimal point whatever the locale. */
#include <faultline/run.h>
#include <faultline/sweep.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "fl_config.h"
#include "out/files.h"
#include "out/svg.h"
#include "scenario/pool.h"
#include "scenario/result_int.h"
#include "scenario/scenario_int.h"
#include "scenario/sweep_int.h"

#define EXAMPLE "e.g. --param nodes.api.workers=4,8,16"

/* ---- parameters ------------------------------------------------------------------------ */

void fl_sweep_param_free(fl_sweep_param *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nvalues; i++)
        fl_free(p->values[i]);
    fl_free(p->values);
    fl_free(p->path);
    memset(p, 0, sizeof *p);
}

static char *strndup_trim(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char *r = fl_malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

fl_status fl_sweep_param_parse(const char *arg, fl_sweep_param *out, fl_error *e)
{
    memset(out, 0, sizeof *out);
    fl_error_clear(e);
    const char *eq = strchr(arg, '=');
    size_t plen = eq ? (size_t)(eq - arg) : strlen(arg);
    if (plen == 0)
        return fl_error_set(e, FL_USAGE, NULL, "--param %s: expected PATH=V1,V2,..., " EXAMPLE, arg);
    if (!eq || !eq[1])
        return fl_error_set(e, FL_USAGE, NULL,
                            "--param %.*s: no values; expected PATH=V1,V2,..., " EXAMPLE,
                            (int)plen, arg);
    if (!(out->path = strndup_trim(arg, plen)))
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    /* Split at commas outside (), [], {} and "". */
    const char *v = eq + 1;
    size_t cap = 8;
    out->values = fl_calloc(cap, sizeof *out->values);
    int depth = 0;
    bool quote = false;
    for (const char *p = v, *start = v;; p++) {
        if (*p == '"' && (p == v || p[-1] != '\\'))
            quote = !quote;
        else if (!quote && (*p == '(' || *p == '[' || *p == '{'))
            depth++;
        else if (!quote && (*p == ')' || *p == ']' || *p == '}') && depth > 0)
            depth--;
        if (*p && (*p != ',' || depth > 0 || quote))
            continue;
        if (!out->values)
            break;
        if (out->nvalues == cap) {
            char **nv = fl_realloc(out->values, 2 * cap * sizeof *nv);
            if (!nv)
                break;
            out->values = nv;
            cap *= 2;
        }
        char *one = strndup_trim(start, (size_t)(p - start));
        if (!one)
            break;
        out->values[out->nvalues++] = one;
        if (!one[0]) {
            fl_error_set(e, FL_USAGE, NULL, "--param %s: value %zu is empty; expected "
                         "PATH=V1,V2,..., " EXAMPLE, arg, out->nvalues);
            fl_sweep_param_free(out);
            return FL_USAGE;
        }
        if (!*p)
            return FL_OK;
        start = p + 1;
    }
    fl_sweep_param_free(out);
    return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
}

/* ---- runs ------------------------------------------------------------------------------ */

typedef struct sweep {
    const fl_scenario *sc;
    const fl_sweep_config *cfg;
    const char *variant;
    char ***pv;          /* pv[k][v]: "path=value" of parameter k's value v */
    size_t stride[FL_SWEEP_MAX_PARAMS]; /* grid point -> value index: (g / stride) % n */
    size_t npoints, seeds, nruns;
    const char *const *metrics;
    size_t nm;
    fl__sweep_rows rows;
    int rank, size;
    size_t owned, done;
    fl_status cut;       /* FL_INTERRUPTED / FL_LIMIT once a run was stopped or skipped */
    size_t finished;     /* runs of this process that ran to their end */
    pthread_mutex_t lock;
} sweep;

static int run_poll(void *ctx, double frac)
{
    const fl_sweep_config *cfg = ctx;
    (void)frac;
    return cfg->poll(cfg->poll_ctx);
}

static const char *run_why(void *ctx)
{
    const fl_sweep_config *cfg = ctx;
    return cfg->why_stopped ? cfg->why_stopped(cfg->poll_ctx) : NULL;
}

static size_t value_index(const sweep *s, size_t g, size_t k)
{
    return (g / s->stride[k]) % s->cfg->params[k].nvalues;
}

/* Reads a figure as a number: true/false are 1/0; a censored duration its bound (see the
 * top); anything else NaN. */
static double figure_value(const cJSON *summary, const char *path)
{
    double v;
    fl__figure_read(summary, path, &v);
    return v;
}

/* Runs the scenario with the global overrides plus point g's values (g = SIZE_MAX: none;
 * only = k < nparams: parameter k's value v alone). */
static fl_status run_with(const sweep *s, size_t g, size_t only, size_t v, uint64_t seed,
                          uint64_t max_events, fl_result **r, fl_error *e)
{
    const fl_sweep_config *cfg = s->cfg;
    const char **sets = fl_calloc(cfg->nsets + FL_SWEEP_MAX_PARAMS + 1, sizeof *sets);
    if (!sets)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < cfg->nsets; i++)
        sets[n++] = cfg->sets[i];
    if (g != SIZE_MAX)
        for (size_t k = 0; k < cfg->nparams; k++)
            sets[n++] = s->pv[k][value_index(s, g, k)];
    else if (only < cfg->nparams)
        sets[n++] = s->pv[only][v];
    fl_run_config rc = {0};
    rc.variant = s->variant;
    rc.seed = seed;
    rc.seed_given = true;
    rc.sets = sets;
    rc.nsets = n;
    rc.max_events = max_events;
    rc.figures_only = true; /* it reads the summary's figures and writes no run files */
    if (cfg->poll) {
        rc.progress = run_poll;
        rc.why_stopped = run_why;
        rc.progress_ctx = (void *)cfg;
    }
    fl_status st = fl_run(s->sc, &rc, r, e);
    fl_free(sets);
    return st;
}

/* "P=v, Q=w" of grid point g. */
static void point_name(const sweep *s, size_t g, char *buf, size_t n)
{
    size_t w = 0;
    buf[0] = 0;
    for (size_t k = 0; k < s->cfg->nparams && w < n; k++)
        w += (size_t)snprintf(buf + w, n - w, "%s%s", k ? ", " : "", s->pv[k][value_index(s, g, k)]);
}

static void run_job(void *ctx, size_t k)
{
    sweep *s = ctx;
    size_t i = (size_t)s->rank + k * (size_t)s->size;
    size_t g = i / s->seeds;
    uint64_t seed = i % s->seeds + 1;
    fl_result *r = NULL;
    fl_error e;
    fl_status st = FL_INTERRUPTED; /* a stop before it began skips it */
    if (!s->cfg->poll || !s->cfg->poll(s->cfg->poll_ctx))
        st = run_with(s, g, SIZE_MAX, 0, seed,
                      s->cfg->max_events ? s->cfg->max_events : 100000000000ULL, &r, &e);
    bool cut = st == FL_INTERRUPTED || st == FL_LIMIT; /* its figures stay NaN */
    if (st == FL_OK) {
        double *row = s->rows.vals + i * s->nm;
        for (size_t m = 0; m < s->nm; m++)
            row[m] = figure_value(r->summary, s->metrics[m]);
    } else if (!cut) {
        char where[600], msg[sizeof e.msg];
        point_name(s, g, where, sizeof where);
        snprintf(msg, sizeof msg, "%s (sweep point %s, seed %llu)", e.msg, where,
                 (unsigned long long)seed);
        snprintf(e.msg, sizeof e.msg, "%s", msg);
    }
    fl_result_free(r);
    pthread_mutex_lock(&s->lock);
    if (cut && !s->cut)
        s->cut = st;
    s->finished += st == FL_OK;
    if (st != FL_OK && !cut && i < s->rows.fail) {
        s->rows.fail = i;
        s->rows.err = e;
    }
    s->done++;
    if (s->cfg->progress)
        s->cfg->progress(s->cfg->progress_ctx, s->done, s->owned);
    pthread_mutex_unlock(&s->lock);
}

/* Checks the variant, the overrides and every parameter value once, on a run cut after
 * its first event, so that a mistake is reported before any real work and names the
 * option at fault ("--param: ..." where `--set` would say "--set: ..."). */
static fl_status prevalidate(const sweep *s, fl_error *e)
{
    fl_result *r = NULL;
    fl_status st = run_with(s, SIZE_MAX, SIZE_MAX, 0, 1, 1, &r, e);
    fl_result_free(r);
    if (st != FL_OK && st != FL_LIMIT)
        return st;
    for (size_t k = 0; k < s->cfg->nparams; k++)
        for (size_t v = 0; v < s->cfg->params[k].nvalues; v++) {
            r = NULL;
            st = run_with(s, SIZE_MAX, k, v, 1, 1, &r, e);
            fl_result_free(r);
            if (st != FL_OK && st != FL_LIMIT) {
                if (strcmp(e->file, "--set") == 0)
                    snprintf(e->file, sizeof e->file, "--param");
                return st;
            }
        }
    fl_error_clear(e);
    return FL_OK;
}

/* ---- outputs --------------------------------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t len, cap;
    bool oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *np = fl_realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

/* "%.10g", '.' whatever the locale; "" for NaN and infinities. */
static void num(double v, char *out, size_t n)
{
    if (!isfinite(v)) {
        out[0] = 0;
        return;
    }
    fl_svg_numg(v, 10, out, n);
}

static void put_num(buf *b, double v)
{
    char t[48];
    num(v, t, sizeof t);
    puts_(b, t);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void put_field(buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        puts_(b, s);
        return;
    }
    put(b, "\"", 1);
    for (; *s; s++)
        put(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    put(b, "\"", 1);
}

static cJSON *json_num(double v)
{
    char t[48];
    num(v, t, sizeof t);
    return t[0] ? cJSON_CreateRaw(t) : cJSON_CreateNull();
}

static fl_status write_buf(FILE *f, void *ctx)
{
    const char *text = ctx;
    return fputs(text, f) < 0 ? FL_IO : FL_OK;
}

/* The JSON text and a final line break. */
static fl_status write_line(FILE *f, void *ctx)
{
    const char *text = ctx;
    return fputs(text, f) < 0 || fputc('\n', f) == EOF ? FL_IO : FL_OK;
}

static fl_status write_file(const char *dir, const char *name, fl_file_writer fn,
                            const char *text, fl_error *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return fl_file_write_atomic(path, fn, (void *)text, e);
}

/* Default figures: for each workload, goodput, p99 latency, error rate, and (flagged
 * `recovery`, kept only when some run measured them) recovered and recovery_s. */
static size_t default_metrics(const fl_scenario *sc, char ***out, bool **recovery)
{
    static const char *const per[] = {"goodput_per_s", "latency_ms.p99", "error_rate",
                                      "recovery.recovered", "recovery.recovery_s"};
    cJSON *ws = cJSON_GetObjectItemCaseSensitive(sc->doc, "workloads");
    size_t n = (size_t)cJSON_GetArraySize(ws) * 5, k = 0;
    char **m = fl_calloc(n + 1, sizeof *m);
    bool *rec = fl_calloc(n + 1, sizeof *rec);
    for (cJSON *w = ws ? ws->child : NULL; w && m && rec; w = w->next) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "name"));
        for (int i = 0; i < 5 && name; i++) {
            char b[512];
            snprintf(b, sizeof b, "workloads.%s.%s", name, per[i]);
            rec[k] = i >= 3;
            if (!(m[k++] = fl_strdup(b)))
                k--;
        }
    }
    *out = m;
    *recovery = rec;
    return m && rec ? k : 0;
}

static fl_status check_config(const fl_scenario *sc, const fl_sweep_config *cfg, size_t *npoints,
                              fl_error *e)
{
    if (cfg->nparams == 0)
        return fl_error_set(e, FL_USAGE, NULL, "no --param: a sweep needs at least one, " EXAMPLE);
    if (cfg->nparams > FL_SWEEP_MAX_PARAMS)
        return fl_error_set(e, FL_USAGE, NULL,
                            "--param: at most %d parameters (a line chart for one, a heat map "
                            "for two), got %zu",
                            FL_SWEEP_MAX_PARAMS, cfg->nparams);
    for (size_t k = 0; k < cfg->nparams; k++) {
        if (cfg->params[k].nvalues == 0)
            return fl_error_set(e, FL_USAGE, NULL, "--param %s: no values; expected "
                                "PATH=V1,V2,..., " EXAMPLE, cfg->params[k].path);
        for (size_t j = 0; j < k; j++)
            if (strcmp(cfg->params[j].path, cfg->params[k].path) == 0)
                return fl_error_set(e, FL_USAGE, NULL, "--param %s: given twice; give each "
                                    "parameter once, with all its values", cfg->params[k].path);
    }
    if (cfg->seeds < 1)
        return fl_error_set(e, FL_USAGE, NULL, "--seeds: expected at least 1");
    const char *variant = cfg->variant ? cfg->variant : "baseline";
    if (!fl_scenario_has_variant(sc, variant)) {
        char list[512] = "baseline";
        size_t w = strlen(list);
        for (size_t i = 0; i < fl_scenario_variant_count(sc) && w < sizeof list; i++)
            w += (size_t)snprintf(list + w, sizeof list - w, ", %s", fl_scenario_variant_name(sc, i));
        return fl_error_set(e, FL_UNKNOWN, NULL, "--variant: no variant named \"%s\" in %s; "
                            "this scenario has: %s", variant, fl_scenario_file(sc), list);
    }
    size_t np = 1;
    for (size_t k = 0; k < cfg->nparams; k++)
        np *= cfg->params[k].nvalues; /* at most 2 factors, each bounded by argv */
    size_t runs = np * (size_t)cfg->seeds;
    if (np > FL_SWEEP_MAX_RUNS || runs > FL_SWEEP_MAX_RUNS) {
        char shape[128] = "";
        size_t w = 0;
        for (size_t k = 0; k < cfg->nparams; k++)
            w += (size_t)snprintf(shape + w, sizeof shape - w, "%s%zu", k ? " x " : "",
                                  cfg->params[k].nvalues);
        return fl_error_set(e, FL_USAGE, NULL,
                            "the grid is too large: %s value%s x %d seeds = %zu runs, more than "
                            "%d; use fewer values per --param or fewer --seeds",
                            shape, cfg->nparams > 1 || cfg->params[0].nvalues != 1 ? "s" : "",
                            cfg->seeds, runs, FL_SWEEP_MAX_RUNS);
    }
    *npoints = np;
    return FL_OK;
}

/* The point's parameters as an object {path: value}. */
static cJSON *point_params(const sweep *s, size_t g)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t k = 0; k < s->cfg->nparams; k++)
        cJSON_AddItemToObject(o, s->cfg->params[k].path,
                              cJSON_CreateString(s->cfg->params[k].values[value_index(s, g, k)]));
    return o;
}

static fl_status outputs(sweep *s, const bool *keep, char **json, fl_error *e)
{
    const fl_sweep_config *cfg = s->cfg;
    size_t nm = s->nm, seeds = s->seeds;
    buf runs = {0}, sum = {0};
    /* Headers. */
    for (size_t k = 0; k < cfg->nparams; k++) {
        put_field(&runs, cfg->params[k].path), puts_(&runs, ",");
        put_field(&sum, cfg->params[k].path), puts_(&sum, ",");
    }
    puts_(&runs, "seed");
    puts_(&sum, "n");
    for (size_t m = 0; m < nm; m++) {
        if (!keep[m])
            continue;
        puts_(&runs, ","), put_field(&runs, s->metrics[m]);
        puts_(&sum, ","), put_field(&sum, s->metrics[m]), puts_(&sum, ".mean,");
        put_field(&sum, s->metrics[m]), puts_(&sum, ".ci95");
    }
    puts_(&runs, "\n");
    puts_(&sum, "\n");

    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "scenario", fl_scenario_name(s->sc));
    cJSON_AddStringToObject(out, "file", fl_scenario_file(s->sc));
    cJSON_AddStringToObject(out, "variant", s->variant);
    cJSON_AddStringToObject(out, "faultline_version", FL_VERSION);
    cJSON *pl = cJSON_AddArrayToObject(out, "params");
    for (size_t k = 0; k < cfg->nparams; k++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddItemToArray(pl, p);
        cJSON_AddStringToObject(p, "path", cfg->params[k].path);
        cJSON *vs = cJSON_AddArrayToObject(p, "values");
        for (size_t v = 0; v < cfg->params[k].nvalues; v++)
            cJSON_AddItemToArray(vs, cJSON_CreateString(cfg->params[k].values[v]));
    }
    cJSON_AddItemToObject(out, "seeds", json_num((double)seeds));
    cJSON_AddBoolToObject(out, "complete", s->cut == FL_OK);
    if (s->cut) {
        const char *why = s->cfg->why_stopped ? s->cfg->why_stopped(s->cfg->poll_ctx) : NULL;
        if (!why)
            why = s->cut == FL_LIMIT ? "event limit (--max-events)" : "interrupted";
        cJSON_AddStringToObject(out, "stopped_because", why);
        cJSON_AddItemToObject(out, "runs_complete", json_num((double)s->finished));
    }
    cJSON *ov = cJSON_AddArrayToObject(out, "overrides");
    for (size_t i = 0; i < cfg->nsets; i++)
        cJSON_AddItemToArray(ov, cJSON_CreateString(cfg->sets[i]));
    cJSON *ml = cJSON_AddArrayToObject(out, "metrics");
    for (size_t m = 0; m < nm; m++)
        if (keep[m])
            cJSON_AddItemToArray(ml, cJSON_CreateString(s->metrics[m]));
    cJSON_AddStringToObject(out, "confidence", "95% (Student t over seeds; a figure missing "
                                               "from a run is left out of its mean)");
    cJSON *points = cJSON_AddArrayToObject(out, "points");
    cJSON *rl = cJSON_AddArrayToObject(out, "runs");
    double *x = fl_calloc(seeds, sizeof *x);
    bool oom = !x || !out;
    for (size_t g = 0; g < s->npoints && !oom; g++) {
        /* sweep.csv and the runs, in (point, seed) order. */
        for (size_t si = 0; si < seeds; si++) {
            const double *row = s->rows.vals + (g * seeds + si) * nm;
            cJSON *ro = cJSON_CreateObject();
            cJSON_AddItemToArray(rl, ro);
            cJSON_AddItemToObject(ro, "params", point_params(s, g));
            cJSON_AddItemToObject(ro, "seed", json_num((double)(si + 1)));
            cJSON *vo = cJSON_AddObjectToObject(ro, "values");
            for (size_t k = 0; k < cfg->nparams; k++)
                put_field(&runs, cfg->params[k].values[value_index(s, g, k)]), puts_(&runs, ",");
            put_num(&runs, (double)(si + 1));
            for (size_t m = 0; m < nm; m++) {
                if (!keep[m])
                    continue;
                puts_(&runs, ",");
                put_num(&runs, row[m]);
                cJSON_AddItemToObject(vo, s->metrics[m], json_num(row[m]));
            }
            puts_(&runs, "\n");
        }
        /* sweep_summary.csv and the points. */
        cJSON *po = cJSON_CreateObject();
        cJSON_AddItemToArray(points, po);
        cJSON_AddItemToObject(po, "params", point_params(s, g));
        cJSON_AddItemToObject(po, "n", json_num((double)seeds));
        cJSON *mo = cJSON_AddObjectToObject(po, "metrics");
        for (size_t k = 0; k < cfg->nparams; k++)
            put_field(&sum, cfg->params[k].values[value_index(s, g, k)]), puts_(&sum, ",");
        put_num(&sum, (double)seeds);
        for (size_t m = 0; m < nm; m++) {
            if (!keep[m])
                continue;
            for (size_t si = 0; si < seeds; si++)
                x[si] = s->rows.vals[(g * seeds + si) * nm + m];
            double mean, hw;
            size_t k;
            fl__mean_ci95(x, seeds, &mean, &hw, &k);
            puts_(&sum, ",");
            put_num(&sum, mean);
            puts_(&sum, ",");
            put_num(&sum, hw);
            cJSON *one = cJSON_CreateObject();
            cJSON_AddItemToObject(mo, s->metrics[m], one);
            cJSON_AddItemToObject(one, "mean", json_num(mean));
            cJSON_AddItemToObject(one, "ci95", json_num(hw));
            cJSON_AddItemToObject(one, "n", json_num((double)k));
        }
        puts_(&sum, "\n");
    }
    fl_free(x);
    char *text = oom ? NULL : cJSON_Print(out);
    cJSON_Delete(out);
    fl_status st = FL_OK;
    if (!text || runs.oom || sum.oom || !runs.p || !sum.p) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    } else if (cfg->out_dir) {
        if ((st = write_file(cfg->out_dir, "sweep.csv", write_buf, runs.p, e)) == FL_OK &&
            (st = write_file(cfg->out_dir, "sweep_summary.csv", write_buf, sum.p, e)) == FL_OK)
            st = write_file(cfg->out_dir, "sweep.json", write_line, text, e);
    }
    fl_free(runs.p);
    fl_free(sum.p);
    if (st != FL_OK) {
        free(text);
        return st;
    }
    *json = text;
    return s->cut;
}

/* ---- the sweep ------------------------------------------------------------------------- */

fl_status fl_sweep(const fl_scenario *sc, const fl_sweep_config *cfg, char **json, fl_error *e)
{
    *json = NULL;
    fl_error_clear(e);
    size_t npoints = 0;
    fl_status st = check_config(sc, cfg, &npoints, e);
    if (st)
        return st;
    sweep s = {0};
    s.sc = sc;
    s.cfg = cfg;
    s.variant = cfg->variant ? cfg->variant : "baseline";
    s.npoints = npoints;
    s.seeds = (size_t)cfg->seeds;
    s.nruns = npoints * s.seeds;
    s.rank = cfg->dist && cfg->dist->size > 1 ? cfg->dist->rank : 0;
    s.size = cfg->dist && cfg->dist->size > 1 ? cfg->dist->size : 1;
    s.rows.fail = SIZE_MAX;
    pthread_mutex_init(&s.lock, NULL);
    char **own = NULL;
    bool *recovery = NULL, *keep = NULL;
    s.metrics = cfg->metrics;
    s.nm = cfg->nmetrics;
    if (!s.metrics) {
        s.nm = default_metrics(sc, &own, &recovery);
        s.metrics = (const char *const *)own;
    }
    /* "path=value" for every parameter value. */
    s.pv = fl_calloc(cfg->nparams, sizeof *s.pv);
    bool oom = !s.pv || !s.metrics;
    size_t stride = 1;
    for (size_t k = cfg->nparams; k-- > 0 && !oom;) {
        s.stride[k] = stride;
        stride *= cfg->params[k].nvalues;
        const fl_sweep_param *p = &cfg->params[k];
        if (!(s.pv[k] = fl_calloc(p->nvalues, sizeof *s.pv[k]))) {
            oom = true;
            break;
        }
        for (size_t v = 0; v < p->nvalues && !oom; v++) {
            size_t n = strlen(p->path) + strlen(p->values[v]) + 2;
            if (!(s.pv[k][v] = fl_malloc(n)))
                oom = true;
            else
                snprintf(s.pv[k][v], n, "%s=%s", p->path, p->values[v]);
        }
    }
    s.rows.nruns = s.nruns;
    s.rows.nvals = s.nm;
    s.rows.vals = oom ? NULL : fl_malloc((s.nruns * s.nm + 1) * sizeof *s.rows.vals);
    keep = fl_calloc(s.nm + 1, sizeof *keep);
    if (oom || !s.rows.vals || !keep) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < s.nruns * s.nm; i++)
        s.rows.vals[i] = NAN;
    if ((st = prevalidate(&s, e)))
        goto done;

    /* This process's runs: i % size == rank. Process 0 makes the output directory first,
     * so that a directory it cannot write stops it before the work (the others still run
     * theirs and meet it at the gathering). */
    s.owned = s.nruns > (size_t)s.rank ? (s.nruns - (size_t)s.rank + (size_t)s.size - 1) / (size_t)s.size
                                       : 0;
    if (s.rank == 0 && cfg->out_dir && fl__mkdirs(cfg->out_dir) != 0) {
        s.rows.fail = 0;
        fl_error_set(&s.rows.err, FL_IO, NULL, "cannot create %s: %s", cfg->out_dir,
                     strerror(errno));
    } else
        fl__pool_run(s.owned, cfg->jobs, run_job, &s);
    if (s.size > 1 && (st = fl__sweep_mpi_gather(cfg->dist, &s.rows, e)))
        goto done;
    if (s.rank != 0)
        goto done; /* process 0 reports and writes */
    if (s.rows.fail != SIZE_MAX) {
        *e = s.rows.err;
        st = e->status != FL_OK ? e->status : FL_INTERNAL;
        goto done;
    }
    /* Default recovery figures only where some run measured them (faults to recover from). */
    for (size_t m = 0; m < s.nm; m++) {
        keep[m] = !recovery || !recovery[m];
        for (size_t i = 0; i < s.nruns && !keep[m]; i++)
            keep[m] = !isnan(s.rows.vals[i * s.nm + m]);
    }
    st = outputs(&s, keep, json, e);
done:
    for (size_t k = 0; s.pv && k < cfg->nparams; k++) {
        for (size_t v = 0; s.pv[k] && v < cfg->params[k].nvalues; v++)
            fl_free(s.pv[k][v]);
        fl_free(s.pv[k]);
    }
    fl_free(s.pv);
    fl_free(s.rows.vals);
    fl_free(keep);
    fl_free(recovery);
    for (size_t i = 0; own && own[i]; i++)
        fl_free(own[i]);
    fl_free(own);
    pthread_mutex_destroy(&s.lock);
    return st;
}

/* ---- processes ------------------------------------------------------------------------- */

fl_status fl_sweep_dist_begin(fl_sweep_dist *d, fl_error *e)
{
    memset(d, 0, sizeof *d);
    d->size = 1;
    fl_error_clear(e);
    return fl__sweep_mpi_begin(d, e);
}

void fl_sweep_dist_end(fl_sweep_dist *d)
{
    fl__sweep_mpi_end(d);
    d->rank = 0;
    d->size = 1;
}

#if !FL_HAVE_MPI
/* Built without MPI: one process does every run. */
bool fl_sweep_dist_built(void) { return false; }

fl_status fl__sweep_mpi_begin(fl_sweep_dist *d, fl_error *e)
{
    (void)e;
    d->rank = 0;
    d->size = 1;
    d->mpi = false;
    return FL_OK;
}

void fl__sweep_mpi_end(fl_sweep_dist *d) { (void)d; }

fl_status fl__sweep_mpi_gather(const fl_sweep_dist *d, fl__sweep_rows *rows, fl_error *e)
{
    (void)d;
    (void)rows;
    return fl_error_set(e, FL_INTERNAL, NULL, "this faultline was built without MPI");
}

fl_status fl__dist_gather_records(const fl_sweep_dist *d, void *recs, size_t n, size_t size,
                                  size_t *fail, fl_error *err, int *cut, fl_error *e)
{
    (void)d, (void)recs, (void)n, (void)size, (void)fail, (void)err, (void)cut;
    return fl_error_set(e, FL_INTERNAL, NULL, "this faultline was built without MPI");
}
#endif
