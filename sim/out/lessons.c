/* Lesson charts: see lessons.h. The catalogue at the bottom says, per component kind, which
 * charts carry its lesson; each builder reads the run's files only. */
#include "out/lessons.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "out/svg.h"

const char *const fl_lesson_palette[12] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                           "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                           "#bcbd22", "#17becf", "#000000", "#aec7e8"};

/* ---- timeseries.csv ---------------------------------------------------------------- */

void fl_csv_free(fl_csv *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->ncols; i++)
        fl_free(c->names[i]);
    fl_free(c->names);
    fl_free(c->v);
    fl_free(c);
}

int fl_csv_col(const fl_csv *c, const char *name)
{
    for (int i = 0; c && i < c->ncols; i++)
        if (strcmp(c->names[i], name) == 0)
            return i;
    return -1;
}

fl_csv *fl_csv_read(const char *run_dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/timeseries.csv", run_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fl_csv *c = fl_calloc(1, sizeof *c);
    char *line = NULL;
    size_t cap = 0;
    size_t vcap = 0;
    bool ok = c != NULL;
    for (int lineno = 0; ok;) {
        /* getline is POSIX 2008, which the build asks for */
        ssize_t len = getline(&line, &cap, f);
        if (len < 0)
            break;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (lineno++ == 0) {
            int n = 1;
            for (char *p = line; *p; p++)
                n += *p == ',';
            if (!(c->names = fl_calloc((size_t)n, sizeof *c->names))) {
                ok = false;
                break;
            }
            char *save = NULL;
            for (char *tok = strtok_r(line, ",", &save); tok && c->ncols < n;
                 tok = strtok_r(NULL, ",", &save))
                if (!(c->names[c->ncols++] = fl_strdup(tok)))
                    ok = false;
            continue;
        }
        if ((c->nrows + 1) * (size_t)c->ncols > vcap) {
            size_t nc = vcap ? vcap * 2 : (size_t)c->ncols * 256;
            double *nv = fl_realloc(c->v, nc * sizeof *nv);
            if (!nv) {
                ok = false;
                break;
            }
            c->v = nv;
            vcap = nc;
        }
        double *row = c->v + c->nrows * (size_t)c->ncols;
        const char *p = line;
        for (int i = 0; i < c->ncols; i++) {
            char *end;
            double x = strtod(p, &end);
            row[i] = end == p ? NAN : x;
            p = strchr(p, ',');
            if (!p) {
                for (int j = i + 1; j < c->ncols; j++)
                    row[j] = NAN;
                break;
            }
            p++;
        }
        c->nrows++;
    }
    free(line); /* getline's buffer comes from malloc */
    fclose(f);
    if (!ok || !c->ncols) {
        fl_csv_free(c);
        return NULL;
    }
    return c;
}

/* ---- helpers ------------------------------------------------------------------------- */

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* Adds a series when its column exists; returns it (NULL when not, or the chart is full). */
static fl_lesson_series *add(fl_lesson *l, const fl_csv *csv, const char *col, const char *title,
                             fl_lesson_style style, int axis, int panel)
{
    int ci = fl_csv_col(csv, col);
    if (ci < 0 || l->ns >= FL_LESSON_MAX_SERIES)
        return NULL;
    fl_lesson_series *s = &l->s[l->ns++];
    memset(s, 0, sizeof *s);
    snprintf(s->col, sizeof s->col, "%s", col);
    snprintf(s->title, sizeof s->title, "%s", title);
    s->col_index = ci;
    s->style = style;
    s->axis = axis;
    s->panel = panel;
    s->color = l->ns - 1;
    return s;
}

static double col_max(const fl_csv *csv, int ci)
{
    double m = 0;
    for (size_t r = 0; ci >= 0 && r < csv->nrows; r++) {
        double x = fl_csv_at(csv, r, ci);
        if (x > m)
            m = x;
    }
    return m;
}

/* Does the event's name appear in the '|'-separated list? */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

/* Markers and shades from events.jsonl: the faults and every window (until_s: triggers,
 * violations) are shaded; events named in `marks` are numbered, in `ticks` ticked; `node`
 * (when not NULL) keeps a kind's events to that node, while faults, rate steps and
 * recovery always pass. */
