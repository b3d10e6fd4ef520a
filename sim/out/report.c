/* The HTML report: see report.h.
 *
 * Reading: summary.json and compare.json with cJSON, events.jsonl line by line,
 * timeseries.csv with the chart writers' one reader (fl_csv_load, lessons.h), which
 * refuses a malformed file naming its line.
 * Writing: straight into a temporary file next to the output, renamed when complete, so
 * nobody ever opens a half-written report. Charts come from svg.c; the series are chosen
 * by column-name suffix ("<workload>.latency_p99_ms", "<node>.busy", ...), so a column a
 * later version adds does not break the report. */
#include "out/report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "out/files.h"
#include "out/lessons.h"
#include "out/svg.h"

#define DASH "\xe2\x80\x94" /* an em dash: "no value" */
#define PM "\xc2\xb1"       /* plus-minus sign */

/* ---- reading ------------------------------------------------------------------------ */

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The whole file, NUL-terminated; NULL with errno set on failure. */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 1u << 16, n = 0;
    char *buf = fl_malloc(cap + 1);
    for (;;) {
        if (!buf) {
            fclose(fp);
            errno = ENOMEM;
            return NULL;
        }
        if (n == cap) {
            char *nb = fl_realloc(buf, cap * 2 + 1);
            if (!nb)
                fl_free(buf);
            buf = nb;
            cap *= 2;
            continue;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(fp);
    fclose(fp);
    if (bad) {
        fl_free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

static fl_status read_error(const char *path, fl_error *e)
{
    int err = errno;
    if (err == ENOMEM)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory reading %s", path);
    return fl_error_set(e, FL_IO, NULL, "cannot read %s: %s", path, strerror(err));
}

static fl_status load_json(const char *path, cJSON **out, fl_error *e)
{
    *out = NULL;
    size_t len;
    char *text = slurp(path, &len);
    if (!text)
        return read_error(path, e);
    long refused = fl_alloc_failures();
    *out = cJSON_ParseWithLength(text, len);
    fl_free(text);
    if (*out)
        return FL_OK;
    if (fl_alloc_failures() != refused)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory reading %s", path);
    return fl_error_set(e, FL_SYNTAX, NULL,
                        "%s is not valid JSON (cut short or edited?); write it again with faultline",
                        path);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a > b && strcmp(s + a - b, suffix) == 0;
}

static bool any_finite(const double *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (isfinite(v[i]))
            return true;
    return false;
}

/* What a run directory holds. timeseries.csv and events.jsonl may be missing: the report
 * then says so instead of failing. */
typedef struct run_data {
    cJSON *summary;
    cJSON *events; /* an array, one object per line of events.jsonl */
    fl_csv *ts;    /* NULL: no timeseries.csv */
    char *ev_text; /* events.jsonl as read (for the lesson charts), NULL when absent */
} run_data;

static void run_free(run_data *r)
{
    cJSON_Delete(r->summary);
    cJSON_Delete(r->events);
    fl_csv_free(r->ts);
    fl_free(r->ev_text);
    memset(r, 0, sizeof *r);
}

static fl_status run_load(const char *dir, run_data *r, fl_error *e)
{
    memset(r, 0, sizeof *r);
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    fl_status st = load_json(path, &r->summary, e);
    if (st)
        return st;
    if (!cJSON_IsObject(r->summary) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r->summary, "scenario")))
        return fl_error_set(e, FL_SYNTAX, NULL, "%s is not a faultline run summary (no \"scenario\")",
                            path);
    if (!(r->events = cJSON_CreateArray()))
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    snprintf(path, sizeof path, "%s/events.jsonl", dir);
    if (is_file(path)) {
        char *text = slurp(path, NULL);
        if (!text)
            return read_error(path, e);
        for (const char *line = text; *line;) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            cJSON *ev = len ? cJSON_ParseWithLength(line, len) : NULL;
            if (ev && !cJSON_IsObject(ev)) {
                cJSON_Delete(ev);
                ev = NULL;
            }
            if (ev)
                cJSON_AddItemToArray(r->events, ev);
            line = nl ? nl + 1 : line + len;
        }
        r->ev_text = text;
    }
    return fl_csv_load(dir, &r->ts, e);
}

/* ---- the scenario file (optional) ---------------------------------------------------- */

typedef struct scen_info {
    cJSON *doc;
    const char *path;
} scen_info;

static fl_status scen_load(const char *path, const char *expect_name, scen_info *si, fl_error *e)
{
    memset(si, 0, sizeof *si);
    if (!path)
        return FL_OK;
    si->path = path;
    if (!is_file(path))
        return fl_error_set(e, FL_USAGE, NULL, "--scenario %s: no such file", path);
    fl_status st = load_json(path, &si->doc, e);
    if (st)
        return st == FL_SYNTAX ? fl_error_set(e, FL_USAGE, NULL, "--scenario %s is not valid JSON; "
                                              "check it with: faultline validate %s", path, path)
                               : st;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(si->doc, "name"));
    if (!name || (expect_name && strcmp(name, expect_name) != 0))
        return fl_error_set(e, FL_USAGE, NULL,
                            "--scenario %s is scenario \"%s\", but the directory holds results of "
                            "\"%s\": pass that scenario's file",
                            path, name ? name : "?", expect_name ? expect_name : "?");
    return FL_OK;
}

static const char *scen_str(const scen_info *si, const char *key)
{
    return si->doc ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(si->doc, key)) : NULL;
}

static const char *scen_about(const scen_info *si, const char *variant)
{
    if (!si->doc || !variant)
        return NULL;
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(si->doc, "variants");
    return cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(vs, variant), "about"));
}

/* ---- formatting ---------------------------------------------------------------------- */

