/* Lesson charts: see lessons.h. The catalogue at the bottom says, per component kind, which
 * charts carry its lesson; each builder reads the run's files only. */
#include "out/lessons.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "out/files.h"
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

/* A plain CSV number "[+-]digits[.digits][e[+-]digits]", "nan", "inf" or "-inf"; an empty
 * field is NaN (a window with no sample). strtod only ever sees digits and an exponent,
 * so LC_NUMERIC's decimal point cannot change what is read. */
static bool parse_num(const char *s, size_t len, double *out)
{
    if (len == 0 || (len == 3 && strncmp(s, "nan", 3) == 0) ||
        (len == 4 && strncmp(s, "-nan", 4) == 0)) {
        *out = NAN;
        return true;
    }
    if (len == 3 && strncmp(s, "inf", 3) == 0) {
        *out = INFINITY;
        return true;
    }
    if (len == 4 && strncmp(s, "-inf", 4) == 0) {
        *out = -INFINITY;
        return true;
    }
    char buf[96];
    size_t w = 0, i = 0;
    if (s[i] == '+' || s[i] == '-')
        buf[w++] = s[i++];
    int ndig = 0, nfrac = 0;
    bool dot = false;
    for (; i < len && ((s[i] >= '0' && s[i] <= '9') || (s[i] == '.' && !dot)); i++) {
        if (s[i] == '.') {
            dot = true;
            continue;
        }
        if (w >= sizeof buf - 24)
            return false;
        buf[w++] = s[i];
        ndig++;
        nfrac += dot;
    }
    if (!ndig)
        return false;
    long ex = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool neg = false;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            neg = s[i++] == '-';
        if (i >= len || !(s[i] >= '0' && s[i] <= '9'))
            return false;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (ex < 100000)
                ex = ex * 10 + (s[i] - '0');
        ex = neg ? -ex : ex;
    }
    if (i != len)
        return false;
    snprintf(buf + w, sizeof buf - w, "e%ld", ex - nfrac);
    *out = strtod(buf, NULL);
    return true;
}

/* One header field (RFC 4180 quoting) from *p up to end; an fl_malloc'd copy. */
static char *csv_field(const char **p, const char *end)
{
    const char *s = *p;
    char *out = fl_malloc((size_t)(end - s) + 1);
    if (!out)
        return NULL;
    size_t w = 0;
    if (s < end && *s == '"') {
        for (s++; s < end; s++) {
            if (*s == '"') {
                if (s + 1 < end && s[1] == '"') {
                    out[w++] = '"';
                    s++;
                    continue;
                }
                s++;
                break;
            }
            out[w++] = *s;
        }
    } else {
        while (s < end && *s != ',')
            out[w++] = *s++;
    }
    out[w] = 0;
    *p = s;
    return out;
}

#define CSV_AGAIN "(cut short or edited?); run the scenario again to rewrite it"

/* The text of a timeseries.csv into c (zeroed); messages name path and line. */
static fl_status csv_parse(const char *path, const char *text, fl_csv *c, fl_error *e)
{
    /* The header: it may quote a name holding a comma, quote or line break. */
    const char *p = text;
    size_t cap = 16;
    if (!(c->names = fl_calloc(cap, sizeof *c->names)))
        goto nomem;
    for (;;) {
        const char *end = p;
        bool q = false;
        while (*end && (q || (*end != ',' && *end != '\n' && *end != '\r'))) {
            if (*end == '"')
                q = !q;
            end++;
        }
        if ((size_t)c->ncols == cap) {
            char **nn = fl_realloc(c->names, 2 * cap * sizeof *nn);
            if (!nn)
                goto nomem;
            memset(nn + cap, 0, cap * sizeof *nn);
            c->names = nn;
            cap *= 2;
        }
        if (!(c->names[c->ncols] = csv_field(&p, end)))
            goto nomem;
        c->ncols++;
        p = end;
        if (*p != ',')
            break;
        p++;
    }
    if (strcmp(c->names[0], "t_s") != 0)
        return fl_error_set(e, FL_SYNTAX, NULL,
                            "%s: the first column is not t_s: not a faultline time series", path);
    while (*p == '\r' || *p == '\n')
        p++;
    size_t rows = 0;
    for (const char *q = p; *q; q++)
        rows += *q == '\n' || (q[1] == 0);
    size_t nc = (size_t)c->ncols, nr = rows ? rows : 1;
    if (!(c->v = fl_calloc(nr * nc, sizeof *c->v)))
        goto nomem;
    /* Kept by column: v[col * rows + row], compacted below once the rows are counted. */
    size_t line = 2;
    while (*p) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        const char *lend = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
        if (lend > p) {
            size_t k = 0;
            for (const char *f = p;; k++) {
                const char *fe = memchr(f, ',', (size_t)(lend - f));
                if (!fe)
                    fe = lend;
                double x;
                if (k >= nc || !parse_num(f, (size_t)(fe - f), &x))
                    return fl_error_set(
                        e, FL_SYNTAX, NULL,
                        "%s:%zu: field %zu is not a number or has no column " CSV_AGAIN, path, line,
                        k + 1);
                c->v[k * nr + c->nrows] = x;
                if (fe == lend)
                    break;
                f = fe + 1;
            }
            if (k + 1 != nc)
                return fl_error_set(e, FL_SYNTAX, NULL,
                                    "%s:%zu: %zu fields, the header has %zu " CSV_AGAIN, path, line,
                                    k + 1, nc);
            c->nrows++;
        }
        line++;
        p = *eol ? eol + 1 : eol;
    }
    if (c->nrows != nr) /* blank lines counted: close the gaps between columns */
        for (size_t k = 1; k < nc; k++)
            memmove(c->v + k * c->nrows, c->v + k * nr, c->nrows * sizeof *c->v);
    return FL_OK;
nomem:
    return fl_error_set(e, FL_NOMEM, NULL, "out of memory reading %s", path);
}

fl_status fl_csv_load(const char *run_dir, fl_csv **out, fl_error *e)
{
    *out = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/timeseries.csv", run_dir);
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return FL_OK;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return fl_error_set(e, FL_IO, NULL, "cannot read %s: not a file", path);
    errno = 0;
    char *text = fl__file_read_all(path, NULL);
    if (!text)
        return errno && errno != ENOMEM
                   ? fl_error_set(e, FL_IO, NULL, "cannot read %s: %s", path, strerror(errno))
                   : fl_error_set(e, FL_NOMEM, NULL, "out of memory reading %s", path);
    fl_csv *c = fl_calloc(1, sizeof *c);
    fl_status st = c ? csv_parse(path, text, c, e)
                     : fl_error_set(e, FL_NOMEM, NULL, "out of memory reading %s", path);
    fl_free(text);
    if (st) {
        fl_csv_free(c);
        return st;
    }
    *out = c;
    return FL_OK;
}

