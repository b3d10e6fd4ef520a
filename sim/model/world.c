/* Building and running the world: see world.h. */
#include "model/world.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <faultline/name.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/caller.h"
#include "model/rollout.h"

static const char *const outcome_names[] = {
#define FL__OUTN(n, s) s,
    FL_OUTCOME_TABLE(FL__OUTN)
#undef FL__OUTN
};

const char *fl_outcome_name(fl_outcome o)
{
    return (unsigned)o < FL_OUT_COUNT ? outcome_names[o] : "?";
}

/* The cap entry for (event, node), created when missing; NULL out of memory. */
static fl_world_cap *event_cap(fl_world_events *es, const char *event, const char *node)
{
    for (uint32_t i = 0; i < es->ncaps; i++)
        if (strcmp(es->caps[i].event, event) == 0 && strcmp(es->caps[i].node, node) == 0)
            return &es->caps[i];
    if (es->ncaps == es->caps_cap) {
        uint32_t nc = es->caps_cap ? es->caps_cap * 2 : 16;
        fl_world_cap *n = fl_realloc(es->caps, nc * sizeof *n);
        if (!n)
            return NULL;
        es->caps = n;
        es->caps_cap = nc;
    }
    fl_world_cap *c = &es->caps[es->ncaps++];
    memset(c, 0, sizeof *c);
    c->event = event;
    snprintf(c->node, sizeof c->node, "%s", node);
    return c;
}

static void world_event(fl_world *w, fl_time t, fl_time until, const char *node,
                        const char *event, const char *fmt, va_list ap)
{
    if (!w->events && !(w->events = fl_calloc(1, sizeof *w->events)))
        return;
    fl_world_events *es = w->events;
    fl_world_cap *c = event_cap(es, event, node ? node : "");
    if (!c)
        return;
    if (c->kept >= FL_WORLD_EVENTS_PER_KIND) {
        c->dropped++;
        return;
    }
    if (es->n == es->cap) {
        uint32_t nc = es->cap ? es->cap * 2 : 64;
        fl_world_ev *n = fl_realloc(es->ev, nc * sizeof *n);
        if (!n) {
            c->dropped++;
            return;
        }
        es->ev = n;
        es->cap = nc;
    }
    fl_world_ev *ev = &es->ev[es->n++];
    ev->t = t;
    ev->until = until;
    ev->event = event;
    snprintf(ev->node, sizeof ev->node, "%s", node ? node : "");
    vsnprintf(ev->label, sizeof ev->label, fmt, ap);
    c->kept++;
}

void fl_world_event(fl_world *w, fl_time t, const char *node, const char *event,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    world_event(w, t, -1, node, event, fmt, ap);
    va_end(ap);
}

void fl_world_window(fl_world *w, fl_time t, fl_time until, const char *node,
                     const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    world_event(w, t, until, node, event, fmt, ap);
    va_end(ap);
}

const fl_world_events *fl_world_events_sorted(fl_world *w)
{
    fl_world_events *es = w->events;
    if (!es || es->n < 2)
        return es;
    /* Insertion sort, stable: events are recorded nearly in time order (only a schedule announced
     * at the start runs ahead), so this is close to linear and stable */
    for (uint32_t i = 1; i < es->n; i++) {
        fl_world_ev tmp = es->ev[i];
        uint32_t j = i;
        while (j > 0 && es->ev[j - 1].t > tmp.t) {
            es->ev[j] = es->ev[j - 1];
            j--;
        }
        es->ev[j] = tmp;
    }
    return es;
}

void fl_world_stream(const fl_world *w, fl_rng *r, const char *owner, const char *purpose)
{
    char name[300];
    snprintf(name, sizeof name, "%s/%s", owner, purpose);
    fl_rng_seed(r, w->seed, name);
}

uint32_t fl_req_new(fl_world *w)
{
    uint32_t id;
    /* No room for another request fails the run (fl_sim_fail): never a refusal. */
    fl_req *r = fl__pool_take(w->sim, &w->reqs_pool, w->reqs, sizeof *r, offsetof(fl_req, next),
                              1024, &id);
    if (!r)
        return FL_NONE;
    w->reqs = r;
    memset(&w->reqs[id], 0, sizeof w->reqs[id]);
    w->reqs[id].next = FL_NONE;
    w->reqs_live++;
    return id;
}

static void req_free(fl_world *w, uint32_t id)
{
    fl__pool_put(&w->reqs_pool, w->reqs, sizeof *w->reqs, offsetof(fl_req, next), id);
    w->reqs_live--;
}

void fl_req_server_done(fl_world *w, uint32_t id)
{
    fl_req *r = &w->reqs[id];
    assert(!r->server_done); /* each side is done once, or the record is freed twice */
    r->server_done = 1;
    if (r->client_done)
        req_free(w, id);
}

void fl_req_client_done(fl_world *w, uint32_t id)
{
    fl_req *r = &w->reqs[id];
    assert(!r->client_done);
    r->client_done = 1;
    if (r->server_done)
        req_free(w, id);
}

