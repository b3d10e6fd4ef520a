/* Line charts as <svg> elements: see svg.h.
 *
 * Layout (px, for the default 760 x 360): title on top, the plot area inside fixed
 * margins, x tick labels and x label below it, legend rows below those, the stamp last.
 * The legend adds rows instead of overlapping the data. */
#include "out/svg.h"

#include <math.h>
#include <string.h>

/* Every text is at least FONT px at the chart's own size (its viewBox shown 1:1), so a
 * chart shown at its width on a 1280x800 projector stays readable from the back row. */
enum {
    FONT = 18,       /* ticks, labels, legend, shade labels, stamp */
    TITLE_FONT = 20,
    TITLE_ROW = 26,  /* a title line; a long title wraps over several */
    MARGIN_LEFT = 104,
    MARGIN_RIGHT = 24,
    MARGIN_TOP = 82, /* one title line, then two rows of shade labels */
    MARGIN_BOTTOM = 90, /* x tick labels and x label; the legend's first row */
    LEGEND_ROW = 26,
    MAX_TICKS = 64,
    MAX_LINES = 6,
};

/* Okabe-Ito-like, readable by most colour-blind readers and on a projector. */
static const char *const palette[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                      "#e69f00", "#56b4e9", "#7f3c8d", "#555555"};

static const char *const dashes[] = {"8 5", "2 4", "10 4 2 4", "14 6", "4 3 4 9"};

const char *fl_svg_dash(int style)
{
    return style <= 0 ? "" : dashes[(style - 1) % (int)(sizeof dashes / sizeof dashes[0])];
}

/* The stroke-dasharray attribute of a series ("" when solid). */
static void dash_attr(const fl_svg_series *se, char *buf, size_t n)
{
    if (se->dash > 0)
        snprintf(buf, n, " stroke-dasharray=\"%s\"", fl_svg_dash(se->dash));
    else
        snprintf(buf, n, "%s", se->dashed ? " stroke-dasharray=\"6 4\"" : "");
}

#define NPAL (sizeof palette / sizeof palette[0])

/* Series s as drawn: past the palette's colours, a series in the palette's own colour
 * (none given, or fl_svg_color(s)) and no line style of its own gets a dash pattern per
 * round of the palette, so no two series look alike (colour, style) up to NPAL x 6. */
static fl_svg_series drawn(const fl_svg_series *se, size_t s)
{
    fl_svg_series e = *se;
    if (s >= NPAL && !e.dash && !e.dashed &&
        (!e.color || strcmp(e.color, palette[s % NPAL]) == 0))
        e.dash = (int)(s / NPAL);
    return e;
}

const char *fl_svg_color(size_t i)
{
    return palette[i % NPAL];
}

void fl_svg_numg(double v, int prec, char *buf, size_t n)
{
    if (n == 0)
        return;
    if (v == 0)
        v = 0; /* -0 prints as "0" */
    if (prec < 1)
        prec = 1;
    if (prec > 17)
        prec = 17;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    /* Whatever the locale put for a decimal point (possibly several bytes) becomes '.'. */
    size_t w = 0;
    for (const char *p = tmp; *p && w + 1 < n;) {
        char ch = *p;
        if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == 'e' || ch == 'i' ||
            ch == 'n' || ch == 'f' || ch == 'a') {
            buf[w++] = *p++;
        } else {
            buf[w++] = '.';
            while (*p && !(*p >= '0' && *p <= '9') && *p != 'e')
                p++;
        }
    }
    buf[w] = 0;
}

void fl_svg_num(double v, char *buf, size_t n)
{
    fl_svg_numg(v, 6, buf, n);
}

