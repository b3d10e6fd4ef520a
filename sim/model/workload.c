/* Workloads. Open-loop ones: requests arrive at a rate whatever the system does (Poisson
 * or evenly spaced), following a piecewise-constant rate schedule. Closed ones: a
 * population of "clients", each issuing its next request one "think" draw after its
 * previous request ended (success or give-up), so a slow system or a backing-off client
 * lowers the offered load (internal fleets, batch jobs, contention); every client thinks
 * once before its first request (without "think" they all start at "start"), and with
 * "requests" stops after that many.
 *
 *   {"name": "writers", "target": "row", "clients": 100, "think": "exp(1s)", "requests": 1}
 *
 * Each request is made of one or more tries under the client policy (client.h): per-try
 * timeout, retries with backoff and jitter, a retry budget, an overall deadline.
 *
 *   {"name": "users", "target": "api", "rate": "900/s", "arrivals": "poisson",
 *    "schedule": [{"at": "60s", "rate": "2000/s"}, {"at": "90s", "rate": "900/s"}],
 *    "client": {"timeout": "1s", "attempts": 3, "backoff": "exponential(10ms, max=1s)"},
 *    "keys": "zipf(10000, 1.1)", "mix": {"read": 0.9, "write": 0.1}, "sessions": 100}
 *
 * keys      which key a request names: "uniform(N)" (keys 0..N-1), "zipf(N, s)" (key k
 *           with probability proportional to 1/(k+1)^s) or "const(K)"; default key 0
 * mix       the share of reads and writes (default all reads); a write carries a new
 *           version (unique, increasing over the run)
 * sessions  requests are spread round-robin over this many client sessions (default 100):
 *           the unit of read-your-writes and monotonic reads
 * slo       a request attains the SLO when it succeeds within it (slo_attainment, goodput);
 *           default the client's slo, else its deadline, else timeout x attempts, else none
 *
 * Figures: latency_ms holds every measured request that ended, a failure at the time its
 * client gave up (so failures never drop out of the latency); success_latency_ms holds
 * the successes only. slo_attainment is over the requests whose fate is known at the end
 * (see fl_workload_report). Measured: issued after the warm-up, ended before the end.
 *
 * When the world records a history (a kind that holds data asks for it), every request is
 * recorded as an operation: invoked when issued, completed when it ends (ok; fail for a
 * read that failed; info for a failed write, which may still have taken effect).
 *
 * Closed figures: clients, clients_done (clients that ended their "requests") and
 * completion_s (when the last of them did; null while some have not).
 *
 * Invariants: open: exactly one arrival (or rate-change) event is pending while the
 * workload is active; closed: each client has one request in flight or one think timer
 * pending, until it is done or the workload stops; issued == ended + in flight at every
 * instant; a request has at most one try in flight, or one backoff timer pending. A Poisson process is memoryless, so restarting the
 * draw at a rate change keeps it exact; evenly spaced arrivals restart their count at each
 * phase, the k-th at the phase's start + floor(k * 1e9 / rate) ns exactly. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hist_int.h"
#include "core/cfg.h"
#include "model/caller.h"
#include "model/client.h"
#include "model/world.h"
#include "node/station.h"

typedef struct phase {
    fl_time at;
    double rate; /* per second */
} phase;

struct fl_workload {
    fl_world *w;
    char *name;
    uint32_t index, target;
    int zone;
    bool deterministic;
    /* Deterministic arrivals: the k-th arrival of a phase is at base + floor(k * 1e9 / rate)
     * ns, kept exactly as base + off with off advanced by gap_q + gap_r / gap_d each time
     * (rem: the fraction carried, always < gap_d), so n gaps add to exactly n / rate. */
    fl_time det_base, det_off;
    uint64_t gap_q, gap_r, gap_d, det_rem;
    phase *phases;
    int nphases, cur;
    bool from_csv; /* phases from a CSV file: its steps are the data, not triggers */
    fl_time start, stop;
    fl_client_policy pol;
    fl_time slo;            /* 0: none (see read_slo) */
    const char *slo_source; /* where slo came from, for the summary */
    fl_host host; /* clients read true time and are never paused */
    fl_caller *caller;
    fl_rng rng;
    int h_arrival;

    uint64_t issued, ended, ok, errors[FL_OUT_COUNT];
    uint64_t good; /* measured successes within the SLO: goodput and slo_attainment */
    uint64_t issued_measured; /* issued after the warm-up: the denominator of the figures */
    /* latency: every measured request that ended, a failure at the time the client gave
     * up; success_latency: successes only; window_latency: every request that ended in the
     * current window (the time series, like latency). Each ended request is recorded once:
     * a measured success in window_ok (merged into success_latency and window_latency at
     * the window's end), a measured failure in fail_latency and window_latency, any other
     * in window_latency; latency is success_latency merged with fail_latency when the
     * figures are read. Merges add exact counts and sums, so the figures are those of
     * recording each sample in every histogram it belongs to. */
    fl_hist *latency, *success_latency, *window_latency, *window_ok, *fail_latency;
    /* Keys and operations. */
    enum { KEYS_CONST, KEYS_UNIFORM, KEYS_ZIPF } keys;
    uint64_t nkeys;     /* uniform/zipf: keys 0..nkeys-1; const: the key */
    double *zipf_cdf;   /* zipf: cumulative probabilities, nkeys entries */
    double write_share;
    uint32_t sessions;
    fl_rng key_rng;
    /* Closed population (clients > 0): rate and schedule are unused. */
    uint32_t clients;
    uint64_t per_client;   /* requests each client issues; 0: no limit */
    uint64_t *client_ended; /* per client: its requests that ended */
    uint32_t clients_done;
    fl_time completion;    /* when the last client ended its requests; -1: not yet */
    fl_dist *think;
    fl_rng think_rng;
    int h_client;
    /* latency_b holds the same samples as success_latency_b until the first measured
     * failure: until then (latency_split false) it is not updated, and is copied from
     * success_latency_b when that failure comes, so both see the same additions in the
     * same order as if each had been added to all along. */
    fl_batch latency_b, success_latency_b;
    bool latency_split;
    /* The open window's series samples, added to the series when time leaves the window
     * (or at a sample, or at the end of the run): a count per request instead of a series
     * cell update. Columns of ones and this workload's own mean column, so the cells come
     * out exactly as adding each sample would make them (see fl_series_add_cell). */
    struct {
        fl_time from, until; /* the window [from, until); until 0: none open yet */
        uint64_t issued, ok, good, lat_n;
        double lat_sum, lat_max, lat_last;
    } acc;
    int col_issued, col_ok, col_good, col_err, col_tries, col_lat_mean, col_lat_p50, col_lat_p99;
};

