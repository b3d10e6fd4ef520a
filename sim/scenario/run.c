/* One run: instance the document (variant, overrides), build the world, run it, collect
 * the summary and check the expectations. Nothing here reads the wall clock: the summary
 * is a pure function of the inputs. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "fl_config.h"
#include "model/world.h"
#include "scenario/result_int.h"
#include "scenario/scenario_int.h"

typedef struct progress_ctx {
    const fl_run_config *cfg;
    fl_time duration;
    const fl_world *w;
    size_t next_window; /* the first window not yet reported to cfg->window */
    long refused;       /* fl_alloc_failures() when the run began */
    bool stopped;       /* poll_stop said stop */
} progress_ctx;

/* The engine's progress hook runs every POLL_EVERY events: it reports finished windows,
 * stops the run on an allocation failure a model swallowed, and asks cfg->progress (a
 * limit, a signal) whether to go on. Often enough that slow events do not delay a limit
 * by seconds, rarely enough to cost nothing measurable (one call per 1024 events). */
#define POLL_EVERY 1024u
#define RESERVE_BYTES (16u << 20)

/* Reports to cfg->window the windows that ended before `now`, or all of them with `all`.
 * A window [a, b) is final only once time has passed b: the end-of-window sample
 * (gauges, percentiles) is an event at b itself. */
static void report_windows(progress_ctx *p, fl_time now, bool all)
{
    size_t n = fl_series_windows(p->w->series);
    while (p->next_window < n &&
           (all || (fl_time)(p->next_window + 1) * p->w->window < now))
        p->cfg->window(p->cfg->progress_ctx, p->w->series, p->next_window++);
}

/* Whether a limit or a signal asks to stop, outside the event loop (building, checking);
 * remembered, since a caller's hook need not say it twice. */
static int poll_stop(void *ctx)
{
    progress_ctx *p = ctx;
    if (!p->stopped && p->cfg->progress && p->cfg->progress(p->cfg->progress_ctx, 0) != 0)
        p->stopped = true;
    return p->stopped;
}

/* An allocation refused while the model runs fails the run at the end of the event. */
static void fail_nomem(void *sim) { fl_sim_fail(sim, FL_NOMEM); }

static int on_progress(void *ctx, fl_time now)
{
    progress_ctx *p = ctx;
    if (fl_alloc_failures() != p->refused) {
        fl_sim_fail(p->w->sim, FL_NOMEM);
        return 1;
    }
    if (p->cfg->window)
        report_windows(p, now, false);
    return p->cfg->progress &&
           p->cfg->progress(p->cfg->progress_ctx, (double)now / (double)p->duration);
}

/* Marks a summary built as complete as cut short: "complete": false and, right after
 * it, "stopped_because": why (rebuilt in order, so the layout stays that of any run). */
static cJSON *mark_incomplete(cJSON *s, const char *why)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return s;
    while (s->child) {
        cJSON *it = cJSON_DetachItemViaPointer(s, s->child);
        if (strcmp(it->string, "complete") == 0) {
            cJSON_Delete(it);
            cJSON_AddBoolToObject(o, "complete", false);
            cJSON_AddStringToObject(o, "stopped_because", why);
        } else if (!cJSON_AddItemToObject(o, it->string, it)) /* cJSON copies the key first */
            cJSON_Delete(it);
    }
    cJSON_Delete(s);
    return o;
}

void fl_result_free(fl_result *r)
{
    if (!r)
        return;
    cJSON_Delete(r->summary);
    cJSON_free(r->summary_text);
    fl_series_free(r->series);
    fl_history_free(r->history);
    fl_free(r->events);
    fl_free(r);
}

const char *fl_result_events(const fl_result *r) { return r->events; }

const char *fl_result_summary(const fl_result *r) { return r->summary_text; }

int fl_result_expectations(const fl_result *r, int *failed)
{
    *failed = r->failed;
    return r->stated;
}

static int event_window(char **buf, size_t *len, double t, double until, const char *event,
                        const char *key, const char *val, const fl_time *local);

/* Appends text and a newline to *buf (grown as needed). */
static int append_line(char **buf, size_t *len, const char *text)
{
    size_t k = strlen(text);
    char *nb = fl_realloc(*buf, *len + k + 2);
    if (!nb)
        return -1;
    memcpy(nb + *len, text, k);
    nb[*len + k] = '\n';
    nb[*len + k + 1] = 0;
    *buf = nb;
    *len += k + 1;
    return 0;
}

/* Appends one JSON line {"t_s": t, "event": name, ...} to *buf (grown as needed); with
 * until >= 0 the line also carries "until_s" (a window, shaded on charts). */
