/* faultline explore: random fault schedules, shrinking, tipping points (explore.h).
 *
 * The fault space comes from the kinds' descriptors (fl_component_ops.faults and
 * .member_faults, members()) of the variant's model, built once and not run, and from
 * its zones (link faults need two); the properties come from the figure catalogue
 * (fl_figure_info.invariant; censored figures counted from the end of the faults) and
 * from the expectations marked invariant. Nothing here names a kind or a figure.
 *
 * Each run is an ordinary fl_run with the schedule given as a "faults" override, so a
 * schedule found is replayed by `faultline run` exactly. */
#include <faultline/explore.h>
#include <faultline/figures.h>
#include <faultline/name.h>
#include <faultline/rng.h>
#include <faultline/run.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "fl_config.h"
#include "model/rollout.h"
#include "model/world.h"
#include "scenario/explore_int.h"
#include "scenario/pool.h"
#include "scenario/result_int.h"
#include "scenario/scenario_int.h"
#include "scenario/sweep_int.h"

#define MAXF FL_EXPLORE_MAX_FAULTS
#define LINK_BITS (FL_FAULT_BIT(PARTITION) | FL_FAULT_BIT(FLAKY) | FL_FAULT_BIT(SLOW_LINK))
#define MAX_ZONES 16
#define MAXW      8 /* workloads whose rate shrinking lowers */

/* ---- the fault space ------------------------------------------------------------------ */

typedef struct xtarget {
    char name[160]; /* "redis" or "redis/2" */
    unsigned bits;  /* the faults it takes */
} xtarget;

typedef struct space {
    unsigned types; /* fault kinds drawn: each has somewhere to go */
    xtarget *targets;
    size_t ntargets;
    char zones[MAX_ZONES][FL_NAME_MAX + 1];
    int nzones;
    int max_faults;
    fl_time duration;
    fl_time win_lo, win_hi, for_lo, for_hi, add_lo, add_hi, step_lo, step_hi;
    double factor_lo, factor_hi, loss_lo, loss_hi;
    /* Workloads with one constant "rate" (no phases): shrinking may lower it. */
    char wl[MAXW][FL_NAME_MAX + 1];
    double wl_rate[MAXW]; /* per second, as the instance writes it */
    int nwl;
} space;

static const char *const space_keys[] = {"faults", "targets", "max_faults", "window", "for",
                                         "factor", "loss", "add", "step", NULL};

static void dur_text(fl_time t, char *buf, size_t n);

/* A [lo, hi] pair of durations (signed with `offset`) under key, into *lo and *hi. */
static fl_status dur_range(const cJSON *o, const char *key, bool offset, fl_time min,
                           fl_time max, fl_time *lo, fl_time *hi, fl_error *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char p[64];
    snprintf(p, sizeof p, "explore.%s", key);
    if (!v)
        return FL_OK;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
        return fl_error_set(e, FL_INVALID, p, "expected [LOW, HIGH], two durations such as "
                                              "[\"1s\", \"20s\"]");
    fl_time x[2];
    int i = 0;
    for (const cJSON *it = v->child; it; it = it->next, i++) {
        char why[200], q[80];
        fl_cfg_index(q, sizeof q, p, i);
        const char *s = cJSON_GetStringValue(it);
        bool neg = s && s[0] == '-' && offset;
        if (s && (s[0] == '+' || neg))
            s++;
        if (!s || fl_parse_duration(s, &x[i], why, sizeof why) != 0) {
            char got[64];
            fl_cfg_describe(it, got, sizeof got);
            return fl_error_set(e, FL_INVALID, q, "expected a duration such as \"10s\", got %s",
                                got);
        }
        if (neg)
            x[i] = -x[i];
        if (x[i] < min || x[i] > max) {
            char a[32], b[32];
            dur_text(min, a, sizeof a);
            dur_text(max, b, sizeof b);
            return fl_error_set(e, FL_INVALID, q, "expected a duration from %s to %s", a, b);
        }
    }
    if (x[0] > x[1])
        return fl_error_set(e, FL_INVALID, p, "expected LOW <= HIGH");
    *lo = x[0];
    *hi = x[1];
    return FL_OK;
}

static fl_status num_range(const cJSON *o, const char *key, double min, double max, double *lo,
                           double *hi, fl_error *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char p[64];
    snprintf(p, sizeof p, "explore.%s", key);
    if (!v)
        return FL_OK;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2 || !cJSON_IsNumber(v->child) ||
        !cJSON_IsNumber(v->child->next))
        return fl_error_set(e, FL_INVALID, p, "expected [LOW, HIGH], two numbers");
    double a = v->child->valuedouble, b = v->child->next->valuedouble;
    if (!(a >= min && b <= max))
        return fl_error_set(e, FL_INVALID, p, "expected numbers from %g to %g", min, max);
    if (a > b)
        return fl_error_set(e, FL_INVALID, p, "expected LOW <= HIGH");
    *lo = a;
    *hi = b;
    return FL_OK;
}

/* The faults in `bits` as "crash, pause" (table order). */
static void fault_list(unsigned bits, char *buf, size_t n)
{
    size_t w = 0;
    buf[0] = 0;
    for (unsigned k = 0; k < FL_FAULT_COUNT && w < n; k++)
        if (bits & (1u << k))
            w += (size_t)snprintf(buf + w, n - w, "%s%s", w ? ", " : "", fl_fault_name(k));
    if (!w)
        snprintf(buf, n, "none");
}

/* Reads the space of `doc` (an instance: variant applied) from sec (the file's section,
 * may be NULL) and over (the caller's, may be NULL; its keys win). */
