/* The dashboard's scenarios and their tunable parameters: see catalog.h.
 *
 * Parameters are derived from the document: every workload's "rate" (or "clients"), every
 * number, duration or rate a node gives for a key its kind's descriptor types so
 * (model/world.h: "workers", "ttl", "queue.capacity", ...), and every one a variant's "set"
 * writes (objects
 * in a "set" are walked, so "nodes.api.queue": {"capacity": 50} offers
 * nodes.api.queue.capacity). Bounds are wide enough to explore and narrow enough that a
 * run stays a classroom run: a rate from a tenth to four times its value, a count from 1
 * to four times (at least +8), a duration from a tenth to ten times, a fraction 0..1. */
#define _DEFAULT_SOURCE /* strdup, DT_* */
#include "serve/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <faultline/time.h>

#include "core/alloc.h"
#include "out/files.h"
#include "model/world.h" /* the fault names and the kinds' descriptors */

const char *fl_param_unit(fl_param_kind k)
{
    return k == FL_PARAM_RATE ? "/s" : k == FL_PARAM_DURATION ? "ms" : "";
}

/* ---- reading the document ------------------------------------------------------------- */

/* The item at a --set style path ("nodes.api.workers"; array elements by "name" or index). */
static const cJSON *lookup(const cJSON *doc, const char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = doc;
    for (char *seg = buf, *next; cur && seg; seg = next) {
        next = strchr(seg, '.');
        if (next)
            *next++ = 0;
        if (cJSON_IsArray(cur)) {
            const cJSON *found = NULL;
            char *end;
            long idx = strtol(seg, &end, 10);
            if (!*end && idx >= 0)
                found = cJSON_GetArrayItem(cur, (int)idx);
            for (const cJSON *it = cur->child; it && !found; it = it->next) {
                const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
                if (cJSON_IsString(nm) && strcmp(nm->valuestring, seg) == 0)
                    found = it;
            }
            cur = found;
        } else if (cJSON_IsObject(cur)) {
            cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
        } else {
            cur = NULL;
        }
    }
    return cur;
}

/* Reads a JSON value as a parameter of kind k (in the kind's unit); 0 on success. */
static int read_value(const cJSON *v, fl_param_kind k, double *out)
{
    if (cJSON_IsNumber(v)) {
        if (k == FL_PARAM_DURATION) /* a bare number in a scenario is seconds */
            *out = v->valuedouble * 1000.0;
        else
            *out = v->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(v))
        return -1;
    char why[128];
    if (k == FL_PARAM_RATE)
        return fl_parse_rate(v->valuestring, out, why, sizeof why) ? -1 : 0;
    if (k == FL_PARAM_DURATION) {
        fl_time t;
        if (fl_parse_duration(v->valuestring, &t, why, sizeof why))
            return -1;
        *out = (double)t / 1e6;
        return 0;
    }
    return -1;
}

/* What kind of parameter a value a variant sets is, or -1 when it is not one. */
static int kind_of(const cJSON *v)
{
    double x;
    if (cJSON_IsNumber(v))
        return v->valuedouble == floor(v->valuedouble) && v->valuedouble >= 1 ? FL_PARAM_INTEGER
                                                                               : FL_PARAM_NUMBER;
    if (!cJSON_IsString(v))
        return -1;
    if (read_value(v, FL_PARAM_DURATION, &x) == 0)
        return FL_PARAM_DURATION;
    if (read_value(v, FL_PARAM_RATE, &x) == 0)
        return FL_PARAM_RATE;
    return -1;
}

/* ---- the parameter list --------------------------------------------------------------- */

typedef struct plist {
    fl_param *v;
    size_t n, cap;
} plist;