static const char *const wl_keys[] = {"name", "target", "zone", "rate", "arrivals", "schedule",
                                      "start", "stop", "client", "slo", "keys", "mix",
                                      "sessions", "clients", "think", "requests", NULL};

/* A request's caller tag: its history id + 1 (0: not recorded) in the low 40 bits, and for
 * a closed workload its client + 1 in the high 24 (clients are at most 10^6 < 2^24). */
#define TAG_HIST_BITS 40
#define TAG_HIST_MASK ((1ull << TAG_HIST_BITS) - 1)
static const char *const mix_keys[] = {"read", "write", NULL};
static const char *const arrival_kinds[] = {"poisson", "deterministic", NULL};
static const char *const phase_keys[] = {"at", "rate", NULL};

const char *fl_workload_name(const fl_workload *wl) { return wl->name; }

void fl_workload_free(fl_workload *wl)
{
    if (!wl)
        return;
    fl_free(wl->name);
    fl_free(wl->phases); /* the caller belongs to the world */
    fl_hist_free(wl->latency);
    fl_hist_free(wl->success_latency);
    fl_hist_free(wl->window_latency);
    fl_hist_free(wl->window_ok);
    fl_hist_free(wl->fail_latency);
    fl_free(wl->zipf_cdf);
    fl_free(wl->client_ended);
    fl_dist_free(wl->think);
    fl_free(wl);
}

/* Index of the phase in force at time t (phases sorted by `at`, phases[0].at == 0). */
static int phase_at(const fl_workload *wl, fl_time t)
{
    int i = wl->cur; /* time only advances: the phase in force is never an earlier one */
    while (i + 1 < wl->nphases && wl->phases[i + 1].at <= t)
        i++;
    return i;
}

/* The interval 1e9 / rate ns as an exact fraction q + r / d. rate is a decimal with at most
 * six digits after the point per second, minute or hour (as users write rates), so some
 * rate * m with m = 10^j * {1, 60, 3600} is an integer p, and 1e9 / rate = 1e9 * m / p.
 * A rate with more digits gets the nearest such fraction with the largest m (an error
 * below one arrival per 3.6e9 s). p == 0 (a rate below that): d = 0, no arrivals. */
static void exact_gap(double rate, uint64_t *q, uint64_t *r, uint64_t *d)
{
    static const uint64_t scale[] = {1, 60, 3600};
    uint64_t best_m = 0, p = 0;
    for (uint64_t pow10 = 1; pow10 <= 1000000; pow10 *= 10)
        for (size_t i = 0; i < 3; i++) {
            uint64_t m = pow10 * scale[i];
            double x = rate * (double)m;
            if (x >= 0x1p62)
                continue;
            if (fabs(x - nearbyint(x)) <= 1e-9 * x && (p == 0 || m < best_m)) {
                best_m = m; /* the smallest exact multiplier */
                p = (uint64_t)nearbyint(x);
            }
        }
    if (p == 0) { /* not a short decimal: the finest fraction that fits */
        for (uint64_t pow10 = 1; pow10 <= 1000000; pow10 *= 10)
            for (size_t i = 0; i < 3; i++) {
                uint64_t m = pow10 * scale[i];
                if (rate * (double)m < 0x1p62 && m > best_m)
                    best_m = m;
            }
        p = best_m ? (uint64_t)nearbyint(rate * (double)best_m) : 0;
    }
    uint64_t n = (uint64_t)FL_SEC * best_m; /* <= 3.6e18: fits */
    *d = p;
    *q = p ? n / p : 0;
    *r = p ? n % p : 0;
}

/* A phase begins at `now` (the workload's start or a rate change): deterministic arrivals
 * restart their count there, the first one at `now` itself. */
static void enter_phase(fl_workload *wl, fl_time now)
{
    wl->cur = phase_at(wl, now);
    if (wl->deterministic) {
        wl->det_base = now;
        wl->det_off = 0;
        wl->det_rem = 0;
        exact_gap(wl->phases[wl->cur].rate, &wl->gap_q, &wl->gap_r, &wl->gap_d);
    }
}

/* Schedules the next arrival after `now`, or a wake-up at the next rate change. For
 * deterministic arrivals det_off is the offset of the next one (already advanced). */
static void schedule_next(fl_workload *wl, fl_time now)
{
    fl_sim *sim = wl->w->sim;
    fl_time boundary = wl->cur + 1 < wl->nphases ? wl->phases[wl->cur + 1].at : FL_TIME_MAX;
    if (boundary > wl->stop)
        boundary = wl->stop;
    double rate = wl->phases[wl->cur].rate;
    fl_time next = FL_TIME_MAX;
    if (wl->deterministic) {
        if (wl->gap_d && wl->det_off < FL_TIME_MAX - wl->det_base)
            next = wl->det_base + wl->det_off;
    } else if (rate > 0) {
        double gap_ns = nearbyint(-log(fl_rng_uniform_pos(&wl->rng)) / rate * 1e9);
        next = gap_ns >= (double)(FL_TIME_MAX - now) ? FL_TIME_MAX : now + (fl_time)gap_ns;
    }
    if (next < boundary)
        fl_sim_at(sim, next, wl->h_arrival, 1);
    else if (boundary < wl->stop)
        fl_sim_at(sim, boundary, wl->h_arrival, 0); /* re-draw under the new rate */
}

