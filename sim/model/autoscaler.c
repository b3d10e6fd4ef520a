/* The `autoscaler` component: sizes a balancer's pool of service instances.
 *
 *   {"name": "asg", "kind": "autoscaler", "pool": "lb", "metric": "utilisation",
 *    "target": 0.6, "period": "30s", "cooldown": "60s", "provisioning": "120s",
 *    "max_step": 10, "min": 6, "max": 30, "schedule": [{"at": "30s", "min": 20}]}
 *
 * The pool is the balancer's: backends in it take requests; backends marked
 * `"standby": true` are the instances it may add. Every second it samples its metric over
 * the instances in the pool: `utilisation` (busy workers over workers), `queue` (requests
 * waiting per instance) or `latency` (the mean time of the balancer's calls that ended). Every
 * `period` it decides on the period's mean, as target tracking does (Kubernetes' HPA, AWS
 * target tracking): desired = ceil(current x metric / target), current counting instances
 * still being provisioned, unless the ratio is within `tolerance` of 1; clamped to [min, max]
 * and to `max_step` per decision, and no decision within `cooldown` of the last one.
 * Utilisation cannot exceed 1, so one decision grows the pool by at most 1 / target (1.67x
 * at 0.6) however deep the overload; a queue or a latency has no such ceiling.
 *
 * An instance asked for joins the pool `provisioning` later, cold: a service with a
 * `restart` warm-up starts it then (its service times `factor` times longer, back to normal
 * over `warmup`), as a restarted node does. `schedule` raises the minimum at a time
 * (scheduled scaling, pre-scaling before a known peak): the instances needed are asked for
 * at once, cooldown or not. A scale-down puts the last instances of the pool back on
 * standby (their work in flight ends normally). Decisions (`scale-up`, `scale-down`) and
 * arrivals (`instances-ready`) are events on the timeline and in the charts.
 *
 * A request sent to it is `refused`: it is a controller, not a server.
 *
 * Faults: crash. While down it decides nothing (instances already asked for still
 * arrive: the provider provisions them). No clock, slow or pause: its period runs on true
 * time, as a managed control plane's does.
 *
 * Report (nodes.NAME): metric, target, instances_start, instances_max, instances_end,
 * scale_ups, scale_downs, instances_added, first_scale_up_s, last_ready_s (when the last
 * instance asked for joined) and saturated_s (seconds, sampled each second after the
 * warm-up, in which the pool's workers were at least 95% busy). Series: NAME.instances,
 * NAME.requested (in the pool or being provisioned), NAME.metric. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/balancer.h"
#include "model/world.h"

enum metric { M_UTIL, M_QUEUE, M_LATENCY };
static const char *const metrics[] = {"utilisation", "queue", "latency", NULL};

typedef struct step {
    fl_time at;
    long min;
} step;

typedef struct autoscaler {
    fl_world *w;
    fl_component *c;
    char path[128];
    const char *pool_name;
    fl_component *lb;
    int metric;
    double target; /* utilisation: fraction; queue: requests; latency: seconds */
    double tolerance;
    fl_time period, cooldown, provisioning;
    long max_step, min, max;
    bool scale_down;
    step *sched;
    int nsched;
    long cur_min;
    /* instances being provisioned: backend index and arrival time, in order of arrival */
    int *pend;
    fl_time *pend_at;
    uint32_t npend, pend_head;
    fl_time last_action; /* -1: none yet */
    bool down;
    double sum;
    uint32_t nsamples;
    int h_tick, h_eval, h_ready, h_sched;
    uint64_t ups, downs, added, saturated;
    uint32_t start, peak;
    fl_time first_up, last_ready;
    double last_metric;
    int col_instances, col_requested, col_metric;
} autoscaler;

const char *fl__autoscaler_pool_name(const fl_component *c)
{
    return c->ops == &fl_autoscaler_ops && c->state ? ((const autoscaler *)c->state)->pool_name
                                                    : NULL;
}

static uint32_t provisioning(const autoscaler *a) { return a->npend - a->pend_head; }

