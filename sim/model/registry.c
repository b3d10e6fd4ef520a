/* The registry of component kinds, generated from the one list (kinds.def). Adding a
 * kind: its file in sim/model/, one line in kinds.def, one in meson.build, and a test. */
#include "model/world.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <faultline/figures.h>
#include <faultline/time.h>

#include "core/cfg.h"

static const fl_component_ops *const kinds[] = {
#define FL_KIND(k) &fl_##k##_ops,
#include "model/kinds.def"
#undef FL_KIND
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static const char *const kind_names[] = {
#define FL_KIND(k) #k,
#include "model/kinds.def"
#undef FL_KIND
    NULL,
};

const fl_component_ops *fl_kind_find(const char *kind)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (strcmp(kinds[i]->kind, kind) == 0)
            return kinds[i];
    return NULL;
}

const char *const *fl_kind_names(void) { return kind_names; }

const fl_component_ops *const *fl_kinds(size_t *n)
{
    *n = NKINDS;
    return kinds;
}

fl_status fl_kind_check(const fl_component_ops *ops, fl_error *e)
{
    const char *k = ops->kind ? ops->kind : "(unnamed)";
    const char *missing = !ops->kind                              ? "kind"
                          : !ops->about                           ? "about"
                          : !ops->params                          ? "params"
                          : !ops->configure                       ? "configure"
                          : !ops->on_request                      ? "on_request"
                          : !ops->report                          ? "report"
                          : !ops->destroy                         ? "destroy"
                          : (ops->faults & ~FL_FAULT_BIT(CLOCK)) && !ops->fault ? "fault"
                          : ops->member_faults && !ops->members   ? "members"
                          : ops->members && !ops->member_zone     ? "member_zone"
                          : NULL;
    if (missing)
        return fl_error_set(e, FL_INTERNAL, "kinds",
                            "kind %s lacks its required \"%s\" (see docs/writing-a-kind.md)", k,
                            missing);
    if (ops->member_faults & ~ops->faults)
        return fl_error_set(e, FL_INTERNAL, "kinds",
                            "kind %s: member_faults must be a subset of faults", k);
    for (const fl_kind_param *p = ops->params; p->key; p++)
        if (!p->type || !p->unit || !p->dflt || !p->example || !p->doc)
            return fl_error_set(e, FL_INTERNAL, "kinds",
                                "kind %s: parameter \"%s\" lacks its type, unit, default, "
                                "example or doc",
                                k, p->key);
    for (const fl_kind_param *p = ops->params; p->key; p++)
        if (p->value != FL_KV_OTHER && !(p->bounds.flags & (FL_BOUND_MIN | FL_BOUND_MAX)))
            return fl_error_set(e, FL_INTERNAL, "kinds",
                                "kind %s: numeric parameter \"%s\" declares no bounds "
                                "(FL_RANGE, FL_AT_LEAST, FL_ABOVE, ...)",
                                k, p->key);
    return FL_OK;
}

fl_status fl_kinds_check(fl_error *e)
{
    fl_status st;
    for (size_t i = 0; i < NKINDS; i++) {
        if ((st = fl_kind_check(kinds[i], e)))
            return st;
        if (strcmp(kinds[i]->kind, kind_names[i]) != 0)
            return fl_error_set(e, FL_INTERNAL, "kinds",
                                "fl_%s_ops names its kind \"%s\" (kinds.def says \"%s\")",
                                kind_names[i], kinds[i]->kind, kind_names[i]);
    }
    return FL_OK;
}

/* The key a parameter is given under in the node's object: "queue" for "queue.capacity",
 * "calls" for "calls[i].keys". */
static size_t head_len(const char *key) { return strcspn(key, ".["); }

static bool is_common(const char *key)
{
    return strcmp(key, "name") == 0 || strcmp(key, "kind") == 0 || strcmp(key, "zone") == 0 ||
           strcmp(key, "clock") == 0;
}

fl_status fl_kind_sub_keys(const fl_component_ops *ops, const char *key, const cJSON *obj,
                           const char *path, fl_error *e)
{
    enum { MAXKEYS = 64 };
    char names[MAXKEYS][64];
    const char *known[MAXKEYS + 1];
    size_t n = 0, len = strlen(key);
    for (const fl_kind_param *p = ops->params; p->key && n < MAXKEYS; p++) {
        if (strncmp(p->key, key, len) != 0 || p->key[len] != '.')
            continue;
        const char *sub = p->key + len + 1;
        size_t k = strcspn(sub, ".[");
        snprintf(names[n], sizeof names[n], "%.*s", (int)k, sub);
        bool seen = false;
        for (size_t i = 0; i < n && !seen; i++)
            seen = strcmp(known[i], names[n]) == 0;
        if (!seen) {
            known[n] = names[n];
            n++;
        }
    }
    known[n] = NULL;
    return fl_cfg_known_keys(obj, path, known, e);
}

