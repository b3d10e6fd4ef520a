/* Charts from a run directory: see plot.h.
 *
 * Each chart is one self-contained script, charts/<name>.gp: the variables (data file,
 * title, stamp, shaded windows, series names), then the shared template and the chart's
 * template, once for PNG and once for SVG. A reader can edit and rerun it with
 * `cd RUN_DIR/charts && gnuplot latency.gp`. */
#include "out/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"

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

/* Writes s as a gnuplot double-quoted string body (escaping quotes and backslashes). */
static void put_str(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
}

typedef struct chart {
    const char *name;
    const char *heading; /* after "<title>: " */
    const char *series;  /* "workloads" or "nodes" */
    bool successes;      /* only workloads with at least one success (latency exists) */
} chart;

static const chart charts[] = {
    {"latency", "latency percentiles over time", "workloads", true},
    {"throughput", "requests per second: issued, succeeded, failed", "workloads", false},
    {"nodes", "requests at each node (queue + in service)", "nodes", false},
};

/* Space-separated names of the summary's workloads or of its nodes that have a queue. */
static void series_names(const cJSON *summary, const chart *c, char *buf, size_t n)
{
    size_t w = 0;
    buf[0] = 0;
    const char *which = c->series;
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(summary, which);
    for (const cJSON *it = o ? o->child : NULL; it && w < n; it = it->next) {
        if (strcmp(which, "nodes") == 0 && !cJSON_GetObjectItemCaseSensitive(it, "sojourn_ms"))
            continue;
        if (c->successes &&
            !(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
                  cJSON_GetObjectItemCaseSensitive(it, "latency_ms"), "count")) > 0))
            continue; /* no success, no latency: a chart of nothing would fail to draw */
        w += (size_t)snprintf(buf + w, n - w, "%s%s", w ? " " : "", it->string);
    }
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
            fprintf(f, "set object %d rect from %.9g, graph 0 to %.9g, graph 1 back fc rgb \"%s\" "
                       "fs solid 0.35 noborder\n",
                    i + 1, t0, t1, i == 0 && strstr(row, "warm-up") ? "#dddddd" : "#f2c2c2");
            fprintf(f, "set label %d \"", 101 + i);
            put_str(f, row + used);
            fprintf(f, "\" at %.9g, graph %.2f left noenhanced font \",10\" tc rgb \"#aa3333\"\n",
                    t0, 0.97 - 0.05 * (i % 2));
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

static int run_gnuplot(const char *dir, const char *script)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(126);
        int log = open("gnuplot.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
            dup2(log, 2);
            dup2(log, 1);
        }
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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

fl_status fl_plot_run_dir(const char *run_dir, fl_plot_report *rep, fl_error *e)
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
    snprintf(rep->charts_dir, sizeof rep->charts_dir, "%s/charts", run_dir);
    if (mkdir(rep->charts_dir, 0777) != 0 && errno != EEXIST) {
        cJSON_Delete(summary);
        fl_free(events);
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
    bool gp = have_gnuplot();
    fl_status st = FL_OK;
    for (size_t i = 0; i < sizeof charts / sizeof charts[0] && !st; i++) {
        series_names(summary, &charts[i], names, sizeof names);
        if (!names[0])
            continue;
        /* The short name keeps the title on one line; the full title is in the stamp's
         * scenario name and in the report. */
        snprintf(heading, sizeof heading, "%s: %s", scn ? scn : "?", charts[i].heading);
        snprintf(path, sizeof path, "%s/%s.gp", rep->charts_dir, charts[i].name);
        FILE *f = fopen(path, "w");
        if (!f) {
            st = fl_error_set(e, FL_IO, NULL, "cannot write %s: %s", path, strerror(errno));
            break;
        }
        fprintf(f, "# faultline chart \"%s\" for %s. Redraw: cd %s && gnuplot %s.gp\n",
                charts[i].name, stamp, rep->charts_dir, charts[i].name);
        static const char *const fmts[] = {"png", "svg"};
        for (int k = 0; k < 2; k++) {
            fprintf(f, "\nreset\nfmt = \"%s\"\noutfile = \"%s.%s\"\ndatafile = \"../timeseries.csv\"\n",
                    fmts[k], charts[i].name, fmts[k]);
            fputs("heading = \"", f);
            put_str(f, heading);
            fputs("\"\nstamp = \"", f);
            put_str(f, stamp);
            fputs("\"\n", f);
            put_shades(f, shades);
            fputs("series = \"", f);
            put_str(f, names);
            fputs("\"\n", f);
            put_template(f, template_text("common"));
            put_template(f, template_text(charts[i].name));
            fputs("unset output\n", f);
        }
        if (fclose(f) != 0) {
            st = fl_error_set(e, FL_IO, NULL, "cannot write %s", path);
            break;
        }
        rep->scripts++;
        if (gp) {
            snprintf(path, sizeof path, "%s.gp", charts[i].name);
            int rc = run_gnuplot(rep->charts_dir, path);
            if (rc != 0)
                st = fl_error_set(e, FL_IO, NULL, "gnuplot failed on %s/%s (exit %d); see %s/gnuplot.log",
                                  rep->charts_dir, path, rc, rep->charts_dir);
            else
                rep->images += 2;
        }
    }
    rep->gnuplot = gp;
    cJSON_Delete(summary);
    fl_free(events);
    return st;
}
