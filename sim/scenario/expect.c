/* Expectations: what a variant's run must show, checked against its summary.
 *
 *   "expect": {"baseline": {"nodes.server.sojourn_ms.mean": "~ 2.0",
 *                           "workloads.users.errors": "== 0"}}
 *
 * A figure is named by its path in summary.json. Operators: == != < <= > >= with a number
 * (or true/false for == and !=), "in [a, b]" (inclusive), and "~ x": x lies within the
 * figure's 99.9% confidence interval, read from the sibling figure "<name>_ci999" (batch
 * means over the run); it fails, saying why, when the sibling "<name>_ci_why" marks that
 * interval unreliable (core/stats.h). The wide level keeps false alarms rare (0.1% per check) when the
 * suite runs many seeds; a model error of a few percent still shows on a long run.
 *
 * A check that restates a calibration (a parameter chosen so that the model reproduces a
 * published figure) is written as an object with the reason, so that every output shows
 * it apart from the evidence:
 *
 *   "nodes.east.lost_writes": {"check": "in [800, 1100]",
 *                              "calibrated": "write rate set from the published 954 writes"}
 *
 * A check that states a safety property of the design, one that must hold whatever the
 * faults (not only under the scenario's own), is marked as an invariant; `faultline
 * explore` checks it on every schedule it tries:
 *
 *   "nodes.redis.lost_writes.count": {"check": "== 0", "invariant": true}
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/figures.h>

#include "core/cfg.h"
#include "scenario/result_int.h"
#include "scenario/scenario_int.h"

#define NO_FIGURE "no such figure in the summary"

typedef enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NEAR } op;

typedef struct expectation {
    op op;
    double a, b;
    int is_bool;
} expectation;

static const char *const op_text[] = {"==", "!=", "<", "<=", ">", ">=", "in", "~"};
static const char *const calibrated_keys[] = {"check", "calibrated", "invariant", NULL};

const char *fl__expect_text(const cJSON *x)
{
    if (cJSON_IsObject(x))
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "check"));
    return cJSON_GetStringValue(x);
}

bool fl__expect_invariant(const cJSON *x)
{
    return cJSON_IsObject(x) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "invariant"));
}
const char *fl__expect_calibrated(const cJSON *x)
{
    return cJSON_IsObject(x)
               ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "calibrated"))
               : NULL;
}

static int parse_num(const char **p, double *out)
{
    char *end;
    while (**p == ' ')
        (*p)++;
    *out = strtod(*p, &end);
    if (end == *p || !isfinite(*out))
        return -1;
    *p = end;
    return 0;
}

static int parse(const char *s, expectation *x)
{
    const char *p = s;
    memset(x, 0, sizeof *x);
    while (*p == ' ')
        p++;
    static const struct {
        const char *t;
        op o;
    } ops[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"<", OP_LT},
               {">", OP_GT},  {"~", OP_NEAR}, {"in", OP_IN}};
    size_t i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strncmp(p, ops[i].t, strlen(ops[i].t)) == 0)
            break;
    if (i == sizeof ops / sizeof ops[0])
        return -1;
    x->op = ops[i].o;
    p += strlen(ops[i].t);
    while (*p == ' ')
        p++;
    if (x->op == OP_IN) {
        if (*p++ != '[' || parse_num(&p, &x->a))
            return -1;
        while (*p == ' ')
            p++;
        if (*p++ != ',' || parse_num(&p, &x->b))
            return -1;
        while (*p == ' ')
            p++;
        if (*p++ != ']' || x->a > x->b)
            return -1;
    } else if ((x->op == OP_EQ || x->op == OP_NE) &&
               (strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0)) {
        x->is_bool = 1;
        x->a = p[0] == 't';
        p += p[0] == 't' ? 4 : 5;
    } else if (parse_num(&p, &x->a))
        return -1;
    while (*p == ' ')
        p++;
    return *p ? -1 : 0;
}

fl_status fl__expect_validate(const fl_scenario *sc, fl_error *e)
{
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(sc->doc, "expect");
    if (!ex)
        return FL_OK;
    fl_status st;
    if ((st = fl_cfg_object(ex, "expect", e)))
        return st;
    const char *names[66];
    size_t k = 0;
    names[k++] = "baseline";
    for (size_t i = 0; i < sc->nvariants && k < 65; i++)
        names[k++] = sc->variant_names[i];
    names[k] = NULL;
    for (const cJSON *v = ex->child; v; v = v->next) {
        char p[300];
        fl_cfg_join(p, sizeof p, "expect", v->string);
        if (!fl_scenario_has_variant(sc, v->string)) {
            const char *s = fl_cfg_suggest(v->string, names);
            return fl_error_set(e, FL_UNKNOWN, p, "no variant named \"%s\"%s%s%s", v->string,
                                s ? " (did you mean \"" : " (declare it under \"variants\")",
                                s ? s : "", s ? "\"?)" : "");
        }
        if ((st = fl_cfg_object(v, p, e)))
            return st;
        for (const cJSON *x = v->child; x; x = x->next) {
            char xp[600], cp[640];
            fl_cfg_join(xp, sizeof xp, p, x->string);
            expectation xe;
            const cJSON *chk = x;
            const char *cpath = xp; /* where a bad check points */
            if (cJSON_IsObject(x)) { /* the calibrated or invariant form */
                const char *why;
                bool inv = false;
                if ((st = fl_cfg_known_keys(x, xp, calibrated_keys, e)) ||
                    (st = fl_cfg_bool(x, xp, "invariant", FL_CFG_OPTIONAL, false, &inv, e)))
                    return st;
                if (!cJSON_GetObjectItemCaseSensitive(x, "calibrated") && !inv)
                    return fl_error_set(e, FL_INVALID, xp, "a check written as an object is a "
                                                           "calibrated one or an invariant: add "
                                                           "\"calibrated\": which parameter was "
                                                           "chosen so that the figure appears, or "
                                                           "\"invariant\": true (or write the "
                                                           "check as a string)");
                if (inv && cJSON_GetObjectItemCaseSensitive(x, "calibrated"))
                    return fl_error_set(e, FL_INVALID, fl_cfg_join(cp, sizeof cp, xp, "invariant"),
                                        "a calibrated check restates a chosen parameter; it "
                                        "cannot be an invariant of the design");
                if (!inv) {
                    if ((st = fl_cfg_string(x, xp, "calibrated", FL_CFG_REQUIRED, NULL, &why, e)))
                        return st;
                    if (!why[strspn(why, " ")])
                        return fl_error_set(e, FL_INVALID,
                                            fl_cfg_join(cp, sizeof cp, xp, "calibrated"),
                                            "expected the reason (which parameter was chosen, "
                                            "and from what), got an empty string");
                }
                chk = cJSON_GetObjectItemCaseSensitive(x, "check");
                cpath = fl_cfg_join(cp, sizeof cp, xp, "check");
                if (!chk)
                    return fl_error_set(e, FL_INVALID, cpath, "missing; expected a check such as "
                                                           "\"in [800, 1100]\"");
            }
            if (!cJSON_IsString(chk) || parse(chk->valuestring, &xe) != 0) {
                char got[64];
                fl_cfg_describe(chk, got, sizeof got);
                return fl_error_set(e, FL_INVALID, cpath,
                                    "expected a check such as \"> 0\", \"== 0\", \"in [1, 2]\" or "
                                    "\"~ 2.5\", got %s",
                                    got);
            }
        }
    }
    return FL_OK;
}