static void bounds(fl_param *p, double lo, double hi)
{
    switch (p->kind) {
    case FL_PARAM_INTEGER:
        p->min = 1;
        p->max = fmax(4 * hi, hi + 8);
        break;
    case FL_PARAM_NUMBER:
        p->min = 0;
        p->max = hi <= 1 ? 1 : 4 * hi;
        break;
    case FL_PARAM_RATE:
        p->min = lo / 10;
        p->max = hi > 0 ? 4 * hi : 1000;
        break;
    case FL_PARAM_DURATION:
        p->min = lo / 10;
        p->max = hi > 0 ? 10 * hi : 1000;
        break;
    }
}

/* Adds (or widens) a parameter; `set_by` names the variant that sets it, NULL for the
 * baseline's own fields. Returns -1 on allocation failure. */
static int add(plist *l, const cJSON *doc, const char *path, fl_param_kind kind, double v,
               const char *label)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].path, path) == 0) {
            fl_param *p = &l->v[i];
            if (p->kind != kind)
                return 0; /* two variants disagree on what it is: keep the first */
            bounds(p, fmin(fmin(v, p->value), p->min * 10), fmax(v, p->value));
            return 0;
        }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        fl_param *nv = fl_realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = cap;
    }
    fl_param *p = &l->v[l->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->path, sizeof p->path, "%s", path);
    snprintf(p->label, sizeof p->label, "%s", label);
    p->kind = kind;
    /* The value a run gets when nobody sets it: the baseline's, when it has one. */
    double base;
    const cJSON *b = lookup(doc, path);
    p->value = b && read_value(b, kind, &base) == 0 ? base : v;
    if (kind == FL_PARAM_INTEGER && cJSON_IsNumber(b) && b->valuedouble < 1)
        p->kind = kind = FL_PARAM_NUMBER; /* 0 in the baseline: not a count from 1 */
    bounds(p, fmin(v, p->value), fmax(v, p->value));
    return 0;
}

/* A node parameter's slider never leaves what its kind declares it accepts (the
 * descriptor's bounds: seconds for durations, per second for rates), so the page cannot
 * offer a value the load would refuse. Applied last, after variants widened the ranges. */
static void declared_bounds(plist *l, const cJSON *doc)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
    for (const cJSON *it = cJSON_IsArray(arr) ? arr->child : NULL; it; it = it->next) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
        const cJSON *kd = cJSON_GetObjectItemCaseSensitive(it, "kind");
        const fl_component_ops *ops = cJSON_IsString(kd) ? fl_kind_find(kd->valuestring) : NULL;
        if (!cJSON_IsString(nm) || !ops)
            continue;
        for (const fl_kind_param *kp = ops->params; kp->key; kp++) {
            const fl_kind_bounds *b = &kp->bounds;
            char path[256];
            snprintf(path, sizeof path, "nodes.%s.%s", nm->valuestring, kp->key);
            for (size_t i = 0; i < l->n && b->flags; i++) {
                fl_param *p = &l->v[i];
                if (strcmp(p->path, path) != 0)
                    continue;
                double scale = p->kind == FL_PARAM_DURATION ? 1000.0 : 1.0; /* page: ms */
                if ((b->flags & FL_BOUND_MIN) && p->min <= b->min * scale)
                    p->min = b->min * scale + ((b->flags & FL_BOUND_MIN_OPEN)
                                                   ? (p->max - b->min * scale) / 1000
                                                   : 0);
                if ((b->flags & FL_BOUND_MAX) && p->max > b->max * scale)
                    p->max = b->max * scale;
                p->min = fmin(p->min, p->value); /* the scenario's own value stays reachable */
                p->max = fmax(p->max, p->value);
            }
        }
    }
}

static int from_set(plist *l, const cJSON *doc, const char *prefix, const cJSON *set,
                    const char *variant, int depth)
{
    for (const cJSON *it = set ? set->child : NULL; it && depth < 4; it = it->next) {
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", it->string);
        if (cJSON_IsObject(it)) {
            if (from_set(l, doc, path, it, variant, depth + 1))
                return -1;
            continue;
        }
        int k = kind_of(it);
        double v;
        if (k < 0 || read_value(it, (fl_param_kind)k, &v))
            continue;
        char label[300];
        snprintf(label, sizeof label, "%s (the variant %s sets it)", path, variant);
        if (add(l, doc, path, (fl_param_kind)k, v, label))
            return -1;
    }
    return 0;
}