static void arrive_server(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    fl_world *w = ctx;
    uint32_t id = (uint32_t)arg;
    fl_component *c = w->comps[w->reqs[id].target];
    w->reqs[id].t_arrive = fl_sim_now(w->sim);
    c->ops->on_request(w, c, id);
}

static void arrive_client(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    fl_world *w = ctx;
    uint32_t id = (uint32_t)arg;
    if (fl_caller_on_reply(w->callers[w->reqs[id].caller], id))
        fl_req_server_done(w, id); /* only now: the record had to outlive the delivery */
}

static void on_timeout(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    fl_world *w = ctx;
    uint32_t id = (uint32_t)arg;
    fl_caller_on_timeout(w->callers[w->reqs[id].caller], id);
}

/* Message id was duplicated on link l (net/link.h): the copy is a record of its own, born
 * client-done (the caller never had it in flight, so its reply is ignored) and freed when
 * its server side is done. Both go by handler h, after l->twice[0] and l->twice[1]. Out of
 * memory, the copy is not made. */
static void deliver_twice(fl_world *w, uint32_t id, const fl_link *l, int h)
{
    uint32_t c = fl_req_new(w); /* may move w->reqs */
    if (c != FL_NONE) {
        w->reqs[c] = w->reqs[id];
        fl_req *r = &w->reqs[c];
        r->next = FL_NONE;
        r->timeout = FL_TIMER_NONE;
        r->dup = 1;
        r->client_done = 1;
        r->server_done = 0;
    }
    if (l->twice[0] == 0 && h == w->h_arrive_server)
        arrive_server(w->sim, w, id);
    else if (l->twice[0] == 0)
        arrive_client(w->sim, w, id);
    else
        fl_sim_after(w->sim, l->twice[0], h, id);
    if (c != FL_NONE)
        fl_sim_after(w->sim, l->twice[1], h, c);
}

void fl_world_send(fl_world *w, uint32_t id)
{
    fl_req *r = &w->reqs[id];
    fl_link *l = fl_net_route(w->net, r->caller, fl_caller_zone(w->callers[r->caller]), r->target,
                              w->comps[r->target]->zone, false);
    fl_time d = fl_link_send_msg(l, FL_MSG_REQUEST);
    if (d < 0) {
        if (d == FL_LINK_TWICE) /* duplicated: the server serves the copy too */
            deliver_twice(w, id, l, w->h_arrive_server);
        else /* lost on the way: the server never hears of it; the client will time out */
            fl_req_server_done(w, id);
        return;
    }
    if (d == 0)
        arrive_server(w->sim, w, id); /* zero latency: no event needed */
    else
        fl_sim_after(w->sim, d, w->h_arrive_server, id);
}

void fl_world_giveup(fl_world *w, uint32_t id)
{
    fl_req *r = &w->reqs[id];
    fl_component *c = w->comps[r->target];
    /* client_done: still the record given up (a record freed and reused is not) */
    if (r->client_done && !r->server_done && !r->dup && c->ops->giveup)
        c->ops->giveup(w, c, id);
}

void fl_world_reply(fl_world *w, uint32_t id, fl_outcome o)
{
    fl_req *r = &w->reqs[id];
    r->outcome = (uint8_t)o;
    fl_link *l = fl_net_route(w->net, r->caller, fl_caller_zone(w->callers[r->caller]), r->target,
                              w->comps[r->target]->zone, true);
    fl_time d = fl_link_send_msg(l, FL_MSG_REPLY);
    if (d < 0) {
        if (d == FL_LINK_TWICE) /* duplicated: the later copy reaches the client, ignored */
            deliver_twice(w, id, l, w->h_arrive_client);
        else /* the reply is lost: the server is done, the client will time out */
            fl_req_server_done(w, id);
        return;
    }
    if (d == 0)
        arrive_client(w->sim, w, id);
    else
        fl_sim_after(w->sim, d, w->h_arrive_client, id);
}

static void on_sample(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    fl_world *w = ctx;
    fl_time now = fl_sim_now(sim);
    fl_time t = now - w->window; /* the window that just ended */
    for (uint32_t i = 0; i < w->ncomps; i++)
        if (w->comps[i]->ops->sample)
            w->comps[i]->ops->sample(w, w->comps[i], t);
    for (uint32_t i = 0; i < w->nwls; i++)
        fl_workload_sample(w, w->wls[i], t);
    if (now < w->duration)
        fl_sim_at(sim, now + w->window < w->duration ? now + w->window : w->duration,
                  w->h_sample, 0);
}