static fl_status space_build(const cJSON *doc, uint64_t seed, const cJSON *sec,
                             const cJSON *over, space *sp, fl_error *e)
{
    memset(sp, 0, sizeof *sp);
    fl_world *w = NULL;
    fl_status st = fl_world_build(doc, seed, &w, e);
    if (st)
        return st;
    cJSON *o = sec ? cJSON_Duplicate(sec, 1) : cJSON_CreateObject();
    if (!o) {
        fl_world_free(w);
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    }
    for (const cJSON *it = over ? over->child : NULL; it; it = it->next) {
        cJSON *c = cJSON_Duplicate(it, 1);
        if (cJSON_GetObjectItemCaseSensitive(o, it->string))
            cJSON_ReplaceItemInObjectCaseSensitive(o, it->string, c);
        else
            cJSON_AddItemToObject(o, it->string, c);
    }
    size_t cap = 0;
    for (uint32_t i = 0; i < w->ncomps; i++) {
        const fl_component_ops *ops = w->comps[i]->ops;
        const char *noun;
        cap += 1 + (ops->member_faults && ops->members ? ops->members(w->comps[i], &noun) : 0);
    }
    sp->targets = fl_calloc(cap + 1, sizeof *sp->targets);
    if (!sp->targets) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto done;
    }
    unsigned all = 0;
    for (uint32_t i = 0; i < w->ncomps; i++) {
        const fl_component *c = w->comps[i];
        xtarget *t = &sp->targets[sp->ntargets++];
        snprintf(t->name, sizeof t->name, "%s", c->name);
        t->bits = c->ops->faults;
        if (!fl__rollout_possible(w, c, NULL)) /* a balancer over other kinds than services */
            t->bits &= ~FL_FAULT_BIT(ROLLOUT);
        all |= t->bits;
        const char *noun = "member";
        uint32_t nm = c->ops->member_faults && c->ops->members ? c->ops->members(c, &noun) : 0;
        for (uint32_t m = 0; m < nm; m++) {
            t = &sp->targets[sp->ntargets++];
            snprintf(t->name, sizeof t->name, "%s/%u", c->name, m);
            t->bits = c->ops->member_faults;
        }
    }
    sp->nzones = w->nzones < MAX_ZONES ? w->nzones : MAX_ZONES;
    for (int z = 0; z < sp->nzones; z++)
        snprintf(sp->zones[z], sizeof sp->zones[z], "%s", w->zones[z]);
    if (sp->nzones >= 2)
        all |= LINK_BITS;
    sp->duration = w->duration;
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(doc, "workloads");
    for (const cJSON *it = cJSON_IsArray(wls) ? wls->child : NULL; it && sp->nwl < MAXW;
         it = it->next) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(it, "rate");
        double per_s = 0;
        char why[160];
        if (!cJSON_IsString(nm) || cJSON_GetObjectItemCaseSensitive(it, "phases"))
            continue;
        if (cJSON_IsNumber(r))
            per_s = r->valuedouble;
        else if (!cJSON_IsString(r) || fl_parse_rate(r->valuestring, &per_s, why, sizeof why))
            continue;
        if (!(per_s > 0) || strlen(nm->valuestring) > FL_NAME_MAX)
            continue;
        snprintf(sp->wl[sp->nwl], sizeof sp->wl[0], "%s", nm->valuestring);
        sp->wl_rate[sp->nwl++] = per_s;
    }
    sp->max_faults = 3;
    /* Faults start after the first tenth of the run: recovery is judged against the
     * goodput before the first fault, which needs a stretch of undisturbed traffic. */
    sp->win_lo = w->duration / 10 / FL_MS * FL_MS;
    sp->win_hi = w->duration / 2 / FL_MS * FL_MS;
    sp->for_lo = w->duration / 100 / FL_MS * FL_MS;
    if (sp->for_lo < FL_MS)
        sp->for_lo = FL_MS;
    sp->for_hi = w->duration / 4 / FL_MS * FL_MS;
    if (sp->for_hi < sp->for_lo)
        sp->for_hi = sp->for_lo;
    sp->factor_lo = 1.5;
    sp->factor_hi = 10;
    sp->loss_lo = 0.05;
    sp->loss_hi = 0.5;
    sp->add_lo = 10 * FL_MS;
    sp->add_hi = FL_SEC;
    sp->step_lo = -10 * FL_SEC;
    sp->step_hi = 10 * FL_SEC;
    if ((st = fl_cfg_object(o, "explore", e)) ||
        (st = fl_cfg_known_keys(o, "explore", space_keys, e)))
        goto done;
    long mf = 3;
    if ((st = fl_cfg_int(o, "explore", "max_faults", FL_CFG_OPTIONAL, 3, 1, MAXF, &mf, e)))
        goto done;
    sp->max_faults = (int)mf;
    if ((st = dur_range(o, "window", false, 0, w->duration, &sp->win_lo, &sp->win_hi, e)) ||
        (st = dur_range(o, "for", false, FL_MS, w->duration, &sp->for_lo, &sp->for_hi, e)) ||
        (st = dur_range(o, "add", false, 0, FL_HOUR, &sp->add_lo, &sp->add_hi, e)) ||
        (st = dur_range(o, "step", true, -24 * FL_HOUR, 24 * FL_HOUR, &sp->step_lo,
                        &sp->step_hi, e)) ||
        (st = num_range(o, "factor", 0.001, 1e6, &sp->factor_lo, &sp->factor_hi, e)) ||
        (st = num_range(o, "loss", 0, 1, &sp->loss_lo, &sp->loss_hi, e)))
        goto done;
    unsigned types = all;
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(o, "faults");
    if (fs) {
        if (!cJSON_IsArray(fs) || !fs->child) {
            st = fl_error_set(e, FL_INVALID, "explore.faults", "expected a non-empty array of "
                                                               "fault types, such as "
                                                               "[\"partition\", \"pause\"]");
            goto done;
        }
        types = 0;
        int i = 0;
        for (const cJSON *it = fs->child; it; it = it->next, i++) {
            char p[64], list[200];
            fl_cfg_index(p, sizeof p, "explore.faults", i);
            unsigned k = 0;
            while (k < FL_FAULT_COUNT &&
                   !(cJSON_IsString(it) && strcmp(it->valuestring, fl_fault_name(k)) == 0))
                k++;
            if (k == FL_FAULT_COUNT) {
                char got[64];
                fl_cfg_describe(it, got, sizeof got);
                fault_list((1u << FL_FAULT_COUNT) - 1, list, sizeof list);
                st = fl_error_set(e, FL_UNKNOWN, p, "expected a fault type (%s), got %s", list,
                                  got);
                goto done;
            }
            if (!(all & (1u << k))) {
                fault_list(all, list, sizeof list);
                st = fl_error_set(e, FL_INVALID, p, "no node or zone pair of this scenario "
                                                    "takes \"%s\" (its kinds and zones allow: %s)",
                                  it->valuestring, list);
                goto done;
            }
            types |= 1u << k;
        }
    }
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "targets");
    if (ts) {
        if (!cJSON_IsArray(ts) || !ts->child) {
            st = fl_error_set(e, FL_INVALID, "explore.targets", "expected a non-empty array of "
                                                                "nodes or members, such as "
                                                                "[\"db\", \"db/2\"]");
            goto done;
        }
        unsigned *keep = fl_calloc(sp->ntargets + 1, sizeof *keep);
        const char **names = fl_calloc(sp->ntargets + 1, sizeof *names);
        if (!keep || !names) {
            fl_free(keep);
            fl_free(names);
            st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
            goto done;
        }
        for (size_t t = 0; t < sp->ntargets; t++)
            names[t] = sp->targets[t].name;
        int i = 0;
        for (const cJSON *it = ts->child; it && !st; it = it->next, i++) {
            char p[64];
            fl_cfg_index(p, sizeof p, "explore.targets", i);
            size_t t = 0;
            while (t < sp->ntargets &&
                   !(cJSON_IsString(it) && strcmp(it->valuestring, sp->targets[t].name) == 0))
                t++;
            if (t == sp->ntargets) {
                char got[64];
                fl_cfg_describe(it, got, sizeof got);
                const char *s = cJSON_IsString(it) ? fl_cfg_suggest(it->valuestring, names) : NULL;
                st = fl_error_set(e, FL_UNKNOWN, p, "expected a node or a member (\"db/2\") of "
                                                    "this scenario, got %s%s%s%s",
                                  got, s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
            } else
                keep[t] = 1;
        }
        for (size_t t = 0; t < sp->ntargets; t++)
            if (!keep[t])
                sp->targets[t].bits = 0;
        fl_free(keep);
        fl_free(names);
        if (st)
            goto done;
    }
    /* A type is drawn only where it can go. */
    unsigned reach = sp->nzones >= 2 ? LINK_BITS : 0;
    for (size_t t = 0; t < sp->ntargets; t++)
        reach |= sp->targets[t].bits;
    sp->types = types & reach;
    if (!sp->types)
        st = fl_error_set(e, FL_INVALID, "explore", "no fault of this space can hit anything: "
                                                    "the targets take none of the fault types");
done:
    cJSON_Delete(o);
    fl_world_free(w);
    if (st) {
        fl_free(sp->targets);
        sp->targets = NULL;
    }
    return st;
}

fl_status fl__explore_validate(const fl_scenario *sc, fl_error *e)
{
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(sc->doc, "explore");
    if (!sec)
        return FL_OK;
    cJSON *doc = NULL;
    fl_status st = fl__scenario_instance(sc, "baseline", NULL, 0, &doc, e);
    if (st)
        return st;
    space sp;
    st = space_build(doc, sc->seed, sec, NULL, &sp, e);
    cJSON_Delete(doc);
    if (!st)
        fl_free(sp.targets);
    return st;
}

/* ---- schedules ------------------------------------------------------------------------ */