/* A node parameter's tunable kind, from its kind's descriptor; -1: not tunable here. */
static int param_kind(fl_kind_value v)
{
    switch (v) {
    case FL_KV_INTEGER: return FL_PARAM_INTEGER;
    case FL_KV_NUMBER: return FL_PARAM_NUMBER;
    case FL_KV_RATE: return FL_PARAM_RATE;
    case FL_KV_DURATION: return FL_PARAM_DURATION;
    case FL_KV_OTHER: break;
    }
    return -1;
}

static int derive(plist *l, const cJSON *doc)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "workloads");
    int i = 0;
    char name[128], path[256], label[300];
    for (const cJSON *it = cJSON_IsArray(arr) ? arr->child : NULL; it; it = it->next, i++) {
        static const struct {
            const char *key, *label;
            fl_param_kind kind;
        } wk[] = {{"rate", "workload %s: arrival rate", FL_PARAM_RATE},
                  {"clients", "workload %s: clients (closed population)", FL_PARAM_INTEGER}};
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
        if (cJSON_IsString(nm))
            snprintf(name, sizeof name, "%s", nm->valuestring);
        else
            snprintf(name, sizeof name, "%d", i);
        for (size_t j = 0; j < sizeof wk / sizeof wk[0]; j++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, wk[j].key);
            double x;
            if (!v || read_value(v, wk[j].kind, &x) || !(x > 0))
                continue;
            snprintf(path, sizeof path, "workloads.%s.%s", name, wk[j].key);
            snprintf(label, sizeof label, wk[j].label, name);
            if (add(l, doc, path, wk[j].kind, x, label))
                return -1;
        }
    }
    /* Every node's numbers, durations and rates that the document gives, as its kind's
     * descriptor types them (nested keys such as queue.capacity included). */
    arr = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
    for (const cJSON *it = cJSON_IsArray(arr) ? arr->child : NULL; it; it = it->next) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
        const cJSON *kd = cJSON_GetObjectItemCaseSensitive(it, "kind");
        const fl_component_ops *ops = cJSON_IsString(kd) ? fl_kind_find(kd->valuestring) : NULL;
        if (!cJSON_IsString(nm) || !ops)
            continue;
        for (const fl_kind_param *kp = ops->params; kp->key; kp++) {
            int k = param_kind(kp->value);
            double x;
            if (k < 0 || strchr(kp->key, '['))
                continue;
            snprintf(path, sizeof path, "nodes.%s.%s", nm->valuestring, kp->key);
            const cJSON *v = lookup(doc, path);
            if (!v || read_value(v, (fl_param_kind)k, &x) || !(x > 0))
                continue;
            snprintf(label, sizeof label, "node %s: %s", nm->valuestring, kp->key);
            if (add(l, doc, path, (fl_param_kind)k, x, label))
                return -1;
        }
    }
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(doc, "variants");
    for (const cJSON *v = cJSON_IsObject(vs) ? vs->child : NULL; v; v = v->next)
        if (from_set(l, doc, "", cJSON_GetObjectItemCaseSensitive(v, "set"), v->string, 0))
            return -1;
    declared_bounds(l, doc);
    return 0;
}

/* The fault windows, for the page to shade while a run streams (the finished charts read
 * them from the run's events.jsonl). */
