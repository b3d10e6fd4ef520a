/* The consumer kind's queue delivery ("delivery": "queue"): the broker's topic read as one
 * queue with a visibility timeout per received message (Amazon SQS; Google Pub/Sub's ack
 * deadline), instead of a consumer group's committed offsets.
 *
 *   {"name": "workers", "kind": "consumer", "broker": "jobs", "delivery": "queue",
 *    "members": 10, "process": "exp(4s)", "max_messages": 10,
 *    "visibility_timeout": "30s", "extend": "10s", "max_receive_count": 5,
 *    "idempotent": false}
 *
 * Each of the `members` is a worker: it receives up to max_messages visible messages
 * (those that became visible first come first; none visible: it waits, as a long poll
 * does, until one is), then processes them one at a time (one `process` draw each) and
 * deletes each one when done with it. A received message is invisible for
 * visibility_timeout; one not deleted by then becomes visible again and is received
 * again, by any worker, even while the first is still working on it or has not reached it
 * yet in its batch: a duplicate. A delete names the receipt of one receive; only the
 * latest receipt deletes (SQS: a delete with an older receipt handle succeeds but may not
 * delete the message); an older one is counted as a stale delete and the message stays.
 *
 * extend             while a worker holds messages it has not finished, every `extend`
 *                    it makes them invisible for visibility_timeout from then on
 *                    (SQS ChangeMessageVisibility, Pub/Sub lease management); shorter
 *                    than visibility_timeout
 * max_receive_count  a message received this many times without being deleted goes to
 *                    the dead-letter queue at its next receive (SQS redrive policy)
 * idempotent         the processing remembers what it did: a message already processed
 *                    successfully is deleted without doing the work again
 *
 * The broker's poison pill fails its processing (1 ms): it is not deleted, comes back
 * after the timeout, and goes to the dead-letter queue after max_receive_count receives
 * (without one, forever). Faults on the node: crash (every worker stops; what it held
 * comes back when its visibility runs out; they restart when the fault ends), slow (every
 * processing that starts while it is in force takes `factor` times as long), pause
 * (workers finish, delete, extend and receive nothing until it ends; the queue's timers,
 * the broker's, keep running); clock (the extension interval runs on the node's clock; the
 * visibility timeout is the broker's). While the broker is down or paused nothing is
 * received.
 *
 * Report (nodes.NAME, measured after the warm-up): delivery, members, visibility_timeout_s,
 * receives, redeliveries (receives beyond a message's first), processings, duplicates
 * (processings of a message beyond its first successful one), duplicates_skipped
 * (idempotent), wasted_work_s (processing time spent on duplicates), deleted,
 * stale_deletes, failed_attempts, dead_lettered, extensions, backlog_end (published, not
 * deleted nor dead-lettered at the end), max_delay_s (publish to the first processing).
 * Series: NAME.backlog, NAME.redeliveries_per_s, NAME.duplicates_per_s. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/consumer_queue.h"

enum { MS_VISIBLE, MS_INFLIGHT, MS_DELETED, MS_DLQ };
enum { W_IDLE, W_BUSY, W_DOWN };

#define MAX_BATCH 10

typedef struct worker {
    uint8_t state;
    uint32_t gen; /* bumped on crash: older events are stale */
    uint64_t ids[MAX_BATCH];
    uint32_t receipts[MAX_BATCH];
    uint32_t blen, bpos;
    fl_time item_start;
    bool hb_armed;
} worker;

struct fl_cqueue {
    fl_world *w;
    fl_component *c;
    fl_broker *b;
    fl_dist *process; /* the consumer's (not owned) */
    fl_rng rng;
    uint32_t nworkers;
    worker *wk;
    long max_messages, max_receive;
    fl_time vt, extend;
    bool idempotent, node_down;
    double slow;
    fl_time paused_until;
    /* Messages by id (1, 2, ...): state, receives, successful processings, visibility
     * timer, where it sits in the broker. */
    uint8_t *st;
    uint32_t *receives, *ok;
    fl_timer *timer;
    uint32_t *part;
    uint64_t *off;
    uint64_t cap, known; /* ids 1..known have been seen */
    uint64_t *read;      /* per partition: offsets read so far */
    /* Messages visible, in the order they became visible (a ring). */
    uint64_t *ready;
    uint64_t rhead, rlen, rcap;
    uint64_t backlog; /* published, not deleted nor dead-lettered */
    int h_done, h_vis, h_hb, h_resume;
    int col_backlog, col_redel, col_dup;
    uint32_t win_redel; /* this window's redeliveries (events) */
    fl_time last_redel;
    bool redelivering;
    uint64_t receives_n, redeliveries, processings, duplicates, skipped, deleted, stale,
        failed, dlq, extensions;
    fl_time wasted, max_delay;
};