void fl_world_free(fl_world *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->ncomps; i++) {
        fl_component *c = w->comps[i];
        if (!c)
            continue;
        if (c->ops && c->ops->destroy)
            c->ops->destroy(c);
        fl_clock_free(c->host.clock);
        for (uint32_t m = 0; m < c->nmclock; m++)
            fl_clock_free(c->mclock[m]);
        fl_free(c->mclock);
        fl_free(c->name);
        fl_free(c);
    }
    fl_free(w->comps);
    for (uint32_t i = 0; i < w->nfaults; i++) {
        fl_free(w->faults[i].links);
        fl__rollout_free(w->faults[i].rollout);
    }
    fl_free(w->faults);
    for (uint32_t i = 0; i < w->ncallers; i++)
        fl_caller_free(w->callers[i]);
    fl_free(w->callers);
    for (uint32_t i = 0; i < w->nwls; i++)
        fl_workload_free(w->wls[i]);
    fl_free(w->wls);
    for (int i = 0; i < w->nzones; i++)
        fl_free(w->zones[i]);
    fl_free(w->zones);
    fl_net_free(w->net);
    for (uint32_t i = 0; i < w->nmember_eps; i++)
        fl_free(w->member_names[i]);
    fl_free(w->member_names);
    fl_free(w->member_base);
    fl_series_free(w->series);
    fl__spare_give(FL_SPARE_REQS, w->reqs, (size_t)w->reqs_pool.cap * sizeof *w->reqs);
    fl_history_free(w->history);
    if (w->events) {
        fl_free(w->events->ev);
        fl_free(w->events->caps);
        fl_free(w->events);
    }
    fl_sim_free(w->sim);
    fl_free(w);
}

fl_status fl_world_want_history(fl_world *w)
{
    if (!w->history && !(w->history = fl_history_new()))
        return FL_NOMEM;
    return FL_OK;
}

static void report_check(cJSON *parent, const char *name, const fl_check_result *r,
                         bool time_based)
{
    cJSON *o = cJSON_AddObjectToObject(parent, name);
    cJSON_AddNumberToObject(o, "count", (double)r->count);
    /* time-based checkers count in nanoseconds: "of" is then seconds, like "seconds" */
    cJSON_AddNumberToObject(o, "of", time_based ? fl_time_to_s((fl_time)r->relevant)
                                                : (double)r->relevant);
    cJSON_AddNumberToObject(o, "rate", r->rate);
    if (r->duration || time_based)
        cJSON_AddNumberToObject(o, "seconds", fl_time_to_s(r->duration));
    cJSON *ex = cJSON_AddArrayToObject(o, "examples");
    for (size_t i = 0; i < r->nexamples; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "t_s", fl_time_to_s(r->examples[i].t0));
        cJSON_AddNumberToObject(x, "key", (double)r->examples[i].key);
        cJSON_AddStringToObject(x, "what", r->examples[i].text);
        cJSON_AddItemToArray(ex, x);
    }
}

void fl_world_report_check(cJSON *parent, const char *name, const fl_check_result *r)
{
    report_check(parent, name, r, false);
}

void fl_world_report_time_check(cJSON *parent, const char *name, const fl_check_result *r)
{
    report_check(parent, name, r, true);
}

/* Anomalies over time: one series column per checker (per second, by the time the read
 * was invoked), added after the run (columns may join late: windows start empty). */
static void count_anomaly(void *ctx, int which, fl_time t)
{
    fl_world *w = ctx;
    fl_series_add(w->series, w->col_anomalies[which], t, 1);
}

/* The checkers every history supports: stale reads and the session guarantees. */
static void report_consistency(fl_world *w, cJSON *summary)
{
    cJSON *c = cJSON_AddObjectToObject(summary, "consistency");
    fl_check_result stale, ryw, mono;
    static const char *const cols[] = {"consistency.stale_reads_per_s",
                                       "consistency.ryw_violations_per_s",
                                       "consistency.monotonic_violations_per_s"};
    for (int i = 0; i < 3; i++)
        w->col_anomalies[i] = fl_series_column(w->series, cols[i], FL_SERIES_RATE);
    if (fl_check_stale_reads_each(w->history, &stale, count_anomaly, w) != FL_OK ||
        fl_check_sessions_each(w->history, &ryw, &mono, count_anomaly, w) != FL_OK) {
        cJSON_AddStringToObject(c, "error", "out of memory while checking the history");
        return;
    }
    cJSON_AddNumberToObject(c, "operations", (double)fl_history_count(w->history));
    fl_world_report_check(c, "stale_reads", &stale);
    fl_world_report_check(c, "read_your_writes_violations", &ryw);
    fl_world_report_check(c, "monotonic_read_violations", &mono);
    /* Register linearizability per key, within a step budget small enough to add well
     * under a second to a run: "unknown" is an honest answer when it runs out. */
    fl_lin_budget budget = {100000, 1000000};
    fl_lin_result lin;
    if (fl_check_linearizable(w->history, &budget, &lin) != FL_OK) {
        cJSON_AddStringToObject(c, "error", "out of memory while checking linearizability");
        return;
    }
    cJSON *l = cJSON_AddObjectToObject(c, "linearizability");
    cJSON_AddStringToObject(l, "verdict", fl_lin_verdict_name(lin.verdict));
    cJSON_AddNumberToObject(l, "keys", (double)lin.keys);
    cJSON_AddNumberToObject(l, "keys_unknown", (double)lin.keys_unknown);
    cJSON_AddNumberToObject(l, "steps", (double)lin.steps);
    if (lin.verdict == FL_LIN_NOT_LINEARIZABLE) {
        cJSON_AddNumberToObject(l, "first_key", (double)lin.first_key);
        fl_world_report_check(l, "keys_not_linearizable", &lin.bad);
    }
}

