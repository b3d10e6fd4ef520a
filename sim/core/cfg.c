/* Typed reads of JSON configuration: see cfg.h. */
#include "core/cfg.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <faultline/name.h>

const char *fl_cfg_join(char *buf, size_t n, const char *path, const char *key)
{
    if (path && path[0])
        snprintf(buf, n, "%s.%s", path, key);
    else
        snprintf(buf, n, "%s", key);
    return buf;
}

const char *fl_cfg_index(char *buf, size_t n, const char *path, int i)
{
    snprintf(buf, n, "%s[%d]", path ? path : "", i);
    return buf;
}

void fl_cfg_describe(const cJSON *v, char *buf, size_t n)
{
    if (!v)
        snprintf(buf, n, "nothing");
    else if (cJSON_IsString(v)) {
        /* Quote and shorten: a message stays one readable line. */
        const char *s = v->valuestring;
        size_t len = strlen(s);
        if (len > 40)
            snprintf(buf, n, "\"%.37s...\"", s);
        else
            snprintf(buf, n, "\"%s\"", s);
        for (char *p = buf; *p; p++)
            if ((unsigned char)*p < 0x20)
                *p = '?';
    } else if (cJSON_IsNumber(v))
        snprintf(buf, n, "%.17g", v->valuedouble);
    else if (cJSON_IsTrue(v))
        snprintf(buf, n, "true");
    else if (cJSON_IsFalse(v))
        snprintf(buf, n, "false");
    else if (cJSON_IsNull(v))
        snprintf(buf, n, "null");
    else if (cJSON_IsArray(v)) { /* the size: "expected 1 to 7 members" needs it */
        int k = cJSON_GetArraySize(v);
        if (k)
            snprintf(buf, n, "an array of %d element%s", k, k == 1 ? "" : "s");
        else
            snprintf(buf, n, "an empty array");
    }
    else if (cJSON_IsObject(v))
        snprintf(buf, n, "an object");
    else
        snprintf(buf, n, "an invalid value");
}

fl_status fl_cfg_object(const cJSON *v, const char *path, fl_error *e)
{
    if (cJSON_IsObject(v))
        return FL_OK;
    char got[64];
    fl_cfg_describe(v, got, sizeof got);
    return fl_error_set(e, FL_INVALID, path, "expected an object, got %s", got);
}

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Levenshtein distance, capped for long words (names are short). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            row[j] = min3(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1]));
            diag = up;
        }
    }
    return row[lb];
}

const char *fl_cfg_suggest(const char *word, const char *const *choices)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (const char *const *c = choices; *c; c++) {
        size_t d = edit_distance(word, *c);
        size_t lw = strlen(word), lc = strlen(*c);
        if (lw >= 3 && lc > lw && strncmp(word, *c, lw) == 0 && d > 1)
            d = 2; /* a prefix ("work" for "workers") is a good guess too */
        if (d < best_d) {
            best_d = d;
            best = *c;
        }
    }
    return best;
}

fl_status fl_cfg_known_keys(const cJSON *obj, const char *path, const char *const *known,
                            fl_error *e)
{
    char p[256];
    for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(it->string, *k) == 0;
        if (ok)
            continue;
        const char *s = fl_cfg_suggest(it->string, known);
        fl_cfg_join(p, sizeof p, path, it->string);
        if (s)
            return fl_error_set(e, FL_UNKNOWN, p, "unknown key \"%s\" (did you mean \"%s\"?)",
                                it->string, s);
        return fl_error_set(e, FL_UNKNOWN, p, "unknown key \"%s\"", it->string);
    }
    return FL_OK;
}

/* Finds key in obj; handles the missing/required convention. Returns FL_OK with *v NULL
 * when missing and optional. */
static fl_status lookup(const cJSON *obj, const char *path, const char *key, int req,
                        const char *what, const cJSON **v, char *p, size_t pn, fl_error *e)
{
    *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    fl_cfg_join(p, pn, path, key);
    if (!*v && req)
        return fl_error_set(e, FL_INVALID, p, "missing; expected %s", what);
    return FL_OK;
}

static fl_status type_error(const cJSON *v, const char *p, const char *what, fl_error *e)
{
    char got[64];
    fl_cfg_describe(v, got, sizeof got);
    return fl_error_set(e, FL_INVALID, p, "expected %s, got %s", what, got);
}

