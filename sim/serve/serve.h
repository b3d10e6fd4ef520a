/* faultline serve: the teaching dashboard (libevent's evhttp).
 *
 * One event-loop thread answers HTTP (routes in http.c); runs and comparisons execute on
 * a small pool of worker threads (jobs.c) and hand their results back through a
 * mutex-protected job record plus a socketpair wake-up. The page is embedded in the
 * binary (page.html, turned into C by embed_page.py at build time), so the dashboard
 * works offline with no external asset. Nothing here keeps global mutable state. */
#ifndef FL_SERVE_SERVE_H
#define FL_SERVE_SERVE_H

#include <stdint.h>
#include <stdio.h>

#include <faultline/status.h>

typedef struct fl_serve_config {
    const char *bind;          /* address to listen on ("127.0.0.1") */
    int port;                  /* 0: any free port (printed) */
    double realtime;           /* SSE pacing: simulated seconds per wall second; 0: none */
    const char *scenarios_dir; /* *.json here and one level below */
    const char *out_dir;       /* each job writes into OUT/<id>/ */
    int workers;               /* worker threads */
    int queue_max;             /* jobs waiting for a worker before POST answers 429 */
    uint64_t max_events;       /* per run */
    double max_wall_s;         /* per run, wall-clock seconds */
    int allow_remote;          /* a non-loopback bind is refused (FL_USAGE) unless set */
    int max_conns;             /* open connections before new ones wait; 0: from the
                                * open-file limit (see http.c) */
} fl_serve_config;

/* Serves until SIGINT or SIGTERM, then stops the runs, waits for the workers and frees
 * everything. Prints "listening on http://ADDR:PORT/" to `log` once bound. FL_USAGE (with
 * what to do in e) for a non-loopback bind without allow_remote. */
fl_status fl_serve(const fl_serve_config *cfg, FILE *log, fl_error *e);

/* The page (page.c, generated from page.html). */
extern const char fl_serve_page[];
extern const unsigned long fl_serve_page_len;

#endif
