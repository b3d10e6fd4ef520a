/* A staged rollout: a bad version or configuration pushed to a balancer's backends a
 * fraction at a time, and rolled back on a health signal or by hand.
 *
 *   {"at": "300s", "rollout": {"to": "edge", "waves": [0.01, 0.1, 1], "wave_interval": "5m",
 *     "effect": {"cpu_factor": 100},
 *     "rollback": {"error_rate": 0.05, "window": "30s", "after": "27m"}},
 *    "label": "WAF rule push"}
 *
 * `to` names a balancer; its backends, in the order of its "backends" list, receive the new
 * version: wave k (from 0) begins at at + k x wave_interval and brings the first
 * ceil(waves[k] x N) of the N backends onto it (at least one; "waves" increase, default
 * [1]: everything at once). The effect (service.c models it on each backend): cpu_factor
 * multiplies its service times (a rule that burns CPU), error_rate answers that fraction of
 * its requests `server_error` at once (a config that breaks a code path), crash keeps it
 * down while it runs the version (a crash loop on start).
 *
 * Rollback. Every `window` from the first wave the controller reads the calls sent to
 * the backends running the new version (since they took it) that ended during that window (the balancer's view: what a
 * canary analysis compares): when at least `min_calls` ended and more than `error_rate` of
 * them failed (any outcome but ok: a full queue, a timeout, refused, server_error), or
 * their mean latency exceeded `latency`, it rolls back. `after` is the manual rollback:
 * operators revert this long after the first wave whatever the signal says. A rollback
 * reverts every backend at once, and no later wave begins. No "rollback": the version
 * stays to the end. The rollout refuses "for": how long it lasts is what it decides.
 *
 * Events: `rollout-wave` (each wave) and `rollback` (what decided it); the fault's own
 * window on the timeline runs from the first wave to the rollback. The balancer's series
 * NAME.new_version counts the backends on the new version; its report's `rollout` object:
 * waves_begun, updated_max (backends at most on the new version), updated_fraction_max,
 * first_wave_s, rolled_back (flag), rollback_s, rollback_cause ("error_rate", "latency",
 * "manual" or "none"), signal (the figure that decided it), exposure_backend_s
 * (backend-seconds on the new version, measured after the warm-up) and
 * exposure_fraction (that over N x the measured time from the first wave to the end). */
#include "model/rollout.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/balancer.h"

struct fl_rollout {
    fl_world *w;
    fl_component *lb;
    uint32_t nbe;
    double waves[FL_ROLLOUT_MAX_WAVES];
    int nwaves;
    fl_time interval;
    fl_rollout_effect fx;
    double rb_errors;  /* threshold, or -1: not watched */
    fl_time rb_latency; /* threshold, or 0: not watched */
    fl_time rb_window;
    long rb_min_calls;
    fl_time rb_after;  /* manual rollback after the first wave, or 0: none */
    bool watch;        /* a health signal is watched */
    fl_fault *fault;   /* its end (until) is the revert */
    /* run */
    int wave;          /* waves begun */
    uint32_t updated, updated_max;
    fl_time first, reverted; /* -1: not yet */
    fl_time exp_since;
    double exposure;   /* backend-seconds after the warm-up */
    const char *cause;
    double signal;
    int h_wave, h_check, h_manual;
};

static const char *const rollout_keys[] = {"to", "waves", "wave_interval", "effect", "rollback",
                                           NULL};
static const char *const effect_keys[] = {"cpu_factor", "error_rate", "crash", NULL};
static const char *const rollback_keys[] = {"error_rate", "latency", "window", "min_calls",
                                            "after", NULL};

/* Exposure: backend-seconds on the new version after the warm-up, up to now. */
static void account(fl_rollout *r)
{
    fl_time now = fl_sim_now(r->w->sim), from = r->exp_since > r->w->warmup ? r->exp_since
                                                                            : r->w->warmup;
    if (now > from)
        r->exposure += (double)r->updated * fl_time_to_s(now - from);
    r->exp_since = now;
}