static cJSON *fault_windows(const cJSON *doc, double duration_s)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(doc, "faults");
    for (const cJSON *f = cJSON_IsArray(fs) ? fs->child : NULL; f && out; f = f->next) {
        double at, len;
        if (read_value(cJSON_GetObjectItemCaseSensitive(f, "at"), FL_PARAM_DURATION, &at))
            continue;
        if (read_value(cJSON_GetObjectItemCaseSensitive(f, "for"), FL_PARAM_DURATION, &len))
            len = duration_s * 1000 - at; /* a crash without "for" never ends */
        const cJSON *lab = cJSON_GetObjectItemCaseSensitive(f, "label");
        const char *label = cJSON_IsString(lab) ? lab->valuestring : "fault";
        for (unsigned k = 0; !cJSON_IsString(lab) && k < FL_FAULT_COUNT; k++)
            if (cJSON_GetObjectItemCaseSensitive(f, fl_fault_name(k)))
                label = fl_fault_name(k);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "at_s", at / 1000);
        cJSON_AddNumberToObject(o, "until_s", fmin((at + len) / 1000, duration_s));
        cJSON_AddStringToObject(o, "label", label);
        cJSON_AddItemToArray(out, o);
    }
    return out;
}

/* The run's shape, as summary.json will name it ({"nodes": {NAME: {"kind"}}, "workloads":
 * {NAME: {"target"}}}), per variant (a variant may remove and add nodes and workloads): what
 * the lesson catalogue needs to say, before a run ends, which series carry its lesson. */
static void shape_add(cJSON *into, const cJSON *arr, const char *key, const char *field)
{
    cJSON *obj = cJSON_GetObjectItemCaseSensitive(into, key);
    for (const cJSON *it = cJSON_IsArray(arr) ? arr->child : NULL; it && obj; it = it->next) {
        const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name"));
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, field));
        if (!nm || !v)
            continue;
        cJSON_DeleteItemFromObjectCaseSensitive(obj, nm); /* an added one replaces */
        cJSON *o = cJSON_AddObjectToObject(obj, nm);
        if (o)
            cJSON_AddStringToObject(o, field, v);
    }
}

static cJSON *shape_of(const cJSON *doc, const cJSON *variant)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddObjectToObject(o, "nodes") || !cJSON_AddObjectToObject(o, "workloads")) {
        cJSON_Delete(o);
        return NULL;
    }
    shape_add(o, cJSON_GetObjectItemCaseSensitive(doc, "nodes"), "nodes", "kind");
    shape_add(o, cJSON_GetObjectItemCaseSensitive(doc, "workloads"), "workloads", "target");
    const cJSON *rm = cJSON_GetObjectItemCaseSensitive(variant, "remove");
    for (const cJSON *r = cJSON_IsArray(rm) ? rm->child : NULL; r; r = r->next)
        if (cJSON_IsString(r)) {
            cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "nodes"),
                                                    r->valuestring);
            cJSON_DeleteItemFromObjectCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(o, "workloads"), r->valuestring);
        }
    const cJSON *add = cJSON_GetObjectItemCaseSensitive(variant, "add");
    shape_add(o, cJSON_GetObjectItemCaseSensitive(add, "nodes"), "nodes", "kind");
    shape_add(o, cJSON_GetObjectItemCaseSensitive(add, "workloads"), "workloads", "target");
    return o;
}

static cJSON *shapes(const cJSON *doc)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *b = shape_of(doc, NULL);
    if (!out || !b || !cJSON_AddItemToObject(out, "baseline", b)) {
        cJSON_Delete(b);
        cJSON_Delete(out);
        return NULL;
    }
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(doc, "variants");
    for (const cJSON *v = cJSON_IsObject(vs) ? vs->child : NULL; v; v = v->next) {
        cJSON *x = shape_of(doc, v);
        if (!x || !cJSON_AddItemToObject(out, v->string, x)) {
            cJSON_Delete(x);
            cJSON_Delete(out);
            return NULL;
        }
    }
    return out;
}

const cJSON *fl_catalog_shape(const fl_catalog_entry *ce, const char *variant)
{
    return cJSON_GetObjectItemCaseSensitive(ce->shapes, variant ? variant : "baseline");
}

