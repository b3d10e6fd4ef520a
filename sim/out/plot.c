/* Charts from a run directory: see plot.h.
 *
 * Each chart is one self-contained script, charts/<name>.gp: the variables (data file,
 * title, stamp, shaded windows, series names), then the shared template and the chart's
 * template, once for PNG and once for SVG. A reader can edit and rerun it with
 * `cd RUN_DIR/charts && gnuplot latency.gp`. */
#include "out/plot.h"
#include "out/files.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <faultline/name.h>
#include <faultline/time.h>

#include "core/alloc.h"
#include "out/lessons.h"
#include "out/svg.h"
#include "model/world.h"

static char *slurp(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = fl_malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = 0;
    return buf;
}

static const char *template_text(const char *name)
{
    for (const fl_gp_template *t = fl_gp_templates; t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t->text;
    return "";
}

/* Writes s as one gnuplot single-quoted string, quotes included. Text from a run's files
 * (titles, fault labels, sweep values) must never be interpreted: gnuplot substitutes
 * `backquoted commands` inside double quotes, but a single-quoted string has no escapes
 * and no substitution at all; its one special character, the quote, is doubled. Control
 * characters (a newline would end the command) become spaces. */
static void put_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc((unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s, f);
    }
    fputc('\'', f);
}

/* Writes s into a '#' comment: printable ASCII only, and no backslash (gnuplot continues a
 * comment that ends in one onto the next line, which would then be a command). */
static void put_comment(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7F || *s == '\\' ? '?' : *s, f);
}

typedef struct chart {
    const char *name;
    const char *heading; /* after "<title>: " */
    const char *series;  /* "workloads", "nodes", or NULL: the CSV columns matching `match` */
    bool successes;      /* only workloads with latency to draw (a request ended, not instantly) */
    const char *match;   /* column charts: a column belongs when its name contains this */
    const char *ylabel;  /* column charts: the y axis, with its unit */
    const char *template_name; /* column charts share one template */
} chart;

/* The fixed charts; then (kind_charts) one chart per series a kind's descriptor declares
 * that the run's nodes of that kind wrote: one line per column, so a chart appears only
 * when its columns exist. */
static const chart charts[] = {
    {"latency", "latency percentiles over time", "workloads", true, NULL, NULL, NULL},
    {"throughput", "requests per second: issued, succeeded, failed", "workloads", false, NULL,
     NULL, NULL},
    {"nodes", "requests at each node (queue + in service)", "nodes", false, ".in_system_max",
     NULL, NULL},
    {"consistency", "consistency anomalies over time (by the read's start)", NULL, false,
     "consistency.", "anomalies per second", "columns"},
};

/* The header of timeseries.csv (one line, malloc'd) or NULL. */
static char *csv_header(const char *run_dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/timeseries.csv", run_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = fl_malloc(cap);
    int c;
    while (buf && (c = fgetc(f)) != EOF && c != '\n' && n + 1 < cap)
        buf[n++] = (char)c;
    fclose(f);
    if (buf)
        buf[n] = 0;
    return buf;
}

/* Does a column name contain one of the '|'-separated parts of match? */
static bool matches(const char *col, const char *match)
{
    for (const char *m = match; m && *m;) {
        const char *bar = strchr(m, '|');
        size_t len = bar ? (size_t)(bar - m) : strlen(m);
        for (const char *c = col; *c; c++)
            if (strncmp(c, m, len) == 0)
                return true;
        m = bar ? bar + 1 : NULL;
    }
    return false;
}

/* Space-separated CSV columns whose name matches `match` (see matches()). */
static void column_names(const char *header, const char *match, char *buf, size_t n)
{
    size_t w = 0;
    buf[0] = 0;
    for (const char *p = header; p && *p && w < n;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char col[256];
        snprintf(col, sizeof col, "%.*s", (int)(len < 255 ? len : 255), p);
        if (matches(col, match) && !strchr(col, ' ') && !strchr(col, '"'))
            w += (size_t)snprintf(buf + w, n - w, "%s%s", w ? " " : "", col);
        p = comma ? comma + 1 : NULL;
    }
}

/* Space-separated names of the summary's workloads or of its nodes that have a queue (their
 * "<name><match>" column is in the CSV header). */
static void series_names(const cJSON *summary, const char *header, const chart *c, char *buf,
                         size_t n)
{
    size_t w = 0;
    buf[0] = 0;
    const char *which = c->series;
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(summary, which);
    for (const cJSON *it = o ? o->child : NULL; it && w < n; it = it->next) {
        if (c->match) {
            char col[300];
            snprintf(col, sizeof col, "%s%s", it->string, c->match);
            const char *hit = header ? strstr(header, col) : NULL;
            size_t l = strlen(col);
            if (!hit || !(hit == header || hit[-1] == ',') || !(hit[l] == ',' || hit[l] == 0))
                continue;
        }
        const cJSON *lat = cJSON_GetObjectItemCaseSensitive(it, "latency_ms");
        if (c->successes &&
            !(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(lat, "count")) > 0 &&
              cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(lat, "max")) > 0))
            continue; /* nothing ended, or only instantly: nothing to draw on a log scale */
        w += (size_t)snprintf(buf + w, n - w, "%s%s", w ? " " : "", it->string);
    }
}

/* A chart of a kind's declared series (world.h's fl_kind_series). */
typedef struct kind_chart {
    char name[96];     /* <kind>-<series>, e.g. store-lag-s */
    char heading[300];
    char ylabel[300];
    char series[4096]; /* space-separated CSV columns */
    char titles[4096]; /* their legend texts, node or node/part: no metric path */
} kind_chart;

/* Does column col (NODE.rest) belong to series suffix ("lag_s.*": any part after "lag_s.")?
 * *part gets what the '*' stood for. */
static bool series_match(const char *rest, const char *suffix, const char **part)
{
    size_t l = strlen(suffix);
    *part = NULL;
    if (l >= 1 && suffix[l - 1] == '*') {
        if (strncmp(rest, suffix, l - 1) != 0 || !rest[l - 1])
            return false;
        *part = rest + l - 1;
        return true;
    }
    return strcmp(rest, suffix) == 0;
}

