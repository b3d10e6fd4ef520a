/* Queueing station: see station.h.
 *
 * The queue is a ring buffer of (id, arrival) that doubles when full, so steady state
 * allocates nothing. Service completions are fire-and-forget events whose arg is the worker
 * slot; a worker's slot holds the item it serves. */
#include "node/station.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hist_int.h"
#include "core/pool.h"

typedef struct qitem {
    uint32_t id;
    fl_time arrive;
} qitem;

typedef struct worker {
    uint32_t id;
    fl_time arrive, start;
    bool busy;
    uint32_t token; /* this piece of work's number: an event for an older one is void */
} worker;

struct fl_station {
    fl_sim *sim;
    fl_station_cfg cfg;
    const fl_station_ops *ops;
    void *ctx;
    int h_done, h_cancel;

    qitem *ring;
    uint64_t head, len, cap; /* cap is a power of two */

    worker *workers;
    int *idle; /* stack of idle worker slots */
    int nidle;

    /* Measured figures (only over [stats_from, stats_to)). */
    uint64_t received, served, rejected, expired, waited;
    fl_level in_system, busy, queue;
    fl_batch sojourn_b, wait_b, reject_b;
    uint64_t waited_b[FL_BATCH_MAX]; /* per batch of wait_b, the samples that waited: p_wait */
    fl_hist *sojourn, *wait;
    fl_hist *busy_time;  /* how long each measured item held its worker */
    uint64_t window_max; /* most items present since the last sample */
    uint64_t lost, dropped, cancelled;
    double factor;       /* slowdown */
    bool down;
    fl_time paused_until;
    uint32_t tokens;     /* the last work token given (worker.token) */
    double stay_ns;      /* sum over items of their time in the station within the window */
    uint64_t left;       /* items measured (by arrival) that entered and left, however */
    double left_ns;      /* their whole stays */
};

/* Adds the part of an item's stay [arrive, leave) that falls in the measured window. */
static inline void add_stay(fl_station *s, fl_time arrive, fl_time leave)
{
    fl_time a = arrive > s->cfg.stats_from ? arrive : s->cfg.stats_from;
    fl_time b = leave < s->cfg.stats_to ? leave : s->cfg.stats_to;
    if (b > a)
        s->stay_ns += (double)(b - a);
}

static inline bool measured(const fl_station *s, fl_time t)
{
    return t >= s->cfg.stats_from && t < s->cfg.stats_to;
}

/* An item that entered at `arrive` leaves now (served, expired, dropped or lost): the
 * throughput and mean stay of Little's law count it, as the time-average L does. */
static inline void note_left(fl_station *s, fl_time arrive, fl_time now)
{
    if (measured(s, arrive)) {
        s->left++;
        s->left_ns += (double)(now - arrive);
    }
}

static inline void levels(fl_station *s, fl_time now)
{
    double q = (double)s->len, b = (double)(s->cfg.workers - s->nidle);
    uint64_t n = s->len + (uint64_t)(s->cfg.workers - s->nidle);
    if (n > s->window_max)
        s->window_max = n;
    fl_levels_set3(&s->in_system, &s->queue, &s->busy, now, q + b, q, b);
}

static inline void start_service(fl_station *s, uint32_t id, fl_time arrive, fl_time now)
{
    int w = s->idle[--s->nidle];
    s->workers[w] = (worker){id, arrive, now, true, ++s->tokens};
    fl_time d = s->ops->service_time(s->ctx, id);
    if (s->factor != 1)
        d = (fl_time)((double)d * s->factor);
    uint64_t arg = ((uint64_t)s->tokens << 32) | (uint64_t)w;
    if (s->cfg.max_exec > 0 && d > s->cfg.max_exec) /* it will be aborted before it ends */
        fl_sim_after(s->sim, s->cfg.max_exec, s->h_cancel, arg);
    else
        fl_sim_after(s->sim, d, s->h_done, arg);
    if (measured(s, arrive)) {
        fl_time wait = now - arrive;
        fl__hist_record(s->wait, wait);
        int i = fl_batch_add_at(&s->wait_b, now, fl_time_to_ms(wait));
        if (i >= 0)
            s->waited_b[i] += wait > 0;
        if (wait > 0)
            s->waited++;
    }
}