void fl_svg_num_grouped(double v, char *buf, size_t n)
{
    char tmp[64];
    if (v == round(v) && fabs(v) < 1e15) /* a whole number: every digit (1,500,000) */
        snprintf(tmp, sizeof tmp, "%.0f", v == 0 ? 0 : v);
    else
        fl_svg_num(v, tmp, sizeof tmp);
    /* Only a whole number of 4 digits or more is grouped (not 1e+21, not 2.5). */
    const char *d = tmp + (tmp[0] == '-');
    size_t digits = strspn(d, "0123456789");
    if (digits < 4 || d[digits] != 0) {
        snprintf(buf, n, "%s", tmp);
        return;
    }
    size_t w = 0;
    if (tmp[0] == '-' && w + 1 < n)
        buf[w++] = '-';
    for (size_t i = 0; i < digits && w + 1 < n; i++) {
        if (i && (digits - i) % 3 == 0 && w + 2 < n)
            buf[w++] = ',';
        buf[w++] = d[i];
    }
    buf[w] = 0;
}

int fl_svg_escape(FILE *f, const char *s)
{
    if (!s)
        return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        const char *rep = NULL;
        switch (ch) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep) {
            if (fputs(rep, f) < 0)
                return -1;
        } else if (fputc(ch < 0x20 && ch != '\n' && ch != '\t' ? ' ' : ch, f) == EOF) {
            return -1;
        }
    }
    return 0;
}

/* 1, 2 or 5 x 10^k: the smallest such step at least `rough`. */
static double nice_step(double rough)
{
    double mag = pow(10, floor(log10(rough)));
    double norm = rough / mag;
    double m = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
    return m * mag;
}

size_t fl_svg_ticks(double lo, double hi, int target, double *lo_out, double *hi_out,
                    double *ticks, size_t max)
{
    if (target < 2)
        target = 2;
    double step = nice_step((hi - lo) / target);
    double k0 = floor(lo / step), k1 = ceil(hi / step);
    /* Ticks are whole multiples of the step, computed from the integer so they never drift
     * ("0.30000000000000004" would still print as 0.3, but exact values keep the layout
     * identical across compilers). */
    *lo_out = k0 * step;
    *hi_out = k1 * step;
    size_t n = 0;
    for (double k = k0; k <= k1 && n < max; k++)
        ticks[n++] = k * step;
    return n;
}

size_t fl_svg_log_ticks(double lo, double hi, double *lo_out, double *hi_out, double *ticks,
                        size_t max)
{
    double d0 = floor(log10(lo)), d1 = ceil(log10(hi));
    if (d1 <= d0)
        d1 = d0 + 1;
    double every = ceil((d1 - d0) / 8); /* at most about 8 labelled decades */
    d0 = floor(d0 / every) * every;
    d1 = ceil(d1 / every) * every;
    *lo_out = pow(10, d0);
    *hi_out = pow(10, d1);
    size_t n = 0;
    for (double d = d0; d <= d1 && n < max; d += every)
        ticks[n++] = pow(10, d);
    return n;
}

typedef struct frame {
    double px0, px1, py0, py1; /* plot area: left, right, top, bottom */
    double x0, x1, y0, y1;     /* data range */
    bool log_y;
} frame;

static double fx(const frame *fr, double x)
{
    double v = fr->px0 + (x - fr->x0) / (fr->x1 - fr->x0) * (fr->px1 - fr->px0);
    return v < fr->px0 ? fr->px0 : v > fr->px1 ? fr->px1 : v;
}

static double fy(const frame *fr, double y)
{
    double t = fr->log_y ? (log10(y) - log10(fr->y0)) / (log10(fr->y1) - log10(fr->y0))
                         : (y - fr->y0) / (fr->y1 - fr->y0);
    double v = fr->py1 - t * (fr->py1 - fr->py0);
    return v < fr->py0 ? fr->py0 : v > fr->py1 ? fr->py1 : v;
}

static bool usable(const frame *fr, double x, double y)
{
    return isfinite(x) && isfinite(y) && (!fr->log_y || y > 0);
}

/* Prints v rounded to 1/100 px: enough for any screen, and short. */
static void put_px(FILE *f, double v)
{
    char b[40];
    fl_svg_num(round(v * 100) / 100, b, sizeof b);
    fputs(b, f);
}