/* The charts the run's kinds declare; malloc'd array, *n of them. */
static kind_chart *kind_charts(const cJSON *summary, const char *header, int *n)
{
    *n = 0;
    size_t nk = 0;
    const fl_component_ops *const *kinds = fl_kinds(&nk);
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(summary, "nodes");
    kind_chart *out = NULL;
    int cap = 0;
    for (size_t k = 0; k < nk; k++)
        for (const fl_kind_series *ks = kinds[k]->series; ks && ks->suffix; ks++) {
            if (strcmp(ks->suffix, "in_system_max") == 0)
                continue; /* the nodes chart */
            kind_chart kc;
            memset(&kc, 0, sizeof kc);
            size_t ws = 0, wt = 0;
            for (const char *p = header; p && *p;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                char col[256];
                snprintf(col, sizeof col, "%.*s", (int)(len < 255 ? len : 255), p);
                p = comma ? comma + 1 : NULL;
                char *dot = strchr(col, '.');
                if (!dot)
                    continue;
                *dot = 0;
                const cJSON *nd = cJSON_GetObjectItemCaseSensitive(nodes, col);
                const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(nd, "kind"));
                const char *part;
                if (!kind || strcmp(kind, kinds[k]->kind) != 0 || !series_match(dot + 1, ks->suffix, &part))
                    continue;
                *dot = '.';
                if (ws + len + 2 >= sizeof kc.series || wt + len + 2 >= sizeof kc.titles)
                    break;
                ws += (size_t)snprintf(kc.series + ws, sizeof kc.series - ws, "%s%s", ws ? " " : "", col);
                *dot = 0;
                wt += (size_t)snprintf(kc.titles + wt, sizeof kc.titles - wt, "%s%s%s%s",
                                       wt ? " " : "", col, part ? "/" : "", part ? part : "");
            }
            if (!ws)
                continue;
            size_t w = (size_t)snprintf(kc.name, sizeof kc.name, "%s-", kinds[k]->kind);
            for (const char *c = ks->suffix; *c && w + 1 < sizeof kc.name; c++)
                if (*c != '*' && !(*c == '.' && (c[1] == '*' || !c[1])))
                    kc.name[w++] = *c == '_' || *c == '.' ? '-' : *c;
            kc.name[w] = 0;
            for (char *c = kc.name; *c; c++)
                *c = *c == '_' ? '-' : *c;
            snprintf(kc.heading, sizeof kc.heading, "%s: %s", kinds[k]->kind, ks->doc);
            snprintf(kc.ylabel, sizeof kc.ylabel, "%.200s (%s)", ks->doc, ks->unit);
            if (*n == cap) {
                int nc = cap ? cap * 2 : 8;
                kind_chart *g = fl_realloc(out, (size_t)nc * sizeof *g);
                if (!g)
                    return out;
                out = g;
                cap = nc;
            }
            out[(*n)++] = kc;
        }
    return out;
}

/* Shaded windows, one per line "t0 t1 label": the warm-up, and every event with an
 * "until_s" (faults). */
static void shade_list(const cJSON *summary, const char *events, char *buf, size_t n)
{
    size_t w = 0;
    buf[0] = 0;
    double warm = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(summary, "warmup_s"));
    if (warm > 0)
        w += (size_t)snprintf(buf, n, "0 %.9g warm-up (not measured)\n", warm);
    for (const char *line = events; line && *line && w < n;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        cJSON *ev = cJSON_ParseWithLength(line, len);
        const cJSON *until = cJSON_GetObjectItemCaseSensitive(ev, "until_s");
        if (cJSON_IsNumber(until)) {
            const char *label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "label"));
            if (!label)
                label = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "event"));
            w += (size_t)snprintf(buf + w, n - w, "%.9g %.9g %.60s\n",
                                  cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ev, "t_s")),
                                  until->valuedouble, label ? label : "fault");
        }
        cJSON_Delete(ev);
        line = nl ? nl + 1 : NULL;
    }
}

/* One shaded rectangle and a label (plain text, not gnuplot's enhanced markup) per window.
 * Labels sit at alternating heights so neighbouring windows stay readable. */
static void put_shades(FILE *f, const char *shades)
{
    int i = 0;
    for (const char *line = shades; *line; i++) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        double t0, t1;
        int used = 0;
        char row[160];
        snprintf(row, sizeof row, "%.*s", (int)(len < 159 ? len : 159), line);
        if (sscanf(row, "%lf %lf %n", &t0, &t1, &used) == 2) {
            bool grey = (i == 0 && strstr(row, "warm-up")) || strstr(row, "no request succeeded");
            fprintf(f, "set object %d rect from %.9g, graph 0 to %.9g, graph 1 back fc rgb \"%s\" "
                       "fs solid 0.35 noborder\n",
                    i + 1, t0, t1, grey ? "#cfcfcf" : "#f2c2c2");
            fprintf(f, "set label %d ", 101 + i);
            put_str(f, row + used);
            fprintf(f, " at %.9g, graph %.2f left noenhanced font \",10\" tc rgb \"#aa3333\"\n",
                    t0, 0.97 - 0.05 * (i % 3));
        }
        line += len + (nl != NULL);
    }
}

/* Drops the template's `load gpdir...` line: the common part is inlined instead. */
static void put_template(FILE *f, const char *text)
{
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (strncmp(line, "load gpdir", 10) != 0)
            fwrite(line, 1, len, f);
        line += len;
    }
}

/* Runs `gnuplot SCRIPT...` in dir (one process for them all, its output appended to
 * dir/gnuplot.log): its exit status, or -1 when it could not be run. */
static int run_gnuplot(const char *dir, char *const *scripts, size_t n)
{
    char **argv = fl_malloc((n + 2) * sizeof *argv); /* before fork: the child allocates nothing */
    if (!argv)
        return -1;
    argv[0] = "gnuplot";
    for (size_t i = 0; i < n; i++)
        argv[i + 1] = scripts[i];
    argv[n + 1] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        fl_free(argv);
        return -1;
    }
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(126);
        int log = open("gnuplot.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
            dup2(log, 2);
            dup2(log, 1);
        }
        execvp("gnuplot", argv);
        _exit(127);
    }
    fl_free(argv);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The scripts of one drawing, drawn together by one gnuplot: starting gnuplot and loading
 * its fonts costs about as much as drawing a chart (retry-storm's five charts: 0.54 s as
 * five processes, 0.29 s as one). Every script starts with `reset` and sets all it uses, so
 * drawing it after another gives the same images as drawing it alone (checked byte for
 * byte over every bundled scenario's charts), with one exception: after a lesson chart (a
 * multiplot), gnuplot's SVG output keeps a trace of it, so a lesson chart is always the
 * last script of its gnuplot. */
typedef struct gp_batch {
    char **names; /* script file names, relative to dir */
    size_t n, cap;
    bool ends; /* the last script is a lesson chart: the next one starts a new gnuplot */
    const char *dir, *shown; /* where the scripts are; the folder an error names */
    fl_plot_report *rep;
    fl_status st; /* the first failure to draw, reported once all are drawn */
    fl_error err;
} gp_batch;

/* Draws every script of b, two images each, and empties it. When gnuplot fails (it stops
 * at its first error), each script is drawn again on its own, so that the error names the
 * script gnuplot refused and the others are still drawn. */