static void ask(autoscaler *a, long n, const char *why)
{
    fl_time now = fl_sim_now(a->w->sim);
    long got = 0;
    for (; got < n; got++) {
        int idx = fl__balancer_take_standby(a->lb);
        if (idx < 0)
            break;
        if (a->pend_head > 0) { /* keep the pending ones at the front (at most nb of them) */
            memmove(a->pend, a->pend + a->pend_head, provisioning(a) * sizeof *a->pend);
            memmove(a->pend_at, a->pend_at + a->pend_head, provisioning(a) * sizeof *a->pend_at);
            a->npend -= a->pend_head;
            a->pend_head = 0;
        }
        a->pend[a->npend] = idx;
        a->pend_at[a->npend++] = now + a->provisioning;
        fl_sim_at(a->w->sim, now + a->provisioning, a->h_ready, 0);
    }
    if (got == 0)
        return;
    uint32_t pool = fl__balancer_pool(a->lb);
    if (now >= a->w->warmup) {
        a->ups++;
        a->added += (uint64_t)got;
    }
    if (a->first_up < 0)
        a->first_up = now;
    a->last_action = now;
    if (pool + provisioning(a) > a->peak)
        a->peak = pool + provisioning(a);
    fl_world_event(a->w, now, a->c->name, "scale-up", "%s: %u -> %u instances (%ld ready in %g s)",
                   why, pool + provisioning(a) - (uint32_t)got, pool + provisioning(a), got,
                   fl_time_to_s(a->provisioning));
}

static void on_ready(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    autoscaler *a = ctx;
    fl_time now = fl_sim_now(sim);
    uint32_t n = 0;
    while (a->pend_head < a->npend && a->pend_at[a->pend_head] <= now) {
        int idx = a->pend[a->pend_head++];
        fl__balancer_add(a->lb, idx);
        uint32_t nb;
        fl__service_cold_start(a->w->comps[fl__balancer_backend_node(a->lb, (uint32_t)idx, &nb)]);
        n++;
    }
    if (n == 0)
        return; /* arrived with an earlier event of the same instant */
    a->last_ready = now;
    fl_world_event(a->w, now, a->c->name, "instances-ready", "%u instance%s join%s, cold (%u in the pool)",
                   n, n == 1 ? "" : "s", n == 1 ? "s" : "", fl__balancer_pool(a->lb));
}

/* The pool's utilisation and queue per instance now. */
static void load(const autoscaler *a, double *util, double *queue)
{
    uint32_t n = fl__balancer_pool(a->lb);
    long busy = 0, workers = 0;
    uint64_t q = 0;
    for (uint32_t i = 0; i < n; i++) {
        int b, wk;
        uint64_t qq;
        fl__service_load(a->w->comps[fl__balancer_pool_node(a->lb, i)], &b, &wk, &qq);
        busy += b;
        workers += wk;
        q += qq;
    }
    *util = workers ? (double)busy / (double)workers : 0;
    *queue = n ? (double)q / n : 0;
}

static void on_tick(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    autoscaler *a = ctx;
    fl_time now = fl_sim_now(sim);
    double util, queue;
    load(a, &util, &queue);
    if (now >= a->w->warmup && now < a->w->duration && util >= 0.95)
        a->saturated++;
    a->sum += a->metric == M_UTIL ? util : queue;
    a->nsamples++;
    fl_sim_after(sim, FL_SEC, a->h_tick, 0);
}

static void on_eval(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    autoscaler *a = ctx;
    fl_time now = fl_sim_now(sim);
    fl_sim_after(sim, a->period, a->h_eval, 0);
    double m;
    if (a->metric == M_LATENCY) {
        uint64_t n;
        m = fl__balancer_take_latency(a->lb, &n);
        if (n == 0)
            return; /* nothing ended: nothing to decide on */
    } else {
        if (a->nsamples == 0)
            return;
        m = a->sum / a->nsamples;
    }
    a->sum = 0;
    a->nsamples = 0;
    a->last_metric = m;
    fl_series_add(a->w->series, a->col_metric, now, m);
    if (a->down || (a->last_action >= 0 && now - a->last_action < a->cooldown))
        return;
    uint32_t pool = fl__balancer_pool(a->lb);
    long current = (long)(pool + provisioning(a));
    double ratio = m / a->target;
    long desired = fabs(ratio - 1) <= a->tolerance ? current : (long)ceil((double)current * ratio);
    if (desired < a->cur_min)
        desired = a->cur_min;
    if (desired > a->max)
        desired = a->max;
    char why[96];
    snprintf(why, sizeof why, "%s %.3g (target %.3g)", metrics[a->metric], m, a->target);
    if (desired > current) {
        ask(a, desired - current < a->max_step ? desired - current : a->max_step, why);
    } else if (desired < current && a->scale_down) {
        long n = current - desired < a->max_step ? current - desired : a->max_step, done = 0;
        while (done < n && fl__balancer_remove(a->lb))
            done++;
        if (done) {
            if (now >= a->w->warmup)
                a->downs++;
            a->last_action = now;
            fl_world_event(a->w, now, a->c->name, "scale-down", "%s: %ld -> %ld instances", why,
                           current, current - done);
        }
    }
}