/* How long an item that arrived at `arrive` has waited by `now`, on the node's clock. */
static fl_time waited(const fl_station *s, fl_time arrive, fl_time now)
{
    const fl_clock *c = s->cfg.host ? s->cfg.host->clock : NULL;
    return c ? fl_clock_mono(c, now) - fl_clock_mono(c, arrive) : now - arrive;
}

/* Takes the next waiting item (LIFO or FIFO); drops expired ones. Returns false when the
 * queue has nothing servable. */
static inline bool take(fl_station *s, qitem *out, fl_time now)
{
    while (s->len) {
        uint64_t mask = s->cap - 1;
        if (s->cfg.lifo)
            *out = s->ring[(s->head + s->len - 1) & mask];
        else {
            *out = s->ring[s->head];
            s->head = (s->head + 1) & mask;
        }
        s->len--;
        if (s->cfg.max_wait > 0 && waited(s, out->arrive, now) > s->cfg.max_wait) {
            if (measured(s, out->arrive))
                s->expired++;
            add_stay(s, out->arrive, now);
            note_left(s, out->arrive, now);
            s->ops->done(s->ctx, out->id, FL_STATION_EXPIRED, out->arrive, -1);
            continue;
        }
        if (s->ops->expired && s->ops->expired(s->ctx, out->id, now)) {
            if (measured(s, out->arrive))
                s->dropped++;
            add_stay(s, out->arrive, now);
            note_left(s, out->arrive, now);
            s->ops->done(s->ctx, out->id, FL_STATION_DROPPED, out->arrive, -1);
            continue;
        }
        if (s->cfg.cancel_on_giveup && s->ops->abandoned &&
            s->ops->abandoned(s->ctx, out->id)) {
            if (measured(s, out->arrive))
                s->cancelled++;
            add_stay(s, out->arrive, now);
            note_left(s, out->arrive, now);
            s->ops->done(s->ctx, out->id, FL_STATION_CANCELLED, out->arrive, -1);
            continue;
        }
        return true;
    }
    return false;
}

/* Whether the event with this arg (token << 32 | slot) is about the work on its worker
 * now: a crash or an abort since it was scheduled voids it. */
static bool current(const fl_station *s, uint64_t arg)
{
    const worker *wk = &s->workers[arg & 0xffffffffu];
    return wk->busy && wk->token == (uint32_t)(arg >> 32);
}

static void on_done(fl_sim *sim, void *ctx, uint64_t arg)
{
    fl_station *s = ctx;
    fl_time now = fl_sim_now(sim);
    if (!current(s, arg))
        return; /* the node crashed or aborted this work since it began */
    if (now < s->paused_until) { /* stopped the world: finish when it resumes */
        fl_sim_at(sim, s->paused_until, s->h_done, arg);
        return;
    }
    int slot = (int)(arg & 0xffffffffu);
    worker wk = s->workers[slot];
    /* The owner may keep the worker (its work goes on, e.g. calls to dependencies) until
     * fl_station_release; the item counts as present until then, and max_exec still runs
     * from when the worker took it. */
    if (s->ops->hold && s->ops->hold(s->ctx, wk.id, slot)) {
        if (s->cfg.max_exec > 0 && current(s, arg)) { /* (a hold may end at once) */
            fl_time limit = wk.start + s->cfg.max_exec; /* a pause may have passed it */
            fl_sim_at(sim, limit > now ? limit : now, s->h_cancel, arg);
        }
        return;
    }
    fl_station_release(s, slot);
}

/* Aborts the work on `slot`: the worker is freed and the item leaves CANCELLED. */
static void abort_work(fl_station *s, int slot)
{
    fl_time now = fl_sim_now(s->sim);
    worker wk = s->workers[slot];
    if (s->ops->aborted)
        s->ops->aborted(s->ctx, wk.id, slot);
    s->workers[slot].busy = false;
    s->idle[s->nidle++] = slot;
    qitem next;
    if (take(s, &next, now))
        start_service(s, next.id, next.arrive, now);
    levels(s, now);
    add_stay(s, wk.arrive, now);
    note_left(s, wk.arrive, now);
    if (measured(s, wk.arrive))
        s->cancelled++;
    s->ops->done(s->ctx, wk.id, FL_STATION_CANCELLED, wk.arrive, wk.start);
}

/* max_exec has passed for the work on a worker, or its caller's give-up reached a node
 * that was paused. */