/* ---- loading -------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* *.json paths under dir and its direct subfolders. */
static int collect(const char *dir, int depth, char ***paths, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return depth == 0 ? -1 : 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) && !rc) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        size_t l = strlen(de->d_name);
        if (S_ISDIR(st.st_mode) && depth == 0) {
            rc = collect(p, 1, paths, n, cap);
        } else if (S_ISREG(st.st_mode) && l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) {
            if (*n == *cap) {
                size_t nc = *cap ? 2 * *cap : 16;
                char **np = fl_realloc(*paths, nc * sizeof *np);
                if (!np) {
                    rc = -2;
                    break;
                }
                *paths = np;
                *cap = nc;
            }
            if (!((*paths)[*n] = fl_strdup(p)))
                rc = -2;
            else
                (*n)++;
        }
    }
    closedir(d);
    return rc;
}

static cJSON *entry_json(const fl_catalog_entry *ce)
{
    const fl_scenario *sc = ce->sc;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "name", fl_scenario_name(sc));
    cJSON_AddStringToObject(o, "title", fl_scenario_title(sc) ? fl_scenario_title(sc) : "");
    cJSON_AddStringToObject(o, "story", fl_scenario_story(sc) ? fl_scenario_story(sc) : "");
    cJSON_AddNumberToObject(o, "duration_s", fl_time_to_s(fl_scenario_duration(sc)));
    cJSON_AddNumberToObject(o, "seed", (double)fl_scenario_seed(sc));
    /* what `faultline explain` prints */
    char *text = NULL;
    size_t tl = 0;
    FILE *mf = open_memstream(&text, &tl);
    if (mf) {
        fl_scenario_explain(sc, mf);
        fclose(mf);
        cJSON_AddStringToObject(o, "explain", text ? text : "");
        free(text);
    }
    cJSON *vs = cJSON_AddArrayToObject(o, "variants");
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "name", "baseline");
    cJSON_AddStringToObject(b, "about", "the system as it was, no fix");
    cJSON_AddItemToArray(vs, b);
    for (size_t i = 0; i < fl_scenario_variant_count(sc); i++) {
        cJSON *v = cJSON_CreateObject();
        const char *about = fl_scenario_variant_about(sc, i);
        cJSON_AddStringToObject(v, "name", fl_scenario_variant_name(sc, i));
        cJSON_AddStringToObject(v, "about", about ? about : "");
        cJSON_AddItemToArray(vs, v);
    }
    if (ce->faults)
        cJSON_AddItemToObject(o, "faults", cJSON_Duplicate(ce->faults, 1));
    cJSON *ps = cJSON_AddArrayToObject(o, "parameters");
    static const char *const kinds[] = {"integer", "number", "rate", "duration"};
    for (size_t i = 0; i < ce->nparams; i++) {
        const fl_param *p = &ce->params[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "path", p->path);
        cJSON_AddStringToObject(j, "label", p->label);
        cJSON_AddStringToObject(j, "kind", kinds[p->kind]);
        cJSON_AddStringToObject(j, "unit", fl_param_unit(p->kind));
        cJSON_AddNumberToObject(j, "value", p->value);
        cJSON_AddNumberToObject(j, "min", p->min);
        cJSON_AddNumberToObject(j, "max", p->max);
        if (p->kind == FL_PARAM_INTEGER)
            cJSON_AddNumberToObject(j, "step", 1);
        else
            cJSON_AddStringToObject(j, "step", "any");
        cJSON_AddItemToArray(ps, j);
    }
    return o;
}