static void revert(fl_rollout *r, const char *cause, double signal)
{
    fl_world *w = r->w;
    fl_time now = fl_sim_now(w->sim);
    account(r);
    uint32_t n = r->updated;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t nb, node = fl__balancer_backend_node(r->lb, i, &nb);
        fl__balancer_set_new(r->lb, i, false);
        fl__service_version(w, w->comps[node], &r->fx, false);
    }
    r->updated = 0;
    r->reverted = now;
    r->cause = cause;
    r->signal = signal;
    fl_sim_hash_mix(w->sim, 0x70110bacull ^ (uint64_t)n);
    if (strcmp(cause, "manual") == 0)
        fl_world_event(w, now, r->lb->name, "rollback",
                       "manual rollback %g s after the push: %u backend%s back on the old version",
                       fl_time_to_s(now - r->first), n, n == 1 ? "" : "s");
    else if (strcmp(cause, "latency") == 0)
        fl_world_event(w, now, r->lb->name, "rollback",
                       "automatic rollback: mean latency %.3g s on the new version over %g s; %u "
                       "backend%s back on the old version",
                       signal, fl_time_to_s(r->rb_window), n, n == 1 ? "" : "s");
    else
        fl_world_event(w, now, r->lb->name, "rollback",
                       "automatic rollback: %.3g of the calls to the new version failed over %g "
                       "s; %u backend%s back on the old version",
                       signal, fl_time_to_s(r->rb_window), n, n == 1 ? "" : "s");
    /* The fault ends now: a workload's recovery is judged from here. */
    r->fault->until = now;
    r->fault->active = false;
    fl_time end = 0;
    for (uint32_t i = 0; i < w->nfaults; i++) {
        fl_time u = w->faults[i].until < w->duration ? w->faults[i].until : w->duration;
        end = u > end ? u : end;
    }
    w->faults_end = end;
}

static void on_wave(fl_sim *sim, void *ctx, uint64_t k)
{
    fl_rollout *r = ctx;
    if (r->reverted >= 0)
        return; /* rolled back: no later wave */
    fl_world *w = r->w;
    fl_time now = fl_sim_now(sim);
    account(r);
    double want = ceil(r->waves[k] * r->nbe - 1e-9);
    uint32_t n = want < 1 ? 1 : (uint32_t)want;
    for (uint32_t i = r->updated; i < n; i++) {
        uint32_t nb, node = fl__balancer_backend_node(r->lb, i, &nb);
        fl__balancer_set_new(r->lb, i, true);
        fl__service_version(w, w->comps[node], &r->fx, true);
    }
    r->updated = n > r->updated ? n : r->updated;
    r->updated_max = r->updated > r->updated_max ? r->updated : r->updated_max;
    r->wave = (int)k + 1;
    fl_sim_hash_mix(sim, 0x70110a7eull ^ ((uint64_t)k << 32 | n));
    fl_world_event(w, now, r->lb->name, "rollout-wave",
                   "wave %d of %d: %u of %u backends (%g%%) on the new version", (int)k + 1,
                   r->nwaves, r->updated, r->nbe, 100.0 * r->updated / r->nbe);
    if (k + 1 < (uint64_t)r->nwaves)
        fl_sim_after(sim, r->interval, r->h_wave, k + 1);
}

static void on_check(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    fl_rollout *r = ctx;
    if (r->reverted >= 0)
        return;
    uint64_t calls = 0, fails = 0;
    fl_time lat = 0;
    for (uint32_t i = 0; i < r->updated; i++) {
        uint64_t c, f;
        fl_time l;
        fl__balancer_take_health(r->lb, i, &c, &f, &l);
        calls += c;
        fails += f;
        lat += l;
    }
    if (calls >= (uint64_t)r->rb_min_calls && calls > 0) {
        double er = (double)fails / (double)calls;
        double ml = fl_time_to_s(lat) / (double)calls;
        if (r->rb_errors >= 0 && er > r->rb_errors) {
            revert(r, "error_rate", er);
            return;
        }
        if (r->rb_latency > 0 && ml > fl_time_to_s(r->rb_latency)) {
            revert(r, "latency", ml);
            return;
        }
    }
    fl_sim_after(sim, r->rb_window, r->h_check, 0);
}

