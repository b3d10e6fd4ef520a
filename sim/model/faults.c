/* The fault timeline: timed faults on components, each with a start and (usually) an end.
 *
 *   "faults": [{"at": "60s", "for": "10s", "slow": {"node": "api", "factor": 10}},
 *              {"at": "90s", "for": "30s", "crash": "db"},
 *              {"at": "100s", "for": "15s", "pause": "api", "label": "GC pause"}]
 *
 * slow    service times of work starting on the node are multiplied by `factor`
 * crash   queued and in-service work is lost (no reply: callers time out); arrivals are
 *         refused until the node restarts `for` later (no "for": it stays down)
 * pause   stop-the-world: nothing completes until it ends, then everything due does
 *
 * Each fault is an event pair on the engine's queue, so it interleaves deterministically
 * with the traffic; faults cost nothing per event while they are not changing state. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/world.h"

static const char *const fault_keys[] = {"at", "for", "slow", "crash", "pause", "label", NULL};
static const char *const slow_keys[] = {"node", "factor", NULL};

static fl_status find_node(fl_world *w, const char *name, const char *path, uint32_t *out,
                           fl_error *e)
{
    const char *names[64];
    uint32_t k = 0;
    for (uint32_t i = 0; i < w->ncomps; i++) {
        if (strcmp(w->comps[i]->name, name) == 0) {
            *out = i;
            return FL_OK;
        }
        if (k < 63)
            names[k++] = w->comps[i]->name;
    }
    names[k] = NULL;
    const char *s = fl_cfg_suggest(name, names);
    return fl_error_set(e, FL_UNKNOWN, path, "no node named \"%s\"%s%s%s", name,
                        s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
}

static void on_fault(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    fl_world *w = ctx;
    fl_fault *f = &w->faults[arg / 2];
    fl_component *c = w->comps[f->target];
    if (c->ops->fault)
        c->ops->fault(w, c, f, arg % 2 == 0);
}

fl_status fl_faults_configure(fl_world *w, const cJSON *faults, fl_error *e)
{
    w->h_fault = fl_sim_handler(w->sim, on_fault, w);
    if (w->h_fault < 0)
        return FL_NOMEM;
    if (!faults)
        return FL_OK;
    if (!cJSON_IsArray(faults))
        return fl_error_set(e, FL_INVALID, "faults", "expected an array of faults, such as "
                                                     "[{\"at\": \"60s\", \"for\": \"10s\", "
                                                     "\"crash\": \"api\"}]");
    int n = cJSON_GetArraySize(faults);
    w->faults = fl_calloc((size_t)n + 1, sizeof *w->faults);
    if (!w->faults)
        return FL_NOMEM;
    int i = 0;
    fl_status st;
    for (const cJSON *fc = faults->child; fc; fc = fc->next, i++) {
        char path[64], p[128];
        fl_cfg_index(path, sizeof path, "faults", i);
        fl_fault *f = &w->faults[i];
        fl_time dur = 0;
        const char *label = NULL;
        if ((st = fl_cfg_object(fc, path, e)) || (st = fl_cfg_known_keys(fc, path, fault_keys, e)) ||
            (st = fl_cfg_duration(fc, path, "at", FL_CFG_REQUIRED, 0, 0, w->duration, &f->at, e)) ||
            (st = fl_cfg_duration(fc, path, "for", FL_CFG_OPTIONAL, 0, 1, FL_TIME_MAX, &dur, e)) ||
            (st = fl_cfg_string(fc, path, "label", FL_CFG_OPTIONAL, NULL, &label, e)))
            return st;
        const cJSON *slow = cJSON_GetObjectItemCaseSensitive(fc, "slow");
        const cJSON *crash = cJSON_GetObjectItemCaseSensitive(fc, "crash");
        const cJSON *pause = cJSON_GetObjectItemCaseSensitive(fc, "pause");
        if ((slow != NULL) + (crash != NULL) + (pause != NULL) != 1)
            return fl_error_set(e, FL_INVALID, path, "expected exactly one of \"slow\", "
                                                     "\"crash\" or \"pause\"");
        const char *node = NULL;
        if (slow) {
            fl_cfg_join(p, sizeof p, path, "slow");
            f->kind = FL_FAULT_SLOW;
            if ((st = fl_cfg_object(slow, p, e)) || (st = fl_cfg_known_keys(slow, p, slow_keys, e)) ||
                (st = fl_cfg_string(slow, p, "node", FL_CFG_REQUIRED, NULL, &node, e)) ||
                (st = fl_cfg_number(slow, p, "factor", FL_CFG_REQUIRED, 1, 0.001, 1e6, &f->factor, e)))
                return st;
            fl_cfg_join(p, sizeof p, p, "node");
        } else {
            const cJSON *v = crash ? crash : pause;
            f->kind = crash ? FL_FAULT_CRASH : FL_FAULT_PAUSE;
            fl_cfg_join(p, sizeof p, path, crash ? "crash" : "pause");
            if (!cJSON_IsString(v)) {
                char got[64];
                fl_cfg_describe(v, got, sizeof got);
                return fl_error_set(e, FL_INVALID, p, "expected a node name, got %s", got);
            }
            node = v->valuestring;
        }
        if ((st = find_node(w, node, p, &f->target, e)))
            return st;
        if (!dur && f->kind != FL_FAULT_CRASH)
            return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "for"),
                                "missing; expected how long the fault lasts, such as \"10s\"");
        f->until = dur ? (f->at > FL_TIME_MAX - dur ? FL_TIME_MAX : f->at + dur) : FL_TIME_MAX;
        if (label)
            snprintf(f->label, sizeof f->label, "%s", label);
        else if (f->kind == FL_FAULT_SLOW)
            snprintf(f->label, sizeof f->label, "%s %gx slower", node, f->factor);
        else
            snprintf(f->label, sizeof f->label, "%s %s", node,
                     f->kind == FL_FAULT_CRASH ? "down" : "paused");
        fl_time end = f->until < w->duration ? f->until : w->duration;
        if (end > w->faults_end)
            w->faults_end = end;
        w->nfaults = (uint32_t)i + 1;
    }
    return FL_OK;
}