/* Deterministic arrivals: the offset of the one after the one just issued. */
static void advance_deterministic(fl_workload *wl)
{
    if (wl->gap_q > (uint64_t)(FL_TIME_MAX - wl->det_off) - 1) {
        wl->det_off = FL_TIME_MAX; /* beyond any run */
        return;
    }
    wl->det_off += (fl_time)wl->gap_q;
    wl->det_rem += wl->gap_r; /* both < gap_d <= 2^62: no overflow */
    if (wl->det_rem >= wl->gap_d) {
        wl->det_rem -= wl->gap_d;
        wl->det_off++;
    }
}

static bool measured(const fl_world *w, fl_time t_issue, fl_time now)
{
    return t_issue >= w->warmup && now < w->duration;
}

static void client_next(fl_workload *wl, uint32_t client, fl_time now);

static void acc_flush(fl_workload *wl)
{
    fl_series *s = wl->w->series;
    fl_time t = wl->acc.from;
    fl_series_add_cell(s, wl->col_issued, t, (double)wl->acc.issued, 1, 1, wl->acc.issued);
    fl_series_add_cell(s, wl->col_ok, t, (double)wl->acc.ok, 1, 1, wl->acc.ok);
    fl_series_add_cell(s, wl->col_good, t, (double)wl->acc.good, 1, 1, wl->acc.good);
    fl_series_add_cell(s, wl->col_lat_mean, t, wl->acc.lat_sum, wl->acc.lat_max,
                       wl->acc.lat_last, wl->acc.lat_n);
    wl->acc.issued = wl->acc.ok = wl->acc.good = wl->acc.lat_n = 0;
    wl->acc.lat_sum = 0;
}

/* Makes the accumulated window the one holding `now` (time only advances). */
static inline void acc_at(fl_workload *wl, fl_time now)
{
    if (__builtin_expect(now >= wl->acc.until, 0)) {
        acc_flush(wl);
        fl_time win = wl->w->window;
        wl->acc.from = now / win * win;
        wl->acc.until = wl->acc.from + win;
    }
}

/* A request ended (the caller's callback): success, or its last try's failure. tag holds
 * its history id + 1 (0: not recorded) and its closed client + 1 (see TAG_HIST_BITS). */
static void request_done(void *ctx, uint64_t tag, fl_outcome o, fl_time t_issue, int64_t value)
{
    fl_workload *wl = ctx;
    fl_world *w = wl->w;
    fl_time now = fl_sim_now(w->sim);
    uint32_t client = (uint32_t)(tag >> TAG_HIST_BITS);
    tag &= TAG_HIST_MASK;
    if (tag) {
        const fl_op *op = fl_history_get(w->history, tag - 1);
        fl_op_outcome oo = o == FL_OUT_OK                ? FL_OP_OK
                           : op->kind == FL_OP_READ      ? FL_OP_FAIL
                                                         : FL_OP_INFO;
        fl_history_complete(w->history, tag - 1, now, oo,
                            o == FL_OUT_OK && op->kind == FL_OP_READ ? value : FL_VALUE_KEEP,
                            FL_NODE_NONE);
    }
    fl_time lat = now - t_issue;
    bool m = measured(w, t_issue, now);
    bool good = o == FL_OUT_OK && (wl->slo == 0 || lat <= wl->slo);
    wl->ended++;
    /* Every ended request is a latency sample, a failure at the time the client gave up:
     * counting successes alone would let a storm's failures vanish from the figures. */
    acc_at(wl, now);
    double ms = fl_time_to_ms(lat);
    if (wl->acc.lat_n == 0 || ms > wl->acc.lat_max)
        wl->acc.lat_max = ms;
    wl->acc.lat_sum += ms;
    wl->acc.lat_last = ms;
    wl->acc.lat_n++;
    if (m && o == FL_OUT_OK) {
        fl__hist_record(wl->window_ok, lat);
        if (wl->latency_split)
            fl_batch_add(&wl->latency_b, now, fl_time_to_ms(lat));
    } else {
        fl__hist_record(wl->window_latency, lat);
        if (m) {
            fl__hist_record(wl->fail_latency, lat);
            if (!wl->latency_split) {
                wl->latency_b = wl->success_latency_b;
                wl->latency_split = true;
            }
            fl_batch_add(&wl->latency_b, now, fl_time_to_ms(lat));
        }
    }
    if (o == FL_OUT_OK) {
        wl->acc.ok++;
        wl->acc.good += good;
        if (m) {
            wl->ok++;
            wl->good += good;
            fl_batch_add(&wl->success_latency_b, now, fl_time_to_ms(lat));
        }
    } else {
        fl_series_add(w->series, wl->col_err, now, 1);
        if (m)
            wl->errors[o]++;
    }
    if (client)
        client_next(wl, client - 1, now);
}