static void put_attr_text(FILE *f, const char *name, const char *s)
{
    fprintf(f, " %s=\"", name);
    fl_svg_escape(f, s);
    fputc('"', f);
}

/* Rough text width at the given font size: enough to lay out legend items. */
static double text_width(const char *s, double size)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80; /* count UTF-8 characters, not bytes */
    return (double)n * size * 0.58;
}

/* The data's x and y ranges; false when no usable point exists. */
static bool data_range(const fl_svg_chart *c, bool log_y, double *xlo, double *xhi,
                       double *ylo, double *yhi)
{
    bool any = false;
    *xlo = INFINITY, *xhi = -INFINITY, *ylo = INFINITY, *yhi = -INFINITY;
    frame probe = {0, 0, 0, 0, 0, 0, 0, 0, log_y};
    for (size_t s = 0; s < c->nseries; s++) {
        const fl_svg_series *se = &c->series[s];
        for (size_t i = 0; i < se->n; i++) {
            double x = se->x[i];
            if (!isfinite(x))
                continue;
            /* x spans every point, with a value or not: a time axis covers the whole run
             * even when its end is a gap. */
            *xlo = fmin(*xlo, x), *xhi = fmax(*xhi, x);
            const double ys[3] = {se->y[i], se->lo ? se->lo[i] : NAN, se->hi ? se->hi[i] : NAN};
            for (int k = 0; k < 3; k++) {
                if (!usable(&probe, x, ys[k]))
                    continue;
                any = true;
                *ylo = fmin(*ylo, ys[k]), *yhi = fmax(*yhi, ys[k]);
            }
        }
    }
    return any;
}

/* The x range when no point is usable: the series' x values, else the shades, else 0..1. */
static void fallback_x(const fl_svg_chart *c, double *xlo, double *xhi)
{
    *xlo = INFINITY, *xhi = -INFINITY;
    for (size_t s = 0; s < c->nseries; s++)
        for (size_t i = 0; i < c->series[s].n; i++)
            if (isfinite(c->series[s].x[i]))
                *xlo = fmin(*xlo, c->series[s].x[i]), *xhi = fmax(*xhi, c->series[s].x[i]);
    for (size_t i = 0; i < c->nshades; i++)
        if (isfinite(c->shades[i].x0) && isfinite(c->shades[i].x1))
            *xlo = fmin(*xlo, c->shades[i].x0), *xhi = fmax(*xhi, c->shades[i].x1);
    if (!(*xlo <= *xhi))
        *xlo = 0, *xhi = 1;
}