static void esc(FILE *f, const char *s)
{
    fl_svg_escape(f, s ? s : "");
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* A fraction shown as a percentage: utilisation, error rate, wasted work, P(wait). */
static bool is_fraction(const char *key)
{
    const char *last = strrchr(key, '.');
    last = last ? last + 1 : key;
    return strcmp(last, "utilisation") == 0 || strcmp(last, "error_rate") == 0 ||
           strcmp(last, "p_wait") == 0 || has_suffix(last, "_fraction");
}

/* A figure for a table: whole numbers as such, large ones rounded, others 4 significant
 * digits, fractions as percentages; '.' whatever the locale. */
static void fmt_fig(const char *key, double v, char *buf, size_t n)
{
    if (!isfinite(v)) {
        snprintf(buf, n, isnan(v) ? DASH : v > 0 ? "inf" : "-inf");
        return;
    }
    if (key && is_fraction(key)) {
        char b[40];
        fl_svg_numg(v * 100, 3, b, sizeof b);
        snprintf(buf, n, "%s%%", b);
    } else if ((v == floor(v) && fabs(v) < 1e15) || fabs(v) >= 1000) {
        snprintf(buf, n, "%.0f", round(v) == 0 ? 0.0 : round(v));
    } else {
        fl_svg_numg(v, 4, buf, n);
    }
}

static void put_fig(FILE *f, const char *key, double v)
{
    char b[64];
    fmt_fig(key, v, b, sizeof b);
    fputs(b, f);
}

/* A JSON value as a table cell (numbers formatted, booleans as yes/no). */
static void put_value(FILE *f, const char *key, const cJSON *v)
{
    if (cJSON_IsNumber(v))
        put_fig(f, key, v->valuedouble);
    else if (cJSON_IsBool(v))
        fputs(cJSON_IsTrue(v) ? "yes" : "no", f);
    else if (cJSON_IsString(v))
        esc(f, v->valuestring);
    else
        fputs(DASH, f);
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "max-width:62rem;margin:1.5rem auto;padding:0 1rem;color:#222;line-height:1.45}"
    "h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;"
    "border-bottom:1px solid #ddd;padding-bottom:.2rem}"
    ".stamp{color:#666;font-size:.9rem}.story{white-space:pre-line}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.92rem}"
    "th,td{border:1px solid #ccc;padding:.25rem .55rem;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".better{background:#dff3df;color:#14532d;font-weight:bold}"
    ".worse{background:#f9dada;color:#7f1d1d;font-weight:bold}"
    ".same{color:#666}tr.fault td{background:#fbe3e3}.pass{color:#14532d;font-weight:bold}.fail{color:#b91c1c;font-weight:bold}"
    ".warn{background:#fff3cd;border:1px solid #e0c46c;padding:.5rem}"
    "figure{margin:1rem 0 1.5rem;break-inside:avoid}figcaption{color:#555;font-size:.9rem}"
    "svg{max-width:100%;height:auto}code{font-size:.92em}"
    "@media print{body{max-width:none}h2{break-after:avoid}}";

static void page_head(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    esc(f, title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
    esc(f, title);
    fputs("</h1>\n", f);
}

static void page_foot(FILE *f, const char *version)
{
    fputs("<p class=\"stamp\">Written by <code>faultline report</code> from the files of the run", f);
    if (version) {
        fputs(" (faultline ", f);
        esc(f, version);
        fputc(')', f);
    }
    fputs(". Every figure and chart is a pure function of the scenario, variant, seed and "
          "overrides: rerun the command above to reproduce it.</p>\n</body>\n</html>\n",
          f);
}

/* The story, the references and (for a run) what the variant changes. */
static void put_story(FILE *f, const scen_info *si, const char *const *variants, size_t nvar)
{
    const char *story = scen_str(si, "story");
    if (!si->doc)
        return;
    fputs("<h2>The story</h2>\n", f);
    if (story) {
        fputs("<p class=\"story\">", f);
        esc(f, story);
        fputs("</p>\n", f);
    }
    bool any = false;
    for (size_t i = 0; i < nvar; i++) {
        const char *about = scen_about(si, variants[i]);
        if (!about && strcmp(variants[i], "baseline") != 0)
            continue;
        if (!any)
            fputs("<ul>\n", f);
        any = true;
        fputs("<li><b>", f);
        esc(f, variants[i]);
        fputs("</b>: ", f);
        esc(f, about ? about : "the scenario as written, without a fix");
        fputs("</li>\n", f);
    }
    if (any)
        fputs("</ul>\n", f);
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(si->doc, "references");
    if (cJSON_GetArraySize(refs) > 0) {
        fputs("<p>References:</p>\n<ul>\n", f);
        for (const cJSON *r = refs->child; r; r = r->next)
            if (cJSON_IsString(r)) {
                fputs("<li>", f);
                esc(f, r->valuestring);
                fputs("</li>\n", f);
            }
        fputs("</ul>\n", f);
    }
}

/* "--set a=b --set c=d" from a summary's or a comparison's overrides. */
static void put_overrides(FILE *f, const cJSON *overrides)
{
    for (const cJSON *o = overrides ? overrides->child : NULL; o; o = o->next)
        if (cJSON_IsString(o)) {
            fputs(" --set ", f);
            esc(f, o->valuestring);
        }
}

/* Shaded windows from a run: the warm-up (grey) and every event with an end (faults). */
typedef struct shades {
    fl_svg_shade *v;
    size_t n;
} shades;

static fl_status shades_build(const run_data *r, shades *s)
{
    s->n = 0;
    s->v = fl_calloc((size_t)cJSON_GetArraySize(r->events) + 1 + 8, sizeof *s->v);
    if (!s->v)
        return FL_NOMEM;
    double warm = num(r->summary, "warmup_s");
    if (warm > 0)
        s->v[s->n++] = (fl_svg_shade){0, warm, "warm-up (not measured)", "#dddddd"};
    for (const cJSON *ev = r->events->child; ev; ev = ev->next) {
        double t0 = num(ev, "t_s"), t1 = num(ev, "until_s");
        if (!isfinite(t0) || !isfinite(t1))
            continue;
        const char *label = str(ev, "label");
        s->v[s->n++] = (fl_svg_shade){t0, t1, label ? label : str(ev, "event"), NULL};
    }
    /* Spans where no request of the first workload succeeded (lessons.c's rule), grey. */
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(r->summary, "workloads");
    if (r->ts && wls && wls->child) {
        double t0[8], t1[8];
        const char *wl = wls->child->string;
        int n =
            fl_dead_spans(fl_csv_column(r->ts, 0), fl_csv_find(r->ts, wl, ".ok_per_s"),
                          fl_csv_find(r->ts, wl, ".issued_per_s"), r->ts->nrows, warm, t0, t1, 8);
        for (int i = 0; i < n; i++)
            s->v[s->n++] = (fl_svg_shade){t0[i], t1[i], "no request succeeded", "#cfcfcf"};
    }
    return FL_OK;
}

/* ---- a run --------------------------------------------------------------------------- */

static void put_timeline(FILE *f, const run_data *r)
{
    fputs("<h2>Timeline</h2>\n", f);
    if (!r->events->child) {
        fputs("<p>No events.jsonl in this directory: no timeline.</p>\n", f);
        return;
    }
    fputs("<table>\n<tr><th>start (s)</th><th>end (s)</th><th>what</th></tr>\n", f);
    for (const cJSON *ev = r->events->child; ev; ev = ev->next) {
        const char *kind = str(ev, "event");
        double t0 = num(ev, "t_s"), t1 = num(ev, "until_s");
        /* A fault (it has an end) stands out from the run's own milestones. */
        fprintf(f, "<tr%s><td class=\"n\">", isfinite(t1) ? " class=\"fault\"" : "");
        put_fig(f, NULL, t0);
        fputs("</td><td class=\"n\">", f);
        if (isfinite(t1))
            put_fig(f, NULL, t1);
        fputs("</td><td>", f);
        if (!kind) {
            fputs("?", f);
        } else if (strcmp(kind, "run-start") == 0) {
            fputs("the run starts", f);
        } else if (strcmp(kind, "warmup-end") == 0) {
            fputs("the warm-up ends: figures are measured from here", f);
        } else if (strcmp(kind, "run-end") == 0) {
            fputs("the run ends", f);
        } else if (strcmp(kind, "stopped") == 0) {
            fputs("the run was stopped early: ", f);
            esc(f, str(ev, "because"));
        } else {
            esc(f, kind);
            const char *label = str(ev, "label");
            if (label) {
                fputs(": ", f);
                esc(f, label);
            }
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* A table with one column per child of `group` (workloads or nodes) and one row per
 * dotted path ("issued", "latency_ms.p99"); a figure with a "<name>_ci95" sibling shows
 * its 95% interval too. */
static void put_cell(FILE *f, const cJSON *item, const char *path)
{
    const cJSON *parent = item, *v = NULL;
    char key[256];
    for (const char *p = path;;) {
        size_t len = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)len, p);
        v = cJSON_GetObjectItemCaseSensitive(parent, key);
        if (!p[len] || !v)
            break;
        parent = v;
        p += len + 1;
    }
    fputs("<td class=\"n\">", f);
    put_value(f, path, v);
    char ci[300];
    snprintf(ci, sizeof ci, "%s_ci95", key);
    const cJSON *c = v ? cJSON_GetObjectItemCaseSensitive(parent, ci) : NULL;
    if (cJSON_IsNumber(v) && cJSON_IsNumber(c)) {
        fputs(" " PM " ", f);
        put_fig(f, path, c->valuedouble);
        snprintf(ci, sizeof ci, "%s_ci_why", key);
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(parent, ci);
        if (cJSON_IsString(why)) { /* the interval failed its independence test */
            fputs(" <span title=\"", f);
            esc(f, why->valuestring);
            fputs("\">(unreliable)</span>", f);
        }
    }
    fputs("</td>", f);
}

/* A growable list of row paths, unique, in order of first appearance. */
typedef struct rows {
    char **v;
    size_t n, cap;
    bool nomem;
} rows;

static void rows_add(rows *r, const char *path)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i], path) == 0)
            return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 32;
        char **nv = fl_realloc(r->v, cap * sizeof *nv);
        if (!nv) {
            r->nomem = true;
            return;
        }
        r->v = nv;
        r->cap = cap;
    }
    if (!(r->v[r->n] = fl_strdup(path)))
        r->nomem = true;
    else
        r->n++;
}

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        fl_free(r->v[i]);
    fl_free(r->v);
    memset(r, 0, sizeof *r);
}

