/* The compact table `faultline run` prints: read back from the summary, so the screen and
 * summary.json can never disagree. A figure the summary does not hold prints as "n/a",
 * never as nan: every number goes through fmt_g or fmt_ms. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scenario/result_int.h"

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* v with printf format fmt (one double), or "n/a" when the summary has no such figure. */
static const char *fmt_g(char *buf, size_t n, const char *fmt, double v)
{
    if (isfinite(v))
        snprintf(buf, n, fmt, v);
    else
        snprintf(buf, n, "n/a");
    return buf;
}

static void fmt_ms(char *buf, size_t n, double ms)
{
    if (!isfinite(ms))
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

/* One expectation: PASS or FAIL, the figure, the check, what the run gave; a calibrated
 * one with its reason. */
static void print_expectation(FILE *f, const cJSON *x)
{
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(x, "actual");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(x, "error");
    char actual[64];
    if (cJSON_IsNumber(act))
        fmt_g(actual, sizeof actual, "%.6g", act->valuedouble);
    else if (cJSON_IsBool(act))
        snprintf(actual, sizeof actual, "%s", cJSON_IsTrue(act) ? "true" : "false");
    else
        snprintf(actual, sizeof actual, "%s", err ? err->valuestring : "?");
    double ci = num(x, "ci999");
    const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "calibrated"));
    fprintf(f, "  %s  %s %s: got %s",
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "pass")) ? "PASS" : "FAIL",
            cJSON_GetObjectItemCaseSensitive(x, "figure")->valuestring,
            cJSON_GetObjectItemCaseSensitive(x, "expect")->valuestring, actual);
    if (isfinite(ci))
        fprintf(f, " +- %.3g (99.9%% CI)", ci);
    if (err && (cJSON_IsNumber(act) || cJSON_IsBool(act))) /* judged, but not passed */
        fprintf(f, ": %s", err->valuestring);
    if (why)
        fprintf(f, " (%s)", why);
    fputc('\n', f);
}

/* A checker that gives a verdict rather than a count (linearizability): the verdict and
 * what it rests on, in words. */