static void take_events(fl_lesson *l, const char *events, const char *node, const char *marks,
                        const char *ticks, const char *tick_noun)
{
    int nticks = 0, nrepeats = 0;
    for (const char *line = events; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        cJSON *ev = cJSON_ParseWithLength(line, len);
        line = nl ? nl + 1 : NULL;
        const char *name = str(ev, "event"), *label = str(ev, "label"), *from = str(ev, "node");
        double t = num(ev, "t_s"), until = num(ev, "until_s");
        if (!name || isnan(t)) {
            cJSON_Delete(ev);
            continue;
        }
        bool mine = !node || !from || strcmp(from, node) == 0 ||
                    strcmp(name, "rate-step") == 0 || strcmp(name, "join-wave") == 0;
        if (!isnan(until) && mine && l->nshades < 16) {
            fl_lesson_shade *s = &l->shades[l->nshades++];
            s->t0 = t;
            s->t1 = until;
            s->trigger = strncmp(label ? label : "", "trigger", 7) == 0;
            s->finding = !s->trigger && from; /* faults carry no "node" */
            /* a finding's label says what before the colon, the details after */
            const char *colon = s->finding && label ? strchr(label, ':') : NULL;
            snprintf(s->label, sizeof s->label, "%.*s", colon ? (int)(colon - label) : 119,
                     label ? label : name);
        } else if (mine && (listed(marks, name) || listed(ticks, name)) && l->nmarks < 64) {
            bool tick = listed(ticks, name), repeat = false;
            /* a numbered event that says again what an earlier one said is a tick: the
             * footer names it once (a poison pill read twelve times) */
            for (int i = 0; !tick && i < l->nmarks; i++)
                repeat |= !l->marks[i].tick && strcmp(l->marks[i].label, label ? label : name) == 0;
            tick |= repeat;
            if (repeat)
                nrepeats++;
            else if (tick)
                nticks++;
            int numbered = 0;
            for (int i = 0; i < l->nmarks; i++)
                numbered += !l->marks[i].tick;
            if (tick || numbered < FL_LESSON_MAX_MARKS) {
                fl_lesson_mark *m = &l->marks[l->nmarks++];
                m->t = t;
                m->tick = tick;
                snprintf(m->label, sizeof m->label, "%s", label ? label : name);
            }
        } else if (mine && listed(ticks, name)) {
            nticks++;
        }
        cJSON_Delete(ev);
    }
    if (nticks || nrepeats)
        snprintf(l->tick_note, sizeof l->tick_note, "ticks at the top: %.0d%s%s%s%.0d%s",
                 nticks, nticks ? " " : "", nticks ? tick_noun : "",
                 nticks && nrepeats ? "; " : "", nrepeats,
                 nrepeats ? " repeats of a numbered event (same text)" : "");
}

static fl_lesson *new_chart(fl_lesson **out, int *n, int *cap, const cJSON *summary)
{
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 4;
        fl_lesson *g = fl_realloc(*out, (size_t)nc * sizeof *g);
        if (!g)
            return NULL;
        *out = g;
        *cap = nc;
    }
    fl_lesson *l = &(*out)[(*n)++];
    memset(l, 0, sizeof *l);
    l->hline = NAN;
    l->t_end = num(summary, "simulated_s");
    return l;
}

typedef struct ctx {
    const cJSON *summary;
    const char *events;
    const fl_csv *csv;
    fl_lesson **out;
    int *n, cap;
} ctx;

/* ---- the builders, one per kind ------------------------------------------------------- */

/* election: which member is primary (a bar per member), writes accepted per member below;
 * promotions, demotions, the heal and the reconciliation numbered. */