/* Every figure of a node, flattened: intervals fold into their figure, a latency
 * distribution shows mean/p50/p99/max, error counts only when not zero. */
static void rows_flatten(rows *r, const cJSON *o, const char *prefix, int depth)
{
    for (const cJSON *it = o ? o->child : NULL; it; it = it->next) {
        if (!it->string || has_suffix(it->string, "_ci95") || has_suffix(it->string, "_ci999") ||
            has_suffix(it->string, "_ci_reliable") || has_suffix(it->string, "_ci_why"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s%s", prefix, it->string);
        if (cJSON_IsObject(it)) {
            if (depth >= 3)
                continue;
            char sub[520];
            snprintf(sub, sizeof sub, "%s.", path);
            if (cJSON_GetObjectItemCaseSensitive(it, "p50")) {
                static const char *const keep[] = {"mean", "p50", "p99", "max"};
                for (size_t k = 0; k < 4; k++) {
                    char leaf[600];
                    snprintf(leaf, sizeof leaf, "%s%s", sub, keep[k]);
                    rows_add(r, leaf);
                }
            } else if (has_suffix(it->string, "errors_by_cause")) {
                for (const cJSON *c = it->child; c; c = c->next)
                    if (cJSON_IsNumber(c) && c->valuedouble != 0) {
                        char leaf[600];
                        snprintf(leaf, sizeof leaf, "%s%s", sub, c->string);
                        rows_add(r, leaf);
                    }
            } else {
                rows_flatten(r, it, sub, depth + 1);
            }
        } else if (cJSON_IsNumber(it) || cJSON_IsBool(it) || cJSON_IsString(it)) {
            rows_add(r, path);
        }
    }
}

static fl_status put_group_table(FILE *f, const cJSON *group, const rows *rs,
                                 const char *const *labels)
{
    fputs("<table>\n<tr><th></th>", f);
    for (const cJSON *it = group->child; it; it = it->next) {
        fputs("<th>", f);
        esc(f, it->string);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t i = 0; i < rs->n; i++) {
        fputs("<tr><th>", f);
        esc(f, labels && labels[i] ? labels[i] : rs->v[i]);
        fputs("</th>", f);
        for (const cJSON *it = group->child; it; it = it->next)
            put_cell(f, it, rs->v[i]);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    return FL_OK;
}

/* Per workload: the figures a reader asks for first, in that order. */
static fl_status put_workloads(FILE *f, const cJSON *wls)
{
    fputs("<h2>Requests, per workload</h2>\n", f);
    if (!cJSON_GetArraySize(wls)) {
        fputs("<p>No workloads in the summary.</p>\n", f);
        return FL_OK;
    }
    rows rs = {0};
    static const char *const head[][2] = {
        {"target", "target node"},
        {"issued", "requests issued"},
        {"ok", "succeeded"},
        {"errors", "failed"},
    };
    static const char *const tail[][2] = {
        {"in_flight_at_end", "still in flight at the end"},
        {"error_rate", "error rate"},
        {"latency_ms.p50", "latency p50 (ms)"},
        {"latency_ms.p99", "latency p99 (ms)"},
        {"latency_ms.p999", "latency p99.9 (ms)"},
        {"latency_ms.max", "latency max (ms)"},
        {"throughput_per_s", "throughput (successes/s)"},
        {"goodput_per_s", "goodput (successes within the SLO/s)"},
        {"tries", "tries"},
        {"retry_amplification", "retry amplification (tries per request)"},
        {"recovery.recovered", "recovered after the faults"},
        {"recovery.recovery_s", "recovery time (s after the last fault)"},
        {"recovery.goodput_after_faults_per_s", "goodput after the faults (/s)"},
        {"recovery.note", "recovery note"},
    };
    const char *labels[128] = {0};
    char causes[32][96];
    size_t ncause = 0;
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++) {
        labels[rs.n] = head[i][1];
        rows_add(&rs, head[i][0]);
    }
    /* Errors by cause: only the causes that occurred somewhere. */
    for (const cJSON *w = wls->child; w; w = w->next) {
        const cJSON *by = cJSON_GetObjectItemCaseSensitive(w, "errors_by_cause");
        for (const cJSON *c = by ? by->child : NULL; c && ncause < 32; c = c->next) {
            if (!cJSON_IsNumber(c) || c->valuedouble == 0)
                continue;
            char path[96];
            snprintf(path, sizeof path, "errors_by_cause.%s", c->string);
            size_t before = rs.n;
            rows_add(&rs, path);
            if (rs.n > before && rs.n <= 128) {
                snprintf(causes[ncause], sizeof causes[ncause], "failed, cause: %s", c->string);
                labels[rs.n - 1] = causes[ncause++];
            }
        }
    }
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++) {
        bool present = false; /* recovery rows only when some workload has them */
        for (const cJSON *w = wls->child; w && !present; w = w->next) {
            char top[64];
            snprintf(top, sizeof top, "%.*s", (int)strcspn(tail[i][0], "."), tail[i][0]);
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(w, top);
            present = o && (!strchr(tail[i][0], '.') ||
                            cJSON_GetObjectItemCaseSensitive(o, strchr(tail[i][0], '.') + 1));
        }
        if (!present)
            continue;
        if (rs.n < 128)
            labels[rs.n] = tail[i][1];
        rows_add(&rs, tail[i][0]);
    }
    fl_status st = rs.nomem ? FL_NOMEM : put_group_table(f, wls, &rs, labels);
    rows_free(&rs);
    return st;
}

static fl_status put_nodes(FILE *f, const cJSON *nodes)
{
    fputs("<h2>Nodes</h2>\n", f);
    if (!cJSON_GetArraySize(nodes)) {
        fputs("<p>No nodes in the summary.</p>\n", f);
        return FL_OK;
    }
    rows rs = {0};
    for (const cJSON *n = nodes->child; n; n = n->next)
        rows_flatten(&rs, n, "", 0);
    fputs("<p>Every figure the summary gives, per node (" PM " is a 95% confidence interval; "
          "times in ms or s as the name says).</p>\n",
          f);
    fl_status st = rs.nomem ? FL_NOMEM : put_group_table(f, nodes, &rs, NULL);
    rows_free(&rs);
    return st;
}

/* One expectation's row: figure, check, actual, held or not; a calibrated one gets a second
 * row with its reason. */
static void put_expectation_row(FILE *f, const cJSON *x)
{
    const char *fig = str(x, "figure");
    const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "calibrated"));
    bool pass = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "pass"));
    fputs("<tr><td><code>", f);
    esc(f, fig);
    fputs("</code></td><td><code>", f);
    esc(f, str(x, "expect"));
    fputs("</code></td><td class=\"n\">", f);
    put_value(f, fig ? fig : "", cJSON_GetObjectItemCaseSensitive(x, "actual"));
    fprintf(f, "</td><td class=\"%s\">%s</td></tr>\n", pass ? "pass" : "fail",
            pass ? "held" : "FAILED");
    if (why) {
        fputs("<tr><td colspan=\"4\"><small>calibrated: ", f);
        esc(f, why);
        fputs("</small></td></tr>\n", f);
    }
}

