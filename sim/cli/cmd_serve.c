/* faultline serve: the teaching dashboard (sim/serve), when built with libevent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "cli/cli.h"
#ifdef FL_HAVE_SERVE
#include "serve/serve.h"
#endif

static const cli_opt serve_opts[] = {
    {"port", 'p', "PORT", "TCP port (default 8080; 0 picks a free port and prints it)"},
    {"bind", 'b', "ADDR", "address to listen on (default 127.0.0.1: this machine only; any "
                          "other address needs --allow-remote)"},
    {"allow-remote", 0, NULL, "allow a --bind address other machines can reach (the dashboard "
                              "has no login: anyone who reaches it can start runs and read "
                              "results)"},
    {"realtime", 'r', "X", "stream a run's windows at X simulated seconds per wall second "
                           "(default 0: as fast as the run goes)"},
    {"scenarios", 'd', "DIR", "the scenarios offered (default: scenarios)"},
    {"out", 'o', "DIR", "each run and comparison writes into DIR/<id>/ (default: out/serve)"},
    {"workers", 'j', "N", "runs at once (default 2)"},
    {"queue", 'q', "N", "runs waiting for a worker before new ones get 429 (default 8)"},
    {"max-events", 0, "N", "stop a run after N events (default 10^9)"},
    {"max-wall", 0, "SECONDS", "stop a run after this much wall-clock time (default 60)"},
    {"max-connections", 0, "N", "open connections before new ones wait (default: 256, or "
                                "fewer to leave 32 files free under the open-file limit)"},
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_serve = {
    "serve",
    "[--port P] [--bind ADDR [--allow-remote]] [--realtime X] [--scenarios DIR] [--out DIR]",
    "Serve the teaching dashboard: pick an incident, flip a fix on, run it, watch the charts.",
    "One page and a small JSON API (see README.md, \"serve\"); everything is embedded, so it\n"
    "works offline. Runs execute on worker threads; a run's windows stream to the page as\n"
    "they finish. SIGINT or SIGTERM stops the server cleanly.\n"
    "\nIt answers only requests addressed to it (Host: localhost, 127.0.0.1, [::1] or the\n"
    "bound address, with its port) and, from a browser, only its own page (Origin); a POST\n"
    "must be Content-Type: application/json. So another web page cannot use it.\n"
    "\nexample:\n  faultline serve --realtime 20     # then open http://127.0.0.1:8080/\n",
    serve_opts,
    cmd_serve,
};

#ifdef FL_HAVE_SERVE
static int number(const char *opt, const char *s, unsigned long long max, unsigned long long *v)
{
    if (cli_u64(opt, s, v))
        return -1;
    if (*v > max) {
        cli_error("--%s: expected at most %llu, got %s", opt, max, s);
        return -1;
    }
    return 0;
}
#endif

int cmd_serve(int argc, char **argv)
{
    cli_args a;
    int pr = cli_parse(&cli_serve, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    if (a.npos) {
        cli_error("serve: unexpected argument '%s' (see 'faultline serve --help')", a.pos[0]);
        return FL_EXIT_USAGE;
    }
#ifndef FL_HAVE_SERVE
    cli_error("serve: this faultline was built without libevent; install libevent-dev and "
              "rebuild (meson setup -Dserve=enabled)");
    return FL_EXIT_USAGE;
#else
    fl_serve_config cfg = {.bind = "127.0.0.1", .port = 8080, .realtime = 0,
                           .scenarios_dir = "scenarios", .out_dir = "out/serve", .workers = 2,
                           .queue_max = 8, .max_events = 1000000000ULL, .max_wall_s = 60};
    unsigned long long v;
    const char *o;
    if ((o = cli_get(&cli_serve, &a, "port"))) {
        if (number("port", o, 65535, &v))
            return FL_EXIT_USAGE;
        cfg.port = (int)v;
    }
    if ((o = cli_get(&cli_serve, &a, "bind")))
        cfg.bind = o;
    cfg.allow_remote = cli_get(&cli_serve, &a, "allow-remote") != NULL;
    if ((o = cli_get(&cli_serve, &a, "realtime"))) {
        char *end;
        double x = strtod(o, &end);
        if (end == o || *end || !(x >= 0) || x > 1e9) {
            cli_error("--realtime: expected a number of simulated seconds per second (0: no "
                      "pacing), got \"%s\"", o);
            return FL_EXIT_USAGE;
        }
        cfg.realtime = x;
    }
    if ((o = cli_get(&cli_serve, &a, "scenarios")))
        cfg.scenarios_dir = o;
    if ((o = cli_get(&cli_serve, &a, "out")))
        cfg.out_dir = o;
    if ((o = cli_get(&cli_serve, &a, "workers"))) {
        if (number("workers", o, 256, &v))
            return FL_EXIT_USAGE;
        if (v < 1) {
            cli_error("--workers: expected 1 to 256, got %s", o);
            return FL_EXIT_USAGE;
        }
        cfg.workers = (int)v;
    }
    if ((o = cli_get(&cli_serve, &a, "queue"))) {
        if (number("queue", o, 4096, &v))
            return FL_EXIT_USAGE;
        cfg.queue_max = (int)v;
    }
    if ((o = cli_get(&cli_serve, &a, "max-events"))) {
        if (number("max-events", o, ~0ULL, &v))
            return FL_EXIT_USAGE;
        cfg.max_events = v;
    }
    if ((o = cli_get(&cli_serve, &a, "max-wall"))) {
        if (number("max-wall", o, 86400, &v))
            return FL_EXIT_USAGE;
        cfg.max_wall_s = (double)v;
    }
    if ((o = cli_get(&cli_serve, &a, "max-connections"))) {
        if (number("max-connections", o, 65536, &v))
            return FL_EXIT_USAGE;
        if (v < 1) {
            cli_error("--max-connections: expected 1 to 65536, got %s", o);
            return FL_EXIT_USAGE;
        }
        cfg.max_conns = (int)v;
    }
    fl_error e;
    setvbuf(stdout, NULL, _IOLBF, 0);
    fl_status st = fl_serve(&cfg, stdout, &e);
    if (st != FL_OK) {
        char msg[1400];
        fl_error_format(&e, msg, sizeof msg);
        cli_error("serve: %s", msg);
        return st == FL_USAGE ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
    }
    return FL_EXIT_OK;
#endif
}