static uint64_t pick_key(fl_workload *wl)
{
    switch (wl->keys) {
    case KEYS_UNIFORM:
        return fl_rng_next(&wl->key_rng) % wl->nkeys; /* bias below 2^-40 for nkeys <= 2^24 */
    case KEYS_ZIPF: {
        double u = fl_rng_uniform(&wl->key_rng);
        uint64_t lo = 0, hi = wl->nkeys - 1; /* the least k with cdf[k] > u */
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2;
            if (wl->zipf_cdf[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        return lo;
    }
    default:
        return wl->nkeys;
    }
}

/* "keys": "uniform(N)" | "zipf(N, s)" | "const(K)"; "mix": {"read": r, "write": w};
 * "sessions": n. */
static fl_status read_keys(fl_workload *wl, const cJSON *cfg, const char *path, fl_error *e)
{
    fl_status st;
    const char *spec;
    char p[256];
    long sessions;
    if ((st = fl_cfg_string(cfg, path, "keys", FL_CFG_OPTIONAL, "const(0)", &spec, e)) ||
        (st = fl_cfg_int(cfg, path, "sessions", FL_CFG_OPTIONAL, 100, 1, 1000000, &sessions, e)))
        return st;
    wl->sessions = (uint32_t)sessions;
    unsigned long long n = 0;
    double s = 0;
    fl_cfg_join(p, sizeof p, path, "keys");
    /* Integers and a plain exponent only: sscanf's %lf would follow the locale, so the
     * exponent is read as digits and scaled by hand. */
    unsigned ei = 0, ef = 0, fdigits = 0;
    char fbuf[16] = "";
    int end = -1; /* %n: where the match ended; the whole text must match */
/* (and no minus sign: %llu would take "-1" as a huge key) */
#define WHOLE(...) (end = -1, sscanf(spec, __VA_ARGS__), end > 0 && spec[end] == 0 && !strchr(spec, '-'))
    if (WHOLE("uniform(%llu)%n", &n, &end) && n >= 1 && n <= (1ull << 32)) {
        wl->keys = KEYS_UNIFORM;
        wl->nkeys = n;
    } else if (WHOLE("const(%llu)%n", &n, &end)) {
        wl->keys = KEYS_CONST;
        wl->nkeys = n;
    } else if ((WHOLE("zipf(%llu, %u.%15[0-9])%n", &n, &ei, fbuf, &end) ||
                (fbuf[0] = 0, WHOLE("zipf(%llu, %u)%n", &n, &ei, &end))) &&
               n >= 1 && n <= 10000000 && ei < 10) {
        fdigits = (unsigned)strlen(fbuf);
        for (unsigned i = 0; i < fdigits; i++)
            ef = ef * 10 + (unsigned)(fbuf[i] - '0');
        s = ei + ef / pow(10, fdigits);
        wl->keys = KEYS_ZIPF;
        wl->nkeys = n;
        wl->zipf_cdf = fl_malloc(n * sizeof *wl->zipf_cdf);
        if (!wl->zipf_cdf)
            return FL_NOMEM;
        double sum = 0;
        for (uint64_t k = 0; k < n; k++)
            wl->zipf_cdf[k] = sum += pow((double)(k + 1), -s);
        for (uint64_t k = 0; k < n; k++)
            wl->zipf_cdf[k] /= sum;
        wl->zipf_cdf[n - 1] = 1.0; /* exactly: a draw below 1 always lands */
    } else {
        return fl_error_set(e, FL_INVALID, p,
                            "expected \"uniform(N)\", \"zipf(N, s)\" (N up to 10^7, s below 10) "
                            "or \"const(K)\", got \"%s\"", spec);
    }
#undef WHOLE
    const cJSON *mix = cJSON_GetObjectItemCaseSensitive(cfg, "mix");
    if (mix) {
        double r, wr;
        fl_cfg_join(p, sizeof p, path, "mix");
        if ((st = fl_cfg_object(mix, p, e)) || (st = fl_cfg_known_keys(mix, p, mix_keys, e)) ||
            (st = fl_cfg_number(mix, p, "read", FL_CFG_OPTIONAL, 0, 0, 1e9, &r, e)) ||
            (st = fl_cfg_number(mix, p, "write", FL_CFG_OPTIONAL, 0, 0, 1e9, &wr, e)))
            return st;
        if (r + wr <= 0)
            return fl_error_set(e, FL_INVALID, p, "expected some reads or writes, such as "
                                                  "{\"read\": 0.9, \"write\": 0.1}");
        wl->write_share = wr / (r + wr);
    }
    return FL_OK;
}

/* Issues one request now; client is the closed workload's client + 1, or 0. */
static void issue_request(fl_workload *wl, fl_time now, uint32_t client)
{
    wl->issued++;
    if (measured(wl->w, now, now))
        wl->issued_measured++;
    acc_at(wl, now);
    wl->acc.issued++;
    fl_call call = {pick_key(wl), FL_VALUE_NONE, FL_VERB_READ};
    if (wl->write_share > 0 && fl_rng_uniform(&wl->key_rng) < wl->write_share) {
        call.verb = FL_VERB_WRITE;
        call.value = fl_world_version(wl->w);
    }
    uint64_t tag = 0;
    if (wl->w->history) {
        fl_op op = {.invoke = now, .key = call.key, .value = call.value,
                    .expect = FL_VALUE_NONE, .token = FL_TOKEN_NONE,
                    .client = (wl->index << 20) |
                              (uint32_t)((client ? client - 1 : wl->issued) % wl->sessions),
                    .node = FL_NODE_NONE,
                    .kind = call.verb == FL_VERB_WRITE ? FL_OP_WRITE : FL_OP_READ};
        size_t id;
        if (fl_history_invoke(wl->w->history, &op, &id) == FL_OK)
            tag = id + 1; /* out of memory: this one goes unrecorded */
    }
    fl_caller_call(wl->caller, tag | ((uint64_t)client << TAG_HIST_BITS), FL_TIME_MAX, &call);
}

static void on_arrival(fl_sim *sim, void *ctx, uint64_t issue)
{
    fl_workload *wl = ctx;
    fl_time now = fl_sim_now(sim);
    if (!issue) { /* the start or a rate change */
        enter_phase(wl, now);
        issue = wl->deterministic && wl->gap_d && now < wl->stop; /* k = 0: at the start */
    }
    if (issue) {
        issue_request(wl, now, 0);
        if (wl->deterministic)
            advance_deterministic(wl);
    }
    schedule_next(wl, now);
}

/* A closed client's request ended: it is done, or thinks and issues its next one. */
static void client_next(fl_workload *wl, uint32_t client, fl_time now)
{
    if (wl->per_client && ++wl->client_ended[client] == wl->per_client) {
        if (++wl->clients_done == wl->clients)
            wl->completion = now;
        return;
    }
    fl_time z = fl_dist_sample(wl->think, &wl->think_rng);
    if (z < wl->stop - now)
        fl_sim_at(wl->w->sim, now + z, wl->h_client, client);
}

static void on_client(fl_sim *sim, void *ctx, uint64_t client)
{
    fl_workload *wl = ctx;
    issue_request(wl, fl_sim_now(sim), (uint32_t)client + 1);
}

/* The workload's SLO: "slo" on the workload, else the client's "slo", else the time the
 * client gives a request (its deadline, else its per-try timeout x attempts), else none.
 * Saturates rather than overflows. */
static fl_status read_slo(fl_workload *wl, const cJSON *cfg, const char *path, fl_error *e)
{
    fl_status st;
    if ((st = fl_cfg_duration(cfg, path, "slo", FL_CFG_OPTIONAL, 0, 1, FL_TIME_MAX, &wl->slo,
                              e)))
        return st;
    const fl_client_policy *p = &wl->pol;
    if (wl->slo && p->slo) {
        char sp[256];
        return fl_error_set(e, FL_INVALID, fl_cfg_join(sp, sizeof sp, path, "slo"),
                            "the SLO is given twice, here and in \"client\" (keep one)");
    }
    if (wl->slo) {
        wl->slo_source = "workload slo";
    } else if (p->slo) {
        wl->slo = p->slo;
        wl->slo_source = "client slo";
    } else if (p->deadline) {
        wl->slo = p->deadline;
        wl->slo_source = "client deadline";
    } else if (p->timeout) {
        wl->slo = p->timeout > FL_TIME_MAX / p->attempts ? FL_TIME_MAX : p->timeout * p->attempts;
        wl->slo_source = "client timeout x attempts";
    } else {
        wl->slo_source = "none";
    }
    return FL_OK;
}

/* "clients", "think", "requests": a closed population, which takes no rate, schedule or
 * arrivals. */
static fl_status read_clients(fl_workload *wl, const cJSON *cfg, const char *path, fl_error *e)
{
    fl_status st;
    char p[256];
    long clients;
    if ((st = fl_cfg_int(cfg, path, "clients", FL_CFG_OPTIONAL, 0, 1, 1000000, &clients, e)))
        return st;
    if (!cJSON_GetObjectItemCaseSensitive(cfg, "clients")) {
        static const char *const closed_only[] = {"think", "requests", NULL};
        for (int i = 0; closed_only[i]; i++)
            if (cJSON_GetObjectItemCaseSensitive(cfg, closed_only[i]))
                return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, closed_only[i]),
                                    "only a closed workload (with \"clients\") has \"%s\" "
                                    "(add \"clients\", or remove it)", closed_only[i]);
        return FL_OK;
    }
    static const char *const open_only[] = {"rate", "schedule", "arrivals", NULL};
    for (int i = 0; open_only[i]; i++)
        if (cJSON_GetObjectItemCaseSensitive(cfg, open_only[i]))
            return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, open_only[i]),
                                "a closed workload (with \"clients\") issues requests as its "
                                "clients finish, not at a rate: remove \"%s\", or \"clients\" "
                                "(open and closed clients are two workloads)", open_only[i]);
    long long requests;
    double req;
    if ((st = fl_cfg_dist(cfg, path, "think", FL_CFG_OPTIONAL, "const(0)", &wl->think, e)) ||
        (st = fl_cfg_number(cfg, path, "requests", FL_CFG_OPTIONAL, 0, 1, 1e12, &req, e)))
        return st;
    requests = (long long)req;
    if ((double)requests != req)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "requests"),
                            "expected a whole number of requests per client, got %g", req);
    wl->clients = (uint32_t)clients;
    wl->per_client = (uint64_t)requests;
    wl->completion = -1;
    wl->client_ended = fl_calloc(wl->clients, sizeof *wl->client_ended);
    return wl->client_ended ? FL_OK : FL_NOMEM;
}

