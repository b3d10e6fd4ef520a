/* Variant comparison with confidence intervals: see compare.h.
 *
 * Statistics: for n seeds, a figure's mean has the 95% interval mean +- t(0.975, n-1) *
 * sd / sqrt(n). Differences are paired by seed (variant minus the first variant, same
 * seed, hence same arrivals), which cancels the arrival noise both runs share; the verdict
 * is "better" or "worse" when the difference's interval excludes 0, by the figure's
 * direction (lower latency and error rate are better, higher throughput is better), and
 * "no detectable difference" otherwise. */
#include <faultline/compare.h>
#include <faultline/run.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "out/files.h"
#include "scenario/pool.h"
#include "scenario/scenario_int.h"

typedef struct job {
    const char *variant;
    uint64_t seed;
    double *values; /* one per metric; NaN when the run lacks it */
    fl_status st;
    fl_error err;
} job;

typedef struct pool {
    const fl_scenario *sc;
    const fl_compare_config *cfg;
    const char *const *metrics;
    size_t nmetrics;
    job *jobs;
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
 * it, marked incomplete; its figures are NaN, so no mean or verdict uses them. */
static bool cut(fl_status st) { return st == FL_INTERRUPTED || st == FL_LIMIT; }

static void run_job(void *ctx, size_t i)
{
    pool *p = ctx;
    job *j = &p->jobs[i];
    for (size_t m = 0; m < p->nmetrics; m++)
        j->values[m] = NAN;
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
    fl_result *r = NULL;
    j->st = fl_run(p->sc, &rc, &r, &j->err);
    if (j->st != FL_OK && !(cut(j->st) && r)) {
        fl_result_free(r);
        return;
    }
    cJSON *s = j->st == FL_OK ? cJSON_Parse(fl_result_summary(r)) : NULL;
    for (size_t m = 0; m < p->nmetrics; m++) {
        const cJSON *v = fl__figure(s, p->metrics[m]);
        j->values[m] = cJSON_IsNumber(v) ? v->valuedouble
                       : cJSON_IsBool(v)  ? (cJSON_IsTrue(v) ? 1 : 0) /* recovered: a fraction */
                                          : NAN;
    }
    cJSON_Delete(s);
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

/* +1: higher is better; -1: lower is better; 0: neither. */
static int direction(const char *metric)
{
    static const char *const higher[] = {"throughput", "goodput", ".ok", "recovered",
                                         "hit_ratio", "admitted", NULL};
    static const char *const lower[] = {"latency", "error", "wait", "sojourn", "timeout",
                                        "rejected", "expired", "lost", "stale", "violations",
                                        "lag", "fetches", "peak", "deletes", "disconnects",
                                        "misses", "duplicates", "split_brain", "recovery_s",
                                        "wasted", "amplification", NULL};
    for (int i = 0; higher[i]; i++) /* "recovered" before "recovery_s" and the like */
        if (strstr(metric, higher[i]))
            return 1;
    for (int i = 0; lower[i]; i++)
        if (strstr(metric, lower[i]))
            return -1;
    return 0;
}

static void mean_ci(const double *x, size_t n, double *mean, double *hw)
{
    fl__mean_ci95(x, n, mean, hw, NULL);
}

/* Default figures: for each workload, latency mean and p99, throughput, goodput, error
 * rate; then every figure the scenario's expectations name (what the scenario says
 * matters: queries per expiry, lost writes, lag, ...), each once, in order. */
static size_t default_metrics(const fl_scenario *sc, char ***out)
{
    cJSON *doc = cJSON_GetObjectItemCaseSensitive(sc->doc, "workloads");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(sc->doc, "expect");
    static const char *const per[] = {"latency_ms.mean", "latency_ms.p99", "throughput_per_s",
                                      "goodput_per_s", "error_rate"};
    size_t n = (size_t)cJSON_GetArraySize(doc) * 5, k = 0;
    for (const cJSON *v = expect ? expect->child : NULL; v; v = v->next)
        n += (size_t)cJSON_GetArraySize(v);
    char **m = fl_calloc(n + 1, sizeof *m);
    for (cJSON *w = doc ? doc->child : NULL; w && m; w = w->next) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "name"));
        for (int i = 0; i < 5 && name; i++) {
            char buf[512];
            snprintf(buf, sizeof buf, "workloads.%s.%s", name, per[i]);
            m[k++] = fl_strdup(buf);
        }
    }
    for (const cJSON *v = expect ? expect->child : NULL; v && m; v = v->next)
        for (const cJSON *x = cJSON_IsObject(v) ? v->child : NULL; x; x = x->next) {
            size_t j = 0;
            while (j < k && strcmp(m[j], x->string) != 0)
                j++;
            if (j == k)
                m[k++] = fl_strdup(x->string);
        }
    *out = m;
    return k;
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
    const char *const *metrics = cfg->metrics;
    size_t nm = cfg->nmetrics;
    if (!metrics) {
        nm = default_metrics(sc, &own);
        metrics = (const char *const *)own;
    }
    size_t seeds = (size_t)cfg->seeds, njobs = nv * seeds;
    job *jobs = fl_calloc(njobs, sizeof *jobs);
    double *vals = fl_calloc(njobs * (nm ? nm : 1), sizeof *vals);
    fl_status st = FL_OK;
    if (!jobs || !vals) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto done;
    }
    for (size_t v = 0; v < nv; v++)
        for (size_t s = 0; s < seeds; s++) {
            job *j = &jobs[v * seeds + s];
            j->variant = vars[v];
            j->seed = s + 1;
            j->values = vals + (v * seeds + s) * nm;
        }
    if (cfg->out_dir && fl__mkdirs(cfg->out_dir) != 0) {
        st = fl_error_set(e, FL_IO, NULL, "cannot create %s: %s", cfg->out_dir, strerror(errno));
        goto done;
    }
    pool p = {sc, cfg, metrics, nm, jobs};
    fl__pool_run(njobs, cfg->jobs, run_job, &p);
    fl_status cut_st = FL_OK;
    for (size_t i = 0; i < njobs; i++)
        if (cut(jobs[i].st) && !cut_st)
            cut_st = jobs[i].st;
        else if (jobs[i].st != FL_OK && !cut(jobs[i].st)) {
            *e = jobs[i].err;
            st = jobs[i].st;
            goto done;
        }

    /* The comparison, as JSON (and CSV rows). */
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "scenario", fl_scenario_name(sc));
    cJSON_AddNumberToObject(out, "seeds", (double)seeds);
    cJSON_AddBoolToObject(out, "complete", cut_st == FL_OK);
    if (cut_st) {
        const char *why = cfg->why_stopped ? cfg->why_stopped(cfg->poll_ctx) : NULL;
        size_t done_runs = 0;
        for (size_t i = 0; i < njobs; i++)
            done_runs += jobs[i].st == FL_OK;
        if (!why)
            why = cut_st == FL_LIMIT ? "event limit (--max-events)" : "interrupted";
        cJSON_AddStringToObject(out, "stopped_because", why);
        cJSON_AddNumberToObject(out, "runs_complete", (double)done_runs);
        cJSON_AddNumberToObject(out, "runs", (double)njobs);
    }
    cJSON_AddStringToObject(out, "reference", vars[0]);
    cJSON_AddStringToObject(out, "confidence", "95% (Student t over seeds; differences paired by seed)");
    cJSON *sets = cJSON_AddArrayToObject(out, "overrides");
    for (size_t i = 0; i < cfg->nsets; i++)
        cJSON_AddItemToArray(sets, cJSON_CreateString(cfg->sets[i]));
    cJSON *vlist = cJSON_AddArrayToObject(out, "variants");
    for (size_t v = 0; v < nv; v++)
        cJSON_AddItemToArray(vlist, cJSON_CreateString(vars[v]));
    cJSON *mlist = cJSON_AddArrayToObject(out, "metrics");
    size_t csv_cap = 4096 + nm * nv * 256, cw = 0;
    char *csv = fl_malloc(csv_cap);
    if (csv)
        cw += (size_t)snprintf(csv, csv_cap, "metric,variant,mean,ci95,diff,diff_ci95,verdict\n");
    double *d = fl_malloc(seeds * sizeof *d);
    for (size_t m = 0; m < nm && d; m++) {
        cJSON *mo = cJSON_CreateObject();
        cJSON_AddItemToArray(mlist, mo);
        cJSON_AddStringToObject(mo, "metric", metrics[m]);
        int dir = direction(metrics[m]);
        cJSON_AddStringToObject(mo, "better", dir < 0 ? "lower" : dir > 0 ? "higher" : "neither");
        cJSON *per = cJSON_AddObjectToObject(mo, "by_variant");
        for (size_t v = 0; v < nv; v++) {
            double x[4096], mean, hw, dm = NAN, dhw = NAN;
            size_t k = seeds < 4096 ? seeds : 4096;
            for (size_t s = 0; s < k; s++)
                x[s] = jobs[v * seeds + s].values[m];
            mean_ci(x, k, &mean, &hw);
            cJSON *vo = cJSON_AddObjectToObject(per, vars[v]);
            cJSON_AddNumberToObject(vo, "mean", mean);
            cJSON_AddNumberToObject(vo, "ci95", hw);
            const char *verdict = "reference";
            if (v > 0) {
                for (size_t s = 0; s < k; s++)
                    d[s] = jobs[v * seeds + s].values[m] - jobs[s].values[m];
                mean_ci(d, k, &dm, &dhw);
                bool detect = !isnan(dhw) && fabs(dm) > dhw;
                verdict = !detect ? "no detectable difference"
                          : dir == 0 ? (dm > 0 ? "higher" : "lower")
                          : (dm > 0) == (dir > 0) ? "better"
                                                  : "worse";
                cJSON_AddNumberToObject(vo, "diff", dm);
                cJSON_AddNumberToObject(vo, "diff_ci95", dhw);
            }
            cJSON_AddStringToObject(vo, "verdict", verdict);
            if (csv && cw < csv_cap)
                cw += (size_t)snprintf(csv + cw, csv_cap - cw, "%s,%s,%.6g,%.6g,%.6g,%.6g,%s\n",
                                       metrics[m], vars[v], mean, hw, dm, dhw, verdict);
        }
    }
    fl_free(d);
    char *text = cJSON_Print(out);
    cJSON_Delete(out);
    if (!text || !csv) {
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
    fl_free(vars);
    for (size_t i = 0; own && own[i]; i++)
        fl_free(own[i]);
    fl_free(own);
    return st;
}