static bool measured(const fl_cqueue *q, fl_time t)
{
    return t >= q->w->warmup && t < q->w->duration;
}

static uint64_t warg(uint32_t slot, uint32_t gen) { return ((uint64_t)gen << 32) | slot; }

static bool grow_msgs(fl_cqueue *q, uint64_t id)
{
    if (id < q->cap)
        return true;
    uint64_t cap = q->cap * 2;
    while (cap <= id)
        cap *= 2;
    uint8_t *st = fl_realloc(q->st, cap * sizeof *st);
    if (st)
        q->st = st;
    uint32_t *rc = st ? fl_realloc(q->receives, cap * sizeof *rc) : NULL;
    if (rc)
        q->receives = rc;
    uint32_t *ok = rc ? fl_realloc(q->ok, cap * sizeof *ok) : NULL;
    if (ok)
        q->ok = ok;
    fl_timer *tm = ok ? fl_realloc(q->timer, cap * sizeof *tm) : NULL;
    if (tm)
        q->timer = tm;
    uint32_t *pt = tm ? fl_realloc(q->part, cap * sizeof *pt) : NULL;
    if (pt)
        q->part = pt;
    uint64_t *of = pt ? fl_realloc(q->off, cap * sizeof *of) : NULL;
    if (!of)
        return false;
    q->off = of;
    q->cap = cap;
    return true;
}

static bool push_ready(fl_cqueue *q, uint64_t id)
{
    if (q->rlen == q->rcap) {
        uint64_t cap = q->rcap * 2;
        uint64_t *r = fl_malloc(cap * sizeof *r);
        if (!r)
            return false;
        for (uint64_t i = 0; i < q->rlen; i++)
            r[i] = q->ready[(q->rhead + i) % q->rcap];
        fl_free(q->ready);
        q->ready = r;
        q->rhead = 0;
        q->rcap = cap;
    }
    q->ready[(q->rhead + q->rlen++) % q->rcap] = id;
    return true;
}

static bool stopped(const fl_cqueue *q, fl_time now)
{
    return q->node_down || now < q->paused_until || !fl_broker_up(q->b);
}

static void start_item(fl_cqueue *q, uint32_t slot);

/* Worker `slot` receives a batch, or waits (idle) when nothing is visible. */
static void receive(fl_cqueue *q, uint32_t slot)
{
    fl_world *w = q->w;
    worker *k = &q->wk[slot];
    fl_time now = fl_sim_now(w->sim);
    k->state = W_IDLE;
    k->blen = k->bpos = 0;
    if (stopped(q, now))
        return; /* woken when the pause ends, the node restarts or the broker is back */
    while (k->blen < (uint32_t)q->max_messages && q->rlen) {
        uint64_t id = q->ready[q->rhead];
        q->rhead = (q->rhead + 1) % q->rcap;
        q->rlen--;
        if (q->st[id] != MS_VISIBLE)
            continue;
        bool m = measured(q, now);
        if (q->max_receive > 0 && q->receives[id] >= (uint32_t)q->max_receive) {
            q->st[id] = MS_DLQ; /* the redrive policy moves it at this receive */
            q->backlog--;
            q->dlq += m;
            fl_broker_dead_letter(q->b, q->part[id], q->off[id]);
            continue;
        }
        q->receives[id]++;
        q->receives_n += m;
        if (q->receives[id] > 1) {
            q->redeliveries += m;
            q->win_redel++;
            q->last_redel = now;
            fl_series_add(w->series, q->col_redel, now, 1);
        }
        q->st[id] = MS_INFLIGHT;
        fl_sim_timer_at(w->sim, now + q->vt, q->h_vis, id, &q->timer[id]);
        k->ids[k->blen] = id;
        k->receipts[k->blen++] = q->receives[id];
    }
    if (k->blen == 0)
        return;
    k->state = W_BUSY;
    if (q->extend > 0 && !k->hb_armed) {
        k->hb_armed = true;
        fl_sim_at(w->sim, fl_host_after(&q->c->host, now, q->extend), q->h_hb,
                  warg(slot, k->gen));
    }
    start_item(q, slot);
}