fl_status fl_kind_known_keys(const fl_component_ops *ops, const cJSON *cfg, const char *path,
                             fl_error *e)
{
    for (const cJSON *it = cfg ? cfg->child : NULL; it; it = it->next) {
        if (is_common(it->string))
            continue;
        bool ok = false;
        for (const fl_kind_param *p = ops->params; p->key && !ok; p++)
            ok = head_len(p->key) == strlen(it->string) &&
                 strncmp(p->key, it->string, head_len(p->key)) == 0;
        if (ok)
            continue;
        /* The candidates for "did you mean": the common keys and each parameter's head. */
        enum { MAXKEYS = 128 };
        char heads[MAXKEYS][64];
        const char *known[MAXKEYS + 5] = {"name", "kind", "zone", "clock"};
        size_t n = 4, h = 0;
        for (const fl_kind_param *p = ops->params; p->key && h < MAXKEYS; p++, h++) {
            snprintf(heads[h], sizeof heads[h], "%.*s", (int)head_len(p->key), p->key);
            known[n++] = heads[h];
        }
        known[n] = NULL;
        const char *s = fl_cfg_suggest(it->string, known);
        char p[256];
        fl_cfg_join(p, sizeof p, path, it->string);
        if (s)
            return fl_error_set(e, FL_UNKNOWN, p, "unknown key \"%s\" (did you mean \"%s\"?)",
                                it->string, s);
        return fl_error_set(e, FL_UNKNOWN, p, "unknown key \"%s\"", it->string);
    }
    return FL_OK;
}

fl_status fl_kind_check_column(const fl_component *c, const char *name, fl_error *e)
{
    size_t nl = strlen(c->name);
    const char *suffix = strncmp(name, c->name, nl) == 0 && name[nl] == '.' ? name + nl + 1 : NULL;
    for (const fl_kind_series *s = c->ops->series; suffix && s && s->suffix; s++)
        if (fl_figure_match(s->suffix, suffix))
            return FL_OK;
    return fl_error_set(e, FL_INTERNAL, "kinds",
                        "kind %s feeds the series column \"%s\" it does not declare (add it to "
                        "its descriptor's series)",
                        c->ops->kind, name);
}

/* A bound as people write it: "1000000" as "10^6", a fraction as "%g". */
static void num_text(double v, char *buf, size_t n)
{
    double k = v >= 1e6 ? round(log10(v)) : 0;
    if (k > 0 && v == pow(10, k))
        snprintf(buf, n, "10^%.0f", k);
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%g", v);
}

static void rate_text(double v, char *buf, size_t n)
{
    if (v == 0) {
        snprintf(buf, n, "0");
        return;
    }
    if (v > 0 && v < 1 && fabs(v * 86400 - round(v * 86400)) < 1e-6) {
        char d[32];
        num_text(round(v * 86400), d, sizeof d);
        snprintf(buf, n, "%s/day", d);
        return;
    }
    char d[32];
    num_text(v, d, sizeof d);
    snprintf(buf, n, "%s/s", d);
}

static fl_time dur_ns(double s) { return s >= 9.2e9 ? FL_TIME_MAX : (fl_time)llround(s * 1e9); }

static void bound_text(const fl_kind_param *p, double v, char *buf, size_t n)
{
    if (p->value == FL_KV_DURATION && v == 0)
        snprintf(buf, n, "0");
    else if (p->value == FL_KV_DURATION)
        fl_format_duration(dur_ns(v), buf, n);
    else if (p->value == FL_KV_RATE)
        rate_text(v, buf, n);
    else
        num_text(v, buf, n);
}