/* "rate": {"csv": ...}: the scenario loader read the file (sim/scenario/traffic.c) and
 * left the rows in "series" ([[at_ns, per_s], ...], the first at 0, times increasing) and
 * the end of the last row in "series_end_ns"; the workload must stop by then. */
static fl_status read_series(fl_workload *wl, const cJSON *rate, const char *path, fl_error *e)
{
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(rate, "series");
    const cJSON *end = cJSON_GetObjectItemCaseSensitive(rate, "series_end_ns");
    int n = cJSON_GetArraySize(series);
    if (!cJSON_IsArray(series) || n < 1 || !cJSON_IsNumber(end))
        return fl_error_set(e, FL_INVALID, path,
                            "expected a rate such as \"900/s\", or {\"csv\": \"traffic.csv\", "
                            "\"column\": \"rps\"} in a scenario file");
    wl->phases = fl_calloc((size_t)n, sizeof *wl->phases);
    if (!wl->phases)
        return FL_NOMEM;
    for (const cJSON *p = series->child; p; p = p->next) {
        const cJSON *at = cJSON_GetArrayItem(p, 0), *r = cJSON_GetArrayItem(p, 1);
        if (!cJSON_IsNumber(at) || !cJSON_IsNumber(r)) /* only the loader writes these */
            return fl_error_set(e, FL_INTERNAL, path, "a malformed series");
        wl->phases[wl->nphases++] = (phase){(fl_time)at->valuedouble, r->valuedouble};
    }
    wl->from_csv = true;
    fl_time until = (fl_time)end->valuedouble;
    fl_time runs = wl->stop < wl->w->duration ? wl->stop : wl->w->duration;
    if (runs > until) {
        char have[32], want[32], sp[256];
        fl_format_duration(until, have, sizeof have);
        fl_format_duration(runs, want, sizeof want);
        return fl_error_set(e, FL_INVALID, fl_cfg_join(sp, sizeof sp, path, "csv"),
                            "the file's rows cover %s, the workload runs until %s: add rows, "
                            "start from an earlier row, or stop the workload sooner", have, want);
    }
    return FL_OK;
}

