/* The compact table `faultline run` prints: read back from the summary, so the screen and
 * summary.json can never disagree. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scenario/result_int.h"

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void fmt_ms(char *buf, size_t n, double ms)
{
    if (isnan(ms))
        snprintf(buf, n, "-");
    else if (ms >= 1000)
        snprintf(buf, n, "%.3gs", ms / 1000);
    else if (ms >= 1)
        snprintf(buf, n, "%.3gms", ms);
    else
        snprintf(buf, n, "%.3gus", ms * 1000);
}

static void latency_row(FILE *f, const char *label, const cJSON *lat)
{
    static const char *const keys[] = {"mean", "p50", "p90", "p99", "p999", "max"};
    char cell[32];
    fprintf(f, "  %-22s", label);
    for (size_t i = 0; i < 6; i++) {
        fmt_ms(cell, sizeof cell, num(lat, keys[i]));
        fprintf(f, " %9s", cell);
    }
    fputc('\n', f);
}

/* Every confidence interval found unreliable ("<figure>_ci_why", core/stats.h and
 * node/station.c), one line each with its dotted path and why, under one heading. */
static void unreliable_notes(FILE *f, const cJSON *o, const char *prefix, int *shown)
{
    static const char tag[] = "_ci_why";
    for (const cJSON *x = o->child; x; x = x->next) {
        if (!x->string || cJSON_IsArray(x))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s%s", prefix, x->string);
        size_t n = strlen(x->string), t = sizeof tag - 1;
        if (cJSON_IsObject(x)) {
            char sub[520];
            snprintf(sub, sizeof sub, "%s.", path);
            unreliable_notes(f, x, sub, shown);
        } else if (cJSON_IsString(x) && n > t && strcmp(x->string + n - t, tag) == 0) {
            if (!(*shown)++)
                fprintf(f, "\nunreliable confidence intervals (not evidence for a \"~\" check)\n");
            fprintf(f, "  %s%.*s: %s\n", prefix, (int)(n - t), x->string, x->valuestring);
        }
    }
}