static void batch_draw(gp_batch *b)
{
    if (b->n && run_gnuplot(b->dir, b->names, b->n) == 0)
        b->rep->images += 2 * (int)b->n;
    else
        for (size_t i = 0; i < b->n; i++) {
            int rc = run_gnuplot(b->dir, &b->names[i], 1);
            if (rc == 0)
                b->rep->images += 2;
            else if (b->st == FL_OK)
                b->st = fl_error_set(&b->err, FL_IO, NULL, "gnuplot failed on %s/%s (exit %d); "
                                     "see %s/gnuplot.log", b->shown, b->names[i], rc, b->shown);
        }
    for (size_t i = 0; i < b->n; i++)
        fl_free(b->names[i]);
    b->n = 0;
    b->ends = false;
}

/* Adds a script (a lesson chart when `lesson`) to be drawn. */
static fl_status batch_add(gp_batch *b, const char *name, bool lesson, fl_error *e)
{
    if (b->ends)
        batch_draw(b);
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        char **v = fl_realloc(b->names, cap * sizeof *v);
        if (!v)
            return fl_error_set(e, FL_NOMEM, NULL, "out of memory listing the charts to draw");
        b->names = v;
        b->cap = cap;
    }
    if (!(b->names[b->n] = fl_strdup(name)))
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory listing the charts to draw");
    b->n++;
    b->ends = lesson;
    return FL_OK;
}

/* Draws what is left and frees b: the first failure to draw, in *e, when st is FL_OK. */
static fl_status batch_finish(gp_batch *b, fl_status st, fl_error *e)
{
    if (st == FL_OK)
        batch_draw(b);
    for (size_t i = 0; i < b->n; i++)
        fl_free(b->names[i]);
    fl_free(b->names);
    if (st == FL_OK && b->st != FL_OK) {
        *e = b->err;
        st = b->st;
    }
    return st;
}

/* A run folder may come from someone else: its names are checked by the rule the loader
 * applies (faultline/name.h) before any script is written, so a doctored summary.json or
 * CSV header is refused, not drawn. The CSV's columns are "<name>.<figure>": they must be
 * made of name characters only. */
static fl_status check_run_names(const cJSON *summary, const char *header, const char *run_dir,
                                 fl_error *e)
{
    static const char *const fields[] = {"scenario", "variant"};
    static const char *const groups[] = {"nodes", "workloads"};
    char why[300];
    for (size_t i = 0; i < 2; i++) {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, fields[i]));
        if (!v || fl_name_check(v, strlen(v), why, sizeof why) != 0)
            return fl_error_set(e, FL_INVALID, NULL, "%s/summary.json: %s: %s; not drawing charts "
                                "for a run folder that faultline did not write",
                                run_dir, fields[i], v ? why : "missing");
    }
    for (size_t i = 0; i < 2; i++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(summary, groups[i]);
        for (const cJSON *it = o ? o->child : NULL; it; it = it->next)
            if (fl_name_check(it->string, strlen(it->string), why, sizeof why) != 0)
                return fl_error_set(e, FL_INVALID, NULL, "%s/summary.json: %s: %s; not drawing "
                                    "charts for a run folder that faultline did not write",
                                    run_dir, groups[i], why);
    }
    for (const char *c = header ? header : ""; *c; c++) {
        unsigned char u = (unsigned char)*c;
        bool ok = u == ',' || u == '.' || u == '_' || u == '-' || (u >= '0' && u <= '9') ||
                  (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
        if (!ok)
            return fl_error_set(e, FL_INVALID, NULL, "%s/timeseries.csv: the header holds the "
                                "character 0x%02X, which no name may; not drawing charts for a run "
                                "folder that faultline did not write", run_dir, u);
    }
    return FL_OK;
}

static bool have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char buf[4096];
    for (const char *p = path; *p;) {
        const char *c = strchr(p, ':');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)len, p);
        if (access(buf, X_OK) == 0)
            return true;
        p += len + (c != NULL);
    }
    return false;
}

/* ---- lesson charts (lessons.c declares them) ------------------------------------------ */

#define FOOT_LINE_PX 19

/* A series' columns added up: val(col) + val(more[0]) + ... */
static void put_sum(FILE *f, const fl_lesson_series *s)
{
    fputs("val(", f);
    put_str(f, s->col);
    fputs(")", f);
    for (int m = 0; m < s->nmore; m++) {
        fputs(" + val(", f);
        put_str(f, s->more[m]);
        fputs(")", f);
    }
}

/* One lesson chart, for fmt ("png" or "svg"): shades labelled (a trigger says so), markers
 * numbered with their text in a footer (markers closer than 2% of the run share a number,
 * and numbers cycle over three heights, so labels never overlap), ticks for frequent
 * events, then one or two panels. */