typedef struct xfault {
    unsigned kind;  /* fl_fault_kind */
    int target;     /* node faults: index into the space's targets */
    uint32_t mask;  /* partition: the zones of the first group */
    int za, zb;     /* flaky, slow_link: the zone pair */
    fl_time at, dur;
    double mag;     /* slow: factor; flaky: loss */
    fl_time amount; /* slow_link: added latency; clock: step */
} xfault;

typedef struct schedule {
    uint64_t seed; /* the run's workload seed */
    int n;
    xfault f[MAXF];
    double rate[MAXW]; /* shrinking's lowered rate of workload k (space.wl); 0: as written */
} schedule;

static uint64_t splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static fl_time draw_time(fl_rng *r, fl_time lo, fl_time hi)
{
    fl_time t = lo + (fl_time)(fl_rng_uniform(r) * (double)(hi - lo));
    t = (t + FL_MS / 2) / FL_MS * FL_MS; /* whole milliseconds: short, exact text */
    return t < lo ? lo : t > hi ? hi : t;
}

static double round_to(double x, double q) { return round(x / q) * q; }

/* Run i's schedule: a pure function of (seed, i) and the space. */
static void draw_schedule(const space *sp, uint64_t seed, size_t i, schedule *s)
{
    fl_rng r;
    fl_rng_seed(&r, splitmix(seed ^ splitmix((uint64_t)i)), "explore");
    memset(s, 0, sizeof *s);
    s->seed = 1 + fl_rng_below(&r, 1000000000u);
    s->n = 1 + (int)fl_rng_below(&r, (uint64_t)sp->max_faults);
    unsigned kinds[FL_FAULT_COUNT], nk = 0;
    for (unsigned k = 0; k < FL_FAULT_COUNT; k++)
        if (sp->types & (1u << k))
            kinds[nk++] = k;
    for (int j = 0; j < s->n; j++) {
        xfault *f = &s->f[j];
        f->kind = kinds[fl_rng_below(&r, nk)];
        f->at = draw_time(&r, sp->win_lo, sp->win_hi);
        f->dur = draw_time(&r, sp->for_lo, sp->for_hi);
        unsigned bit = 1u << f->kind;
        if (bit & LINK_BITS) {
            int nz = sp->nzones;
            f->mask = 1u | (uint32_t)(fl_rng_below(&r, (1ull << (nz - 1)) - 1) << 1);
            f->za = (int)fl_rng_below(&r, (uint64_t)nz);
            f->zb = (f->za + 1 + (int)fl_rng_below(&r, (uint64_t)nz - 1)) % nz;
        } else {
            size_t cand = 0;
            for (size_t t = 0; t < sp->ntargets; t++)
                cand += (sp->targets[t].bits & bit) != 0;
            uint64_t pick = fl_rng_below(&r, cand);
            for (size_t t = 0; t < sp->ntargets; t++)
                if ((sp->targets[t].bits & bit) && pick-- == 0) {
                    f->target = (int)t;
                    break;
                }
        }
        /* A balancer takes one rollout: a second one drawn for it ends the schedule. */
        bool again = false;
        for (int k = 0; k < j && f->kind == FL_FAULT_ROLLOUT; k++)
            again |= s->f[k].kind == FL_FAULT_ROLLOUT && s->f[k].target == f->target;
        if (again) {
            s->n = j;
            break;
        }
        bool factor = f->kind == FL_FAULT_SLOW || f->kind == FL_FAULT_ROLLOUT;
        f->mag = factor
                     ? round_to(sp->factor_lo + fl_rng_uniform(&r) * (sp->factor_hi - sp->factor_lo), 0.01)
                     : round_to(sp->loss_lo + fl_rng_uniform(&r) * (sp->loss_hi - sp->loss_lo), 0.001);
        if (factor && f->mag < sp->factor_lo)
            f->mag = sp->factor_lo;
        if (f->kind == FL_FAULT_ROLLOUT && f->mag <= 1) /* a version must cost more */
            f->mag = 1.5;
        f->amount = f->kind == FL_FAULT_CLOCK ? draw_time(&r, sp->step_lo, sp->step_hi)
                                              : draw_time(&r, sp->add_lo, sp->add_hi);
        if (f->kind == FL_FAULT_CLOCK && f->amount == 0)
            f->amount = sp->step_hi ? sp->step_hi : sp->step_lo;
    }
}

static void dur_text(fl_time t, char *buf, size_t n)
{
    if (t == 0)
        snprintf(buf, n, "0s");
    else if (t < 0) {
        char x[40];
        fl_format_duration(-t, x, sizeof x);
        snprintf(buf, n, "-%s", x);
    } else
        fl_format_duration(t, buf, n);
}

/* "{n12,c12} | {n345,c345}" */
static void groups_text(const space *sp, uint32_t mask, char *buf, size_t n)
{
    size_t w = 0;
    for (int g = 0; g < 2; g++) {
        w += (size_t)snprintf(buf + w, w < n ? n - w : 0, "%s{", g ? " | " : "");
        int k = 0;
        for (int z = 0; z < sp->nzones; z++)
            if (((mask >> z) & 1u) == (g == 0))
                w += (size_t)snprintf(buf + w, w < n ? n - w : 0, "%s%s", k++ ? "," : "", sp->zones[z]);
        w += (size_t)snprintf(buf + w, w < n ? n - w : 0, "}");
    }
}

/* A fault in words, for labels and stories. */
static void fault_label(const space *sp, const xfault *f, char *buf, size_t n)
{
    char a[40], g[200];
    const char *t = sp->targets[f->target].name;
    switch (f->kind) {
    case FL_FAULT_SLOW: snprintf(buf, n, "%s %gx slower", t, f->mag); break;
    case FL_FAULT_CRASH: snprintf(buf, n, "%s crashes", t); break;
    case FL_FAULT_PAUSE: snprintf(buf, n, "%s paused", t); break;
    case FL_FAULT_HANG: snprintf(buf, n, "%s hangs", t); break;
    case FL_FAULT_BAD_VALUE: snprintf(buf, n, "%s gets invalid values", t); break;
    case FL_FAULT_ROLLOUT: snprintf(buf, n, "%s: a new version, %gx CPU, everywhere", t, f->mag); break;
    case FL_FAULT_CLOCK:
        dur_text(f->amount, a, sizeof a);
        snprintf(buf, n, "%s clock steps %s%s", t, f->amount >= 0 ? "+" : "", a);
        break;
    case FL_FAULT_PARTITION:
        groups_text(sp, f->mask, g, sizeof g);
        snprintf(buf, n, "partition %s", g);
        break;
    case FL_FAULT_FLAKY:
        snprintf(buf, n, "%s<->%s loses %g%%", sp->zones[f->za], sp->zones[f->zb], f->mag * 100);
        break;
    case FL_FAULT_SLOW_LINK:
        dur_text(f->amount, a, sizeof a);
        snprintf(buf, n, "%s<->%s +%s", sp->zones[f->za], sp->zones[f->zb], a);
        break;
    default: snprintf(buf, n, "?"); break;
    }
}

