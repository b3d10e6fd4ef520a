/* Traffic from the user's own data: a workload's rate read from a CSV file.
 *
 *   "rate": {"csv": "traffic.csv", "column": "rps", "scale": 0.5, "from": "14:02"}
 *
 * The file is the shape a metrics system exports: a header line naming the columns, then
 * one row per interval. Cells are separated by commas, may be wrapped in double quotes
 * (no comma or quote inside), and blank lines and lines starting with '#' are skipped.
 *
 * csv       the file, relative to the scenario file's folder
 * column    the column holding the rate, in requests per second (a per-minute count
 *           becomes a rate with "scale": 0.0166667)
 * scale     multiplies every value (default 1)
 * interval  the rows' spacing ("60s") when the file has no "time" column
 * from      the row that becomes the scenario's time 0 (earlier rows are dropped): a time
 *           in the file's notation ("14:02", or seconds), or with "interval" an offset
 *           from the first row ("10m"); default the first row
 *
 * The time column is the one named "time" (any case): seconds (a number, such as a Unix
 * time) or a clock time HH:MM or HH:MM:SS, strictly increasing. A row's rate holds from
 * its time to the next row's; the last row holds for one more interval (with a time
 * column: the last gap between rows). The workload refuses to run past the series' end.
 *
 * Every cell is checked when the scenario loads and a bad one is refused with the file,
 * line and column (1-based characters) of the cell: the run never reads the file. Files
 * read while loading are kept in the scenario, so every variant and every run sees the
 * same data; a run-time override naming another file reads it before the run starts,
 * unless the scenario was loaded for a server (fl_scenario_parse_in). The workload gets
 * the series as "series": [[at_ns, per_s], ...] and "series_end_ns" inside its rate
 * object (sim/model/workload.c), keys a user cannot write (they are refused here). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "out/files.h"
#include "scenario/scenario_int.h"

#define MAX_ROWS 1000000
/* Times relative to "from" are kept in JSON numbers (doubles): exact below 2^53 ns. */
#define MAX_SPAN ((fl_time)100 * 86400 * FL_SEC)

static const char *const rate_keys[] = {"csv", "column", "scale", "interval", "from", NULL};

/* A cell: [b, e) within its line, quotes removed; col is the 1-based column of its first
 * character in the line. */
typedef struct cell {
    const char *b, *e;
    int col;
} cell;

/* Splits the line [p, end) into cells (at most max); returns the count. */
static int split(const char *p, const char *end, cell *out, int max)
{
    int n = 0;
    const char *line = p;
    for (;;) {
        const char *c = p;
        while (c < end && *c != ',')
            c++;
        const char *b = p, *e = c;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (e - b >= 2 && *b == '"' && e[-1] == '"')
            b++, e--;
        if (n < max)
            out[n] = (cell){b, e, (int)(b - line) + 1};
        n++;
        if (c >= end)
            break;
        p = c + 1;
    }
    return n;
}

static bool cell_is(const cell *c, const char *s)
{
    return (size_t)(c->e - c->b) == strlen(s) && strncmp(c->b, s, strlen(s)) == 0;
}

static bool cell_is_time(const cell *c)
{
    static const char t[] = "time";
    if (c->e - c->b != 4)
        return false;
    for (int i = 0; i < 4; i++)
        if ((c->b[i] | 0x20) != t[i])
            return false;
    return true;
}

/* A non-negative decimal: digits with an optional fraction and exponent ("1200", "0.5",
 * "1.2e3"); a leading '-' is read so that a negative value can be named as such. Parsed
 * by hand: strtod would follow the locale. Returns false when the text is not a number. */
static bool parse_number(const char *b, const char *e, double *out)
{
    bool neg = false;
    if (b < e && (*b == '-' || *b == '+'))
        neg = *b++ == '-';
    double m = 0;
    int digits = 0, exp10 = 0;
    for (; b < e && *b >= '0' && *b <= '9'; b++, digits++)
        m = m * 10 + (*b - '0');
    if (b < e && *b == '.')
        for (b++; b < e && *b >= '0' && *b <= '9'; b++, digits++, exp10--)
            m = m * 10 + (*b - '0');
    if (!digits)
        return false;
    if (b < e && (*b == 'e' || *b == 'E')) {
        b++;
        bool eneg = false;
        if (b < e && (*b == '-' || *b == '+'))
            eneg = *b++ == '-';
        int x = 0, xd = 0;
        for (; b < e && *b >= '0' && *b <= '9'; b++, xd++)
            if (x < 10000)
                x = x * 10 + (*b - '0');
        if (!xd)
            return false;
        exp10 += eneg ? -x : x;
    }
    if (b != e)
        return false;
    double v = m * pow(10, exp10);
    if (!isfinite(v))
        return false;
    *out = neg ? -v : v;
    return true;
}