static void put_lesson(FILE *f, const fl_lesson *l, const char *fmt, const char *stamp)
{
    int groups[64];
    double group_t[FL_LESSON_MAX_MARKS];
    char lines[FL_LESSON_MAX_MARKS][240];
    int ng = fl_lesson_number(l, groups, group_t, lines, FL_LESSON_MAX_MARKS);
    /* A grouped line longer than fits is wrapped at its "; " boundaries. */
    char foot[2 * FL_LESSON_MAX_MARKS + 2][240];
    int nfoot = 0;
    if (l->note[0]) /* the sentence the chart proves, first, in red */
        snprintf(foot[nfoot++], 240, "%s", l->note);
    for (int g = 0; g < ng; g++) {
        const char *p = lines[g];
        bool first = true;
        while (*p && nfoot < 2 * FL_LESSON_MAX_MARKS) {
            size_t len = strlen(p), cut = len;
            if (len > 96) {
                cut = 0;
                for (const char *q = strstr(p, "; "); q && q - p <= 96; q = strstr(q + 2, "; "))
                    cut = (size_t)(q - p);
                if (!cut)
                    cut = len;
            }
            snprintf(foot[nfoot++], 240, "%s%.*s", first ? "" : "       ", (int)cut, p);
            first = false;
            p += cut;
            if (*p == ';')
                p += 2;
        }
    }
    if (l->tick_note[0])
        snprintf(foot[nfoot++], 240, "%s", l->tick_note);
    bool two = false;
    for (int i = 0; i < l->ns; i++)
        two |= l->s[i].panel == 1;
    /* The layout, in pixels from the top: the title, then per panel its legend (three
     * in two columns above the panel: never over the data) and the panel, then the x
     * axis's label and the footer. */
    int key_px[2] = {0, 0}, key_rows[2] = {0, 0}, panel_px[2] = {two ? 250 : 400, two ? 250 : 0};
    for (int p = 0; p < 2; p++) {
        int titled = p == 0 && !isnan(l->hline);
        for (int i = 0; i < l->ns; i++)
            titled += l->s[i].panel == p && l->s[i].style != FL_LS_ROLE;
        key_rows[p] = (titled + 1) / 2; /* two columns, filled top to bottom */
        key_px[p] = titled ? 16 + 24 * key_rows[p] : 0;
    }
    int foot_px = 20 + FOOT_LINE_PX * (nfoot + 1); /* the stamp has the last line */
    int top_px[2];
    top_px[0] = 45 + key_px[0];
    top_px[1] = top_px[0] + panel_px[0] + 45 + key_px[1];
    int height = (two ? top_px[1] + panel_px[1] : top_px[0] + panel_px[0]) + 55 + foot_px;
    fprintf(f, "\nreset\nfmt = \"%s\"\noutfile = \"%s.%s\"\ndatafile = \"../timeseries.csv\"\n"
               "height = %d\nheading = ", fmt, l->name, fmt, height);
    put_str(f, l->title);
    fputs("\nstamp = ", f);
    put_str(f, stamp);
    fputs("\n", f);
    put_template(f, template_text("lesson"));
    fprintf(f, "set xrange [0:%.9g]\nset xlabel 'simulated time (s)'\n", l->t_end);
    /* Shades: faults red, triggers orange, labelled inside at the top over three heights. */
    for (int i = 0; i < l->nshades; i++) {
        const fl_lesson_shade *sh = &l->shades[i];
        fprintf(f, "set object %d rect from %.9g, graph 0 to %.9g, graph 1 back fc rgb \"%s\" "
                   "fs solid 0.3 noborder\n", i + 1, sh->t0, sh->t1 < l->t_end ? sh->t1 : l->t_end,
                fl_lesson_shade_color(sh));
        char text[140];
        snprintf(text, sizeof text, "%.100s", sh->label);
        fprintf(f, "set label %d ", 200 + i);
        put_str(f, text);
        fprintf(f, " at %.9g, graph %.2f left offset 0.5,0 noenhanced font \",10\" tc rgb "
                   "\"%s\" front\n", sh->t0, 0.96 - 0.06 * (i % 3),
                sh->trigger ? "#8a4b00" : sh->finding ? "#4b2a80" : "#9a2222");
    }
    /* Markers: a dashed line and its number; ticks: a small triangle at the top. */
    int arrow = 1;
    for (int g = 0; g < ng; g++) {
        fprintf(f, "set arrow %d from %.9g, graph 0 to %.9g, graph 1 nohead dt 2 lw 1.5 lc rgb "
                   "\"#333333\" front\n", arrow++, group_t[g], group_t[g]);
        fprintf(f, "set label %d '%d' at %.9g, graph %.2f center font \",13\" tc rgb \"#000000\" "
                   "front boxed\n", 300 + g, g + 1, group_t[g], 0.76 - 0.08 * (g % 3));
    }
    for (int i = 0; i < l->nmarks; i++)
        if (l->marks[i].tick)
            fprintf(f, "set label %d '' at %.9g, graph 1 point pt 11 ps 1.1 lc rgb \"#444444\" "
                       "front\n", 400 + i, l->marks[i].t);
    fputs("set style textbox opaque noborder\nunset title\nset label 98 heading at screen 0.5, "
          "screen 0.975 center noenhanced font \",15\"\n", f);
    /* The footer: one line per number (and one for the ticks), under the plot. */
    for (int g = 0; g < nfoot; g++) {
        fprintf(f, "set label %d ", 600 + g);
        put_str(f, foot[g]);
        fprintf(f, " at screen 0.02, screen %.4f left noenhanced font \",11\" tc rgb \"%s\"\n",
                (double)(foot_px - 30 - FOOT_LINE_PX * g) / height,
                g == 0 && l->note[0] ? "#9a2222" : "#000000");
    }
    bool any_y2 = false;
    for (int i = 0; i < l->ns; i++)
        any_y2 |= l->s[i].axis == 2;
    fprintf(f, "set lmargin at screen 0.1\nset rmargin at screen %s\n", any_y2 ? "0.9" : "0.96");
    for (int panel = 0; panel <= (two ? 1 : 0); panel++) {
        double t = 1.0 - (double)top_px[panel] / height;
        double b = 1.0 - (double)(top_px[panel] + panel_px[panel]) / height;
        if (two && panel == 0)
            fputs("set multiplot\n", f);
        else if (two)
            fputs("set xlabel 'simulated time (s)'\n", f);
        fprintf(f, "set tmargin at screen %.4f\nset bmargin at screen %.4f\n", t, b);
        fprintf(f, "set key at screen 0.5, screen %.4f center top vertical maxrows %d width 1 "
                   "nobox noenhanced\n", t + (double)(key_px[panel] - 2) / height,
                key_rows[panel] > 0 ? key_rows[panel] : 1);
        bool roles = false, y2 = false;
        for (int i = 0; i < l->ns; i++)
            if (l->s[i].panel == panel) {
                roles |= l->s[i].style == FL_LS_ROLE;
                y2 |= l->s[i].axis == 2;
            }
        if (roles) {
            fprintf(f, "set yrange [0.5:%d.5]\nset ytics (", l->nrows);
            for (int r = 0; r < l->nrows; r++) {
                fputs(r ? ", " : "", f);
                put_str(f, l->rows[r]);
                fprintf(f, " %d", r + 1);
            }
            fputs(")\nunset grid\n", f);
        } else {
            fputs("set yrange [0:*]\nset ytics auto\nset grid ytics\n", f);
        }
        if (two && panel == 0)
            fputs("unset xlabel\n", f);
        bool titled = false;
        for (int i = 0; i < l->ns; i++)
            titled |= l->s[i].panel == panel && l->s[i].style != FL_LS_ROLE;
        if (!(titled || (panel == 0 && !isnan(l->hline))))
            fputs("unset key\n", f);

        fputs("set ylabel ", f);
        put_str(f, panel == 1 ? l->ylabel2 : l->ylabel);
        fputs("\n", f);
        if (y2) {
            fputs("set y2range [0:*]\nset y2tics\nset y2label ", f);
            put_str(f, l->y2label);
            fputs("\n", f);
        } else {
            fputs("unset y2tics\nunset y2label\n", f);
        }
        fputs("plot ", f);
        int n = 0;
        for (int i = 0; i < l->ns; i++) {
            const fl_lesson_series *s = &l->s[i];
            if (s->panel != panel)
                continue;
            fputs(n++ ? ", \\\n     " : "", f);
            fputs("datafile using 't_s':", f);
            if (s->style == FL_LS_ROLE) {
                fputs("(val(", f);
                put_str(f, s->col);
                fprintf(f, ") > 0 ? %d : NaN) with steps lw 14 lc rgb \"%s\" notitle", s->row,
                        fl_lesson_palette[s->color % 12]);
                continue;
            }
            /* a figure of several columns as gnuplot says it (lessons.h, fl_lesson_value) */
            fputs("(", f);
            put_sum(f, s);
            if (s->op == FL_LOP_SHARE) {
                fputs(" > 0 ? val(", f);
                put_str(f, s->col);
                fputs(") / (", f);
                put_sum(f, s);
                fputs(") : NaN", f);
            }
            fprintf(f, ") %s with steps lw %s dt %d lc rgb \"%s\" title ",
                    s->axis == 2 ? "axes x1y2" : "", s->style == FL_LS_DASHED ? "1.5" : "2.5",
                    s->style == FL_LS_DASHED ? 2 : 1 + s->color / 12, fl_lesson_palette[s->color % 12]);
            put_str(f, s->title);
        }
        if (panel == 0 && !isnan(l->hline)) {
            fprintf(f, "%s%.9g with lines dt 4 lw 2 lc rgb \"#555555\" title ", n++ ? ", \\\n     " : "",
                    l->hline);
            put_str(f, l->hline_title);
        }
        if (!n)
            fputs("NaN notitle", f);
        fputs("\n", f);
    }
    if (two)
        fputs("unset multiplot\n", f);
    fputs("unset output\n", f);
}