static void on_cancel(fl_sim *sim, void *ctx, uint64_t arg)
{
    fl_station *s = ctx;
    if (!current(s, arg))
        return; /* it ended, or the node crashed, before its limit */
    if (fl_sim_now(sim) < s->paused_until) { /* stopped: its timer fires when it resumes */
        fl_sim_at(sim, s->paused_until, s->h_cancel, arg);
        return;
    }
    abort_work(s, (int)(arg & 0xffffffffu));
}

bool fl_station_cancel(fl_station *s, uint32_t id)
{
    for (int w = 0; w < s->cfg.workers; w++)
        if (s->workers[w].busy && s->workers[w].id == id) {
            fl_time now = fl_sim_now(s->sim);
            if (now < s->paused_until) /* stopped: it acts on the notice when it resumes */
                fl_sim_at(s->sim, s->paused_until, s->h_cancel,
                          ((uint64_t)s->workers[w].token << 32) | (uint64_t)w);
            else
                abort_work(s, w);
            return true;
        }
    return false;
}

void fl_station_release(fl_station *s, int slot)
{
    fl_time now = fl_sim_now(s->sim);
    worker wk = s->workers[slot];
    s->workers[slot].busy = false;
    s->idle[s->nidle++] = slot;
    qitem next;
    if (take(s, &next, now))
        start_service(s, next.id, next.arrive, now);
    levels(s, now);
    add_stay(s, wk.arrive, now);
    note_left(s, wk.arrive, now);
    if (measured(s, wk.arrive)) {
        s->served++;
        fl_time soj = now - wk.arrive;
        fl__hist_record(s->sojourn, soj);
        fl__hist_record(s->busy_time, now - wk.start);
        fl_batch_add(&s->sojourn_b, now, fl_time_to_ms(soj));
    }
    s->ops->done(s->ctx, wk.id, FL_STATION_SERVED, wk.arrive, wk.start);
}

fl_station *fl_station_new(fl_sim *sim, const fl_station_cfg *cfg, const fl_station_ops *ops,
                           void *ctx)
{
    if (cfg->workers < 1)
        return NULL;
    fl_station *s = fl_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->sim = sim;
    s->cfg = *cfg;
    s->ops = ops;
    s->ctx = ctx;
    /* An earlier run's ring when there is one (pool.h: spares; capacities are powers of
     * two from 16 up, and only the slots in use are ever read). */
    size_t bytes;
    s->ring = fl__spare_take(FL_SPARE_RING, &bytes);
    s->cap = bytes / sizeof *s->ring;
    if (!s->ring) {
        s->cap = 16;
        s->ring = fl_malloc(s->cap * sizeof *s->ring);
    }
    s->workers = fl_calloc((size_t)cfg->workers, sizeof *s->workers);
    s->idle = fl_malloc((size_t)cfg->workers * sizeof *s->idle);
    s->sojourn = fl_hist_new();
    s->wait = fl_hist_new();
    s->busy_time = fl_hist_new();
    s->h_done = fl_sim_handler(sim, on_done, s);
    /* Only a station that cancels has the handler: the others' events keep their numbers. */
    bool cancels = cfg->max_exec > 0 || cfg->cancel_on_giveup;
    s->h_cancel = cancels ? fl_sim_handler(sim, on_cancel, s) : -1;
    s->factor = 1;
    if (!s->ring || !s->workers || !s->idle || !s->sojourn || !s->wait || !s->busy_time ||
        s->h_done < 0 || (cancels && s->h_cancel < 0)) {
        fl_station_free(s);
        return NULL;
    }
    for (int i = 0; i < cfg->workers; i++)
        s->idle[i] = cfg->workers - 1 - i; /* slot 0 is taken first */
    s->nidle = cfg->workers;
    fl_level_init(&s->in_system, cfg->stats_from, cfg->stats_to, 32);
    fl_level_init(&s->busy, cfg->stats_from, cfg->stats_to, 32);
    fl_level_init(&s->queue, cfg->stats_from, cfg->stats_to, 32);
    fl_batch_init(&s->sojourn_b, cfg->stats_from, cfg->stats_to, 32);
    fl_batch_init(&s->wait_b, cfg->stats_from, cfg->stats_to, 32);
    fl_batch_init(&s->reject_b, cfg->stats_from, cfg->stats_to, 32);
    return s;
}

