/* Option parsing and --help from one table per subcommand. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dirent.h>
#include <stdbool.h>
#include <unistd.h>

#include <faultline/scenario.h>
#include <faultline/sweep.h>

#include "cli/cli.h"
#include "out/files.h"
#include "cli/limits.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("faultline: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_index(const cli_cmd *cmd, const char *name)
{
    for (int i = 0; cmd->opts[i].name; i++)
        if (strcmp(cmd->opts[i].name, name) == 0)
            return i;
    return -1;
}

const char *cli_get(const cli_cmd *cmd, const cli_args *a, const char *name)
{
    int i = cli_index(cmd, name);
    return i < 0 ? NULL : a->values[i];
}

void cli_help(const cli_cmd *cmd, FILE *f)
{
    fprintf(f, "usage: faultline %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->usage, cmd->summary);
    for (int i = 0; cmd->opts[i].name; i++) {
        const cli_opt *o = &cmd->opts[i];
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
                     o->metavar ? " " : "", o->metavar ? o->metavar : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        fprintf(f, "  %-24s %s\n", left, o->help);
    }
    fprintf(f, "  %-24s %s\n", "-h, --help", "print this help and exit");
    if (cmd->details)
        fprintf(f, "\n%s", cmd->details);
    fprintf(f, "\nexit status: 0 ok, 1 an expectation failed (--check), 2 bad input or usage,\n"
               "3 the run could not finish (out of memory, i/o error, a limit).\n");
}

static const cli_opt *find_long(const cli_cmd *cmd, const char *name, size_t len, int *idx)
{
    for (int i = 0; cmd->opts[i].name; i++)
        if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0) {
            *idx = i;
            return &cmd->opts[i];
        }
    return NULL;
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->multi_index = cli_index(cmd, "set");
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_pos || arg[0] != '-' || !arg[1]) {
            if (a->npos == sizeof a->pos / sizeof a->pos[0]) {
                cli_error("%s: too many arguments", cmd->name);
                return -1;
            }
            a->pos[a->npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            cli_help(cmd, stdout);
            return 1;
        }
        const cli_opt *o = NULL;
        int idx = -1;
        const char *value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            o = find_long(cmd, name, eq ? (size_t)(eq - name) : strlen(name), &idx);
            if (eq)
                value = eq + 1;
        } else if (!arg[2]) {
            for (int k = 0; cmd->opts[k].name; k++)
                if (cmd->opts[k].short_name == arg[1]) {
                    o = &cmd->opts[k];
                    idx = k;
                }
        }
        if (!o) {
            cli_error("%s: unknown option '%s' (see 'faultline %s --help')", cmd->name, arg,
                      cmd->name);
            return -1;
        }
        if (o->metavar && !value) {
            if (i + 1 >= argc) {
                cli_error("%s: option --%s needs a value (%s)", cmd->name, o->name, o->metavar);
                return -1;
            }
            value = argv[++i];
        } else if (!o->metavar && value) {
            cli_error("%s: option --%s takes no value", cmd->name, o->name);
            return -1;
        }
        if (!o->metavar)
            value = "";
        if (idx == a->multi_index) {
            if (a->nmulti == sizeof a->multi / sizeof a->multi[0]) {
                cli_error("%s: too many --%s options", cmd->name, o->name);
                return -1;
            }
            a->multi[a->nmulti++] = value;
        }
        a->values[idx] = value;
    }
    return 0;
}

int cli_u64(const char *opt, const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!s[0] || s[0] == '-') {
        cli_error("--%s: expected a non-negative integer, got \"%s\"", opt, s);
        return -1;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno) {
        cli_error("--%s: expected a non-negative integer, got \"%s\"", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_load_scenario(const cli_cmd *cmd, const cli_args *a, fl_scenario **sc)
{
    return cli_load_scenario_polled(cmd, a, sc, NULL);
}

int cli_load_scenario_polled(const cli_cmd *cmd, const cli_args *a, fl_scenario **sc,
                             cli_limits *lim)
{
    *sc = NULL;
    if (a->npos != 1) {
        cli_error("%s: expected one scenario file (see 'faultline %s --help')", cmd->name,
                  cmd->name);
        return FL_EXIT_USAGE;
    }
    fl_error e;
    fl_status st = fl_scenario_load_polled(a->pos[0], lim ? cli_limits_poll : NULL, lim, sc, &e);
    if (st != FL_OK) {
        char msg[1200];
        fl_error_format(&e, msg, sizeof msg);
        fprintf(stderr, "%s%s%s\n", msg, st == FL_INTERRUPTED && lim && lim->why ? ": " : "",
                st == FL_INTERRUPTED && lim && lim->why ? lim->why : "");
        return cli_load_exit(st);
    }
    return FL_EXIT_OK;
}

int cli_exit_for(fl_status st)
{
    switch (st) {
    case FL_OK:
        return FL_EXIT_OK;
    case FL_EXPECT:
        return FL_EXIT_EXPECT;
    case FL_NOMEM:
    case FL_IO:
    case FL_INTERRUPTED:
    case FL_INTERNAL:
        return FL_EXIT_RUNTIME;
    default: /* a file, an option, an override, a size limit on input */
        return FL_EXIT_USAGE;
    }
}

