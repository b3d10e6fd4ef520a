/* A token-bucket rate limiter in front of one node:
 *
 *   {"name": "limiter", "kind": "ratelimit", "target": "api", "rate": "640/s", "burst": 64,
 *    "client": {"timeout": "1s"}}
 *
 * A request that finds a token is forwarded to `target` under the `client` policy (default:
 * one try, no timeout) and answered with the target's outcome (`dependency` when the call
 * failed); one that finds none is answered at once with `rate_limited`, costing nothing.
 * The bucket holds `burst` tokens and refills at `rate`.
 *
 * The bucket is kept as its theoretical arrival time (GCRA, equivalent to a token bucket):
 * tokens come every T = 1/rate ns, and a request at `now` is admitted when
 * tat - now <= (burst - 1) x T, which then advances tat by T. Integer nanoseconds only, so
 * admission never depends on floating-point rounding. The bucket runs on true time: a
 * limiter's clock fault is refused, as is a slowdown (no work here takes time) and a pause.
 *
 * Faults: crash. While down, arrivals are `refused`; a request forwarded before the crash
 * gets no reply (its client times out), and the bucket restarts full.
 *
 * Report (nodes.NAME): rate_per_s, burst, admitted, rate_limited (measured after the
 * warm-up) and `target`: the forwarding caller's tries and errors. Series: NAME.admitted_per_s,
 * NAME.limited_per_s. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/caller.h"
#include "model/client.h"
#include "model/world.h"

typedef struct ratelimit {
    fl_world *w;
    fl_component *c;
    const char *target_name; /* in the scenario document (outlives configure/connect) */
    const cJSON *client;     /* the "client" object, read in connect */
    char path[128];
    double rate;
    long burst;
    fl_time interval; /* T: ns between tokens */
    fl_time tat;      /* theoretical arrival time of the next conforming request */
    fl_caller *to;
    bool down;
    uint32_t gen; /* crashes so far: a reply to a request forwarded before one is dropped */
    uint64_t admitted, limited;
    int col_admitted, col_limited;
} ratelimit;

static bool measured(const ratelimit *r) { return fl_sim_now(r->w->sim) >= r->w->warmup; }

static void forwarded(void *ctx, uint64_t tag, fl_outcome o, fl_time t_start, int64_t value)
{
    (void)t_start;
    ratelimit *r = ctx;
    uint32_t req = (uint32_t)tag;
    if ((uint32_t)(tag >> 32) != r->gen || r->down) { /* forwarded before a crash: lost */
        fl_req_server_done(r->w, req);
        return;
    }
    if (o == FL_OUT_OK && value != FL_VALUE_NONE)
        fl_req_at(r->w, req)->value = value; /* a read's answer travels back */
    fl_world_reply(r->w, req, o == FL_OUT_OK ? FL_OUT_OK : FL_OUT_DEPENDENCY);
}

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    ratelimit *r = c->state;
    if (r->down) {
        fl_world_reply(w, id, FL_OUT_REFUSED);
        return;
    }
    fl_time now = fl_sim_now(w->sim);
    fl_time tat = r->tat > now ? r->tat : now;
    if (tat - now > (fl_time)(r->burst - 1) * r->interval) {
        if (measured(r))
            r->limited++;
        fl_series_add(w->series, r->col_limited, now, 1);
        fl_world_reply(w, id, FL_OUT_RATE_LIMITED);
        return;
    }
    r->tat = tat + r->interval;
    if (measured(r))
        r->admitted++;
    fl_series_add(w->series, r->col_admitted, now, 1);
    const fl_req *q = fl_req_at(w, id);
    fl_call call = {q->key, q->value, q->verb};
    fl_caller_call(r->to, (uint64_t)r->gen << 32 | id, q->deadline, &call);
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    ratelimit *r = fl_calloc(1, sizeof *r);
    if (!r)
        return FL_NOMEM;
    c->state = r;
    r->w = w;
    r->c = c;
    snprintf(r->path, sizeof r->path, "%s", path);
    char p[160];
    if ((st = fl_cfg_string(cfg, path, "target", FL_CFG_REQUIRED, NULL, &r->target_name, e)) ||
        (st = fl_kind_rate(c, "rate", cfg, path, FL_CFG_REQUIRED, 0, &r->rate, e)))
        return st;
    /* rate's bounds (1/day to 10^9/s: one token per nanosecond) are the descriptor's. */
    /* Default burst: one second of tokens (at least one). */
    long def = r->rate < 1 ? 1 : (long)(r->rate + 0.5);
    if ((st = fl_kind_int(c, "burst", cfg, path, FL_CFG_OPTIONAL, def, &r->burst, e)))
        return st;
    r->interval = (fl_time)((double)FL_SEC / r->rate + 0.5);
    /* The bucket's depth in time, (burst - 1) x T, is compared with times: keep it far
     * from overflowing (10^9 s is 31 years). */
    if ((double)(r->burst - 1) * (double)r->interval > 1e18)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "burst"),
                            "expected burst / rate of at most 10^9 s (a bucket that takes "
                            "31 years to fill)");
    r->client = cJSON_GetObjectItemCaseSensitive(cfg, "client");
    char col[200];
    snprintf(col, sizeof col, "%s.admitted_per_s", c->name);
    r->col_admitted = fl_series_column(w->series, col, FL_SERIES_RATE);
    snprintf(col, sizeof col, "%s.limited_per_s", c->name);
    r->col_limited = fl_series_column(w->series, col, FL_SERIES_RATE);
    return r->col_admitted < 0 || r->col_limited < 0 ? FL_NOMEM : FL_OK;
}

