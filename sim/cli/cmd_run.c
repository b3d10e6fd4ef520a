/* faultline run: one scenario, one variant, one seed. */
#include <dirent.h>
#include <errno.h>
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
#include "cli/limits.h"

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
    CLI_LIMIT_OPTS,
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
    cli_limits lim;
    bool tty, shown;
    double next_draw;
} bar;

/* Limits first (cheap: see cli/limits.c); the bar only on a terminal, once the run has
 * taken a second, redrawn ten times a second. */
static int progress(void *ctx, double frac)
{
    bar *b = ctx;
    if (cli_limits_poll(&b->lim))
        return 1;
    if (!b->tty || frac <= 0)
        return 0;
    double t = cli_limits_elapsed(&b->lim);
    if (t < 1.0 || t < b->next_draw)
        return 0;
    b->next_draw = t + 0.1;
    int width = 40, fill = (int)(frac * width + 0.5);
    if (fill > width)
        fill = width;
    fprintf(stderr, "\r[%.*s%*s] %3.0f%%  %.1fs", fill, "########################################",
            width - fill, "", frac * 100, t);
    b->shown = true;
    return 0;
}

static const char *why_stopped(void *ctx) { return cli_limits_why(&((bar *)ctx)->lim); }

/* What a run folder may hold: anything else is someone else's, and the folder is then
 * not replaced (refused, or written in place with --force). */
static const char *const run_files[] = {"summary.json", "timeseries.csv", "events.jsonl",
                                        "history.jsonl", "charts", "report.html", NULL};

/* Whether dir can be created (or written) by us: its nearest existing ancestor must be a
 * folder we may write into. Checked before the run, so that an --out that cannot work is
 * bad input (exit 2), not an i/o error after the time was spent. */
static bool out_creatable(const char *dir, char *why, size_t n)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (;;) {
        struct stat st;
        if (stat(p, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                snprintf(why, n, "%s is not a directory", p);
                return false;
            }
            if (access(p, W_OK | X_OK) != 0) {
                snprintf(why, n, "%s: %s", p, strerror(errno));
                return false;
            }
            return true;
        }
        char *slash = strrchr(p, '/');
        if (!slash) {
            if (access(".", W_OK | X_OK) == 0)
                return true;
            snprintf(why, n, ".: %s", strerror(errno));
            return false;
        }
        if (slash == p) {
            p[1] = 0;
            continue;
        }
        *slash = 0;
    }
}

/* Exit 3 with the reason, for a stop that came after the run (checking, writing). */
static int stopped_late(const bar *b, const char *when)
{
    cli_error("stopped %s: %s; nothing was written", when, b->lim.why);
    return FL_EXIT_RUNTIME;
}

int cmd_run(int argc, char **argv)
{
    bar b = {.tty = isatty(2) != 0};
    cli_limits_start(&b.lim); /* before anything is read: a FIFO or a large model */
    cli_args a;
    int pr = cli_parse(&cli_run, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    if (cli_limits_options(&cli_run, &a, &b.lim))
        return FL_EXIT_USAGE;
    fl_scenario *sc;
    int rc0 = cli_load_scenario_polled(&cli_run, &a, &sc, &b.lim);
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
    cfg.sets = a.multi;
    cfg.nsets = a.nmulti;
    cfg.progress = progress;
    cfg.why_stopped = why_stopped;
    cfg.progress_ctx = &b;
    cfg.history = cli_get(&cli_run, &a, "history") != NULL;
    bool quiet = cli_get(&cli_run, &a, "quiet") != NULL;
    bool check = cli_get(&cli_run, &a, "check") != NULL;

    /* Where the files go, decided (and refused) before any time is spent running. */
    char dir[4096];
    const char *out = NULL;
    bool in_place = false; /* --force into a folder with other files: leave them be */
    if (!cli_get(&cli_run, &a, "no-files")) {
        out = cli_get(&cli_run, &a, "out");
        if (!out) {
            snprintf(dir, sizeof dir, "out/%s/%s-seed%llu", fl_scenario_name(sc),
                     cfg.variant ? cfg.variant : "baseline",
                     (unsigned long long)(cfg.seed_given ? cfg.seed : fl_scenario_seed(sc)));
            out = dir;
        }
        char why[4200];
        if (!out_creatable(out, why, sizeof why)) {
            cli_error("cannot write the output directory %s (%s); choose another --out", out, why);
            fl_scenario_free(sc);
            return FL_EXIT_USAGE;
        }
        if (cli_foreign_dir(out, run_files)) {
            if (!cli_get(&cli_run, &a, "force")) {
                cli_error("%s already holds files that are not a faultline run's; choose "
                          "another --out or add --force",
                          out);
                fl_scenario_free(sc);
                return FL_EXIT_USAGE;
            }
            in_place = true;
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
        return cli_exit_for(st);
    }
    int rc = FL_EXIT_OK;
    if (!quiet)
        fl_result_print(r, stdout);
    bool written = true;
    fl_error we; /* e keeps the run's own message */
    if (out) {
        char staged[4200];
        fl_status wst;
        if (in_place)
            wst = fl_result_write_files(r, out, &we);
        else if ((wst = fl_result_stage(r, out, staged, sizeof staged, &we)) == FL_OK) {
            /* Charts go into the staged folder, so that they are replaced with the run. */
            if (cli_get(&cli_run, &a, "plot") && cli_plot_dir(staged, out, quiet, sc) != FL_EXIT_OK)
                rc = FL_EXIT_RUNTIME;
            if (st == FL_OK && cli_limits_poll(&b.lim)) { /* a signal while writing */
                fl_result_discard(staged);
                fl_result_free(r);
                fl_scenario_free(sc);
                return stopped_late(&b, "while writing the files");
            }
            wst = fl_result_commit(staged, out, &we);
        }
        if (wst != FL_OK) {
            fl_error_format(&we, msg, sizeof msg);
            cli_error("%s", msg);
            rc = FL_EXIT_RUNTIME;
            written = false;
        } else {
            if (!quiet)
                printf("\noutputs: %s/{summary.json,timeseries.csv,events.jsonl%s}\n", out,
                       cfg.history ? ",history.jsonl" : "");
            if (in_place && cli_get(&cli_run, &a, "plot") &&
                cli_plot_dir(out, out, quiet, sc) != FL_EXIT_OK)
                rc = FL_EXIT_RUNTIME;
        }
    }
    int failed, stated = fl_result_expectations(r, &failed);
    if (st != FL_OK) {
        fl_error_format(&e, msg, sizeof msg);
        cli_error("the run stopped early (%s); the summary is marked incomplete",
                  st == FL_LIMIT   ? "--max-events reached"
                  : st == FL_NOMEM ? msg
                  : b.lim.why      ? b.lim.why
                                   : "interrupted");
        if (rc == FL_EXIT_OK)
            rc = FL_EXIT_RUNTIME;
    }
    if (st != FL_OK)
        printf("verdict: INCOMPLETE (expectations not checked: the run stopped early)\n");
    else if (!written)
        printf("verdict: not given (the files could not be written)\n");
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