static void election_roles(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    snprintf(l->name, sizeof l->name, "lesson-%s-roles", node);
    char prefix[200];
    snprintf(prefix, sizeof prefix, "%s.primary.", node);
    size_t pl = strlen(prefix);
    int members[16], nm = 0;
    for (int i = 0; i < x->csv->ncols && nm < 16; i++)
        if (strncmp(x->csv->names[i], prefix, pl) == 0)
            members[nm++] = i;
    for (int k = 0; k < nm; k++) {
        const char *m = x->csv->names[members[k]] + pl;
        int row = nm - k; /* the first member on top */
        snprintf(l->rows[row - 1], sizeof l->rows[0], "%s", m);
        char col[200], title[120];
        fl_lesson_series *s = add(l, x->csv, x->csv->names[members[k]], m, FL_LS_ROLE, 1, 0);
        if (s) {
            s->row = row;
            s->color = k;
        }
        snprintf(col, sizeof col, "%s.writes.%s", node, m);
        snprintf(title, sizeof title, "%s", m);
        if (col_max(x->csv, fl_csv_col(x->csv, col)) > 0 && /* only members that took writes */
            (s = add(l, x->csv, col, title, FL_LS_STEPS, 1, 1)))
            s->color = k;
    }
    l->nrows = nm;
    /* Seconds with two or more primaries at a window's end. */
    double two = 0, w = x->csv->nrows > 1 ? fl_csv_at(x->csv, 1, 0) - fl_csv_at(x->csv, 0, 0) : 1;
    for (size_t r = 0; r < x->csv->nrows; r++) {
        int heads = 0;
        for (int k = 0; k < nm; k++)
            heads += fl_csv_at(x->csv, r, members[k]) > 0;
        two += heads >= 2 ? w : 0;
    }
    double disc = num(o, "writes_discarded");
    if (two > 0) {
        snprintf(l->title, sizeof l->title, "%s: two primaries for %.3g s; %.0f acknowledged "
                 "writes discarded", node, two, isnan(disc) ? 0 : disc);
        snprintf(l->note, sizeof l->note, "%.0f writes the old side acknowledged while split "
                 "are discarded at the heal", isnan(disc) ? 0 : disc);
    }
    else
        snprintf(l->title, sizeof l->title, "%s: which member accepts writes as primary (never "
                 "two at once)", node);
    snprintf(l->ylabel, sizeof l->ylabel, "primary (bar: accepts writes)");
    snprintf(l->ylabel2, sizeof l->ylabel2, "writes accepted per second");
    take_events(l, x->events, node, "promotion|demotion|heal|reconciliation", NULL, NULL);
}

/* store: replication lag per replica; the rate step and replicas falling behind numbered. */
static void store_lag(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    snprintf(l->name, sizeof l->name, "lesson-%s-lag", node);
    char prefix[200];
    snprintf(prefix, sizeof prefix, "%s.lag_s.", node);
    for (int i = 0; i < x->csv->ncols; i++)
        if (strncmp(x->csv->names[i], prefix, strlen(prefix)) == 0) {
            char title[120];
            snprintf(title, sizeof title, "replica %s", x->csv->names[i] + strlen(prefix));
            add(l, x->csv, x->csv->names[i], title, FL_LS_STEPS, 1, 0);
        }
    double max = num(o, "max_lag_s");
    snprintf(l->title, sizeof l->title, "%s: how far each replica lags the primary (worst %.3g s)",
             node, isnan(max) ? 0 : max);
    snprintf(l->ylabel, sizeof l->ylabel, "replication lag (s)");
    take_events(l, x->events, node, "replica-behind|replica-caught-up|rate-step", NULL, NULL);
}

/* cache: backend queries per second, misses; every key expiry a tick. */
static void cache_backend(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    snprintf(l->name, sizeof l->name, "lesson-%s-backend", node);
    char col[200];
    snprintf(col, sizeof col, "%s.backend_fetches_per_s", node);
    add(l, x->csv, col, "backend queries/s", FL_LS_STEPS, 1, 0);
    snprintf(col, sizeof col, "%s.misses_per_s", node);
    add(l, x->csv, col, "cache misses/s", FL_LS_DASHED, 1, 0);
    double peak = num(o, "backend_fetch_peak_per_s"), per = num(o, "fetches_per_episode");
    snprintf(l->title, sizeof l->title, "%s: each miss sends %.3g queries to the backend "
             "(peak %.4g/s)", node, isnan(per) ? 0 : per, isnan(peak) ? 0 : peak);
    snprintf(l->ylabel, sizeof l->ylabel, "per second");
    take_events(l, x->events, node, NULL, "key-expiry", "key expiries");
}

/* gateway: connected users (left) and disconnects per second (right); waves numbered. */
static void gateway_conns(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    snprintf(l->name, sizeof l->name, "lesson-%s-connections", node);
    char col[200];
    snprintf(col, sizeof col, "%s.connected", node);
    add(l, x->csv, col, "connected users", FL_LS_STEPS, 1, 0);
    snprintf(col, sizeof col, "%s.disconnects_per_s", node);
    add(l, x->csv, col, "disconnects/s", FL_LS_STEPS, 1, 1);
    double total = num(cJSON_GetObjectItemCaseSensitive(o, "disconnects"), "total");
    snprintf(l->title, sizeof l->title, "%s: connected users and disconnects (%.0f disconnects "
             "in all)", node, isnan(total) ? 0 : total);
    snprintf(l->ylabel, sizeof l->ylabel, "connected users");
    snprintf(l->ylabel2, sizeof l->ylabel2, "disconnects per second");
    take_events(l, x->events, node, "disconnect-wave|connections-restored", NULL, NULL);
}