fl_csv *fl_csv_read(const char *run_dir)
{
    fl_csv *c = NULL;
    fl_error e;
    return fl_csv_load(run_dir, &c, &e) == FL_OK ? c : NULL;
}

const double *fl_csv_find(const fl_csv *c, const char *prefix, const char *suffix)
{
    char name[512];
    snprintf(name, sizeof name, "%s%s", prefix, suffix);
    return fl_csv_column(c, fl_csv_col(c, name));
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

/* Makes s a figure (op) of its column and the column `col` (when that exists). */
static bool combine(fl_lesson_series *s, const fl_csv *csv, const char *col, fl_lesson_op op)
{
    int ci = fl_csv_col(csv, col);
    if (!s || ci < 0 || s->nmore >= FL_LESSON_MAX_MORE)
        return false;
    snprintf(s->more[s->nmore], sizeof s->more[0], "%s", col);
    s->more_index[s->nmore++] = ci;
    s->op = op;
    return true;
}

double fl_lesson_value(const fl_csv *csv, const fl_lesson_series *s, size_t row)
{
    double v = fl_csv_at(csv, row, s->col_index), rest = 0;
    for (int i = 0; i < s->nmore; i++)
        rest += fl_csv_at(csv, row, s->more_index[i]);
    switch (s->op) {
    case FL_LOP_SUM:
        return v + rest;
    case FL_LOP_SHARE:
        return v + rest > 0 ? v / (v + rest) : NAN;
    case FL_LOP_COL:
        break;
    }
    return v;
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
            if (!s->trigger && !s->finding) /* a fault is what sets the incident off */
                snprintf(s->label, sizeof s->label, "trigger: %.80s (%.4g-%.4g s)",
                         label ? label : name, t, until);
            else
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

int fl_run_dead_spans(const fl_csv *csv, const char *wl, double warm, double *t0, double *t1,
                      int max)
{
    return fl_dead_spans(fl_csv_column(csv, 0), fl_csv_find(csv, wl, ".ok_per_s"),
                         fl_csv_find(csv, wl, ".issued_per_s"), csv->nrows, warm, t0, t1, max);
}

int fl_dead_spans(const double *t, const double *ok, const double *is, size_t nrows, double warm,
                  double *t0, double *t1, int max)
{
    int n = 0;
    if (!t || !ok || !is || nrows < 2)
        return 0;
    double w = t[1] - t[0];
    for (size_t r = 0; r < nrows && n < max;) {
        if (!(t[r] >= (isnan(warm) ? 0 : warm) && ok[r] == 0 && is[r] > 0)) {
            r++;
            continue;
        }
        size_t e = r;
        while (e < nrows && ok[e] == 0)
            e++;
        if (e - r >= 2) {
            t0[n] = t[r];
            t1[n++] = t[e - 1] + w;
        }
        r = e;
    }
    return n;
}

const char *fl_lesson_shade_color(const fl_lesson_shade *s)
{
    return s->trigger   ? "#f5c07a"  /* orange: a workload's trigger */
           : s->finding ? "#c9b3e6"  /* violet: what the run found */
           : s->dead    ? "#cfcfcf"  /* grey: nothing succeeded */
           : s->sustain ? "#fff0b0"  /* pale yellow: the overload sustains itself */
                        : "#f2b8b8"; /* red: a fault */
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
    /* Discarded at the heal are the writes a member held that the survivor lacks; only the
     * checker knows which of them a client was told succeeded (with quorum acks none is). */
    double disc = num(o, "writes_discarded");
    double lost = num(cJSON_GetObjectItemCaseSensitive(o, "lost_writes"), "count");
    double changes = num(o, "leader_changes"); /* raft: what the elections cost */
    double stale = num(o, "stale_reads");
    const char *reads = str(o, "reads");
    if (!isnan(changes) && stale > 0 && reads && strcmp(reads, "lease") == 0) {
        /* lease reads: a deposed leader still inside its lease (on its own clock) answers;
         * the checker's split-brain seconds are exact, the series' only to the window */
        double both = num(cJSON_GetObjectItemCaseSensitive(o, "split_brain"), "seconds");
        snprintf(l->title, sizeof l->title, "%s: two members lead at once for %.3g s; %.0f lease "
                 "reads answered stale", node, isnan(both) ? two : both, stale);
        snprintf(l->note, sizeof l->note, "%.0f leader changes; the old leader's lease, timed on "
                 "its own clock, outlived the election; %.0f acknowledged writes lost", changes,
                 isnan(lost) ? 0 : lost);
    } else if (!isnan(changes)) {
        snprintf(l->title, sizeof l->title, "%s: %.0f leader changes (term %.0f at the end), "
                 "%.3g s with no leader taking writes", node, changes, num(o, "term_at_end"),
                 num(o, "leaderless_s"));
        snprintf(l->note, sizeof l->note, "%.0f writes deposed leaders took are discarded, "
                 "%.0f of them acknowledged to clients", isnan(disc) ? 0 : disc,
                 isnan(lost) ? 0 : lost);
    } else if (two > 0) {
        snprintf(l->title, sizeof l->title, "%s: two primaries for %.3g s; %.0f acknowledged "
                 "writes lost", node, two, isnan(lost) ? 0 : lost);
        snprintf(l->note, sizeof l->note, "%.0f writes the old side held while split are "
                 "discarded at the heal, %.0f of them acknowledged to clients",
                 isnan(disc) ? 0 : disc, isnan(lost) ? 0 : lost);
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

/* The node a cache reads through to: named in a scenario document ("backend": "db"); in a
 * summary (where "backend" is the cache's client figures) the node that received exactly
 * the tries every cache sent its backend, when one did (one backend behind all caches). */
static const cJSON *cache_backend_node(const cJSON *nodes, const cJSON *cache)
{
    const char *name = str(cache, "backend");
    if (name)
        return cJSON_GetObjectItemCaseSensitive(nodes, name);
    double tries = 0;
    for (const cJSON *c = nodes ? nodes->child : NULL; c; c = c->next) {
        const char *k = str(c, "kind");
        if (k && strcmp(k, "cache") == 0)
            tries += fmax(0, num(cJSON_GetObjectItemCaseSensitive(c, "backend"), "tries"));
    }
    for (const cJSON *b = nodes ? nodes->child : NULL; b; b = b->next) {
        const char *k = str(b, "kind");
        if (k && strcmp(k, "cache") != 0 && num(b, "received") == tries && tries > 0)
            return b;
    }
    return NULL;
}

/* A cache in front of a database is the database's capacity plan: its hit ratio below, the
 * database's queries per second (every cache's fills) against its capacity on top, the
 * spans where no request of the cache's first workload succeeded shaded. The title says
 * when the cache came back empty, how far past its capacity the database was pushed and
 * how long the hit ratio took to come back. */
static void cache_warmup(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    const fl_csv *csv = x->csv;
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(x->summary, "nodes");
    char col[200], title[120];
    /* the database's load: the queries of every cache in front of it (when the run says
     * which node that is: cache_backend_node), else this cache's */
    const cJSON *be = cache_backend_node(nodes, o);
    snprintf(col, sizeof col, "%s.backend_fetches_per_s", node);
    fl_lesson_series *db = add(l, csv, col, be ? "database queries/s (from every cache)"
                               : "database queries/s", FL_LS_STEPS, 1, 0);
    for (const cJSON *c = nodes ? nodes->child : NULL; be && db && c; c = c->next) {
        const char *k = str(c, "kind"), *mine = str(o, "backend"), *its = str(c, "backend");
        if (c != o && k && strcmp(k, "cache") == 0 && (!mine || (its && !strcmp(its, mine)))) {
            snprintf(col, sizeof col, "%s.backend_fetches_per_s", c->string);
            combine(db, csv, col, FL_LOP_SUM);
        }
    }
    snprintf(col, sizeof col, "%s.backend_fetches_per_s", node);
    snprintf(title, sizeof title, "from %s", node);
    fl_lesson_series *own = db && db->nmore ? add(l, csv, col, title, FL_LS_DASHED, 1, 0) : NULL;
    if (own)
        own->color = 7;
    snprintf(col, sizeof col, "%s.hits_per_s", node);
    snprintf(title, sizeof title, "%s hit ratio", node);
    fl_lesson_series *hr = add(l, csv, col, title, FL_LS_STEPS, 1, 1);
    snprintf(col, sizeof col, "%s.misses_per_s", node);
    if (hr && !combine(hr, csv, col, FL_LOP_SHARE))
        l->ns--; /* no misses column: no ratio */
    else if (hr)
        hr->color = 2;
    /* Capacity: the database's workers over the mean time a query held one. */
    double workers = num(be, "workers"), served = num(be, "served"), work = num(be, "work_s");
    const char *bname = be && be->string ? be->string : "database";
    if (workers > 0 && served > 0 && work > 0) {
        l->hline = workers * served / work;
        snprintf(l->hline_title, sizeof l->hline_title, "%s capacity ~%.4g/s (workers / mean "
                 "hold)", bname, l->hline);
    }
    /* The fall: the first window after the warm-up whose hit ratio is under half the ratio
     * of the six windows with traffic before it (a restart empty, a flushed cache); back:
     * the first window from then on at 90% of that earlier ratio. Windows without a read
     * (the cache down, its users moved away) say nothing either way. */
    snprintf(col, sizeof col, "%s.", node);
    const double *t = fl_csv_column(csv, 0), *hits = fl_csv_find(csv, col, "hits_per_s");
    const double *miss = fl_csv_find(csv, col, "misses_per_s");
    double warm = num(x->summary, "warmup_s"), w = csv->nrows > 1 ? t[1] - t[0] : 1;
    double hh[6] = {0}, aa[6] = {0}, before = NAN, back = NAN, peak = 0;
    size_t cold = 0, seen = 0;
    for (size_t r = 0; hits && miss && r < csv->nrows && !cold; r++) {
        double all = hits[r] + miss[r];
        if (!(all > 0) || t[r] < (isnan(warm) ? 0 : warm))
            continue;
        double sh = 0, sa = 0;
        for (int k = 0; k < 6; k++) {
            sh += hh[k];
            sa += aa[k];
        }
        if (seen >= 6 && sa > 0 && sh > 0 && hits[r] / all < 0.5 * sh / sa) {
            cold = r;
            before = sh / sa;
            break;
        }
        hh[seen % 6] = hits[r];
        aa[seen % 6] = all;
        seen++;
    }
    for (size_t r = cold; cold && r < csv->nrows && isnan(back); r++)
        if (hits[r] + miss[r] > 0 && hits[r] / (hits[r] + miss[r]) >= 0.9 * before)
            back = t[r] + w - t[cold];
    for (size_t r = cold; cold && db && r < csv->nrows; r++)
        peak = fmax(peak, fl_lesson_value(csv, db, r));
    char load[120];
    if (!isnan(l->hline) && l->hline > 0)
        snprintf(load, sizeof load, "%s peaks at %.2gx its capacity", bname, peak / l->hline);
    else
        snprintf(load, sizeof load, "%s peaks at %.4g queries/s", bname, peak);
    if (cold && !isnan(back))
        snprintf(l->title, sizeof l->title, "%s's hit ratio falls from %.3g to %.2g at %.5g s: "
                 "%s; back to 90%% in %.3g s", node, before, hits[cold] / (hits[cold] + miss[cold]),
                 t[cold], load, back);
    else if (cold)
        snprintf(l->title, sizeof l->title, "%s's hit ratio falls from %.3g to %.2g at %.5g s: "
                 "%s; it never comes back", node, before, hits[cold] / (hits[cold] + miss[cold]),
                 t[cold], load);
    else
        snprintf(l->title, sizeof l->title, "%s: its hit ratio and the database's queries "
                 "against capacity (hit ratio %.3g over the run)", node,
                 isnan(num(o, "hit_ratio")) ? 0 : num(o, "hit_ratio"));
    snprintf(l->ylabel, sizeof l->ylabel, "database queries per second");
    snprintf(l->ylabel2, sizeof l->ylabel2, "hit ratio");
    take_events(l, x->events, node, NULL, NULL, NULL);
    /* Where no request of the cache's first workload succeeded. */
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(x->summary, "workloads");
    for (const cJSON *wl = wls ? wls->child : NULL; wl; wl = wl->next) {
        const char *tg = str(wl, "target");
        if (!tg || strcmp(tg, node) != 0)
            continue;
        double d0[8], d1[8];
        int nd = fl_run_dead_spans(csv, wl->string, warm, d0, d1, 8);
        for (int i = 0; i < nd && l->nshades < 16; i++) {
            fl_lesson_shade *sh = &l->shades[l->nshades++];
            memset(sh, 0, sizeof *sh);
            sh->t0 = d0[i];
            sh->t1 = d1[i];
            sh->dead = true;
            snprintf(sh->label, sizeof sh->label, "no request of %s succeeded", wl->string);
        }
        break;
    }
}

/* gateway: connected users (left) and disconnects per second (right); waves numbered. */
static void gateway_conns(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
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
/* A consumer with "delivery": "queue" (consumer_queue.c): the backlog, redeliveries and
 * duplicate processings per second; the redelivery spells numbered. */
static bool queue_delivery(const cJSON *o)
{
    const char *delivery = str(o, "delivery");
    return delivery && strcmp(delivery, "queue") == 0;
}

static bool log_delivery(const cJSON *o)
{
    return !queue_delivery(o);
}

static void consumer_backlog(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    char col[200];
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
}

static void consumer_lag(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
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

/* balancer: requests per second to the busiest and the idlest backend in the pool, the
 * pool's size on the right; joins numbered. Pinned connections after a scale-out: the
 * idlest stays at zero. */
static void balancer_spread(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    char col[200];
    snprintf(col, sizeof col, "%s.busiest_per_s", node);
    add(l, x->csv, col, "busiest backend (requests/s)", FL_LS_STEPS, 1, 0);
    snprintf(col, sizeof col, "%s.idlest_per_s", node);
    add(l, x->csv, col, "idlest backend (requests/s)", FL_LS_STEPS, 1, 0);
    snprintf(col, sizeof col, "%s.pool", node);
    add(l, x->csv, col, "backends in the pool", FL_LS_STEPS, 1, 1);
    const cJSON *aj = cJSON_GetObjectItemCaseSensitive(o, "after_join");
    double ratio = num(aj, "max_to_mean"), idle = num(aj, "idle_backends");
    double pool = num(o, "backends");
    snprintf(l->title, sizeof l->title, "%s (%s): busiest backend %.3gx the mean, %.0f of %.0f "
             "idle after the last join", node, str(o, "policy") ? str(o, "policy") : "?",
             isnan(ratio) ? 0 : ratio, isnan(idle) ? 0 : idle, isnan(pool) ? 0 : pool);
    snprintf(l->ylabel, sizeof l->ylabel, "requests per second to a backend");
    snprintf(l->ylabel2, sizeof l->ylabel2, "backends in the pool");
    const cJSON *dns = cJSON_GetObjectItemCaseSensitive(o, "dns");
    const char *pol = str(o, "policy");
    if (pol && strcmp(pol, "failover") == 0) {
        /* failover: each backend's requests (a region each), the stale answers below */
        l->ns = 0;
        const cJSON *bes = cJSON_GetObjectItemCaseSensitive(o, "by_backend");
        for (const cJSON *be = bes ? bes->child : NULL; be; be = be->next) {
            snprintf(col, sizeof col, "%s.sent_per_s.%s", node, be->string);
            char t[120];
            snprintf(t, sizeof t, "to %s (requests/s)", be->string);
            add(l, x->csv, col, t, FL_LS_STEPS, 1, 0);
        }
        snprintf(col, sizeof col, "%s.stale_per_s", node);
        if (dns)
            add(l, x->csv, col, "sent to an answer no longer given (requests/s)", FL_LS_STEPS, 1,
                1);
        double fo = num(o, "failovers"), st = num(dns, "stale_sent"), last = num(dns, "last_stale_s");
        if (dns && st > 0)
            snprintf(l->title, sizeof l->title, "%s: %.0f failover%s to %s; %.0f requests still "
                     "sent to a cached old answer, the last at %.0f s", node, isnan(fo) ? 0 : fo,
                     fo == 1 ? "" : "s", str(o, "answer") ? str(o, "answer") : "?", st, last);
        else
            snprintf(l->title, sizeof l->title, "%s: %.0f failover%s; the answer is %s", node,
                     isnan(fo) ? 0 : fo, fo == 1 ? "" : "s", str(o, "answer") ? str(o, "answer") : "?");
        snprintf(l->ylabel2, sizeof l->ylabel2, "stale requests per second");
        take_events(l, x->events, node, "failover|backend-unhealthy|backend-healthy", NULL, NULL);
        return;
    }
    take_events(l, x->events, node, "backend-join|backend-unhealthy|backend-healthy", NULL, NULL);
}

/* balancer with a rollout: the goodput and failures of the workloads it serves on top, the
 * backends on the new version below; waves and the rollback numbered. A canary rolled back
 * on its own signal is a short step to one backend; a global push, a step to all of them. */
static void balancer_rollout(ctx *x, const char *node, const cJSON *o)
{
    const cJSON *ro = cJSON_GetObjectItemCaseSensitive(o, "rollout");
    if (!ro)
        return; /* no rollout reached this balancer: no chart */
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    char col[200];
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(x->summary, "workloads");
    fl_lesson_series *ls;
    for (const cJSON *w = wls ? wls->child : NULL; w; w = w->next) {
        const char *t = str(w, "target");
        if (!t || strcmp(t, node) != 0)
            continue;
        snprintf(col, sizeof col, "%s.goodput_per_s", w->string);
        if ((ls = add(l, x->csv, col, "goodput/s", FL_LS_STEPS, 1, 0)))
            ls->color = 2;
        snprintf(col, sizeof col, "%s.errors_per_s", w->string);
        if ((ls = add(l, x->csv, col, "failed/s", FL_LS_STEPS, 1, 0)))
            ls->color = 1;
        break;
    }
    snprintf(col, sizeof col, "%s.new_version", node);
    add(l, x->csv, col, "backends on the new version", FL_LS_STEPS, 1, 1);
    double most = num(ro, "updated_max"), n = num(ro, "backends"), at = num(ro, "rollback_s");
    double first = num(ro, "first_wave_s");
    const char *cause = str(ro, "rollback_cause") ? str(ro, "rollback_cause") : "none";
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ro, "rolled_back")))
        snprintf(l->title, sizeof l->title, "%s: the new version reached %.0f of %.0f backends; "
                 "%s rollback %.4g s after the first wave", node, isnan(most) ? 0 : most,
                 isnan(n) ? 0 : n, strcmp(cause, "manual") == 0 ? "manual" : "automatic",
                 at - first);
    else
        snprintf(l->title, sizeof l->title, "%s: the new version reached %.0f of %.0f backends "
                 "and was never rolled back", node, isnan(most) ? 0 : most, isnan(n) ? 0 : n);
    snprintf(l->ylabel, sizeof l->ylabel, "requests per second");
    snprintf(l->ylabel2, sizeof l->ylabel2, "backends on the new version");
    take_events(l, x->events, node, "rollout-wave|rollback", NULL, NULL);
}

/* A hashing balancer (shards): every backend's requests per second, one line each (the
 * first 24), so one hot shard stands far above a band of the others. */
static void balancer_shards(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    const cJSON *bes = cJSON_GetObjectItemCaseSensitive(o, "by_backend");
    char col[200], title[120];
    for (const cJSON *b = bes ? bes->child : NULL; b; b = b->next) {
        snprintf(col, sizeof col, "%s.sent_per_s.%s", node, b->string);
        snprintf(title, sizeof title, "%s", b->string);
        add(l, x->csv, col, title, FL_LS_STEPS, 1, 0);
    }
    const cJSON *aj = cJSON_GetObjectItemCaseSensitive(o, "after_join");
    const cJSON *hk = cJSON_GetObjectItemCaseSensitive(o, "hot_keys");
    double ratio = num(aj, "max_to_mean"), pool = num(o, "backends");
    char hot[80] = "no hot-key mitigation";
    if (hk)
        snprintf(hot, sizeof hot, "hot keys %s %.0f ways", str(hk, "mitigation") ? str(hk, "mitigation") : "?",
                 num(hk, "ways"));
    snprintf(l->title, sizeof l->title, "%s: the busiest of %.0f shards gets %.3gx the mean (%s)",
             node, isnan(pool) ? 0 : pool, isnan(ratio) ? 0 : ratio, hot);
    snprintf(l->ylabel, sizeof l->ylabel, "requests per second to each shard");
    take_events(l, x->events, node, "backend-join", NULL, NULL);
}

static bool hashes(const cJSON *o)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "policy");
    return cJSON_IsString(p) && strcmp(p->valuestring, "hash") == 0;
}

/* autoscaler: instances in the pool and asked for (in the pool or provisioning), the metric
 * at each decision below; decisions and arrivals numbered. The gap between the two lines
 * is the capacity on its way. */
static void autoscaler_lag(ctx *x, const char *node, const cJSON *o)
{
    fl_lesson *l = new_chart(x->out, x->n, &x->cap, x->summary);
    if (!l)
        return;
    char col[200];
    snprintf(col, sizeof col, "%s.instances", node);
    add(l, x->csv, col, "instances in the pool", FL_LS_STEPS, 1, 0);
    snprintf(col, sizeof col, "%s.requested", node);
    add(l, x->csv, col, "asked for (in the pool or provisioning)", FL_LS_DASHED, 1, 0);
    snprintf(col, sizeof col, "%s.metric", node);
    add(l, x->csv, col, str(o, "metric") ? str(o, "metric") : "metric", FL_LS_STEPS, 1, 1);
    double sat = num(o, "saturated_s"), ups = num(o, "scale_ups");
    snprintf(l->title, sizeof l->title, "%s: %.0f scale-ups on %s; the pool saturated for %.0f s",
             node, isnan(ups) ? 0 : ups, str(o, "metric") ? str(o, "metric") : "?",
             isnan(sat) ? 0 : sat);
    snprintf(l->ylabel, sizeof l->ylabel, "instances");
    snprintf(l->ylabel2, sizeof l->ylabel2, "metric at each decision");
    take_events(l, x->events, node, "scale-up|scale-down|instances-ready", NULL, NULL);
}

/* Services with a memory limit: memory in use per node against the limit; out-of-memory
 * kills numbered, ejections ticked. One chart for all of them (a cascade is about the set). */
static void memory_nodes(ctx *x)
{
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(x->summary, "nodes");
    fl_lesson *l = NULL;
    double limit = NAN, kills = 0;
    int n = 0;
    for (const cJSON *o = nodes ? nodes->child : NULL; o; o = o->next) {
        double lim = num(o, "memory_limit_mb");
        if (isnan(lim))
            continue;
        if (!l && !(l = new_chart(x->out, x->n, &x->cap, x->summary)))
            return;
        char col[200];
        snprintf(col, sizeof col, "%s.memory_mb", o->string);
        add(l, x->csv, col, o->string, FL_LS_STEPS, 1, 0);
        limit = isnan(limit) || lim > limit ? lim : limit;
        kills += isnan(num(o, "oom_kills")) ? 0 : num(o, "oom_kills");
        n++;
    }
    if (!l)
        return;
    l->hline = limit;
    snprintf(l->hline_title, sizeof l->hline_title, "memory limit");
    snprintf(l->title, sizeof l->title, "memory per node: %.0f out-of-memory kills over %d nodes",
             kills, n);
    snprintf(l->ylabel, sizeof l->ylabel, "memory in use (MB)");
    take_events(l, x->events, NULL, "oom", "backend-ejected", "backends ejected");
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
    char col[200];
    snprintf(col, sizeof col, "%s.tries_per_s", wl);
    add(l, x->csv, col, "tries/s (with retries)", FL_LS_STEPS, 1, 0);
    /* Colours keep one meaning on every chart: red is failure, grey the issued load. */
    fl_lesson_series *ls;
    snprintf(col, sizeof col, "%s.issued_per_s", wl);
    if ((ls = add(l, x->csv, col, "requests issued/s", FL_LS_DASHED, 1, 0)))
        ls->color = 7;
    snprintf(col, sizeof col, "%s.goodput_per_s", wl);
    if ((ls = add(l, x->csv, col, "goodput/s (within SLO)", FL_LS_STEPS, 1, 0)))
        ls->color = 2;
    snprintf(col, sizeof col, "%s.errors_per_s", wl);
    if ((ls = add(l, x->csv, col, "failed/s", FL_LS_STEPS, 1, 0)))
        ls->color = 1;
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
    /* Metastable: the faults are over, the overload is not (the trigger vs the sustaining
     * effect); then the spans where no request succeeded. */
    if (cJSON_IsFalse(ok) && !isnan(fe) && fe < l->t_end && l->nshades < 16) {
        fl_lesson_shade *s = &l->shades[l->nshades++];
        memset(s, 0, sizeof *s);
        s->t0 = fe;
        s->t1 = l->t_end;
        s->sustain = true;
        snprintf(s->label, sizeof s->label, "sustaining: not recovered after the trigger");
    }
    double d0[8], d1[8];
    int nd = fl_run_dead_spans(x->csv, wl, num(x->summary, "warmup_s"), d0, d1, 8);
    for (int i = 0; i < nd && l->nshades < 16; i++) {
        fl_lesson_shade *s = &l->shades[l->nshades++];
        memset(s, 0, sizeof *s);
        s->t0 = d0[i];
        s->t1 = d1[i];
        s->dead = true;
        snprintf(s->label, sizeof s->label, "no request succeeded");
    }
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
typedef void (*workload_chart)(ctx *x, const char *wl, const cJSON *w, const cJSON *target,
                               const char *target_name);

/* One chart per node of `kind` (FL_LESSON_NODE), per workload aimed at a node of `kind`
 * (FL_LESSON_WORKLOAD), or one for all the nodes of `kind` (FL_LESSON_ALL): its file is
 * lesson-<node or workload>-<what>, or lesson-<what> for FL_LESSON_ALL. */
enum { FL_LESSON_NODE, FL_LESSON_WORKLOAD, FL_LESSON_ALL };

static void lock_all(ctx *x, const char *node, const cJSON *o)
{
    (void)node;
    (void)o;
    lock_holders(x);
}

/* The memory chart is one for every service with a memory bound (a cascade is about the
 * set): only such a service brings it. */
static bool has_memory(const cJSON *o)
{
    return cJSON_GetObjectItemCaseSensitive(o, "memory") ||
           cJSON_GetObjectItemCaseSensitive(o, "memory_limit_mb");
}

static void memory_all(ctx *x, const char *node, const cJSON *o)
{
    (void)node;
    (void)o;
    memory_nodes(x);
}

/* The rollout chart: a balancer a rollout reached (its summary has "rollout"); in a
 * scenario document (whose "backends" is the list) any balancer may take one. */
static bool has_rollout(const cJSON *o)
{
    return cJSON_GetObjectItemCaseSensitive(o, "rollout") ||
           cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "backends"));
}

