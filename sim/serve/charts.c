/* Finished charts: see charts.h. The CSV is faultline's own (timeseries.csv: a header,
 * then numbers written with '.' whatever the locale; an empty cell is "no value"). */
#include "serve/charts.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "out/files.h"
#include "out/lessons.h"
#include "out/svg.h"
#include "serve/jobs.h"

#include <faultline/scenario.h>

#define MAX_SERIES 32

/* Prefixes of the columns named "<prefix><suffix>" (workloads, nodes), in order. */
static size_t prefixes(const fl_csv *t, const char *suffix, char (*out)[256], size_t max)
{
    size_t n = 0, ls = strlen(suffix);
    for (int c = 0; c < t->ncols && n < max; c++) {
        size_t l = strlen(t->names[c]);
        if (l > ls && strcmp(t->names[c] + l - ls, suffix) == 0)
            snprintf(out[n++], 256, "%.*s", (int)(l - ls), t->names[c]);
    }
    return n;
}

/* Fault windows from a run's events.jsonl: lines with "until_s". */
static size_t shades_load(const char *events, fl_svg_shade *sh, char (*labels)[128], size_t max)
{
    char *text = events ? fl_strdup(events) : NULL;
    if (!text)
        return 0;
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && n < max;
         line = strtok_r(NULL, "\n", &save)) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *t0 = cJSON_GetObjectItemCaseSensitive(o, "t_s");
        const cJSON *t1 = cJSON_GetObjectItemCaseSensitive(o, "until_s");
        const cJSON *lab = cJSON_GetObjectItemCaseSensitive(o, "label");
        if (cJSON_IsNumber(t0) && cJSON_IsNumber(t1)) {
            snprintf(labels[n], 128, "%s", cJSON_IsString(lab) ? lab->valuestring : "fault");
            sh[n] = (fl_svg_shade){t0->valuedouble, t1->valuedouble, labels[n], NULL};
            n++;
        }
        cJSON_Delete(o);
    }
    fl_free(text);
    return n;
}

static const char *const run_names[FL_JOB_CHARTS] = {"latency", "goodput", "nodes", "lesson"};

int fl_serve_chart_index(const char *name, int compare)
{
    for (int i = 0; i < FL_JOB_CHARTS; i++)
        if (strcmp(name, run_names[i]) == 0 && !(compare && i == 2)) /* compares: no "nodes" */
            return i;
    return -1;
}

static const double *col(const fl_csv *t, const char *prefix, const char *suffix)
{
    return fl_csv_find(t, prefix, suffix);
}