void fl_station_free(fl_station *s)
{
    if (!s)
        return;
    fl__spare_give(FL_SPARE_RING, s->ring, s->cap * sizeof *s->ring);
    fl_free(s->workers);
    fl_free(s->idle);
    fl_hist_free(s->sojourn);
    fl_hist_free(s->wait);
    fl_hist_free(s->busy_time);
    fl_free(s);
}

static int grow(fl_station *s)
{
    uint64_t ncap = s->cap * 2;
    qitem *r = fl_malloc(ncap * sizeof *r);
    if (!r)
        return -1;
    for (uint64_t i = 0; i < s->len; i++)
        r[i] = s->ring[(s->head + i) & (s->cap - 1)];
    fl_free(s->ring);
    s->ring = r;
    s->head = 0;
    s->cap = ncap;
    return 0;
}

fl_status fl_station_arrive(fl_station *s, uint32_t id)
{
    fl_time now = fl_sim_now(s->sim);
    if (measured(s, now))
        s->received++;
    if (s->nidle > 0) {
        if (s->cfg.bounded) /* an unbounded queue never turns anyone away: no samples */
            fl_batch_add(&s->reject_b, now, 0.0);
        start_service(s, id, now, now);
        levels(s, now);
        return FL_OK;
    }
    /* A bounded queue with capacity 0 is a loss system (Erlang B): no item waits. */
    bool full = s->cfg.bounded && s->len >= s->cfg.capacity;
    if (s->cfg.bounded)
        fl_batch_add(&s->reject_b, now, full ? 1.0 : 0.0);
    if (full) {
        if (measured(s, now))
            s->rejected++;
        s->ops->done(s->ctx, id, FL_STATION_REJECTED, now, -1);
        return FL_OK;
    }
    if (s->len == s->cap && grow(s) != 0) {
        /* Out of memory is not a rejection: the run fails and nothing is counted. The
         * item stays with its owner, who frees it with everything else. */
        if (measured(s, now))
            s->received--;
        fl_sim_fail(s->sim, FL_NOMEM);
        return FL_NOMEM;
    }
    s->ring[(s->head + s->len) & (s->cap - 1)] = (qitem){id, now};
    s->len++;
    levels(s, now);
    return FL_OK;
}

void fl_station_sample(fl_station *s, uint64_t *in_system_max, int *busy)
{
    *in_system_max = s->window_max;
    *busy = s->cfg.workers - s->nidle;
    s->window_max = s->len + (uint64_t)*busy;
}

void fl_station_set_slowdown(fl_station *s, double factor) { s->factor = factor; }
bool fl_station_down(const fl_station *s) { return s->down; }
void fl_station_pause(fl_station *s, fl_time until)
{
    if (until > s->paused_until)
        s->paused_until = until;
}

/* Everything on the node is lost: no reply will ever be sent for it. A crash counts it in
 * `lost` (count set), a hang does not. */
static void lose_all(fl_station *s, bool count)
{
    fl_time now = fl_sim_now(s->sim);
    for (int w = 0; w < s->cfg.workers; w++) {
        if (s->workers[w].busy) {
            s->workers[w].busy = false;
            if (count && measured(s, s->workers[w].arrive))
                s->lost++;
            add_stay(s, s->workers[w].arrive, now);
            note_left(s, s->workers[w].arrive, now);
            s->ops->done(s->ctx, s->workers[w].id, FL_STATION_LOST, s->workers[w].arrive,
                         s->workers[w].start);
        }
    }
    for (int i = 0; i < s->cfg.workers; i++)
        s->idle[i] = s->cfg.workers - 1 - i;
    s->nidle = s->cfg.workers;
    while (s->len) {
        qitem it = s->ring[s->head];
        s->head = (s->head + 1) & (s->cap - 1);
        s->len--;
        if (count && measured(s, it.arrive))
            s->lost++;
        add_stay(s, it.arrive, now);
        note_left(s, it.arrive, now);
        s->ops->done(s->ctx, it.id, FL_STATION_LOST, it.arrive, -1);
    }
    levels(s, now);
}

void fl_station_crash(fl_station *s)
{
    s->down = true;
    lose_all(s, true);
}

void fl_station_hang(fl_station *s) { lose_all(s, false); }

void fl_station_restart(fl_station *s) { s->down = false; }

uint64_t fl_station_queued(const fl_station *s) { return s->len; }
int fl_station_busy(const fl_station *s) { return s->cfg.workers - s->nidle; }