static int event_line(char **buf, size_t *len, double t, const char *event, const char *key,
                      const char *val)
{
    return event_window(buf, len, t, -1, event, key, val, NULL);
}

/* With `local`, the line also carries "local_s": the node's own wall-clock reading then. */
static int event_window(char **buf, size_t *len, double t, double until, const char *event,
                        const char *key, const char *val, const fl_time *local)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    int rc = -1;
    if (o && cJSON_AddNumberToObject(o, "t_s", t) && cJSON_AddStringToObject(o, "event", event) &&
        (until < 0 || cJSON_AddNumberToObject(o, "until_s", until)) &&
        (!key || cJSON_AddStringToObject(o, key, val)) &&
        (!local || cJSON_AddNumberToObject(o, "local_s", fl_time_to_s(*local))) &&
        (text = cJSON_PrintUnformatted(o)))
        rc = append_line(buf, len, text);
    cJSON_free(text);
    cJSON_Delete(o);
    return rc;
}

/* One line a kind recorded (fl_world_event): {"t_s", "event", "node", "label"[, "until_s"]}. */
static int world_line(char **buf, size_t *len, const fl_world_ev *ev)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    int rc = -1;
    if (o && cJSON_AddNumberToObject(o, "t_s", fl_time_to_s(ev->t)) &&
        cJSON_AddStringToObject(o, "event", ev->event) &&
        (ev->until < 0 || cJSON_AddNumberToObject(o, "until_s", fl_time_to_s(ev->until))) &&
        cJSON_AddStringToObject(o, "node", ev->node) &&
        cJSON_AddStringToObject(o, "label", ev->label) && (text = cJSON_PrintUnformatted(o)))
        rc = append_line(buf, len, text);
    cJSON_free(text);
    cJSON_Delete(o);
    return rc;
}

/* The moment each workload's goodput came back after the faults (its summary's recovery
 * figures), or "not recovered" at the end: the instant a student waits for. */
static void recovery_events(fl_world *w, const cJSON *summary)
{
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(summary, "workloads");
    fl_time end = fl_sim_now(w->sim);
    for (const cJSON *wl = wls ? wls->child : NULL; wl; wl = wl->next) {
        const cJSON *rec = cJSON_GetObjectItemCaseSensitive(wl, "recovery");
        const cJSON *ok = cJSON_GetObjectItemCaseSensitive(rec, "recovered");
        if (!cJSON_IsBool(ok))
            continue;
        double fe = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "faults_end_s"));
        double rs = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec, "recovery_s"));
        if (cJSON_IsTrue(ok))
            fl_world_event(w, (fl_time)llround((fe + rs) * 1e9), wl->string, "recovered",
                           "%s recovered: goodput back %.3g s after the faults", wl->string, rs);
        else
            fl_world_event(w, end, wl->string, "not-recovered",
                           "%s not recovered: goodput still low %.3g s after the faults",
                           wl->string, fl_time_to_s(end) - fe);
    }
}

/* Does a fault begin at or before t? (The fault loop below writes those moments.) */
static bool has_fault_before(const fl_world *w, fl_time t)
{
    for (uint32_t i = 0; i < w->nfaults; i++)
        if (w->faults[i].at <= t)
            return true;
    return false;
}

/* events.jsonl: the run's notable moments, in time order: the faults, what the kinds
 * recorded (fl_world_event), each workload's recovery; then one "events-capped" line per
 * (event, node) that had more lines than the file keeps. */
