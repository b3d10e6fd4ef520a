/* The `lock_storage` component: the storage a lock protects (a file, a row), written by
 * `lock_client`s while they believe they hold the lock.
 *
 *   {"name": "storage", "kind": "lock_storage", "fencing": true, "key": 0}
 *
 * It holds one record (history key `key`). A client's write carries its hold's token; the
 * storage applies it and remembers the highest fencing token it has seen. With "fencing":
 * true it rejects a write whose token is lower than that (Kleppmann's fencing tokens: the
 * storage, not the lock, is what stops a client that lost its lease without knowing).
 * Fencing needs the monotonic tokens of a single lock server; a client of several servers
 * (Redlock) has none, and may not write to a fencing storage. A fence (a lock_client's
 * "fence_on_acquire" touch: a token and no write) is judged like a write and, accepted,
 * raises the highest token too: from then on the older holder's writes are rejected, even
 * before the new holder has written anything.
 *
 * Workload requests: a read answers the record's current version (FL_VALUE_NONE for
 * another key or before any write), so readers of the record show up in the consistency
 * checks; a workload write is rejected (only lock clients write, with a token).
 *
 * Faults: a pause holds writes and reads until it ends; a crash drops writes (the client's
 * write times out) and refuses reads until the restart (the record is durable); "slow"
 * does nothing.
 *
 * Report (nodes.<name>): writes_accepted, writes_rejected, stale_writes_accepted (accepted
 * with a lower fencing token than one already seen: what fencing would have stopped),
 * reads, highest_token, and the lock checks over every lock_client writing here
 * (fl_check_mutex): mutual_exclusion_violations (pairs of holds by different clients,
 * overlapping in time, both with an accepted write in the overlap; of = holds) and
 * fenced_writes (of = writes). Counts and checks cover writes after the warm-up and holds
 * that end after it. Series: <name>.stale_writes (per window). */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/lock_int.h"
#include "model/world.h"

typedef struct lock_storage {
    fl_world *w;
    fl_component *c;
    bool fencing;
    bool down;
    uint64_t key;
    int64_t current;   /* the version the record holds (FL_VALUE_NONE: never written) */
    int64_t highest;   /* the highest fencing token seen (FL_TOKEN_NONE: none) */
    int h_inbox, h_read;
    int col_stale;
    fl_fenced_write *writes; /* applied or rejected, after the warm-up */
    size_t nwrites, cap;
    uint64_t accepted, rejected, stale, reads, unrecorded;
} lock_storage;


/* A write from a lock client: arg = client index << 32 | record id. */
static void on_inbox(fl_sim *sim, void *ctx, uint64_t arg)
{
    lock_storage *s = ctx;
    fl_world *w = s->w;
    fl_time now = fl_sim_now(sim);
    if (now < s->c->host.paused_until) {
        fl_sim_at(sim, s->c->host.paused_until, s->h_inbox, arg);
        return;
    }
    uint32_t ci = (uint32_t)(arg >> 32), id = (uint32_t)arg;
    fl_component *client = w->comps[ci];
    if (s->down) {
        fl_lock_msg_drop(client, id);
        return;
    }
    fl_lock_msg *m = fl_lock_msg_at(client, id);
    bool older = m->fence && s->highest != FL_TOKEN_NONE && m->token < s->highest;
    m->ok = !(older && s->fencing);
    if (m->type == FL_LOCK_FENCE) { /* establishes the token; no write, nothing recorded */
        if (m->ok && m->token > s->highest)
            s->highest = m->token;
        fl_lock_reply(w, client, id, s->c);
        return;
    }
    if (m->ok) {
        s->current = m->version;
        if (m->fence && m->token > s->highest)
            s->highest = m->token;
    }
    if (now >= w->warmup) {
        if (m->ok) {
            s->accepted++;
            if (older) {
                s->stale++;
                fl_series_add(w->series, s->col_stale, now, 1);
            }
        } else {
            s->rejected++;
        }
        fl_fenced_write *nw =
            fl__grow(s->w->sim, s->writes, &s->cap, s->nwrites + 1, sizeof *nw, 64);
        if (nw)
            s->writes = nw;
        if (s->nwrites < s->cap)
            s->writes[s->nwrites++] = (fl_fenced_write){ci, m->token, now, m->ok};
        else
            s->unrecorded++; /* out of memory: the checks will say so */
    }
    fl_lock_reply(w, client, id, s->c);
}

/* A workload request held by a pause. */
static void on_request(fl_world *w, fl_component *c, uint32_t id);