static const struct {
    const char *kind;
    int per;
    const char *what;
    node_chart build;
    workload_chart build_wl;
    /* NULL, or whether a node (scenario or summary object) gets this chart at all */
    bool (*applies)(const cJSON *node);
} catalogue[] = {
    {"election", FL_LESSON_NODE, "roles", election_roles, NULL, NULL},
    {"store", FL_LESSON_NODE, "lag", store_lag, NULL, NULL},
    {"cache", FL_LESSON_NODE, "backend", cache_backend, NULL, NULL},
    {"cache", FL_LESSON_NODE, "warmup", cache_warmup, NULL, NULL},
    {"gateway", FL_LESSON_NODE, "connections", gateway_conns, NULL, NULL},
    {"consumer", FL_LESSON_NODE, "lag", consumer_lag, NULL, log_delivery},
    {"consumer", FL_LESSON_NODE, "backlog", consumer_backlog, NULL, queue_delivery},
    {"lock_client", FL_LESSON_ALL, "lock-holders", lock_all, NULL, NULL},
    {"service", FL_LESSON_WORKLOAD, "tries", NULL, service_retries, NULL},
    {"occ", FL_LESSON_WORKLOAD, "conflicts", NULL, occ_tries, NULL},
    {"balancer", FL_LESSON_NODE, "spread", balancer_spread, NULL, NULL},
    {"balancer", FL_LESSON_NODE, "rollout", balancer_rollout, NULL, has_rollout},
    {"balancer", FL_LESSON_NODE, "shards", balancer_shards, NULL, hashes},
    {"autoscaler", FL_LESSON_NODE, "capacity", autoscaler_lag, NULL, NULL},
    {"service", FL_LESSON_ALL, "memory", memory_all, NULL, has_memory},
    {"quorum", FL_LESSON_NODE, "tail", quorum_tail, NULL, NULL},
};
#define NCAT (sizeof catalogue / sizeof catalogue[0])