/* Writes and draws charts/lesson-*.gp for every chart the catalogue gives this run. */
static fl_status plot_lessons(const char *run_dir, const cJSON *summary, const char *events,
                              const char *const *order, size_t norder, const char *stamp,
                              bool gp, gp_batch *batch, fl_plot_report *rep, fl_error *e)
{
    fl_csv *csv = fl_csv_read(run_dir);
    int n = 0;
    fl_lesson *ls = fl_lessons_build(summary, events, csv, order, norder, &n);
    fl_csv_free(csv);
    fl_status st = FL_OK;
    char path[4400];
    for (int i = 0; i < n && !st; i++) {
        snprintf(path, sizeof path, "%s/%s.gp", rep->charts_dir, ls[i].name);
        FILE *f = fopen(path, "w");
        if (!f) {
            st = fl_error_set(e, FL_IO, NULL, "cannot write %s: %s", path, strerror(errno));
            break;
        }
        fputs("# faultline lesson chart for ", f);
        put_comment(f, stamp);
        /* not the folder's path: the charts are drawn in a temporary folder that then
         * replaces charts/, often inside a run folder that is itself renamed */
        fputs(". Redraw: cd to this charts/ directory, then gnuplot ", f);
        put_comment(f, ls[i].name);
        fputs(".gp\n", f);
        put_lesson(f, &ls[i], "png", stamp);
        put_lesson(f, &ls[i], "svg", stamp);
        if (fclose(f) != 0) {
            st = fl_error_set(e, FL_IO, NULL, "cannot write %s", path);
            break;
        }
        rep->scripts++;
        if (gp) {
            snprintf(path, sizeof path, "%s.gp", ls[i].name);
            st = batch_add(batch, path, true, e);
        }
    }
    fl_free(ls);
    return st;
}

fl_status fl_plot_run_dir(const char *run_dir, fl_plot_report *rep, fl_error *e)
{
    return fl_plot_run_dir_for(run_dir, NULL, NULL, 0, rep, e);
}