/* One fault as the scenario file writes it. */
static cJSON *fault_json(const space *sp, const xfault *f)
{
    cJSON *o = cJSON_CreateObject();
    char a[40], lab[200];
    if (!o)
        return NULL;
    dur_text(f->at, a, sizeof a);
    cJSON_AddStringToObject(o, "at", a);
    if (f->kind != FL_FAULT_CLOCK && f->kind != FL_FAULT_ROLLOUT) {
        dur_text(f->dur, a, sizeof a);
        cJSON_AddStringToObject(o, "for", a);
    }
    const char *name = fl_fault_name(f->kind);
    const char *t = sp->targets[f->target].name;
    cJSON *x;
    switch (f->kind) {
    case FL_FAULT_SLOW:
        x = cJSON_AddObjectToObject(o, name);
        cJSON_AddStringToObject(x, "node", t);
        cJSON_AddNumberToObject(x, "factor", f->mag);
        break;
    case FL_FAULT_ROLLOUT: { /* a global push, rolled back by hand `dur` later */
        x = cJSON_AddObjectToObject(o, name);
        cJSON_AddStringToObject(x, "to", t);
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(x, "effect"), "cpu_factor", f->mag);
        dur_text(f->dur, a, sizeof a);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(x, "rollback"), "after", a);
        break;
    }
    case FL_FAULT_CLOCK:
        x = cJSON_AddObjectToObject(o, name);
        cJSON_AddStringToObject(x, "node", t);
        dur_text(f->amount, a, sizeof a);
        snprintf(lab, sizeof lab, "%s%s", f->amount >= 0 ? "+" : "", a);
        cJSON_AddStringToObject(x, "step", lab);
        break;
    case FL_FAULT_PARTITION: {
        x = cJSON_AddArrayToObject(o, name);
        for (int g = 0; g < 2; g++) {
            cJSON *grp = cJSON_CreateArray();
            cJSON_AddItemToArray(x, grp);
            for (int z = 0; z < sp->nzones; z++)
                if (((f->mask >> z) & 1u) == (g == 0))
                    cJSON_AddItemToArray(grp, cJSON_CreateString(sp->zones[z]));
        }
        break;
    }
    case FL_FAULT_FLAKY:
    case FL_FAULT_SLOW_LINK: {
        x = cJSON_AddObjectToObject(o, name);
        cJSON *b = cJSON_AddArrayToObject(x, "between");
        cJSON_AddItemToArray(b, cJSON_CreateString(sp->zones[f->za]));
        cJSON_AddItemToArray(b, cJSON_CreateString(sp->zones[f->zb]));
        if (f->kind == FL_FAULT_FLAKY)
            cJSON_AddNumberToObject(x, "loss", f->mag);
        else {
            dur_text(f->amount, a, sizeof a);
            cJSON_AddStringToObject(x, "add", a);
        }
        break;
    }
    default: cJSON_AddStringToObject(o, name, t); break;
    }
    fault_label(sp, f, lab, sizeof lab);
    char l2[96];
    snprintf(l2, sizeof l2, "%s", lab);
    cJSON_AddStringToObject(o, "label", l2);
    return o;
}

/* The schedule as a "faults" array (after `kept`, the scenario's own, when not NULL). */
static cJSON *schedule_json(const space *sp, const schedule *s, const cJSON *kept)
{
    cJSON *arr = kept ? cJSON_Duplicate(kept, 1) : cJSON_CreateArray();
    for (int j = 0; arr && j < s->n; j++)
        cJSON_AddItemToArray(arr, fault_json(sp, &s->f[j]));
    return arr;
}

/* ---- properties ----------------------------------------------------------------------- */

#define MAXV 6 /* properties kept per run */

typedef struct verdict {
    int n;                      /* properties broken */
    bool safety[MAXV];
    char figure[MAXV][160];     /* the figure (or expectation) */
    double value[MAXV];
    char expect[MAXV][64];
    char example[MAXV][3][128]; /* the checker's first examples */
    int nex[MAXV];
} verdict;

static void add_violation(verdict *v, bool safety, const char *fig, double value,
                          const char *expect, const cJSON *parent)
{
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->figure[i], fig) == 0)
            return;
    if (v->n >= MAXV)
        return;
    int i = v->n++;
    v->safety[i] = safety;
    snprintf(v->figure[i], sizeof v->figure[i], "%s", fig);
    v->value[i] = value;
    snprintf(v->expect[i], sizeof v->expect[i], "%s", expect);
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(parent, "examples");
    v->nex[i] = 0;
    for (const cJSON *x = cJSON_IsArray(ex) ? ex->child : NULL; x && v->nex[i] < 3; x = x->next) {
        const char *w = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "what"));
        double t = fl__summary_number(cJSON_GetObjectItemCaseSensitive(x, "t_s"));
        if (w)
            snprintf(v->example[i][v->nex[i]++], sizeof v->example[i][0], "at %.6gs: %s", t, w);
    }
}

/* A false flag at `path` whose catalogue entry is the flag of a censored duration counted
 * from the end of the faults: the system did not come back. */
static bool liveness_flag(const char *path)
{
    size_t n;
    const fl_figure_info *tab = fl_figure_table(&n);
    const char *dot = strrchr(path, '.');
    const char *last = dot ? dot + 1 : path;
    for (size_t i = 0; i < n; i++) {
        const fl_figure_info *f = &tab[i];
        if (f->type != FL_FIGURE_CENSORED || !f->origin || !f->flag || strcmp(f->flag, last) != 0)
            continue;
        char flagpat[256];
        const char *pd = strrchr(f->pattern, '.');
        snprintf(flagpat, sizeof flagpat, "%.*s%s", pd ? (int)(pd - f->pattern + 1) : 0,
                 f->pattern, f->flag);
        if (fl_figure_match(flagpat, path))
            return true;
    }
    return false;
}

static void walk(const cJSON *o, char *path, size_t len, size_t cap, bool liveness, verdict *v)
{
    for (const cJSON *it = o->child; it; it = it->next) {
        if (!it->string)
            continue;
        size_t k = (size_t)snprintf(path + len, cap - len, "%s%s", len ? "." : "", it->string);
        if (len + k >= cap)
            continue;
        if (cJSON_IsObject(it))
            walk(it, path, len + k, cap, liveness, v);
        else if (cJSON_IsNumber(it)) { /* as summary.json has it (pool.h) */
            const fl_figure_info *fi = fl_figure_lookup(path);
            double x = fl__summary_number(it);
            if (fi && fi->invariant && x > 0)
                add_violation(v, true, path, x, "== 0", o);
        } else if (liveness && cJSON_IsFalse(it) && liveness_flag(path))
            add_violation(v, false, path, 0, "== true", o);
        path[len] = 0;
    }
}

/* The properties a run's summary breaks, safety first (in summary order). */
static void judge(const cJSON *s, bool liveness, verdict *v)
{
    memset(v, 0, sizeof *v);
    char path[512] = "";
    walk(s, path, 0, sizeof path, false, v);
    const cJSON *xs = cJSON_GetObjectItemCaseSensitive(s, "expectations");
    for (const cJSON *x = xs ? xs->child : NULL; x; x = x->next)
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "invariant")) &&
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "pass"))) {
            const char *fig = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "figure"));
            const char *ex = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "expect"));
            add_violation(v, true, fig ? fig : "?",
                          fl__summary_number(cJSON_GetObjectItemCaseSensitive(x, "actual")),
                          ex ? ex : "", NULL);
        }
    if (liveness) {
        path[0] = 0;
        walk(s, path, 0, sizeof path, true, v);
    }
}

/* ---- running -------------------------------------------------------------------------- */

typedef struct explorer {
    const fl_scenario *sc;
    const fl_explore_config *cfg;
    const char *variant;
    space sp;
    cJSON *kept; /* the variant's own faults, with keep_faults */
    pthread_mutex_t lock;
    size_t done;
    uint64_t faults_tried;
    size_t nviol;
    fl_status cut; /* a run stopped by poll or a limit */
    fl_status bad; /* a run refused (bad override): stops everything */
    size_t bad_run; /* the lowest run index that was refused (its error is err) */
    fl_error err;
    size_t total; /* the search's runs this process does (progress) */
} explorer;

static int run_poll(void *ctx, double frac)
{
    const explorer *x = ctx;
    (void)frac;
    return x->cfg->poll ? x->cfg->poll(x->cfg->poll_ctx) : 0;
}

static const char *run_why(void *ctx)
{
    const explorer *x = ctx;
    return x->cfg->why_stopped ? x->cfg->why_stopped(x->cfg->poll_ctx) : NULL;
}