static void on_read(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    lock_storage *s = ctx;
    on_request(s->w, s->c, (uint32_t)arg);
}

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    lock_storage *s = c->state;
    fl_time now = fl_sim_now(w->sim);
    if (now < c->host.paused_until) {
        fl_sim_at(w->sim, c->host.paused_until, s->h_read, id);
        return;
    }
    fl_req *r = fl_req_at(w, id);
    if (s->down) {
        fl_world_reply(w, id, FL_OUT_REFUSED);
        return;
    }
    if (r->verb == FL_VERB_WRITE) {
        fl_world_reply(w, id, FL_OUT_REJECTED);
        return;
    }
    r->value = r->key == s->key ? s->current : FL_VALUE_NONE;
    if (now >= w->warmup)
        s->reads++;
    fl_world_reply(w, id, FL_OUT_OK);
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    lock_storage *s = fl_calloc(1, sizeof *s);
    if (!s)
        return FL_NOMEM;
    c->state = s;
    s->w = w;
    s->c = c;
    s->current = FL_VALUE_NONE;
    s->highest = FL_TOKEN_NONE;
    long key;
    if ((st = fl_cfg_bool(cfg, path, "fencing", FL_CFG_OPTIONAL, false, &s->fencing, e)) ||
        (st = fl_kind_int(c, "key", cfg, path, FL_CFG_OPTIONAL, 0, &key, e)))
        return st;
    s->key = (uint64_t)key;
    if ((st = fl_world_want_history(w)))
        return st;
    s->h_inbox = fl_sim_handler(w->sim, on_inbox, s);
    s->h_read = fl_sim_handler(w->sim, on_read, s);
    char col[200];
    snprintf(col, sizeof col, "%s.stale_writes", c->name);
    s->col_stale = fl_series_column(w->series, col, FL_SERIES_SUM);
    if (s->h_inbox < 0 || s->h_read < 0 || s->col_stale < 0)
        return FL_NOMEM;
    return FL_OK;
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    (void)w;
    lock_storage *s = c->state;
    if (f->kind == FL_FAULT_CRASH)
        s->down = begin;
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    lock_storage *s = c->state;
    fl_time now = fl_sim_now(w->sim);
    cJSON_AddBoolToObject(out, "fencing", s->fencing);
    cJSON_AddNumberToObject(out, "writes_accepted", (double)s->accepted);
    cJSON_AddNumberToObject(out, "writes_rejected", (double)s->rejected);
    cJSON_AddNumberToObject(out, "stale_writes_accepted", (double)s->stale);
    cJSON_AddNumberToObject(out, "reads", (double)s->reads);
    cJSON_AddNumberToObject(out, "highest_token", (double)s->highest);
    /* Every hold of every client writing here, ending after the warm-up. */
    fl_lock_hold *all = NULL;
    size_t nall = 0;
    fl_status st = FL_OK;
    for (uint32_t i = 0; i < w->ncomps && !st; i++) {
        const fl_component *cl = w->comps[i];
        if (cl->ops != &fl_lock_client_ops || fl_lock_client_storage(cl) != c->index)
            continue;
        fl_lock_hold *h;
        size_t n;
        if ((st = fl_lock_client_holds(cl, now, &h, &n)))
            break;
        fl_lock_hold *grown = fl_realloc(all, (nall + n + 1) * sizeof *grown);
        if (!grown) {
            fl_free(h);
            st = FL_NOMEM;
            break;
        }
        all = grown;
        for (size_t k = 0; k < n; k++)
            if (h[k].end > w->warmup)
                all[nall++] = h[k];
        fl_free(h);
    }
    fl_check_result viol, fenced;
    if (st || s->unrecorded ||
        fl_check_mutex(all, nall, s->writes, s->nwrites, &viol, &fenced) != FL_OK) {
        cJSON_AddStringToObject(out, "error", "out of memory while checking the lock");
    } else {
        fl_world_report_check(out, "mutual_exclusion_violations", &viol);
        for (size_t i = 0; i < viol.nexamples; i++) /* the earliest, on the charts */
            fl_world_window(w, viol.examples[i].t0, viol.examples[i].t1, c->name, "violation",
                            "two holders: %s", viol.examples[i].text);
        fl_world_report_check(out, "fenced_writes", &fenced);
    }
    fl_free(all);
}

static void destroy(fl_component *c)
{
    lock_storage *s = c->state;
    if (!s)
        return;
    fl_free(s->writes);
    fl_free(s);
}

int fl_lock_storage_inbox(const fl_component *storage)
{
    return ((const lock_storage *)storage->state)->h_inbox;
}

bool fl_lock_storage_fencing(const fl_component *storage)
{
    return ((const lock_storage *)storage->state)->fencing;
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"fencing", "boolean", "", "`false`", "`true`",
     "reject a write whose token is lower than the highest seen (raised by writes and by "
     "`fence_on_acquire` fences); not with a client of several servers", FL_KV_OTHER,
     FL_NO_BOUNDS},
    {"key", "integer 0..2^31-1", "", "`0`", "`7`",
     "the record's key in the history (for workload reads and the consistency "
     "checks)", FL_KV_INTEGER, FL_RANGE(0, 2147483647)},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"stale_writes", "writes", "writes accepted with a token lower than one seen before"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_lock_storage_ops = {
    .kind = "lock_storage",
    .about = "the storage a lock protects; with fencing it rejects writes with stale tokens",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .on_request = on_request,
    .report = report,
    .faults = FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE),
    .fault = fault,
    .destroy = destroy,
};