fl_status fl_catalog_load(fl_catalog *c, const char *dir, FILE *log, fl_error *e)
{
    memset(c, 0, sizeof *c);
    fl_error_clear(e);
    char **paths = NULL;
    size_t n = 0, cap = 0;
    int rc = collect(dir, 0, &paths, &n, &cap);
    fl_status st = FL_OK;
    if (rc == -1) {
        st = fl_error_set(e, FL_USAGE, NULL, "cannot open the scenarios folder %s: %s", dir,
                          strerror(errno));
        goto out;
    }
    if (rc == -2 || (n && !(c->v = fl_calloc(n, sizeof *c->v)))) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto out;
    }
    qsort(paths, n, sizeof *paths, cmp_str);
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        char *text = fl__file_read_all(paths[i], &len);
        fl_scenario *sc = NULL;
        fl_error le;
        size_t dl = strlen(dir); /* collect() made each path dir + "/" + ... */
        const char *rel = strlen(paths[i]) > dl + 1 ? paths[i] + dl + 1 : paths[i];
        /* Files the scenario names (CSV rates) beside it; none at run time from a request */
        char folder[4096];
        const char *slash = strrchr(paths[i], '/');
        snprintf(folder, sizeof folder, "%.*s", slash ? (int)(slash - paths[i]) : 0, paths[i]);
        if (!text || fl_scenario_parse_in(text, len, rel, folder, &sc, &le) != FL_OK) {
            if (log) {
                char msg[1200];
                if (text)
                    fl_error_format(&le, msg, sizeof msg);
                else
                    snprintf(msg, sizeof msg, "%s: %s", paths[i], strerror(errno));
                fprintf(log, "faultline serve: skipping %s\n", msg);
            }
            fl_free(text);
            continue;
        }
        if (fl_catalog_find(c, fl_scenario_name(sc))) { /* a name twice: the first wins */
            if (log)
                fprintf(log, "faultline serve: skipping %s: another file is named \"%s\"\n",
                        paths[i], fl_scenario_name(sc));
            fl_scenario_free(sc);
            fl_free(text);
            continue;
        }
        cJSON *doc = cJSON_ParseWithLength(text, len);
        plist pl = {0};
        fl_free(text);
        fl_catalog_entry *ce = &c->v[c->n++];
        ce->sc = sc;
        ce->file = paths[i];
        ce->rel = rel;
        paths[i] = NULL;
        if (!doc || derive(&pl, doc)) {
            cJSON_Delete(doc);
            fl_free(pl.v);
            st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
            goto out;
        }
        /* the window as the engine derives it (world.c): given, else duration/100 in ms */
        fl_time dur = fl_scenario_duration(sc);
        double wms = 0;
        if (read_value(cJSON_GetObjectItemCaseSensitive(doc, "window"), FL_PARAM_DURATION, &wms))
            wms = 0;
        ce->window = (fl_time)llround(wms * 1e6);
        if (ce->window <= 0)
            ce->window = dur / 100 >= FL_MS ? dur / 100 / FL_MS * FL_MS : dur;
        ce->faults = fault_windows(doc, fl_time_to_s(dur));
        ce->shapes = shapes(doc);
        cJSON_Delete(doc);
        ce->params = pl.v;
        ce->nparams = pl.n;
    }
    if (c->n == 0) {
        st = fl_error_set(e, FL_USAGE, NULL,
                          "no valid scenario (*.json) under %s; give --scenarios DIR", dir);
        goto out;
    }
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "scenarios");
    for (size_t i = 0; i < c->n && arr; i++) {
        cJSON *o = entry_json(&c->v[i]);
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    c->json = arr ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!c->json)
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
out:
    for (size_t i = 0; i < n; i++)
        fl_free(paths[i]);
    fl_free(paths);
    if (st)
        fl_catalog_free(c);
    return st;
}

void fl_catalog_free(fl_catalog *c)
{
    for (size_t i = 0; i < c->n; i++) {
        fl_scenario_free(c->v[i].sc);
        fl_free(c->v[i].file);
        fl_free(c->v[i].params);
        cJSON_Delete(c->v[i].faults);
        cJSON_Delete(c->v[i].shapes);
    }
    fl_free(c->v);
    cJSON_free(c->json);
    memset(c, 0, sizeof *c);
}

