/* fl_sim internals, shared by the engine and the strict-invariant checks. */
#ifndef FL_CORE_SIM_INT_H
#define FL_CORE_SIM_INT_H

#include <faultline/sim.h>

#include "core/evq.h"
#include "fl_config.h" /* FL_INVARIANTS_STRICT */

typedef struct fl_handler {
    fl_handler_fn fn;
    void *ctx;
} fl_handler;

struct fl_sim {
    fl_evq *q;
    fl_time now;
    uint64_t seed;
    uint64_t seq;     /* next sequence number */
    uint64_t events;  /* dispatched */
#if FL_INVARIANTS_STRICT
    size_t strict_wait; /* events until the next whole-queue check */
#endif
    uint64_t hash;
    uint64_t pending;  /* scheduled, neither dispatched nor cancelled (== fl_evq_size) */
    uint64_t pending_max;
    uint64_t max_events; /* 0 = unlimited */
    fl_handler *handlers;
    int nhandlers, handlers_cap;
    bool stop;
    fl_status failed; /* sticky: the first failure (fl_sim_fail); FL_OK while none */
    uint64_t progress_every;
    int (*progress_fn)(void *ctx, fl_time now);
    void *progress_ctx;
};

/* Reports a broken invariant with the simulated time and event number, then aborts. */
_Noreturn void fl__panic(const fl_sim *sim, const char *file, int line, const char *what);

#endif