/* Adds figure `name` = v and, when there is one, its 95% and 99.9% intervals (scaled by
 * `scale`). An interval that is unreliable, because the batch-means test found the batches
 * correlated or because `tail` (non-NULL) says the samples are too heavy-tailed for it,
 * says so beside it: name_ci_reliable = false and name_ci_why (both absent when it is
 * reliable). */
static void add_ci(cJSON *out, const char *name, double v, fl_ci c95, fl_ci c999, double scale,
                   const char *tail)
{
    char key[64];
    cJSON_AddNumberToObject(out, name, v);
    if (isfinite(c95.halfwidth)) {
        snprintf(key, sizeof key, "%s_ci95", name);
        cJSON_AddNumberToObject(out, key, c95.halfwidth * scale);
        snprintf(key, sizeof key, "%s_ci999", name);
        cJSON_AddNumberToObject(out, key, c999.halfwidth * scale);
        if (!c95.reliable || tail) {
            char why[300];
            fl_ci_why(&c95, why, sizeof why);
            snprintf(key, sizeof key, "%s_ci_reliable", name);
            cJSON_AddBoolToObject(out, key, false);
            snprintf(key, sizeof key, "%s_ci_why", name);
            cJSON_AddStringToObject(out, key, c95.reliable ? tail : why);
        }
    }
}

/* Why intervals over this station's waits are unreliable when its service times are
 * heavy-tailed, or NULL. A power-law tail P(S > x) ~ x^-a puts a decade of probability
 * between the 99th and 99.9th percentiles on a factor 10^(1/a) of time, so
 * a = ln 10 / ln(p999 / p99) estimates the tail index from two quantiles of independent
 * draws (the busy times; exponential service gives about 5.7). Waits have a finite
 * variance only when E[S^3] is finite (M/G/1: Pollaczek-Khinchine), which needs a > 3;
 * below, the batch means of waits, sojourns and queue lengths are dominated by rare huge
 * samples and their t interval is too narrow however the batches are cut (an M/G/1 with
 * Pareto(2.5) service at rho 0.8: 21 of 40 runs' 95% intervals held the theory value). At
 * least 20 samples beyond the 99.9th percentile are needed to judge. */
static const char *tail_why(const fl_station *s, char *buf, size_t n)
{
    if (fl_hist_count(s->busy_time) < 20000)
        return NULL;
    double p99 = (double)fl_hist_quantile(s->busy_time, 0.99);
    double p999 = (double)fl_hist_quantile(s->busy_time, 0.999);
    if (!(p99 > 0) || !(p999 > p99 * 1.0001))
        return NULL;
    double a = log(10.0) / log(p999 / p99);
    if (a >= 3)
        return NULL;
    snprintf(buf, n,
             "service times are heavy-tailed (tail index about %.2f between their p99 and "
             "p99.9; below 3 waits have infinite variance): batch means converge slowly and "
             "the interval is likely too narrow",
             a);
    return buf;
}

