/* faultline run: one scenario, one variant, one seed. */
#include <stdio.h>
#include <string.h>
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
    {"no-files", 0, NULL, "write no output files (print the summary only)"},
    {"max-events", 0, "N", "stop after N events; the summary is marked incomplete"},
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
} bar;

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
    if (!b->tty)
        return 0;
    double t = elapsed(b);
    if (t < 1.0)
        return 0;
    int width = 40, fill = (int)(frac * width + 0.5);
    if (fill > width)
        fill = width;
    fprintf(stderr, "\r[%.*s%*s] %3.0f%%  %.1fs", fill, "########################################",
            width - fill, "", frac * 100, t);
    b->shown = true;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    cli_args a;
    int pr = cli_parse(&cli_run, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    if (a.npos != 1) {
        cli_error("run: expected one scenario file (see 'faultline run --help')");
        return FL_EXIT_USAGE;
    }
    fl_error e;
    fl_scenario *sc;
    char msg[1200];
    if (fl_scenario_load(a.pos[0], &sc, &e) != FL_OK) {
        fl_error_format(&e, msg, sizeof msg);
        fprintf(stderr, "%s\n", msg);
        return e.status == FL_NOMEM ? FL_EXIT_RUNTIME : FL_EXIT_USAGE;
    }
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
    if (maxev) {
        if (cli_u64("max-events", maxev, &v)) {
            fl_scenario_free(sc);
            return FL_EXIT_USAGE;
        }
        cfg.max_events = v;
    }
    cfg.sets = a.multi;
    cfg.nsets = a.nmulti;
    bar b = {.tty = isatty(2) != 0};
    clock_gettime(CLOCK_MONOTONIC, &b.start);
    cfg.progress = progress;
    cfg.progress_ctx = &b;
    bool quiet = cli_get(&cli_run, &a, "quiet") != NULL;
    bool check = cli_get(&cli_run, &a, "check") != NULL;

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
    if (!cli_get(&cli_run, &a, "no-files")) {
        char dir[4096];
        const char *out = cli_get(&cli_run, &a, "out");
        if (!out) {
            snprintf(dir, sizeof dir, "out/%s/%s-seed%llu", fl_scenario_name(sc),
                     cfg.variant ? cfg.variant : "baseline",
                     (unsigned long long)(cfg.seed_given ? cfg.seed : fl_scenario_seed(sc)));
            out = dir;
        }
        if (fl_result_write(r, out, &e) != FL_OK) {
            fl_error_format(&e, msg, sizeof msg);
            cli_error("%s", msg);
            rc = FL_EXIT_RUNTIME;
        } else if (!quiet)
            printf("\noutputs: %s/{summary.json,timeseries.csv,events.jsonl}\n", out);
    }
    int failed, stated = fl_result_expectations(r, &failed);
    if (st != FL_OK) {
        cli_error("the run stopped early (%s); the summary is marked incomplete",
                  st == FL_LIMIT ? "--max-events reached" : "interrupted");
        rc = FL_EXIT_RUNTIME;
    }
    if (stated)
        printf("verdict: %s (%d of %d expectations held)\n", failed ? "FAIL" : "PASS",
               stated - failed, stated);
    if (check && failed && rc == FL_EXIT_OK)
        rc = FL_EXIT_EXPECT;
    fl_result_free(r);
    fl_scenario_free(sc);
    return rc;
}