static void put_line_runs(FILE *f, const frame *fr, const fl_svg_series *se, const char *color,
                          double width)
{
    /* One <path> with a subpath per run of usable points; lone points become dots. */
    bool open = false;
    for (size_t i = 0; i < se->n;) {
        if (!usable(fr, se->x[i], se->y[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < se->n && usable(fr, se->x[j], se->y[j]))
            j++;
        if (j - i >= 2) {
            if (!open) {
                fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"", color);
                put_px(f, width);
                char da[64];
                dash_attr(se, da, sizeof da);
                fprintf(f, "\" stroke-linejoin=\"round\"%s d=\"", da);
                open = true;
            } else {
                fputc(' ', f);
            }
            for (size_t k = i; k < j; k++) {
                fputs(k == i ? "M" : " L", f);
                put_px(f, fx(fr, se->x[k]));
                fputc(' ', f);
                put_px(f, fy(fr, se->y[k]));
            }
        }
        i = j;
    }
    if (open)
        fputs("\"/>\n", f);
    for (size_t i = 0; i < se->n; i++) {
        bool alone = usable(fr, se->x[i], se->y[i]) &&
                     (i == 0 || !usable(fr, se->x[i - 1], se->y[i - 1])) &&
                     (i + 1 == se->n || !usable(fr, se->x[i + 1], se->y[i + 1]));
        if (!alone)
            continue;
        fputs("<circle cx=\"", f);
        put_px(f, fx(fr, se->x[i]));
        fputs("\" cy=\"", f);
        put_px(f, fy(fr, se->y[i]));
        fputs("\" r=\"", f);
        put_px(f, width + 1);
        fprintf(f, "\" fill=\"%s\"/>\n", color);
    }
}

static void put_band(FILE *f, const frame *fr, const fl_svg_series *se, const char *color)
{
    for (size_t i = 0; i < se->n;) {
        size_t j = i;
        while (j < se->n && usable(fr, se->x[j], se->lo[j]) && usable(fr, se->x[j], se->hi[j]))
            j++;
        if (j - i >= 2) {
            fprintf(f, "<polygon fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\" points=\"", color);
            for (size_t k = i; k < j; k++) {
                if (k > i)
                    fputc(' ', f);
                put_px(f, fx(fr, se->x[k]));
                fputc(',', f);
                put_px(f, fy(fr, se->hi[k]));
            }
            for (size_t k = j; k-- > i;) {
                fputc(' ', f);
                put_px(f, fx(fr, se->x[k]));
                fputc(',', f);
                put_px(f, fy(fr, se->lo[k]));
            }
            fputs("\"/>\n", f);
        }
        i = j > i ? j : i + 1;
    }
}

static void put_text(FILE *f, double x, double y, const char *attrs, const char *s)
{
    fputs("<text x=\"", f);
    put_px(f, x);
    fputs("\" y=\"", f);
    put_px(f, y);
    fprintf(f, "\"%s%s>", attrs[0] ? " " : "", attrs);
    fl_svg_escape(f, s);
    fputs("</text>\n", f);
}

static void put_hline(FILE *f, double x0, double x1, double y, const char *attrs)
{
    fputs("<line x1=\"", f);
    put_px(f, x0);
    fputs("\" y1=\"", f);
    put_px(f, y);
    fputs("\" x2=\"", f);
    put_px(f, x1);
    fputs("\" y2=\"", f);
    put_px(f, y);
    fprintf(f, "\" %s/>\n", attrs);
}

static void put_vline(FILE *f, double x, double y0, double y1, const char *attrs)
{
    fputs("<line x1=\"", f);
    put_px(f, x);
    fputs("\" y1=\"", f);
    put_px(f, y0);
    fputs("\" x2=\"", f);
    put_px(f, x);
    fputs("\" y2=\"", f);
    put_px(f, y1);
    fprintf(f, "\" %s/>\n", attrs);
}

/* Splits s at spaces into lines no wider than `width` at font `size` (a longer word
 * stands alone); returns the number of lines (at most max; the last takes the rest). */
static int wrap(const char *s, double size, double width, char lines[][400], int max)
{
    int n = 0;
    while (*s && n < max) {
        while (*s == ' ')
            s++;
        size_t len = strlen(s), cut = len;
        if (n < max - 1 && text_width(s, size) > width) {
            cut = 0;
            for (size_t i = 1; i < len; i++)
                if (s[i] == ' ') {
                    char tmp[400];
                    snprintf(tmp, sizeof tmp, "%.*s", (int)i, s);
                    if (text_width(tmp, size) > width && cut)
                        break;
                    cut = i;
                }
            if (!cut)
                cut = len;
        }
        snprintf(lines[n++], 400, "%.*s", (int)(cut < 399 ? cut : 399), s);
        s += cut;
    }
    return n;
}

/* Legend items laid out left to right, wrapping; returns the number of rows. With f NULL
 * it only counts. */
static int legend(FILE *f, const fl_svg_chart *c, double left, double right, double top)
{
    double x = left;
    int rows = 0;
    for (size_t s = 0; s < c->nseries; s++) {
        const fl_svg_series ds = drawn(&c->series[s], s), *se = &ds;
        if (!se->name || !se->name[0])
            continue;
        double w = 30 + text_width(se->name, FONT) + 18;
        if (rows == 0 || (x + w > right && x > left)) {
            rows++;
            x = left;
        }
        if (f) {
            double y = top + (rows - 1) * LEGEND_ROW;
            const char *color = se->color ? se->color : fl_svg_color(s);
            if (se->lo && se->hi) {
                fputs("<rect x=\"", f);
                put_px(f, x);
                fputs("\" y=\"", f);
                put_px(f, y - 10);
                fprintf(f, "\" width=\"24\" height=\"12\" fill=\"%s\" fill-opacity=\"0.18\"/>\n",
                        color);
            }
            char attrs[160];
            char wb[40];
            fl_svg_num(round((se->width > 0 ? se->width : 2) * 100) / 100, wb, sizeof wb);
            char da[64];
            dash_attr(se, da, sizeof da);
            snprintf(attrs, sizeof attrs, "stroke=\"%s\" stroke-width=\"%s\"%s", color, wb, da);
            put_hline(f, x, x + 24, y - 6, attrs);
            put_text(f, x + 30, y, "", se->name);
        }
        x += w;
    }
    return rows;
}

fl_status fl_svg_write(FILE *f, const fl_svg_chart *c)
{
    if (!f || !c || (c->nseries && !c->series) || (c->nshades && !c->shades))
        return FL_INVALID;
    for (size_t s = 0; s < c->nseries; s++)
        if (c->series[s].n && (!c->series[s].x || !c->series[s].y))
            return FL_INVALID;
    double W = c->width > 0 ? c->width : 760, H = c->height > 0 ? c->height : 360;
    char tlines[MAX_LINES][400], slines[MAX_LINES][400];
    int ntl = c->title ? wrap(c->title, TITLE_FONT, W - 24, tlines, MAX_LINES) : 0;
    int nsl = c->stamp ? wrap(c->stamp, FONT, W - 16, slines, MAX_LINES) : 0;
    double extra = ntl > 1 ? (ntl - 1) * TITLE_ROW : 0; /* the title's further lines */
    frame fr = {MARGIN_LEFT, W - MARGIN_RIGHT, MARGIN_TOP + extra, H + extra - MARGIN_BOTTOM,
                0, 1, 0, 1, c->log_y};
    if (fr.px1 - fr.px0 < 40 || fr.py1 - fr.py0 < 40)
        return FL_INVALID;

    /* Ranges: x exactly as the data spans (time axes start and end where the run does),
     * y widened to whole ticks. */
    double xlo, xhi, ylo, yhi;
    bool any = data_range(c, c->log_y, &xlo, &xhi, &ylo, &yhi);
    if (!any) {
        fallback_x(c, &xlo, &xhi);
        ylo = c->log_y ? 1 : 0;
        yhi = c->log_y ? 10 : 1;
    }
    if (xlo == xhi) /* a single x: centre it */
        xlo -= 1, xhi += 1;
    double yt[MAX_TICKS], xt[MAX_TICKS], dummy0, dummy1;
    size_t nyt, nxt;
    bool cats = c->ycats && c->nycats > 0 && !c->log_y;
    if (cats) { /* rows 1..n, each at its name */
        fr.y0 = 0.5;
        fr.y1 = (double)c->nycats + 0.5;
        nyt = c->nycats < MAX_TICKS ? c->nycats : MAX_TICKS;
        for (size_t i = 0; i < nyt; i++)
            yt[i] = (double)(i + 1);
    } else if (c->log_y) {
        nyt = fl_svg_log_ticks(ylo, yhi, &fr.y0, &fr.y1, yt, MAX_TICKS);
    } else {
        if (c->y_zero)
            ylo = fmin(ylo, 0), yhi = fmax(yhi, 0);
        if (ylo == yhi) { /* a flat series: give it room around its value */
            double pad = ylo == 0 ? 1 : fabs(ylo) * 0.5;
            yhi += pad;
            if (!(c->y_zero && ylo == 0))
                ylo -= pad;
        } else { /* a little headroom: a line at its maximum should not merge with the frame */
            yhi += (yhi - ylo) * 0.04;
        }
        nyt = fl_svg_ticks(ylo, yhi, 5, &fr.y0, &fr.y1, yt, MAX_TICKS);
    }
    fr.x0 = xlo, fr.x1 = xhi;
    nxt = fl_svg_ticks(xlo, xhi, 8, &dummy0, &dummy1, xt, MAX_TICKS);

    int rows = legend(NULL, c, fr.px0, fr.px1, 0);
    double total = H + extra + rows * LEGEND_ROW + (nsl ? nsl * (FONT + 4) + 8 : 0);

    char wb[40], hb[40];
    fl_svg_num(W, wb, sizeof wb);
    fl_svg_num(total, hb, sizeof hb);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" "
               "viewBox=\"0 0 %s %s\" font-family=\"sans-serif\" font-size=\"%d\" role=\"img\"",
            wb, hb, wb, hb, FONT);
    put_attr_text(f, "aria-label", c->title ? c->title : "chart");
    fputs(">\n<title>", f);
    fl_svg_escape(f, c->title ? c->title : "chart");
    fprintf(f, "</title>\n<rect x=\"0\" y=\"0\" width=\"%s\" height=\"%s\" fill=\"#ffffff\"/>\n",
            wb, hb);
    char tattr[64];
    snprintf(tattr, sizeof tattr, "font-size=\"%d\" font-weight=\"bold\"", TITLE_FONT);
    for (int i = 0; i < ntl; i++)
        put_text(f, 12, 28 + i * TITLE_ROW, tattr, tlines[i]);

    /* Shades first, so grid and data draw over them. */
    for (size_t i = 0; i < c->nshades; i++) {
        const fl_svg_shade *sh = &c->shades[i];
        if (!isfinite(sh->x0) || !isfinite(sh->x1) || sh->x1 < fr.x0 || sh->x0 > fr.x1)
            continue;
        double a = fx(&fr, sh->x0), b = fx(&fr, sh->x1);
        if (b - a < 1) /* an instant still shows */
            b = a + 1;
        fputs("<rect x=\"", f);
        put_px(f, a);
        fputs("\" y=\"", f);
        put_px(f, fr.py0);
        fputs("\" width=\"", f);
        put_px(f, b - a);
        fputs("\" height=\"", f);
        put_px(f, fr.py1 - fr.py0);
        fputs("\" fill=\"", f);
        fl_svg_escape(f, sh->color ? sh->color : "#f2c2c2");
        fputs("\" fill-opacity=\"0.6\"/>\n", f);
    }

    /* Grid and ticks. */
    for (size_t i = 0; i < nyt; i++) {
        double y = fy(&fr, yt[i]);
        char lab[40];
        if (cats)
            snprintf(lab, sizeof lab, "%.10s", c->ycats[i] ? c->ycats[i] : "");
        else
            fl_svg_num_grouped(yt[i], lab, sizeof lab);
        put_hline(f, fr.px0, fr.px1, y, "stroke=\"#e3e3e3\" stroke-width=\"1\"");
        put_text(f, fr.px0 - 6, y + 6, "text-anchor=\"end\" fill=\"#333333\"", lab);
    }
    for (size_t i = 0; i < nxt; i++) {
        if (xt[i] < fr.x0 - 1e-9 * (fr.x1 - fr.x0) || xt[i] > fr.x1 + 1e-9 * (fr.x1 - fr.x0))
            continue; /* x is not widened: only the ticks inside */
        double x = fx(&fr, xt[i]);
        char lab[40];
        fl_svg_num_grouped(xt[i], lab, sizeof lab);
        put_vline(f, x, fr.py0, fr.py1, "stroke=\"#efefef\" stroke-width=\"1\"");
        put_vline(f, x, fr.py1, fr.py1 + 5, "stroke=\"#333333\" stroke-width=\"1\"");
        put_text(f, x, fr.py1 + 24, "text-anchor=\"middle\" fill=\"#333333\"", lab);
    }

    /* Shade labels between the title and the plot, never over each other: each takes the
     * first of the rows (two above the plot, then two inside it at the top) where it
     * clears the labels already there. */
    enum { LROWS = 4 };
    double row_end[LROWS] = {-1e9, -1e9, -1e9, -1e9}, row_start[LROWS] = {1e9, 1e9, 1e9, 1e9};
    for (size_t i = 0; i < c->nshades; i++) {
        const fl_svg_shade *sh = &c->shades[i];
        if (!sh->label || !sh->label[0] || !isfinite(sh->x0) || !isfinite(sh->x1) ||
            sh->x1 < fr.x0 || sh->x0 > fr.x1)
            continue;
        double a = fx(&fr, sh->x0), b = fx(&fr, fmin(sh->x1, fr.x1));
        double w = text_width(sh->label, FONT);
        bool right = a + w > fr.px1 + MARGIN_RIGHT; /* would run off: grow leftwards */
        double l0 = right ? b - w : a, l1 = right ? b : a + w;
        int row = 0;
        while (row < LROWS - 1 && !(l0 > row_end[row] + 8 || l1 < row_start[row] - 8))
            row++;
        row_end[row] = fmax(row_end[row], l1);
        row_start[row] = fmin(row_start[row], l0);
        const char *attrs = right ? "text-anchor=\"end\" fill=\"#aa3333\"" : "fill=\"#aa3333\"";
        double y = row < 2 ? fr.py0 - 5 - 22 * (1 - row) : fr.py0 + 20 + 22 * (row - 2);
        put_text(f, right ? b : a, y, attrs, sh->label);
    }

    /* Bands under lines, then lines in order (the first series ends up below). */
    for (size_t s = 0; s < c->nseries; s++) {
        const fl_svg_series *se = &c->series[s];
        if (se->lo && se->hi)
            put_band(f, &fr, se, se->color ? se->color : fl_svg_color(s));
    }
    for (size_t s = 0; s < c->nseries; s++) {
        const fl_svg_series ds = drawn(&c->series[s], s), *se = &ds;
        put_line_runs(f, &fr, se, se->color ? se->color : fl_svg_color(s),
                      se->width > 0 ? se->width : 2);
    }
    if (!any)
        put_text(f, (fr.px0 + fr.px1) / 2, (fr.py0 + fr.py1) / 2,
                 "text-anchor=\"middle\" fill=\"#888888\"",
                 c->log_y ? "no data (no positive value to show on a log scale)" : "no data");

    /* Axes frame and labels. */
    fputs("<rect x=\"", f);
    put_px(f, fr.px0);
    fputs("\" y=\"", f);
    put_px(f, fr.py0);
    fputs("\" width=\"", f);
    put_px(f, fr.px1 - fr.px0);
    fputs("\" height=\"", f);
    put_px(f, fr.py1 - fr.py0);
    fputs("\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n", f);
    if (c->xlabel)
        put_text(f, (fr.px0 + fr.px1) / 2, fr.py1 + 52, "text-anchor=\"middle\"", c->xlabel);
    if (c->ylabel) {
        double cy = (fr.py0 + fr.py1) / 2;
        char attrs[120], cb[40];
        fl_svg_num(round(cy * 100) / 100, cb, sizeof cb);
        snprintf(attrs, sizeof attrs, "text-anchor=\"middle\" transform=\"rotate(-90 18 %s)\"", cb);
        put_text(f, 18, cy, attrs, c->ylabel);
    }
    legend(f, c, fr.px0, fr.px1, fr.py1 + MARGIN_BOTTOM - 8);
    for (int i = 0; i < nsl; i++)
        put_text(f, W - 8, total - 6 - (nsl - 1 - i) * (FONT + 4),
                 "text-anchor=\"end\" fill=\"#777777\"", slines[i]);
    fputs("</svg>\n", f);
    return ferror(f) ? FL_IO : FL_OK;
}