static void chart_name(size_t k, const char *subject, char *buf, size_t n)
{
    if (catalogue[k].per == FL_LESSON_ALL)
        snprintf(buf, n, "lesson-%s", catalogue[k].what);
    else
        snprintf(buf, n, "lesson-%s-%s", subject, catalogue[k].what);
}

/* Calls fn for every chart the catalogue gives a set of nodes and workloads: `kind_of`
 * answers a node's kind (NULL: none). Nodes and workloads are walked as cJSON objects
 * (summary.json) or arrays of {"name": ...} (a scenario document). */
typedef const char *(*kind_lookup)(const cJSON *nodes, const char *name);

static const char *elem_name(const cJSON *it)
{
    return it->string ? it->string : str(it, "name");
}

static const char *kind_in(const cJSON *nodes, const char *name)
{
    for (const cJSON *o = nodes ? nodes->child : NULL; name && o; o = o->next) {
        const char *n = elem_name(o);
        if (n && strcmp(n, name) == 0)
            return str(o, "kind");
    }
    return NULL;
}

/* Appends the names of the charts the catalogue gives these nodes and workloads to a
 * '\n'-separated list (duplicates left out). */
static void names_of(const cJSON *nodes, const cJSON *wls, char *buf, size_t n, size_t *w)
{
    char name[300];
    for (size_t k = 0; k < NCAT; k++) {
        bool all_done = false;
        if (catalogue[k].per == FL_LESSON_WORKLOAD) {
            for (const cJSON *it = wls ? wls->child : NULL; it; it = it->next) {
                const char *wn = elem_name(it), *kind = kind_in(nodes, str(it, "target"));
                if (!wn || !kind || strcmp(kind, catalogue[k].kind) != 0)
                    continue;
                chart_name(k, wn, name, sizeof name);
                if (!fl_lesson_listed(buf, name) && *w + strlen(name) + 2 < n)
                    *w += (size_t)snprintf(buf + *w, n - *w, "%s\n", name);
            }
            continue;
        }
        for (const cJSON *o = nodes ? nodes->child : NULL; o && !all_done; o = o->next) {
            const char *nn = elem_name(o), *kind = str(o, "kind");
            if (!nn || !kind || strcmp(kind, catalogue[k].kind) != 0 ||
                (catalogue[k].applies && !catalogue[k].applies(o)))
                continue;
            chart_name(k, nn, name, sizeof name);
            all_done = catalogue[k].per == FL_LESSON_ALL;
            if (!fl_lesson_listed(buf, name) && *w + strlen(name) + 2 < n)
                *w += (size_t)snprintf(buf + *w, n - *w, "%s\n", name);
        }
    }
}

