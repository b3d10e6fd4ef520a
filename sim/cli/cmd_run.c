/* faultline run: one scenario, one variant, one seed. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <faultline/faultline.h>

#include "cli/cli.h"

static const cli_opt run_opts[] = {
    {"variant", 'v', "NAME", "run this variant instead of the baseline"},
    {"seed", 's', "N", "random seed (default: the scenario's \"seed\", else 1)"},
    {"set", 0, "PATH=VALUE", "override a field, e.g. --set nodes.api.workers=8 (repeatable)"},
    {"out", 'o', "DIR", "write outputs here (default: out/SCENARIO/VARIANT-seedN)"},
    {"check", 'c', NULL, "exit with status 1 when an expectation fails"},
    {"quiet", 'q', NULL, "print nothing but errors and the verdict line"},
    {"plot", 'p', NULL, "also draw the charts (gnuplot) into the output directory's charts/"},
    {"no-files", 0, NULL, "write no output files (print the summary only)"},
    {"history", 0, NULL, "also write history.jsonl: every client operation (key, value, outcome)"},
    {"max-events", 0, "N", "stop after N events (default 10^11); the summary is marked incomplete"},
    {"max-wall", 0, "SECONDS", "stop after this much wall-clock time (default: none)"},
    {"max-memory", 0, "MIB", "stop when the process holds this much memory (default: 3/4 of RAM)"},
    {"force", 'f', NULL, "write into --out DIR even if it holds files that are not a run's"},
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_run = {
    "run",
    "SCENARIO [--variant V] [--seed N] [--set P=V]... [--out DIR] [--check]",
    "Run a scenario and print a summary; write summary.json, timeseries.csv, events.jsonl.",
    "examples:\n"
    "  faultline run scenarios/queueing/mm1.json --check\n"
    "  faultline run scenarios/queueing/mm1.json --set workloads.arrivals.rate=950/s\n",
    run_opts,
    cmd_run,
};

typedef struct bar {
    struct timespec start;
    bool tty, shown;
    double max_wall;       /* seconds; 0 = none */
    double max_rss_kib;    /* 0 = none */
    const char *why;       /* set when a limit or a signal stops the run */
} bar;

/* Set by SIGINT/SIGTERM; the run checks it between events and stops cleanly. */
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static const char *why_stopped(void *ctx)
{
    return ((bar *)ctx)->why;
}

static double rss_kib(void)
{
    /* Current resident size from /proc (Linux); 0 when unknown, which disables the check. */
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1024.0;
}

static double elapsed(const bar *b)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - b->start.tv_sec) + (double)(now.tv_nsec - b->start.tv_nsec) / 1e9;
}

/* Shown only on a terminal and only once the run has taken a second. */
static int progress(void *ctx, double frac)
{
    bar *b = ctx;
    double t = elapsed(b);
    if (got_signal) {
        b->why = got_signal == SIGINT ? "interrupted (SIGINT)" : "interrupted (SIGTERM)";
        return 1;
    }
    if (b->max_wall > 0 && t > b->max_wall) {
        b->why = "wall-clock limit (--max-wall)";
        return 1;
    }
    if (b->max_rss_kib > 0 && rss_kib() > b->max_rss_kib) {
        b->why = "memory limit (--max-memory)";
        return 1;
    }
    if (!b->tty || t < 1.0)
        return 0;
    int width = 40, fill = (int)(frac * width + 0.5);
    if (fill > width)
        fill = width;
    fprintf(stderr, "\r[%.*s%*s] %3.0f%%  %.1fs", fill, "########################################",
            width - fill, "", frac * 100, t);
    b->shown = true;
    return 0;
}

/* True when dir exists, is not empty and does not hold a previous run (summary.json):
 * writing there could mix our files with someone else's. */
static bool foreign_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool any = false, run = false;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        any = true;
        if (strcmp(de->d_name, "summary.json") == 0)
            run = true;
    }
    closedir(d);
    return any && !run;
}