static const char *const clock_keys[] = {"offset", "drift", NULL};

/* A node's "clock": {"offset": "-20ms", "drift": "50ppm"} (both optional). No key, or a
 * clock that reads true time, leaves host.clock NULL (the fast path). */
fl_status fl_world_find_node(const fl_world *w, const char *name, const fl_component *self,
                             const fl_component_ops *want, const char *path, uint32_t *out,
                             fl_error *e)
{
    for (uint32_t t = 0; t < w->ncomps; t++) {
        const fl_component *c = w->comps[t];
        if (strcmp(c->name, name) != 0)
            continue;
        if (self && t == self->index)
            return fl_error_set(e, FL_INVALID, path, "\"%s\" is this %s itself (name another node)",
                                name, self->ops->kind);
        if (want && c->ops != want)
            return fl_error_set(e, FL_INVALID, path,
                                "expected a node of kind \"%s\", but \"%s\" is a %s", want->kind,
                                name, c->ops->kind);
        *out = t;
        return FL_OK;
    }
    const char *names[65];
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->ncomps && n < 64; i++)
        if ((!self || i != self->index) && (!want || w->comps[i]->ops == want))
            names[n++] = w->comps[i]->name;
    names[n] = NULL;
    const char *sug = fl_cfg_suggest(name, names);
    if (sug)
        return fl_error_set(e, FL_UNKNOWN, path, "no node named \"%s\" (did you mean \"%s\"?)",
                            name, sug);
    return fl_error_set(e, FL_UNKNOWN, path, "no node named \"%s\"", name);
}

/* The series columns a node registered since `from` must be ones its kind declares. */
static fl_status check_columns(fl_world *w, const fl_component *c, size_t from, fl_error *e)
{
    fl_status st;
    for (size_t k = from; k < fl_series_columns(w->series); k++)
        if ((st = fl_kind_check_column(c, fl_series_name(w->series, (int)k), e)))
            return st;
    return FL_OK;
}

static fl_status node_clock(fl_component *c, const cJSON *nd, const char *path, fl_error *e)
{
    const cJSON *clk = cJSON_GetObjectItemCaseSensitive(nd, "clock");
    if (!clk)
        return FL_OK;
    char p[128];
    fl_cfg_join(p, sizeof p, path, "clock");
    fl_time offset;
    int64_t drift;
    fl_status st;
    if ((st = fl_cfg_object(clk, p, e)) || (st = fl_cfg_known_keys(clk, p, clock_keys, e)) ||
        (st = fl_cfg_offset(clk, p, "offset", FL_CFG_OPTIONAL, 24 * FL_HOUR, &offset, e)) ||
        (st = fl_cfg_ppm(clk, p, "drift", FL_CFG_OPTIONAL, false, FL_CLOCK_MAX_PPB, &drift, e)))
        return st;
    if (offset == 0 && drift == 0)
        return FL_OK;
    c->host.clock = fl_clock_new(offset, drift);
    return c->host.clock ? FL_OK : FL_NOMEM;
}

/* Asks the build's poll whether to stop; sets e when it says so. */
static fl_status polled(fl_world *w, fl_error *e)
{
    if (!w->poll || !w->poll(w->poll_ctx))
        return FL_OK;
    return fl_error_set(e, FL_INTERRUPTED, NULL, "stopped while building the model");
}

