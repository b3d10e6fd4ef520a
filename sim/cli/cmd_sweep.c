/* faultline sweep: a grid of parameter values x seeds, each figure as mean +- 95% CI per
 * point; threads here, and processes too when built with MPI and started by mpirun. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <faultline/faultline.h>
#include <faultline/sweep.h>

#include "cli/cli.h"
#include "cli/limits.h"
#include "out/files.h"
#include "out/plot.h"

#define MAX_PARAMS 16   /* more are refused by the library with a message; keep them to count */
#define MAX_METRICS 128

static const cli_opt sweep_opts[] = {
    {"param", 0, "P=V1,V2,...", "a parameter and its values, a --set path (repeatable, at most "
                                "2: a line per metric, or a heat map)"},
    {"variant", 'v', "NAME", "sweep this variant instead of the baseline"},
    {"seeds", 'n', "N", "seeds per grid point, 1..N (default 5)"},
    {"jobs", 'j', "N", "runs at once in this process (default: the number of processors)"},
    {"metric", 'm', "PATH", "a summary figure to report (repeatable; default: each workload's "
                            "goodput, p99 latency, error rate, recovery)"},
    {"set", 0, "PATH=VALUE", "override a field in every run (repeatable)"},
    {"out", 'o', "DIR", "write sweep.csv, sweep_summary.csv and sweep.json here (default: "
                        "out/SCENARIO-sweep)"},
    {"plot", 'p', NULL, "also draw the charts (gnuplot) into DIR/charts"},
    {"quiet", 'q', NULL, "print nothing but errors"},
    {"max-events", 0, "N", "stop each run after N events (default 10^11)"},
    CLI_LIMIT_OPTS,
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_sweep = {
    "sweep",
    "SCENARIO --param P=v1,v2,... [--param Q=w1,w2,...] [--variant V] [--seeds N] [-j N]\n"
    "       [--metric PATH]... [--set P=V]... [--out DIR] [--plot] [--quiet]",
    "Run a grid of parameter values x seeds: each figure per point as mean +- 95% CI.",
    "Every run is the scenario + variant + the --set overrides + its grid point's values.\n"
    "Values are read as --set reads them: 8 is a number, 250ms and 100/s are strings;\n"
    "commas inside parentheses do not split (\"exponential(100ms, max=5s)\" is one value).\n"
    "Each grid point uses seeds 1..N, the same arrivals at every point. Rows are ordered by\n"
    "(grid point, seed): the outputs do not depend on -j, nor on the number of MPI processes.\n"
    "A grid is limited to 10000 runs. With --plot, one chart per metric (mean and 95% CI\n"
    "against the first parameter, a line per value of the second) and, for two parameters, a\n"
    "heat map per metric; for `recovered` the colour is the fraction of seeds that recovered\n"
    "(stable / vulnerable / stuck).\n"
    "\nMPI: a build made with -Dmpi=enabled and started by mpirun spreads the runs over the\n"
    "processes (run i on process i % N); process 0 writes the same files a single process\n"
    "would.\n"
    "\nexample:\n"
    "  faultline sweep scenarios/retry-storm.json --param workloads.clients.rate=400/s,560/s,700/s \\\n"
    "      --param faults.0.for=2s,5s,10s,20s --seeds 5 --plot\n"
    "  mpirun -n 8 build-mpi/faultline sweep scenarios/retry-storm.json --param nodes.api.workers=6,8,10\n",
    sweep_opts,
    cmd_sweep,
};

/* The values of a repeatable option other than --set, in order (cli_parse keeps the last
 * only): the same walk as cli_parse, on arguments it already accepted. */
static size_t collect(const cli_cmd *cmd, int argc, char **argv, const char *name,
                      const char **out, size_t max)
{
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0)
            break;
        if (arg[0] != '-' || !arg[1])
            continue;
        const cli_opt *o = NULL;
        const char *value = NULL;
        if (arg[1] == '-') {
            const char *nm = arg + 2, *eq = strchr(nm, '=');
            size_t len = eq ? (size_t)(eq - nm) : strlen(nm);
            for (int k = 0; cmd->opts[k].name && !o; k++)
                if (strlen(cmd->opts[k].name) == len && strncmp(cmd->opts[k].name, nm, len) == 0)
                    o = &cmd->opts[k];
            if (eq)
                value = eq + 1;
        } else if (!arg[2]) {
            for (int k = 0; cmd->opts[k].name; k++)
                if (cmd->opts[k].short_name == arg[1])
                    o = &cmd->opts[k];
        }
        if (!o || !o->metavar)
            continue;
        if (!value && i + 1 < argc)
            value = argv[++i];
        if (value && strcmp(o->name, name) == 0 && n < max)
            out[n++] = value;
    }
    return n;
}