int cmd_run(int argc, char **argv)
{
    cli_args a;
    int pr = cli_parse(&cli_run, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    fl_scenario *sc;
    int rc0 = cli_load_scenario(&cli_run, &a, &sc);
    if (rc0 != FL_EXIT_OK)
        return rc0;
    fl_error e;
    char msg[1200];
    fl_run_config cfg = {0};
    cfg.variant = cli_get(&cli_run, &a, "variant");
    const char *seed = cli_get(&cli_run, &a, "seed");
    const char *maxev = cli_get(&cli_run, &a, "max-events");
    unsigned long long v;
    if (seed) {
        if (cli_u64("seed", seed, &v)) {
            fl_scenario_free(sc);
            return FL_EXIT_USAGE;
        }
        cfg.seed = v;
        cfg.seed_given = true;
    }
    cfg.max_events = 100000000000ULL;
    if (maxev) {
        if (cli_u64("max-events", maxev, &v)) {
            fl_scenario_free(sc);
            return FL_EXIT_USAGE;
        }
        cfg.max_events = v;
    }
    bar b = {.tty = isatty(2) != 0};
    const char *mw = cli_get(&cli_run, &a, "max-wall"), *mm = cli_get(&cli_run, &a, "max-memory");
    if (mw) {
        if (cli_u64("max-wall", mw, &v)) {
            fl_scenario_free(sc);
            return FL_EXIT_USAGE;
        }
        b.max_wall = (double)v;
    }
    long phys = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (phys > 0 && psz > 0)
        b.max_rss_kib = (double)phys * (double)psz / 1024.0 * 0.75;
    if (mm) {
        if (cli_u64("max-memory", mm, &v)) {
            fl_scenario_free(sc);
            return FL_EXIT_USAGE;
        }
        b.max_rss_kib = (double)v * 1024.0;
    }
    cfg.sets = a.multi;
    cfg.nsets = a.nmulti;
    clock_gettime(CLOCK_MONOTONIC, &b.start);
    cfg.progress = progress;
    cfg.why_stopped = why_stopped;
    cfg.progress_ctx = &b;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cfg.history = cli_get(&cli_run, &a, "history") != NULL;
    bool quiet = cli_get(&cli_run, &a, "quiet") != NULL;
    bool check = cli_get(&cli_run, &a, "check") != NULL;

    /* Where the files go, decided (and refused) before any time is spent running. */
    char dir[4096];
    const char *out = NULL;
    if (!cli_get(&cli_run, &a, "no-files")) {
        out = cli_get(&cli_run, &a, "out");
        if (!out) {
            snprintf(dir, sizeof dir, "out/%s/%s-seed%llu", fl_scenario_name(sc),
                     cfg.variant ? cfg.variant : "baseline",
                     (unsigned long long)(cfg.seed_given ? cfg.seed : fl_scenario_seed(sc)));
            out = dir;
        }
        if (!cli_get(&cli_run, &a, "force") && foreign_dir(out)) {
            cli_error("%s already holds files that are not a faultline run; choose another "
                      "--out or add --force",
                      out);
            fl_scenario_free(sc);
            return FL_EXIT_USAGE;
        }
    }

    fl_result *r = NULL;
    fl_status st = fl_run(sc, &cfg, &r, &e);
    if (b.shown)
        fputs("\r\033[K", stderr);
    if (!r) {
        fl_error_format(&e, msg, sizeof msg);
        fprintf(stderr, "%s%s\n", strncmp(msg, "faultline", 9) && !e.file[0] ? "faultline: " : "", msg);
        fl_scenario_free(sc);
        return st == FL_NOMEM || st == FL_IO ? FL_EXIT_RUNTIME : FL_EXIT_USAGE;
    }
    int rc = FL_EXIT_OK;
    if (!quiet)
        fl_result_print(r, stdout);
    if (out) {
        if (fl_result_write(r, out, &e) != FL_OK) {
            fl_error_format(&e, msg, sizeof msg);
            cli_error("%s", msg);
            rc = FL_EXIT_RUNTIME;
        } else {
            if (!quiet)
                printf("\noutputs: %s/{summary.json,timeseries.csv,events.jsonl%s}\n", out,
                       cfg.history ? ",history.jsonl" : "");
            if (cli_get(&cli_run, &a, "plot") && cli_plot_dir(out, quiet) != FL_EXIT_OK)
                rc = FL_EXIT_RUNTIME;
        }
    }
    int failed, stated = fl_result_expectations(r, &failed);
    if (st != FL_OK) {
        cli_error("the run stopped early (%s); the summary is marked incomplete",
                  st == FL_LIMIT ? "--max-events reached" : b.why ? b.why : "interrupted");
        if (rc == FL_EXIT_OK)
            rc = FL_EXIT_RUNTIME;
    }
    if (st != FL_OK)
        printf("verdict: INCOMPLETE (expectations not checked: the run stopped early)\n");
    else if (stated)
        printf("verdict: %s (%d of %d expectations held)\n", failed ? "FAIL" : "PASS",
               stated - failed, stated);
    if (check && failed && rc == FL_EXIT_OK)
        rc = FL_EXIT_EXPECT;
    /* A figure the run does not report is a mistake in the file, not a failed check. */
    char fig[256];
    int unknown = st == FL_OK ? fl_result_unknown_figures(r, fig, sizeof fig) : 0;
    if (unknown) {
        char more[64] = "";
        if (unknown > 1)
            snprintf(more, sizeof more, ", nor are %d more", unknown - 1);
        fprintf(stderr, "%s: expect.%s.%s: no such figure in this run's summary%s (summary.json "
                "lists the figures the run reports)\n", fl_scenario_file(sc),
                cfg.variant ? cfg.variant : "baseline", fig, more);
        if (check)
            rc = FL_EXIT_USAGE;
    }
    fl_result_free(r);
    fl_scenario_free(sc);
    return rc;
}
