/* A staged rollout (rollout.c): a fault that pushes a bad version to a balancer's backends
 * in waves and rolls it back on a health signal or by hand. faults.c reads it; the
 * balancer starts it when the fault begins and reports it. */
#ifndef FL_MODEL_ROLLOUT_H
#define FL_MODEL_ROLLOUT_H

#include "model/world.h"

#define FL_ROLLOUT_MAX_WAVES 16

/* The bad version's effect on a backend (service.c models it). */
typedef struct fl_rollout_effect {
    double cpu_factor; /* service times multiplied (1: none) */
    double error_rate; /* this fraction of requests answered server_error at once (0: none) */
    bool crash;        /* the backend is down while it runs the bad version */
} fl_rollout_effect;

typedef struct fl_rollout fl_rollout;

/* Reads fault `f`'s "rollout" object `ro` (path `p`, the fault's `label` or NULL) into
 * f->rollout, f->target and f->label. */
fl_status fl__rollout_read(fl_world *w, fl_fault *f, const cJSON *ro, const char *p,
                           const char *label, fl_error *e);
void fl__rollout_free(fl_rollout *r);
/* Whether a rollout can go to component c: a kind that takes one (a balancer) whose
 * backends are all services; else false, with the first other backend in *bad (if any). */
bool fl__rollout_possible(const fl_world *w, const fl_component *c, uint32_t *bad);
/* The fault begins: the first wave now (the balancer's fault op). */
void fl__rollout_begin(fl_rollout *r);
/* The rollout's figures (the balancer's report, as nodes.LB.rollout). */
void fl__rollout_report(const fl_rollout *r, cJSON *out);

/* What the rollout asks of a balancer (balancer.c). */
/* Attaches r to balancer lb (one rollout per balancer): its series column, report. */
fl_status fl__balancer_attach_rollout(fl_component *lb, fl_rollout *r, const char *path,
                                      fl_error *e);
/* Backend i runs the new version (on) or the old one again; resets its health counters. */
void fl__balancer_set_new(fl_component *lb, uint32_t i, bool on);
/* Backend i's calls sent since its version last changed and ended since its counters were
 * last reset: how many, how many failed (any outcome but ok), their summed latency; resets
 * them. */
void fl__balancer_take_health(fl_component *lb, uint32_t i, uint64_t *calls, uint64_t *fails,
                              fl_time *latency);
/* A service runs the bad version (on) or the old one (service.c). */
void fl__service_version(fl_world *w, fl_component *c, const fl_rollout_effect *x, bool on);

#endif