/* fl_report_latency, with the reason (or NULL) the mean's interval is unreliable. */
static void report_latency(cJSON *out, const char *name, const fl_hist *h, const fl_batch *b,
                           const char *tail)
{
    cJSON *o = cJSON_AddObjectToObject(out, name);
    cJSON_AddNumberToObject(o, "count", (double)fl_hist_count(h));
    if (b)
        add_ci(o, "mean", fl_hist_mean(h) / 1e6, fl_batch_ci(b, 0.95), fl_batch_ci(b, 0.999), 1,
               tail);
    else
        cJSON_AddNumberToObject(o, "mean", fl_hist_mean(h) / 1e6);
    static const struct {
        const char *k;
        double q;
    } qs[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        cJSON_AddNumberToObject(o, qs[i].k, (double)fl_hist_quantile(h, qs[i].q) / 1e6);
    cJSON_AddNumberToObject(o, "max", (double)fl_hist_max(h) / 1e6);
}

void fl_report_latency(cJSON *out, const char *name, const fl_hist *h, const fl_batch *b)
{
    report_latency(out, name, h, b, NULL);
}

void fl_station_report(fl_station *s, fl_time end, cJSON *out)
{
    fl_time to = end < s->cfg.stats_to ? end : s->cfg.stats_to;
    fl_level_finish(&s->in_system, to);
    fl_level_finish(&s->busy, to);
    fl_level_finish(&s->queue, to);
    double span = fl_time_to_s(to - s->cfg.stats_from);
    cJSON_AddNumberToObject(out, "workers", s->cfg.workers);
    cJSON_AddNumberToObject(out, "received", (double)s->received);
    cJSON_AddNumberToObject(out, "served", (double)s->served);
    cJSON_AddNumberToObject(out, "rejected", (double)s->rejected);
    cJSON_AddNumberToObject(out, "expired", (double)s->expired);
    cJSON_AddNumberToObject(out, "dropped_past_deadline", (double)s->dropped);
    cJSON_AddNumberToObject(out, "lost_in_crash", (double)s->lost);
    if (s->cfg.max_exec > 0 || s->cfg.cancel_on_giveup)
        cJSON_AddNumberToObject(out, "cancelled", (double)s->cancelled);
    double w = s->cfg.workers;
    char tbuf[300];
    const char *tail = tail_why(s, tbuf, sizeof tbuf);
    add_ci(out, "utilisation", fl_level_mean(&s->busy) / w, fl_level_ci(&s->busy, 0.95),
           fl_level_ci(&s->busy, 0.999), 1 / w, NULL);
    add_ci(out, "in_system_mean", fl_level_mean(&s->in_system), fl_level_ci(&s->in_system, 0.95),
           fl_level_ci(&s->in_system, 0.999), 1, tail);
    add_ci(out, "queue_mean", fl_level_mean(&s->queue), fl_level_ci(&s->queue, 0.95),
           fl_level_ci(&s->queue, 0.999), 1, tail);
    report_latency(out, "sojourn_ms", s->sojourn, &s->sojourn_b, tail);
    report_latency(out, "wait_ms", s->wait, &s->wait_b, tail);
    fl_batch pwait_b; /* 1 for a measured start of service that waited, else 0 */
    fl_batch_from_counts(&pwait_b, &s->wait_b, s->waited_b);
    add_ci(out, "p_wait", fl_batch_mean(&pwait_b), fl_batch_ci(&pwait_b, 0.95),
           fl_batch_ci(&pwait_b, 0.999), 1, NULL);
    /* The fraction of arrivals turned away for want of room (the blocking probability of
     * a loss system), with its interval: a figure theory can be checked against. 0, with
     * no interval, for an unbounded queue. */
    add_ci(out, "p_rejected", fl_batch_mean(&s->reject_b), fl_batch_ci(&s->reject_b, 0.95),
           fl_batch_ci(&s->reject_b, 0.999), 1, NULL);
    /* Little's law, L = lambda * W, as users know it: throughput times mean time at the
     * node. L counts every item present, including those that will expire, be dropped or
     * be lost in a crash, so lambda and W count them too (served requests alone would leave
     * the expired ones' waiting out of lambda * W). In a steady state the two sides agree
     * up to the items present at the window's edges; in an overload that never drains they
     * do not, and that is a finding, not an error. */
    double L = fl_level_mean(&s->in_system);
    double lambda = span > 0 ? (double)s->left / span : 0;
    double W = s->left ? s->left_ns / (double)s->left / 1e9 : 0;
    double lw = lambda * W;
    cJSON *ll = cJSON_AddObjectToObject(out, "littles_law");
    cJSON_AddNumberToObject(ll, "L", L);
    cJSON_AddNumberToObject(ll, "lambda_W", lw);
    double rel = L > 0 ? fabs(L - lw) / L : 0;
    cJSON_AddNumberToObject(ll, "rel_diff", rel);
    /* The exact form, which holds for any window and any load: the time integral of the
     * number present equals the sum of every item's stay inside the window, counting
     * the items still present at its end. Two independent ledgers of the same time: a gap
     * means the engine lost or double-counted work. */
    double stay = s->stay_ns;
    fl_station probe = *s; /* the same ledger, plus the items still present at `to` */
    probe.stay_ns = 0;
    probe.cfg.stats_to = to;
    for (uint64_t i = 0; i < s->len; i++)
        add_stay(&probe, s->ring[(s->head + i) & (s->cap - 1)].arrive, to);
    for (int k = 0; k < s->cfg.workers; k++)
        if (s->workers[k].busy)
            add_stay(&probe, s->workers[k].arrive, to);
    stay += probe.stay_ns;
    double area = L * (double)(to - s->cfg.stats_from);
    cJSON_AddNumberToObject(ll, "identity_rel_diff",
                            area > 0 ? fabs(area - stay) / area : (stay > 0 ? 1 : 0));
}