fl_status fl_cfg_string(const cJSON *obj, const char *path, const char *key, int req,
                        const char *def, const char **out, fl_error *e)
{
    const cJSON *v;
    char p[256];
    fl_status st = lookup(obj, path, key, req, "a string", &v, p, sizeof p, e);
    if (st || !v) {
        if (!st)
            *out = def;
        return st;
    }
    if (!cJSON_IsString(v))
        return type_error(v, p, "a string", e);
    *out = v->valuestring;
    return FL_OK;
}

fl_status fl_cfg_name(const cJSON *obj, const char *path, const char *key, int req,
                      const char **out, fl_error *e)
{
    const char *s = NULL;
    fl_status st = fl_cfg_string(obj, path, key, req, NULL, &s, e);
    if (st || !s) {
        if (!st)
            *out = NULL;
        return st;
    }
    char why[300], p[256];
    if (fl_name_check(s, strlen(s), why, sizeof why) != 0)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, key), "%s", why);
    *out = s;
    return FL_OK;
}

fl_status fl_cfg_int(const cJSON *obj, const char *path, const char *key, int req, long def,
                     long min, long max, long *out, fl_error *e)
{
    const cJSON *v;
    char p[256], what[96];
    if (min == 1 && max == LONG_MAX)
        snprintf(what, sizeof what, "a positive integer");
    else if (min == 0 && max == LONG_MAX)
        snprintf(what, sizeof what, "a non-negative integer");
    else
        snprintf(what, sizeof what, "an integer from %ld to %ld", min, max);
    fl_status st = lookup(obj, path, key, req, what, &v, p, sizeof p, e);
    if (st || !v) {
        if (!st)
            *out = def;
        return st;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
        v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)min ||
        v->valuedouble > (double)max)
        return type_error(v, p, what, e);
    *out = (long)v->valuedouble;
    return FL_OK;
}

fl_status fl_cfg_limit(const cJSON *obj, const char *path, const char *key, int req, long def,
                       long max, long *out, fl_error *e)
{
    const cJSON *v;
    char p[256], what[96];
    if (max == LONG_MAX)
        snprintf(what, sizeof what, "a non-negative integer or \"unbounded\"");
    else
        snprintf(what, sizeof what, "an integer from 0 to %ld or \"unbounded\"", max);
    fl_status st = lookup(obj, path, key, req, what, &v, p, sizeof p, e);
    if (st || !v) {
        if (!st)
            *out = def;
        return st;
    }
    if (cJSON_IsString(v)) {
        if (strcmp(v->valuestring, "unbounded") == 0) {
            *out = -1;
            return FL_OK;
        }
        static const char *const words[] = {"unbounded", NULL};
        const char *s = fl_cfg_suggest(v->valuestring, words);
        char got[64];
        fl_cfg_describe(v, got, sizeof got);
        if (s)
            return fl_error_set(e, FL_INVALID, p, "expected %s, got %s (did you mean \"%s\"?)",
                                what, got, s);
        return type_error(v, p, what, e);
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
        v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0 ||
        v->valuedouble > (double)max)
        return type_error(v, p, what, e);
    *out = (long)v->valuedouble;
    return FL_OK;
}

fl_status fl_cfg_number(const cJSON *obj, const char *path, const char *key, int req,
                        double def, double min, double max, double *out, fl_error *e)
{
    const cJSON *v;
    char p[256], what[96];
    snprintf(what, sizeof what, "a number from %g to %g", min, max);
    fl_status st = lookup(obj, path, key, req, what, &v, p, sizeof p, e);
    if (st || !v) {
        if (!st)
            *out = def;
        return st;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < min ||
        v->valuedouble > max)
        return type_error(v, p, what, e);
    *out = v->valuedouble;
    return FL_OK;
}

fl_status fl_cfg_bool(const cJSON *obj, const char *path, const char *key, int req, bool def,
                      bool *out, fl_error *e)
{
    const cJSON *v;
    char p[256];
    fl_status st = lookup(obj, path, key, req, "true or false", &v, p, sizeof p, e);
    if (st || !v) {
        if (!st)
            *out = def;
        return st;
    }
    if (!cJSON_IsBool(v))
        return type_error(v, p, "true or false", e);
    *out = cJSON_IsTrue(v);
    return FL_OK;
}