static void put_expectations(FILE *f, const cJSON *summary)
{
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(summary, "expectations");
    const char *verdict = str(summary, "verdict");
    if (!cJSON_GetArraySize(ex) && !verdict)
        return;
    fputs("<h2>What the run must show</h2>\n", f);
    if (verdict) {
        bool pass = strcmp(verdict, "pass") == 0;
        fprintf(f, "<p>Verdict: <span class=\"%s\">", pass ? "pass" : "fail");
        esc(f, verdict);
        fputs("</span></p>\n", f);
    }
    if (!cJSON_GetArraySize(ex))
        return;
    fputs("<table>\n<tr><th>figure</th><th>expected</th><th>actual</th><th></th></tr>\n", f);
    /* Evidence first; the checks that restate a calibration follow under their own
     * heading: they show the model is set up as intended, not that it predicts the figure. */
    for (const cJSON *x = ex->child; x; x = x->next)
        if (!cJSON_GetObjectItemCaseSensitive(x, "calibrated"))
            put_expectation_row(f, x);
    int ncal = 0;
    for (const cJSON *x = ex->child; x; x = x->next)
        if (cJSON_GetObjectItemCaseSensitive(x, "calibrated")) {
            if (ncal++ == 0)
                fputs("<tr><th colspan=\"4\">Calibrated: these restate a parameter chosen "
                      "(not measured) so that the figure appears; not evidence</th></tr>\n", f);
            put_expectation_row(f, x);
        }
    fputs("</table>\n", f);
}

static void put_checks(FILE *f, const cJSON *summary)
{
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(summary, "checks");
    if (!cJSON_GetArraySize(ch))
        return;
    fputs("<p>Model checks:", f);
    for (const cJSON *c = ch->child; c; c = c->next) {
        bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "ok"));
        fputs(c == ch->child ? " " : "; ", f);
        esc(f, strcmp(c->string, "littles_law") == 0 ? "Little's law" : c->string);
        fprintf(f, " <span class=\"%s\">%s</span>", ok ? "pass" : "fail", ok ? "holds" : "FAILS");
    }
    fputs(".</p>\n", f);
}

static fl_status chart_out(FILE *f, const fl_svg_chart *c, const char *caption)
{
    fputs("<figure>\n", f);
    fl_status st = fl_svg_write(f, c);
    if (caption) {
        fputs("<figcaption>", f);
        esc(f, caption);
        fputs("</figcaption>\n", f);
    }
    fputs("</figure>\n", f);
    return st;
}

/* The workload or node names: prefixes of the columns ending in `suffix`, in order. */
static size_t prefixes(const fl_csv *t, const char *suffix, char (*out)[256], size_t max)
{
    size_t n = 0, ls = strlen(suffix);
    for (int c = 0; c < t->ncols && n < max; c++)
        if (has_suffix(t->names[c], suffix))
            snprintf(out[n++], 256, "%.*s", (int)(strlen(t->names[c]) - ls), t->names[c]);
    return n;
}

#define MAX_GROUP 64