/* The summary figure at a dotted path; keys may contain dots, so try the longest key
 * first at every level. */
static const cJSON *lookup(const cJSON *o, const char *path)
{
    if (!*path)
        return o;
    if (!cJSON_IsObject(o))
        return NULL;
    const cJSON *best = NULL;
    size_t best_len = 0;
    for (const cJSON *it = o->child; it; it = it->next) {
        size_t l = strlen(it->string);
        if (l > best_len && strncmp(path, it->string, l) == 0 &&
            (path[l] == 0 || path[l] == '.')) {
            const cJSON *r = lookup(it, path[l] ? path + l + 1 : path + l);
            if (r) {
                best = r;
                best_len = l;
            }
        }
    }
    return best;
}

int fl_result_unknown_figures(const fl_result *r, char *first, size_t n)
{
    int k = 0;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(r->summary, "expectations");
    if (n)
        first[0] = 0;
    for (const cJSON *x = list ? list->child : NULL; x; x = x->next) {
        const char *err = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "error"));
        if (err && strcmp(err, NO_FIGURE) == 0 && k++ == 0 && n)
            snprintf(first, n, "%s",
                     cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "figure")));
    }
    return k;
}

int fl__expect_eval(const fl_scenario *sc, const char *variant, cJSON *summary, int *stated)
{
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(sc->doc, "expect");
    const cJSON *v = ex ? cJSON_GetObjectItemCaseSensitive(ex, variant) : NULL;
    cJSON *list = cJSON_AddArrayToObject(summary, "expectations");
    int failed = 0, n = 0;
    for (const cJSON *x = v ? v->child : NULL; x; x = x->next) {
        expectation xe;
        const char *text = fl__expect_text(x), *calibrated = fl__expect_calibrated(x);
        if (!text || parse(text, &xe) != 0)
            continue; /* validated at load */
        n++;
        const cJSON *fig = lookup(summary, x->string);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddItemToArray(list, r);
        cJSON_AddStringToObject(r, "figure", x->string);
        cJSON_AddStringToObject(r, "expect", text);
        if (calibrated)
            cJSON_AddStringToObject(r, "calibrated", calibrated);
        if (fl__expect_invariant(x))
            cJSON_AddBoolToObject(r, "invariant", true);
        int pass = 0;
        const fl_figure_info *fi = fig ? NULL : fl_figure_lookup(x->string);
        if (!fig && fi && fi->type == FL_FIGURE_CENSORED) {
            /* A duration the run did not observe (recovery time of a run that did not
             * recover): the check fails, it is no mistake in the file. */
            char why[200];
            snprintf(why, sizeof why, "not observed in this run (see \"%s\")",
                     fi->flag ? fi->flag : "the figure's flag");
            cJSON_AddStringToObject(r, "error", why);
        } else if (!fig || !(cJSON_IsNumber(fig) || cJSON_IsBool(fig))) {
            cJSON_AddStringToObject(r, "error", fig ? "not a number" : NO_FIGURE);
        } else {
            double val = cJSON_IsBool(fig) ? (double)cJSON_IsTrue(fig) : fig->valuedouble;
            if (cJSON_IsBool(fig))
                cJSON_AddBoolToObject(r, "actual", cJSON_IsTrue(fig));
            else
                cJSON_AddNumberToObject(r, "actual", val);
            switch (xe.op) {
            case OP_EQ: pass = val == xe.a; break;
            case OP_NE: pass = val != xe.a; break;
            case OP_LT: pass = val < xe.a; break;
            case OP_LE: pass = val <= xe.a; break;
            case OP_GT: pass = val > xe.a; break;
            case OP_GE: pass = val >= xe.a; break;
            case OP_IN: pass = val >= xe.a && val <= xe.b; break;
            case OP_NEAR: {
                char ci[600];
                snprintf(ci, sizeof ci, "%s_ci999", x->string);
                const cJSON *hw = lookup(summary, ci);
                if (!cJSON_IsNumber(hw)) {
                    cJSON_AddStringToObject(r, "error", "no confidence interval for this figure");
                    break;
                }
                cJSON_AddNumberToObject(r, "ci999", hw->valuedouble);
                /* An interval the batch-means test found unreliable cannot vouch for x. */
                snprintf(ci, sizeof ci, "%s_ci_why", x->string);
                const cJSON *why = lookup(summary, ci);
                if (cJSON_IsString(why)) {
                    char msg[300];
                    snprintf(msg, sizeof msg, "confidence interval unreliable: %s", why->valuestring);
                    cJSON_AddStringToObject(r, "error", msg);
                    break;
                }
                pass = fabs(val - xe.a) <= hw->valuedouble;
                break;
            }
            }
        }
        cJSON_AddBoolToObject(r, "pass", pass);
        failed += !pass;
    }
    (void)op_text;
    *stated = n;
    cJSON_AddStringToObject(summary, "verdict", n == 0 ? "none" : failed ? "fail" : "pass");
    return failed;
}