bool fl_lesson_listed(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l == len && strncmp(p, name, len) == 0)
            return true;
        p = nl ? nl + 1 : NULL;
    }
    return false;
}

void fl_lesson_names(const cJSON *doc, char *buf, size_t n)
{
    size_t w = 0;
    if (n)
        buf[0] = 0;
    names_of(cJSON_GetObjectItemCaseSensitive(doc, "nodes"),
             cJSON_GetObjectItemCaseSensitive(doc, "workloads"), buf, n, &w);
    /* a variant's added nodes and workloads bring their charts too */
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(doc, "variants");
    for (const cJSON *v = vs ? vs->child : NULL; v; v = v->next) {
        const cJSON *add = cJSON_GetObjectItemCaseSensitive(v, "add");
        if (!add)
            continue;
        /* an added workload may aim at a baseline node, an added node be a baseline
         * workload's target: look kinds up in both */
        cJSON *both = cJSON_CreateArray();
        const cJSON *an = cJSON_GetObjectItemCaseSensitive(add, "nodes");
        const cJSON *bn = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
        for (int pass = 0; both && pass < 2; pass++)
            for (const cJSON *o = (pass ? an : bn) ? (pass ? an : bn)->child : NULL; o; o = o->next)
                cJSON_AddItemReferenceToArray(both, (cJSON *)o);
        const cJSON *aw = cJSON_GetObjectItemCaseSensitive(add, "workloads");
        const cJSON *bw = cJSON_GetObjectItemCaseSensitive(doc, "workloads");
        cJSON *wboth = cJSON_CreateArray();
        for (int pass = 0; wboth && pass < 2; pass++)
            for (const cJSON *o = (pass ? aw : bw) ? (pass ? aw : bw)->child : NULL; o; o = o->next)
                cJSON_AddItemReferenceToArray(wboth, (cJSON *)o);
        if (both && wboth)
            names_of(both, wboth, buf, n, &w);
        cJSON_Delete(both);
        cJSON_Delete(wboth);
    }
    if (w && buf[w - 1] == '\n')
        buf[w - 1] = 0;
}