static fl_status run_charts(FILE *f, const run_data *r, const char *stamp)
{
    fputs("<h2>Charts</h2>\n", f);
    if (!r->ts || r->ts->nrows == 0) {
        fputs("<p>No timeseries.csv in this directory: no charts.</p>\n", f);
        return FL_OK;
    }
    const fl_csv *t = r->ts;
    const double *x = fl_csv_column(t, 0);
    size_t n = t->nrows;
    shades sh;
    if (shades_build(r, &sh))
        return FL_NOMEM;
    fl_status st = FL_OK;
    char (*names)[256] = fl_malloc(MAX_GROUP * sizeof *names);
    fl_svg_series *ser = fl_calloc(6 * MAX_GROUP, sizeof *ser);
    char (*lab)[300] = fl_malloc(6 * MAX_GROUP * sizeof *lab);
    double *slo_y = NULL; /* the SLO lines' points, nslo lines of n */
    size_t nslo = 0, slo_of[6 * MAX_GROUP];
    if (!names || !ser || !lab) {
        st = FL_NOMEM;
        goto out;
    }
    const char *scn = str(r->summary, "scenario");
    char title[512];

    /* (a) latency percentiles, log scale: one colour per workload, p99 thick, p50 dashed. */
    size_t nw = prefixes(t, ".latency_p99_ms", names, MAX_GROUP), ns = 0;
    for (size_t i = 0; i < nw; i++) {
        const double *p99 = fl_csv_find(t, names[i], ".latency_p99_ms");
        const double *p50 = fl_csv_find(t, names[i], ".latency_p50_ms");
        if (!any_finite(p99, n))
            continue; /* nothing ended, no latency */
        snprintf(lab[ns], sizeof lab[ns], "%s p99", names[i]);
        ser[ns] = (fl_svg_series){lab[ns], x, p99, n, NULL, NULL, fl_svg_color(i), 2.5, false, 0};
        ns++;
        /* the workload's SLO, where it has one: a dotted line in its colour */
        const cJSON *wj = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r->summary, "workloads"), names[i]);
        double slo = num(wj, "slo_ms");
        if (slo > 0 && (slo_y = fl_realloc(slo_y, (nslo + 1) * n * sizeof *slo_y))) {
            for (size_t k = 0; k < n; k++)
                slo_y[nslo * n + k] = slo;
            snprintf(lab[ns], sizeof lab[ns], "%s SLO %.4g ms", names[i], slo);
            ser[ns] = (fl_svg_series){lab[ns], x, NULL, n, NULL, NULL, fl_svg_color(i), 1.5, false,
                                      2};
            slo_of[ns] = nslo++;
            ns++;
        }
        if (p50) {
            snprintf(lab[ns], sizeof lab[ns], "%s p50", names[i]);
            ser[ns] = (fl_svg_series){lab[ns], x, p50, n, NULL, NULL, fl_svg_color(i), 1.2, true, 0};
            ns++;
        }
    }
    for (size_t k = 0; k < ns; k++) /* the SLO lines' points, now that slo_y stays put */
        if (!ser[k].y)
            ser[k].y = slo_y ? slo_y + slo_of[k] * n : x;
    if (ns) {
        snprintf(title, sizeof title, "%s: latency percentiles over time", scn);
        fl_svg_chart c = {title, "time (s)", "latency (ms, log scale)", stamp, true, false, 0, 0,
                          ser, ns, sh.v, sh.n, NULL, 0};
        st = chart_out(f, &c, "Latency of the requests that ended in each time window, a "
                              "failure at the time its client gave up (log scale). A gap: no "
                              "request ended in that window.");
    } else {
        fputs("<p>No request ended: no latency chart.</p>\n", f);
    }

    /* (b) requests per second, one chart per workload. */
    nw = prefixes(t, ".issued_per_s", names, MAX_GROUP);
    for (size_t i = 0; i < nw && !st; i++) {
        static const char *const cols[][3] = {
            {".tries_per_s", "tries (first tries and retries)", "#cc79a7"},
            {".ok_per_s", "succeeded", "#009e73"},
            {".goodput_per_s", "goodput (within the SLO)", "#0072b2"},
            {".errors_per_s", "failed", "#d55e00"},
            {".issued_per_s", "issued", "#333333"}, /* last: on top, dashed, seen through */
        };
        ns = 0;
        for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
            const double *y = fl_csv_find(t, names[i], cols[k][0]);
            if (y)
                ser[ns++] = (fl_svg_series){cols[k][1], x, y, n, NULL, NULL, cols[k][2],
                                            k == 2 || k == 4 ? 1.5 : 2, k == 2 || k == 4, 0};
        }
        snprintf(title, sizeof title, "%s: requests per second, workload %s", scn, names[i]);
        fl_svg_chart c = {title, "time (s)", "requests per second", stamp, false, true, 0, 0,
                          ser, ns, sh.v, sh.n, NULL, 0};
        st = chart_out(f, &c, "Per time window: requests issued by the clients, tries sent "
                              "(retries included), successes, successes within the SLO (goodput) "
                              "and failures.");
    }

    /* (c) per node: requests held (queue + in service) and busy workers. */
    static const char *const node_charts[][4] = {
        {".in_system_max", "requests at each node (queue + in service)",
         "requests at the node (max per window)",
         "The most requests each node held in each window, waiting or in service: a queue "
         "that keeps growing after the fault is the sign of an overload that sustains itself."},
        {".busy", "busy workers at each node", "busy workers (end of window)",
         "Workers busy at the end of each window: at the worker count, the node is saturated."},
    };
    for (size_t k = 0; k < 2 && !st; k++) {
        nw = prefixes(t, node_charts[k][0], names, MAX_GROUP);
        ns = 0;
        for (size_t i = 0; i < nw; i++)
            ser[ns++] = (fl_svg_series){names[i],
                                        x,
                                        fl_csv_find(t, names[i], node_charts[k][0]),
                                        n,
                                        NULL,
                                        NULL,
                                        fl_svg_color(i),
                                        2,
                                        false,
                                        0};
        if (!ns)
            continue;
        snprintf(title, sizeof title, "%s: %s", scn, node_charts[k][1]);
        fl_svg_chart c = {title, "time (s)", node_charts[k][2], stamp, false, true, 0, 0,
                          ser, ns, sh.v, sh.n, NULL, 0};
        st = chart_out(f, &c, node_charts[k][3]);
    }
out:
    fl_free(names);
    fl_free(ser);
    fl_free(lab);
    fl_free(sh.v);
    fl_free(slo_y);
    return st;
}

/* The scenario file's "charts" list (the loader checked it), as an array of names into
 * doc; *n of them. */
static const char **scen_charts(const cJSON *doc, size_t *n)
{
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(doc, "charts");
    *n = 0;
    const char **v = cJSON_IsArray(cs) ? fl_calloc((size_t)cJSON_GetArraySize(cs) + 1, sizeof *v)
                                       : NULL;
    for (const cJSON *c = v ? cs->child : NULL; c; c = c->next)
        if (cJSON_IsString(c))
            v[(*n)++] = c->valuestring;
    return v;
}

/* The lesson charts (lessons.c's catalogue) first: what the incident teaches; the
 * scenario's "charts" before the others. */
static fl_status put_lessons(FILE *f, const run_data *r, const cJSON *doc, const char *stamp)
{
    const fl_csv *csv = r->ts;
    const char *events = r->ev_text;
    int n = 0;
    size_t norder = 0;
    const char **order = scen_charts(doc, &norder);
    fl_lesson *ls = csv ? fl_lessons_build(r->summary, events, csv, order, norder, &n) : NULL;
    fl_free(order);
    fl_status st = FL_OK;
    if (n)
        fputs("<h2>What this run shows</h2>\n", f);
    for (int i = 0; i < n && !st; i++) {
        const fl_lesson *l = &ls[i];
        int groups[64];
        double group_t[FL_LESSON_MAX_MARKS];
        char lines[FL_LESSON_MAX_MARKS][240];
        int ng = fl_lesson_number(l, groups, group_t, lines, FL_LESSON_MAX_MARKS);
        bool two = false;
        for (int k = 0; k < l->ns; k++)
            two |= l->s[k].panel == 1;
        fputs("<figure>\n", f);
        for (int p = 0; p <= (two ? 1 : 0) && !st; p++)
            st = fl_lesson_svg(f, l, p, csv, stamp);
        fputs("<figcaption>", f);
        if (l->note[0]) {
            esc(f, l->note);
            fputs(". ", f);
        }
        if (ng) {
            fputs("Numbered lines:<ol>", f);
            for (int g = 0; g < ng; g++) {
                fputs("<li>", f);
                esc(f, strchr(lines[g], 't') ? strchr(lines[g], 't') : lines[g]);
                fputs("</li>", f);
            }
            fputs("</ol>", f);
        }
        if (l->tick_note[0]) {
            fputs("Grey lines: ", f);
            esc(f, l->tick_note + strlen("ticks at the top: "));
            fputs(".", f);
        }
        fputs("</figcaption>\n</figure>\n", f);
    }
    fl_free(ls);
    return st;
}

