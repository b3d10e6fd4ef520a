/* The `broker` component: one topic of append-only partition logs (Kafka-like).
 *
 *   {"name": "kafka", "kind": "broker", "partitions": 6,
 *    "poison": {"partition": 0, "at": "60s"}, "poison_effect": "crash"}
 *
 * Producers are workloads that target the broker: every request is a publish of one new
 * message, appended to partition (request key % partitions) and acknowledged at once. So
 * the producer's rate, arrival process and key spread are the workload's ("rate",
 * "arrivals", "keys": "uniform(6)" spreads evenly, "const(2)" writes one partition), and a
 * publish to a crashed broker is refused like any request to a crashed node.
 *
 * Faults: crash (publishes refused; consumers fetch and commit nothing until it restarts)
 * and pause (stop-the-world: publishes wait and are appended when it resumes; consumers
 * fetch and commit nothing meanwhile, so their partitions stall). No slow: a publish takes
 * no service time here, so there is nothing to slow.
 *
 * poison         the first message published to `partition` at or after `at` is a poison
 *                pill: every attempt to process it fails (none published by the end: the
 *                summary says "published": false)
 * poison_effect  what a failure does to a consumer with no error policy (consumer.c):
 *                "crash" (default: the process dies, as with an unhandled deserialization
 *                error) or "loop" (the error is caught, the consumer seeks back to the same
 *                offset and fails on it again, forever)
 *
 * Messages are numbered 1, 2, ... in publishing order over the whole topic. Every publish
 * is recorded in the world's history as a "publish" operation (key = message id, value =
 * its offset in its partition, node = the broker). Consumer groups (consumer.c) read the
 * logs, keep their committed offsets and report lag; the broker reports what was written
 * and what went to the dead-letter topic. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/broker.h"
#include "model/world.h"

typedef struct partition {
    uint64_t *ids;
    fl_time *times;
    uint64_t n, cap;
} partition;

typedef struct subscriber {
    fl_broker_append_fn fn;
    void *ctx;
} subscriber;

struct fl_broker {
    fl_world *w;
    uint32_t index;
    uint32_t nparts;
    partition *parts;
    uint64_t next_id;
    bool down;
    bool paused; /* a pause fault is in force: nothing is read or delivered until it ends */
    uint64_t refused;
    /* The poison pill. */
    bool has_poison;
    uint32_t poison_part;
    fl_time poison_at;
    uint64_t poison_off; /* UINT64_MAX until it is published */
    fl_poison_effect effect;
    uint64_t dead_lettered, dead_lettered_poison;
    subscriber *subs;
    int nsubs;
    int col_publish;
};

static const char *const effects[] = {"crash", "loop", NULL};

fl_broker *fl_broker_of(const fl_component *c)
{
    return c->ops == &fl_broker_ops ? c->state : NULL;
}
uint32_t fl_broker_partitions(const fl_broker *b) { return b->nparts; }
uint64_t fl_broker_log_end(const fl_broker *b, uint32_t p) { return b->parts[p].n; }
uint64_t fl_broker_msg_id(const fl_broker *b, uint32_t p, uint64_t off)
{
    return b->parts[p].ids[off];
}
fl_time fl_broker_msg_time(const fl_broker *b, uint32_t p, uint64_t off)
{
    return b->parts[p].times[off];
}
bool fl_broker_msg_poison(const fl_broker *b, uint32_t p, uint64_t off)
{
    return b->has_poison && p == b->poison_part && off == b->poison_off;
}
fl_poison_effect fl_broker_poison_effect(const fl_broker *b) { return b->effect; }
bool fl_broker_up(const fl_broker *b) { return !b->down && !b->paused; }

fl_status fl_broker_subscribe(fl_broker *b, fl_broker_append_fn fn, void *ctx)
{
    subscriber *s = fl_realloc(b->subs, (size_t)(b->nsubs + 1) * sizeof *s);
    if (!s)
        return FL_NOMEM;
    b->subs = s;
    b->subs[b->nsubs++] = (subscriber){fn, ctx};
    return FL_OK;
}

