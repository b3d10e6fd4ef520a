/* faultline: the command-line entry point. Thin: it finds the subcommand and hands over. */
#include <stdio.h>
#include <string.h>

#include <faultline/faultline.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "fl_config.h"

static const cli_cmd *const commands[] = {&cli_run,      &cli_compare, &cli_sweep,
                                          &cli_explore,
                                          &cli_plot,     &cli_report,  &cli_explain,
                                          &cli_validate, &cli_list,    &cli_bench,
                                          &cli_serve};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f, "faultline %s: a deterministic simulator of distributed-systems failures\n\n"
               "usage: faultline COMMAND [ARGS]\n\ncommands:\n",
            FL_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\n'faultline COMMAND --help' describes one command.\n"
               "Example: faultline run scenarios/queueing/mm1.json --check\n"
               "\nexit status: 0 ok, 1 an expectation failed (--check), 2 bad input or usage,\n"
               "3 the run could not finish (out of memory, i/o error, a limit, SIGINT/SIGTERM).\n");
}

int main(int argc, char **argv)
{
    fl_alloc_install_cjson();
    if (argc < 2) {
        usage(stderr);
        return FL_EXIT_USAGE;
    }
    const char *c = argv[1];
    if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0 || strcmp(c, "help") == 0) {
        usage(stdout);
        return FL_EXIT_OK;
    }
    if (strcmp(c, "--version") == 0 || strcmp(c, "version") == 0) {
        printf("faultline %s\n", FL_VERSION);
        return FL_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(c, commands[i]->name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    cli_error("unknown command '%s' (commands: run, compare, sweep, explore, plot, report, explain, "
              "validate, list, bench, serve; see 'faultline --help')",
              c);
    return FL_EXIT_USAGE;
}