static void on_manual(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim, (void)arg;
    fl_rollout *r = ctx;
    if (r->reverted < 0)
        revert(r, "manual", fl_time_to_s(r->rb_after));
}

void fl__rollout_begin(fl_rollout *r)
{
    fl_sim *sim = r->w->sim;
    r->first = fl_sim_now(sim);
    r->exp_since = r->first;
    on_wave(sim, r, 0);
    if (r->watch)
        fl_sim_after(sim, r->rb_window, r->h_check, 0);
    if (r->rb_after > 0)
        fl_sim_after(sim, r->rb_after, r->h_manual, 0);
}

static fl_status read_effect(fl_rollout *r, const cJSON *fx, const char *p, fl_error *e)
{
    fl_status st;
    if ((st = fl_cfg_object(fx, p, e)) || (st = fl_cfg_known_keys(fx, p, effect_keys, e)) ||
        (st = fl_cfg_number(fx, p, "cpu_factor", FL_CFG_OPTIONAL, 1, 1, 1e6, &r->fx.cpu_factor,
                            e)) ||
        (st = fl_cfg_number(fx, p, "error_rate", FL_CFG_OPTIONAL, 0, 0, 1, &r->fx.error_rate,
                            e)) ||
        (st = fl_cfg_bool(fx, p, "crash", FL_CFG_OPTIONAL, false, &r->fx.crash, e)))
        return st;
    if (r->fx.crash && (r->fx.cpu_factor != 1 || r->fx.error_rate > 0))
        return fl_error_set(e, FL_INVALID, p, "a version that crashes serves nothing: give "
                                              "\"crash\" alone, or \"cpu_factor\" and/or "
                                              "\"error_rate\" without it");
    if (!r->fx.crash && r->fx.cpu_factor == 1 && r->fx.error_rate == 0)
        return fl_error_set(e, FL_INVALID, p, "the new version changes nothing: expected "
                                              "\"cpu_factor\" above 1 (service times "
                                              "multiplied), \"error_rate\" above 0 or "
                                              "\"crash\": true");
    return FL_OK;
}

static fl_status read_rollback(fl_rollout *r, const cJSON *rb, const char *p, fl_error *e)
{
    fl_status st;
    r->rb_errors = -1;
    r->rb_window = 30 * FL_SEC;
    r->rb_min_calls = 10;
    if (!rb)
        return FL_OK;
    if ((st = fl_cfg_object(rb, p, e)) || (st = fl_cfg_known_keys(rb, p, rollback_keys, e)) ||
        (st = fl_cfg_number(rb, p, "error_rate", FL_CFG_OPTIONAL, -1, 0, 1, &r->rb_errors, e)) ||
        (st = fl_cfg_duration(rb, p, "latency", FL_CFG_OPTIONAL, 0, FL_MS, 86400 * FL_SEC,
                              &r->rb_latency, e)) ||
        (st = fl_cfg_duration(rb, p, "window", FL_CFG_OPTIONAL, 30 * FL_SEC, FL_SEC,
                              86400 * FL_SEC, &r->rb_window, e)) ||
        (st = fl_cfg_int(rb, p, "min_calls", FL_CFG_OPTIONAL, 10, 1, 1000000000, &r->rb_min_calls,
                         e)) ||
        (st = fl_cfg_duration(rb, p, "after", FL_CFG_OPTIONAL, 0, FL_MS, FL_TIME_MAX,
                              &r->rb_after, e)))
        return st;
    r->watch = r->rb_errors >= 0 || r->rb_latency > 0;
    if (!r->watch && !r->rb_after)
        return fl_error_set(e, FL_INVALID, p, "expected a health signal (\"error_rate\": the "
                                              "failed fraction, \"latency\": the mean) that "
                                              "rolls back automatically, \"after\" (a manual "
                                              "rollback), or both");
    char q[300];
    if (!r->watch && (cJSON_GetObjectItemCaseSensitive(rb, "window") ||
                      cJSON_GetObjectItemCaseSensitive(rb, "min_calls")))
        return fl_error_set(e, FL_INVALID,
                            fl_cfg_join(q, sizeof q, p,
                                        cJSON_GetObjectItemCaseSensitive(rb, "window")
                                            ? "window"
                                            : "min_calls"),
                            "only a health signal (\"error_rate\" or \"latency\") is judged "
                            "over a window");
    return FL_OK;
}