void fl_broker_dead_letter(fl_broker *b, uint32_t p, uint64_t off)
{
    b->dead_lettered++;
    if (fl_broker_msg_poison(b, p, off))
        b->dead_lettered_poison++;
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    fl_broker *b = fl_calloc(1, sizeof *b);
    if (!b)
        return FL_NOMEM;
    c->state = b;
    b->w = w;
    b->index = c->index;
    b->poison_off = UINT64_MAX;
    long nparts;
    int effect;
    if ((st = fl_kind_int(c, "partitions", cfg, path, FL_CFG_OPTIONAL, 1, &nparts, e)) ||
        (st = fl_cfg_enum(cfg, path, "poison_effect", FL_CFG_OPTIONAL, 0, effects, &effect, e)))
        return st;
    b->nparts = (uint32_t)nparts;
    b->effect = (fl_poison_effect)effect;
    const cJSON *poison = cJSON_GetObjectItemCaseSensitive(cfg, "poison");
    if (poison) {
        char pp[256];
        fl_cfg_join(pp, sizeof pp, path, "poison");
        long part;
        if ((st = fl_cfg_object(poison, pp, e)) ||
            (st = fl_kind_sub_keys(&fl_broker_ops, "poison", poison, pp, e)) ||
            (st = fl_kind_int(c, "poison.partition", poison, pp, FL_CFG_OPTIONAL, 0, &part, e)) ||
            (st = fl_kind_duration(c, "poison.at", poison, pp, FL_CFG_REQUIRED, 0, &b->poison_at,
                                   e)))
            return st;
        if (part >= nparts) {
            char ap[300];
            return fl_error_set(e, FL_INVALID, fl_cfg_join(ap, sizeof ap, pp, "partition"),
                                "expected a partition of the topic, 0 to %ld, got %ld",
                                nparts - 1, part);
        }
        b->has_poison = true;
        b->poison_part = (uint32_t)part;
    }
    b->parts = fl_calloc(b->nparts, sizeof *b->parts);
    if (!b->parts)
        return FL_NOMEM;
    if ((st = fl_world_want_history(w)))
        return st;
    char col[200];
    snprintf(col, sizeof col, "%s.published", c->name);
    b->col_publish = fl_series_column(w->series, col, FL_SERIES_RATE);
    return b->col_publish < 0 ? FL_NOMEM : FL_OK;
}

