/* `faultline explain`: a scenario in plain text for a reader who has not seen the
 * incident: the story, the sources, the system, the fault timeline, what each variant
 * changes and what each must show. Read from the scenario as written. */
#include <stdio.h>
#include <string.h>

#include "scenario/scenario_int.h"

static const char *str(const cJSON *o, const char *k)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
    return s ? s : "";
}

/* Prints text wrapped at `width` columns, each line indented. */
static void wrap(FILE *f, const char *text, int indent, int width)
{
    int col = 0;
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (!n)
            break;
        if (col > 0 && col + 1 + (int)n > width) {
            fputc('\n', f);
            col = 0;
        }
        if (col == 0)
            col = fprintf(f, "%*s", indent, "");
        else
            col += fprintf(f, " ");
        col += fprintf(f, "%.*s", (int)n, p);
        p += n;
    }
    if (col)
        fputc('\n', f);
}

/* A JSON value as short text: strings bare, the rest as compact JSON. */
static void value(FILE *f, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        fputs(v->valuestring, f);
        return;
    }
    char *t = cJSON_PrintUnformatted(v);
    if (t)
        fputs(t, f);
    cJSON_free(t);
}

void fl_scenario_explain(const fl_scenario *sc, FILE *f)
{
    const cJSON *d = sc->doc;
    fprintf(f, "%s: %s\n\n", sc->name, sc->title[0] ? sc->title : "(no title)");
    if (sc->story[0])
        wrap(f, sc->story, 2, 92);
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(d, "references");
    if (cJSON_GetArraySize(refs) > 0) {
        fprintf(f, "\nsources\n");
        for (const cJSON *r = refs->child; r; r = r->next)
            fprintf(f, "  - %s\n", r->valuestring);
    }
    fprintf(f, "\nsystem (%s simulated", str(d, "duration"));
    if (cJSON_GetObjectItemCaseSensitive(d, "warmup"))
        fprintf(f, ", the first %s not measured", str(d, "warmup"));
    fprintf(f, ")\n");
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(d, "nodes");
    for (const cJSON *n = nodes ? nodes->child : NULL; n; n = n->next) {
        fprintf(f, "  node %-12s %s", str(n, "name"), str(n, "kind"));
        for (const cJSON *k = n->child; k; k = k->next)
            if (strcmp(k->string, "name") && strcmp(k->string, "kind")) {
                fprintf(f, ", %s ", k->string);
                value(f, k);
            }
        fputc('\n', f);
    }
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(d, "workloads");
    for (const cJSON *w = wls ? wls->child : NULL; w; w = w->next) {
        const cJSON *rate = cJSON_GetObjectItemCaseSensitive(w, "rate");
        fprintf(f, "  clients %-9s -> %s%s", str(w, "name"), str(w, "target"),
                rate ? " at " : " (closed population)");
        if (rate)
            value(f, rate);
        for (const cJSON *k = w->child; k; k = k->next)
            if (strcmp(k->string, "name") && strcmp(k->string, "target") && strcmp(k->string, "rate")) {
                fprintf(f, ", %s ", k->string);
                value(f, k);
            }
        fputc('\n', f);
    }
    const cJSON *links = cJSON_GetObjectItemCaseSensitive(d, "links");
    if (links) {
        fprintf(f, "  links ");
        value(f, links);
        fputc('\n', f);
    }
    const cJSON *faults = cJSON_GetObjectItemCaseSensitive(d, "faults");
    fprintf(f, "\nfault timeline\n");
    if (cJSON_GetArraySize(faults) == 0)
        fprintf(f, "  (none: the system runs undisturbed)\n");
    for (const cJSON *x = faults ? faults->child : NULL; x; x = x->next) {
        fprintf(f, "  at %-8s", str(x, "at"));
        if (cJSON_GetObjectItemCaseSensitive(x, "for"))
            fprintf(f, " for %-6s", str(x, "for"));
        for (const cJSON *k = x->child; k; k = k->next)
            if (strcmp(k->string, "at") && strcmp(k->string, "for")) {
                fprintf(f, " %s ", k->string);
                value(f, k);
            }
        fputc('\n', f);
    }
    fprintf(f, "\nvariants (baseline: the scenario as written)\n");
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(d, "variants");
    for (const cJSON *v = vs ? vs->child : NULL; v; v = v->next) {
        fprintf(f, "  %s: %s\n", v->string, str(v, "about"));
        const cJSON *rm = cJSON_GetObjectItemCaseSensitive(v, "remove");
        for (const cJSON *k = rm ? rm->child : NULL; k; k = k->next) {
            bool wl = false; /* a name that is not a node's is a workload's (the loader checked) */
            for (const cJSON *x = wls ? wls->child : NULL; x && !wl; x = x->next)
                wl = cJSON_IsString(k) && strcmp(str(x, "name"), k->valuestring) == 0;
            for (const cJSON *x = nodes ? nodes->child : NULL; x && wl; x = x->next)
                wl = !(cJSON_IsString(k) && strcmp(str(x, "name"), k->valuestring) == 0);
            fprintf(f, "      remove %s %s\n", wl ? "workload" : "node", cJSON_GetStringValue(k));
        }
        const cJSON *add = cJSON_GetObjectItemCaseSensitive(v, "add");
        for (const cJSON *sec = add ? add->child : NULL; sec; sec = sec->next)
            for (const cJSON *k = sec->child; k; k = k->next) {
                fprintf(f, "      add to %s: ", sec->string);
                value(f, k);
                fputc('\n', f);
            }
        const cJSON *set = cJSON_GetObjectItemCaseSensitive(v, "set");
        for (const cJSON *k = set ? set->child : NULL; k; k = k->next) {
            fprintf(f, "      set %s = ", k->string);
            value(f, k);
            fputc('\n', f);
        }
    }
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(d, "expect");
    if (ex) {
        fprintf(f, "\nwhat each run must show (faultline run ... --check)\n");
        int ncal = 0;
        for (const cJSON *v = ex->child; v; v = v->next) {
            fprintf(f, "  %s\n", v->string);
            /* Evidence first; then the checks that restate a calibration, with the reason. */
            for (int pass = 0; pass < 2; pass++)
                for (const cJSON *k = v->child; k; k = k->next) {
                    const char *why = fl__expect_calibrated(k);
                    if ((why != NULL) != pass)
                        continue;
                    const char *text = fl__expect_text(k);
                    fprintf(f, "      %s %s%s", k->string, text ? text : "?",
                            why ? "   CALIBRATED: " : "\n");
                    if (why) {
                        fprintf(f, "%s\n", why);
                        ncal++;
                    }
                }
        }
        if (ncal)
            fprintf(f, "\n  CALIBRATED checks restate a parameter that was chosen (not measured) "
                       "so that the\n  figure appears: they show the model is set up as "
                       "intended, not that it predicts\n  the figure.\n");
    }
}