/* consumer: lag per partition (the poisoned one named), stalled partitions on the right. */
static void consumer_lag(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    const char *delivery = str(o, "delivery");
    if (delivery && strcmp(delivery, "queue") == 0) { /* consumer_queue.c */
        char col[200];
        snprintf(l->name, sizeof l->name, "lesson-%s-backlog", node);
        snprintf(col, sizeof col, "%s.backlog", node);
        add(l, x->csv, col, "backlog (not deleted)", FL_LS_STEPS, 1, 0);
        snprintf(col, sizeof col, "%s.redeliveries_per_s", node);
        add(l, x->csv, col, "redeliveries/s", FL_LS_STEPS, 1, 1);
        snprintf(col, sizeof col, "%s.duplicates_per_s", node);
        add(l, x->csv, col, "duplicate processings/s", FL_LS_DASHED, 1, 1);
        double dup = num(o, "duplicates"), red = num(o, "redeliveries");
        double wasted = num(o, "wasted_work_s"), vt = num(o, "visibility_timeout_s");
        snprintf(l->title, sizeof l->title, "%s: %.0f redeliveries past the %.3g s visibility "
                 "timeout, %.0f duplicate processings (%.4g s of work wasted)", node,
                 isnan(red) ? 0 : red, isnan(vt) ? 0 : vt, isnan(dup) ? 0 : dup,
                 isnan(wasted) ? 0 : wasted);
        snprintf(l->ylabel, sizeof l->ylabel, "messages");
        snprintf(l->ylabel2, sizeof l->ylabel2, "per second");
        take_events(l, x->events, node, "redeliveries|redeliveries-end", NULL, NULL);
        return;
    }
    snprintf(l->name, sizeof l->name, "lesson-%s-lag", node);
    int poisoned = -1;
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(x->summary, "nodes");
    for (const cJSON *b = nodes ? nodes->child : NULL; b; b = b->next) {
        const char *k = str(b, "kind");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(b, "poison");
        if (k && strcmp(k, "broker") == 0 && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "published")))
            poisoned = (int)num(p, "partition");
    }
    char prefix[200];
    snprintf(prefix, sizeof prefix, "%s.lag.p", node);
    for (int i = 0; i < x->csv->ncols; i++)
        if (strncmp(x->csv->names[i], prefix, strlen(prefix)) == 0) {
            int pi = atoi(x->csv->names[i] + strlen(prefix));
            char title[120];
            snprintf(title, sizeof title, "p%d lag%s", pi, pi == poisoned ? " (poisoned)" : "");
            add(l, x->csv, x->csv->names[i], title, FL_LS_STEPS, 1, 0);
        }
    char col[200];
    snprintf(col, sizeof col, "%s.stalled_partitions", node);
    add(l, x->csv, col, "stalled partitions", FL_LS_STEPS, 1, 1);
    double reb = num(o, "rebalances");
    double crashes = num(o, "crashes");
    if (poisoned >= 0 && crashes > 0 && reb > 0)
        snprintf(l->title, sizeof l->title, "%s: the poison pill on p%d crashes a member %.0f "
                 "times; %.0f rebalances stall the group", node, poisoned, crashes, reb);
    else if (poisoned >= 0 && crashes > 0)
        snprintf(l->title, sizeof l->title, "%s: the poison pill on p%d crashes a member %.0f "
                 "times (no rebalance)", node, poisoned, crashes);
    else if (poisoned >= 0)
        snprintf(l->title, sizeof l->title, "%s: a poison pill on p%d; lag and stalled partitions "
                 "(%.0f rebalances)", node, poisoned, isnan(reb) ? 0 : reb);
    else
        snprintf(l->title, sizeof l->title, "%s: lag per partition and stalled partitions (%.0f "
                 "rebalances)", node, isnan(reb) ? 0 : reb);
    snprintf(l->ylabel, sizeof l->ylabel, "messages behind");
    snprintf(l->ylabel2, sizeof l->ylabel2, "stalled partitions");
    take_events(l, x->events, node, "poison-pill|dead-letter", "rebalance-start",
                "rebalances started");
}