void fl_kind_bounds_text(const fl_kind_param *p, char *buf, size_t n)
{
    const fl_kind_bounds *b = &p->bounds;
    char lo[32], hi[32];
    bound_text(p, b->min, lo, sizeof lo);
    bound_text(p, b->max, hi, sizeof hi);
    bool mn = b->flags & FL_BOUND_MIN, mx = b->flags & FL_BOUND_MAX;
    bool mo = b->flags & FL_BOUND_MIN_OPEN, xo = b->flags & FL_BOUND_MAX_OPEN;
    const char *lim = b->flags & FL_BOUND_LIMIT ? ", or \"unbounded\"" : "";
    if (mn && mx && !mo && !xo)
        snprintf(buf, n, "%s to %s%s", lo, hi, lim);
    else if (mn && mx)
        snprintf(buf, n, "%s %s and %s %s%s", mo ? "greater than" : "at least", lo,
                 xo ? "less than" : "at most", hi, lim);
    else if (mn)
        snprintf(buf, n, "%s %s%s", mo ? "greater than" : "at least", lo, lim);
    else if (mx)
        snprintf(buf, n, "%s %s%s", xo ? "less than" : "at most", hi, lim);
    else
        snprintf(buf, n, "%s", "");
}

/* The value v (of parameter p, at path ap) against p's bounds: FL_OK, or the message. */
static fl_status out_of_bounds(const fl_kind_param *p, const cJSON *v, double x,
                               const char *ap, fl_error *e)
{
    const fl_kind_bounds *b = &p->bounds;
    bool low = (b->flags & FL_BOUND_MIN) &&
               ((b->flags & FL_BOUND_MIN_OPEN) ? !(x > b->min) : !(x >= b->min));
    bool high = (b->flags & FL_BOUND_MAX) &&
                ((b->flags & FL_BOUND_MAX_OPEN) ? !(x < b->max) : !(x <= b->max));
    if (!low && !high)
        return FL_OK;
    static const char *const what[] = {
        [FL_KV_INTEGER] = "an integer", [FL_KV_NUMBER] = "a number",
        [FL_KV_RATE] = "a rate", [FL_KV_DURATION] = "a duration"};
    char range[96], got[64];
    fl_kind_bounds_text(p, range, sizeof range);
    fl_cfg_describe(v, got, sizeof got);
    /* "from 1 to 10": the getters' wording for a closed range; "of at least 1ms" else. */
    bool closed = (b->flags & FL_BOUND_MIN) && (b->flags & FL_BOUND_MAX) &&
                  !(b->flags & (FL_BOUND_MIN_OPEN | FL_BOUND_MAX_OPEN));
    return fl_error_set(e, FL_INVALID, ap, "expected %s %s%s, got %s", what[p->value],
                        closed ? "from " : strncmp(range, "at ", 3) == 0 ? "of " : "", range, got);
}

static fl_status check_one(const fl_kind_param *p, const cJSON *obj, const char *opath,
                           const char *leaf, fl_error *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, leaf);
    if (!v)
        return FL_OK;
    char ap[256];
    fl_cfg_join(ap, sizeof ap, opath, leaf);
    const fl_kind_bounds *b = &p->bounds;
    double x;
    fl_time t;
    char why[160];
    switch (p->value) {
    case FL_KV_INTEGER:
        if (!cJSON_IsNumber(v))
            return FL_OK; /* "unbounded", or a type error configure names */
        if (!(b->flags & FL_BOUND_LIMIT) && (b->flags & FL_BOUND_MIN) &&
            (b->flags & FL_BOUND_MAX) && !(b->flags & (FL_BOUND_MIN_OPEN | FL_BOUND_MAX_OPEN))) {
            long out; /* the getter's own message: "expected an integer from 1 to 1000000" */
            return fl_cfg_int(obj, opath, leaf, FL_CFG_OPTIONAL, 0, (long)b->min, (long)b->max,
                              &out, e);
        }
        if (b->flags & FL_BOUND_LIMIT) {
            long out;
            long hi = (b->flags & FL_BOUND_MAX) ? (long)b->max : LONG_MAX;
            return fl_cfg_limit(obj, opath, leaf, FL_CFG_OPTIONAL, 0, hi, &out, e);
        }
        x = v->valuedouble;
        break;
    case FL_KV_NUMBER:
        if (!cJSON_IsNumber(v))
            return FL_OK;
        x = v->valuedouble;
        break;
    case FL_KV_DURATION:
        if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= 0 &&
            v->valuedouble <= 9.2e9)
            t = (fl_time)llround(v->valuedouble * 1e9);
        else if (!cJSON_IsString(v) || fl_parse_duration(v->valuestring, &t, why, sizeof why))
            return FL_OK;
        {
            /* The getter's own wording ("expected a duration of at least 1ms, got "0s""). */
            fl_time lo = (b->flags & FL_BOUND_MIN) ? dur_ns(b->min) : 0;
            fl_time hi = (b->flags & FL_BOUND_MAX) ? dur_ns(b->max) : FL_TIME_MAX;
            if ((b->flags & FL_BOUND_MIN_OPEN) && lo < FL_TIME_MAX)
                lo++;
            if ((b->flags & FL_BOUND_MAX_OPEN) && hi > 0)
                hi--;
            (void)t;
            return fl_cfg_duration(obj, opath, leaf, FL_CFG_OPTIONAL, 0, lo, hi, &t, e);
        }
    case FL_KV_RATE:
        if (cJSON_IsNumber(v))
            x = v->valuedouble;
        else if (!cJSON_IsString(v) || fl_parse_rate(v->valuestring, &x, why, sizeof why))
            return FL_OK;
        if (!isfinite(x) || x <= 0 || x > 1e12)
            return FL_OK; /* the getter's own refusal */
        break;
    default:
        return FL_OK;
    }
    return out_of_bounds(p, v, x, ap, e);
}

