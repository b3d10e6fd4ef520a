/* The command-line front end: one options table per subcommand feeds both parsing and
 * --help, so the two never disagree. Exit codes are the same for every subcommand. */
#ifndef FL_CLI_H
#define FL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <faultline/status.h>

enum fl_exit {
    FL_EXIT_OK = 0,       /* success; every stated expectation held */
    FL_EXIT_EXPECT = 1,   /* an expectation failed (with --check) */
    FL_EXIT_USAGE = 2,    /* bad input: usage, scenario file, override, output directory */
    FL_EXIT_RUNTIME = 3,  /* could not finish: out of memory, i/o, a limit, a signal */
};

typedef struct cli_opt {
    const char *name;    /* long name without "--" */
    char short_name;     /* 0 when none */
    const char *metavar; /* NULL for a flag */
    const char *help;
} cli_opt;

typedef struct cli_cmd {
    const char *name;
    const char *usage; /* after "faultline NAME " */
    const char *summary;
    const char *details; /* printed after the options, may be NULL */
    const cli_opt *opts; /* terminated by a {NULL} entry */
    int (*run)(int argc, char **argv);
} cli_cmd;

/* Parsed options: values[i] for opts[i] (flags get "" when present, NULL when absent);
 * repeated options are kept in order in `multi` (used for --set). */
typedef struct cli_args {
    const char *values[32];
    const char *multi[256];
    size_t nmulti;
    int multi_index; /* which option collects repeats, -1 none */
    const char *pos[64];
    size_t npos;
} cli_args;

/* Parses argv (argv[0] is the subcommand). Prints an error and returns -1 on bad usage;
 * returns 1 when --help was printed; 0 otherwise. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a);
void cli_help(const cli_cmd *cmd, FILE *f);
/* Index of option `name` in cmd->opts. */
int cli_index(const cli_cmd *cmd, const char *name);
const char *cli_get(const cli_cmd *cmd, const cli_args *a, const char *name);
/* Parses an unsigned integer option; prints an error and returns -1 when malformed. */
int cli_u64(const char *opt, const char *s, unsigned long long *out);
/* Loads the one scenario file among the positional arguments, printing the error the way a
 * compiler would. Returns an exit code (FL_EXIT_OK with *sc set, owned by the caller). */
struct fl_scenario;
int cli_load_scenario(const cli_cmd *cmd, const cli_args *a, struct fl_scenario **sc);
/* The same, asking the limits (cli/limits.h; NULL: none) while it reads and builds whether
 * to stop (exit 3, the reason printed). */
struct cli_limits;
int cli_load_scenario_polled(const cli_cmd *cmd, const cli_args *a, struct fl_scenario **sc,
                             struct cli_limits *lim);
/* The exit code for a library status: bad input 2; out of memory, i/o, interrupted 3. */
int cli_exit_for(fl_status st);
/* The exit code for a failure to load a scenario file: 3 for out of memory or a stop, 2
 * for everything else (a missing or unreadable file is bad input too). */
int cli_load_exit(fl_status st);
/* Runs fn(argc, argv, dist) as one process of a distributed run (MPI when built with it and
 * started under mpirun; else the only process). Only process 0 speaks: the others' stdout
 * and stderr go to /dev/null. Returns fn's exit code, or FL_EXIT_RUNTIME when MPI fails. */
struct fl_sweep_dist;
int cli_distributed(int argc, char **argv,
                    int (*fn)(int argc, char **argv, const struct fl_sweep_dist *dist));
/* True when dir holds an entry whose name is not in `known` (NULL-terminated): a folder
 * faultline may not replace, since that would delete someone else's files. */
bool cli_foreign_dir(const char *dir, const char *const *known);
/* A folder written as one unit (compare, sweep): refuses (exit 2, message printed) an
 * --out holding anything but the `known` names; else puts the staging name
 * "<out>.tmp.<pid>" into staged. cli_commit_dir then renames the staged folder over out
 * (exit 3 on failure). */
int cli_stage_dir(const char *out, const char *const *known, char *staged, size_t n);
int cli_commit_dir(const char *staged, const char *out);
/* Prints "faultline: " + message to stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_explore(int argc, char **argv);
/* Draws the charts of the run folder dir; messages name it `shown` (dir may be the
 * folder's temporary name while it is written). */
struct fl_scenario;
int cli_plot_dir(const char *dir, const char *shown, bool quiet, const struct fl_scenario *sc);

extern const cli_cmd cli_run, cli_validate, cli_list, cli_bench, cli_plot,
    cli_compare, cli_explain, cli_report, cli_sweep, cli_explore;
extern const cli_cmd cli_serve;

#endif