/* lock clients: a bar per client while it holds the lock; two at once is the violation. */
static void lock_holders(ctx *x)
{
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(x->summary, "nodes");
    fl_lesson *l = NULL;
    double viol = 0;
    for (const cJSON *c = nodes ? nodes->child : NULL; c; c = c->next) {
        const char *k = str(c, "kind");
        if (k && strcmp(k, "lock_storage") == 0)
            viol += num(cJSON_GetObjectItemCaseSensitive(c, "mutual_exclusion_violations"), "count");
    }
    int nc = 0;
    for (const cJSON *c = nodes ? nodes->child : NULL; c; c = c->next)
        nc += str(c, "kind") && strcmp(str(c, "kind"), "lock_client") == 0;
    int k = 0;
    for (const cJSON *c = nodes ? nodes->child : NULL; c && k < 16; c = c->next) {
        const char *kind = str(c, "kind");
        if (!kind || strcmp(kind, "lock_client") != 0)
            continue;
        if (!l && !(l = new_chart(x->out, x->n, &x->cap, x->summary)))
            return;
        char col[200];
        snprintf(col, sizeof col, "%s.holding", c->string);
        fl_lesson_series *s = add(l, x->csv, col, c->string, FL_LS_ROLE, 1, 0);
        if (s) {
            s->row = nc - k;
            snprintf(l->rows[nc - k - 1], sizeof l->rows[0], "%s", c->string);
        }
        k++;
    }
    if (!l)
        return;
    l->nrows = nc < 16 ? nc : 16;
    snprintf(l->name, sizeof l->name, "lesson-lock-holders");
    if (viol > 0)
        snprintf(l->title, sizeof l->title, "Who holds the lock: two holders at once (%.0f "
                 "violation%s, shaded)", viol, viol == 1 ? "" : "s");
    else
        snprintf(l->title, sizeof l->title, "Who holds the lock: never two at once");
    snprintf(l->ylabel, sizeof l->ylabel, "holds the lock (bar)");
    take_events(l, x->events, NULL, "lease-expiry", "acquisition", "acquisitions");
}