/* Figures a run adds around the model's (see fl_run): an expectation may name them too. */
static const char *const run_figures[] = {"seed",        "duration_s", "warmup_s",
                                          "window_s",    "complete",   "simulated_s",
                                          "events",      "pending_max", NULL};

/* The keys of o (and, at the top, the run's figures) as a NULL-terminated list. */
static void key_list(const cJSON *o, bool top, const char **names, size_t cap)
{
    size_t k = 0;
    for (const cJSON *it = cJSON_IsObject(o) ? o->child : NULL; it && k + 1 < cap; it = it->next)
        names[k++] = it->string;
    for (size_t i = 0; top && run_figures[i] && k + 1 < cap; i++)
        names[k++] = run_figures[i];
    names[k] = NULL;
}

/* What the scenario alone decides is checked: the summary's section ("nodes", "checks",
 * ...), the node or workload name under "nodes"/"workloads", and all of "checks". Deeper
 * figures of a node or workload can depend on what happens in the run (a gateway's
 * "recovery" exists only after a crash; by-zone tables list the zones that saw traffic),
 * so those are checked after the run (faultline run --check exits 2 on a missing figure). */
fl_status fl__expect_check_figures(const fl_scenario *sc, const char *variant,
                                   const cJSON *skeleton, fl_error *e)
{
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(sc->doc, "expect");
    const cJSON *v = ex ? cJSON_GetObjectItemCaseSensitive(ex, variant) : NULL;
    for (const cJSON *x = v ? v->child : NULL; x; x = x->next) {
        const char *fig = x->string, *names[128], *parent = "the summary";
        char step[128], sect[64], xp[600], p[300], where[300];
        bool run_level = false;
        for (size_t i = 0; run_figures[i] && !run_level; i++)
            run_level = strcmp(fig, run_figures[i]) == 0;
        if (run_level || lookup(skeleton, fig))
            continue;
        size_t sl = strcspn(fig, ".");
        snprintf(sect, sizeof sect, "%.*s", (int)(sl < 63 ? sl : 63), fig);
        const cJSON *sec = cJSON_GetObjectItemCaseSensitive(skeleton, sect);
        snprintf(step, sizeof step, "%s", sect);
        if (sec && cJSON_IsObject(sec) && fig[sl] == '.') {
            const char *rest = fig + sl + 1;
            if (strcmp(sect, "checks") != 0) {
                /* a node or workload name may hold dots: the longest that exists wins */
                bool named = false;
                for (const cJSON *it = sec->child; it && !named; it = it->next) {
                    size_t l = strlen(it->string);
                    named = strncmp(rest, it->string, l) == 0 && (rest[l] == '.' || !rest[l]);
                }
                if (named)
                    continue; /* the figure itself is checked after the run */
            }
            /* Walk down as far as the path exists, to name the step that is wrong. */
            snprintf(where, sizeof where, "%s", sect);
            for (bool deeper = true; deeper;) {
                deeper = false;
                for (const cJSON *it = sec->child; it && !deeper; it = it->next) {
                    size_t l = strlen(it->string);
                    if (cJSON_IsObject(it) && strncmp(rest, it->string, l) == 0 && rest[l] == '.') {
                        size_t w = strlen(where);
                        snprintf(where + w, sizeof where - w, ".%s", it->string);
                        sec = it;
                        rest += l + 1;
                        deeper = true;
                    }
                }
            }
            snprintf(step, sizeof step, "%.*s", (int)strcspn(rest, "."), rest);
            parent = where;
            key_list(sec, false, names, sizeof names / sizeof names[0]);
        } else
            key_list(skeleton, true, names, sizeof names / sizeof names[0]);
        const char *s = fl_cfg_suggest(step, names);
        fl_cfg_join(xp, sizeof xp, fl_cfg_join(p, sizeof p, "expect", variant), fig);
        return fl_error_set(e, FL_UNKNOWN, xp,
                            "no such figure: %s has no \"%s\"%s%s%s", parent, step,
                            s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
    }
    return FL_OK;
}
