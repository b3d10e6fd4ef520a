/* The registry of component kinds, generated from the one list (kinds.def). Adding a
 * kind: its file in sim/model/, one line in kinds.def, one in meson.build, and a test. */
#include "model/world.h"

#include <stdio.h>
#include <string.h>

#include <faultline/figures.h>

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