static fl_status build_nodes(fl_world *w, const cJSON *nodes, fl_error *e)
{
    fl_status st;
    if (!nodes)
        return fl_error_set(e, FL_INVALID, "nodes", "missing; expected a non-empty array of nodes");
    if (!cJSON_IsArray(nodes) || cJSON_GetArraySize(nodes) == 0) {
        char got[64];
        fl_cfg_describe(nodes, got, sizeof got);
        return fl_error_set(e, FL_INVALID, "nodes",
                            "expected a non-empty array of nodes, got %s", got);
    }
    uint32_t n = (uint32_t)cJSON_GetArraySize(nodes);
    w->comps = fl_calloc(n, sizeof *w->comps);
    if (!w->comps)
        return FL_NOMEM;
    uint32_t i = 0;
    for (const cJSON *nd = nodes->child; nd; nd = nd->next, i++) {
        char path[64], p[128];
        fl_cfg_index(path, sizeof path, "nodes", (int)i);
        const char *name, *kind, *zone;
        if ((st = fl_cfg_object(nd, path, e)) ||
            (st = fl_cfg_name(nd, path, "name", FL_CFG_REQUIRED, &name, e)) ||
            (st = fl_cfg_string(nd, path, "kind", FL_CFG_REQUIRED, NULL, &kind, e)) ||
            (st = fl_cfg_string(nd, path, "zone", FL_CFG_OPTIONAL, NULL, &zone, e)))
            return st;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(w->comps[j]->name, name) == 0)
                return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "name"),
                                    "duplicate node name \"%s\" (also nodes[%u])", name, j);
        const fl_component_ops *ops = fl_kind_find(kind);
        if (!ops) {
            const char *s = fl_cfg_suggest(kind, fl_kind_names());
            char known[512];
            size_t kn = 0;
            known[0] = 0;
            for (const char *const *k = fl_kind_names(); *k && kn < sizeof known; k++)
                kn += (size_t)snprintf(known + kn, sizeof known - kn, "%s%s", kn ? ", " : "", *k);
            if (s)
                return fl_error_set(e, FL_UNKNOWN, fl_cfg_join(p, sizeof p, path, "kind"),
                                    "unknown kind \"%s\" (did you mean \"%s\"?)", kind, s);
            return fl_error_set(e, FL_UNKNOWN, fl_cfg_join(p, sizeof p, path, "kind"),
                                "unknown kind \"%s\" (known kinds: %s)", kind, known);
        }
        fl_component *c = fl_calloc(1, sizeof *c);
        if (!c)
            return FL_NOMEM;
        w->comps[i] = c;
        w->ncomps = i + 1;
        c->ops = ops;
        w->outcomes |= ops->outcomes;
        c->index = i;
        c->zone = -1;
        c->name = fl_strdup(name);
        if (!c->name)
            return FL_NOMEM;
        if (zone) {
            int z;
            for (z = 0; z < w->nzones && strcmp(w->zones[z], zone) != 0; z++)
                ;
            if (z == w->nzones)
                return fl_error_set(e, FL_UNKNOWN, fl_cfg_join(p, sizeof p, path, "zone"),
                                    "unknown zone \"%s\" (declare it in \"zones\")", zone);
            c->zone = z;
        }
        uint32_t first = w->ncallers; /* the callers a node makes send from it (net/link.h) */
        size_t cols = fl_series_columns(w->series);
        if ((st = polled(w, e)) || (st = node_clock(c, nd, path, e)) ||
            (st = fl_kind_known_keys(ops, nd, path, e)) ||
            (st = fl_kind_check_bounds(ops, nd, path, e)) ||
            (st = ops->configure(w, c, nd, path, e)) ||
            (st = fl_net_own_callers(w->net, first, w->ncallers, i)) ||
            (st = check_columns(w, c, cols, e)))
            return st;
    }
    for (i = 0; i < w->ncomps; i++) {
        uint32_t first = w->ncallers;
        size_t cols = fl_series_columns(w->series);
        if ((w->comps[i]->ops->connect && (st = w->comps[i]->ops->connect(w, w->comps[i], e))) ||
            (st = fl_net_own_callers(w->net, first, w->ncallers, i)) ||
            (st = check_columns(w, w->comps[i], cols, e)))
            return st;
    }
    return fl_service_check_cycles(w, e);
}

static fl_status build_zones(fl_world *w, const cJSON *zones, fl_error *e)
{
    if (!zones)
        return FL_OK;
    if (!cJSON_IsArray(zones))
        return fl_error_set(e, FL_INVALID, "zones", "expected an array of zone names");
    int n = cJSON_GetArraySize(zones);
    w->zones = fl_calloc((size_t)n + 1, sizeof *w->zones);
    if (!w->zones)
        return FL_NOMEM;
    int i = 0;
    for (const cJSON *z = zones->child; z; z = z->next, i++) {
        char p[64];
        fl_cfg_index(p, sizeof p, "zones", i);
        if (!cJSON_IsString(z)) {
            char got[64];
            fl_cfg_describe(z, got, sizeof got);
            return fl_error_set(e, FL_INVALID, p, "expected a zone name, got %s", got);
        }
        char why[300];
        if (fl_name_check(z->valuestring, strlen(z->valuestring), why, sizeof why) != 0)
            return fl_error_set(e, FL_INVALID, p, "%s", why);
        for (int j = 0; j < i; j++)
            if (strcmp(w->zones[j], z->valuestring) == 0)
                return fl_error_set(e, FL_INVALID, p, "duplicate zone \"%s\"", z->valuestring);
        if (!(w->zones[i] = fl_strdup(z->valuestring)))
            return FL_NOMEM;
        w->nzones = i + 1;
    }
    return FL_OK;
}

/* The member endpoint i (counted from the first member endpoint): its node and member. */
static fl_peer member_endpoint(const fl_world *w, uint32_t i)
{
    uint32_t c = 0;
    while (c + 1 < w->ncomps && w->member_base[c + 1] - w->ncomps - w->nwls <= i)
        c++;
    return (fl_peer){c, (int32_t)(i + w->ncomps + w->nwls - w->member_base[c])};
}

