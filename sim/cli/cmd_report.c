/* faultline report: one self-contained HTML page from a run or compare directory. */
#include <stdio.h>

#include <faultline/faultline.h>

#include "cli/cli.h"
#include "out/report.h"

static const cli_opt report_opts[] = {
    {"out", 'o', "FILE", "write the report here (default: DIR/report.html)"},
    {"scenario", 's', "FILE", "the scenario file: adds its story, references, variants' texts"},
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_report = {
    "report",
    "DIR [-o FILE] [--scenario SCENARIO]",
    "Write one self-contained HTML page (tables, SVG charts) of a run or compare directory.",
    "A run directory (faultline run --out DIR) gives: the stamp (scenario, variant, seed,\n"
    "version), the timeline, the expectations, requests per workload, every node figure, and\n"
    "charts of latency, requests per second, requests held and busy workers per node, fault\n"
    "windows shaded. A compare directory (faultline compare --out DIR) gives the comparison\n"
    "table with verdicts and, per workload, goodput and p99 latency over time: the median\n"
    "over seeds per variant, with a band from the lowest to the highest seed.\n"
    "The same files give a byte-identical report.\n"
    "\nexample:\n  faultline run scenarios/retry-storm.json --out /tmp/storm && "
    "faultline report /tmp/storm --scenario scenarios/retry-storm.json\n",
    report_opts,
    cmd_report,
};

int cmd_report(int argc, char **argv)
{
    cli_args a;
    int pr = cli_parse(&cli_report, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    if (a.npos != 1) {
        cli_error("report: expected one run or compare directory (see 'faultline report --help')");
        return FL_EXIT_USAGE;
    }
    const char *dir = a.pos[0], *out = cli_get(&cli_report, &a, "out");
    fl_error e;
    fl_status st = fl_report_write(dir, out, cli_get(&cli_report, &a, "scenario"), &e);
    if (st != FL_OK) {
        char msg[1200];
        fl_error_format(&e, msg, sizeof msg);
        cli_error("report: %s", msg);
        return st == FL_IO || st == FL_NOMEM || st == FL_INTERNAL ? FL_EXIT_RUNTIME
                                                                   : FL_EXIT_USAGE;
    }
    if (out)
        printf("report: %s\n", out);
    else
        printf("report: %s/report.html\n", dir);
    return FL_EXIT_OK;
}
