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

#define MAX_COLS 256
#define MAX_SERIES 32

typedef struct table {
    char *names[MAX_COLS];
    double *cols[MAX_COLS];
    size_t ncols, nrows;
} table;

static void table_free(table *t)
{
    for (size_t c = 0; c < t->ncols; c++) {
        fl_free(t->names[c]);
        fl_free(t->cols[c]);
    }
    memset(t, 0, sizeof *t);
}

/* Reads dir/timeseries.csv; -1 when missing or malformed. */
static int table_load(const char *dir, table *t)
{
    memset(t, 0, sizeof *t);
    char path[4200];
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    char *text = fl__file_read_all(path, NULL);
    if (!text)
        return -1;
    size_t rows = 0;
    for (const char *p = text; *p; p++)
        rows += *p == '\n';
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    int rc = -1;
    if (!line)
        goto out;
    for (char *h = line;;) { /* header: names have no comma or quote in faultline's files */
        char *comma = strchr(h, ',');
        if (comma)
            *comma = 0;
        if (t->ncols == MAX_COLS || !(t->names[t->ncols] = fl_strdup(h)) ||
            !(t->cols[t->ncols] = fl_malloc((rows ? rows : 1) * sizeof(double))))
            goto out;
        t->ncols++;
        if (!comma)
            break;
        h = comma + 1;
    }
    while ((line = strtok_r(NULL, "\n", &save)) && t->nrows < rows) {
        const char *p = line;
        for (size_t c = 0; c < t->ncols; c++) {
            char *end;
            double v = strtod(p, &end);
            t->cols[c][t->nrows] = end == p ? NAN : v;
            p = strchr(end, ',');
            if (!p) {
                for (size_t k = c + 1; k < t->ncols; k++)
                    t->cols[k][t->nrows] = NAN;
                break;
            }
            p++;
        }
        t->nrows++;
    }
    rc = 0;
out:
    fl_free(text);
    if (rc)
        table_free(t);
    return rc;
}

static const double *col(const table *t, const char *prefix, const char *suffix)
{
    char name[512];
    snprintf(name, sizeof name, "%s%s", prefix, suffix);
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->names[c], name) == 0)
            return t->cols[c];
    return NULL;
}

/* Prefixes of the columns named "<prefix><suffix>" (workloads, nodes), in order. */
static size_t prefixes(const table *t, const char *suffix, char (*out)[256], size_t max)
{
    size_t n = 0, ls = strlen(suffix);
    for (size_t c = 0; c < t->ncols && n < max; c++) {
        size_t l = strlen(t->names[c]);
        if (l > ls && strcmp(t->names[c] + l - ls, suffix) == 0)
            snprintf(out[n++], 256, "%.*s", (int)(l - ls), t->names[c]);
    }
    return n;
}

/* Fault windows from dir/events.jsonl: lines with "until_s". */
static size_t shades_load(const char *dir, fl_svg_shade *sh, char (*labels)[128], size_t max)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/events.jsonl", dir);
    char *text = fl__file_read_all(path, NULL);
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
    for (int i = 0; i < (compare ? 2 : FL_JOB_CHARTS); i++)
        if (strcmp(name, run_names[i]) == 0)
            return i;
    return -1;
}

