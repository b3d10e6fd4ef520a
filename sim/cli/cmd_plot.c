/* faultline plot: charts for a run directory. */
#include <stdio.h>
#include <string.h>

#include <faultline/faultline.h>

#include "cli/cli.h"
#include "out/plot.h"

static const cli_opt plot_opts[] = {
    {"scenario", 's', "FILE", "the run's scenario file: its \"charts\" list orders the lesson charts"},
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_plot = {
    "plot",
    "RUN_DIR",
    "Draw a run's charts (PNG and SVG) with gnuplot into RUN_DIR/charts.",
    "Charts: latency percentiles over time (log scale), requests per second (issued, ok,\n"
    "errors), requests at each node. The warm-up and fault windows are shaded; every chart\n"
    "carries a stamp (scenario, variant, seed, version). Without gnuplot the .gp scripts are\n"
    "still written; install gnuplot (apt-get install gnuplot-nox) and rerun to draw them.\n"
    "A folder whose names (scenario, variant, nodes, workloads) break the name rule of\n"
    "scenarios/README.md is refused with exit status 2, and nothing is drawn.\n"
    "\nexample:\n  faultline run scenarios/queueing/mm1.json --out /tmp/mm1 && faultline plot /tmp/mm1\n",
    plot_opts,
    cmd_plot,
};

/* Shared with `run --plot`: draws and reports in one line; returns an exit code. */
int cli_plot_dir(const char *dir, const char *shown, bool quiet, const fl_scenario *sc)
{
    fl_plot_report rep;
    fl_error e;
    size_t nch = 0;
    const char *const *ch = sc ? fl_scenario_charts(sc, &nch) : NULL;
    if (fl_plot_run_dir_for(dir, sc ? fl_scenario_name(sc) : NULL, ch, nch, &rep, &e) != FL_OK) {
        char msg[1200], said[2400];
        fl_error_format(&e, msg, sizeof msg);
        /* `run --plot` draws into the run folder while it is staged under a temporary name:
         * the message names the folder the user will find */
        size_t dl = strlen(dir), o = 0;
        for (const char *p = msg; *p && o < sizeof said - 1;) {
            if (dl && strcmp(dir, shown) != 0 && strncmp(p, dir, dl) == 0) {
                o += (size_t)snprintf(said + o, sizeof said - o, "%s", shown);
                p += dl;
            } else
                said[o++] = *p++;
        }
        said[o < sizeof said ? o : sizeof said - 1] = 0;
        cli_error("plot: %s", said);
        /* A folder whose names fail the name rule is bad input, not a failed drawing. */
        return e.status == FL_INVALID || e.status == FL_USAGE ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
    }
    if (!rep.gnuplot)
        fprintf(stderr,
                "faultline: gnuplot is not installed: wrote %d chart scripts to %s/charts; to draw "
                "them, apt-get install gnuplot-nox, then: faultline plot %s\n",
                rep.scripts, shown, shown);
    else if (!quiet)
        printf("charts: %s/charts/{*.png,*.svg} (%d images)\n", shown, rep.images);
    return FL_EXIT_OK;
}

int cmd_plot(int argc, char **argv)
{
    cli_args a;
    int pr = cli_parse(&cli_plot, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    if (a.npos != 1) {
        cli_error("plot: expected one run directory (see 'faultline plot --help')");
        return FL_EXIT_USAGE;
    }
    const char *file = cli_get(&cli_plot, &a, "scenario");
    fl_scenario *sc = NULL;
    if (file) {
        fl_error e;
        if (fl_scenario_load(file, &sc, &e) != FL_OK) {
            char msg[1200];
            fl_error_format(&e, msg, sizeof msg);
            cli_error("%s", msg);
            return FL_EXIT_USAGE;
        }
    }
    int rc = cli_plot_dir(a.pos[0], a.pos[0], false, sc);
    fl_scenario_free(sc);
    return rc;
}
