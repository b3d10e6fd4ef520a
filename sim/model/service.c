/* The `service` component: a node whose workers serve requests from a bounded queue.
 *
 *   {"name": "api", "kind": "service", "workers": 4, "service_time": "exp(1ms)",
 *    "queue": {"capacity": 1000, "discipline": "fifo", "max_wait": "2s",
 *              "drop_expired": true}}
 *
 * Every request takes one service-time draw from the node's own stream. With
 * drop_expired, a request whose propagated deadline has passed is dropped when it reaches
 * the head of the queue instead of being served for a caller who has gone. Service time
 * spent on requests whose caller had already given up is counted as wasted work. */
#include <limits.h>
#include <stdio.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/world.h"
#include "node/station.h"

typedef struct service {
    fl_world *w;
    fl_station *st;
    fl_dist *service_time;
    fl_rng rng;
    int col_in_system, col_busy;
    bool drop_expired;
    fl_time wasted;     /* service time spent on tries whose client had given up */
    fl_time work;       /* all service time (measured window) */
    uint64_t refused;
} service;

static const char *const service_keys[] = {"name", "kind", "zone", "workers", "service_time",
                                           "queue", NULL};
static const char *const queue_keys[] = {"capacity", "discipline", "max_wait", "drop_expired",
                                         NULL};
static const char *const disciplines[] = {"fifo", "lifo", NULL};

static fl_time svc_time(void *ctx, uint32_t id)
{
    (void)id;
    service *s = ctx;
    return fl_dist_sample(s->service_time, &s->rng);
}

static void svc_done(void *ctx, uint32_t id, fl_station_end how, fl_time arrive, fl_time start)
{
    service *s = ctx;
    fl_world *w = s->w;
    if (how == FL_STATION_LOST) { /* crashed: no reply is ever sent; the client times out */
        fl_req_server_done(w, id);
        return;
    }
    if (how == FL_STATION_SERVED && arrive >= w->warmup) {
        fl_time now = fl_sim_now(w->sim), busy = now - start;
        s->work += busy;
        if (fl_req_at(w, id)->client_done)
            s->wasted += busy;
    }
    fl_outcome o = how == FL_STATION_SERVED     ? FL_OUT_OK
                   : how == FL_STATION_REJECTED ? FL_OUT_REJECTED
                   : how == FL_STATION_DROPPED  ? FL_OUT_DEADLINE
                                                : FL_OUT_EXPIRED;
    fl_world_reply(w, id, o);
}

static bool svc_expired(void *ctx, uint32_t id, fl_time now)
{
    service *s = ctx;
    return s->drop_expired && now > fl_req_at(s->w, id)->deadline;
}

static const fl_station_ops station_ops = {svc_time, svc_done, svc_expired};

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    if ((st = fl_cfg_known_keys(cfg, path, service_keys, e)))
        return st;
    service *s = fl_calloc(1, sizeof *s);
    if (!s)
        return FL_NOMEM;
    c->state = s;
    s->w = w;
    long workers;
    fl_station_cfg sc = {0};
    if ((st = fl_cfg_int(cfg, path, "workers", FL_CFG_OPTIONAL, 1, 1, 1000000, &workers, e)) ||
        (st = fl_cfg_dist(cfg, path, "service_time", FL_CFG_REQUIRED, NULL, &s->service_time, e)))
        return st;
    sc.workers = (int)workers;
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(cfg, "queue");
    if (q) {
        char qp[256];
        fl_cfg_join(qp, sizeof qp, path, "queue");
        long cap;
        int disc;
        if ((st = fl_cfg_object(q, qp, e)) || (st = fl_cfg_known_keys(q, qp, queue_keys, e)) ||
            (st = fl_cfg_int(q, qp, "capacity", FL_CFG_OPTIONAL, 0, 0, LONG_MAX, &cap, e)) ||
            (st = fl_cfg_enum(q, qp, "discipline", FL_CFG_OPTIONAL, 0, disciplines, &disc, e)) ||
            (st = fl_cfg_duration(q, qp, "max_wait", FL_CFG_OPTIONAL, 0, 0, FL_TIME_MAX,
                                  &sc.max_wait, e)) ||
            (st = fl_cfg_bool(q, qp, "drop_expired", FL_CFG_OPTIONAL, false, &s->drop_expired,
                              e)))
            return st;
        sc.capacity = (uint64_t)cap;
        sc.lifo = disc == 1;
    }
    sc.stats_from = w->warmup;
    sc.stats_to = w->duration;
    fl_world_stream(w, &s->rng, c->name, "service_time");
    s->st = fl_station_new(w->sim, &sc, &station_ops, s);
    if (!s->st)
        return FL_NOMEM;
    char col[200];
    snprintf(col, sizeof col, "%s.in_system_max", c->name);
    s->col_in_system = fl_series_column(w->series, col, FL_SERIES_MAX);
    snprintf(col, sizeof col, "%s.busy", c->name);
    s->col_busy = fl_series_column(w->series, col, FL_SERIES_LAST);
    if (s->col_in_system < 0 || s->col_busy < 0)
        return FL_NOMEM;
    return FL_OK;
}

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    service *s = c->state;
    if (fl_station_down(s->st)) { /* connection refused: the node is down */
        if (fl_sim_now(w->sim) >= w->warmup)
            s->refused++;
        fl_world_reply(w, id, FL_OUT_REFUSED);
        return;
    }
    fl_station_arrive(s->st, id);
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    service *s = c->state;
    switch (f->kind) {
    case FL_FAULT_SLOW:
        fl_station_set_slowdown(s->st, begin ? f->factor : 1);
        break;
    case FL_FAULT_CRASH:
        if (begin)
            fl_station_crash(s->st);
        else
            fl_station_restart(s->st);
        break;
    case FL_FAULT_PAUSE:
        if (begin)
            fl_station_pause(s->st, f->until);
        break;
    }
    (void)w;
}

static void sample(fl_world *w, fl_component *c, fl_time t)
{
    service *s = c->state;
    uint64_t n;
    int busy;
    fl_station_sample(s->st, &n, &busy);
    fl_series_add(w->series, s->col_in_system, t, (double)n);
    fl_series_add(w->series, s->col_busy, t, busy);
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    service *s = c->state;
    fl_station_report(s->st, fl_sim_now(w->sim), out);
    cJSON_AddNumberToObject(out, "refused", (double)s->refused);
    cJSON_AddNumberToObject(out, "work_s", fl_time_to_s(s->work));
    cJSON_AddNumberToObject(out, "wasted_work_s", fl_time_to_s(s->wasted));
    cJSON_AddNumberToObject(out, "wasted_fraction",
                            s->work > 0 ? (double)s->wasted / (double)s->work : 0);
}

static void destroy(fl_component *c)
{
    service *s = c->state;
    if (!s)
        return;
    fl_station_free(s->st);
    fl_dist_free(s->service_time);
    fl_free(s);
}

const fl_component_ops fl_service_ops = {
    .kind = "service",
    .about = "workers serving requests from a bounded FIFO/LIFO queue",
    .keys = service_keys,
    .configure = configure,
    .on_request = on_request,
    .report = report,
    .sample = sample,
    .fault = fault,
    .destroy = destroy,
};