/* A time: seconds (digits with up to nine decimals) or a clock time HH:MM[:SS], in ns.
 * Returns false when it is neither. */
static bool parse_time(const char *b, const char *e, fl_time *out)
{
    const char *colon = memchr(b, ':', (size_t)(e - b));
    if (colon) {
        int part[3] = {0, 0, 0}, np = 0, nd = 0;
        for (const char *p = b; p <= e; p++) {
            if (p == e || *p == ':') {
                if (nd < 1 || nd > 2 || np == 3)
                    return false;
                np++, nd = 0;
                continue;
            }
            if (*p < '0' || *p > '9')
                return false;
            part[np] = part[np] * 10 + (*p - '0');
            nd++;
        }
        if (np < 2 || part[0] > 23 || part[1] > 59 || part[2] > 59)
            return false;
        *out = ((fl_time)part[0] * 3600 + part[1] * 60 + part[2]) * FL_SEC;
        return true;
    }
    fl_time s = 0, frac = 0, scale = FL_SEC;
    int digits = 0;
    const char *p = b;
    for (; p < e && *p >= '0' && *p <= '9'; p++, digits++) {
        if (s > 99999999999) /* more than 10^11 s (3,000 years): not a time */
            return false;
        s = s * 10 + (*p - '0');
    }
    if (!digits)
        return false;
    if (p < e && *p == '.') {
        for (p++; p < e && *p >= '0' && *p <= '9'; p++) {
            if (scale == 1)
                return false; /* finer than a nanosecond */
            scale /= 10;
            frac += (*p - '0') * scale;
        }
    }
    if (p != e)
        return false;
    *out = s * FL_SEC + frac;
    return true;
}