int cli_load_exit(fl_status st)
{
    /* A file that cannot be opened or read is the user's input; memory and signals not. */
    return st == FL_NOMEM || st == FL_INTERRUPTED ? FL_EXIT_RUNTIME : FL_EXIT_USAGE;
}

bool cli_foreign_dir(const char *dir, const char *const *known)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool foreign = false;
    struct dirent *de;
    while (!foreign && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        foreign = true;
        for (size_t i = 0; known[i] && foreign; i++)
            foreign = strcmp(de->d_name, known[i]) != 0;
    }
    closedir(d);
    return foreign;
}

int cli_stage_dir(const char *out, const char *const *known, char *staged, size_t n)
{
    if (cli_foreign_dir(out, known)) {
        cli_error("%s already holds files that faultline did not write there; choose another "
                  "--out",
                  out);
        return FL_EXIT_USAGE;
    }
    size_t k = strlen(out);
    while (k > 1 && out[k - 1] == '/')
        k--;
    if (snprintf(staged, n, "%.*s.tmp.%ld", (int)k, out, (long)getpid()) >= (int)n) {
        cli_error("--out %s: the name is too long", out);
        return FL_EXIT_USAGE;
    }
    fl__remove_tree(staged);
    return FL_EXIT_OK;
}

int cli_commit_dir(const char *staged, const char *out)
{
    fl_error e;
    fl_error_clear(&e);
    if (fl__dir_replace(staged, out, &e) != FL_OK) {
        char msg[1200];
        fl_error_format(&e, msg, sizeof msg);
        cli_error("%s", msg);
        return FL_EXIT_RUNTIME;
    }
    return FL_EXIT_OK;
}

int cli_distributed(int argc, char **argv,
                    int (*fn)(int argc, char **argv, const struct fl_sweep_dist *dist))
{
    fl_sweep_dist dist;
    fl_error e;
    if (fl_sweep_dist_begin(&dist, &e) != FL_OK) {
        char msg[1200];
        fl_error_format(&e, msg, sizeof msg);
        cli_error("%s", msg);
        return FL_EXIT_RUNTIME;
    }
    /* Only process 0 speaks and writes; the others would repeat it word for word. */
    if (dist.rank != 0) {
        FILE *o = freopen("/dev/null", "w", stdout), *r = freopen("/dev/null", "w", stderr);
        (void)o, (void)r; /* if /dev/null cannot be had, they speak: no worse than that */
    }
    int rc = fn(argc, argv, &dist);
    fl_sweep_dist_end(&dist);
    return rc;
}
