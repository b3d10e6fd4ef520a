/* The `occ` component: records updated under optimistic concurrency control, the smallest
 * model of contention.
 *
 *   {"name": "row", "kind": "occ", "hold": "const(10ms)"}
 *
 * Every request is a read-modify-write of the record named by its key: when it arrives it
 * reads the record's version, works for one "hold" draw (the time between its read and its
 * conditional write), then writes only if the version is still the one it read. If another
 * request committed to the record in between, its write fails with "conflict" (the client
 * may retry, under its policy). Reads and writes of a workload's mix are treated alike:
 * both are updates. There are no workers and no queue: each request is its own
 * transaction, so the only limit on progress is contention itself; with N requests started
 * together exactly one commits per round of conflicts (N, then N - 1, ...).
 *
 * A slow fault multiplies the hold of requests that arrive while it lasts. A request whose
 * client has given up still commits when its turn comes (the server cannot know), and
 * still makes others conflict: wasted work, counted.
 *
 * Figures (nodes.<name>): commits, conflicts, conflict_rate (conflicts / attempts that
 * ended), records (distinct keys written), wasted_commits (commits whose client had gone).
 * Invariant: a record's version equals the commits to it. */
#include <stdlib.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "core/keymap.h"
#include "model/world.h"

typedef struct occ {
    fl_world *w;
    fl_component *c;
    fl_dist *hold;
    fl_rng rng;
    int h_commit;
    double slow;
    fl_keymap keys; /* key -> row */
    int64_t *ver;   /* per row: commits so far */
    size_t nrows, cap;
    uint64_t commits, conflicts, wasted, refused;
} occ;

static bool measured(const occ *s, fl_time t) { return t >= s->w->warmup && t < s->w->duration; }

/* The record's row, created at version 0 when new; FL_NONE when out of memory. */
static uint32_t row_of(occ *s, uint64_t key)
{
    uint32_t r = fl_keymap_find(&s->keys, key);
    if (r != FL_NONE)
        return r;
    int64_t *v = fl__grow(s->w->sim, s->ver, &s->cap, s->nrows + 1, sizeof *v, 16);
    if (!v)
        return FL_NONE;
    s->ver = v;
    r = (uint32_t)s->nrows;
    if (fl_keymap_put(&s->keys, key, r) != 0)
        return FL_NONE;
    s->ver[s->nrows++] = 0;
    return r;
}

/* A request arrives: it reads the version (kept in its value until the commit, which is
 * the only place that reads it) and holds it for one draw. */
static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    occ *s = c->state;
    fl_req *q = fl_req_at(w, id);
    uint32_t row = row_of(s, q->key);
    if (row == FL_NONE) { /* out of memory: refuse rather than lie */
        if (measured(s, fl_sim_now(w->sim)))
            s->refused++;
        fl_world_reply(w, id, FL_OUT_REJECTED);
        return;
    }
    q->value = s->ver[row];
    fl_time d = fl_dist_sample(s->hold, &s->rng);
    if (s->slow != 1)
        d = (fl_time)((double)d * s->slow);
    fl_sim_after(w->sim, d, s->h_commit, id);
}

/* The conditional write: commits when nobody committed since the read. */
static void on_commit(fl_sim *sim, void *ctx, uint64_t arg)
{
    occ *s = ctx;
    fl_world *w = s->w;
    uint32_t id = (uint32_t)arg;
    fl_req *q = fl_req_at(w, id);
    uint32_t row = fl_keymap_find(&s->keys, q->key);
    bool ok = s->ver[row] == q->value;
    bool m = measured(s, fl_sim_now(sim));
    if (ok) {
        s->ver[row]++;
        if (m) {
            s->commits++;
            s->wasted += q->client_done != 0;
        }
    } else if (m) {
        s->conflicts++;
    }
    q->value = FL_VALUE_NONE; /* no data version to answer */
    fl_world_reply(w, id, ok ? FL_OUT_OK : FL_OUT_CONFLICT);
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    occ *s = fl_calloc(1, sizeof *s);
    if (!s)
        return FL_NOMEM;
    c->state = s;
    s->w = w;
    s->c = c;
    s->slow = 1;
    if ((st = fl_cfg_dist(cfg, path, "hold", FL_CFG_REQUIRED, NULL, &s->hold, e)))
        return st;
    fl_world_stream(w, &s->rng, c->name, "hold");
    s->h_commit = fl_sim_handler(w->sim, on_commit, s);
    if (s->h_commit < 0 || fl_keymap_init(&s->keys, 16) != 0)
        return FL_NOMEM;
    return FL_OK;
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    (void)begin;
    occ *s = c->state;
    if (f->kind == FL_FAULT_SLOW)
        s->slow = fl_world_slowdown(w, c->index, -1);
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    (void)w;
    occ *s = c->state;
    uint64_t ended = s->commits + s->conflicts;
    cJSON_AddNumberToObject(out, "commits", (double)s->commits);
    cJSON_AddNumberToObject(out, "conflicts", (double)s->conflicts);
    if (ended)
        cJSON_AddNumberToObject(out, "conflict_rate", (double)s->conflicts / (double)ended);
    else
        cJSON_AddNullToObject(out, "conflict_rate");
    cJSON_AddNumberToObject(out, "wasted_commits", (double)s->wasted);
    cJSON_AddNumberToObject(out, "records", (double)s->nrows);
    cJSON_AddNumberToObject(out, "refused", (double)s->refused);
}

static void destroy(fl_component *c)
{
    occ *s = c->state;
    if (!s)
        return;
    fl_dist_free(s->hold);
    fl_keymap_free(&s->keys);
    fl_free(s->ver);
    fl_free(s);
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them. It feeds
 * no time-series column. */
static const fl_kind_param kind_params[] = {
    {"hold", "distribution", "", "required", "`\"uniform(5ms, 15ms)\"`",
     "time between a request's read and its conditional write", FL_KV_OTHER, FL_NO_BOUNDS},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

const fl_component_ops fl_occ_ops = {
    .kind = "occ",
    .about = "records updated with optimistic concurrency: a write whose read version is "
             "stale fails with conflict",
    .params = kind_params,
    .configure = configure,
    .on_request = on_request,
    .report = report,
    .faults = FL_FAULT_BIT(SLOW),
    .fault = fault,
    .destroy = destroy,
};
