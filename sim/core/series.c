/* Per-window time series: see series.h.
 *
 * Storage: one array of cells (sum, max, last, samples) per column, one cell per window;
 * columns are added before the run, so the per-event path only indexes and adds.
 *
 * CSV text is deterministic and locale-independent: the first column t_s is the window's
 * start in seconds, written exactly from the integer nanoseconds ("0.1", "3600"); values
 * that are whole numbers below 10^15 are written as integers, others with "%.6g" and '.'
 * as the decimal point whatever LC_NUMERIC says; an empty MEAN window is an empty cell.
 *
 * Invariants: nwin = ceil(duration / window) >= 1; every column has nwin cells; a cell
 * with n == 0 has never been added to (its other fields are zero). */
#include <faultline/series.h>

#include <math.h>
#include <string.h>

#include "core/alloc.h"

typedef struct cell {
    double sum, max, last;
    uint64_t n;
} cell;

typedef struct column {
    char *name;
    fl_series_kind kind;
    cell *cells;
} column;

struct fl_series {
    fl_time window, duration;
    size_t nwin;
    column *cols;
    size_t ncols, cap;
};

fl_series *fl_series_new(fl_time window, fl_time duration)
{
    if (window <= 0 || duration <= 0)
        return NULL;
    /* ceil without duration + window overflowing */
    uint64_t nwin = (uint64_t)(duration / window) + (duration % window != 0);
    if (nwin > SIZE_MAX / sizeof(cell))
        return NULL;
    fl_series *s = fl_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->window = window;
    s->duration = duration;
    s->nwin = (size_t)nwin;
    return s;
}

void fl_series_free(fl_series *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncols; i++) {
        fl_free(s->cols[i].name);
        fl_free(s->cols[i].cells);
    }
    fl_free(s->cols);
    fl_free(s);
}

int fl_series_column(fl_series *s, const char *name, fl_series_kind kind)
{
    if (s->ncols == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        column *c = fl_realloc(s->cols, cap * sizeof *c);
        if (!c)
            return -1;
        s->cols = c;
        s->cap = cap;
    }
    column *c = &s->cols[s->ncols];
    c->name = fl_strdup(name);
    c->cells = fl_calloc(s->nwin, sizeof *c->cells);
    c->kind = kind;
    if (!c->name || !c->cells) {
        fl_free(c->name);
        fl_free(c->cells);
        return -1;
    }
    return (int)s->ncols++;
}

void fl_series_add(fl_series *s, int c, fl_time t, double v)
{
    if (t < 0 || t >= s->duration || c < 0 || (size_t)c >= s->ncols)
        return;
    cell *x = &s->cols[c].cells[t / s->window];
    if (x->n == 0 || v > x->max)
        x->max = v;
    x->sum += v;
    x->last = v;
    x->n++;
}

void fl_series_add_cell(fl_series *s, int c, fl_time t, double sum, double max, double last,
                        uint64_t n)
{
    if (!n || t < 0 || t >= s->duration || c < 0 || (size_t)c >= s->ncols)
        return;
    cell *x = &s->cols[c].cells[t / s->window];
    if (x->n == 0) {
        *x = (cell){sum, max, last, n};
        return;
    }
    if (max > x->max)
        x->max = max;
    x->sum += sum;
    x->last = last;
    x->n += n;
}

size_t fl_series_windows(const fl_series *s) { return s->nwin; }
size_t fl_series_columns(const fl_series *s) { return s->ncols; }
const char *fl_series_name(const fl_series *s, int c) { return s->cols[c].name; }

/* The combined value of a cell; `carried` is the LAST value carried into this window. */
static double combine(const fl_series *s, const column *col, size_t w, double carried)
{
    const cell *x = &col->cells[w];
    switch (col->kind) {
    case FL_SERIES_SUM:
        return x->sum;
    case FL_SERIES_MAX:
        return x->n ? x->max : 0;
    case FL_SERIES_LAST:
        return x->n ? x->last : carried;
    case FL_SERIES_MEAN:
        return x->n ? x->sum / (double)x->n : NAN;
    case FL_SERIES_RATE: {
        fl_time len = s->window;
        fl_time start = (fl_time)w * s->window;
        if (len > s->duration - start)
            len = s->duration - start; /* a partial last window */
        return x->sum / fl_time_to_s(len);
    }
    }
    return NAN;
}