fl_lesson *fl_lessons_build(const cJSON *summary, const char *events, const fl_csv *csv,
                            const char *const *order, size_t norder, int *n)
{
    fl_lesson *out = NULL;
    *n = 0;
    if (!csv)
        return NULL;
    ctx x = {summary, events, csv, &out, n, 0};
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(summary, "nodes");
    const cJSON *wls = cJSON_GetObjectItemCaseSensitive(summary, "workloads");
    for (size_t k = 0; k < NCAT; k++) {
        if (catalogue[k].per == FL_LESSON_WORKLOAD) {
            for (const cJSON *w = wls ? wls->child : NULL; w; w = w->next) {
                const char *target = str(w, "target");
                const cJSON *node = target ? cJSON_GetObjectItemCaseSensitive(nodes, target) : NULL;
                const char *kind = str(node, "kind");
                if (!kind || strcmp(kind, catalogue[k].kind) != 0)
                    continue;
                int before = *n;
                catalogue[k].build_wl(&x, w->string, w, node, target);
                if (*n > before)
                    chart_name(k, w->string, out[*n - 1].name, sizeof out[0].name);
            }
            continue;
        }
        for (const cJSON *o = nodes ? nodes->child : NULL; o; o = o->next) {
            const char *kind = str(o, "kind");
            if (!kind || strcmp(kind, catalogue[k].kind) != 0 ||
                (catalogue[k].applies && !catalogue[k].applies(o)))
                continue;
            int before = *n;
            catalogue[k].build(&x, o->string, o);
            if (*n > before)
                chart_name(k, o->string, out[*n - 1].name, sizeof out[0].name);
            if (catalogue[k].per == FL_LESSON_ALL)
                break;
        }
    }
    /* The scenario's "charts" first, in its order (a stable move to the front). */
    int front = 0;
    for (size_t i = 0; i < norder; i++)
        for (int k = front; k < *n; k++)
            if (strcmp(out[k].name, order[i]) == 0) {
                fl_lesson tmp = out[k];
                memmove(&out[front + 1], &out[front], (size_t)(k - front) * sizeof *out);
                out[front] = tmp;
                out[front].declared = true;
                front++;
                break;
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
            double v = fl_lesson_value(csv, s, r);
            y[r] = s->style == FL_LS_ROLE ? (v > 0 ? s->row : NAN) : v;
        }
        roles |= s->style == FL_LS_ROLE;
        /* past twelve colours, a dash pattern per round (as gnuplot's dt does) */
        ser[ns++] = (fl_svg_series){s->title, x, y, n, NULL, NULL, fl_lesson_palette[s->color % 12],
                                    s->style == FL_LS_ROLE ? 10 : 2,
                                    s->style == FL_LS_DASHED,
                                    s->style == FL_LS_STEPS ? s->color / 12 : 0};
    }
    if (panel == 0 && !isnan(l->hline)) {
        double *y = ys + ns * (n + 1);
        for (size_t r = 0; r < n; r++)
            y[r] = l->hline;
        ser[ns++] = (fl_svg_series){l->hline_title, x, y, n, NULL, NULL, "#555555", 1.5, true, 0};
    }
    for (int i = 0; i < l->nshades; i++)
        sh[nsh++] = (fl_svg_shade){l->shades[i].t0, l->shades[i].t1, l->shades[i].label,
                                   fl_lesson_shade_color(&l->shades[i])};
    double w = (l->t_end > 0 ? l->t_end : 1) * 0.003;
    for (int g = 0; g < ng; g++) {
        snprintf(nums[g], sizeof nums[g], "%d", g + 1);
        sh[nsh++] = (fl_svg_shade){group_t[g], group_t[g] + w, nums[g], "#333333"};
    }
    for (int i = 0; i < l->nmarks && nsh < sizeof sh / sizeof sh[0]; i++)
        if (!groups[i])
            sh[nsh++] = (fl_svg_shade){l->marks[i].t, l->marks[i].t + w, NULL, "#999999"};
    const char *rows[16];
    for (int r = 0; r < l->nrows && r < 16; r++)
        rows[r] = l->rows[r];
    fl_svg_chart c = {panel ? l->ylabel2 : l->title, "time (s)", panel ? l->ylabel2 : l->ylabel,
                      stamp, false, true, 0, 0, ser, ns, sh, nsh, roles ? rows : NULL,
                      roles ? (size_t)l->nrows : 0};
    fl_status st = fl_svg_write(f, &c);
    fl_free(x);
    fl_free(ys);
    return st;
}