static fl_status connect(fl_world *w, fl_component *c, fl_error *e)
{
    ratelimit *r = c->state;
    char p[160];
    uint32_t t;
    fl_status st;
    if ((st = fl_world_find_node(w, r->target_name, c, NULL,
                                 fl_cfg_join(p, sizeof p, r->path, "target"), &t, e)))
        return st;
    fl_client_policy pol;
    if ((st = fl_client_policy_read(r->client, fl_cfg_join(p, sizeof p, r->path, "client"), false,
                                    &pol, e)))
        return st;
    char owner[200];
    snprintf(owner, sizeof owner, "%s->%s", c->name, r->target_name);
    r->to = fl_caller_new(w, owner, t, c->zone, &c->host, &pol, forwarded, r);
    r->client = NULL;
    return r->to ? FL_OK : FL_NOMEM;
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    (void)w;
    ratelimit *r = c->state;
    cJSON_AddNumberToObject(out, "rate_per_s", r->rate);
    cJSON_AddNumberToObject(out, "burst", (double)r->burst);
    cJSON_AddNumberToObject(out, "admitted", (double)r->admitted);
    cJSON_AddNumberToObject(out, "rate_limited", (double)r->limited);
    fl_caller_report(r->to, cJSON_AddObjectToObject(out, "target"));
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    (void)w, (void)f; /* only crash reaches here (the descriptor's faults) */
    ratelimit *r = c->state;
    r->down = begin;
    if (begin) {
        r->gen++;
        r->tat = 0; /* the bucket is memory: it restarts full */
    }
}

static void destroy(fl_component *c) { fl_free(c->state); }

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"target", "node name", "", "required", "`\"api\"`",
     "the node the limiter admits requests to (not the limiter itself)", FL_KV_OTHER, FL_NO_BOUNDS},
    {"rate", "rate", "", "required", "`\"640/s\"`",
     "tokens added per second: the sustained rate admitted",
     FL_KV_RATE, FL_RANGE(1.0 / 86400, 1e9)},
    {"burst", "integer, at most rate x 10^9 s", "requests",
     "rate x 1 s, rounded (at least 1)", "`64`",
     "the bucket's size: requests admitted at once after a quiet spell",
     FL_KV_INTEGER, FL_RANGE(1, 1e8)},
    {"client", "client policy", "", "one try, no timeout", "`{\"timeout\": \"1s\"}`",
     "the `client.*` keys of a workload but `slo`, for the calls to `target`",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"admitted_per_s", "/s", "requests admitted (forwarded to the target)"},
    {"limited_per_s", "/s", "requests answered `rate_limited`"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_ratelimit_ops = {
    .kind = "ratelimit",
    .about = "a token-bucket rate limiter in front of one node (over the limit: rate_limited)",
    .params = kind_params,
    .series = kind_series,
    .outcomes = FL_OUT_BIT(RATE_LIMITED),
    .configure = configure,
    .connect = connect,
    .on_request = on_request,
    .report = report,
    .faults = FL_FAULT_BIT(CRASH),
    .fault = fault,
    .destroy = destroy,
};