/* The overrides of s's lowered rates ("workloads.client1.rate=0.4/s") into buf; their
 * count. */
static size_t rate_sets(const space *sp, const schedule *s, char (*buf)[FL_NAME_MAX + 64])
{
    size_t n = 0;
    for (int k = 0; k < sp->nwl; k++)
        if (s->rate[k] > 0)
            snprintf(buf[n++], sizeof buf[0], "workloads.%s.rate=%.6g/s", sp->wl[k], s->rate[k]);
    return n;
}

/* Runs schedule s; *v gets the properties it broke. FL_OK, or the run's status. */
static fl_status try_schedule(explorer *x, const schedule *s, verdict *v, fl_error *e)
{
    memset(v, 0, sizeof *v);
    cJSON *arr = schedule_json(&x->sp, s, x->kept);
    char *text = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    char rates[MAXW][FL_NAME_MAX + 64];
    size_t nr = rate_sets(&x->sp, s, rates);
    size_t nsets = x->cfg->nsets + 1 + nr;
    const char **sets = fl_calloc(nsets, sizeof *sets);
    char *faults = text ? fl_malloc(strlen(text) + 8) : NULL;
    if (!sets || !faults) {
        cJSON_free(text);
        fl_free(sets);
        fl_free(faults);
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    }
    sprintf(faults, "faults=%s", text);
    cJSON_free(text);
    for (size_t i = 0; i < x->cfg->nsets; i++)
        sets[i] = x->cfg->sets[i];
    sets[x->cfg->nsets] = faults;
    for (size_t i = 0; i < nr; i++)
        sets[x->cfg->nsets + 1 + i] = rates[i];
    fl_run_config rc = {0};
    rc.variant = x->variant;
    rc.seed = s->seed;
    rc.seed_given = true;
    rc.sets = sets;
    rc.nsets = nsets;
    rc.max_events = x->cfg->max_events ? x->cfg->max_events : 100000000000ULL;
    if (x->cfg->poll) {
        rc.progress = run_poll;
        rc.why_stopped = run_why;
        rc.progress_ctx = x;
    }
    rc.figures_only = true; /* it judges the summary's figures and writes nothing */
    fl_result *r = NULL;
    fl_status st = fl_run(x->sc, &rc, &r, e);
    if (st == FL_OK)
        judge(r->summary, !x->cfg->safety_only, v);
    fl_result_free(r);
    fl_free(sets);
    fl_free(faults);
    return st;
}

typedef struct run_rec {
    schedule s;
    verdict v;
    bool ran;
} run_rec;

typedef struct batch {
    explorer *x;
    run_rec *recs;
    bool search;          /* the search proper: counts progress */
    size_t first, stride; /* job i is record first + i * stride (this process's share) */
} batch;

static void batch_one(void *ctx, size_t i)
{
    batch *b = ctx;
    explorer *x = b->x;
    i = b->first + i * b->stride;
    run_rec *rr = &b->recs[i];
    pthread_mutex_lock(&x->lock);
    bool stop = x->bad || x->cut;
    pthread_mutex_unlock(&x->lock);
    if (stop || (x->cfg->poll && x->cfg->poll(x->cfg->poll_ctx))) {
        pthread_mutex_lock(&x->lock);
        if (!x->cut && !x->bad)
            x->cut = FL_INTERRUPTED;
        pthread_mutex_unlock(&x->lock);
        return;
    }
    fl_error e;
    fl_error_clear(&e);
    fl_status st = try_schedule(x, &rr->s, &rr->v, &e);
    pthread_mutex_lock(&x->lock);
    if (st == FL_OK) {
        rr->ran = true;
        if (b->search) {
            x->done++;
            x->faults_tried += (uint64_t)rr->s.n;
            x->nviol += rr->v.n > 0;
            if (x->cfg->progress)
                x->cfg->progress(x->cfg->progress_ctx, x->done, x->total, x->faults_tried,
                                 x->nviol);
        }
    } else if (st == FL_INTERRUPTED || st == FL_LIMIT) {
        if (!x->cut)
            x->cut = st;
    } else if (!x->bad || i < x->bad_run) { /* the lowest run's error, whatever the order */
        x->bad = st;
        x->bad_run = i;
        x->err = e;
    }
    pthread_mutex_unlock(&x->lock);
}

static void run_batch(explorer *x, run_rec *recs, size_t n, bool search)
{
    batch b = {x, recs, search, 0, 1};
    fl__pool_run(n, x->cfg->jobs, batch_one, &b);
}

/* The search over processes: this one runs records rank, rank + size, ... on its threads;
 * process 0 then gathers every record (and the lowest refused run, the stop status), so
 * what it reports and shrinks is what one process would have found. */
static fl_status run_search(explorer *x, run_rec *recs, size_t n, fl_error *e)
{
    const fl_sweep_dist *d = x->cfg->dist;
    size_t rank = d && d->size > 1 ? (size_t)d->rank : 0,
           np = d && d->size > 1 ? (size_t)d->size : 1;
    x->total = n > rank ? (n - rank + np - 1) / np : 0;
    batch b = {x, recs, true, rank, np};
    fl__pool_run(x->total, x->cfg->jobs, batch_one, &b);
    if (np == 1)
        return FL_OK;
    size_t fail = x->bad ? x->bad_run : SIZE_MAX;
    int cut = (int)x->cut;
    fl_status st = fl__dist_gather_records(d, recs, n, sizeof *recs, &fail, &x->err, &cut, e);
    if (st)
        return st;
    x->bad = fail == SIZE_MAX ? FL_OK : x->err.status ? x->err.status : FL_INVALID;
    x->bad_run = fail;
    x->cut = (fl_status)cut;
    return FL_OK;
}

/* Does candidate c break `fig` (the property being shrunk)? */
static bool still_breaks(const run_rec *r, const char *fig)
{
    if (!r->ran)
        return false;
    for (int i = 0; i < r->v.n; i++)
        if (strcmp(r->v.figure[i], fig) == 0)
            return true;
    return false;
}

static bool try_one(explorer *x, const schedule *s, const char *fig, int *runs, verdict *out)
{
    run_rec r = {*s, {0}, false};
    run_batch(x, &r, 1, false);
    (*runs)++;
    bool ok = still_breaks(&r, fig);
    if (ok && out)
        *out = r.v;
    return ok;
}

/* Moves one field of fault j from its value (which breaks fig) toward `goal` by bisection,
 * keeping the smallest value still breaking it. Times in ns, or magnitudes (mag). */
static void shrink_time(explorer *x, schedule *s, int j, fl_time *field, fl_time goal,
                        const char *fig, int *runs, verdict *v)
{
    fl_time good = *field, bad = goal;
    if (good == goal)
        return;
    *field = goal; /* the least first: often enough */
    if (try_one(x, s, fig, runs, v))
        return;
    for (int step = 0; step < 6; step++) {
        fl_time mid = (good + bad) / 2;
        mid = mid / FL_MS * FL_MS;
        if (mid == good || mid == bad)
            break;
        *field = mid;
        if (try_one(x, s, fig, runs, v))
            good = mid;
        else
            bad = mid;
        if (x->cut || x->bad)
            break;
    }
    *field = good;
    (void)j;
}

static void shrink_mag(explorer *x, schedule *s, double *field, double goal, double q,
                       const char *fig, int *runs, verdict *v)
{
    double good = *field, bad = goal;
    if (good == goal)
        return;
    *field = goal;
    if (try_one(x, s, fig, runs, v))
        return;
    for (int step = 0; step < 6; step++) {
        double mid = round_to((good + bad) / 2, q);
        if (mid == good || mid == bad)
            break;
        *field = mid;
        if (try_one(x, s, fig, runs, v))
            good = mid;
        else
            bad = mid;
        if (x->cut || x->bad)
            break;
    }
    *field = good;
}