static fl_status write_run(FILE *f, const char *dir, const scen_info *si, fl_error *e)
{
    run_data r;
    fl_status st = run_load(dir, &r, e);
    if (st) {
        run_free(&r);
        return st;
    }
    const cJSON *s = r.summary;
    const char *scn = str(s, "scenario"), *var = str(s, "variant"), *ver = str(s, "faultline_version");
    const char *title = str(s, "title");
    double seed = num(s, "seed");
    if (!var)
        var = "baseline";
    char stamp[600];
    snprintf(stamp, sizeof stamp, "%s [%s] seed %.0f - faultline %s", scn, var, seed,
             ver ? ver : "?");
    page_head(f, title && title[0] ? title : scn);

    fputs("<p class=\"stamp\">scenario <code>", f);
    esc(f, scn);
    fputs("</code> &middot; variant <code>", f);
    esc(f, var);
    fprintf(f, "</code> &middot; seed %.0f &middot; faultline ", seed);
    esc(f, ver ? ver : "?");
    if (str(s, "event_hash")) {
        fputs(" &middot; event hash <code>", f);
        esc(f, str(s, "event_hash"));
        fputs("</code>", f);
    }
    fputs("<br>reproduce: <code>faultline run ", f);
    esc(f, si->path ? si->path : "SCENARIO.json");
    fputs(" --variant ", f);
    esc(f, var);
    fprintf(f, " --seed %.0f", seed);
    put_overrides(f, cJSON_GetObjectItemCaseSensitive(s, "overrides"));
    fputs("</code></p>\n", f);
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "complete"))) {
        fputs("<p class=\"warn\">This run stopped early (", f);
        esc(f, str(s, "stopped_because"));
        fputs("): its figures cover ", f);
        put_fig(f, NULL, num(s, "simulated_s"));
        fputs(" s of simulated time and no expectation was judged.</p>\n", f);
    }
    const char *one[1] = {var};
    st = put_lessons(f, &r, si->doc, stamp);
    put_story(f, si, one, 1);
    put_timeline(f, &r);
    put_expectations(f, s);
    if (!st && !(st = put_workloads(f, cJSON_GetObjectItemCaseSensitive(s, "workloads"))) &&
        !(st = put_nodes(f, cJSON_GetObjectItemCaseSensitive(s, "nodes")))) {
        put_checks(f, s);
        st = run_charts(f, &r, stamp);
    }
    if (st == FL_NOMEM)
        fl_error_set(e, st, NULL, "out of memory writing the report");
    page_foot(f, ver);
    run_free(&r);
    return st;
}

/* ---- a comparison -------------------------------------------------------------------- */

static void put_verdict_cell(FILE *f, const char *v, const char *why)
{
    const char *cls = !v ? "same" : strcmp(v, "better") == 0 ? "better"
                                  : strcmp(v, "worse") == 0  ? "worse"
                                                             : "same";
    fprintf(f, "<td class=\"%s\">", cls);
    esc(f, v ? v : DASH);
    if (why) {
        fputs("<br><small>", f);
        esc(f, why);
        fputs("</small>", f);
    }
    fputs("</td>", f);
}

/* The comparison's table and lessons, in compare.json's own words ("value", "diff_text",
 * "verdict", "why", "lessons"): the terminal, this page and the dashboard say the same. */