int fl_world_peer_zone(const fl_world *w, fl_peer p)
{
    const fl_component *c = w->comps[p.node];
    if (p.member < 0)
        return c->zone;
    int z = c->ops->member_zone(c, (uint32_t)p.member);
    return z == FL_MEMBER_IS_NODE ? c->zone : z;
}

/* Endpoint i of the network's node links: nodes, then workloads (a workload's zone is
 * its caller's), then the members of nodes ("db/2"). zone may be NULL. */
static const char *net_endpoint(void *ctx, uint32_t i, int *zone)
{
    fl_world *w = ctx;
    if (i < w->ncomps) {
        if (zone)
            *zone = w->comps[i]->zone;
        return w->comps[i]->name;
    }
    if (i >= w->ncomps + w->nwls) {
        uint32_t k = i - w->ncomps - w->nwls;
        if (zone)
            *zone = fl_world_peer_zone(w, member_endpoint(w, k));
        return w->member_names[k];
    }
    for (uint32_t k = 0; zone && k < w->ncallers; k++)
        if (fl_net_owner(w->net, k) == i) {
            *zone = fl_caller_zone(w->callers[k]);
            break;
        }
    return fl_workload_name(w->wls[i - w->ncomps]);
}

/* Names the members of every node as network endpoints ("db/2"), after the workloads. */
static fl_status member_endpoints(fl_world *w)
{
    if (!(w->member_base = fl_calloc((size_t)w->ncomps + 1, sizeof *w->member_base)))
        return FL_NOMEM;
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->ncomps; i++) {
        const fl_component *c = w->comps[i];
        const char *noun;
        w->member_base[i] = w->ncomps + w->nwls + n;
        n += c->ops->members ? c->ops->members(c, &noun) : 0;
    }
    if (!n)
        return FL_OK;
    if (!(w->member_names = fl_calloc(n, sizeof *w->member_names)))
        return FL_NOMEM;
    for (uint32_t k = 0; k < n; k++) {
        fl_peer p = member_endpoint(w, k);
        char name[300];
        snprintf(name, sizeof name, "%s/%d", w->comps[p.node]->name, (int)p.member);
        if (!(w->member_names[k] = fl_strdup(name)))
            return FL_NOMEM;
        w->nmember_eps = k + 1;
    }
    return FL_OK;
}

/* The endpoint index of a peer (a member that is its node: the node's). */
static uint32_t peer_endpoint(const fl_world *w, fl_peer p)
{
    if (p.member < 0)
        return p.node;
    const fl_component *c = w->comps[p.node];
    if (c->ops->member_zone(c, (uint32_t)p.member) == FL_MEMBER_IS_NODE)
        return p.node;
    return w->member_base[p.node] + (uint32_t)p.member;
}

static fl_link *peer_link(const fl_world *w, fl_peer a, fl_peer b)
{
    fl_link *l = fl_net_pair(w->net, peer_endpoint(w, a), peer_endpoint(w, b));
    return l ? l : fl_net_link(w->net, fl_world_peer_zone(w, a), fl_world_peer_zone(w, b));
}

/* One message on link l: a stream (copy NULL) is never copied; a datagram may be. */
static fl_time link_send(fl_link *l, fl_time *copy)
{
    if (!copy)
        return fl_link_send(l);
    *copy = -1;
    fl_time d = fl_link_send_msg(l, FL_MSG_REQUEST);
    if (FL_NET_RARELY(d == FL_LINK_TWICE)) {
        *copy = l->twice[1];
        return l->twice[0];
    }
    return d;
}

fl_time fl_world_peer_send(fl_world *w, fl_peer a, fl_peer b, fl_time *copy)
{
    return link_send(peer_link(w, a, b), copy);
}

fl_time fl_world_zone_send(fl_world *w, int za, int zb, fl_time *copy)
{
    return link_send(fl_net_link(w->net, za, zb), copy);
}

bool fl_world_peer_reach(const fl_world *w, fl_peer a, fl_peer b)
{
    return !peer_link(w, a, b)->cut && !peer_link(w, b, a)->cut;
}

bool fl_world_zone_reach(const fl_world *w, int za, int zb)
{
    return !fl_net_link(w->net, za, zb)->cut && !fl_net_link(w->net, zb, za)->cut;
}

fl_status fl_world_build(const cJSON *doc, uint64_t seed, fl_world **out, fl_error *e)
{
    return fl_world_build_polled(doc, seed, NULL, NULL, out, e);
}