static fl_status run_chart(FILE *f, const char *dir, int idx, const char *scn, const char *stamp)
{
    fl_run_files rf;
    if (fl_run_files_read(dir, &rf) || !rf.csv) {
        fl_run_files_free(&rf);
        return FL_IO;
    }
    const fl_csv *t = rf.csv;
    fl_svg_shade sh[24];
    char shl[16][128];
    size_t nsh = shades_load(rf.events, sh, shl, 16);
    char names[MAX_SERIES][256], lab[MAX_SERIES][300], title[600];
    /* Spans where no request of the first workload succeeded (lessons.c's rule), grey. */
    if (prefixes(t, ".ok_per_s", names, 1)) {
        double d0[8], d1[8];
        double warm = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rf.summary, "warmup_s"));
        int nd = fl_run_dead_spans(t, names[0], warm, d0, d1, 8);
        for (int i = 0; i < nd; i++)
            sh[nsh++] = (fl_svg_shade){d0[i], d1[i], "no request succeeded", "#cfcfcf"};
    }
    double *slo_y = NULL; /* the SLO lines' points */
    fl_svg_series ser[MAX_SERIES];
    size_t ns = 0, n = t->nrows;
    const double *x = fl_csv_column(t, 0);
    fl_svg_chart c = {0};
    c.xlabel = "time (s)";
    c.stamp = stamp;
    c.shades = sh;
    c.nshades = nsh;
    c.title = title;
    if (idx == 0) {
        size_t nw = prefixes(t, ".latency_p99_ms", names, (MAX_SERIES - 1) / 2);
        for (size_t i = 0; i < nw; i++) {
            snprintf(lab[ns], sizeof lab[ns], "%s p99", names[i]);
            ser[ns] = (fl_svg_series){lab[ns], x, col(t, names[i], ".latency_p99_ms"), n,
                                        NULL, NULL, fl_svg_color(i), 2.5, false, 0};
            ns++;
            const cJSON *wj = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(rf.summary, "workloads"), names[i]);
            double slo = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(wj, "slo_ms"));
            if (slo > 0 && !slo_y && (slo_y = fl_malloc((n ? n : 1) * sizeof *slo_y))) {
                for (size_t k = 0; k < n; k++) /* the first workload's SLO: one line */
                    slo_y[k] = slo;
                snprintf(lab[ns], sizeof lab[ns], "%s SLO %.4g ms", names[i], slo);
                ser[ns] = (fl_svg_series){lab[ns], x, slo_y, n, NULL, NULL, fl_svg_color(i), 1.5,
                                          false, 2};
                ns++;
            }
            const double *p50 = col(t, names[i], ".latency_p50_ms");
            if (p50) {
                snprintf(lab[ns], sizeof lab[ns], "%s p50", names[i]);
                ser[ns] = (fl_svg_series){lab[ns], x, p50, n, NULL, NULL, fl_svg_color(i), 1.2,
                                            true, 0};
                ns++;
            }
        }
        snprintf(title, sizeof title, "%s: latency, failures included", scn);
        c.ylabel = "latency (ms, log scale)";
        c.log_y = true;
    } else if (idx == 1) {
        static const char *const cols[][3] = {
            {".tries_per_s", "tries", "#cc79a7"},
            {".goodput_per_s", "goodput", "#0072b2"},
            {".errors_per_s", "failed", "#d55e00"},
            {".issued_per_s", "issued", "#333333"},
        };
        size_t nw = prefixes(t, ".issued_per_s", names, MAX_SERIES / 4);
        for (size_t i = 0; i < nw; i++)
            for (size_t k = 0; k < 4; k++) {
                const double *y = col(t, names[i], cols[k][0]);
                if (!y)
                    continue;
                if (nw > 1)
                    snprintf(lab[ns], sizeof lab[ns], "%s %s", names[i], cols[k][1]);
                else
                    snprintf(lab[ns], sizeof lab[ns], "%s", cols[k][1]);
                ser[ns] = (fl_svg_series){lab[ns], x, y, n, NULL, NULL,
                                            nw > 1 ? fl_svg_color(i * 4 + k) : cols[k][2],
                                            k == 3 ? 1.5 : 2.5, k == 3, 0};
                ns++;
            }
        snprintf(title, sizeof title, "%s: requests per second", scn);
        c.ylabel = "requests per second";
        c.y_zero = true;
    } else {
        size_t nn = prefixes(t, ".in_system_max", names, MAX_SERIES);
        for (size_t i = 0; i < nn; i++, ns++)
            ser[ns] = (fl_svg_series){names[i], x, col(t, names[i], ".in_system_max"), n, NULL,
                                      NULL, fl_svg_color(i), 2, false, 0};
        snprintf(title, sizeof title, "%s: requests held at each node", scn);
        c.ylabel = "requests (queue + in service, max)";
        c.y_zero = true;
    }
    c.series = ser;
    c.nseries = ns;
    fl_status st = fl_svg_write(f, &c);
    fl_free(slo_y);
    fl_run_files_free(&rf);
    return st;
}