fl_status fl_cfg_duration(const cJSON *obj, const char *path, const char *key, int req,
                          fl_time def, fl_time min, fl_time max, fl_time *out, fl_error *e)
{
    const cJSON *v;
    char p[256];
    const char *what = "a duration such as \"250ms\" or \"2s\"";
    fl_status st = lookup(obj, path, key, req, what, &v, p, sizeof p, e);
    if (st || !v) {
        if (!st)
            *out = def;
        return st;
    }
    fl_time t;
    char why[160], got[64];
    if (cJSON_IsNumber(v)) {
        double s = v->valuedouble;
        if (!isfinite(s) || s < 0 || s > 9.2e9)
            return type_error(v, p, what, e);
        t = (fl_time)llround(s * 1e9);
    } else if (cJSON_IsString(v)) {
        if (fl_parse_duration(v->valuestring, &t, why, sizeof why) != 0) {
            fl_cfg_describe(v, got, sizeof got);
            return fl_error_set(e, FL_INVALID, p, "expected %s, got %s: %s", what, got, why);
        }
    } else
        return type_error(v, p, what, e);
    char lo[32], hi[32];
    if (t < min) {
        fl_format_duration(min, lo, sizeof lo);
        fl_cfg_describe(v, got, sizeof got);
        if (min == 1)
            return fl_error_set(e, FL_INVALID, p, "expected a positive duration, got %s", got);
        return fl_error_set(e, FL_INVALID, p, "expected a duration of at least %s, got %s", lo,
                            got);
    }
    if (t > max) {
        fl_format_duration(max, hi, sizeof hi);
        fl_cfg_describe(v, got, sizeof got);
        return fl_error_set(e, FL_INVALID, p, "expected a duration of at most %s, got %s", hi,
                            got);
    }
    *out = t;
    return FL_OK;
}

fl_status fl_cfg_rate(const cJSON *obj, const char *path, const char *key, int req,
                      double def, bool allow_zero, double *out, fl_error *e)
{
    const cJSON *v;
    char p[256], why[160], got[64];
    const char *what = "a rate such as \"2000/s\"";
    fl_status st = lookup(obj, path, key, req, what, &v, p, sizeof p, e);
    if (st || !v) {
        if (!st)
            *out = def;
        return st;
    }
    double r;
    if (cJSON_IsNumber(v))
        r = v->valuedouble;
    else if (cJSON_IsString(v)) {
        if (fl_parse_rate(v->valuestring, &r, why, sizeof why) != 0) {
            fl_cfg_describe(v, got, sizeof got);
            return fl_error_set(e, FL_INVALID, p, "expected %s, got %s: %s", what, got, why);
        }
    } else
        return type_error(v, p, what, e);
    if (isfinite(r) && r > 1e12) {
        fl_cfg_describe(v, got, sizeof got);
        return fl_error_set(e, FL_INVALID, p, "expected a rate of at most 10^12/s, got %s", got);
    }
    if (!isfinite(r) || r < 0 || (!allow_zero && r == 0))
        return type_error(v, p, allow_zero ? "a rate >= 0 such as \"2000/s\""
                                           : "a positive rate such as \"2000/s\"", e);
    *out = r;
    return FL_OK;
}

fl_status fl_cfg_enum(const cJSON *obj, const char *path, const char *key, int req, int def,
                      const char *const *choices, int *out, fl_error *e)
{
    const cJSON *v;
    char p[256], what[200];
    size_t w = (size_t)snprintf(what, sizeof what, "one of");
    for (int i = 0; choices[i] && w < sizeof what; i++)
        w += (size_t)snprintf(what + w, sizeof what - w, "%s \"%s\"", i ? "," : "", choices[i]);
    fl_status st = lookup(obj, path, key, req, what, &v, p, sizeof p, e);
    if (st || !v) {
        if (!st)
            *out = def;
        return st;
    }
    if (!cJSON_IsString(v))
        return type_error(v, p, what, e);
    for (int i = 0; choices[i]; i++)
        if (strcmp(v->valuestring, choices[i]) == 0) {
            *out = i;
            return FL_OK;
        }
    const char *s = fl_cfg_suggest(v->valuestring, choices);
    char got[64];
    fl_cfg_describe(v, got, sizeof got);
    if (s)
        return fl_error_set(e, FL_INVALID, p, "expected %s, got %s (did you mean \"%s\"?)",
                            what, got, s);
    return fl_error_set(e, FL_INVALID, p, "expected %s, got %s", what, got);
}