static void print_verdict(FILE *f, const cJSON *c, const char *verdict)
{
    char k[32], u[32], st[32];
    fmt_g(k, sizeof k, "%.0f", num(c, "keys"));
    fmt_g(u, sizeof u, "%.0f", num(c, "keys_unknown"));
    fmt_g(st, sizeof st, "%.0f", num(c, "steps"));
    fprintf(f, "  %-30s %s", c->string, verdict);
    if (strcmp(verdict, "unknown") == 0)
        fprintf(f, " (not decided: %s of %s keys ran out of the search budget, %s steps)\n", u,
                k, st);
    else if (strcmp(verdict, "not linearizable") == 0) {
        char fk[32];
        fprintf(f, " (first key %s; %s keys checked, %s unknown)\n",
                fmt_g(fk, sizeof fk, "%.0f", num(c, "first_key")), k, u);
    } else
        fprintf(f, " (%s keys checked, %s steps)\n", k, st);
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
    char h1[32], h2[32], h3[32];
    fprintf(f, "%s [%s] seed %s: %s s simulated, %s events, hash %s%s\n", sc->valuestring,
            var->valuestring, fmt_g(h1, sizeof h1, "%.0f", num(s, "seed")),
            fmt_g(h2, sizeof h2, "%.6g", num(s, "simulated_s")),
            fmt_g(h3, sizeof h3, "%.0f", num(s, "events")),
            cJSON_GetObjectItemCaseSensitive(s, "event_hash")->valuestring,
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "complete")) ? "" : " (INCOMPLETE)");
    fprintf(f, "\nlatency (failures incl.)    mean       p50       p90       p99     p99.9       max\n");
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(s, "workloads");
    for (const cJSON *w = wls ? wls->child : NULL; w; w = w->next) {
        /* latency_ms counts failures at the time their client gave up; then successes */
        latency_row(f, w->string, cJSON_GetObjectItemCaseSensitive(w, "latency_ms"));
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(w, "success_latency_ms");
        if (ok)
            latency_row(f, "  successes only", ok);
    }
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(s, "nodes");
    for (const cJSON *n = nodes ? nodes->child : NULL; n; n = n->next) {
        const cJSON *soj = cJSON_GetObjectItemCaseSensitive(n, "sojourn_ms");
        if (soj) {
            char label[64];
            snprintf(label, sizeof label, "%.14s (at node)", n->string);
            latency_row(f, label, soj);
        }
    }
    fprintf(f, "\nworkload            throughput/s   goodput/s     within SLO  tries/req    errors  (by cause)\n");
    for (const cJSON *w = wls ? wls->child : NULL; w; w = w->next) {
        char c1[32], c2[32], c3[32], c4[32], slo[32], att[48];
        fmt_ms(slo, sizeof slo, num(w, "slo_ms"));
        double a = num(w, "slo_attainment");
        if (isfinite(a) && isfinite(num(w, "slo_ms")))
            snprintf(att, sizeof att, "%.4g%% <%s", 100 * a, slo);
        else if (isfinite(a))
            snprintf(att, sizeof att, "%.4g%% ok", 100 * a); /* no SLO: any success */
        else
            snprintf(att, sizeof att, "n/a");
        fprintf(f, "  %-18s %12s %11s %14s %10s %9s ", w->string,
                fmt_g(c1, sizeof c1, "%.6g", num(w, "throughput_per_s")),
                fmt_g(c2, sizeof c2, "%.6g", num(w, "goodput_per_s")), att,
                fmt_g(c3, sizeof c3, "%.3g", num(w, "retry_amplification")),
                fmt_g(c4, sizeof c4, "%.0f", num(w, "errors")));
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
                if (cJSON_IsNumber(x) && isfinite(x->valuedouble)) {
                    fprintf(f, " %s=%.6g", x->string, x->valuedouble);
                    shown++;
                }
            fputc('\n', f);
            continue;
        }
        const cJSON *ll = cJSON_GetObjectItemCaseSensitive(n, "littles_law");
        char wasted[32] = "-", c1[32], c2[32], c3[32], c4[32], c5[32];
        if (cJSON_GetObjectItemCaseSensitive(n, "wasted_fraction"))
            fmt_g(wasted, sizeof wasted, "%.1f%%", 100 * num(n, "wasted_fraction"));
        fprintf(f, "  %-18s %11s %15s %12s   %s vs %s (%s)\n", n->string,
                fmt_g(c1, sizeof c1, "%.4g", num(n, "utilisation")),
                fmt_g(c2, sizeof c2, "%.5g", num(n, "in_system_mean")), wasted,
                fmt_g(c3, sizeof c3, "%.5g", num(ll, "L")),
                fmt_g(c4, sizeof c4, "%.5g", num(ll, "lambda_W")),
                fmt_g(c5, sizeof c5, "%.2f%%", 100 * num(ll, "rel_diff")));
    }
    const cJSON *cons = cJSON_GetObjectItemCaseSensitive(s, "consistency");
    if (cons) {
        char c1[32], c2[32], c3[32];
        fprintf(f, "\nconsistency (%s operations)\n",
                fmt_g(c1, sizeof c1, "%.0f", num(cons, "operations")));
        for (const cJSON *c = cons->child; c; c = c->next) {
            const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(c, "verdict");
            if (cJSON_IsString(c) && strcmp(c->string, "error") == 0)
                fprintf(f, "  not checked: %s\n", c->valuestring);
            else if (cJSON_IsString(verdict)) /* a verdict, not a count */
                print_verdict(f, c, verdict->valuestring);
            else if (cJSON_IsObject(c))
                fprintf(f, "  %-30s %9s of %-9s (%s)\n", c->string,
                        fmt_g(c1, sizeof c1, "%.0f", num(c, "count")),
                        fmt_g(c2, sizeof c2, "%.0f", num(c, "of")),
                        fmt_g(c3, sizeof c3, "%.3g%%", 100 * num(c, "rate")));
        }
    }
    for (const cJSON *w = wls ? wls->child : NULL; w; w = w->next) {
        const cJSON *rec = cJSON_GetObjectItemCaseSensitive(w, "recovery");
        if (!rec || !cJSON_GetObjectItemCaseSensitive(rec, "recovered"))
            continue;
        char c1[32], c2[32], c3[32];
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "recovered")))
            fprintf(f, "\nrecovery: %s recovered %s s after the last fault ended (goodput %s/s "
                       "after, %s/s before)\n",
                    w->string, fmt_g(c1, sizeof c1, "%.3g", num(rec, "recovery_s")),
                    fmt_g(c2, sizeof c2, "%.4g", num(rec, "goodput_after_faults_per_s")),
                    fmt_g(c3, sizeof c3, "%.4g", num(rec, "reference_goodput_per_s")));
        else
            fprintf(f, "\nrecovery: %s did NOT recover within the run: goodput %s/s after the "
                       "last fault ended at %ss, %s/s before\n",
                    w->string, fmt_g(c1, sizeof c1, "%.4g", num(rec, "goodput_after_faults_per_s")),
                    fmt_g(c2, sizeof c2, "%.4g", num(rec, "faults_end_s")),
                    fmt_g(c3, sizeof c3, "%.4g", num(rec, "reference_goodput_per_s")));
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
        /* Evidence first; then the checks that restate a calibration, apart, with why. */
        for (const cJSON *x = ex->child; x; x = x->next)
            if (!cJSON_GetObjectItemCaseSensitive(x, "calibrated"))
                print_expectation(f, x);
        int ncal = 0;
        for (const cJSON *x = ex->child; x; x = x->next)
            if (cJSON_GetObjectItemCaseSensitive(x, "calibrated")) {
                if (ncal++ == 0)
                    fprintf(f, "  calibrated (restate a parameter chosen so that the figure "
                               "appears; not evidence):\n");
                print_expectation(f, x);
            }
    }
}