fl_status fl_plot_run_dir_for(const char *run_dir, const char *scenario,
                              const char *const *order, size_t norder, fl_plot_report *rep,
                              fl_error *e)
{
    memset(rep, 0, sizeof *rep);
    fl_error_clear(e);
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    char *text = slurp(path, 64u << 20);
    cJSON *summary = text ? cJSON_Parse(text) : NULL;
    fl_free(text);
    if (!summary)
        return fl_error_set(e, FL_IO, NULL, "%s: no readable summary.json; is this a run directory "
                                            "(faultline run ... --out DIR)?", run_dir);
    snprintf(path, sizeof path, "%s/events.jsonl", run_dir);
    char *events = slurp(path, 16u << 20);
    char *header = csv_header(run_dir);
    const char *sname = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, "scenario"));
    if (scenario && !(sname && strcmp(sname, scenario) == 0))
        fl_error_set(e, FL_USAGE, NULL, "--scenario is scenario \"%s\", but %s holds a run of "
                     "\"%s\": pass that scenario's file", scenario, run_dir, sname ? sname : "?");
    else
        check_run_names(summary, header, run_dir, e);
    if (e->status != FL_OK) {
        cJSON_Delete(summary);
        fl_free(events);
        fl_free(header);
        return e->status;
    }
    /* The charts are drawn into charts.tmp.<pid>, which then replaces charts/ whole: a
     * folder never holds the charts of two drawings (files.c). */
    char final_dir[4200];
    snprintf(final_dir, sizeof final_dir, "%s/charts", run_dir);
    snprintf(rep->charts_dir, sizeof rep->charts_dir, "%s/charts.tmp.%ld", run_dir, (long)getpid());
    fl__remove_tree(rep->charts_dir);
    if (mkdir(rep->charts_dir, 0777) != 0) {
        cJSON_Delete(summary);
        fl_free(events);
        fl_free(header);
        return fl_error_set(e, FL_IO, NULL, "cannot create %s: %s", rep->charts_dir, strerror(errno));
    }
    const char *scn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, "scenario"));
    const char *var = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, "variant"));
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(summary, "faultline_version"));
    double seed = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(summary, "seed"));
    char stamp[512], shades[4096], names[4096], heading[1024];
    snprintf(stamp, sizeof stamp, "%s [%s] seed %.0f - faultline %s", scn ? scn : "?",
             var ? var : "?", seed, ver ? ver : "?");
    shade_list(summary, events, shades, sizeof shades);
    /* Spans where no request of the first workload succeeded (lessons.c's rule), grey, and
     * that workload's SLO on the latency chart: the same marks as the report's. */
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(summary, "workloads");
    double slo = NAN;
    if (wls && wls->child) {
        fl_csv *csv = fl_csv_read(run_dir);
        double d0[8], d1[8];
        int nd = csv ? fl_run_dead_spans(csv, wls->child->string,
                                         cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
                                             summary, "warmup_s")), d0, d1, 8)
                     : 0;
        for (int i = 0; i < nd; i++) {
            size_t len = strlen(shades);
            snprintf(shades + len, sizeof shades - len, "%.9g %.9g no request succeeded\n", d0[i],
                     d1[i]);
        }
        fl_csv_free(csv);
        slo = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(wls->child, "slo_ms"));
    }
    bool gp = have_gnuplot();
    gp_batch batch = {.dir = rep->charts_dir, .shown = final_dir, .rep = rep};
    fl_status st = FL_OK;
    int nkc = 0;
    kind_chart *kc = kind_charts(summary, header, &nkc);
    size_t nfixed = sizeof charts / sizeof charts[0];
    for (size_t i = 0; i < nfixed + (size_t)nkc && !st; i++) {
        const kind_chart *k = i >= nfixed ? &kc[i - nfixed] : NULL;
        const char *cname = k ? k->name : charts[i].name;
        const char *ylabel = k ? k->ylabel : charts[i].ylabel;
        const char *titles = k ? k->titles : NULL;
        if (k)
            snprintf(names, sizeof names, "%s", k->series);
        else if (charts[i].series)
            series_names(summary, header, &charts[i], names, sizeof names);
        else
            column_names(header, charts[i].match, names, sizeof names);
        if (!names[0])
            continue;
        /* The short name keeps the title on one line; the full title is in the stamp's
         * scenario name and in the report. */
        snprintf(heading, sizeof heading, "%s: %s", scn ? scn : "?", k ? k->heading : charts[i].heading);
        snprintf(path, sizeof path, "%s/%s.gp", rep->charts_dir, cname);
        FILE *f = fopen(path, "w");
        if (!f) {
            st = fl_error_set(e, FL_IO, NULL, "cannot write %s: %s", path, strerror(errno));
            break;
        }
        fprintf(f, "# faultline chart \"%s\" for ", cname);
        put_comment(f, stamp);
        /* No directory in the text: a run folder is written under a temporary name and
         * renamed whole (files.c), so the script must not name where it was drawn. */
        fprintf(f, ". Redraw: cd to this charts/ directory, then gnuplot %s.gp\n", cname);
        static const char *const fmts[] = {"png", "svg"};
        for (int x = 0; x < 2; x++) {
            fprintf(f, "\nreset\nfmt = \"%s\"\noutfile = \"%s.%s\"\ndatafile = \"../timeseries.csv\"\n",
                    fmts[x], cname, fmts[x]);
            fputs("heading = ", f);
            put_str(f, heading);
            fputs("\nstamp = ", f);
            put_str(f, stamp);
            fputs("\n", f);
            put_shades(f, shades);
            fputs("series = ", f);
            put_str(f, names);
            fputs("\ntitles = ", f);
            put_str(f, titles ? titles : names);
            fputs("\n", f);
            if (ylabel) {
                fputs("ylab = ", f);
                put_str(f, ylabel);
                fputs("\n", f);
            }
            put_template(f, template_text("common"));
            if (!k && strcmp(cname, "latency") == 0 && slo > 0)
                fprintf(f, "set arrow 90 from graph 0, first %.9g to graph 1, first %.9g nohead "
                           "dt 3 lw 1.5 lc rgb \"#555555\" front\nset label 91 'SLO %.4g ms' at "
                           "graph 0.01, first %.9g offset 0,0.7 font \",10\" tc rgb \"#555555\" "
                           "front\n", slo, slo, slo, slo);
            put_template(f, template_text(k ? "columns"
                                          : charts[i].template_name ? charts[i].template_name
                                                                    : charts[i].name));
            fputs("unset output\n", f);
        }
        if (fclose(f) != 0) {
            st = fl_error_set(e, FL_IO, NULL, "cannot write %s", path);
            break;
        }
        rep->scripts++;
        if (gp) {
            snprintf(path, sizeof path, "%s.gp", cname);
            st = batch_add(&batch, path, false, e);
        }
    }
    fl_free(kc);
    if (!st)
        st = plot_lessons(run_dir, summary, events, order, norder, stamp, gp, &batch, rep, e);
    st = batch_finish(&batch, st, e);
    rep->gnuplot = gp;
    cJSON_Delete(summary);
    fl_free(events);
    fl_free(header);
    /* Even after a gnuplot failure: the scripts and gnuplot.log are this drawing's. */
    fl_error re;
    fl_error_clear(&re);
    if (fl__dir_replace(rep->charts_dir, final_dir, &re) != FL_OK && st == FL_OK) {
        *e = re;
        st = re.status;
    }
    snprintf(rep->charts_dir, sizeof rep->charts_dir, "%s", final_dir);
    return st;
}

/* ---- sweeps ---------------------------------------------------------------------------- */

/* A swept parameter as an axis: numbers stay numbers; durations ("250ms") and rates
 * ("100/s") become numbers in one unit; anything else ("exp(5ms)") is categorical,
 * placed at 0..n-1 with its text as the tick label. */
typedef struct sweep_axis {
    const char *path;
    const cJSON *values; /* array of strings */
    int n;
    bool numeric;
    double pos[FL_PLOT_SWEEP_MAX_VALUES];
    const char *unit; /* "" when none */
} sweep_axis;

static bool has_letter(const char *s)
{
    for (; *s; s++)
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
            return true;
    return false;
}

static void classify(sweep_axis *a)
{
    bool num = true, dur = true, rate = true;
    double d[FL_PLOT_SWEEP_MAX_VALUES], r[FL_PLOT_SWEEP_MAX_VALUES], dmax = 0;
    char why[128];
    int i = 0;
    for (const cJSON *v = a->values ? a->values->child : NULL; v && i < a->n; v = v->next, i++) {
        const char *s = v->valuestring ? v->valuestring : "";
        cJSON *j = cJSON_ParseWithOpts(s, NULL, 1); /* whole text; numbers whatever the locale */
        if (cJSON_IsNumber(j))
            a->pos[i] = j->valuedouble;
        else
            num = false;
        cJSON_Delete(j);
        fl_time t;
        if (has_letter(s) && fl_parse_duration(s, &t, why, sizeof why) == 0) {
            d[i] = fl_time_to_s(t);
            dmax = d[i] > dmax ? d[i] : dmax;
        } else
            dur = false;
        if (!(strchr(s, '/') && fl_parse_rate(s, &r[i], why, sizeof why) == 0))
            rate = false;
    }
    a->numeric = true;
    a->unit = "";
    if (num)
        return;
    if (dur) {
        a->unit = dmax < 10 ? "ms" : "s";
        for (i = 0; i < a->n; i++)
            a->pos[i] = dmax < 10 ? d[i] * 1000 : d[i];
        return;
    }
    if (rate) {
        a->unit = "per second";
        for (i = 0; i < a->n; i++)
            a->pos[i] = r[i];
        return;
    }
    a->numeric = false;
    for (i = 0; i < a->n; i++)
        a->pos[i] = i;
}