fl_status fl_cfg_dist(const cJSON *obj, const char *path, const char *key, int req,
                      const char *def, fl_dist **out, fl_error *e)
{
    const cJSON *v;
    char p[256];
    const char *what = "a distribution such as \"exp(5ms)\"";
    fl_status st = lookup(obj, path, key, req, what, &v, p, sizeof p, e);
    if (st)
        return st;
    const char *text = def;
    if (v) {
        if (cJSON_IsNumber(v) || !cJSON_IsString(v))
            return type_error(v, p, what, e);
        text = v->valuestring;
    }
    if (!text) {
        *out = NULL;
        return FL_OK;
    }
    fl_dist *d = NULL;
    st = fl_dist_parse(text, &d, e);
    if (st != FL_OK) {
        snprintf(e->path, sizeof e->path, "%s", p);
        return st;
    }
    *out = d;
    return FL_OK;
}

fl_status fl_cfg_offset(const cJSON *obj, const char *path, const char *key, int req,
                        fl_time limit, fl_time *out, fl_error *e)
{
    const cJSON *v;
    char p[256];
    const char *what = "a signed duration such as \"+2s\" or \"-250ms\"";
    fl_status st = lookup(obj, path, key, req, what, &v, p, sizeof p, e);
    if (st || !v) {
        if (!st)
            *out = 0;
        return st;
    }
    fl_time t;
    char why[160], got[64];
    if (cJSON_IsNumber(v)) {
        double s = v->valuedouble;
        if (!isfinite(s) || fabs(s) > 9.2e9)
            return type_error(v, p, what, e);
        t = (fl_time)llround(s * 1e9);
    } else if (cJSON_IsString(v)) {
        const char *txt = v->valuestring;
        bool neg = txt[0] == '-';
        if (txt[0] == '-' || txt[0] == '+')
            txt++;
        if (fl_parse_duration(txt, &t, why, sizeof why) != 0) {
            fl_cfg_describe(v, got, sizeof got);
            return fl_error_set(e, FL_INVALID, p, "expected %s, got %s: %s", what, got, why);
        }
        if (neg)
            t = -t;
    } else
        return type_error(v, p, what, e);
    if (t > limit || t < -limit) {
        char lim[32];
        fl_format_duration(limit, lim, sizeof lim);
        fl_cfg_describe(v, got, sizeof got);
        return fl_error_set(e, FL_INVALID, p, "expected at most %s either way, got %s", lim, got);
    }
    *out = t;
    return FL_OK;
}

fl_status fl_cfg_ppm(const cJSON *obj, const char *path, const char *key, int req, bool positive,
                     int64_t limit_ppb, int64_t *out_ppb, fl_error *e)
{
    const cJSON *v;
    char p[256];
    const char *what = positive ? "a rate in parts per million such as \"500ppm\""
                                : "a drift in parts per million such as \"50ppm\" or \"-20ppm\"";
    fl_status st = lookup(obj, path, key, req, what, &v, p, sizeof p, e);
    if (st || !v) {
        if (!st)
            *out_ppb = 0;
        return st;
    }
    int64_t ppb;
    char got[64];
    if (cJSON_IsNumber(v)) {
        double x = v->valuedouble;
        if (!isfinite(x) || fabs(x) > 1e9)
            return type_error(v, p, what, e);
        ppb = (int64_t)llround(x * 1000);
    } else if (cJSON_IsString(v)) {
        /* "12.5ppm": the number is read exactly by the duration parser, as microseconds
         * (10^3 ns), which is ppm scaled to ppb: no floating point, no locale. */
        const char *txt = v->valuestring;
        size_t n = strlen(txt);
        char num[64], why[160];
        bool neg = txt[0] == '-';
        if (txt[0] == '-' || txt[0] == '+')
            txt++, n--;
        if (n >= 3 && strcmp(txt + n - 3, "ppm") == 0)
            n -= 3;
        fl_time t;
        if (n == 0 || n + 3 > sizeof num || (memcpy(num, txt, n), memcpy(num + n, "us", 3),
                                              fl_parse_duration(num, &t, why, sizeof why) != 0)) {
            fl_cfg_describe(v, got, sizeof got);
            return fl_error_set(e, FL_INVALID, p, "expected %s, got %s", what, got);
        }
        ppb = neg ? -t : t;
    } else
        return type_error(v, p, what, e);
    if (ppb > limit_ppb || ppb < -limit_ppb || (positive && ppb <= 0)) {
        fl_cfg_describe(v, got, sizeof got);
        if (positive && ppb <= 0)
            return fl_error_set(e, FL_INVALID, p, "expected a positive rate, got %s", got);
        return fl_error_set(e, FL_INVALID, p, "expected at most %lldppm either way, got %s",
                            (long long)(limit_ppb / 1000), got);
    }
    *out_ppb = ppb;
    return FL_OK;
}