/* A workload aimed at a service: tries against capacity, goodput, failures. */
static void service_retries(ctx *x, const char *wl, const cJSON *w, const cJSON *svc,
                            const char *target)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    snprintf(l->name, sizeof l->name, "lesson-%s-tries", wl);
    char col[200];
    snprintf(col, sizeof col, "%s.tries_per_s", wl);
    add(l, x->csv, col, "tries/s (with retries)", FL_LS_STEPS, 1, 0);
    snprintf(col, sizeof col, "%s.issued_per_s", wl);
    add(l, x->csv, col, "requests issued/s", FL_LS_DASHED, 1, 0);
    snprintf(col, sizeof col, "%s.goodput_per_s", wl);
    add(l, x->csv, col, "goodput/s (within SLO)", FL_LS_STEPS, 1, 0);
    snprintf(col, sizeof col, "%s.errors_per_s", wl);
    add(l, x->csv, col, "failed/s", FL_LS_STEPS, 1, 0);
    /* Capacity: workers over the mean time a request held one (work_s / served). */
    double workers = num(svc, "workers"), served = num(svc, "served"), work = num(svc, "work_s");
    if (workers > 0 && served > 0 && work > 0) {
        l->hline = workers * served / work;
        snprintf(l->hline_title, sizeof l->hline_title, "%s capacity ~%.4g/s (workers / mean "
                 "hold)", target, l->hline);
    }
    double amp = num(w, "retry_amplification");
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(w, "recovery");
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(rec, "recovered");
    double fe = num(rec, "faults_end_s");
    /* Tries per second after the faults ended, against the capacity. */
    int ci = fl_csv_col(x->csv, l->s[0].col);
    double sum = 0;
    size_t cnt = 0;
    for (size_t r = 0; ci >= 0 && !isnan(fe) && r < x->csv->nrows; r++)
        if (fl_csv_at(x->csv, r, 0) >= fe && !isnan(fl_csv_at(x->csv, r, ci))) {
            sum += fl_csv_at(x->csv, r, ci);
            cnt++;
        }
    if (cJSON_IsFalse(ok) && cnt && !isnan(l->hline))
        snprintf(l->title, sizeof l->title, "%s -> %s: the faults end at %.4g s, but tries stay "
                 "at %.2gx capacity and goodput does not come back", wl, target, fe,
                 sum / (double)cnt / l->hline);
    else if (cJSON_IsFalse(ok))
        snprintf(l->title, sizeof l->title, "%s -> %s: the faults end at %.4g s, but goodput "
                 "does not come back (%.3gx tries per request)", wl, target, fe,
                 isnan(amp) ? 1 : amp);
    else if (cJSON_IsTrue(ok) && num(rec, "recovery_s") > 0)
        snprintf(l->title, sizeof l->title, "%s -> %s: goodput comes back %.3g s after the "
                 "faults (%.3gx tries per request)", wl, target, num(rec, "recovery_s"),
                 isnan(amp) ? 1 : amp);
    else if (cJSON_IsTrue(ok))
        snprintf(l->title, sizeof l->title, "%s -> %s: goodput comes back as soon as the "
                 "faults end (%.3gx tries per request)", wl, target, isnan(amp) ? 1 : amp);
    else
        snprintf(l->title, sizeof l->title, "%s -> %s: tries against capacity (%.3gx tries per "
                 "request)", wl, target, isnan(amp) ? 1 : amp);
    take_events(l, x->events, NULL, "pool-exhausted|recovered|not-recovered|rate-step",
                "breaker-open", "breaker openings");
    /* A capacity far above every line (a service that fails fast) would flatten them. */
    double top = 0;
    for (int i = 0; i < l->ns; i++)
        top = fmax(top, col_max(x->csv, l->s[i].col_index));
    if (l->hline > 2 * top)
        l->hline = NAN;
    /* A pool that ran out is the trigger when no fault is: goodput before and after it. */
    for (int i = 0; i < l->nmarks; i++)
        if (strstr(l->marks[i].label, "pool connections in use")) {
            double t = l->marks[i].t, before = 0, after = 0;
            size_t nb = 0, na = 0;
            snprintf(col, sizeof col, "%s.goodput_per_s", wl);
            int gi = fl_csv_col(x->csv, col);
            double warm = num(x->summary, "warmup_s");
            for (size_t r = 0; gi >= 0 && r < x->csv->nrows; r++) {
                double tr = fl_csv_at(x->csv, r, 0), v = fl_csv_at(x->csv, r, gi);
                if (isnan(v))
                    continue;
                if (tr >= (isnan(warm) ? 0 : warm) && tr + 1 <= t) {
                    before += v;
                    nb++;
                } else if (tr >= t + 10) {
                    after += v;
                    na++;
                }
            }
            if (nb && na && isnan(fe))
                snprintf(l->title, sizeof l->title, "%s -> %s: the connection pool runs out at "
                         "%.3g s; goodput falls from %.4g/s to %.3g/s", wl, target, t,
                         before / (double)nb, after / (double)na);
            break;
        }
    snprintf(l->ylabel, sizeof l->ylabel, "requests per second");
}

/* A workload contending on an `occ` record: tries against commits. Every try beyond one per
 * commit is a conflict, so the gap between the two lines is the work contention wastes. */
static void occ_tries(ctx *x, const char *wl, const cJSON *w, const cJSON *node,
                      const char *target)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    snprintf(l->name, sizeof l->name, "lesson-%s-conflicts", wl);
    char col[200];
    snprintf(col, sizeof col, "%s.tries_per_s", wl);
    add(l, x->csv, col, "tries/s (with retries)", FL_LS_STEPS, 1, 0);
    snprintf(col, sizeof col, "%s.ok_per_s", wl);
    add(l, x->csv, col, "commits/s", FL_LS_STEPS, 1, 0);
    double tries = num(w, "tries"), commits = num(node, "commits"), done = num(w, "completion_s");
    if (!isnan(done))
        snprintf(l->title, sizeof l->title, "%s -> %s: %.0f tries for %.0f commits (%.3gx); the "
                 "last client is done at %.3g s", wl, target, tries, commits,
                 commits > 0 ? tries / commits : 0, done);
    else
        snprintf(l->title, sizeof l->title, "%s -> %s: %.0f tries for %.0f commits; not every "
                 "client is done within the run", wl, target, tries, commits);
    snprintf(l->ylabel, sizeof l->ylabel, "per second");
}

/* quorum: read and write p99 per window at the coordinator (top), each replica's
 * utilisation (bottom): a slow replica's queue and the tail it sets. */