/* Writes a time the way the file spells it (seconds or a clock time), for messages. */
static void show_time(fl_time t, bool clock, char *buf, size_t n)
{
    if (clock) {
        long s = (long)(t / FL_SEC);
        if (s % 60)
            snprintf(buf, n, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
        else
            snprintf(buf, n, "%02ld:%02ld", s / 3600, s / 60 % 60);
    } else if (t % FL_SEC == 0) {
        snprintf(buf, n, "%lld", (long long)(t / FL_SEC));
    } else {
        snprintf(buf, n, "%.9g", fl_time_to_s(t));
    }
}

/* Sets a cell's position: file:line:col: column "NAME": message. */
#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
static fl_status at_cell(fl_error *e, const char *shown, int line, int col, const char *column,
                         const char *fmt, ...)
{
    char path[200];
    snprintf(path, sizeof path, "column \"%s\"", column);
    fl_error_set(e, FL_INVALID, path, "%s", "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    snprintf(e->file, sizeof e->file, "%s", shown);
    e->line = line;
    e->col = col;
    return FL_INVALID;
}

/* A cell's text for a message, cut at 40 characters and never a control character. */
static void show_cell(const cell *c, char *buf, size_t n)
{
    size_t len = (size_t)(c->e - c->b);
    if (len > 40)
        len = 40;
    snprintf(buf, n, "%.*s%s", (int)len, c->b, (size_t)(c->e - c->b) > len ? "..." : "");
}

fl_status fl__traffic_parse(const char *text, size_t len, const char *shown, const cJSON *rate,
                            const char *path, cJSON **series, fl_time *end, fl_error *e)
{
    fl_status st;
    const char *column;
    double scale;
    fl_time interval;
    char p[300];
    *series = NULL;
    if ((st = fl_cfg_string(rate, path, "column", FL_CFG_REQUIRED, NULL, &column, e)) ||
        (st = fl_cfg_number(rate, path, "scale", FL_CFG_OPTIONAL, 1, 0, 1e9, &scale, e)) ||
        (st = fl_cfg_duration(rate, path, "interval", FL_CFG_OPTIONAL, 0, 1, MAX_SPAN, &interval,
                              e)))
        return st;
    const char *const end_text = text + len;
    const char *line = text;
    int lineno = 0, tcol = -1, vcol = -1, ncols = 0;
    /* At most the first 64 columns are looked at; a value column further right is
     * refused as missing, with the header shown. */
    cell hdr[64];
    fl_time *at = NULL;
    double *val = NULL;
    size_t n = 0, cap = 0;
    bool clock = false;
    int from_row = -1;
    fl_time from = 0;
    const cJSON *fromv = cJSON_GetObjectItemCaseSensitive(rate, "from");
    while (line < end_text) {
        const char *nl = memchr(line, '\n', (size_t)(end_text - line));
        const char *le = nl ? nl : end_text;
        lineno++;
        const char *first = line;
        while (first < le && (*first == ' ' || *first == '\t' || *first == '\r'))
            first++;
        if (first == le || *first == '#') {
            line = nl ? nl + 1 : end_text;
            continue;
        }
        if (memchr(line, 0, (size_t)(le - line))) {
            st = at_cell(e, shown, lineno, 1, column, "a NUL byte; is this really a CSV file?");
            goto fail;
        }
        if (vcol < 0) { /* the header */
            ncols = split(line, le, hdr, 64);
            if (ncols > 64)
                ncols = 64;
            for (int i = 0; i < ncols; i++) {
                if (tcol < 0 && cell_is_time(&hdr[i]))
                    tcol = i;
                if (vcol < 0 && cell_is(&hdr[i], column))
                    vcol = i;
            }
            if (vcol < 0) {
                char list[300] = "";
                size_t w = 0;
                for (int i = 0; i < ncols && w < sizeof list; i++)
                    w += (size_t)snprintf(list + w, sizeof list - w, "%s%.*s", i ? ", " : "",
                                          (int)(hdr[i].e - hdr[i].b > 30 ? 30 : hdr[i].e - hdr[i].b),
                                          hdr[i].b);
                st = at_cell(e, shown, lineno, 1, column,
                             "no such column in the header (it has: %s)", list);
                goto fail;
            }
            if (tcol == vcol) {
                st = at_cell(e, shown, lineno, hdr[vcol].col, column,
                             "this is the time column; name the column holding the rate");
                goto fail;
            }
            fl_cfg_join(p, sizeof p, path, "interval");
            if (tcol >= 0 && interval) {
                st = fl_error_set(e, FL_INVALID, p,
                                  "%s has a \"time\" column, which places its rows: remove "
                                  "\"interval\"", shown);
                goto fail;
            }
            if (tcol < 0 && !interval) {
                fl_cfg_join(p, sizeof p, path, "csv");
                st = fl_error_set(e, FL_INVALID, p,
                                  "%s has no \"time\" column: give the rows' spacing with "
                                  "\"interval\", such as \"60s\"", shown);
                goto fail;
            }
            line = nl ? nl + 1 : end_text;
            continue;
        }
        cell cells[64];
        int nc = split(line, le, cells, 64);
        int need = (vcol > tcol ? vcol : tcol) + 1;
        if (nc < need) {
            st = at_cell(e, shown, lineno, (int)(le - line) + 1,
                         nc <= vcol ? column : "time",
                         "the row has %d cell%s, the header %d", nc, nc == 1 ? "" : "s", ncols);
            goto fail;
        }
        if (n == MAX_ROWS) {
            st = at_cell(e, shown, lineno, 1, column, "more than %d rows", MAX_ROWS);
            goto fail;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            fl_time *na = fl_realloc(at, cap * sizeof *at);
            if (na)
                at = na;
            double *nv = na ? fl_realloc(val, cap * sizeof *val) : NULL;
            if (!nv) {
                st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
                goto fail;
            }
            val = nv;
        }
        char shown_cell[48];
        const cell *vc = &cells[vcol];
        show_cell(vc, shown_cell, sizeof shown_cell);
        if (vc->b == vc->e) {
            st = at_cell(e, shown, lineno, vc->col, column, "empty; fill the gap with a rate");
            goto fail;
        }
        if (!parse_number(vc->b, vc->e, &val[n])) {
            st = at_cell(e, shown, lineno, vc->col, column, "\"%s\" is not a number", shown_cell);
            goto fail;
        }
        if (val[n] < 0) {
            st = at_cell(e, shown, lineno, vc->col, column,
                         "%s is negative; a rate is at least 0", shown_cell);
            goto fail;
        }
        val[n] *= scale;
        if (tcol >= 0) {
            const cell *tc = &cells[tcol];
            char st_cell[48];
            show_cell(tc, st_cell, sizeof st_cell);
            if (!parse_time(tc->b, tc->e, &at[n])) {
                st = at_cell(e, shown, lineno, tc->col, "time",
                             "\"%s\" is not a time; expected seconds (such as 1609772400) or "
                             "HH:MM[:SS]", st_cell);
                goto fail;
            }
            bool is_clock = memchr(tc->b, ':', (size_t)(tc->e - tc->b)) != NULL;
            if (n == 0)
                clock = is_clock;
            else if (is_clock != clock) {
                st = at_cell(e, shown, lineno, tc->col, "time",
                             "\"%s\" mixes notations: the first row's time is %s", st_cell,
                             clock ? "a clock time" : "in seconds");
                goto fail;
            }
            if (n > 0 && at[n] <= at[n - 1]) {
                char prev[32];
                show_time(at[n - 1], clock, prev, sizeof prev);
                st = at_cell(e, shown, lineno, tc->col, "time",
                             "%s is not after the previous row's %s (rows go in increasing "
                             "time, within one day for clock times)", st_cell, prev);
                goto fail;
            }
        } else {
            if (interval > MAX_SPAN / (fl_time)(n + 1)) {
                st = at_cell(e, shown, lineno, 1, column, "the rows span more than 100 days");
                goto fail;
            }
            at[n] = (fl_time)n * interval;
        }
        n++;
        line = nl ? nl + 1 : end_text;
    }
    if (vcol < 0) {
        fl_cfg_join(p, sizeof p, path, "csv");
        st = fl_error_set(e, FL_INVALID, p, "%s is empty; expected a header and rows", shown);
        goto fail;
    }
    if (n == 0 || (tcol >= 0 && n < 2)) {
        st = at_cell(e, shown, lineno, 1, column,
                     n ? "one row: give at least two, so the interval is known"
                       : "no rows after the header");
        goto fail;
    }
    /* "from": a time in the file's notation, or with "interval" an offset from row 0. */
    fl_cfg_join(p, sizeof p, path, "from");
    if (fromv) {
        char first[32], last[32];
        show_time(at[0], clock, first, sizeof first);
        show_time(at[n - 1], clock, last, sizeof last);
        bool ok;
        if (tcol >= 0) {
            char buf[64] = "";
            if (cJSON_IsString(fromv))
                snprintf(buf, sizeof buf, "%s", fromv->valuestring);
            else if (cJSON_IsNumber(fromv) && fromv->valuedouble >= 0 &&
                     fromv->valuedouble < 1e11 && fromv->valuedouble == floor(fromv->valuedouble))
                snprintf(buf, sizeof buf, "%.0f", fromv->valuedouble);
            ok = buf[0] && parse_time(buf, buf + strlen(buf), &from) &&
                 (memchr(buf, ':', strlen(buf)) != NULL) == clock;
            if (!ok) {
                st = fl_error_set(e, FL_INVALID, p, "expected a time written as %s's are (%s), "
                                  "got %s", shown, first, cJSON_IsString(fromv) ? buf : "that");
                goto fail;
            }
        } else if ((st = fl_cfg_duration(rate, path, "from", FL_CFG_OPTIONAL, 0, 0, MAX_SPAN,
                                         &from, e))) {
            goto fail;
        }
        for (size_t i = 0; i < n; i++)
            if (at[i] == from)
                from_row = (int)i;
        if (from_row < 0) {
            char want[32];
            show_time(from, clock, want, sizeof want);
            st = fl_error_set(e, FL_INVALID, p, "no row of %s is at %s (its rows run from %s "
                              "to %s)", shown, want, first, last);
            goto fail;
        }
    } else {
        from_row = 0;
        from = at[0];
    }
    fl_time step = tcol >= 0 ? at[n - 1] - at[n - 2] : interval;
    if (at[n - 1] - from > MAX_SPAN - step) {
        st = fl_error_set(e, FL_INVALID, p, "the rows of %s span more than 100 days", shown);
        goto fail;
    }
    *end = at[n - 1] - from + step;
    cJSON *arr = cJSON_CreateArray();
    if (!arr) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        goto fail;
    }
    for (size_t i = (size_t)from_row; i < n; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON *a = cJSON_CreateNumber((double)(at[i] - from));
        cJSON *v = cJSON_CreateNumber(val[i]);
        if (pair && a && v) {
            cJSON_AddItemToArray(pair, a);
            cJSON_AddItemToArray(pair, v);
            cJSON_AddItemToArray(arr, pair);
        } else {
            cJSON_Delete(pair);
            cJSON_Delete(a);
            cJSON_Delete(v);
            cJSON_Delete(arr);
            st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
            goto fail;
        }
    }
    fl_free(at);
    fl_free(val);
    *series = arr;
    return FL_OK;
fail:
    fl_free(at);
    fl_free(val);
    return st;
}

/* A file's text: from the scenario's cache, or read (and kept, while loading). */
static fl_status file_text(const fl_scenario *sc, const char *shown, const char *json_path,
                           const char **text, size_t *len, char **owned, fl_error *e)
{
    *owned = NULL;
    struct fl__file_cache *c = sc->files;
    for (size_t i = 0; c && i < c->n; i++)
        if (strcmp(c->v[i].path, shown) == 0) {
            *text = c->v[i].text;
            *len = c->v[i].len;
            return FL_OK;
        }
    if (!sc->loading && !sc->read_at_run)
        return fl_error_set(e, FL_INVALID, json_path,
                            "%s is not one of the files this scenario named when it was loaded",
                            shown);
    if (!sc->dir)
        return fl_error_set(e, FL_INVALID, json_path,
                            "this scenario was not read from a file: it cannot name a CSV file");
    errno = 0;
    size_t n = 0;
    char *t = fl__file_read_all(shown, &n);
    if (!t) {
        int err = errno;
        return fl_error_set(e, err == ENOMEM || !err ? FL_NOMEM : FL_IO, json_path,
                            "cannot read %s: %s", shown, err ? strerror(err) : "out of memory");
    }
    if (!sc->loading || !c) { /* a run-time read: the run's own copy */
        *owned = t;
        *text = t;
        *len = n;
        return FL_OK;
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap ? 2 * c->cap : 4;
        void *nv = fl_realloc(c->v, ncap * sizeof *c->v);
        if (!nv) {
            fl_free(t);
            return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        }
        c->v = nv;
        c->cap = ncap;
    }
    char *p = fl_strdup(shown);
    if (!p) {
        fl_free(t);
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    }
    c->v[c->n].path = p;
    c->v[c->n].text = t;
    c->v[c->n].len = n;
    c->n++;
    *text = t;
    *len = n;
    return FL_OK;
}

void fl__file_cache_free(struct fl__file_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        fl_free(c->v[i].path);
        fl_free(c->v[i].text);
    }
    fl_free(c->v);
    fl_free(c);
}