fl_status fl__rollout_read(fl_world *w, fl_fault *f, const cJSON *ro, const char *p,
                           const char *label, fl_error *e)
{
    fl_status st;
    char q[300];
    fl_rollout *r = fl_calloc(1, sizeof *r);
    if (!r)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    f->rollout = r;
    f->kind = FL_FAULT_ROLLOUT;
    r->w = w;
    r->fault = f;
    r->first = r->reverted = -1;
    r->cause = "none";
    const char *to;
    if ((st = fl_cfg_object(ro, p, e)) || (st = fl_cfg_known_keys(ro, p, rollout_keys, e)) ||
        (st = fl_cfg_string(ro, p, "to", FL_CFG_REQUIRED, NULL, &to, e)) ||
        (st = fl_world_find_node(w, to, NULL, NULL, fl_cfg_join(q, sizeof q, p, "to"), &f->target,
                                 e)))
        return st;
    fl_component *lb = w->comps[f->target];
    if (!(lb->ops->faults & FL_FAULT_BIT(ROLLOUT)))
        return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, p, "to"),
                            "\"%s\" is a %s: a rollout goes to a balancer's backends, one "
                            "wave at a time",
                            to, lb->ops->kind);
    r->lb = lb;
    fl__balancer_backend_node(lb, 0, &r->nbe);
    uint32_t bad;
    if (!fl__rollout_possible(w, lb, &bad)) /* the effect is modelled on services */
        return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, p, "to"),
                            "backend \"%s\" of \"%s\" is a %s: a new version's effect is "
                            "modelled on services only",
                            w->comps[bad]->name, to, w->comps[bad]->ops->kind);
    const cJSON *wv = cJSON_GetObjectItemCaseSensitive(ro, "waves");
    fl_cfg_join(q, sizeof q, p, "waves");
    if (!wv) {
        r->waves[0] = 1;
        r->nwaves = 1;
    } else if (!cJSON_IsArray(wv) || cJSON_GetArraySize(wv) < 1 ||
               cJSON_GetArraySize(wv) > FL_ROLLOUT_MAX_WAVES) {
        return fl_error_set(e, FL_INVALID, q, "expected an array of 1 to %d increasing fractions "
                                              "of the backends, such as [0.01, 0.1, 1]",
                            FL_ROLLOUT_MAX_WAVES);
    }
    int k = 0;
    for (const cJSON *it = wv ? wv->child : NULL; it; it = it->next, k++) {
        char ip[320];
        fl_cfg_index(ip, sizeof ip, q, k);
        double x = cJSON_IsNumber(it) ? it->valuedouble : NAN;
        if (!(x > 0 && x <= 1))
            return fl_error_set(e, FL_INVALID, ip, "expected a fraction of the backends in (0, "
                                                   "1], such as 0.01 for a 1%% canary");
        if (k > 0 && x <= r->waves[k - 1])
            return fl_error_set(e, FL_INVALID, ip, "waves must grow: %g after %g", x,
                                r->waves[k - 1]);
        r->waves[k] = x;
        r->nwaves = k + 1;
    }
    if ((st = fl_cfg_duration(ro, p, "wave_interval", FL_CFG_OPTIONAL, 300 * FL_SEC, FL_SEC,
                              FL_TIME_MAX, &r->interval, e)))
        return st;
    if (r->nwaves == 1 && cJSON_GetObjectItemCaseSensitive(ro, "wave_interval"))
        return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, p, "wave_interval"),
                            "one wave has no interval: give \"waves\", such as [0.01, 0.1, 1]");
    const cJSON *fx = cJSON_GetObjectItemCaseSensitive(ro, "effect");
    if (!fx)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, p, "effect"),
                            "missing; expected what the new version does, such as "
                            "{\"cpu_factor\": 20}, {\"error_rate\": 0.3} or {\"crash\": true}");
    if ((st = read_effect(r, fx, fl_cfg_join(q, sizeof q, p, "effect"), e)) ||
        (st = read_rollback(r, cJSON_GetObjectItemCaseSensitive(ro, "rollback"),
                            fl_cfg_join(q, sizeof q, p, "rollback"), e)))
        return st;
    if (r->fx.error_rate > 0)
        w->outcomes |= FL_OUT_BIT(SERVER_ERROR);
    r->h_wave = fl_sim_handler(w->sim, on_wave, r);
    r->h_check = fl_sim_handler(w->sim, on_check, r);
    r->h_manual = fl_sim_handler(w->sim, on_manual, r);
    if (r->h_wave < 0 || r->h_check < 0 || r->h_manual < 0)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    if ((st = fl__balancer_attach_rollout(lb, r, p, e)))
        return st;
    f->member = -1;
    f->until = FL_TIME_MAX; /* the rollback decides; revert() sets it */
    if (label)
        snprintf(f->label, sizeof f->label, "%s", label);
    else
        snprintf(f->label, sizeof f->label, "%s: new version", to);
    return FL_OK;
}