typedef struct progress {
    bool tty;
    bool shown;
    struct timespec start;
} progress;

static void on_progress(void *ctx, size_t done, size_t total)
{
    progress *p = ctx;
    if (!p->tty)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double t = (double)(now.tv_sec - p->start.tv_sec) + (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
    if (t < 0.5 && done < total)
        return;
    fprintf(stderr, "\rsweep: %zu/%zu runs  %.1fs", done, total, t);
    p->shown = true;
}

/* "1.23 +- 0.04" */
static void cell(const cJSON *m, char *buf, size_t n)
{
    const cJSON *mean = cJSON_GetObjectItemCaseSensitive(m, "mean");
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(m, "ci95");
    if (!cJSON_IsNumber(mean))
        snprintf(buf, n, "-");
    else if (!cJSON_IsNumber(ci))
        snprintf(buf, n, "%.4g", mean->valuedouble);
    else
        snprintf(buf, n, "%.4g +- %.2g", mean->valuedouble, ci->valuedouble);
}

static const char *short_metric(const char *m)
{
    return strncmp(m, "workloads.", 10) == 0 ? m + 10 : m;
}

static void print_table(const cJSON *s)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(s, "params");
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(s, "metrics");
    const cJSON *points = cJSON_GetObjectItemCaseSensitive(s, "points");
    int np = cJSON_GetArraySize(params), nm = cJSON_GetArraySize(metrics);
    int npts = cJSON_GetArraySize(points);
    double seeds = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "seeds"));
    char shape[128] = "";
    size_t w = 0;
    for (const cJSON *p = params ? params->child : NULL; p; p = p->next)
        w += (size_t)snprintf(shape + w, sizeof shape - w, "%s%d", w ? " x " : "",
                              cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "values")));
    printf("sweep %s [%s]: %s point%s x %.0f seeds = %.0f runs; mean +- 95%% CI per point\n\n",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "scenario")),
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "variant")), shape,
           npts == 1 ? "" : "s", seeds, seeds * npts);
    /* Widths: the longest of the heading and the cells, per column. */
    int ncol = np + nm;
    int *width = calloc((size_t)ncol + 1, sizeof *width);
    if (!width)
        return;
    char c[96];
    int col = 0;
    for (const cJSON *p = params ? params->child : NULL; p; p = p->next, col++)
        width[col] = (int)strlen(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "path")));
    for (const cJSON *m = metrics ? metrics->child : NULL; m; m = m->next, col++)
        width[col] = (int)strlen(short_metric(m->valuestring));
    for (const cJSON *pt = points ? points->child : NULL; pt; pt = pt->next) {
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(pt, "params");
        const cJSON *mv = cJSON_GetObjectItemCaseSensitive(pt, "metrics");
        col = 0;
        for (const cJSON *v = pv ? pv->child : NULL; v; v = v->next, col++)
            if ((int)strlen(v->valuestring) > width[col])
                width[col] = (int)strlen(v->valuestring);
        for (const cJSON *v = mv ? mv->child : NULL; v; v = v->next, col++) {
            cell(v, c, sizeof c);
            if ((int)strlen(c) > width[col])
                width[col] = (int)strlen(c);
        }
    }
    col = 0;
    for (const cJSON *p = params ? params->child : NULL; p; p = p->next, col++)
        printf("%-*s  ", width[col], cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "path")));
    for (const cJSON *m = metrics ? metrics->child : NULL; m; m = m->next, col++)
        printf("%*s%s", width[col], short_metric(m->valuestring), m->next ? "  " : "");
    putchar('\n');
    for (const cJSON *pt = points ? points->child : NULL; pt; pt = pt->next) {
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(pt, "params");
        const cJSON *mv = cJSON_GetObjectItemCaseSensitive(pt, "metrics");
        col = 0;
        for (const cJSON *v = pv ? pv->child : NULL; v; v = v->next, col++)
            printf("%-*s  ", width[col], v->valuestring);
        for (const cJSON *v = mv ? mv->child : NULL; v; v = v->next, col++) {
            cell(v, c, sizeof c);
            printf("%*s%s", width[col], c, v->next ? "  " : "");
        }
        putchar('\n');
    }
    free(width);
}