/* Appends one message to partition p; false when out of memory. */
static bool append(fl_broker *b, uint32_t p, fl_time now, uint64_t *id, uint64_t *off)
{
    partition *pt = &b->parts[p];
    if (pt->n == pt->cap) {
        uint64_t cap = pt->cap ? pt->cap * 2 : 1024;
        uint64_t *ids = fl_realloc(pt->ids, cap * sizeof *ids);
        if (!ids)
            return false;
        pt->ids = ids;
        fl_time *t = fl_realloc(pt->times, cap * sizeof *t);
        if (!t)
            return false;
        pt->times = t;
        pt->cap = cap;
    }
    *off = pt->n;
    *id = ++b->next_id;
    pt->ids[pt->n] = *id;
    pt->times[pt->n++] = now;
    if (b->has_poison && p == b->poison_part && b->poison_off == UINT64_MAX &&
        now >= b->poison_at)
        b->poison_off = *off;
    return true;
}

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    fl_broker *b = c->state;
    fl_time now = fl_sim_now(w->sim);
    if (b->down) {
        if (now >= w->warmup)
            b->refused++;
        fl_world_reply(w, id, FL_OUT_REFUSED);
        return;
    }
    if (now < c->host.paused_until) { /* stopped: it reads the publish when it resumes */
        fl_sim_at(w->sim, c->host.paused_until, w->h_arrive_server, id);
        return;
    }
    fl_req *r = fl_req_at(w, id);
    uint32_t p = (uint32_t)(r->key % b->nparts);
    uint32_t client = r->caller;
    uint64_t msg, off;
    if (!append(b, p, now, &msg, &off)) {
        fl_world_reply(w, id, FL_OUT_REJECTED); /* out of memory: the publish fails */
        return;
    }
    fl_op op = {.invoke = now, .complete = now, .key = msg, .value = (int64_t)off,
                .expect = FL_VALUE_NONE, .token = FL_TOKEN_NONE, .client = client,
                .node = b->index, .kind = FL_OP_PUBLISH, .outcome = FL_OP_OK};
    fl_history_add(w->history, &op, NULL);
    fl_series_add(w->series, b->col_publish, now, 1);
    fl_world_reply(w, id, FL_OUT_OK);
    for (int i = 0; i < b->nsubs; i++)
        b->subs[i].fn(b->subs[i].ctx, p);
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    fl_broker *b = c->state;
    if (f->kind == FL_FAULT_PAUSE) {
        /* Paused while any pause is in force (host.paused_until is the latest end). */
        bool paused = fl_sim_now(w->sim) < c->host.paused_until;
        if (paused == b->paused)
            return;
        b->paused = paused;
    } else {
        b->down = begin;
    }
    /* Consumers see their partitions stop (and, when it restarts, fetch again). */
    for (int i = 0; i < b->nsubs; i++)
        for (uint32_t p = 0; p < b->nparts; p++)
            b->subs[i].fn(b->subs[i].ctx, p);
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    (void)w;
    fl_broker *b = c->state;
    cJSON_AddNumberToObject(out, "published", (double)b->next_id);
    cJSON_AddNumberToObject(out, "refused", (double)b->refused);
    cJSON *parts = cJSON_AddObjectToObject(out, "partitions");
    for (uint32_t p = 0; p < b->nparts; p++) {
        char name[16];
        snprintf(name, sizeof name, "p%u", p);
        cJSON *o = cJSON_AddObjectToObject(parts, name);
        cJSON_AddNumberToObject(o, "log_end", (double)b->parts[p].n);
    }
    if (b->has_poison) {
        cJSON *o = cJSON_AddObjectToObject(out, "poison");
        cJSON_AddNumberToObject(o, "partition", b->poison_part);
        cJSON_AddBoolToObject(o, "published", b->poison_off != UINT64_MAX);
        if (b->poison_off != UINT64_MAX) {
            partition *pt = &b->parts[b->poison_part];
            cJSON_AddNumberToObject(o, "offset", (double)b->poison_off);
            cJSON_AddNumberToObject(o, "message", (double)pt->ids[b->poison_off]);
            cJSON_AddNumberToObject(o, "published_s", fl_time_to_s(pt->times[b->poison_off]));
        }
        cJSON_AddStringToObject(o, "effect", effects[b->effect]);
    }
    cJSON *dlq = cJSON_AddObjectToObject(out, "dead_letter");
    cJSON_AddNumberToObject(dlq, "messages", (double)b->dead_lettered);
    cJSON_AddNumberToObject(dlq, "poison", (double)b->dead_lettered_poison);
}

static void destroy(fl_component *c)
{
    fl_broker *b = c->state;
    if (!b)
        return;
    for (uint32_t p = 0; b->parts && p < b->nparts; p++) {
        fl_free(b->parts[p].ids);
        fl_free(b->parts[p].times);
    }
    fl_free(b->parts);
    fl_free(b->subs);
    fl_free(b);
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"partitions", "integer", "", "`1`", "`6`",
     "", FL_KV_INTEGER, FL_RANGE(1, 1024)},
    {"poison.partition", "integer", "", "`0`", "`2`",
     "a partition of the topic", FL_KV_INTEGER, FL_RANGE(0, 1023)},
    {"poison.at", "duration", "", "required with `poison`", "`\"60s\"`",
     "the first message published to that partition at or after it fails every "
     "processing", FL_KV_DURATION, FL_AT_LEAST(0)},
    {"poison_effect", "`\"crash\"` or `\"loop\"`", "", "`\"crash\"`", "`\"loop\"`",
     "what the failure does to a consumer without `on_error`: the process dies "
     "(restarts after `restart_delay`), or seeks back and fails again at every poll",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"published", "/s", "messages published"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_broker_ops = {
    .kind = "broker",
    .about = "a topic of partition logs; workloads publish to it, consumer groups read it",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .on_request = on_request,
    .report = report,
    .faults = FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE),
    .fault = fault,
    .destroy = destroy,
};