/* The unit of a figure, from its name. */
static const char *metric_unit(const char *m)
{
    size_t n = strlen(m);
    if (strstr(m, "recovery.recovered"))
        return "fraction of seeds that recovered";
    if (n > 6 && strcmp(m + n - 6, "_per_s") == 0)
        return "per second";
    if (strstr(m, "latency_ms") || strstr(m, "sojourn_ms") || strstr(m, "wait_ms") ||
        (n > 3 && strcmp(m + n - 3, "_ms") == 0))
        return "ms";
    if (strstr(m, "error_rate"))
        return "fraction of requests";
    if (n > 2 && strcmp(m + n - 2, "_s") == 0)
        return "s";
    if (strstr(m, "fraction") || strstr(m, "utilisation"))
        return "fraction";
    return "";
}

static const char *short_name(const char *m)
{
    return strncmp(m, "workloads.", 10) == 0 ? m + 10 : m;
}

static void put_sweep_num(FILE *f, double v)
{
    char b[48];
    if (isnan(v) || isinf(v)) {
        fputs("NaN", f);
        return;
    }
    fl_svg_numg(v, 10, b, sizeof b);
    fputs(b, f);
}

/* `set xtics ("a" 0, "b" 1, ...)` with the values as written. */
static void put_tics(FILE *f, const char *which, const sweep_axis *a)
{
    fprintf(f, "set %s (", which);
    int i = 0;
    for (const cJSON *v = a->values->child; v && i < a->n; v = v->next, i++) {
        fputs(i ? ", " : "", f);
        put_str(f, v->valuestring ? v->valuestring : "");
        fputc(' ', f);
        put_sweep_num(f, a->pos[i]);
    }
    fputs(")\n", f);
}

static void axis_label(const sweep_axis *a, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s", a->path, a->unit[0] ? " (" : "", a->unit, a->unit[0] ? ")" : "");
}

static const char *last_segment(const char *path)
{
    const char *d = strrchr(path, '.');
    return d ? d + 1 : path;
}

static const cJSON *point_metric(const cJSON *points, int g, const char *metric, const char *what)
{
    const cJSON *p = cJSON_GetArrayItem(points, g);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "metrics"),
                                                      metric);
    return cJSON_GetObjectItemCaseSensitive(m, what);
}

