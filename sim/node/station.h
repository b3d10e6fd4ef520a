/* A queueing station: a pool of workers in front of a bounded queue (FIFO or LIFO), with an
 * optional maximum wait. It is the CPU of a node: every kind of work on the node queues
 * here. Items are request ids owned by the caller; the station only orders and times them.
 *
 * Invariants: busy <= workers; queued <= capacity (when bounded; 0 is a loss system: no
 * item ever waits); an item is in exactly one
 * place (queue, a worker, or handed back through ops->done); a worker is never idle while
 * the queue holds an item. */
#ifndef FL_NODE_STATION_H
#define FL_NODE_STATION_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <faultline/hist.h>
#include <faultline/sim.h>

#include "core/stats.h"
#include "node/host.h"

typedef enum fl_station_end {
    FL_STATION_SERVED,
    FL_STATION_REJECTED, /* no free worker and no room in the queue on arrival */
    FL_STATION_EXPIRED,  /* waited longer than max_wait; dropped at dequeue */
    FL_STATION_DROPPED,  /* past its own deadline at dequeue (ops->expired said so) */
    FL_STATION_LOST,     /* the node crashed with it queued or in service: no reply */
    FL_STATION_CANCELLED, /* the server aborted it: it ran past max_exec, or its caller gave
                             up (fl_station_cancel, ops->abandoned) */
} fl_station_end;

typedef struct fl_station_ops {
    /* How long serving item id takes (called when service starts). */
    fl_time (*service_time)(void *ctx, uint32_t id);
    /* Item id leaves the station. arrive/start are its arrival and service-start times
     * (start == -1 when it never started). */
    void (*done)(void *ctx, uint32_t id, fl_station_end how, fl_time arrive, fl_time start);
    /* Optional: true when item id is no longer worth serving at `now` (its caller's
     * deadline passed). Asked at dequeue, so expired work costs no service time. */
    bool (*expired)(void *ctx, uint32_t id, fl_time now);
    /* Optional: asked when item id's service time ends on worker `slot`. True keeps the
     * worker busy with it (say, waiting on calls to dependencies) until the owner calls
     * fl_station_release(slot); only then is it SERVED. A crash meanwhile makes it LOST. */
    bool (*hold)(void *ctx, uint32_t id, int slot);
    /* Optional: true when item id's caller has given up and the server knows it. Asked at
     * dequeue when cfg.cancel_on_giveup: the item leaves CANCELLED without service. */
    bool (*abandoned)(void *ctx, uint32_t id);
    /* Optional: the work on worker `slot` is aborted (CANCELLED) before it ended: the owner
     * forgets what it holds for it (its calls to dependencies). Called before done. */
    void (*aborted)(void *ctx, uint32_t id, int slot);
} fl_station_ops;

typedef struct fl_station fl_station;
/* Ends the work held on worker `slot` (see ops->hold): the item is SERVED now. */
void fl_station_release(fl_station *s, int slot);

typedef struct fl_station_cfg {
    int workers;       /* >= 1 */
    bool bounded;      /* false (the zero value): the queue grows as needed */
    uint64_t capacity; /* when bounded: queue slots, not counting items in service; 0 = no
                          waiting room (an arrival finding every worker busy is rejected) */
    bool lifo;         /* serve the newest waiting item first (useful under overload) */
    fl_time max_wait;  /* 0 = wait forever; measured on the node's monotonic clock */
    fl_time max_exec;  /* 0 = no limit; else work (service time and holds) running longer
                          than this since its worker took it is aborted as CANCELLED, its
                          worker freed (a statement_timeout); measured in true time */
    bool cancel_on_giveup; /* the owner cancels work whose caller gave up: queued items are
                              asked ops->abandoned at dequeue (fl_station_cancel aborts the
                              running ones) */
    const fl_host *host; /* the node's clock (NULL: true time) */
    fl_time stats_from, stats_to; /* the measured window (warm-up excluded) */
} fl_station_cfg;

/* A new idle station. Caller frees with fl_station_free. NULL on allocation failure. */
fl_station *fl_station_new(fl_sim *sim, const fl_station_cfg *cfg, const fl_station_ops *ops,
                           void *ctx);
void fl_station_free(fl_station *s);
/* Item id arrives now. Returns FL_NOMEM when the queue cannot grow: the simulation is
 * then failed (fl_sim_fail), nothing is counted and the item is not handed back, so a
 * caller inside a handler may ignore the status. */
fl_status fl_station_arrive(fl_station *s, uint32_t id);
/* Faults. A slowdown multiplies service times that start from now on (1 = healthy; the
 * owner passes the product of the slowdowns in force, so overlapping faults compose).
 * A crash loses every queued and in-service item (handed back as LOST) and refuses
 * arrivals until restart; items are refused by the caller, see fl_station_down. A pause
 * (stop-the-world) holds every completion due before it ends, then releases them. */
void fl_station_set_slowdown(fl_station *s, double factor);
void fl_station_crash(fl_station *s);
/* A hang: every queued and in-service item is handed back LOST (no reply will come), as
 * in a crash, but the station stays up (its owner swallows what arrives while it hangs);
 * not counted as lost_in_crash. */
void fl_station_hang(fl_station *s);
void fl_station_restart(fl_station *s);
bool fl_station_down(const fl_station *s);
void fl_station_pause(fl_station *s, fl_time until);
/* The caller of item id gave up: if a worker is on it, its work is aborted now (when the
 * node is paused: when it resumes) (CANCELLED, the worker freed) and true is returned; a queued item is left for ops->abandoned to drop
 * at dequeue (false). O(workers): called once per give-up, never per event. */
bool fl_station_cancel(fl_station *s, uint32_t id);
/* Items waiting and items in service now. */
uint64_t fl_station_queued(const fl_station *s);
int fl_station_busy(const fl_station *s);
/* Gauges for the time series: the most items in the station since the last call (then
 * reset to the current count), and the workers busy now. */
void fl_station_sample(fl_station *s, uint64_t *in_system_max, int *busy);
/* Closes the measured window at `end` and adds the station's figures to out:
 * received, served, rejected, expired, cancelled, utilisation, in_system_mean, queue_mean,
 * sojourn_ms{...}, wait_ms{...}, p_wait, p_rejected, littles_law{...}. */
void fl_station_report(fl_station *s, fl_time end, cJSON *out);

/* Adds {count, mean, mean_ci95, mean_ci999, p50, p90, p99, p999, max} in ms to out[name],
 * the confidence intervals from batch means (omitted when there are too few batches). */
void fl_report_latency(cJSON *out, const char *name, const fl_hist *h, const fl_batch *b);

#endif