void fl_result_print(const fl_result *r, FILE *f)
{
    const cJSON *s = r->summary;
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(s, "scenario");
    const cJSON *var = cJSON_GetObjectItemCaseSensitive(s, "variant");
    fprintf(f, "%s [%s] seed %.0f: %.6g s simulated, %.0f events, hash %s%s\n",
            sc->valuestring, var->valuestring, num(s, "seed"), num(s, "simulated_s"),
            num(s, "events"), cJSON_GetObjectItemCaseSensitive(s, "event_hash")->valuestring,
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "complete")) ? "" : " (INCOMPLETE)");
    fprintf(f, "\nlatency                     mean       p50       p90       p99     p99.9       max\n");
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(s, "workloads");
    for (const cJSON *w = wls ? wls->child : NULL; w; w = w->next)
        latency_row(f, w->string, cJSON_GetObjectItemCaseSensitive(w, "latency_ms"));
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(s, "nodes");
    for (const cJSON *n = nodes ? nodes->child : NULL; n; n = n->next) {
        const cJSON *soj = cJSON_GetObjectItemCaseSensitive(n, "sojourn_ms");
        if (soj) {
            char label[64];
            snprintf(label, sizeof label, "%.14s (at node)", n->string);
            latency_row(f, label, soj);
        }
    }
    fprintf(f, "\nworkload            throughput/s   goodput/s  tries/req    errors  (by cause)\n");
    for (const cJSON *w = wls ? wls->child : NULL; w; w = w->next) {
        fprintf(f, "  %-18s %12.6g %11.6g %10.3g %9.0f ", w->string, num(w, "throughput_per_s"),
                num(w, "goodput_per_s"), num(w, "retry_amplification"), num(w, "errors"));
        const cJSON *by = cJSON_GetObjectItemCaseSensitive(w, "errors_by_cause");
        int any = 0;
        for (const cJSON *c = by ? by->child : NULL; c; c = c->next)
            if (c->valuedouble > 0)
                fprintf(f, " %s=%.0f", c->string, c->valuedouble), any = 1;
        fprintf(f, "%s\n", any ? "" : " -");
    }
    fprintf(f, "\nnode                utilisation  mean in system  wasted work   Little's law (L vs lambda*W)\n");
    for (const cJSON *n = nodes ? nodes->child : NULL; n; n = n->next) {
        if (!cJSON_GetObjectItemCaseSensitive(n, "utilisation")) {
            /* a kind without a queueing station: its first few figures instead */
            fprintf(f, "  %-18s", n->string);
            int shown = 0;
            for (const cJSON *x = n->child; x && shown < 5; x = x->next)
                if (cJSON_IsNumber(x)) {
                    fprintf(f, " %s=%.6g", x->string, x->valuedouble);
                    shown++;
                }
            fputc('\n', f);
            continue;
        }
        const cJSON *ll = cJSON_GetObjectItemCaseSensitive(n, "littles_law");
        char wasted[32] = "-";
        if (cJSON_GetObjectItemCaseSensitive(n, "wasted_fraction"))
            snprintf(wasted, sizeof wasted, "%.1f%%", 100 * num(n, "wasted_fraction"));
        fprintf(f, "  %-18s %11.4g %15.5g %12s   %.5g vs %.5g (%.2f%%)\n", n->string,
                num(n, "utilisation"), num(n, "in_system_mean"), wasted, num(ll, "L"),
                num(ll, "lambda_W"), 100 * num(ll, "rel_diff"));
    }
    const cJSON *cons = cJSON_GetObjectItemCaseSensitive(s, "consistency");
    if (cons) {
        fprintf(f, "\nconsistency (%.0f operations)\n", num(cons, "operations"));
        for (const cJSON *c = cons->child; c; c = c->next)
            if (cJSON_IsObject(c))
                fprintf(f, "  %-30s %9.0f of %-9.0f (%.3g%%)\n", c->string, num(c, "count"),
                        num(c, "of"), 100 * num(c, "rate"));
    }
    for (const cJSON *w = wls ? wls->child : NULL; w; w = w->next) {
        const cJSON *rec = cJSON_GetObjectItemCaseSensitive(w, "recovery");
        if (!rec || !cJSON_GetObjectItemCaseSensitive(rec, "recovered"))
            continue;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "recovered")))
            fprintf(f, "\nrecovery: %s recovered %.3g s after the last fault ended (goodput %.4g/s "
                       "after, %.4g/s before)\n",
                    w->string, num(rec, "recovery_s"), num(rec, "goodput_after_faults_per_s"),
                    num(rec, "reference_goodput_per_s"));
        else
            fprintf(f, "\nrecovery: %s did NOT recover within the run: goodput %.4g/s after the "
                       "last fault ended at %.4gs, %.4g/s before\n",
                    w->string, num(rec, "goodput_after_faults_per_s"), num(rec, "faults_end_s"),
                    num(rec, "reference_goodput_per_s"));
    }
    int unreliable = 0;
    unreliable_notes(f, s, "", &unreliable);
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(s, "checks");
    for (const cJSON *c = checks ? checks->child : NULL; c; c = c->next)
        if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "ok")))
            fprintf(f, "\nWARNING: the %s check failed (see \"checks\" in summary.json): the "
                       "figures of this run are suspect\n",
                    c->string);
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(s, "expectations");
    if (cJSON_GetArraySize(ex) > 0) {
        fprintf(f, "\nexpectations (%s)\n", var->valuestring);
        for (const cJSON *x = ex->child; x; x = x->next) {
            const cJSON *act = cJSON_GetObjectItemCaseSensitive(x, "actual");
            const cJSON *err = cJSON_GetObjectItemCaseSensitive(x, "error");
            char actual[64];
            if (cJSON_IsNumber(act))
                snprintf(actual, sizeof actual, "%.6g", act->valuedouble);
            else if (cJSON_IsBool(act))
                snprintf(actual, sizeof actual, "%s", cJSON_IsTrue(act) ? "true" : "false");
            else
                snprintf(actual, sizeof actual, "%s", err ? err->valuestring : "?");
            double ci = num(x, "ci999");
            fprintf(f, "  %s  %s %s: got %s", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "pass")) ? "PASS" : "FAIL",
                    cJSON_GetObjectItemCaseSensitive(x, "figure")->valuestring,
                    cJSON_GetObjectItemCaseSensitive(x, "expect")->valuestring, actual);
            if (!isnan(ci))
                fprintf(f, " +- %.3g (99.9%% CI)", ci);
            if (err && (cJSON_IsNumber(act) || cJSON_IsBool(act))) /* judged, but not passed */
                fprintf(f, ": %s", err->valuestring);
            fputc('\n', f);
        }
    }
}