static fl_status read_phases(fl_workload *wl, const cJSON *cfg, const char *path, fl_error *e)
{
    fl_status st;
    double rate;
    if (wl->clients) { /* closed: one phase of rate 0, never scheduled */
        wl->phases = fl_calloc(1, sizeof *wl->phases);
        if (!wl->phases)
            return FL_NOMEM;
        wl->nphases = 1;
        return FL_OK;
    }
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(cfg, "rate");
    if (cJSON_IsObject(rv)) {
        char rp[256];
        return read_series(wl, rv, fl_cfg_join(rp, sizeof rp, path, "rate"), e);
    }
    if ((st = fl_cfg_rate(cfg, path, "rate", FL_CFG_REQUIRED, 0, true, &rate, e)))
        return st;
    const cJSON *sched = cJSON_GetObjectItemCaseSensitive(cfg, "schedule");
    int n = sched ? cJSON_GetArraySize(sched) : 0;
    char sp[256], ip[280];
    fl_cfg_join(sp, sizeof sp, path, "schedule");
    if (sched && !cJSON_IsArray(sched))
        return fl_error_set(e, FL_INVALID, sp,
                            "expected an array of {\"at\": \"60s\", \"rate\": \"2000/s\"}");
    wl->phases = fl_calloc((size_t)n + 1, sizeof *wl->phases);
    if (!wl->phases)
        return FL_NOMEM;
    wl->phases[0] = (phase){0, rate};
    wl->nphases = 1;
    int i = 0;
    for (const cJSON *p = sched ? sched->child : NULL; p; p = p->next, i++) {
        fl_cfg_index(ip, sizeof ip, sp, i);
        phase ph;
        if ((st = fl_cfg_object(p, ip, e)) || (st = fl_cfg_known_keys(p, ip, phase_keys, e)) ||
            (st = fl_cfg_duration(p, ip, "at", FL_CFG_REQUIRED, 0, 0, FL_TIME_MAX, &ph.at, e)) ||
            (st = fl_cfg_rate(p, ip, "rate", FL_CFG_REQUIRED, 0, true, &ph.rate, e)))
            return st;
        if (ph.at <= wl->phases[wl->nphases - 1].at && !(ph.at == 0 && wl->nphases == 1)) {
            char at[280];
            fl_cfg_join(at, sizeof at, ip, "at");
            return fl_error_set(e, FL_INVALID, at,
                                "expected times in increasing order, after the previous entry");
        }
        if (ph.at == 0)
            wl->phases[0].rate = ph.rate;
        else
            wl->phases[wl->nphases++] = ph;
    }
    return FL_OK;
}

fl_status fl_workload_configure(fl_world *w, uint32_t index, fl_workload **out,
                                const cJSON *cfg, const char *path, fl_error *e)
{
    fl_status st;
    *out = NULL;
    if ((st = fl_cfg_object(cfg, path, e)) || (st = fl_cfg_known_keys(cfg, path, wl_keys, e)))
        return st;
    fl_workload *wl = fl_calloc(1, sizeof *wl);
    if (!wl)
        return FL_NOMEM;
    *out = wl;
    wl->w = w;
    wl->index = index;
    wl->zone = -1;
    const char *name, *target, *zone;
    int arrivals;
    if ((st = fl_cfg_name(cfg, path, "name", FL_CFG_REQUIRED, &name, e)) ||
        (st = fl_cfg_string(cfg, path, "target", FL_CFG_REQUIRED, NULL, &target, e)) ||
        (st = fl_cfg_string(cfg, path, "zone", FL_CFG_OPTIONAL, NULL, &zone, e)) ||
        (st = fl_cfg_enum(cfg, path, "arrivals", FL_CFG_OPTIONAL, 0, arrival_kinds, &arrivals, e)) ||
        (st = read_clients(wl, cfg, path, e)) ||
        (st = fl_cfg_duration(cfg, path, "start", FL_CFG_OPTIONAL, 0, 0, FL_TIME_MAX, &wl->start, e)) ||
        (st = fl_cfg_duration(cfg, path, "stop", FL_CFG_OPTIONAL, w->duration, 0, FL_TIME_MAX,
                              &wl->stop, e)) ||
        (st = read_phases(wl, cfg, path, e)))
        return st;
    wl->deterministic = arrivals == 1;
    wl->name = fl_strdup(name);
    if (!wl->name)
        return FL_NOMEM;
    char p[256];
    uint32_t t;
    if ((st = fl_world_find_node(w, target, NULL, NULL, fl_cfg_join(p, sizeof p, path, "target"),
                                 &t, e)))
        return st;
    wl->target = t;
    if (zone) {
        int z;
        for (z = 0; z < w->nzones; z++)
            if (strcmp(w->zones[z], zone) == 0)
                break;
        if (z == w->nzones) {
            fl_cfg_join(p, sizeof p, path, "zone");
            return fl_error_set(e, FL_UNKNOWN, p, "unknown zone \"%s\" (declare it in \"zones\")",
                                zone);
        }
        wl->zone = z;
    }
    fl_cfg_join(p, sizeof p, path, "client");
    if ((st = fl_client_policy_read(cJSON_GetObjectItemCaseSensitive(cfg, "client"), p, true,
                                    &wl->pol, e)))
        return st;
    if ((st = read_slo(wl, cfg, path, e)) || (st = read_keys(wl, cfg, path, e)))
        return st;
    fl_world_stream(w, &wl->rng, wl->name, "arrivals");
    fl_world_stream(w, &wl->key_rng, wl->name, "keys");
    fl_world_stream(w, &wl->think_rng, wl->name, "think");
    /* Only a closed workload has a client handler: registering one per workload would
     * renumber the handlers of every open scenario, and so its event hash. */
    wl->h_client = wl->clients ? fl_sim_handler(w->sim, on_client, wl) : 0;
    if (wl->h_client < 0)
        return FL_NOMEM;
    wl->latency = fl_hist_new();
    wl->success_latency = fl_hist_new();
    wl->window_latency = fl_hist_new();
    wl->window_ok = fl_hist_new();
    wl->fail_latency = fl_hist_new();
    wl->h_arrival = fl_sim_handler(w->sim, on_arrival, wl);
    wl->caller = fl_caller_new(w, wl->name, wl->target, wl->zone, &wl->host, &wl->pol,
                                request_done, wl);
    if (!wl->latency || !wl->success_latency || !wl->window_latency || !wl->window_ok ||
        !wl->fail_latency || wl->h_arrival < 0 ||
        !wl->caller)
        return FL_NOMEM;
    fl_batch_init(&wl->latency_b, w->warmup, w->duration, 32);
    fl_batch_init(&wl->success_latency_b, w->warmup, w->duration, 32);
    char col[200];
#define COL(field, suffix, kind)                                                    \
    do {                                                                             \
        snprintf(col, sizeof col, "%s.%s", wl->name, suffix);                        \
        if ((wl->field = fl_series_column(w->series, col, kind)) < 0)               \
            return FL_NOMEM;                                                         \
    } while (0)
    COL(col_issued, "issued_per_s", FL_SERIES_RATE);
    COL(col_ok, "ok_per_s", FL_SERIES_RATE);
    COL(col_good, "goodput_per_s", FL_SERIES_RATE);
    COL(col_err, "errors_per_s", FL_SERIES_RATE);
    COL(col_lat_mean, "latency_mean_ms", FL_SERIES_MEAN);
    COL(col_lat_p50, "latency_p50_ms", FL_SERIES_MEAN); /* one value per window; none: a gap */
    COL(col_lat_p99, "latency_p99_ms", FL_SERIES_MEAN);
    /* A count last: a CSV row then never ends in an empty cell, which some readers
     * (gnuplot among them) take for a missing column rather than a gap. */
    COL(col_tries, "tries_per_s", FL_SERIES_RATE);
    fl_caller_series(wl->caller, wl->col_tries);
#undef COL
    return FL_OK;
}