static char *event_lines(fl_world *w, const char *variant, fl_status st, const char *why,
                         const cJSON *summary)
{
    char *buf = NULL;
    size_t len = 0;
    double end = fl_time_to_s(fl_sim_now(w->sim));
    if (st == FL_OK)
        recovery_events(w, summary);
    const fl_world_events *es = fl_world_events_sorted(w);
    uint32_t k = 0, nev = es ? es->n : 0;
    if (event_line(&buf, &len, 0, "run-start", "variant", variant))
        goto fail;
    if (w->warmup > 0 && fl_sim_now(w->sim) >= w->warmup) {
        for (; k < nev && es->ev[k].t < w->warmup && !has_fault_before(w, es->ev[k].t); k++)
            if (world_line(&buf, &len, &es->ev[k]))
                goto fail;
        if (event_line(&buf, &len, fl_time_to_s(w->warmup), "warmup-end", NULL, NULL))
            goto fail;
    }
    /* Faults that began, in time order (they were declared in any order), with the kinds'
     * moments merged in before each (a fault first when both fall at one instant). */
    for (fl_time t = -1;;) {
        fl_time next = FL_TIME_MAX;
        for (uint32_t i = 0; i < w->nfaults; i++)
            if (w->faults[i].at > t && w->faults[i].at < next)
                next = w->faults[i].at;
        if (next == FL_TIME_MAX || next > fl_sim_now(w->sim))
            break;
        for (; k < nev && es->ev[k].t < next; k++)
            if (world_line(&buf, &len, &es->ev[k]))
                goto fail;
        for (uint32_t i = 0; i < w->nfaults; i++) {
            const fl_fault *f = &w->faults[i];
            if (f->at != next)
                continue;
            fl_time until = f->until < w->duration ? f->until : w->duration;
            double until_s = f->kind == FL_FAULT_CLOCK && f->until == f->at ? -1 /* a step */
                                                                            : fl_time_to_s(until);
            /* On a node (or member) with its own clock, the trace gives its reading too. */
            const fl_clock *clk =
                f->links ? NULL : fl_member_clock(w->comps[f->target], f->member);
            fl_time local = clk ? fl_clock_wall(clk, f->at) : 0;
            if (event_window(&buf, &len, fl_time_to_s(f->at), until_s, fl_fault_name(f->kind), "label",
                             f->label, clk ? &local : NULL))
                goto fail;
        }
        t = next;
    }
    for (; k < nev && es->ev[k].t <= fl_sim_now(w->sim); k++)
        if (world_line(&buf, &len, &es->ev[k]))
            goto fail;
    for (uint32_t i = 0; es && i < es->ncaps; i++) {
        const fl_world_cap *c = &es->caps[i];
        if (!c->dropped)
            continue;
        fl_world_ev ev = {.t = fl_sim_now(w->sim), .until = -1, .event = "events-capped"};
        snprintf(ev.node, sizeof ev.node, "%s", c->node);
        snprintf(ev.label, sizeof ev.label, "%u more %s lines not written (the file keeps the "
                 "first %d per event and node)", c->dropped, c->event, FL_WORLD_EVENTS_PER_KIND);
        if (world_line(&buf, &len, &ev))
            goto fail;
    }
    if (event_line(&buf, &len, end, st == FL_OK ? "run-end" : "stopped",
                   st == FL_OK ? NULL : "because", why))
        goto fail;
    return buf;
fail:
    fl_free(buf);
    return NULL;
}