static fl_status run_chart(FILE *f, const char *dir, int idx, const char *scn, const char *stamp)
{
    table t;
    if (table_load(dir, &t))
        return FL_IO;
    fl_svg_shade sh[16];
    char shl[16][128];
    size_t nsh = shades_load(dir, sh, shl, 16);
    char names[MAX_SERIES][256], lab[MAX_SERIES][300], title[600];
    fl_svg_series ser[MAX_SERIES];
    size_t ns = 0, n = t.nrows;
    const double *x = t.cols[0];
    fl_svg_chart c = {0};
    c.xlabel = "time (s)";
    c.stamp = stamp;
    c.shades = sh;
    c.nshades = nsh;
    c.title = title;
    if (idx == 0) {
        size_t nw = prefixes(&t, ".latency_p99_ms", names, MAX_SERIES / 2);
        for (size_t i = 0; i < nw; i++) {
            snprintf(lab[ns], sizeof lab[ns], "%s p99", names[i]);
            ser[ns] = (fl_svg_series){lab[ns], x, col(&t, names[i], ".latency_p99_ms"), n,
                                        NULL, NULL, fl_svg_color(i), 2.5, false};
            ns++;
            const double *p50 = col(&t, names[i], ".latency_p50_ms");
            if (p50) {
                snprintf(lab[ns], sizeof lab[ns], "%s p50", names[i]);
                ser[ns] = (fl_svg_series){lab[ns], x, p50, n, NULL, NULL, fl_svg_color(i), 1.2,
                                            true};
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
        size_t nw = prefixes(&t, ".issued_per_s", names, MAX_SERIES / 4);
        for (size_t i = 0; i < nw; i++)
            for (size_t k = 0; k < 4; k++) {
                const double *y = col(&t, names[i], cols[k][0]);
                if (!y)
                    continue;
                if (nw > 1)
                    snprintf(lab[ns], sizeof lab[ns], "%s %s", names[i], cols[k][1]);
                else
                    snprintf(lab[ns], sizeof lab[ns], "%s", cols[k][1]);
                ser[ns] = (fl_svg_series){lab[ns], x, y, n, NULL, NULL,
                                            nw > 1 ? fl_svg_color(i * 4 + k) : cols[k][2],
                                            k == 3 ? 1.5 : 2.5, k == 3};
                ns++;
            }
        snprintf(title, sizeof title, "%s: requests per second", scn);
        c.ylabel = "requests per second";
        c.y_zero = true;
    } else {
        size_t nn = prefixes(&t, ".in_system_max", names, MAX_SERIES);
        for (size_t i = 0; i < nn; i++, ns++)
            ser[ns] = (fl_svg_series){names[i], x, col(&t, names[i], ".in_system_max"), n, NULL,
                                      NULL, fl_svg_color(i), 2, false};
        snprintf(title, sizeof title, "%s: requests held at each node", scn);
        c.ylabel = "requests (queue + in service, max)";
        c.y_zero = true;
    }
    c.series = ser;
    c.nseries = ns;
    fl_status st = fl_svg_write(f, &c);
    table_free(&t);
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
    table *runs = fl_calloc(nvar * (size_t)seeds, sizeof *runs);
    double *buf = NULL, *vals = fl_malloc((size_t)seeds * sizeof *vals);
    fl_status st = FL_NOMEM;
    if (!runs || !vals)
        goto out;
    size_t n = 0;
    const table *ref = NULL;
    for (size_t v = 0; v < nvar; v++)
        for (int s = 0; s < seeds; s++) {
            char rd[4400];
            snprintf(rd, sizeof rd, "%s/runs/%s-seed%d", dir, variants[v], s + 1);
            table *t = &runs[v * (size_t)seeds + (size_t)s];
            if (table_load(rd, t) == 0 && !ref) {
                ref = t;
                n = t->nrows;
            }
        }
    st = FL_IO;
    if (!ref)
        goto out;
    char wl[1][256];
    if (!prefixes(ref, suffix, wl, 1))
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
                const table *t = &runs[v * (size_t)seeds + (size_t)s];
                const double *y = t->ncols ? col(t, wl[0], suffix) : NULL;
                if (y && i < t->nrows && isfinite(y[i]))
                    vals[k++] = y[i];
            }
            med[i] = k ? median_of(vals, k) : NAN;
            lo[i] = k ? vals[0] : NAN;
            hi[i] = k ? vals[k - 1] : NAN;
        }
        ser[v] = (fl_svg_series){variants[v], ref->cols[0], med, n, lo, hi, fl_svg_color(v), 2.5,
                                 false};
    }
    char rd[4400];
    snprintf(rd, sizeof rd, "%s/runs/%s-seed1", dir, variants[0]);
    fl_svg_shade sh[16];
    char shl[16][128];
    size_t nsh = shades_load(rd, sh, shl, 16);
    char title[600];
    snprintf(title, sizeof title, "%s: %s, workload %s (median over %d seeds, band: range)", scn,
             idx == 0 ? "latency p99" : "goodput", wl[0], seeds);
    fl_svg_chart c = {title, "time (s)", idx == 0 ? "latency p99 (ms, log scale)"
                                                  : "goodput (requests/s within the SLO)",
                      stamp, idx == 0, idx == 1, 0, 0, ser, nvar, sh, nsh};
    st = fl_svg_write(f, &c);
out:
    if (runs)
        for (size_t i = 0; i < nvar * (size_t)seeds; i++)
            table_free(&runs[i]);
    fl_free(runs);
    fl_free(buf);
    fl_free(vals);
    return st;
}

/* The run's first lesson chart (sim/out/lessons.c), its top panel: what the incident
 * teaches, next to goodput. A run the catalogue has no chart for gets a "no data" chart. */
static fl_status lesson_chart(FILE *f, const char *dir, const char *scn, const char *stamp)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *text = fl__file_read_all(path, NULL);
    cJSON *summary = text ? cJSON_Parse(text) : NULL;
    fl_free(text);
    snprintf(path, sizeof path, "%s/events.jsonl", dir);
    char *events = fl__file_read_all(path, NULL);
    fl_csv *csv = fl_csv_read(dir);
    int n = 0;
    fl_lesson *ls = summary && csv ? fl_lessons_build(summary, events, csv, &n) : NULL;
    fl_status st;
    if (n) {
        st = fl_lesson_svg(f, &ls[0], 0, csv, stamp);
    } else {
        char title[600];
        snprintf(title, sizeof title, "%s: no lesson chart for this run", scn);
        fl_svg_chart c = {.title = title, .xlabel = "time (s)", .ylabel = "", .stamp = stamp};
        st = fl_svg_write(f, &c);
    }
    fl_free(ls);
    fl_csv_free(csv);
    fl_free(events);
    cJSON_Delete(summary);
    return st;
}

fl_status fl_serve_chart(FILE *f, const char *dir, int idx, const char *scenario,
                         const char *const *variants, size_t nvariants, int seeds,
                         const char *stamp)
{
    if (variants)
        return compare_chart(f, dir, idx, scenario, variants, nvariants, seeds, stamp);
    if (idx == 3)
        return lesson_chart(f, dir, scenario, stamp);
    return run_chart(f, dir, idx, scenario, stamp);
}