fl_status fl_world_build_polled(const cJSON *doc, uint64_t seed, int (*poll)(void *ctx),
                                void *ctx, fl_world **out, fl_error *e)
{
    fl_status st;
    *out = NULL;
    if ((st = fl_kinds_check(e))) /* a kind lacking a required part is refused, not called */
        return st;
    fl_world *w = fl_calloc(1, sizeof *w);
    if (!w)
        return FL_NOMEM;
    w->poll = poll;
    w->poll_ctx = ctx;
    w->seed = seed;
    w->reqs_pool = (fl_pool)FL_POOL_INIT;
    /* The request table of an earlier run of this process, when there is one (pool.h:
     * spares): already grown and touched; only the slots taken are ever read. */
    size_t reqs_bytes;
    w->reqs = fl__spare_take(FL_SPARE_REQS, &reqs_bytes);
    w->reqs_pool.cap = (uint32_t)(reqs_bytes / sizeof *w->reqs);
    if ((st = fl_cfg_duration(doc, "", "duration", FL_CFG_REQUIRED, 0, 1, 100 * 365 * 24 * FL_HOUR,
                              &w->duration, e)) ||
        (st = fl_cfg_duration(doc, "", "warmup", FL_CFG_OPTIONAL, 0, 0, FL_TIME_MAX, &w->warmup,
                              e)) ||
        (st = fl_cfg_duration(doc, "", "window", FL_CFG_OPTIONAL, 0, 1, FL_TIME_MAX, &w->window,
                              e)))
        goto fail;
    if (w->warmup >= w->duration) {
        st = fl_error_set(e, FL_INVALID, "warmup", "expected a warm-up shorter than the duration");
        goto fail;
    }
    if (w->window == 0) /* about 100 windows by default, rounded to a whole millisecond */
        w->window = w->duration / 100 >= FL_MS ? w->duration / 100 / FL_MS * FL_MS : w->duration;
    /* Every series column holds one cell per window: a million windows is already tens of
     * megabytes per column, and no chart has a million pixels to show them. */
    if (w->duration / w->window > 1000000) {
        st = fl_error_set(e, FL_INVALID, "window",
                          "expected a window of at least duration/10^6 (at most a million windows)");
        goto fail;
    }
    st = FL_NOMEM;
    if (!(w->sim = fl_sim_new(seed)) || !(w->series = fl_series_new(w->window, w->duration)))
        goto fail;
    w->h_arrive_server = fl_sim_handler(w->sim, arrive_server, w);
    w->h_arrive_client = fl_sim_handler(w->sim, arrive_client, w);
    w->h_timeout = fl_sim_handler(w->sim, on_timeout, w);
    w->h_sample = fl_sim_handler(w->sim, on_sample, w);
    if (w->h_sample < 0)
        goto fail;
    if ((st = build_zones(w, cJSON_GetObjectItemCaseSensitive(doc, "zones"), e)) ||
        (st = fl_net_configure(cJSON_GetObjectItemCaseSensitive(doc, "links"),
                               (const char *const *)w->zones, w->nzones, seed, &w->net, e)) ||
        (st = build_nodes(w, cJSON_GetObjectItemCaseSensitive(doc, "nodes"), e)) ||
        (st = fl_faults_configure(w, cJSON_GetObjectItemCaseSensitive(doc, "faults"), e)))
        goto fail;
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(doc, "workloads");
    if (!wls) {
        st = fl_error_set(e, FL_INVALID, "workloads",
                          "missing; expected a non-empty array of workloads");
        goto fail;
    }
    if (!cJSON_IsArray(wls) || cJSON_GetArraySize(wls) == 0) {
        char got[64];
        fl_cfg_describe(wls, got, sizeof got);
        st = fl_error_set(e, FL_INVALID, "workloads",
                          "expected a non-empty array of workloads, got %s", got);
        goto fail;
    }
    st = FL_NOMEM;
    if (!(w->wls = fl_calloc((size_t)cJSON_GetArraySize(wls), sizeof *w->wls)))
        goto fail;
    int i = 0;
    for (const cJSON *wc = wls->child; wc; wc = wc->next, i++) {
        char path[64];
        fl_cfg_index(path, sizeof path, "workloads", i);
        uint32_t first = w->ncallers;
        if ((st = polled(w, e)))
            goto fail;
        st = fl_workload_configure(w, (uint32_t)i, &w->wls[i], wc, path, e);
        if (w->wls[i])
            w->nwls = (uint32_t)i + 1;
        if (st || (st = fl_net_own_callers(w->net, first, w->ncallers, w->ncomps + (uint32_t)i)))
            goto fail;
        for (int j = 0; j < i; j++)
            if (strcmp(fl_workload_name(w->wls[j]), fl_workload_name(w->wls[i])) == 0) {
                char p[96];
                st = fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "name"),
                                  "duplicate workload name \"%s\"", fl_workload_name(w->wls[i]));
                goto fail;
            }
    }
    if ((st = member_endpoints(w)))
        goto fail;
    if ((st = fl_net_resolve(w->net, w->sim, net_endpoint, w, w->ncomps, w->ncomps + w->nwls,
                             w->ncomps + w->nwls + w->nmember_eps, e)) ||
        (st = polled(w, e)))
        goto fail;
    for (uint32_t k = 0; k < w->nmember_eps; k++) { /* "db/0" when member 0 is db itself */
        fl_peer p = member_endpoint(w, k);
        if (peer_endpoint(w, p) == p.node)
            fl_net_alias(w->net, w->ncomps + w->nwls + k, p.node);
    }
    *out = w;
    return FL_OK;