static void put_compare_table(FILE *f, const cJSON *cmp)
{
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(cmp, "variants");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(cmp, "metrics");
    int nvar = cJSON_GetArraySize(vars);
    fputs("<h2>Comparison</h2>\n", f);
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(cmp, "lessons");
    if (cJSON_GetArraySize(ls)) {
        fputs("<p>What changed, against <b>", f);
        esc(f, str(cmp, "reference"));
        fputs("</b>:</p>\n<ul class=\"lessons\">\n", f);
        for (const cJSON *l = ls->child; l; l = l->next) {
            fputs("<li>", f);
            esc(f, str(l, "text"));
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    }
    fputs("<p>Confidence intervals: ", f);
    esc(f, str(cmp, "confidence"));
    fputs(". Each difference is from <b>", f);
    esc(f, str(cmp, "reference"));
    fprintf(f, "</b>; a verdict is <span class=\"better\">better</span> or "
               "<span class=\"worse\">worse</span> only when the difference's interval excludes 0 "
               "and the difference is at least the minimum effect (%g%% of the reference), else "
               "negligible; a figure some run lacks is n/a and not comparable; a duration a run "
               "did not observe (not recovered) counts as the time left in the run, a bound.</p>\n"
               "<table>\n<tr><th>figure</th><th>variant</th><th>value " PM " CI95</th>"
               "<th>difference " PM " CI95</th><th>verdict</th></tr>\n",
            100 * num(cmp, "min_effect"));
    for (const cJSON *m = ms ? ms->child : NULL; m; m = m->next) {
        const char *metric = str(m, "metric");
        const char *better = str(m, "better");
        const cJSON *by = cJSON_GetObjectItemCaseSensitive(m, "by_variant");
        bool first = true;
        for (const cJSON *v = vars ? vars->child : NULL; v; v = v->next) {
            if (!cJSON_IsString(v))
                continue;
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(by, v->valuestring);
            fputs("<tr>", f);
            if (first) {
                fprintf(f, "<th rowspan=\"%d\"><code>", nvar);
                esc(f, metric);
                fputs("</code><br><small>", f);
                esc(f, str(m, "type"));
                if (better && strcmp(better, "neither") != 0) {
                    fputs("; ", f);
                    esc(f, better);
                    fputs(" is better", f);
                }
                fputs("</small></th>", f);
                first = false;
            }
            fputs("<td>", f);
            esc(f, v->valuestring);
            fputs("</td><td class=\"n\">", f);
            esc(f, str(o, "value") ? str(o, "value") : "n/a");
            fputs("</td><td class=\"n\">", f);
            if (str(o, "diff_text"))
                esc(f, str(o, "diff_text"));
            fputs("</td>", f);
            put_verdict_cell(f, str(o, "verdict"), str(o, "why"));
            fputs("</tr>\n", f);
        }
    }
    fputs("</table>\n", f);
}

/* The runs of one variant, seeds 1..N; a missing or unreadable run is left out (the
 * report says how many runs each chart rests on). */
typedef struct variant_runs {
    const char *name;
    run_data *runs; /* nseeds entries; runs[s].summary NULL when missing */
    size_t found;
} variant_runs;

static double median_of(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) /* insertion sort: n is the number of seeds */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double tmp = v[j];
            v[j] = v[j - 1];
            v[j - 1] = tmp;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static fl_status put_svg(FILE *f, void *ctx) { return fl_svg_write(f, ctx); }

/* With charts_dir, each overlay chart is also written there as a file of its own,
 * overlay-<workload>-<goodput|latency-p99>.svg, to paste on a slide. */
static fl_status compare_charts(FILE *f, const variant_runs *vr, size_t nvar, size_t nseeds,
                                const run_data *ref, const char *scn, const char *stamp,
                                const char *charts_dir, fl_error *e)
{
    fputs("<h2>Charts</h2>\n", f);
    if (!ref || !ref->ts || ref->ts->nrows == 0 || nvar == 0) {
        fputs("<p>The runs' time series are missing (was the comparison run with "
              "<code>--no-files</code>?): no charts.</p>\n",
              f);
        return FL_OK;
    }
    size_t n = ref->ts->nrows;
    const double *x = fl_csv_column(ref->ts, 0);
    shades sh;
    if (shades_build(ref, &sh))
        return FL_NOMEM;
    fl_status st = FL_OK;
    char (*names)[256] = fl_malloc(MAX_GROUP * sizeof *names);
    fl_svg_series *ser = fl_calloc(nvar, sizeof *ser);
    double *buf = fl_malloc(3 * nvar * n * sizeof *buf);
    double *vals = fl_malloc((nseeds ? nseeds : 1) * sizeof *vals);
    if (!names || !ser || !buf || !vals) {
        st = FL_NOMEM;
        goto out;
    }
    static const char *const metrics[][5] = {
        {".goodput_per_s", "goodput", "goodput (requests/s)", "", "goodput"},
        {".latency_p99_ms", "latency p99", "latency p99 (ms, log scale)", "log", "latency-p99"},
    };
    size_t nw = prefixes(ref->ts, ".goodput_per_s", names, MAX_GROUP);
    for (size_t w = 0; w < nw && !st; w++) {
        for (size_t m = 0; m < 2 && !st; m++) {
            for (size_t v = 0; v < nvar; v++) {
                double *med = buf + 3 * v * n, *lo = med + n, *hi = lo + n;
                for (size_t i = 0; i < n; i++) {
                    size_t k = 0;
                    for (size_t s = 0; s < nseeds; s++) {
                        const run_data *r = &vr[v].runs[s];
                        if (!r->ts || i >= r->ts->nrows)
                            continue;
                        const double *col = fl_csv_find(r->ts, names[w], metrics[m][0]);
                        if (col && isfinite(col[i]))
                            vals[k++] = col[i];
                    }
                    med[i] = k ? median_of(vals, k) : NAN;
                    lo[i] = k ? vals[0] : NAN;
                    hi[i] = k ? vals[k - 1] : NAN;
                }
                ser[v] = (fl_svg_series){vr[v].name, x, med, n, lo, hi, fl_svg_color(v), 2, false, 0};
            }
            char title[600], cap[400];
            snprintf(title, sizeof title, "%s: %s, workload %s", scn, metrics[m][1], names[w]);
            snprintf(cap, sizeof cap, "Per time window, the median over the seeds of each "
                                      "variant (line) and the range from the lowest to the highest "
                                      "seed (band).%s",
                     m == 1 ? " A gap: no request ended in that window in any seed." : "");
            fl_svg_chart c = {title, "time (s)", metrics[m][2], stamp, m == 1, m == 0, 0, 0,
                              ser, nvar, sh.v, sh.n, NULL, 0};
            st = chart_out(f, &c, cap);
            if (!st && charts_dir) {
                char path[4400];
                snprintf(path, sizeof path, "%s/overlay-%s-%s.svg", charts_dir, names[w],
                         metrics[m][4]);
                st = fl_file_write_atomic(path, put_svg, &c, e);
            }
        }
    }
out:
    fl_free(names);
    fl_free(ser);
    fl_free(buf);
    fl_free(vals);
    fl_free(sh.v);
    return st;
}

typedef struct overlay_job {
    const char *name;
    const fl_run_files *const *runs;
    const char *const *variants;
    size_t nvar;
    int panel;
    const char *stamp;
} overlay_job;

static fl_status put_overlay(FILE *f, void *ctx)
{
    const overlay_job *o = ctx;
    return fl_lesson_compare_svg(f, o->name, o->runs, o->variants, o->nvar, o->panel, o->stamp);
}

/* The lesson charts overlaid per variant (each variant's seed 1), the scenario's "charts"
 * first; with charts_dir, each also as overlay-<lesson chart>.svg (and -2 for a second
 * panel). */
static fl_status compare_lessons(FILE *f, const char *dir, const cJSON *doc,
                                 const char *const *vnames, size_t nvar, const char *stamp,
                                 const char *charts_dir, fl_error *e)
{
    fl_run_files *runs = fl_calloc(nvar ? nvar : 1, sizeof *runs);
    const fl_run_files **rp = fl_calloc(nvar ? nvar : 1, sizeof *rp);
    size_t norder = 0;
    const char **order = scen_charts(doc, &norder);
    fl_status st = FL_NOMEM;
    fl_lesson *ls = NULL;
    int n = 0;
    if (!runs || !rp)
        goto out;
    for (size_t v = 0; v < nvar; v++) {
        char rd[4400];
        snprintf(rd, sizeof rd, "%s/runs/%s-seed1", dir, vnames[v]);
        if (fl_run_files_read(rd, &runs[v]) == FL_OK && runs[v].csv) {
            rp[v] = &runs[v];
            if (!ls)
                ls = fl_lessons_build(runs[v].summary, runs[v].events, runs[v].csv, order,
                                      norder, &n);
        }
    }
    st = FL_OK;
    if (n)
        fputs("<h2>What the variants show</h2>\n", f);
    for (int i = 0; i < n && !st; i++) {
        bool two = false;
        for (int k = 0; k < ls[i].ns; k++)
            two |= ls[i].s[k].panel == 1;
        fputs("<figure>\n", f);
        for (int p = 0; p <= (two ? 1 : 0) && !st; p++) {
            overlay_job o = {ls[i].name, rp, vnames, nvar, p, stamp};
            st = put_overlay(f, &o);
            if (!st && charts_dir) {
                char path[4400];
                snprintf(path, sizeof path, "%s/overlay-%s%s.svg", charts_dir, ls[i].name,
                         p ? "-2" : "");
                st = fl_file_write_atomic(path, put_overlay, &o, e);
            }
        }
        fputs("<figcaption>Lesson chart <code>", f);
        esc(f, ls[i].name);
        fputs("</code> of each variant's seed-1 run: one colour per variant (the same as in "
              "the charts below), a line style per metric; shaded: the first variant's faults "
              "and triggers.</figcaption>\n</figure>\n", f);
    }
out:
    for (size_t v = 0; runs && v < nvar; v++)
        fl_run_files_free(&runs[v]);
    fl_free(runs);
    fl_free(rp);
    fl_free(order);
    fl_free(ls);
    return st;
}

static fl_status write_compare(FILE *f, const char *dir, const char *scenario_file,
                               const char *charts_dir, fl_error *e)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/compare.json", dir);
    cJSON *cmp;
    fl_status st = load_json(path, &cmp, e);
    if (st)
        return st;
    const char *scn = str(cmp, "scenario");
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(cmp, "variants");
    double seeds_d = num(cmp, "seeds");
    if (!scn || !cJSON_IsArray(vars) || !(seeds_d >= 1 && seeds_d <= 1e6)) {
        cJSON_Delete(cmp);
        return fl_error_set(e, FL_SYNTAX, NULL, "%s is not a faultline comparison (no scenario, "
                                                "variants or seeds)", path);
    }
    size_t nseeds = (size_t)seeds_d, nvar = (size_t)cJSON_GetArraySize(vars);
    scen_info si;
    variant_runs *vr = fl_calloc(nvar ? nvar : 1, sizeof *vr);
    const char **vnames = fl_calloc(nvar ? nvar : 1, sizeof *vnames);
    if ((st = scen_load(scenario_file, scn, &si, e)))
        goto out;
    if (!vr || !vnames) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto out;
    }
    /* Every run of every variant: the charts need them all at once. */
    size_t v = 0;
    for (const cJSON *it = vars->child; it; it = it->next, v++) {
        vr[v].name = vnames[v] = cJSON_IsString(it) ? it->valuestring : "?";
        if (!(vr[v].runs = fl_calloc(nseeds, sizeof *vr[v].runs))) {
            st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
            goto out;
        }
        for (size_t s = 0; s < nseeds; s++) {
            snprintf(path, sizeof path, "%s/runs/%s-seed%zu", dir, vr[v].name, s + 1);
            char sum[4400];
            snprintf(sum, sizeof sum, "%s/summary.json", path);
            if (!is_file(sum))
                continue;
            if ((st = run_load(path, &vr[v].runs[s], e))) {
                if (st == FL_NOMEM)
                    goto out;
                run_free(&vr[v].runs[s]); /* a damaged run is left out, like a missing one */
                fl_error_clear(e);
                st = FL_OK;
                continue;
            }
            vr[v].found++;
        }
    }
    const run_data *ref = NULL;
    for (size_t s = 0; s < nseeds && nvar && !ref; s++)
        if (vr[0].runs[s].summary)
            ref = &vr[0].runs[s];
    const char *title = ref ? str(ref->summary, "title") : NULL;
    const char *ver = ref ? str(ref->summary, "faultline_version") : NULL;
    page_head(f, title && title[0] ? title : scn);
    fputs("<p class=\"stamp\">comparison &middot; scenario <code>", f);
    esc(f, scn);
    fputs("</code> &middot; variants ", f);
    for (size_t i = 0; i < nvar; i++) {
        fputs(i ? ", <code>" : "<code>", f);
        esc(f, vnames[i]);
        fputs("</code>", f);
    }
    fprintf(f, " &middot; seeds 1&ndash;%zu &middot; faultline ", nseeds);
    esc(f, ver ? ver : "?");
    fputs("<br>reproduce: <code>faultline compare ", f);
    esc(f, si.path ? si.path : "SCENARIO.json");
    fputs(" --variants ", f);
    for (size_t i = 0; i < nvar; i++) {
        fputs(i ? "," : "", f);
        esc(f, vnames[i]);
    }
    fprintf(f, " --seeds %zu", nseeds);
    put_overrides(f, cJSON_GetObjectItemCaseSensitive(cmp, "overrides"));
    fputs("</code></p>\n", f);
    put_story(f, &si, vnames, nvar);
    put_compare_table(f, cmp);
    for (size_t i = 0; i < nvar; i++)
        if (vr[i].found < nseeds) {
            fputs("<p class=\"warn\">Variant <code>", f);
            esc(f, vnames[i]);
            fprintf(f, "</code>: %zu of %zu runs found under runs/; its chart lines rest on those.</p>\n",
                    vr[i].found, nseeds);
        }
    char stamp[800];
    snprintf(stamp, sizeof stamp, "%s: ", scn);
    for (size_t i = 0; i < nvar; i++)
        snprintf(stamp + strlen(stamp), sizeof stamp - strlen(stamp), "%s%s", i ? " vs " : "",
                 vnames[i]);
    snprintf(stamp + strlen(stamp), sizeof stamp - strlen(stamp), ", seeds 1-%zu - faultline %s",
             nseeds, ver ? ver : "?");
    if ((st = compare_lessons(f, dir, si.doc, vnames, nvar, stamp, charts_dir, e)) ||
        (st = compare_charts(f, vr, nvar, nseeds, ref, scn, stamp, charts_dir, e)))
        if (st == FL_NOMEM || e->status == FL_OK) /* a chart file's failure says itself */
            fl_error_set(e, st, NULL, "%s", st == FL_NOMEM ? "out of memory writing the report"
                                                           : "cannot write the report");
    page_foot(f, ver);