void fl__rollout_free(fl_rollout *r) { fl_free(r); }

bool fl__rollout_possible(const fl_world *w, const fl_component *c, uint32_t *bad)
{
    if (!(c->ops->faults & FL_FAULT_BIT(ROLLOUT)))
        return false;
    uint32_t n;
    fl__balancer_backend_node(c, 0, &n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t nb, node = fl__balancer_backend_node(c, i, &nb);
        if (w->comps[node]->ops != &fl_service_ops) {
            if (bad)
                *bad = node;
            return false;
        }
    }
    return true;
}

void fl__rollout_report(const fl_rollout *r, cJSON *out)
{
    fl_world *w = r->w;
    /* a version still out at the end: its exposure runs to the end of the run */
    double exposure = r->exposure;
    fl_time now = fl_sim_now(w->sim), since = r->exp_since > w->warmup ? r->exp_since : w->warmup;
    if (r->first >= 0 && r->reverted < 0 && now > since)
        exposure += (double)r->updated * fl_time_to_s(now - since);
    cJSON_AddNumberToObject(out, "backends", r->nbe);
    cJSON_AddNumberToObject(out, "waves_begun", r->wave);
    cJSON_AddNumberToObject(out, "updated_max", r->updated_max);
    cJSON_AddNumberToObject(out, "updated_fraction_max",
                            r->nbe ? (double)r->updated_max / r->nbe : 0);
    if (r->first >= 0)
        cJSON_AddNumberToObject(out, "first_wave_s", fl_time_to_s(r->first));
    else
        cJSON_AddNullToObject(out, "first_wave_s");
    cJSON_AddBoolToObject(out, "rolled_back", r->reverted >= 0);
    if (r->reverted >= 0)
        cJSON_AddNumberToObject(out, "rollback_s", fl_time_to_s(r->reverted));
    else
        cJSON_AddNullToObject(out, "rollback_s");
    cJSON_AddStringToObject(out, "rollback_cause", r->cause);
    if (r->reverted >= 0 && strcmp(r->cause, "manual") != 0)
        cJSON_AddNumberToObject(out, "signal", r->signal);
    cJSON_AddNumberToObject(out, "exposure_backend_s", exposure);
    fl_time from = r->first > w->warmup ? r->first : w->warmup;
    double span = r->first >= 0 && w->duration > from ? fl_time_to_s(w->duration - from) : 0;
    cJSON_AddNumberToObject(out, "exposure_fraction",
                            span > 0 ? exposure / (span * r->nbe) : 0);
}
