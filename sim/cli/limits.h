/* Limits and signals for the commands that run simulations: see limits.c. */
#ifndef FL_CLI_LIMITS_H
#define FL_CLI_LIMITS_H

#include <time.h>

#include "cli/cli.h"

/* The option-table entries every such command lists (the same text everywhere). */
#define CLI_LIMIT_OPTS                                                                      \
    {"max-wall", 0, "SECONDS", "stop after this much wall-clock time (default: none)"},    \
        {"max-memory", 0, "MIB",                                                            \
         "stop when the process holds this much memory (default: 3/4 of RAM)"}

typedef struct cli_limits {
    struct timespec start;
    double max_wall;    /* seconds; 0 = none */
    double max_rss_kib; /* 0 = none */
    double next_rss;    /* elapsed seconds at which to read the resident size again */
    const char *why;    /* set once a limit or a signal says stop; stays set */
} cli_limits;

/* Starts the clock, sets the default memory limit and installs the SIGINT/SIGTERM
 * handlers. Call it first, before any file is read. */
void cli_limits_start(cli_limits *l);
/* Reads --max-wall and --max-memory; prints the error and returns -1 when malformed. */
int cli_limits_options(const cli_cmd *cmd, const cli_args *a, cli_limits *l);
/* Non-zero (and l->why set) once a signal came or a limit is reached. ctx: the cli_limits. */
int cli_limits_poll(void *ctx);
/* l->why, for fl_run_config.why_stopped. */
const char *cli_limits_why(void *ctx);
double cli_limits_elapsed(const cli_limits *l);

#endif