/* Wakes idle workers while messages are visible. */
static void wake(fl_cqueue *q)
{
    for (uint32_t i = 0; i < q->nworkers && q->rlen; i++)
        if (q->wk[i].state == W_IDLE)
            receive(q, i);
}

/* Deletes message id with the receipt of its receive number `receipt`. */
static void delete_msg(fl_cqueue *q, uint64_t id, uint32_t receipt, bool m)
{
    if (q->st[id] == MS_INFLIGHT && q->receives[id] == receipt) {
        q->st[id] = MS_DELETED;
        q->backlog--;
        fl_sim_timer_cancel(q->w->sim, q->timer[id]);
        q->deleted += m;
    } else {
        q->stale += m; /* an older receipt: the message stays (or is gone already) */
    }
}

static void start_item(fl_cqueue *q, uint32_t slot)
{
    fl_world *w = q->w;
    worker *k = &q->wk[slot];
    fl_time now = fl_sim_now(w->sim);
    bool m = measured(q, now);
    while (k->bpos < k->blen) {
        uint64_t id = k->ids[k->bpos];
        if (q->idempotent && q->ok[id] > 0) { /* done before: delete without the work */
            q->skipped += m;
            delete_msg(q, id, k->receipts[k->bpos], m);
            k->bpos++;
            continue;
        }
        fl_time t = fl_broker_msg_poison(q->b, q->part[id], q->off[id])
                        ? FL_MS
                        : fl_dist_sample(q->process, &q->rng);
        if (q->slow != 1)
            t = (fl_time)((double)t * q->slow);
        if (q->ok[id] == 0 && q->receives[id] == 1) {
            fl_time d = now - fl_broker_msg_time(q->b, q->part[id], q->off[id]);
            if (m && d > q->max_delay)
                q->max_delay = d;
        }
        k->item_start = now;
        fl_sim_after(w->sim, t, q->h_done, warg(slot, k->gen));
        return;
    }
    receive(q, slot);
}

static void on_done(fl_sim *sim, void *ctx, uint64_t arg)
{
    fl_cqueue *q = ctx;
    uint32_t slot = (uint32_t)arg;
    worker *k = &q->wk[slot];
    if (k->gen != (uint32_t)(arg >> 32) || k->state != W_BUSY)
        return; /* crashed meanwhile */
    fl_time now = fl_sim_now(sim);
    if (now < q->paused_until) {
        fl_sim_at(sim, q->paused_until, q->h_done, arg);
        return;
    }
    bool m = measured(q, now);
    uint64_t id = k->ids[k->bpos];
    if (fl_broker_msg_poison(q->b, q->part[id], q->off[id])) {
        q->failed += m; /* not deleted: it comes back after its visibility timeout */
    } else {
        q->processings += m;
        if (q->ok[id]++ > 0) {
            q->duplicates += m;
            if (m)
                q->wasted += now - k->item_start;
            fl_series_add(q->w->series, q->col_dup, now, 1);
        }
        delete_msg(q, id, k->receipts[k->bpos], m);
    }
    k->bpos++;
    start_item(q, slot);
}

/* A received message's visibility ran out: visible again. */
static void on_vis(fl_sim *sim, void *ctx, uint64_t id)
{
    (void)sim;
    fl_cqueue *q = ctx;
    if (q->st[id] != MS_INFLIGHT)
        return;
    q->timer[id] = FL_TIMER_NONE;
    q->st[id] = MS_VISIBLE;
    if (!push_ready(q, id)) {
        fl_sim_fail(q->w->sim, FL_NOMEM);
        return;
    }
    wake(q);
}

/* A worker's heartbeat: the messages it holds and has not finished stay invisible for
 * another visibility timeout. */
static void on_hb(fl_sim *sim, void *ctx, uint64_t arg)
{
    fl_cqueue *q = ctx;
    uint32_t slot = (uint32_t)arg;
    worker *k = &q->wk[slot];
    if (k->gen != (uint32_t)(arg >> 32))
        return;
    fl_time now = fl_sim_now(sim);
    if (k->state != W_BUSY) {
        k->hb_armed = false;
        return;
    }
    if (now < q->paused_until) {
        fl_sim_at(sim, q->paused_until, q->h_hb, arg);
        return;
    }
    for (uint32_t i = k->bpos; i < k->blen; i++) {
        uint64_t id = k->ids[i];
        if (q->st[id] != MS_INFLIGHT || q->receives[id] != k->receipts[i])
            continue; /* too late: someone else holds it now */
        fl_sim_timer_cancel(sim, q->timer[id]);
        fl_sim_timer_at(sim, now + q->vt, q->h_vis, id, &q->timer[id]);
        q->extensions += measured(q, now);
    }
    fl_sim_at(sim, fl_host_after(&q->c->host, now, q->extend), q->h_hb, arg);
}

