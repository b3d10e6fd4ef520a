/* A queueing station: a pool of workers in front of a bounded queue (FIFO or LIFO), with an
 * optional maximum wait. It is the CPU of a node: every kind of work on the node queues
 * here. Items are request ids owned by the caller; the station only orders and times them.
 *
 * Invariants: busy <= workers; queued <= capacity (when bounded); an item is in exactly one
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

typedef enum fl_station_end {
    FL_STATION_SERVED,
    FL_STATION_REJECTED, /* queue full on arrival */
    FL_STATION_EXPIRED,  /* waited longer than max_wait; dropped at dequeue */
} fl_station_end;

typedef struct fl_station_ops {
    /* How long serving item id takes (called when service starts). */
    fl_time (*service_time)(void *ctx, uint32_t id);
    /* Item id leaves the station. arrive/start are its arrival and service-start times
     * (start == -1 when it never started). */
    void (*done)(void *ctx, uint32_t id, fl_station_end how, fl_time arrive, fl_time start);
} fl_station_ops;

typedef struct fl_station_cfg {
    int workers;       /* >= 1 */
    uint64_t capacity; /* queue slots (not counting items in service); 0 = unbounded */
    bool lifo;         /* serve the newest waiting item first (useful under overload) */
    fl_time max_wait;  /* 0 = wait forever */
    fl_time stats_from, stats_to; /* the measured window (warm-up excluded) */
} fl_station_cfg;

typedef struct fl_station fl_station;

/* A new idle station. Caller frees with fl_station_free. NULL on allocation failure. */
fl_station *fl_station_new(fl_sim *sim, const fl_station_cfg *cfg, const fl_station_ops *ops,
                           void *ctx);
void fl_station_free(fl_station *s);
/* Item id arrives now. Returns FL_NOMEM when the queue cannot grow (the item is then
 * handed back as REJECTED). */
fl_status fl_station_arrive(fl_station *s, uint32_t id);
/* Items waiting and items in service now. */
uint64_t fl_station_queued(const fl_station *s);
int fl_station_busy(const fl_station *s);
/* Gauges for the time series: the most items in the station since the last call (then
 * reset to the current count), and the workers busy now. */
void fl_station_sample(fl_station *s, uint64_t *in_system_max, int *busy);
/* Closes the measured window at `end` and adds the station's figures to out:
 * received, served, rejected, expired, utilisation, in_system_mean, queue_mean,
 * sojourn_ms{...}, wait_ms{...}, p_wait, littles_law{...}. */
void fl_station_report(fl_station *s, fl_time end, cJSON *out);

/* Adds {count, mean, mean_ci95, mean_ci999, p50, p90, p99, p999, max} in ms to out[name],
 * the confidence intervals from batch means (omitted when there are too few batches). */
void fl_report_latency(cJSON *out, const char *name, const fl_hist *h, const fl_batch *b);

#endif