/* Delta debugging over the faults (for a handful, one removal at a time is ddmin's last
 * level, and the candidates of a round run in parallel: the first that still breaks the
 * property wins, whatever the number of threads), then each fault made shorter, smaller
 * and earlier, then each constant-rate workload slower. s ends as a schedule that still
 * breaks fig; v as its verdict. */
static int shrink(explorer *x, schedule *s, const char *fig, verdict *v)
{
    int runs = 0;
    while (s->n > 1 && !x->cut && !x->bad) {
        run_rec cand[MAXF];
        for (int j = 0; j < s->n; j++) {
            cand[j].s = *s;
            cand[j].ran = false;
            memmove(&cand[j].s.f[j], &cand[j].s.f[j + 1], (size_t)(s->n - j - 1) * sizeof(xfault));
            cand[j].s.n--;
        }
        run_batch(x, cand, (size_t)s->n, false);
        runs += s->n;
        int pick = -1;
        for (int j = 0; j < s->n && pick < 0; j++)
            if (still_breaks(&cand[j], fig))
                pick = j;
        if (pick < 0)
            break;
        *s = cand[pick].s;
        *v = cand[pick].v;
    }
    const space *sp = &x->sp;
    for (int j = 0; j < s->n && !x->cut && !x->bad; j++) {
        xfault *f = &s->f[j];
        if (f->kind != FL_FAULT_CLOCK)
            shrink_time(x, s, j, &f->dur, sp->for_lo, fig, &runs, v);
        if (f->kind == FL_FAULT_SLOW || f->kind == FL_FAULT_ROLLOUT)
            shrink_mag(x, s, &f->mag, f->kind == FL_FAULT_ROLLOUT && sp->factor_lo <= 1 ? 1.01
                                                                                        : sp->factor_lo,
                       0.01, fig, &runs, v);
        else if (f->kind == FL_FAULT_FLAKY)
            shrink_mag(x, s, &f->mag, sp->loss_lo, 0.001, fig, &runs, v);
        else if (f->kind == FL_FAULT_SLOW_LINK)
            shrink_time(x, s, j, &f->amount, sp->add_lo, fig, &runs, v);
        else if (f->kind == FL_FAULT_CLOCK)
            shrink_time(x, s, j, &f->amount, f->amount > 0 ? FL_MS : -FL_MS, fig, &runs, v);
        shrink_time(x, s, j, &f->at, sp->win_lo, fig, &runs, v);
    }
    /* Then each constant-rate workload, down to a tenth of its rate (3 significant
     * digits): the least load at which the schedule still breaks the property. */
    for (int k = 0; k < sp->nwl && !x->cut && !x->bad; k++) {
        double r = sp->wl_rate[k];
        double q = pow(10, floor(log10(r)) - 2);
        s->rate[k] = r;
        shrink_mag(x, s, &s->rate[k], round_to(r / 10, q), q, fig, &runs, v);
        if (s->rate[k] == r)
            s->rate[k] = 0; /* as written */
    }
    return runs;
}

/* ---- output --------------------------------------------------------------------------- */

static cJSON *verdict_json(const verdict *v)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < v->n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        cJSON_AddStringToObject(o, "property", v->safety[i] ? "safety" : "liveness");
        cJSON_AddStringToObject(o, "figure", v->figure[i]);
        if (v->safety[i])
            cJSON_AddNumberToObject(o, "value", v->value[i]);
        cJSON_AddStringToObject(o, "expected", v->expect[i]);
        cJSON *ex = cJSON_AddArrayToObject(o, "examples");
        for (int k = 0; k < v->nex[i]; k++)
            cJSON_AddItemToArray(ex, cJSON_CreateString(v->example[i][k]));
    }
    return a;
}

static const char *verdict_index_text(const verdict *v, int i, char *buf, size_t n)
{
    if (v->safety[i])
        snprintf(buf, n, "%s = %.6g (expected %s)", v->figure[i], v->value[i], v->expect[i]);
    else
        snprintf(buf, n, "%s = false (did not recover after the last fault)", v->figure[i]);
    return buf;
}

/* The found scenario: the variant's model as one plain scenario, the schedule as its
 * faults, the run's seed, an invariant expectation that it breaks, and its story. */