static void on_resume(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    fl_cqueue *q = ctx;
    if (fl_sim_now(sim) >= q->paused_until)
        wake(q);
}

/* The broker appended to partition pi (or went down or up). */
static void on_append(void *ctx, uint32_t pi)
{
    fl_cqueue *q = ctx;
    uint64_t end = fl_broker_log_end(q->b, pi);
    for (; q->read[pi] < end; q->read[pi]++) {
        uint64_t id = fl_broker_msg_id(q->b, pi, q->read[pi]);
        if (!grow_msgs(q, id) || !push_ready(q, id)) {
            fl_sim_fail(q->w->sim, FL_NOMEM);
            return;
        }
        q->st[id] = MS_VISIBLE;
        q->receives[id] = q->ok[id] = 0;
        q->timer[id] = FL_TIMER_NONE;
        q->part[id] = pi;
        q->off[id] = q->read[pi];
        q->backlog++;
    }
    wake(q);
}

/* ---- the consumer's calls ------------------------------------------------------------ */

fl_status fl__cqueue_configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                               uint32_t members, fl_dist *process, fl_cqueue **out, fl_error *e)
{
    fl_status st;
    fl_cqueue *q = fl_calloc(1, sizeof *q);
    *out = q;
    if (!q)
        return FL_NOMEM;
    q->w = w;
    q->c = c;
    q->process = process;
    q->nworkers = members;
    q->slow = 1;
    char p[256];
    if ((st =
             fl_kind_int(c, "max_messages", cfg, path, FL_CFG_OPTIONAL, 10, &q->max_messages, e)) ||
        (st = fl_kind_duration(c, "visibility_timeout", cfg, path, FL_CFG_OPTIONAL, 30 * FL_SEC,
                               &q->vt, e)) ||
        (st = fl_kind_duration(c, "extend", cfg, path, FL_CFG_OPTIONAL, 0, &q->extend, e)) ||
        (st = fl_kind_int(c, "max_receive_count", cfg, path, FL_CFG_OPTIONAL, 0, &q->max_receive,
                          e)) ||
        (st = fl_cfg_bool(cfg, path, "idempotent", FL_CFG_OPTIONAL, false, &q->idempotent, e)))
        return st;
    if (q->extend > 0 && q->extend >= q->vt)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "extend"),
                            "expected an extension interval shorter than the visibility "
                            "timeout (%.3g s): a later one finds the message visible again",
                            fl_time_to_s(q->vt));
    q->wk = fl_calloc(members, sizeof *q->wk);
    q->cap = 1024;
    q->rcap = 1024;
    q->st = fl_malloc(q->cap * sizeof *q->st);
    q->receives = fl_malloc(q->cap * sizeof *q->receives);
    q->ok = fl_malloc(q->cap * sizeof *q->ok);
    q->timer = fl_malloc(q->cap * sizeof *q->timer);
    q->part = fl_malloc(q->cap * sizeof *q->part);
    q->off = fl_malloc(q->cap * sizeof *q->off);
    q->ready = fl_malloc(q->rcap * sizeof *q->ready);
    if (!q->wk || !q->st || !q->receives || !q->ok || !q->timer || !q->part || !q->off ||
        !q->ready)
        return FL_NOMEM;
    fl_world_stream(w, &q->rng, c->name, "process");
    q->h_done = fl_sim_handler(w->sim, on_done, q);
    q->h_vis = fl_sim_handler(w->sim, on_vis, q);
    q->h_hb = fl_sim_handler(w->sim, on_hb, q);
    q->h_resume = fl_sim_handler(w->sim, on_resume, q);
    char col[200];
    snprintf(col, sizeof col, "%s.backlog", c->name);
    q->col_backlog = fl_series_column(w->series, col, FL_SERIES_LAST);
    snprintf(col, sizeof col, "%s.redeliveries_per_s", c->name);
    q->col_redel = fl_series_column(w->series, col, FL_SERIES_RATE);
    snprintf(col, sizeof col, "%s.duplicates_per_s", c->name);
    q->col_dup = fl_series_column(w->series, col, FL_SERIES_RATE);
    if (q->h_resume < 0 || q->col_backlog < 0 || q->col_redel < 0 || q->col_dup < 0)
        return FL_NOMEM;
    return FL_OK;
}

