/* Per-window time series: see series.h.
 * Storage: one array of (sum, max, samples, set) cells per column, windows x columns;
 * columns are added before the run, so the per-event path only indexes and adds. */
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
    fl_series *s = fl_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->window = window;
    s->duration = duration;
    s->nwin = (size_t)((duration + window - 1) / window);
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

size_t fl_series_windows(const fl_series *s) { return s->nwin; }
size_t fl_series_columns(const fl_series *s) { return s->ncols; }
const char *fl_series_name(const fl_series *s, int c) { return s->cols[c].name; }

double fl_series_value(const fl_series *s, int c, size_t w)
{
    const column *col = &s->cols[c];
    const cell *x = &col->cells[w];
    switch (col->kind) {
    case FL_SERIES_SUM:
        return x->sum;
    case FL_SERIES_MAX:
        return x->n ? x->max : 0;
    case FL_SERIES_LAST:
        /* Carried forward: a gauge keeps its value until it is set again. */
        for (size_t k = w + 1; k-- > 0;)
            if (col->cells[k].n)
                return col->cells[k].last;
        return 0;
    case FL_SERIES_MEAN:
        return x->n ? x->sum / (double)x->n : NAN;
    case FL_SERIES_RATE: {
        fl_time len = s->window;
        fl_time start = (fl_time)w * s->window;
        if (start + len > s->duration)
            len = s->duration - start; /* a partial last window */
        return x->sum / fl_time_to_s(len);
    }
    }
    return NAN;
}

static int put_num(FILE *f, double v)
{
    if (isnan(v))
        return fputs("", f) < 0 ? -1 : 0; /* an empty cell: no sample in the window */
    if (v == floor(v) && fabs(v) < 1e15)
        return fprintf(f, "%.0f", v) < 0 ? -1 : 0;
    return fprintf(f, "%.6g", v) < 0 ? -1 : 0;
}

fl_status fl_series_write_csv(const fl_series *s, FILE *f)
{
    if (fputs("t_s", f) < 0)
        return FL_IO;
    for (size_t c = 0; c < s->ncols; c++)
        if (fprintf(f, ",%s", s->cols[c].name) < 0)
            return FL_IO;
    fputc('\n', f);
    for (size_t w = 0; w < s->nwin; w++) {
        if (put_num(f, fl_time_to_s((fl_time)w * s->window)))
            return FL_IO;
        for (size_t c = 0; c < s->ncols; c++) {
            fputc(',', f);
            if (put_num(f, fl_series_value(s, (int)c, w)))
                return FL_IO;
        }
        if (fputc('\n', f) == EOF)
            return FL_IO;
    }
    return ferror(f) ? FL_IO : FL_OK;
}