/* ---- a run directory, and overlays across variants -------------------------------------- */

fl_status fl_run_files_read(const char *dir, fl_run_files *r)
{
    memset(r, 0, sizeof *r);
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *text = fl__file_read_all(path, NULL);
    r->summary = text ? cJSON_Parse(text) : NULL;
    fl_free(text);
    if (!cJSON_IsObject(r->summary))
        return FL_IO;
    snprintf(path, sizeof path, "%s/events.jsonl", dir);
    r->events = fl__file_read_all(path, NULL);
    r->csv = fl_csv_read(dir);
    return FL_OK;
}

void fl_run_files_free(fl_run_files *r)
{
    cJSON_Delete(r->summary);
    fl_free(r->events);
    fl_csv_free(r->csv);
    memset(r, 0, sizeof *r);
}

fl_status fl_lesson_compare_svg(FILE *f, const char *name, const fl_run_files *const *runs,
                                const char *const *variants, size_t nvar, int panel,
                                const char *stamp)
{
    enum { MAXS = 96 };
    fl_lesson **ls = fl_calloc(nvar ? nvar : 1, sizeof *ls);
    const fl_lesson **pick = fl_calloc(nvar ? nvar : 1, sizeof *pick);
    int *nls = fl_calloc(nvar ? nvar : 1, sizeof *nls);
    fl_svg_series *ser = fl_calloc(MAXS, sizeof *ser);
    char (*lab)[200] = fl_calloc(MAXS, sizeof *lab);
    double **ys = fl_calloc(MAXS, sizeof *ys);
    fl_status st = FL_NOMEM;
    if (!ls || !pick || !nls || !ser || !lab || !ys)
        goto out;
    const fl_lesson *ref = NULL;
    for (size_t v = 0; v < nvar; v++) {
        const fl_run_files *r = runs[v];
        if (!r || !r->summary || !r->csv)
            continue;
        ls[v] = fl_lessons_build(r->summary, r->events, r->csv, NULL, 0, &nls[v]);
        for (int k = 0; k < nls[v]; k++)
            if (strcmp(ls[v][k].name, name) == 0)
                pick[v] = &ls[v][k];
        if (pick[v] && !ref) {
            ref = pick[v];
        }
    }
    size_t ns = 0;
    bool roles = false;
    int nmetric = 0;
    for (int i = 0; ref && i < ref->ns; i++)
        nmetric += ref->s[i].panel == panel && ref->s[i].style != FL_LS_ROLE;
    for (size_t v = 0; v < nvar; v++) {
        const fl_lesson *l = pick[v];
        if (!l)
            continue;
        const fl_csv *csv = runs[v]->csv;
        size_t n = csv->nrows;
        int metric = 0;
        for (int i = 0; i <= l->ns && ns + 1 < MAXS; i++) {
            bool h = i == l->ns; /* the capacity line, after the series */
            if (h && (panel != 0 || isnan(l->hline)))
                break;
            const fl_lesson_series *s = h ? NULL : &l->s[i];
            if (s && s->panel != panel)
                continue;
            double *y = ys[ns] = fl_malloc(2 * (n + 1) * sizeof *y);
            if (!y)
                goto out;
            double *x = y + n + 1;
            /* A variant's bar sits a little off its row's centre: side by side, not over. */
            double off = nvar > 1 ? ((double)v - (double)(nvar - 1) / 2) * 0.6 / (double)nvar : 0;
            for (size_t r = 0; r < n; r++) {
                x[r] = fl_csv_at(csv, r, 0);
                double val = h ? l->hline : fl_lesson_value(csv, s, r);
                y[r] = s && s->style == FL_LS_ROLE ? (val > 0 ? s->row + off : NAN) : val;
            }
            bool role = s && s->style == FL_LS_ROLE;
            roles |= role;
            /* the legend says colour = variant and style = metric once each, below */
            ser[ns] = (fl_svg_series){NULL, x, y, n, NULL, NULL, fl_svg_color(v),
                                      role ? 6 : 2.5, false, role ? 0 : h ? 4 : metric};
            metric += !role && !h;
            ns++;
        }
    }
    /* Legend only (no points): a solid line per variant, a grey line per metric style. */
    static const double none = 0;
    for (size_t v = 0; v < nvar && ns < MAXS; v++)
        if (pick[v]) {
            snprintf(lab[ns], sizeof lab[ns], "%s", variants[v]);
            ser[ns] = (fl_svg_series){lab[ns], &none, &none, 0, NULL, NULL,
                                      fl_svg_color(v), roles ? 6 : 2.5, false, 0};
            ns++;
        }
    int m = 0;
    for (int i = 0; ref && i <= ref->ns && nmetric + (panel == 0) > 1 && ns < MAXS; i++) {
        bool h = i == ref->ns;
        if (h && (panel != 0 || isnan(ref->hline)))
            break;
        if (!h && (ref->s[i].panel != panel || ref->s[i].style == FL_LS_ROLE))
            continue;
        snprintf(lab[ns], sizeof lab[ns], "%s", h ? "capacity" : ref->s[i].title);
        ser[ns] = (fl_svg_series){lab[ns], &none, &none, 0, NULL, NULL, "#555555", 2,
                                    false, h ? 4 : m++};
        ns++;
    }
    fl_svg_shade sh[16];
    size_t nsh = 0;
    for (int i = 0; ref && i < ref->nshades; i++)
        if (!ref->shades[i].dead && !ref->shades[i].sustain) /* those are one run's */
            sh[nsh++] = (fl_svg_shade){ref->shades[i].t0, ref->shades[i].t1,
                                       ref->shades[i].label,
                                       fl_lesson_shade_color(&ref->shades[i])};
    char title[400], ylab[200];
    if (ref)
        snprintf(title, sizeof title, "%s per variant (colour: variant%s)",
                 panel ? ref->ylabel2 : name + (strncmp(name, "lesson-", 7) ? 0 : 7),
                 nmetric > 1 ? "; line style: metric" : "");
    else
        snprintf(title, sizeof title, "%s: no variant has this chart", name);
    snprintf(ylab, sizeof ylab, "%s", ref ? (panel ? ref->ylabel2 : ref->ylabel) : "");
    const char *rows[16];
    for (int r = 0; ref && r < ref->nrows && r < 16; r++)
        rows[r] = ref->rows[r];
    fl_svg_chart c = {title, "time (s)", ylab, stamp, false, !roles, 0, 0, ser, ns, sh, nsh,
                      roles && ref ? rows : NULL, roles && ref ? (size_t)ref->nrows : 0};
    st = fl_svg_write(f, &c);
out:
    for (size_t v = 0; ls && v < nvar; v++)
        fl_free(ls[v]);
    for (size_t i = 0; ys && i < MAXS; i++)
        fl_free(ys[i]);
    fl_free(ls);
    fl_free(pick);
    fl_free(nls);
    fl_free(ser);
    fl_free(lab);
    fl_free(ys);
    return st;
}