double fl_series_value(const fl_series *s, int c, size_t w)
{
    const column *col = &s->cols[c];
    double carried = 0;
    if (col->kind == FL_SERIES_LAST && !col->cells[w].n)
        for (size_t k = w; k-- > 0;) /* a gauge keeps its value until it is set again */
            if (col->cells[k].n) {
                carried = col->cells[k].last;
                break;
            }
    return combine(s, col, w, carried);
}

/* Writes v as CSV text (see the file header); NaN is an empty cell. */
static int put_num(FILE *f, double v)
{
    if (isnan(v))
        return 0;
    if (v == 0)
        v = 0; /* -0 prints as "0" */
    if (v == floor(v) && fabs(v) < 1e15)
        return fprintf(f, "%.0f", v) < 0 ? -1 : 0;
    char buf[40], out[40];
    snprintf(buf, sizeof buf, "%.6g", v);
    /* Whatever the locale put for a decimal point (possibly several bytes) becomes '.'. */
    size_t w = 0;
    for (const char *p = buf; *p && w < sizeof out - 1;) {
        char ch = *p;
        if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == 'e' || ch == 'i' ||
            ch == 'n' || ch == 'f') {
            out[w++] = *p++;
        } else {
            out[w++] = '.';
            while (*p && !(*p >= '0' && *p <= '9'))
                p++;
        }
    }
    out[w] = 0;
    return fputs(out, f) < 0 ? -1 : 0;
}

/* Writes t (>= 0) in seconds exactly: whole part, then the fraction without trailing zeros. */
static int put_seconds(FILE *f, fl_time t)
{
    long long whole = (long long)(t / FL_SEC);
    long long frac = (long long)(t % FL_SEC);
    if (!frac)
        return fprintf(f, "%lld", whole) < 0 ? -1 : 0;
    int places = 9;
    while (frac % 10 == 0) {
        frac /= 10;
        places--;
    }
    return fprintf(f, "%lld.%0*lld", whole, places, frac) < 0 ? -1 : 0;
}

/* A header field, quoted as RFC 4180 says when it holds a comma, quote or line break. */
static int put_name(FILE *f, const char *name)
{
    if (!strpbrk(name, ",\"\r\n"))
        return fputs(name, f) < 0 ? -1 : 0;
    if (fputc('"', f) == EOF)
        return -1;
    for (const char *p = name; *p; p++)
        if ((*p == '"' && fputc('"', f) == EOF) || fputc(*p, f) == EOF)
            return -1;
    return fputc('"', f) == EOF ? -1 : 0;
}

fl_status fl_series_write_csv(const fl_series *s, FILE *f)
{
    /* LAST columns carry their value from row to row: O(1) per cell, not a scan back. */
    double *carried = fl_calloc(s->ncols ? s->ncols : 1, sizeof *carried);
    if (!carried)
        return FL_NOMEM;
    fl_status st = FL_IO;
    if (fputs("t_s", f) < 0)
        goto out;
    for (size_t c = 0; c < s->ncols; c++)
        if (fputc(',', f) == EOF || put_name(f, s->cols[c].name))
            goto out;
    if (fputc('\n', f) == EOF)
        goto out;
    for (size_t w = 0; w < s->nwin; w++) {
        if (put_seconds(f, (fl_time)w * s->window))
            goto out;
        for (size_t c = 0; c < s->ncols; c++) {
            double v = combine(s, &s->cols[c], w, carried[c]);
            carried[c] = s->cols[c].kind == FL_SERIES_LAST ? v : 0;
            if (fputc(',', f) == EOF || put_num(f, v))
                goto out;
        }
        if (fputc('\n', f) == EOF)
            goto out;
    }
    st = ferror(f) ? FL_IO : FL_OK;
out:
    fl_free(carried);
    return st;
}