static fl_status write_found(explorer *x, const schedule *s, const verdict *v, int vi,
                             const schedule *orig, size_t run, int shrink_runs, int k,
                             char *path, size_t pn, bool *replays, fl_error *e)
{
    const fl_explore_config *cfg = x->cfg;
    cJSON *doc = NULL;
    /* The run's overrides and the lowered rates, written into the model itself. */
    char rates[MAXW][FL_NAME_MAX + 64];
    size_t nr = rate_sets(&x->sp, s, rates);
    const char **sets = fl_calloc(cfg->nsets + nr + 1, sizeof *sets);
    if (!sets)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    for (size_t i = 0; i < cfg->nsets; i++)
        sets[i] = cfg->sets[i];
    for (size_t i = 0; i < nr; i++)
        sets[cfg->nsets + i] = rates[i];
    fl_status st = fl__scenario_instance(x->sc, x->variant, sets, cfg->nsets + nr, &doc, e);
    fl_free(sets);
    if (st)
        return st;
    char name[FL_NAME_MAX + 1], buf[2048];
    snprintf(name, sizeof name, "%.50s-%d", fl_scenario_name(x->sc), k);
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "variants");
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "expect");
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "explore");
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "name", cJSON_CreateString(name));
    snprintf(buf, sizeof buf, "Found by faultline explore: %s breaks %s %s",
             fl_scenario_name(x->sc), v->safety[vi] ? "safety," : "liveness,", v->figure[vi]);
    if (cJSON_GetObjectItemCaseSensitive(doc, "title"))
        cJSON_ReplaceItemInObjectCaseSensitive(doc, "title", cJSON_CreateString(buf));
    else
        cJSON_AddStringToObject(doc, "title", buf);
    if (cJSON_GetObjectItemCaseSensitive(doc, "seed"))
        cJSON_ReplaceItemInObjectCaseSensitive(doc, "seed", cJSON_CreateNumber((double)s->seed));
    else
        cJSON_AddNumberToObject(doc, "seed", (double)s->seed);
    cJSON *faults = schedule_json(&x->sp, s, x->kept);
    if (cJSON_GetObjectItemCaseSensitive(doc, "faults"))
        cJSON_ReplaceItemInObjectCaseSensitive(doc, "faults", faults);
    else
        cJSON_AddItemToObject(doc, "faults", faults);
    /* The story: which faults, what broke, the checker's first examples. */
    size_t w = 0;
    char t[300];
    w += (size_t)snprintf(buf + w, sizeof buf - w,
                          "faultline explore drew %d random fault schedules for %s (variant %s, "
                          "seed %llu); run #%zu (workload seed %llu, %d fault%s) broke %s. "
                          "Shrunk in %d more runs to %d fault%s:",
                          cfg->runs, fl_scenario_name(x->sc), x->variant,
                          (unsigned long long)cfg->seed, run, (unsigned long long)orig->seed,
                          orig->n, orig->n == 1 ? "" : "s", verdict_index_text(v, vi, t, sizeof t),
                          shrink_runs, s->n, s->n == 1 ? "" : "s");
    for (int j = 0; j < s->n && w < sizeof buf; j++) {
        char a[40], d[40];
        dur_text(s->f[j].at, a, sizeof a);
        dur_text(s->f[j].dur, d, sizeof d);
        fault_label(&x->sp, &s->f[j], t, sizeof t);
        w += (size_t)snprintf(buf + w, sizeof buf - w, " %s at %s%s%s%s", t, a,
                              s->f[j].kind == FL_FAULT_CLOCK ? "" : " for ",
                              s->f[j].kind == FL_FAULT_CLOCK ? "" : d, j + 1 < s->n ? ";" : ".");
    }
    if (x->kept && w < sizeof buf)
        w += (size_t)snprintf(buf + w, sizeof buf - w, " (after the scenario's own %d faults.)",
                              cJSON_GetArraySize(x->kept));
    for (int q = 0; q < x->sp.nwl && w < sizeof buf; q++)
        if (s->rate[q] > 0)
            w += (size_t)snprintf(buf + w, sizeof buf - w,
                                  " Workload %s's rate lowered to %.6g/s (from %.6g/s).",
                                  x->sp.wl[q], s->rate[q], x->sp.wl_rate[q]);
    for (int i = 0; i < v->n && w < sizeof buf; i++) {
        w += (size_t)snprintf(buf + w, sizeof buf - w, " %s: %s.",
                              i == vi ? "What broke" : "Also broken",
                              verdict_index_text(v, i, t, sizeof t));
        for (int q = 0; q < v->nex[i] && w < sizeof buf; q++)
            w += (size_t)snprintf(buf + w, sizeof buf - w, " Example: %s.", v->example[i][q]);
    }
    if (w < sizeof buf)
        snprintf(buf + w, sizeof buf - w, " Replay: faultline run THIS_FILE --check fails with "
                                          "it. The model and parameters are %s's as written; "
                                          "only the faults and the seed were chosen.",
                 fl_scenario_name(x->sc));
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "story", cJSON_CreateString(buf));
    if (!cJSON_GetObjectItemCaseSensitive(doc, "story"))
        cJSON_AddStringToObject(doc, "story", buf);
    cJSON *refs = cJSON_GetObjectItemCaseSensitive(doc, "references");
    if (!refs)
        refs = cJSON_AddArrayToObject(doc, "references");
    snprintf(buf, sizeof buf, "found by: %s (run #%zu)",
             cfg->command ? cfg->command : "faultline explore", run);
    cJSON_AddItemToArray(refs, cJSON_CreateString(buf));
    cJSON *ex = cJSON_AddObjectToObject(doc, "expect");
    cJSON *bl = cJSON_AddObjectToObject(ex, "baseline");
    if (v->safety[vi]) {
        cJSON *c = cJSON_AddObjectToObject(bl, v->figure[vi]);
        cJSON_AddStringToObject(c, "check", v->expect[vi]);
        cJSON_AddBoolToObject(c, "invariant", true);
    } else
        cJSON_AddStringToObject(bl, v->figure[vi], "== true");
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    if (fl__mkdirs(cfg->found_dir) != 0) {
        cJSON_free(text);
        return fl_error_set(e, FL_IO, NULL, "cannot create %s: %s", cfg->found_dir, strerror(errno));
    }
    snprintf(path, pn, "%s/%s.json", cfg->found_dir, name);
    /* Replay it as a user would: load the file's text, run it, and look at --check. */
    *replays = false;
    fl_scenario *f = NULL;
    fl_error fe;
    if (fl_scenario_parse(text, strlen(text), path, &f, &fe) == FL_OK) {
        fl_run_config rc = {0};
        rc.max_events = cfg->max_events ? cfg->max_events : 100000000000ULL;
        fl_result *r = NULL;
        if (fl_run(f, &rc, &r, &fe) == FL_OK) {
            int failed = 0;
            fl_result_expectations(r, &failed);
            *replays = failed > 0;
        }
        fl_result_free(r);
        fl_scenario_free(f);
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "w");
    bool ok = fp && fputs(text, fp) >= 0 && fputc('\n', fp) != EOF;
    if (fp && fclose(fp) != 0)
        ok = false;
    cJSON_free(text);
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return fl_error_set(e, FL_IO, NULL, "cannot write %s: %s", path, strerror(errno));
    }
    return FL_OK;
}

static cJSON *space_json(const space *sp)
{
    cJSON *o = cJSON_CreateObject();
    char a[40], b[40], l[256];
    cJSON *fs = cJSON_AddArrayToObject(o, "faults");
    for (unsigned k = 0; k < FL_FAULT_COUNT; k++)
        if (sp->types & (1u << k))
            cJSON_AddItemToArray(fs, cJSON_CreateString(fl_fault_name(k)));
    cJSON *ts = cJSON_AddArrayToObject(o, "targets");
    for (size_t t = 0; t < sp->ntargets; t++)
        if (sp->targets[t].bits & sp->types)
            cJSON_AddItemToArray(ts, cJSON_CreateString(sp->targets[t].name));
    cJSON *zs = cJSON_AddArrayToObject(o, "zones");
    for (int z = 0; z < sp->nzones && (sp->types & LINK_BITS); z++)
        cJSON_AddItemToArray(zs, cJSON_CreateString(sp->zones[z]));
    cJSON_AddNumberToObject(o, "max_faults", sp->max_faults);
#define RANGE(key, lo, hi)                                                                     \
    do {                                                                                       \
        dur_text(lo, a, sizeof a);                                                             \
        dur_text(hi, b, sizeof b);                                                             \
        snprintf(l, sizeof l, "%s..%s", a, b);                                                 \
        cJSON_AddStringToObject(o, key, l);                                                    \
    } while (0)
    RANGE("window", sp->win_lo, sp->win_hi);
    RANGE("for", sp->for_lo, sp->for_hi);
    if (sp->types & FL_FAULT_BIT(SLOW_LINK))
        RANGE("add", sp->add_lo, sp->add_hi);
    if (sp->types & FL_FAULT_BIT(CLOCK))
        RANGE("step", sp->step_lo, sp->step_hi);
#undef RANGE
    if (sp->types & (FL_FAULT_BIT(SLOW) | FL_FAULT_BIT(ROLLOUT))) {
        snprintf(l, sizeof l, "%g..%g", sp->factor_lo, sp->factor_hi);
        cJSON_AddStringToObject(o, "factor", l);
    }
    if (sp->types & FL_FAULT_BIT(FLAKY)) {
        snprintf(l, sizeof l, "%g..%g", sp->loss_lo, sp->loss_hi);
        cJSON_AddStringToObject(o, "loss", l);
    }
    return o;
}

static cJSON *schedule_out(const space *sp, const schedule *s)
{
    cJSON *a = cJSON_CreateArray();
    for (int j = 0; a && j < s->n; j++) {
        char l[200], at[40], d[40], t[300];
        fault_label(sp, &s->f[j], l, sizeof l);
        dur_text(s->f[j].at, at, sizeof at);
        dur_text(s->f[j].dur, d, sizeof d);
        if (s->f[j].kind == FL_FAULT_CLOCK)
            snprintf(t, sizeof t, "at %s: %s", at, l);
        else
            snprintf(t, sizeof t, "at %s for %s: %s", at, d, l);
        cJSON_AddItemToArray(a, cJSON_CreateString(t));
    }
    return a;
}