fail:
    if (st == FL_NOMEM && e->status != FL_NOMEM)
        fl_error_set(e, FL_NOMEM, NULL, "out of memory while building the model");
    fl_world_free(w);
    return st;
}

fl_status fl_world_run(fl_world *w)
{
    fl_status st;
    for (uint32_t i = 0; i < w->nwls; i++)
        if ((st = fl_workload_start(w, w->wls[i])))
            return st;
    if ((st = fl_sim_at(w->sim, w->window < w->duration ? w->window : w->duration, w->h_sample,
                        0)))
        return st;
    for (uint32_t i = 0; i < w->nfaults; i++) {
        if ((st = fl_sim_at(w->sim, w->faults[i].at, w->h_fault, 2 * (uint64_t)i)))
            return st;
        if (w->faults[i].until < w->duration &&
            (st = fl_sim_at(w->sim, w->faults[i].until, w->h_fault, 2 * (uint64_t)i + 1)))
            return st;
    }
    fl_status st_run = fl_sim_run(w->sim, w->duration);
    for (uint32_t i = 0; i < w->nwls; i++) /* the open window's counts, into the series */
        fl_workload_flush(w->wls[i]);
    return st_run;
}

void fl_world_report(fl_world *w, cJSON *summary)
{
    cJSON *wls = cJSON_AddObjectToObject(summary, "workloads");
    uint64_t issued = 0, ended = 0, inflight = 0;
    for (uint32_t i = 0; i < w->nwls; i++) {
        cJSON *o = cJSON_AddObjectToObject(wls, fl_workload_name(w->wls[i]));
        fl_workload_report(w, w->wls[i], o);
        uint64_t a, b, c;
        fl_workload_counts(w->wls[i], &a, &b, &c);
        issued += a;
        ended += b;
        inflight += c;
    }
    cJSON *nodes = cJSON_AddObjectToObject(summary, "nodes");
    double worst_ll = 0;
    for (uint32_t i = 0; i < w->ncomps; i++) {
        /* A node's report may take long (a million workers): a limit or a signal stops it
         * here too, leaving the rest out of a summary its caller marks incomplete. */
        if (w->poll && w->poll(w->poll_ctx))
            return;
        cJSON *o = cJSON_AddObjectToObject(nodes, w->comps[i]->name);
        cJSON_AddStringToObject(o, "kind", w->comps[i]->ops->kind);
        w->comps[i]->ops->report(w, w->comps[i], o);
        const fl_clock *clk = w->comps[i]->host.clock;
        if (clk) { /* how far the node's clocks are from true time when the run ends */
            fl_time end = fl_sim_now(w->sim);
            cJSON *k = cJSON_AddObjectToObject(o, "clock");
            cJSON_AddNumberToObject(k, "wall_minus_true_s", fl_time_to_s(fl_clock_wall(clk, end) - end));
            cJSON_AddNumberToObject(k, "mono_minus_true_s", fl_time_to_s(fl_clock_mono(clk, end) - end));
            cJSON_AddNumberToObject(k, "rate_ppm_at_end", (double)fl_clock_rate_ppb(clk, end) / 1000);
        }
        cJSON *ll = cJSON_GetObjectItemCaseSensitive(o, "littles_law");
        double rd = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ll, "identity_rel_diff"));
        if (rd > worst_ll) /* NaN-safe: a comparison with NaN is false */
            worst_ll = rd;
    }
    fl_net_report(w->net, cJSON_AddObjectToObject(summary, "network"));
    if (w->poll && w->poll(w->poll_ctx))
        return;
    if (w->history)
        report_consistency(w, summary);
    cJSON *checks = cJSON_AddObjectToObject(summary, "checks");
    /* Little's law in its exact, finite-window form (station.c): the integral of the
     * number present against the sum of stays. Both are sums of the same nanoseconds
     * kept in two ledgers, so only floating-point rounding separates them. */
    cJSON *lit = cJSON_AddObjectToObject(checks, "littles_law");
    cJSON_AddNumberToObject(lit, "max_rel_diff", worst_ll);
    cJSON_AddBoolToObject(lit, "ok", worst_ll <= 1e-6);
    cJSON *cons = cJSON_AddObjectToObject(checks, "conservation");
    cJSON_AddNumberToObject(cons, "issued", (double)issued);
    cJSON_AddNumberToObject(cons, "ended", (double)ended);
    cJSON_AddNumberToObject(cons, "in_flight", (double)inflight);
    cJSON_AddBoolToObject(cons, "ok", issued == ended + inflight);
}