static double median_of(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double tmp = v[j];
            v[j] = v[j - 1];
            v[j - 1] = tmp;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Per variant: the median over seeds per window (line) and the lowest..highest (band). */
static fl_status compare_chart(FILE *f, const char *dir, int idx, const char *scn,
                               const char *const *variants, size_t nvar, int seeds,
                               const char *stamp)
{
    if (nvar > MAX_SERIES)
        nvar = MAX_SERIES;
    const char *suffix = idx == 0 ? ".latency_p99_ms" : ".goodput_per_s";
    fl_run_files *runs = fl_calloc(nvar * (size_t)seeds, sizeof *runs);
    double *buf = NULL, *vals = fl_malloc((size_t)seeds * sizeof *vals);
    fl_status st = FL_NOMEM;
    if (!runs || !vals)
        goto out;
    size_t n = 0;
    const fl_run_files *ref = NULL;
    for (size_t v = 0; v < nvar; v++)
        for (int s = 0; s < seeds; s++) {
            char rd[4400];
            snprintf(rd, sizeof rd, "%s/runs/%s-seed%d", dir, variants[v], s + 1);
            fl_run_files *t = &runs[v * (size_t)seeds + (size_t)s];
            if (fl_run_files_read(rd, t) == FL_OK && t->csv && !ref) {
                ref = t;
                n = t->csv->nrows;
            }
        }
    st = FL_IO;
    if (!ref)
        goto out;
    char wl[1][256];
    if (!prefixes(ref->csv, suffix, wl, 1))
        goto out;
    st = FL_NOMEM;
    if (!(buf = fl_malloc(3 * nvar * (n ? n : 1) * sizeof *buf)))
        goto out;
    fl_svg_series ser[MAX_SERIES];
    for (size_t v = 0; v < nvar; v++) {
        double *med = buf + 3 * v * n, *lo = med + n, *hi = lo + n;
        for (size_t i = 0; i < n; i++) {
            size_t k = 0;
            for (int s = 0; s < seeds; s++) {
                const fl_csv *t = runs[v * (size_t)seeds + (size_t)s].csv;
                const double *y = t ? col(t, wl[0], suffix) : NULL;
                if (y && i < t->nrows && isfinite(y[i]))
                    vals[k++] = y[i];
            }
            med[i] = k ? median_of(vals, k) : NAN;
            lo[i] = k ? vals[0] : NAN;
            hi[i] = k ? vals[k - 1] : NAN;
        }
        ser[v] = (fl_svg_series){variants[v], fl_csv_column(ref->csv, 0), med, n, lo, hi,
                                 fl_svg_color(v), 2.5, false, 0};
    }
    fl_svg_shade sh[16];
    char shl[16][128];
    size_t nsh = shades_load(ref->events, sh, shl, 16);
    char title[600];
    snprintf(title, sizeof title, "%s: %s, workload %s (median over %d seeds, band: range)", scn,
             idx == 0 ? "latency p99" : "goodput", wl[0], seeds);
    fl_svg_chart c = {title, "time (s)", idx == 0 ? "latency p99 (ms, log scale)"
                                                  : "goodput (requests/s within the SLO)",
                      stamp, idx == 0, idx == 1, 0, 0, ser, nvar, sh, nsh, NULL, 0};
    st = fl_svg_write(f, &c);
out:
    if (runs)
        for (size_t i = 0; i < nvar * (size_t)seeds; i++)
            fl_run_files_free(&runs[i]);
    fl_free(runs);
    fl_free(buf);
    fl_free(vals);
    return st;
}

/* The lesson charts of a run, the scenario's declared ones first. */
static fl_lesson *lessons_of(const fl_run_files *rf, const fl_scenario *sc, int *n)
{
    size_t norder = 0;
    const char *const *order = sc ? fl_scenario_charts(sc, &norder) : NULL;
    *n = 0;
    return rf->summary && rf->csv
               ? fl_lessons_build(rf->summary, rf->events, rf->csv, order, norder, n)
               : NULL;
}

/* The run's first lesson chart (sim/out/lessons.c), its top panel: what the incident
 * teaches, next to goodput. A run the catalogue has no chart for gets a "no data" chart. */
static fl_status lesson_chart(FILE *f, const char *dir, const char *scn, const fl_scenario *sc,
                              const char *stamp)
{
    fl_run_files rf;
    fl_run_files_read(dir, &rf);
    int n = 0;
    fl_lesson *ls = lessons_of(&rf, sc, &n);
    fl_status st;
    if (n) {
        st = fl_lesson_svg(f, &ls[0], 0, rf.csv, stamp);
    } else {
        char title[600];
        snprintf(title, sizeof title, "%s: no lesson chart for this run", scn);
        fl_svg_chart c = {.title = title, .xlabel = "time (s)", .ylabel = "", .stamp = stamp};
        st = fl_svg_write(f, &c);
    }
    fl_free(ls);
    fl_run_files_free(&rf);
    return st;
}

/* A comparison's lesson chart: the first variant's first lesson chart (seed 1), overlaid
 * with the same chart of every variant's seed-1 run (one colour per variant). */
static fl_status compare_lesson(FILE *f, const char *dir, const char *scn, const fl_scenario *sc,
                                const char *const *variants, size_t nvar, const char *stamp)
{
    fl_run_files *runs = fl_calloc(nvar ? nvar : 1, sizeof *runs);
    const fl_run_files **rp = fl_calloc(nvar ? nvar : 1, sizeof *rp);
    fl_status st = FL_NOMEM;
    if (!runs || !rp)
        goto out;
    char name[160] = "";
    for (size_t v = 0; v < nvar; v++) {
        char rd[4400];
        snprintf(rd, sizeof rd, "%s/runs/%s-seed1", dir, variants[v]);
        if (fl_run_files_read(rd, &runs[v]) == FL_OK)
            rp[v] = &runs[v];
        int n = 0;
        fl_lesson *ls = !name[0] ? lessons_of(&runs[v], sc, &n) : NULL;
        if (n)
            snprintf(name, sizeof name, "%s", ls[0].name);
        fl_free(ls);
    }
    if (name[0]) {
        st = fl_lesson_compare_svg(f, name, rp, variants, nvar, 0, stamp);
    } else {
        char title[600];
        snprintf(title, sizeof title, "%s: no lesson chart for these runs", scn);
        fl_svg_chart c = {.title = title, .xlabel = "time (s)", .ylabel = "", .stamp = stamp};
        st = fl_svg_write(f, &c);
    }
out:
    for (size_t v = 0; runs && v < nvar; v++)
        fl_run_files_free(&runs[v]);
    fl_free(runs);
    fl_free(rp);
    return st;
}

fl_status fl_serve_chart_for(FILE *f, const char *dir, int idx, const fl_scenario *sc,
                             const char *const *variants, size_t nvariants, int seeds,
                             const char *stamp)
{
    const char *scenario = fl_scenario_name(sc);
    if (variants && idx == 3)
        return compare_lesson(f, dir, scenario, sc, variants, nvariants, stamp);
    if (variants)
        return compare_chart(f, dir, idx, scenario, variants, nvariants, seeds, stamp);
    if (idx == 3)
        return lesson_chart(f, dir, scenario, sc, stamp);
    return run_chart(f, dir, idx, scenario, stamp);
}

fl_status fl_serve_chart(FILE *f, const char *dir, int idx, const char *scenario,
                         const char *const *variants, size_t nvariants, int seeds,
                         const char *stamp)
{
    if (variants && idx == 3)
        return compare_lesson(f, dir, scenario, NULL, variants, nvariants, stamp);
    if (variants)
        return compare_chart(f, dir, idx, scenario, variants, nvariants, seeds, stamp);
    if (idx == 3)
        return lesson_chart(f, dir, scenario, NULL, stamp);
    return run_chart(f, dir, idx, scenario, stamp);
}