static double point_value(const cJSON *points, int g, const char *metric, const char *what)
{
    const cJSON *v = point_metric(points, g, metric, what);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

typedef struct sweep_plot {
    const char *scenario, *stamp, *charts_dir;
    const cJSON *points;
    sweep_axis ax[2];
    int nparams, seeds;
} sweep_plot;

/* sweep_<metric>[_heat].gp, its name into name (without .gp). */
static void chart_name(const char *metric, const char *suffix, char *buf, size_t n)
{
    size_t w = (size_t)snprintf(buf, n, "sweep_");
    for (const char *s = metric; *s && w + 1 < n; s++)
        buf[w++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                           *s == '.' || *s == '-' || *s == '_'
                       ? *s
                       : '_';
    buf[w] = 0;
    snprintf(buf + w, n - w, "%s", suffix);
}

static void put_header(FILE *f, const sweep_plot *sp, const char *fmt, const char *name,
                       const char *heading)
{
    fprintf(f, "\nreset\nfmt = \"%s\"\noutfile = \"%s.%s\"\ndatafile = \"\"\nheading = ", fmt,
            name, fmt);
    put_str(f, heading);
    fputs("\nstamp = ", f);
    put_str(f, sp->stamp);
    fputs("\n", f);
}

static void put_var(FILE *f, const char *var, const char *value)
{
    fprintf(f, "%s = ", var);
    put_str(f, value);
    fputs("\n", f);
}

static fl_status sweep_line(FILE *f, const sweep_plot *sp, const char *metric, const char *name)
{
    const sweep_axis *x = &sp->ax[0], *q = sp->nparams > 1 ? &sp->ax[1] : NULL;
    int nq = q ? q->n : 1;
    fputs("$points << EOD\n", f);
    for (int s = 0; s < nq; s++) {
        if (s)
            fputs("\n\n", f);
        for (int i = 0; i < x->n; i++) {
            int g = i * nq + s; /* the first parameter is the outer one */
            double ci = point_value(sp->points, g, metric, "ci95");
            put_sweep_num(f, x->pos[i]);
            fputc(',', f);
            put_sweep_num(f, point_value(sp->points, g, metric, "mean"));
            fputc(',', f);
            put_sweep_num(f, isnan(ci) ? 0 : ci);
            fputc('\n', f);
        }
    }
    fputs("EOD\n", f);
    char heading[1024], xlab[600], ylab[600];
    const char *unit = metric_unit(metric);
    snprintf(heading, sizeof heading, "%s: %s against %s (mean and 95%% CI over %d seeds)",
             sp->scenario, short_name(metric), last_segment(x->path), sp->seeds);
    axis_label(x, xlab, sizeof xlab);
    snprintf(ylab, sizeof ylab, "%s%s%s%s", short_name(metric), unit[0] ? " (" : "", unit,
             unit[0] ? ")" : "");
    static const char *const fmts[] = {"png", "svg"};
    for (int k = 0; k < 2; k++) {
        put_header(f, sp, fmts[k], name, heading);
        put_var(f, "xlab", xlab);
        put_var(f, "ylab", ylab);
        fprintf(f, "nseries = %d\narray stitle[%d]\n", nq, nq);
        int s = 0;
        for (const cJSON *v = q ? q->values->child : NULL; s < nq; s++, v = v ? v->next : NULL) {
            char title[600];
            if (q)
                snprintf(title, sizeof title, "%s = %s", last_segment(q->path),
                         v && v->valuestring ? v->valuestring : "");
            else
                snprintf(title, sizeof title, "mean and 95%% CI");
            fprintf(f, "stitle[%d] = ", s + 1);
            put_str(f, title);
            fputs("\n", f);
        }
        put_template(f, template_text("common"));
        if (!x->numeric)
            put_tics(f, "xtics", x);
        put_template(f, template_text("sweep_line"));
        fputs("unset output\n", f);
    }
    return FL_OK;
}

static fl_status sweep_heat(FILE *f, const sweep_plot *sp, const char *metric, const char *name)
{
    const sweep_axis *x = &sp->ax[0], *y = &sp->ax[1];
    bool rec = strstr(metric, "recovery.recovered") != NULL;
    fputs("$cells << EOD\n", f);
    for (int j = 0; j < y->n; j++)
        for (int i = 0; i < x->n; i++) {
            double m = point_value(sp->points, i * y->n + j, metric, "mean");
            char lab[48];
            if (isnan(m))
                snprintf(lab, sizeof lab, "-");
            else
                fl_svg_numg(m, 3, lab, sizeof lab);
            fprintf(f, "%d,%d,", i, j);
            put_sweep_num(f, m);
            fprintf(f, ",%s\n", lab);
        }
    fputs("EOD\n", f);
    char heading[1024], xlab[600], ylab[600], cblab[600];
    const char *unit = metric_unit(metric);
    if (rec)
        snprintf(heading, sizeof heading, "%s: fraction of %d seeds that recovered "
                 "(1 stable, between vulnerable, 0 stuck)", sp->scenario, sp->seeds);
    else
        snprintf(heading, sizeof heading, "%s: %s, mean over %d seeds", sp->scenario,
                 short_name(metric), sp->seeds);
    axis_label(x, xlab, sizeof xlab);
    axis_label(y, ylab, sizeof ylab);
    snprintf(cblab, sizeof cblab, "%s%s%s%s", rec ? "" : short_name(metric),
             unit[0] && !rec ? " (" : "", unit, unit[0] && !rec ? ")" : "");
    /* The cells are evenly spaced whatever the values: ticks name them. */
    sweep_axis xi = *x, yi = *y;
    for (int i = 0; i < xi.n; i++)
        xi.pos[i] = i;
    for (int i = 0; i < yi.n; i++)
        yi.pos[i] = i;
    static const char *const fmts[] = {"png", "svg"};
    for (int k = 0; k < 2; k++) {
        put_header(f, sp, fmts[k], name, heading);
        put_var(f, "xlab", xlab);
        put_var(f, "ylab", ylab);
        put_var(f, "cblab", cblab);
        fprintf(f, "nx = %d\nny = %d\nrecovered = %d\n", x->n, y->n, rec ? 1 : 0);
        put_template(f, template_text("common"));
        put_tics(f, "xtics", &xi);
        put_tics(f, "ytics", &yi);
        put_template(f, template_text("sweep_heat"));
        fputs("unset output\n", f);
    }
    return FL_OK;
}

fl_status fl_plot_sweep_dir(const char *dir, fl_plot_report *rep, fl_error *e)
{
    memset(rep, 0, sizeof *rep);
    fl_error_clear(e);
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.json", dir);
    char *text = slurp(path, 256u << 20);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    fl_free(text);
    if (!doc)
        return fl_error_set(e, FL_IO, NULL, "%s: no readable sweep.json; is this a sweep directory "
                                            "(faultline sweep ... --out DIR)?", dir);
    sweep_plot sp;
    memset(&sp, 0, sizeof sp);
    sp.scenario = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "scenario"));
    const char *var = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "variant"));
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "faultline_version"));
    sp.seeds = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "seeds"));
    sp.points = cJSON_GetObjectItemCaseSensitive(doc, "points");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(doc, "params");
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(doc, "metrics");
    sp.nparams = cJSON_GetArraySize(params);
    char why[300] = "missing";
    const char *bad = !sp.scenario ? "scenario"
                      : fl_name_check(sp.scenario, strlen(sp.scenario), why, sizeof why) ? "scenario"
                      : var && fl_name_check(var, strlen(var), why, sizeof why) ? "variant"
                                                                                 : NULL;
    if (bad) {
        cJSON_Delete(doc);
        return fl_error_set(e, FL_INVALID, NULL, "%s: %s: %s; not drawing charts for a sweep "
                            "folder that faultline did not write", path, bad, why);
    }
    char stamp[512];
    snprintf(stamp, sizeof stamp, "%s [%s] seeds 1-%d - faultline %s", sp.scenario,
             var ? var : "?", sp.seeds, ver ? ver : "?");
    sp.stamp = stamp;
    int npts = 1;
    for (int k = 0; k < sp.nparams && k < 2; k++) {
        const cJSON *p = cJSON_GetArrayItem(params, k);
        sp.ax[k].path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "path"));
        sp.ax[k].values = cJSON_GetObjectItemCaseSensitive(p, "values");
        sp.ax[k].n = cJSON_GetArraySize(sp.ax[k].values);
        npts *= sp.ax[k].n;
    }
    if (sp.nparams < 1 || sp.nparams > 2 || !sp.ax[0].path || (sp.nparams > 1 && !sp.ax[1].path) ||
        sp.ax[0].n < 1 || sp.ax[0].n > FL_PLOT_SWEEP_MAX_VALUES || sp.ax[1].n > FL_PLOT_SWEEP_MAX_VALUES ||
        cJSON_GetArraySize(sp.points) != npts || sp.seeds < 1) {
        cJSON_Delete(doc);
        return fl_error_set(e, FL_INVALID, NULL, "%s: sweep.json is not one faultline wrote, or has "
                            "more than %d values per parameter to chart", path,
                            FL_PLOT_SWEEP_MAX_VALUES);
    }
    for (int k = 0; k < sp.nparams; k++)
        classify(&sp.ax[k]);
    snprintf(rep->charts_dir, sizeof rep->charts_dir, "%s/charts", dir);
    sp.charts_dir = rep->charts_dir;
    if (mkdir(rep->charts_dir, 0777) != 0 && errno != EEXIST) {
        cJSON_Delete(doc);
        return fl_error_set(e, FL_IO, NULL, "cannot create %s: %s", rep->charts_dir, strerror(errno));
    }
    bool gp = have_gnuplot();
    gp_batch batch = {.dir = rep->charts_dir, .shown = rep->charts_dir, .rep = rep};
    fl_status st = FL_OK;
    for (const cJSON *m = metrics ? metrics->child : NULL; m && !st; m = m->next) {
        const char *metric = m->valuestring;
        if (!metric)
            continue;
        for (int heat = 0; heat <= (sp.nparams > 1) && !st; heat++) {
            char name[600];
            chart_name(metric, heat ? "_heat" : "", name, sizeof name);
            snprintf(path, sizeof path, "%s/%s.gp", rep->charts_dir, name);
            FILE *f = fopen(path, "w");
            if (!f) {
                st = fl_error_set(e, FL_IO, NULL, "cannot write %s: %s", path, strerror(errno));
                break;
            }
            fprintf(f, "# faultline sweep chart \"%s\" for ", name);
            put_comment(f, stamp);
            fprintf(f, ". Redraw: cd to this charts/ directory, then gnuplot %s.gp\n", name);
            st = heat ? sweep_heat(f, &sp, metric, name) : sweep_line(f, &sp, metric, name);
            if (fclose(f) != 0 && !st)
                st = fl_error_set(e, FL_IO, NULL, "cannot write %s", path);
            if (st)
                break;
            rep->scripts++;
            if (gp) {
                snprintf(path, sizeof path, "%s.gp", name);
                st = batch_add(&batch, path, false, e);
            }
        }
    }
    st = batch_finish(&batch, st, e);
    rep->gnuplot = gp;
    cJSON_Delete(doc);
    return st;
}