fl_status fl__cqueue_connect(fl_cqueue *q, fl_broker *b)
{
    q->b = b;
    q->read = fl_calloc(fl_broker_partitions(b), sizeof *q->read);
    if (!q->read)
        return FL_NOMEM;
    return fl_broker_subscribe(b, on_append, q);
}

void fl__cqueue_fault(fl_cqueue *q, const fl_fault *f, bool begin)
{
    fl_world *w = q->w;
    if (f->kind == FL_FAULT_CRASH) {
        q->node_down = begin;
        for (uint32_t i = 0; i < q->nworkers; i++) {
            worker *k = &q->wk[i];
            if (begin) { /* what it held comes back when its visibility runs out */
                k->state = W_DOWN;
                k->gen++;
                k->hb_armed = false;
                k->blen = k->bpos = 0;
            } else {
                k->state = W_IDLE;
            }
        }
        if (!begin)
            wake(q);
    } else if (f->kind == FL_FAULT_SLOW) {
        q->slow = fl_world_slowdown(w, q->c->index, -1);
    } else if (f->kind == FL_FAULT_PAUSE && begin) {
        if (f->until > q->paused_until)
            q->paused_until = f->until;
        fl_sim_at(w->sim, f->until, q->h_resume, 0);
    }
}

void fl__cqueue_sample(fl_cqueue *q, fl_time t)
{
    fl_world *w = q->w;
    fl_series_add(w->series, q->col_backlog, t, (double)q->backlog);
    /* events.jsonl: redeliveries begin, and end after a visibility timeout without one
     * (they come in bursts, one per batch that outlives its timeout) */
    fl_time now = fl_sim_now(w->sim);
    if (!q->redelivering && q->win_redel)
        fl_world_event(w, now, q->c->name, "redeliveries",
                       "messages outlive their %.3g s visibility timeout: %u redelivered in "
                       "one window, backlog %llu", fl_time_to_s(q->vt), q->win_redel,
                       (unsigned long long)q->backlog);
    else if (q->redelivering && now - q->last_redel >= q->vt)
        fl_world_event(w, now, q->c->name, "redeliveries-end",
                       "no redelivery for %.3g s (backlog %llu)", fl_time_to_s(q->vt),
                       (unsigned long long)q->backlog);
    if (q->win_redel)
        q->redelivering = true;
    else if (now - q->last_redel >= q->vt)
        q->redelivering = false;
    q->win_redel = 0;
}

void fl__cqueue_report(fl_cqueue *q, cJSON *out)
{
    cJSON_AddStringToObject(out, "delivery", "queue");
    cJSON_AddNumberToObject(out, "members", q->nworkers);
    cJSON_AddNumberToObject(out, "visibility_timeout_s", fl_time_to_s(q->vt));
    cJSON_AddNumberToObject(out, "receives", (double)q->receives_n);
    cJSON_AddNumberToObject(out, "redeliveries", (double)q->redeliveries);
    cJSON_AddNumberToObject(out, "processings", (double)q->processings);
    cJSON_AddNumberToObject(out, "duplicates", (double)q->duplicates);
    cJSON_AddNumberToObject(out, "duplicates_skipped", (double)q->skipped);
    cJSON_AddNumberToObject(out, "wasted_work_s", fl_time_to_s(q->wasted));
    cJSON_AddNumberToObject(out, "deleted", (double)q->deleted);
    cJSON_AddNumberToObject(out, "stale_deletes", (double)q->stale);
    cJSON_AddNumberToObject(out, "failed_attempts", (double)q->failed);
    cJSON_AddNumberToObject(out, "dead_lettered", (double)q->dlq);
    cJSON_AddNumberToObject(out, "extensions", (double)q->extensions);
    cJSON_AddNumberToObject(out, "backlog_end", (double)q->backlog);
    cJSON_AddNumberToObject(out, "max_delay_s", fl_time_to_s(q->max_delay));
}

void fl__cqueue_free(fl_cqueue *q)
{
    if (!q)
        return;
    fl_free(q->wk);
    fl_free(q->st);
    fl_free(q->receives);
    fl_free(q->ok);
    fl_free(q->timer);
    fl_free(q->part);
    fl_free(q->off);
    fl_free(q->read);
    fl_free(q->ready);
    fl_free(q);
}