fl_status fl_workload_start(fl_world *w, fl_workload *wl)
{
    if (wl->start >= wl->stop)
        return FL_OK;
    /* Each rate step is the incident's trigger when the rate goes up: a window (shaded on
     * charts) until the next step; a step down is a moment. */
    for (int i = 1; !wl->from_csv && i < wl->nphases && wl->phases[i].at < wl->stop; i++) {
        fl_time until = i + 1 < wl->nphases && wl->phases[i + 1].at < wl->stop
                            ? wl->phases[i + 1].at : wl->stop;
        double was = wl->phases[i - 1].rate, now = wl->phases[i].rate;
        fl_world_window(w, wl->phases[i].at, now > was ? until : -1, wl->name, "rate-step",
                        "%s%s %g/s (from %g/s)", now > was ? "trigger: " : "", wl->name, now, was);
    }
    /* A closed client thinks before its first request too: with no think time the
     * population starts together (the contention case), else spread as it will run. */
    for (uint32_t i = 0; i < wl->clients; i++) {
        fl_time z = fl_dist_sample(wl->think, &wl->think_rng);
        if (z >= wl->stop - wl->start)
            continue;
        fl_status st = fl_sim_at(w->sim, wl->start + z, wl->h_client, i);
        if (st)
            return st;
    }
    if (wl->clients)
        return FL_OK;
    /* Evenly spaced arrivals begin at `start`; Poisson ones a random gap after it. */
    return fl_sim_at(w->sim, wl->start, wl->h_arrival, 0);
}

/* Moves the window's measured successes into success_latency and window_latency. */
static void merge_window_ok(fl_workload *wl)
{
    if (!fl_hist_count(wl->window_ok))
        return;
    fl_hist_merge(wl->success_latency, wl->window_ok);
    fl_hist_merge(wl->window_latency, wl->window_ok);
    fl_hist_reset(wl->window_ok);
}

void fl_workload_flush(fl_workload *wl)
{
    acc_flush(wl);
    fl_caller_flush_series(wl->caller, true);
    merge_window_ok(wl);
}

void fl_workload_sample(fl_world *w, fl_workload *wl, fl_time t)
{
    if (fl_sim_now(w->sim) >= wl->acc.until)
        acc_flush(wl);
    fl_caller_flush_series(wl->caller, false);
    merge_window_ok(wl);
    if (fl_hist_count(wl->window_latency)) {
        fl_series_add(w->series, wl->col_lat_p50, t, fl_hist_quantile(wl->window_latency, 0.5) / 1e6);
        fl_series_add(w->series, wl->col_lat_p99, t, fl_hist_quantile(wl->window_latency, 0.99) / 1e6);
        fl_hist_reset(wl->window_latency);
    }
}

void fl_workload_counts(const fl_workload *wl, uint64_t *issued, uint64_t *ended,
                        uint64_t *in_flight)
{
    *issued = wl->issued;
    *ended = wl->ended;
    *in_flight = wl->issued - wl->ended;
}

/* Recovery (metastability): did goodput come back after the last fault ended?
 * Reference r: mean goodput between the warm-up and the first fault. The system has
 * recovered at the first window after the last fault ended where (a) the next 10 s of
 * goodput average at least the threshold, and (b) so does everything from there to the
 * end of the run: a sustained return, which a single noisy window can neither fake nor
 * spoil. The threshold for a mean over T seconds is 90% of r, or lower when the rate is so
 * small that Poisson noise alone would cross 90%: r - 3 sqrt(r / T). When there is no such
 * window the system "did not recover within the run". */
static double recovery_threshold(double ref, double span_s)
{
    double noise = 3 * sqrt(ref / span_s);
    return ref - (0.1 * ref > noise ? 0.1 * ref : noise);
}