fl_status fl__traffic_resolve(const fl_scenario *sc, cJSON *doc, fl_error *e)
{
    cJSON *wls = cJSON_GetObjectItemCaseSensitive(doc, "workloads");
    int i = 0;
    for (cJSON *wl = cJSON_IsArray(wls) ? wls->child : NULL; wl; wl = wl->next, i++) {
        cJSON *rate = cJSON_IsObject(wl) ? cJSON_GetObjectItemCaseSensitive(wl, "rate") : NULL;
        if (!cJSON_IsObject(rate))
            continue; /* a plain rate, or an error the workload names */
        char wp[64], path[80], p[100];
        fl_cfg_index(wp, sizeof wp, "workloads", i);
        fl_cfg_join(path, sizeof path, wp, "rate");
        fl_status st;
        const char *csv;
        if ((st = fl_cfg_known_keys(rate, path, rate_keys, e)) ||
            (st = fl_cfg_string(rate, path, "csv", FL_CFG_REQUIRED, NULL, &csv, e)))
            goto located;
        fl_cfg_join(p, sizeof p, path, "csv");
        if (!csv[0]) {
            st = fl_error_set(e, FL_INVALID, p, "expected a file name, such as \"traffic.csv\"");
            goto located;
        }
        if (cJSON_GetObjectItemCaseSensitive(wl, "schedule")) {
            st = fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, wp, "schedule"),
                              "a rate read from a CSV file is its own schedule: remove "
                              "\"schedule\"");
            goto located;
        }
        char shown[512];
        if (csv[0] == '/' || !sc->dir || !sc->dir[0])
            snprintf(shown, sizeof shown, "%s", csv);
        else
            snprintf(shown, sizeof shown, "%s%s%s", sc->dir,
                     sc->dir[strlen(sc->dir) - 1] == '/' ? "" : "/", csv);
        const char *text = NULL;
        size_t len = 0;
        char *owned;
        if ((st = file_text(sc, shown, p, &text, &len, &owned, e)))
            goto located;
        cJSON *series = NULL;
        fl_time end = 0;
        st = fl__traffic_parse(text, len, shown, rate, path, &series, &end, e);
        fl_free(owned);
        if (st) {
            if (e->line)
                return st; /* a cell of the CSV file */
            goto located;
        }
        cJSON *endv = cJSON_CreateNumber((double)end);
        if (!endv) {
            cJSON_Delete(series);
            return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        }
        cJSON_AddItemToObject(rate, "series", series);
        cJSON_AddItemToObject(rate, "series_end_ns", endv);
        continue;
    located:
        if (st != FL_NOMEM)
            fl__scenario_locate(sc, e);
        return st;
    }
    return FL_OK;
}