fl_status fl_explore(const fl_scenario *sc, const fl_explore_config *cfg, char **json,
                     size_t *violations, fl_error *e)
{
    *json = NULL;
    *violations = 0;
    fl_error_clear(e);
    if (cfg->runs < 1 || cfg->runs > FL_EXPLORE_MAX_RUNS)
        return fl_error_set(e, FL_USAGE, NULL, "--runs: expected 1 to %d", FL_EXPLORE_MAX_RUNS);
    explorer *x = fl_calloc(1, sizeof *x);
    if (!x)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    x->sc = sc;
    x->cfg = cfg;
    x->variant = cfg->variant ? cfg->variant : "baseline";
    pthread_mutex_init(&x->lock, NULL);
    cJSON *doc = NULL, *over = NULL, *out = NULL;
    run_rec *recs = NULL;
    fl_status st = fl__scenario_instance(sc, x->variant, cfg->sets, cfg->nsets, &doc, e);
    if (st)
        goto done;
    if (cfg->space_json && !(over = cJSON_Parse(cfg->space_json))) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto done;
    }
    if ((st = space_build(doc, sc->seed, cJSON_GetObjectItemCaseSensitive(sc->doc, "explore"),
                          over, &x->sp, e)))
        goto done;
    if (cfg->keep_faults) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(doc, "faults");
        x->kept = f ? cJSON_Duplicate(f, 1) : cJSON_CreateArray();
    }
    size_t n = (size_t)cfg->runs;
    if (!(recs = fl_calloc(n, sizeof *recs))) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        draw_schedule(&x->sp, cfg->seed, i, &recs[i].s);
    if ((st = run_search(x, recs, n, e)))
        goto done;
    if (cfg->dist && cfg->dist->rank != 0)
        goto done; /* process 0 reports, shrinks and writes */
    if (x->bad) {
        st = x->bad;
        *e = x->err;
        goto done;
    }
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "scenario", fl_scenario_name(sc));
    cJSON_AddStringToObject(out, "file", fl_scenario_file(sc));
    cJSON_AddStringToObject(out, "variant", x->variant);
    cJSON_AddStringToObject(out, "faultline_version", FL_VERSION);
    cJSON_AddNumberToObject(out, "seed", (double)cfg->seed);
    cJSON_AddNumberToObject(out, "runs", (double)n);
    cJSON_AddBoolToObject(out, "keep_faults", cfg->keep_faults);
    cJSON_AddStringToObject(out, "properties", cfg->safety_only ? "safety" : "safety, liveness");
    cJSON_AddItemToObject(out, "space", space_json(&x->sp));
    size_t ran = 0, nv = 0;
    uint64_t tried = 0;
    for (size_t i = 0; i < n; i++)
        if (recs[i].ran) {
            ran++;
            tried += (uint64_t)recs[i].s.n;
            nv += recs[i].v.n > 0;
        }
    cJSON_AddBoolToObject(out, "complete", ran == n);
    if (ran != n) {
        const char *why = cfg->why_stopped ? cfg->why_stopped(cfg->poll_ctx) : NULL;
        cJSON_AddStringToObject(out, "stopped_because",
                                why ? why : x->cut == FL_LIMIT ? "event limit (--max-events)"
                                                               : "interrupted");
    }
    cJSON_AddNumberToObject(out, "runs_done", (double)ran);
    cJSON_AddNumberToObject(out, "faults_tried", (double)tried);
    cJSON_AddNumberToObject(out, "runs_violating", (double)nv);
    *violations = nv;
    /* Distinct violations: by the first property each run broke, in run order. */
    cJSON *found = cJSON_AddArrayToObject(out, "found");
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!recs[i].ran || !recs[i].v.n)
            continue;
        const char *fig = recs[i].v.figure[0];
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = recs[j].ran && recs[j].v.n && strcmp(recs[j].v.figure[0], fig) == 0;
        if (seen)
            continue;
        /* Shrinking starts from the smallest schedule that broke it (the earliest such). */
        size_t count = 0, best = i;
        for (size_t j = i; j < n; j++)
            if (recs[j].ran && recs[j].v.n && strcmp(recs[j].v.figure[0], fig) == 0) {
                count++;
                if (recs[j].s.n < recs[best].s.n)
                    best = j;
            }
        cJSON *fo = cJSON_CreateObject();
        cJSON_AddItemToArray(found, fo);
        cJSON_AddStringToObject(fo, "property", recs[i].v.safety[0] ? "safety" : "liveness");
        cJSON_AddStringToObject(fo, "figure", fig);
        cJSON_AddNumberToObject(fo, "runs", (double)count);
        cJSON_AddNumberToObject(fo, "first_run", (double)i);
        cJSON_AddNumberToObject(fo, "seed", (double)recs[i].s.seed);
        cJSON_AddItemToObject(fo, "schedule", schedule_out(&x->sp, &recs[i].s));
        cJSON_AddItemToObject(fo, "broke", verdict_json(&recs[i].v));
        int limit = cfg->max_found > 0 ? cfg->max_found : 5;
        if (cfg->no_shrink || k >= limit || x->cut)
            continue;
        cJSON_AddNumberToObject(fo, "shrunk_from_run", (double)best);
        schedule s = recs[best].s;
        verdict v = recs[best].v;
        int sr = shrink(x, &s, fig, &v);
        if (x->bad) {
            st = x->bad;
            *e = x->err;
            goto done;
        }
        if (x->cut)
            continue;
        k++;
        cJSON *so = cJSON_AddObjectToObject(fo, "shrunk");
        cJSON_AddNumberToObject(so, "runs", sr);
        cJSON_AddNumberToObject(so, "faults", s.n);
        cJSON_AddItemToObject(so, "schedule", schedule_out(&x->sp, &s));
        cJSON *ro = NULL;
        for (int w = 0; w < x->sp.nwl; w++)
            if (s.rate[w] > 0) {
                char t[64];
                snprintf(t, sizeof t, "%.6g/s", s.rate[w]);
                if (!ro)
                    ro = cJSON_AddObjectToObject(so, "rates");
                cJSON_AddStringToObject(ro, x->sp.wl[w], t);
            }
        cJSON_AddItemToObject(so, "broke", verdict_json(&v));
        int vi = 0;
        while (vi < v.n && strcmp(v.figure[vi], fig) != 0)
            vi++;
        if (cfg->found_dir && vi < v.n) {
            char path[4300];
            bool replays = false;
            if ((st = write_found(x, &s, &v, vi, &recs[best].s, best, sr, k, path, sizeof path,
                                  &replays, e)))
                goto done;
            cJSON_AddStringToObject(so, "file", path);
            cJSON_AddBoolToObject(so, "replay_fails_check", replays);
        }
    }
    if (x->cut && ran == n) { /* stopped while shrinking */
        cJSON_ReplaceItemInObjectCaseSensitive(out, "complete", cJSON_CreateFalse());
        const char *why = cfg->why_stopped ? cfg->why_stopped(cfg->poll_ctx) : NULL;
        cJSON_AddStringToObject(out, "stopped_because", why ? why : "interrupted");
    }
    cJSON *rl = cJSON_AddArrayToObject(out, "violating_runs");
    for (size_t i = 0; i < n; i++) {
        if (!recs[i].ran || !recs[i].v.n)
            continue;
        cJSON *ro = cJSON_CreateObject();
        cJSON_AddItemToArray(rl, ro);
        cJSON_AddNumberToObject(ro, "run", (double)i);
        cJSON_AddNumberToObject(ro, "seed", (double)recs[i].s.seed);
        cJSON_AddItemToObject(ro, "schedule", schedule_out(&x->sp, &recs[i].s));
        cJSON *fa = cJSON_AddArrayToObject(ro, "broke");
        for (int j = 0; j < recs[i].v.n; j++)
            cJSON_AddItemToArray(fa, cJSON_CreateString(recs[i].v.figure[j]));
    }
    if (!(*json = cJSON_Print(out)))
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    else if (x->cut)
        st = x->cut;
done:
    cJSON_Delete(out);
    cJSON_Delete(doc);
    cJSON_Delete(over);
    cJSON_Delete(x->kept);
    fl_free(x->sp.targets);
    fl_free(recs);
    pthread_mutex_destroy(&x->lock);
    fl_free(x);
    return st;
}

bool fl__explore_recovered(const cJSON *summary)
{
    verdict v;
    char path[512] = "";
    memset(&v, 0, sizeof v);
    walk(summary, path, 0, sizeof path, true, &v);
    for (int k = 0; k < v.n; k++)
        if (!v.safety[k])
            return false;
    return true;
}

bool fl__explore_liveness_flag(const char *path) { return liveness_flag(path); }
