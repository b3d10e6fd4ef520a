/* Limits and signals shared by the commands that run simulations (run, compare, sweep,
 * validate): --max-wall, --max-memory, SIGINT and SIGTERM.
 *
 * cli_limits_poll is called every 1024 events of every run (and while a model is built,
 * a file read, a checker finishes), so it reads the clock and nothing else on the common
 * path; the resident size (a read of /proc) is looked at ten times a second. The signal
 * handler only sets a flag: each command stops at its next poll and exits 3. */
#include "cli/limits.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig) { got_signal = sig; }

static double rss_kib(void)
{
    /* Current resident size from /proc (Linux); 0 when unknown, which disables the check. */
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1024.0;
}

double cli_limits_elapsed(const cli_limits *l)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - l->start.tv_sec) + (double)(now.tv_nsec - l->start.tv_nsec) / 1e9;
}

void cli_limits_start(cli_limits *l)
{
    *l = (cli_limits){0};
    clock_gettime(CLOCK_MONOTONIC, &l->start);
    long phys = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (phys > 0 && psz > 0)
        l->max_rss_kib = (double)phys * (double)psz / 1024.0 * 0.75;
    /* No SA_RESTART: a read waiting on a pipe returns, and the reader polls the flag. */
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_limits_options(const cli_cmd *cmd, const cli_args *a, cli_limits *l)
{
    unsigned long long v;
    const char *mw = cli_get(cmd, a, "max-wall"), *mm = cli_get(cmd, a, "max-memory");
    if (mw) {
        if (cli_u64("max-wall", mw, &v))
            return -1;
        l->max_wall = (double)v;
    }
    if (mm) {
        if (cli_u64("max-memory", mm, &v))
            return -1;
        l->max_rss_kib = (double)v * 1024.0;
    }
    return 0;
}

int cli_limits_poll(void *ctx)
{
    cli_limits *l = ctx;
    if (l->why)
        return 1;
    if (got_signal) {
        l->why = got_signal == SIGINT ? "interrupted (SIGINT)" : "interrupted (SIGTERM)";
        return 1;
    }
    double t = cli_limits_elapsed(l);
    if (l->max_wall > 0 && t > l->max_wall) {
        l->why = "wall-clock limit (--max-wall)";
        return 1;
    }
    if (l->max_rss_kib > 0 && t >= l->next_rss) {
        l->next_rss = t + 0.1;
        if (rss_kib() > l->max_rss_kib) {
            l->why = "memory limit (--max-memory)";
            return 1;
        }
    }
    return 0;
}

const char *cli_limits_why(void *ctx) { return ((cli_limits *)ctx)->why; }