static void on_sched(fl_sim *sim, void *ctx, uint64_t i)
{
    (void)sim;
    autoscaler *a = ctx;
    a->cur_min = a->sched[i].min;
    long current = (long)(fl__balancer_pool(a->lb) + provisioning(a));
    if (!a->down && current < a->cur_min) {
        char why[64];
        snprintf(why, sizeof why, "scheduled minimum %ld", a->cur_min);
        ask(a, a->cur_min - current, why);
    }
}

/* An autoscaler is a controller, not a server: a request sent to it is refused. */
static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    (void)c;
    fl_world_reply(w, id, FL_OUT_REFUSED);
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    autoscaler *a = fl_calloc(1, sizeof *a);
    if (!a)
        return FL_NOMEM;
    c->state = a;
    a->w = w;
    a->c = c;
    a->last_action = -1;
    a->first_up = -1;
    a->last_ready = -1;
    snprintf(a->path, sizeof a->path, "%s", path);
    char p[300];
    if ((st = fl_cfg_string(cfg, path, "pool", FL_CFG_REQUIRED, NULL, &a->pool_name, e)) ||
        (st = fl_cfg_enum(cfg, path, "metric", FL_CFG_OPTIONAL, M_UTIL, metrics, &a->metric, e)))
        return st;
    if (a->metric == M_LATENCY) {
        /* A latency target is a duration, which the descriptor's number row cannot bound. */
        fl_time t;
        if ((st = fl_cfg_duration(cfg, path, "target", FL_CFG_REQUIRED, 0, FL_MS / 1000,
                                  3600 * FL_SEC, &t, e)))
            return st;
        a->target = fl_time_to_s(t);
    } else if (a->metric == M_UTIL) {
        if ((st = fl_kind_number_max(c, "target", cfg, path, FL_CFG_REQUIRED, 0, 1, &a->target, e)))
            return st;
    } else if ((st = fl_kind_number(c, "target", cfg, path, FL_CFG_REQUIRED, 0, &a->target, e))) {
        return st;
    }
    if ((st = fl_kind_number(c, "tolerance", cfg, path, FL_CFG_OPTIONAL, 0.1, &a->tolerance, e)) ||
        (st = fl_kind_duration(c, "period", cfg, path, FL_CFG_OPTIONAL, 60 * FL_SEC, &a->period,
                               e)) ||
        (st = fl_kind_duration(c, "cooldown", cfg, path, FL_CFG_OPTIONAL, 0, &a->cooldown, e)) ||
        (st = fl_kind_duration(c, "provisioning", cfg, path, FL_CFG_OPTIONAL, 0, &a->provisioning,
                               e)) ||
        (st = fl_kind_int(c, "max_step", cfg, path, FL_CFG_OPTIONAL, 256, &a->max_step, e)) ||
        (st = fl_kind_int(c, "min", cfg, path, FL_CFG_OPTIONAL, 1, &a->min, e)) ||
        (st = fl_kind_int(c, "max", cfg, path, FL_CFG_OPTIONAL, 256, &a->max, e)) ||
        (st = fl_cfg_bool(cfg, path, "scale_down", FL_CFG_OPTIONAL, true, &a->scale_down, e)))
        return st;
    if (a->max < a->min)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "max"),
                            "max (%ld) is below min (%ld)", a->max, a->min);
    a->cur_min = a->min;
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(cfg, "schedule");
    if (sc) {
        fl_cfg_join(p, sizeof p, path, "schedule");
        if (!cJSON_IsArray(sc) || cJSON_GetArraySize(sc) < 1 || cJSON_GetArraySize(sc) > 64)
            return fl_error_set(e, FL_INVALID, p,
                                "expected an array of 1 to 64 {\"at\": \"30s\", \"min\": 20}");
        a->nsched = cJSON_GetArraySize(sc);
        if (!(a->sched = fl_calloc((size_t)a->nsched, sizeof *a->sched)))
            return FL_NOMEM;
        static const char *const sched_keys[] = {"at", "min", NULL};
        int i = 0;
        for (const cJSON *it = sc->child; it; it = it->next, i++) {
            char ip[320];
            fl_cfg_index(ip, sizeof ip, p, i);
            if ((st = fl_cfg_object(it, ip, e)) || (st = fl_cfg_known_keys(it, ip, sched_keys, e)) ||
                (st = fl_cfg_duration(it, ip, "at", FL_CFG_REQUIRED, 0, 0, w->duration,
                                      &a->sched[i].at, e)) ||
                (st = fl_cfg_int(it, ip, "min", FL_CFG_REQUIRED, 0, 1, a->max, &a->sched[i].min, e)))
                return st;
            if (i > 0 && a->sched[i].at <= a->sched[i - 1].at) {
                char ap[340];
                return fl_error_set(e, FL_INVALID, fl_cfg_join(ap, sizeof ap, ip, "at"),
                                    "expected times in increasing order");
            }
        }
    }
    a->h_tick = fl_sim_handler(w->sim, on_tick, a);
    a->h_eval = fl_sim_handler(w->sim, on_eval, a);
    a->h_ready = fl_sim_handler(w->sim, on_ready, a);
    a->h_sched = fl_sim_handler(w->sim, on_sched, a);
    if (a->h_tick < 0 || a->h_eval < 0 || a->h_ready < 0 || a->h_sched < 0)
        return FL_NOMEM;
    char col[200];
    snprintf(col, sizeof col, "%s.instances", c->name);
    a->col_instances = fl_series_column(w->series, col, FL_SERIES_LAST);
    snprintf(col, sizeof col, "%s.requested", c->name);
    a->col_requested = fl_series_column(w->series, col, FL_SERIES_LAST);
    snprintf(col, sizeof col, "%s.metric", c->name);
    a->col_metric = fl_series_column(w->series, col, FL_SERIES_LAST);
    if (a->col_instances < 0 || a->col_requested < 0 || a->col_metric < 0)
        return FL_NOMEM;
    return FL_OK;
}