const fl_catalog_entry *fl_catalog_find(const fl_catalog *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(fl_scenario_name(c->v[i].sc), name) == 0)
            return &c->v[i];
    return NULL;
}

/* ---- a request's overrides ------------------------------------------------------------ */

static void fmt(double v, char *buf, size_t n)
{
    snprintf(buf, n, "%.10g", v);
}

fl_status fl_catalog_sets(const fl_catalog_entry *ce, const cJSON *set, char ***out,
                          size_t *n, fl_error *e)
{
    *out = NULL;
    *n = 0;
    if (!set || cJSON_IsNull(set))
        return FL_OK;
    if (!cJSON_IsObject(set))
        return fl_error_set(e, FL_INVALID, "set",
                            "expected an object {\"path\": value}, e.g. "
                            "{\"nodes.api.workers\": 12}");
    size_t count = (size_t)cJSON_GetArraySize(set);
    if (count > 64)
        return fl_error_set(e, FL_INVALID, "set", "at most 64 overrides");
    char **v = fl_calloc(count ? count : 1, sizeof *v);
    if (!v)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    fl_status st = FL_OK;
    for (const cJSON *it = set->child; it && !st; it = it->next) {
        const fl_param *p = NULL;
        for (size_t i = 0; i < ce->nparams && !p; i++)
            if (strcmp(ce->params[i].path, it->string) == 0)
                p = &ce->params[i];
        char path[300];
        snprintf(path, sizeof path, "set.%s", it->string);
        if (!p) {
            st = fl_error_set(e, FL_INVALID, path,
                              "not a parameter of %s that the dashboard can set (GET "
                              "/api/scenarios lists them)",
                              fl_scenario_name(ce->sc));
            break;
        }
        double x = NAN;
        const char *unit = fl_param_unit(p->kind);
        if (cJSON_IsNumber(it)) {
            x = it->valuedouble;
        } else if (cJSON_IsString(it)) {
            char *end;
            errno = 0;
            x = strtod(it->valuestring, &end);
            if (end == it->valuestring || *end || errno) {
                /* "250ms", "2s", "700/s": the engine's own units */
                if (p->kind == FL_PARAM_RATE || p->kind == FL_PARAM_DURATION) {
                    fl_param_kind k = p->kind;
                    if (read_value(it, k, &x))
                        x = NAN;
                } else {
                    x = NAN;
                }
            }
        }
        char got[128], lo[32], hi[32];
        if (cJSON_IsString(it))
            snprintf(got, sizeof got, "\"%.100s\"", it->valuestring);
        else if (cJSON_IsNumber(it))
            fmt(it->valuedouble, got, sizeof got);
        else
            snprintf(got, sizeof got, "%s", cJSON_IsBool(it) ? "a boolean" : "another type");
        fmt(p->min, lo, sizeof lo);
        fmt(p->max, hi, sizeof hi);
        const char *what = p->kind == FL_PARAM_INTEGER    ? "an integer"
                           : p->kind == FL_PARAM_RATE     ? "a rate (per second)"
                           : p->kind == FL_PARAM_DURATION ? "a duration (ms)"
                                                          : "a number";
        if (!isfinite(x) || x < p->min || x > p->max ||
            (p->kind == FL_PARAM_INTEGER && x != floor(x))) {
            st = fl_error_set(e, FL_INVALID, path, "expected %s from %s%s to %s%s, got %s", what,
                              lo, unit, hi, unit, got);
            break;
        }
        char val[64], *s = fl_malloc(strlen(p->path) + sizeof val + 2);
        fmt(x, val, sizeof val);
        if (!s) {
            st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
            break;
        }
        sprintf(s, "%s=%s%s", p->path, val, unit);
        v[(*n)++] = s;
    }
    if (st) {
        for (size_t i = 0; i < *n; i++)
            fl_free(v[i]);
        fl_free(v);
        *n = 0;
        return st;
    }
    *out = v;
    return FL_OK;
}