/* Draws the charts of a sweep directory and says where they are, or how to draw them. */
static int plot_sweep(const char *dir, const char *shown, bool quiet)
{
    fl_plot_report rep;
    fl_error e;
    if (fl_plot_sweep_dir(dir, &rep, &e) != FL_OK) {
        char msg[1200];
        fl_error_format(&e, msg, sizeof msg);
        cli_error("plot: %s", msg);
        return FL_EXIT_RUNTIME;
    }
    if (!rep.gnuplot)
        fprintf(stderr,
                "faultline: gnuplot is not installed: wrote %d chart scripts to %s/charts; to draw "
                "them, apt-get install gnuplot-nox, then: cd %s/charts && for f in *.gp; do gnuplot "
                "\"$f\"; done\n",
                rep.scripts, shown, shown);
    else if (!quiet)
        printf("charts: %s/charts/{*.png,*.svg} (%d images)\n", shown, rep.images);
    return FL_EXIT_OK;
}

static int sweep_main(int argc, char **argv, const fl_sweep_dist *dist)
{
    static cli_limits lim;
    cli_limits_start(&lim);
    cli_args a;
    int pr = cli_parse(&cli_sweep, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    if (cli_limits_options(&cli_sweep, &a, &lim))
        return FL_EXIT_USAGE;
    fl_sweep_config cfg = {0};
    cfg.seeds = 5;
    cfg.dist = dist;
    cfg.poll = cli_limits_poll;
    cfg.why_stopped = cli_limits_why;
    cfg.poll_ctx = &lim;
    unsigned long long v;
    const char *opt;
    if ((opt = cli_get(&cli_sweep, &a, "max-events"))) {
        if (cli_u64("max-events", opt, &v))
            return FL_EXIT_USAGE;
        cfg.max_events = v;
    }
    if ((opt = cli_get(&cli_sweep, &a, "seeds"))) {
        if (cli_u64("seeds", opt, &v))
            return FL_EXIT_USAGE;
        if (v < 1 || v > 10000) {
            cli_error("--seeds: expected 1 to 10000, got %s", opt);
            return FL_EXIT_USAGE;
        }
        cfg.seeds = (int)v;
    }
    if ((opt = cli_get(&cli_sweep, &a, "jobs"))) {
        if (cli_u64("jobs", opt, &v))
            return FL_EXIT_USAGE;
        if (v > 1024) {
            cli_error("--jobs: expected 0 to 1024 (0: the number of processors), got %s", opt);
            return FL_EXIT_USAGE;
        }
        cfg.jobs = (int)v;
    }
    cfg.variant = cli_get(&cli_sweep, &a, "variant");
    const char *pargs[MAX_PARAMS], *margs[MAX_METRICS];
    size_t npargs = collect(&cli_sweep, argc, argv, "param", pargs, MAX_PARAMS);
    size_t nmargs = collect(&cli_sweep, argc, argv, "metric", margs, MAX_METRICS);
    if (nmargs) {
        cfg.metrics = margs;
        cfg.nmetrics = nmargs;
    }
    cfg.sets = a.multi;
    cfg.nsets = a.nmulti;
    if (npargs == 0) {
        cli_error("sweep: no --param; give one or two, e.g. --param nodes.api.workers=4,8,16 "
                  "(see 'faultline sweep --help')");
        return FL_EXIT_USAGE;
    }
    fl_error e;
    char msg[1200];
    fl_sweep_param params[MAX_PARAMS];
    memset(params, 0, sizeof params);
    int rc = FL_EXIT_OK;
    for (size_t k = 0; k < npargs; k++)
        if (fl_sweep_param_parse(pargs[k], &params[k], &e) != FL_OK) {
            fl_error_format(&e, msg, sizeof msg);
            cli_error("%s", msg);
            rc = e.status == FL_NOMEM ? FL_EXIT_RUNTIME : FL_EXIT_USAGE;
            goto done;
        }
    cfg.params = params;
    cfg.nparams = npargs;
    fl_scenario *sc = NULL;
    if ((rc = cli_load_scenario_polled(&cli_sweep, &a, &sc, &lim)) != FL_EXIT_OK)
        goto done;
    char dir[4096];
    const char *out = cli_get(&cli_sweep, &a, "out");
    if (!out) {
        snprintf(dir, sizeof dir, "out/%s-sweep", fl_scenario_name(sc));
        out = dir;
    }
    /* The folder is one unit: written under a temporary name (by process 0 only), then
     * renamed over out, so no row or chart of an earlier sweep stays. */
    char staged[4200];
    static const char *const known[] = {"sweep.json", "sweep.csv", "sweep_summary.csv", "charts",
                                        NULL};
    if (dist->rank == 0 && (rc = cli_stage_dir(out, known, staged, sizeof staged)) != FL_EXIT_OK) {
        fl_scenario_free(sc);
        goto done;
    }
    cfg.out_dir = dist->rank == 0 ? staged : out;
    bool quiet = cli_get(&cli_sweep, &a, "quiet") != NULL;
    progress pg = {.tty = !quiet && isatty(2) != 0};
    clock_gettime(CLOCK_MONOTONIC, &pg.start);
    cfg.progress = on_progress;
    cfg.progress_ctx = &pg;
    char *json = NULL;
    fl_status st = fl_sweep(sc, &cfg, &json, &e);
    fl_scenario_free(sc);
    if (pg.shown)
        fprintf(stderr, "\r%60s\r", "");
    if (st != FL_OK && !json) {
        if (dist->rank == 0)
            fl__remove_tree(staged);
        fl_error_format(&e, msg, sizeof msg);
        fprintf(stderr, "%s%s\n", e.file[0] ? "" : "faultline: ", msg);
        rc = st == FL_LIMIT ? FL_EXIT_RUNTIME : cli_exit_for(st);
        goto done;
    }
    if (st != FL_OK) { /* stopped: the runs that finished are written, marked incomplete */
        cli_error("the sweep stopped early (%s); its files cover only the runs that finished "
                  "and sweep.json is marked incomplete",
                  lim.why ? lim.why : st == FL_LIMIT ? "--max-events reached" : "interrupted");
        rc = FL_EXIT_RUNTIME;
    }
    if (!json)
        goto done; /* an MPI process other than 0: process 0 reports */
    if (!quiet) {
        cJSON *s = cJSON_Parse(json);
        print_table(s);
        cJSON_Delete(s);
        printf("\noutputs: %s/{sweep.csv,sweep_summary.csv,sweep.json}\n", out);
    }
    free(json);
    if (cli_get(&cli_sweep, &a, "plot") && rc == FL_EXIT_OK)
        rc = plot_sweep(staged, out, quiet);
    if (cli_commit_dir(staged, out) != FL_EXIT_OK)
        rc = FL_EXIT_RUNTIME;
done:
    for (size_t k = 0; k < npargs; k++)
        fl_sweep_param_free(&params[k]);
    return rc;
}

int cmd_sweep(int argc, char **argv) { return cli_distributed(argc, argv, sweep_main); }