fl_status fl_run(const fl_scenario *sc, const fl_run_config *cfg, fl_result **out, fl_error *e)
{
    *out = NULL;
    fl_error_clear(e);
    const char *variant = cfg->variant ? cfg->variant : "baseline";
    uint64_t seed = cfg->seed_given ? cfg->seed : fl_scenario_seed(sc);
    cJSON *doc = NULL;
    fl_world *w = NULL;
    fl_result *r = NULL;
    progress_ctx pc = {cfg, 0, NULL, 0, fl_alloc_failures(), false};
    void *reserve = NULL;
    fl_status st = fl__scenario_instance(sc, variant, cfg->sets, cfg->nsets, &doc, e);
    if (st)
        return st;
    if ((st = fl_world_build_polled(doc, seed, poll_stop, &pc, &w, e))) {
        if (st == FL_INTERRUPTED) {
            const char *why = cfg->why_stopped ? cfg->why_stopped(cfg->progress_ctx) : NULL;
            fl_error_set(e, st, NULL, "stopped while building the model: %s",
                         why ? why : "interrupted");
        } else if (cfg->nsets && !e->file[0])
            snprintf(e->file, sizeof e->file, "--set");
        else if (e->line == 0)
            fl__scenario_locate(sc, e);
        goto done;
    }
    if (cfg->history && (st = fl_world_want_history(w))) {
        fl_error_set(e, st, NULL, "out of memory");
        goto done;
    }
    /* Room for the summary of a run that runs out of memory: released when it does.
     * Address space only (never touched), so it costs no resident memory. */
    reserve = fl_malloc(RESERVE_BYTES);
    pc.duration = w->duration;
    pc.w = w;
    fl_sim_set_progress(w->sim, POLL_EVERY, on_progress, &pc);
    if (cfg->max_events)
        fl_sim_set_event_limit(w->sim, cfg->max_events);
    fl_alloc_on_failure(fail_nomem, w->sim);
    fl_status run_st = fl_world_run(w);
    fl_alloc_on_failure(NULL, NULL);
    /* An allocation refused anywhere in the model (even where its caller went on) fails
     * the run: its figures could count the failure as traffic. */
    if (run_st != FL_NOMEM && fl_alloc_failures() != pc.refused)
        run_st = FL_NOMEM;
    if (cfg->window && (run_st == FL_OK || run_st == FL_LIMIT || run_st == FL_INTERRUPTED))
        report_windows(&pc, fl_sim_now(w->sim), run_st == FL_OK);
    if (run_st != FL_OK && run_st != FL_LIMIT && run_st != FL_INTERRUPTED &&
        run_st != FL_NOMEM) {
        /* A scheduling call the engine refused (the past, no such handler): a bug in a
         * model, not in the input. */
        st = run_st == FL_INVALID
                 ? fl_error_set(e, FL_INTERNAL, NULL,
                                "the run failed: a model scheduled an event in the past or "
                                "for no handler (a bug in faultline; please report it)")
                 : fl_error_set(e, run_st, NULL, "the run failed: %s", fl_strerror(run_st));
        goto done;
    }
    fl_free(reserve);
    reserve = NULL;
    /* From here on a refused allocation means a summary with a figure missing. */
    long refused = fl_alloc_failures();
    st = FL_NOMEM;
    if (!(r = fl_calloc(1, sizeof *r)) || !(r->summary = cJSON_CreateObject()))
        goto nomem;
    cJSON *s = r->summary;
    char hash[32];
    snprintf(hash, sizeof hash, "%016" PRIx64, fl_sim_hash(w->sim));
    cJSON_AddStringToObject(s, "faultline_version", FL_VERSION);
    cJSON_AddStringToObject(s, "scenario", fl_scenario_name(sc));
    cJSON_AddStringToObject(s, "title", fl_scenario_title(sc));
    cJSON_AddStringToObject(s, "variant", variant);
    cJSON_AddNumberToObject(s, "seed", (double)seed);
    cJSON *sets = cJSON_AddArrayToObject(s, "overrides");
    for (size_t i = 0; i < cfg->nsets; i++)
        cJSON_AddItemToArray(sets, cJSON_CreateString(cfg->sets[i]));
    cJSON_AddNumberToObject(s, "duration_s", fl_time_to_s(w->duration));
    cJSON_AddNumberToObject(s, "warmup_s", fl_time_to_s(w->warmup));
    cJSON_AddNumberToObject(s, "window_s", fl_time_to_s(w->window));
    cJSON_AddBoolToObject(s, "complete", true);
    cJSON_AddNumberToObject(s, "simulated_s", fl_time_to_s(fl_sim_now(w->sim)));
    cJSON_AddNumberToObject(s, "events", (double)fl_sim_events(w->sim));
    cJSON_AddStringToObject(s, "event_hash", hash);
    cJSON_AddNumberToObject(s, "pending_max", (double)fl_sim_pending_max(w->sim));
    fl_world_report(w, s);
    /* A limit or a signal that came while the checkers ran stops the run all the same. */
    if (run_st == FL_OK && poll_stop(&pc))
        run_st = FL_INTERRUPTED;
    if (run_st != FL_OK) {
        const char *why = run_st == FL_LIMIT    ? "event limit (--max-events)"
                          : run_st == FL_NOMEM ? "out of memory"
                                               : "interrupted";
        if (run_st == FL_INTERRUPTED && cfg->why_stopped && cfg->why_stopped(cfg->progress_ctx))
            why = cfg->why_stopped(cfg->progress_ctx);
        s = r->summary = mark_incomplete(s, why);
        /* figures of a run cut short would make every verdict a guess */
        cJSON_AddStringToObject(s, "verdict", "incomplete");
    } else
        r->failed = fl__expect_eval(sc, variant, s, &r->stated);
    /* The texts only for a caller that will show or write them. */
    if (!cfg->figures_only &&
        (!(r->summary_text = cJSON_Print(s)) ||
         !(r->events = event_lines(w, variant, run_st,
                                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "stopped_because")),
                                   s))))
        goto nomem;
    /* cJSON's adders fail silently: if any allocation was refused, the summary may lack a
     * figure, and a result with a missing figure is worse than none. */
    if (fl_alloc_failures() != refused)
        goto nomem;
    r->series = w->series; /* the result takes the series over */
    w->series = NULL;
    if (cfg->history) { /* and the history, when asked for (it may be large) */
        r->history = w->history;
        w->history = NULL;
    }
    *out = r;
    r = NULL;
    st = run_st;
    if (st == FL_NOMEM)
        fl_error_set(e, FL_NOMEM, NULL,
                     "out of memory: the run stopped at %.3f s of simulated time",
                     fl_time_to_s(fl_sim_now(w->sim)));
    goto done;
nomem:
    fl_error_set(e, FL_NOMEM, NULL, run_st == FL_NOMEM ? "out of memory while running the model"
                                                       : "out of memory while writing the summary");
done:
    fl_free(reserve);
    fl_result_free(r);
    fl_world_free(w);
    cJSON_Delete(doc);
    return st;
}