static void report_recovery(fl_world *w, fl_workload *wl, cJSON *out)
{
    if (!w->nfaults)
        return;
    fl_time first = FL_TIME_MAX;
    for (uint32_t i = 0; i < w->nfaults; i++)
        if (w->faults[i].at < first)
            first = w->faults[i].at;
    size_t nwin = fl_series_windows(w->series);
    size_t w0 = (size_t)((w->warmup + w->window - 1) / w->window), w1 = (size_t)(first / w->window);
    cJSON *rec = cJSON_AddObjectToObject(out, "recovery");
    if (w1 <= w0) {
        cJSON_AddStringToObject(rec, "note", "no fault-free window after the warm-up to compare with");
        return;
    }
    double ref = 0;
    for (size_t k = w0; k < w1; k++)
        ref += fl_series_value(w->series, wl->col_good, k);
    ref /= (double)(w1 - w0);
    if (!(ref > 0)) { /* nothing to come back to: "recovered" would hold by default */
        cJSON_AddStringToObject(rec, "note", "no goodput before the first fault to compare with");
        return;
    }
    size_t after = (size_t)((w->faults_end + w->window - 1) / w->window);
    size_t last_full = (size_t)(w->duration / w->window); /* windows [0, last_full) are whole */
    if (last_full > nwin)
        last_full = nwin;
    size_t k = (size_t)((10 * FL_SEC + w->window - 1) / w->window);
    if (k < 1)
        k = 1;
    if (last_full < after + k) {
        cJSON_AddStringToObject(rec, "note", "the run ends less than 10 s after the last fault");
        return;
    }
    double thr10 = recovery_threshold(ref, fl_time_to_s((fl_time)k * w->window));
    cJSON_AddNumberToObject(rec, "threshold_goodput_per_s", thr10);
    /* Suffix sums make every "from here to the end" mean O(1). */
    double *suffix = fl_calloc(last_full + 1, sizeof *suffix);
    if (!suffix)
        return;
    for (size_t j = last_full; j-- > 0;)
        suffix[j] = suffix[j + 1] + fl_series_value(w->series, wl->col_good, j);
    size_t from = after;
    for (; from + k <= last_full; from++) {
        double next10 = (suffix[from] - suffix[from + k]) / (double)k;
        double rest_s = fl_time_to_s((fl_time)(last_full - from) * w->window);
        double rest = suffix[from] / (double)(last_full - from);
        if (next10 >= thr10 && rest >= recovery_threshold(ref, rest_s))
            break;
    }
    fl_free(suffix);
    bool recovered = from + k <= last_full;
    cJSON_AddNumberToObject(rec, "reference_goodput_per_s", ref);
    cJSON_AddNumberToObject(rec, "faults_end_s", fl_time_to_s(w->faults_end));
    cJSON_AddBoolToObject(rec, "recovered", recovered);
    if (recovered)
        cJSON_AddNumberToObject(rec, "recovery_s",
                                fl_time_to_s((fl_time)from * w->window - w->faults_end > 0
                                                 ? (fl_time)from * w->window - w->faults_end
                                                 : 0));
    else
        cJSON_AddStringToObject(rec, "note", "did not recover within the run");
    double tail = 0;
    size_t nt = 0;
    for (size_t j = after; j < last_full; j++, nt++)
        tail += fl_series_value(w->series, wl->col_good, j);
    cJSON_AddNumberToObject(rec, "goodput_after_faults_per_s", nt ? tail / (double)nt : 0);
}

void fl_workload_report(fl_world *w, fl_workload *wl, cJSON *out)
{
    double span = fl_time_to_s(w->duration - w->warmup);
    uint64_t errors = 0;
    for (int o = 1; o < FL_OUT_COUNT; o++)
        errors += wl->errors[o];
    cJSON_AddStringToObject(out, "target", w->comps[wl->target]->name);
    if (wl->clients) {
        cJSON_AddNumberToObject(out, "clients", wl->clients);
        if (wl->per_client) {
            cJSON_AddNumberToObject(out, "clients_done", wl->clients_done);
            if (wl->completion >= 0)
                cJSON_AddNumberToObject(out, "completion_s", fl_time_to_s(wl->completion));
            else
                cJSON_AddNullToObject(out, "completion_s");
        }
    }
    cJSON_AddNumberToObject(out, "issued", (double)wl->issued_measured);
    cJSON_AddNumberToObject(out, "ok", (double)wl->ok);
    cJSON_AddNumberToObject(out, "errors", (double)errors);
    cJSON *by = cJSON_AddObjectToObject(out, "errors_by_cause");
    for (int o = 1; o < FL_OUT_COUNT; o++)
        if (fl_world_outcome_possible(w, (fl_outcome)o))
            cJSON_AddNumberToObject(by, fl_outcome_name((fl_outcome)o), (double)wl->errors[o]);
    cJSON_AddNumberToObject(out, "in_flight_at_end", (double)(wl->issued - wl->ended));
    cJSON_AddNumberToObject(out, "throughput_per_s", span > 0 ? (double)wl->ok / span : 0);
    cJSON_AddNumberToObject(out, "goodput_per_s", span > 0 ? (double)wl->good / span : 0);
    cJSON_AddNumberToObject(out, "error_rate",
                            wl->ok + errors ? (double)errors / (double)(wl->ok + errors) : 0);
    if (wl->slo)
        cJSON_AddNumberToObject(out, "slo_ms", fl_time_to_ms(wl->slo));
    else
        cJSON_AddNullToObject(out, "slo_ms");
    cJSON_AddStringToObject(out, "slo_source", wl->slo_source);
    /* slo_attainment is over the measured requests whose fate is known at the end: every
     * one that ended, and those still in flight for longer than the SLO (they missed it).
     * One in flight for less (or, without an SLO, any in flight) could still make it: it
     * is left out, counted as undecided, rather than guessed either way. */
    uint64_t missed = wl->slo && w->duration - w->warmup > wl->slo
                          ? fl_caller_in_flight_started(wl->caller, w->warmup,
                                                        w->duration - wl->slo)
                          : 0;
    uint64_t decided = wl->ok + errors + missed;
    cJSON_AddNumberToObject(out, "slo_requests", (double)decided);
    cJSON_AddNumberToObject(out, "slo_met", (double)wl->good);
    cJSON_AddNumberToObject(out, "slo_undecided", (double)(wl->issued_measured - decided));
    if (decided) /* none: no request whose fate is known, no figure */
        cJSON_AddNumberToObject(out, "slo_attainment", (double)wl->good / (double)decided);
    else
        cJSON_AddNullToObject(out, "slo_attainment");
    merge_window_ok(wl);
    fl_hist_reset(wl->latency);
    fl_hist_merge(wl->latency, wl->success_latency);
    fl_hist_merge(wl->latency, wl->fail_latency);
    fl_report_latency(out, "latency_ms", wl->latency,
                      wl->latency_split ? &wl->latency_b : &wl->success_latency_b);
    fl_report_latency(out, "success_latency_ms", wl->success_latency, &wl->success_latency_b);
    fl_caller_report(wl->caller, out);
    report_recovery(w, wl, out);
}