fl_status fl_kind_check_bounds(const fl_component_ops *ops, const cJSON *cfg, const char *path,
                               fl_error *e)
{
    for (const fl_kind_param *p = ops->params; p->key; p++) {
        if (p->value == FL_KV_OTHER || !p->bounds.flags || strchr(p->key, '['))
            continue; /* an array's elements are read (and bounded) by their kind */
        /* Walk "a.b.c" down nested objects; a missing or non-object level is configure's. */
        const cJSON *obj = cfg;
        char opath[256], part[64];
        snprintf(opath, sizeof opath, "%s", path);
        const char *k = p->key;
        size_t len;
        while (obj && cJSON_IsObject(obj) && k[len = strcspn(k, ".")] == '.') {
            snprintf(part, sizeof part, "%.*s", (int)len, k);
            char np[256];
            fl_cfg_join(np, sizeof np, opath, part);
            snprintf(opath, sizeof opath, "%s", np);
            obj = cJSON_GetObjectItemCaseSensitive(obj, part);
            k += len + 1;
        }
        if (!obj || !cJSON_IsObject(obj))
            continue;
        fl_status st = check_one(p, obj, opath, k, e);
        if (st)
            return st;
    }
    return FL_OK;
}

/* ---- typed reads of declared parameters (world.h) ------------------------------------ */

/* p's declaration of a numeric value of type `want`, or FL_INTERNAL naming the gap. */
static fl_status declared(const fl_component *c, const char *key, fl_kind_value want,
                          const fl_kind_param **out, fl_error *e)
{
    for (const fl_kind_param *p = c->ops->params; p->key; p++)
        if (strcmp(p->key, key) == 0) {
            if (p->value != want || !(p->bounds.flags & (FL_BOUND_MIN | FL_BOUND_MAX)))
                break;
            *out = p;
            return FL_OK;
        }
    return fl_error_set(e, FL_INTERNAL, "kinds",
                        "kind %s reads parameter \"%s\" with bounds its descriptor does not "
                        "declare (see docs/writing-a-kind.md)",
                        c->ops->kind, key);
}

static const char *leaf_of(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? dot + 1 : key;
}

/* After the getter: the declaration's own check where the getter could not be exact. */
static fl_status recheck(const fl_kind_param *p, const cJSON *obj, const char *path,
                         const char *leaf, double x, fl_error *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, leaf);
    if (!v)
        return FL_OK;
    char ap[256];
    fl_cfg_join(ap, sizeof ap, path, leaf);
    return out_of_bounds(p, v, x, ap, e);
}

static fl_status int_read(const fl_component *c, const char *key, const cJSON *obj,
                          const char *path, int req, long def, long cap, long *out, fl_error *e)
{
    const fl_kind_param *p = NULL;
    fl_status st = declared(c, key, FL_KV_INTEGER, &p, e);
    if (st)
        return st;
    const fl_kind_bounds *b = &p->bounds;
    if (b->flags & FL_BOUND_LIMIT)
        return fl_error_set(e, FL_INTERNAL, "kinds",
                            "kind %s reads limit \"%s\" as an integer (fl_kind_limit)",
                            c->ops->kind, key);
    long lo = LONG_MIN, hi = LONG_MAX;
    if (b->flags & FL_BOUND_MIN)
        lo = (b->flags & FL_BOUND_MIN_OPEN) ? (long)floor(b->min) + 1 : (long)ceil(b->min);
    if (b->flags & FL_BOUND_MAX)
        hi = (b->flags & FL_BOUND_MAX_OPEN) ? (long)ceil(b->max) - 1 : (long)floor(b->max);
    if (cap < hi)
        hi = cap;
    return fl_cfg_int(obj, path, leaf_of(key), req, def, lo, hi, out, e);
}

