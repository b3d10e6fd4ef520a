/* faultline explain: a scenario told in plain text. */
#include <stdio.h>

#include <faultline/faultline.h>

#include "cli/cli.h"

static const cli_opt explain_opts[] = {
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_explain = {
    "explain",
    "SCENARIO",
    "Tell a scenario's story: sources, system, fault timeline, what each fix changes and\n"
    "what each run must show.",
    "example:\n  faultline explain scenarios/retry-storm.json\n",
    explain_opts,
    cmd_explain,
};

int cmd_explain(int argc, char **argv)
{
    cli_args a;
    int pr = cli_parse(&cli_explain, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    if (a.npos != 1) {
        cli_error("explain: expected one scenario file (see 'faultline explain --help')");
        return FL_EXIT_USAGE;
    }
    fl_scenario *sc;
    fl_error e;
    if (fl_scenario_load(a.pos[0], &sc, &e) != FL_OK) {
        char msg[1200];
        fl_error_format(&e, msg, sizeof msg);
        fprintf(stderr, "%s\n", msg);
        return FL_EXIT_USAGE;
    }
    fl_scenario_explain(sc, stdout);
    fl_scenario_free(sc);
    return FL_EXIT_OK;
}