static void quorum_tail(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    snprintf(l->name, sizeof l->name, "lesson-%s-tail", node);
    char col[200];
    snprintf(col, sizeof col, "%s.read_p99_ms", node);
    add(l, x->csv, col, "read p99 (ms)", FL_LS_STEPS, 1, 0);
    snprintf(col, sizeof col, "%s.write_p99_ms", node);
    add(l, x->csv, col, "write p99 (ms)", FL_LS_STEPS, 1, 0);
    char prefix[200];
    snprintf(prefix, sizeof prefix, "%s.util.", node);
    for (int i = 0; i < x->csv->ncols; i++)
        if (strncmp(x->csv->names[i], prefix, strlen(prefix)) == 0) {
            char title[120];
            snprintf(title, sizeof title, "replica %s busy", x->csv->names[i] + strlen(prefix));
            add(l, x->csv, x->csv->names[i], title, FL_LS_STEPS, 1, 1);
        }
    const char *coord = str(o, "coordinator");
    double p99 = num(cJSON_GetObjectItemCaseSensitive(o, "read_latency_ms"), "p99");
    double stale = num(o, "stale_read_rate"), spec = num(o, "speculative_retries");
    snprintf(l->title, sizeof l->title,
             "%s: N=%.0f R=%.0f W=%.0f, %s coordinator: read p99 %.3g ms, %.0f speculative "
             "retries, stale reads %.2g%%", node, num(o, "replicas"), num(o, "r"), num(o, "w"),
             coord ? coord : "?", isnan(p99) ? 0 : p99, isnan(spec) ? 0 : spec,
             isnan(stale) ? 0 : 100 * stale);
    snprintf(l->ylabel, sizeof l->ylabel, "p99 per window (ms)");
    snprintf(l->ylabel2, sizeof l->ylabel2, "replica utilisation");
    take_events(l, x->events, node, "speculating|speculation-ends|replica-drops|replica-drops-end",
                NULL, NULL);
}

/* ---- the catalogue ----------------------------------------------------------------------- */

typedef void (*node_chart)(ctx *x, const char *node, const cJSON *o);

static const struct {
    const char *kind;
    node_chart build; /* one chart per node of the kind */
} catalogue[] = {
    {"election", election_roles}, {"store", store_lag},     {"cache", cache_backend},
    {"gateway", gateway_conns},   {"consumer", consumer_lag},
    {"quorum", quorum_tail},
};

fl_lesson *fl_lessons_build(const cJSON *summary, const char *events, const fl_csv *csv, int *n)
{
    fl_lesson *out = NULL;
    *n = 0;
    if (!csv)
        return NULL;
    ctx x = {summary, events, csv, &out, n, 0};
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(summary, "nodes");
    for (size_t k = 0; k < sizeof catalogue / sizeof catalogue[0]; k++)
        for (const cJSON *o = nodes ? nodes->child : NULL; o; o = o->next) {
            const char *kind = str(o, "kind");
            if (kind && strcmp(kind, catalogue[k].kind) == 0)
                catalogue[k].build(&x, o->string, o);
        }
    lock_holders(&x); /* one chart for every lock client */
    /* A workload aimed at a service: the retry lesson (tries against capacity). */
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(summary, "workloads");
    for (const cJSON *w = wls ? wls->child : NULL; w; w = w->next) {
        const char *target = str(w, "target");
        const cJSON *svc = target ? cJSON_GetObjectItemCaseSensitive(nodes, target) : NULL;
        const char *kind = str(svc, "kind");
        if (kind && strcmp(kind, "service") == 0)
            service_retries(&x, w->string, w, svc, target);
        else if (kind && strcmp(kind, "occ") == 0)
            occ_tries(&x, w->string, w, svc, target);
    }
    return out;
}

int fl_lesson_number(const fl_lesson *l, int *groups, double *group_t, char lines[][240],
                     int max_lines)
{
    double span = l->t_end > 0 ? l->t_end : 1;
    int g = 0;
    for (int i = 0; i < l->nmarks; i++) {
        const fl_lesson_mark *m = &l->marks[i];
        groups[i] = 0;
        if (m->tick)
            continue;
        if (g > 0 && m->t - group_t[g - 1] < 0.02 * span) { /* shares the previous number */
            groups[i] = g;
            size_t len = strlen(lines[g - 1]);
            if (len + 4 < 240)
                snprintf(lines[g - 1] + len, 240 - len, "; %s", m->label);
            continue;
        }
        if (g >= max_lines)
            continue;
        group_t[g] = m->t;
        snprintf(lines[g], 240, "%d  t=%.4g s: %s", g + 1, m->t, m->label);
        groups[i] = ++g;
    }
    return g;
}

