/* faultline validate: load and check scenario files without running them. */
#include <stdio.h>

#include <faultline/faultline.h>

#include "cli/cli.h"
#include "cli/limits.h"

static const cli_opt validate_opts[] = {
    {"quiet", 'q', NULL, "print only errors"},
    {"variants", 0, NULL, "print each file's variants, one per line (baseline first)"},
    CLI_LIMIT_OPTS,
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_validate = {
    "validate",
    "SCENARIO...",
    "Check scenario files (every variant and expectation) without running them.",
    "example:\n  faultline validate scenarios/*.json scenarios/queueing/*.json\n",
    validate_opts,
    cmd_validate,
};

int cmd_validate(int argc, char **argv)
{
    static cli_limits lim; /* validating builds every variant's model: limits apply */
    cli_limits_start(&lim);
    cli_args a;
    int pr = cli_parse(&cli_validate, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    if (cli_limits_options(&cli_validate, &a, &lim))
        return FL_EXIT_USAGE;
    if (a.npos == 0) {
        cli_error("validate: expected one or more scenario files");
        return FL_EXIT_USAGE;
    }
    int bad = 0;
    for (size_t i = 0; i < a.npos; i++) {
        fl_error e;
        fl_scenario *sc;
        fl_status st = fl_scenario_load_polled(a.pos[i], cli_limits_poll, &lim, &sc, &e);
        if (st != FL_OK) {
            char msg[1200];
            fl_error_format(&e, msg, sizeof msg);
            fprintf(stderr, "%s\n", msg);
            if (cli_load_exit(st) == FL_EXIT_RUNTIME) { /* not the file's fault: stop here */
                if (lim.why)
                    cli_error("validation stopped: %s", lim.why);
                return FL_EXIT_RUNTIME;
            }
            bad++;
            continue;
        }
        if (cli_get(&cli_validate, &a, "variants")) {
            printf("baseline\n");
            for (size_t k = 0; k < fl_scenario_variant_count(sc); k++)
                printf("%s\n", fl_scenario_variant_name(sc, k));
        } else if (!cli_get(&cli_validate, &a, "quiet"))
            printf("%s: ok (%s, %zu variant%s)\n", a.pos[i], fl_scenario_name(sc),
                   fl_scenario_variant_count(sc) + 1, fl_scenario_variant_count(sc) ? "s" : "");
        fl_scenario_free(sc);
    }
    return bad ? FL_EXIT_USAGE : FL_EXIT_OK;
}
