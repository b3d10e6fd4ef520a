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
    "Tell a scenario's story: sources, system, fault timeline, fixes, what each run must show.",
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
    fl_scenario *sc;
    int rc = cli_load_scenario(&cli_explain, &a, &sc);
    if (rc != FL_EXIT_OK)
        return rc;
    fl_scenario_explain(sc, stdout);
    fl_scenario_free(sc);
    return FL_EXIT_OK;
}