/* One panel of a lesson chart as SVG: role bars are thick lines at their row (a gap
 * where the member is not primary), numbered markers narrow dark bands with their number,
 * ticks narrow grey bands. */
fl_status fl_lesson_svg(FILE *f, const fl_lesson *l, int panel, const fl_csv *csv,
                        const char *stamp)
{
    int groups[64];
    double group_t[FL_LESSON_MAX_MARKS];
    char lines[FL_LESSON_MAX_MARKS][240];
    int ng = fl_lesson_number(l, groups, group_t, lines, FL_LESSON_MAX_MARKS);
    size_t n = csv->nrows;
    double *x = fl_malloc((n + 1) * sizeof *x);
    double *ys = fl_malloc(((size_t)l->ns + 1) * (n + 1) * sizeof *ys);
    fl_svg_series ser[FL_LESSON_MAX_SERIES + 1];
    fl_svg_shade sh[16 + FL_LESSON_MAX_MARKS + 64];
    char nums[FL_LESSON_MAX_MARKS][8];
    if (!x || !ys) {
        fl_free(x);
        fl_free(ys);
        return FL_NOMEM;
    }
    for (size_t r = 0; r < n; r++)
        x[r] = fl_csv_at(csv, r, 0);
    size_t ns = 0, nsh = 0;
    bool roles = false;
    for (int i = 0; i < l->ns; i++) {
        const fl_lesson_series *s = &l->s[i];
        if (s->panel != panel)
            continue;
        double *y = ys + ns * (n + 1);
        for (size_t r = 0; r < n; r++) {
            double v = fl_csv_at(csv, r, s->col_index);
            y[r] = s->style == FL_LS_ROLE ? (v > 0 ? s->row : NAN) : v;
        }
        roles |= s->style == FL_LS_ROLE;
        ser[ns++] = (fl_svg_series){s->title, x, y, n, NULL, NULL, fl_lesson_palette[s->color % 12],
                                    s->style == FL_LS_ROLE ? 10 : 2,
                                    s->style == FL_LS_DASHED};
    }
    if (panel == 0 && !isnan(l->hline)) {
        double *y = ys + ns * (n + 1);
        for (size_t r = 0; r < n; r++)
            y[r] = l->hline;
        ser[ns++] = (fl_svg_series){l->hline_title, x, y, n, NULL, NULL, "#555555", 1.5, true};
    }
    for (int i = 0; i < l->nshades; i++)
        sh[nsh++] = (fl_svg_shade){l->shades[i].t0, l->shades[i].t1, l->shades[i].label,
                                   l->shades[i].trigger ? "#f5c07a"
                                   : l->shades[i].finding ? "#c9b3e6" : NULL};
    double w = (l->t_end > 0 ? l->t_end : 1) * 0.003;
    for (int g = 0; g < ng; g++) {
        snprintf(nums[g], sizeof nums[g], "%d", g + 1);
        sh[nsh++] = (fl_svg_shade){group_t[g], group_t[g] + w, nums[g], "#333333"};
    }
    for (int i = 0; i < l->nmarks && nsh < sizeof sh / sizeof sh[0]; i++)
        if (!groups[i])
            sh[nsh++] = (fl_svg_shade){l->marks[i].t, l->marks[i].t + w, NULL, "#999999"};
    char ylab[160];
    if (roles) { /* the rows by number: the SVG axis has numbers, not names */
        size_t k = (size_t)snprintf(ylab, sizeof ylab, "row:");
        for (int r = l->nrows; r >= 1 && k < sizeof ylab; r--)
            k += (size_t)snprintf(ylab + k, sizeof ylab - k, " %d %s", r, l->rows[r - 1]);
    } else {
        snprintf(ylab, sizeof ylab, "%s", panel ? l->ylabel2 : l->ylabel);
    }
    fl_svg_chart c = {panel ? l->ylabel2 : l->title, "time (s)", ylab, stamp, false, true, 0, 0,
                      ser, ns, sh, nsh};
    fl_status st = fl_svg_write(f, &c);
    fl_free(x);
    fl_free(ys);
    return st;
}