static fl_status connect(fl_world *w, fl_component *c, fl_error *e)
{
    autoscaler *a = c->state;
    char p[300];
    uint32_t t;
    fl_status st;
    fl_cfg_join(p, sizeof p, a->path, "pool");
    if ((st = fl_world_find_node(w, a->pool_name, c, &fl_balancer_ops, p, &t, e)))
        return st;
    for (uint32_t k = 0; k < w->ncomps; k++) {
        const char *other = fl__autoscaler_pool_name(w->comps[k]);
        if (k != c->index && other && strcmp(other, a->pool_name) == 0)
            return fl_error_set(e, FL_INVALID, p,
                                "\"%s\" is sized by two autoscalers (%s and %s): one pool "
                                "takes one controller",
                                a->pool_name, c->name, w->comps[k]->name);
    }
    a->lb = w->comps[t];
    uint32_t nb;
    fl__balancer_backend_node(a->lb, 0, &nb);
    for (uint32_t i = 0; i < nb; i++) {
        uint32_t node = fl__balancer_backend_node(a->lb, i, &nb);
        if (w->comps[node]->ops != &fl_service_ops)
            return fl_error_set(e, FL_INVALID, p,
                                "backend \"%s\" of \"%s\" is a %s: an autoscaler sizes pools of "
                                "services (it reads their workers and queues)",
                                w->comps[node]->name, a->pool_name, w->comps[node]->ops->kind);
    }
    if (!(a->pend = fl_calloc(nb * 2 + 1, sizeof *a->pend)) ||
        !(a->pend_at = fl_calloc(nb * 2 + 1, sizeof *a->pend_at)))
        return FL_NOMEM;
    a->start = a->peak = fl__balancer_pool(a->lb);
    if (fl_sim_at(w->sim, FL_SEC, a->h_tick, 0) != FL_OK ||
        fl_sim_at(w->sim, a->period, a->h_eval, 0) != FL_OK)
        return FL_NOMEM;
    for (int i = 0; i < a->nsched; i++)
        if (fl_sim_at(w->sim, a->sched[i].at, a->h_sched, (uint64_t)i) != FL_OK)
            return FL_NOMEM;
    return FL_OK;
}