fl_status fl_kind_int(const fl_component *c, const char *key, const cJSON *obj, const char *path,
                      int req, long def, long *out, fl_error *e)
{
    return int_read(c, key, obj, path, req, def, LONG_MAX, out, e);
}

fl_status fl_kind_int_max(const fl_component *c, const char *key, const cJSON *obj,
                          const char *path, int req, long def, long max, long *out, fl_error *e)
{
    return int_read(c, key, obj, path, req, def, max, out, e);
}

fl_status fl_kind_limit(const fl_component *c, const char *key, const cJSON *obj, const char *path,
                        int req, long def, long *out, fl_error *e)
{
    const fl_kind_param *p = NULL;
    fl_status st = declared(c, key, FL_KV_INTEGER, &p, e);
    if (st)
        return st;
    if (!(p->bounds.flags & FL_BOUND_LIMIT))
        return fl_error_set(e, FL_INTERNAL, "kinds",
                            "kind %s reads \"%s\" as a limit but declares no FL_LIMIT_OR_UNBOUNDED",
                            c->ops->kind, key);
    long hi = (p->bounds.flags & FL_BOUND_MAX) ? (long)p->bounds.max : LONG_MAX;
    return fl_cfg_limit(obj, path, leaf_of(key), req, def, hi, out, e);
}

static fl_status number_read(const fl_component *c, const char *key, const cJSON *obj,
                             const char *path, int req, double def, double cap, double *out,
                             fl_error *e)
{
    const fl_kind_param *p = NULL;
    fl_status st = declared(c, key, FL_KV_NUMBER, &p, e);
    if (st)
        return st;
    const fl_kind_bounds *b = &p->bounds;
    double lo = (b->flags & FL_BOUND_MIN) ? b->min : -DBL_MAX;
    double hi = (b->flags & FL_BOUND_MAX) ? b->max : DBL_MAX;
    if (cap < hi)
        hi = cap;
    if ((st = fl_cfg_number(obj, path, leaf_of(key), req, def, lo, hi, out, e)))
        return st;
    return (b->flags & (FL_BOUND_MIN_OPEN | FL_BOUND_MAX_OPEN))
               ? recheck(p, obj, path, leaf_of(key), *out, e)
               : FL_OK;
}

fl_status fl_kind_number(const fl_component *c, const char *key, const cJSON *obj, const char *path,
                         int req, double def, double *out, fl_error *e)
{
    return number_read(c, key, obj, path, req, def, DBL_MAX, out, e);
}

fl_status fl_kind_number_max(const fl_component *c, const char *key, const cJSON *obj,
                             const char *path, int req, double def, double max, double *out,
                             fl_error *e)
{
    return number_read(c, key, obj, path, req, def, max, out, e);
}

fl_status fl_kind_duration(const fl_component *c, const char *key, const cJSON *obj,
                           const char *path, int req, fl_time def, fl_time *out, fl_error *e)
{
    const fl_kind_param *p = NULL;
    fl_status st = declared(c, key, FL_KV_DURATION, &p, e);
    if (st)
        return st;
    const fl_kind_bounds *b = &p->bounds;
    /* The same nanosecond bounds check_one derives: a declaration in seconds, exactly. */
    fl_time lo = (b->flags & FL_BOUND_MIN) ? dur_ns(b->min) : 0;
    fl_time hi = (b->flags & FL_BOUND_MAX) ? dur_ns(b->max) : FL_TIME_MAX;
    if ((b->flags & FL_BOUND_MIN_OPEN) && lo < FL_TIME_MAX)
        lo++;
    if ((b->flags & FL_BOUND_MAX_OPEN) && hi > 0)
        hi--;
    return fl_cfg_duration(obj, path, leaf_of(key), req, def, lo, hi, out, e);
}

fl_status fl_kind_rate(const fl_component *c, const char *key, const cJSON *obj, const char *path,
                       int req, double def, double *out, fl_error *e)
{
    const fl_kind_param *p = NULL;
    fl_status st = declared(c, key, FL_KV_RATE, &p, e);
    if (st)
        return st;
    const fl_kind_bounds *b = &p->bounds;
    bool zero = !(b->flags & FL_BOUND_MIN) ||
                (b->min <= 0 && !((b->flags & FL_BOUND_MIN_OPEN) && b->min == 0));
    if ((st = fl_cfg_rate(obj, path, leaf_of(key), req, def, zero, out, e)))
        return st;
    return recheck(p, obj, path, leaf_of(key), *out, e);
}