out:
    for (size_t i = 0; vr && i < nvar; i++) {
        for (size_t s = 0; vr[i].runs && s < nseeds; s++)
            run_free(&vr[i].runs[s]);
        fl_free(vr[i].runs);
    }
    fl_free(vr);
    fl_free(vnames);
    cJSON_Delete(si.doc);
    cJSON_Delete(cmp);
    return st;
}

/* ---- entry --------------------------------------------------------------------------- */

/* What write_report needs: a run (si set) or a comparison (si NULL). */
typedef struct report_job {
    const char *charts_dir;
    const char *dir, *scenario_file;
    scen_info *si;
    fl_error *e;
} report_job;

static fl_status write_report(FILE *f, void *ctx)
{
    report_job *j = ctx;
    return j->si ? write_run(f, j->dir, j->si, j->e)
                 : write_compare(f, j->dir, j->scenario_file, j->charts_dir, j->e);
}

fl_status fl_report_write(const char *dir, const char *out_file, const char *scenario_file,
                          fl_error *e)
{
    return fl_report_write_charts(dir, out_file, scenario_file, NULL, e);
}

fl_status fl_report_write_charts(const char *dir, const char *out_file, const char *scenario_file,
                                 const char *charts_dir, fl_error *e)
{
    fl_error_clear(e);
    struct stat dst;
    if (!dir || stat(dir, &dst) != 0)
        return fl_error_set(e, FL_USAGE, NULL, "%s: no such directory; pass a directory written "
                                               "by 'faultline run' or 'faultline compare'",
                            dir ? dir : "(none)");
    if (!S_ISDIR(dst.st_mode))
        return fl_error_set(e, FL_USAGE, NULL, "%s is not a directory; pass a directory written by "
                                               "'faultline run' or 'faultline compare'", dir);
    char summary[4200], compare[4200], out[4200];
    snprintf(summary, sizeof summary, "%s/summary.json", dir);
    snprintf(compare, sizeof compare, "%s/compare.json", dir);
    bool run = is_file(summary), cmp = !run && is_file(compare);
    if (!run && !cmp)
        return fl_error_set(e, FL_USAGE, NULL,
                            "%s holds neither summary.json (a run: faultline run SCENARIO --out "
                            "DIR) nor compare.json (faultline compare SCENARIO --out DIR)",
                            dir);
    snprintf(out, sizeof out, "%s", out_file ? out_file : "");
    if (!out_file)
        snprintf(out, sizeof out, "%s/report.html", dir);

    /* Scenario problems are the user's to fix: find them before creating any file. */
    scen_info si = {0};
    fl_status st = FL_OK;
    if (run && scenario_file) {
        cJSON *s = NULL;
        if ((st = load_json(summary, &s, e)) == FL_OK)
            st = scen_load(scenario_file, str(s, "scenario"), &si, e);
        cJSON_Delete(s);
        if (st) {
            cJSON_Delete(si.doc);
            return st;
        }
    }
    report_job job = {run ? NULL : charts_dir, dir, scenario_file, run ? &si : NULL, e};
    st = fl_file_write_atomic(out, write_report, &job, e);
    cJSON_Delete(si.doc);
    return st;
}