static void sample(fl_world *w, fl_component *c, fl_time t)
{
    autoscaler *a = c->state;
    uint32_t pool = fl__balancer_pool(a->lb);
    fl_series_add(w->series, a->col_instances, t, pool);
    fl_series_add(w->series, a->col_requested, t, pool + provisioning(a));
    if (pool + provisioning(a) > a->peak)
        a->peak = pool + provisioning(a);
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    (void)w;
    autoscaler *a = c->state;
    cJSON_AddStringToObject(out, "metric", metrics[a->metric]);
    cJSON_AddNumberToObject(out, "target", a->target);
    cJSON_AddNumberToObject(out, "instances_start", a->start);
    cJSON_AddNumberToObject(out, "instances_max", a->peak);
    cJSON_AddNumberToObject(out, "instances_end", fl__balancer_pool(a->lb));
    cJSON_AddNumberToObject(out, "scale_ups", (double)a->ups);
    cJSON_AddNumberToObject(out, "scale_downs", (double)a->downs);
    cJSON_AddNumberToObject(out, "instances_added", (double)a->added);
    if (a->first_up >= 0)
        cJSON_AddNumberToObject(out, "first_scale_up_s", fl_time_to_s(a->first_up));
    if (a->last_ready >= 0)
        cJSON_AddNumberToObject(out, "last_ready_s", fl_time_to_s(a->last_ready));
    cJSON_AddNumberToObject(out, "saturated_s", (double)a->saturated);
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    (void)w, (void)f; /* only crash reaches here (the descriptor's faults) */
    autoscaler *a = c->state;
    a->down = begin;
}

static void destroy(fl_component *c)
{
    autoscaler *a = c->state;
    if (!a)
        return;
    fl_free(a->sched);
    fl_free(a->pend);
    fl_free(a->pend_at);
    fl_free(a);
}

static const fl_kind_param kind_params[] = {
    {"pool", "node name (a `balancer`)", "", "required", "`\"lb\"`",
     "the balancer whose pool it sizes; its `\"standby\": true` backends (services) are the "
     "instances it may add", FL_KV_OTHER, FL_NO_BOUNDS},
    {"metric", "`\"utilisation\"`, `\"queue\"` or `\"latency\"`", "", "`\"utilisation\"`",
     "`\"queue\"`",
     "what it tracks, sampled every second over the pool: busy workers over workers, "
     "requests waiting per instance, or the mean time of the balancer's calls that ended",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"target", "number (utilisation 0.01..1, queue 0.01..10^9) or duration (latency)", "",
     "required", "`0.6`",
     "the metric's target: desired = ceil(current x metric / target)", FL_KV_NUMBER, FL_RANGE(0.01, 1e9)},
    {"tolerance", "number 0..0.9", "", "`0.1`", "`0.1`",
     "no change while metric / target is within this of 1", FL_KV_NUMBER, FL_RANGE(0, 0.9)},
    {"period", "duration 1s..24h", "", "`\"60s\"`", "`\"30s\"`",
     "how often it decides, on the mean of the period's samples", FL_KV_DURATION, FL_RANGE(1, 86400)},
    {"cooldown", "duration 0..24h", "", "`0`", "`\"60s\"`",
     "no decision within this of the last scale-up or scale-down", FL_KV_DURATION, FL_RANGE(0, 86400)},
    {"provisioning", "duration 0..24h", "", "`0`", "`\"120s\"`",
     "an instance asked for joins the pool this much later, cold (its `restart` warm-up)",
     FL_KV_DURATION, FL_RANGE(0, 86400)},
    {"max_step", "integer 1..256", "instances", "`256`", "`4`",
     "at most this many instances added or removed per decision", FL_KV_INTEGER, FL_RANGE(1, 256)},
    {"min", "integer 1..256", "instances", "`1`", "`6`", "the pool never shrinks below this",
     FL_KV_INTEGER, FL_RANGE(1, 256)},
    {"max", "integer 1..256, at least `min`", "instances", "`256`", "`30`",
     "nor grows above this (nor above the standby backends there are)", FL_KV_INTEGER, FL_RANGE(1, 256)},
    {"scale_down", "boolean", "", "`true`", "`false`",
     "whether it removes instances when the metric is below target", FL_KV_OTHER, FL_NO_BOUNDS},
    {"schedule", "array of `{\"at\": duration, \"min\": integer}`", "", "none",
     "`[{\"at\": \"30s\", \"min\": 20}]`",
     "scheduled minimums (pre-scaling before a known peak): at `at` the minimum becomes "
     "`min`, and what is missing is asked for at once, cooldown or not", FL_KV_OTHER, FL_NO_BOUNDS},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"instances", "instances", "instances in the pool"},
    {"requested", "instances", "instances in the pool or being provisioned"},
    {"metric", "", "the metric at the last decision"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_autoscaler_ops = {
    .kind = "autoscaler",
    .about = "sizes a balancer's pool of services by a metric (target tracking), with cooldown "
             "and cold instances that arrive after a provisioning delay",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .connect = connect,
    .on_request = on_request,
    .report = report,
    .sample = sample,
    .faults = FL_FAULT_BIT(CRASH),
    .fault = fault,
    .destroy = destroy,
};
