/* Loading scenario files: parse, locate, validate, override.
 *
 * Errors carry file:line:col. cJSON has no node positions, so positions come from a small
 * scanner over the original text that walks the same JSON path the error names (keys may
 * contain dots, e.g. expectation figures, so a key matches the longest path prefix).
 * Values from `--set` have no position in the file: their errors name "--set" instead. */
#include "scenario/scenario_int.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faultline/name.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/world.h"
#include "out/lessons.h"

#define FL_FORMAT_VERSION 1
#define FL_MAX_FILE (64L << 20)

static const char *const top_keys[] = {"faultline", "name", "title", "story", "references",
                                       "duration", "window", "warmup", "seed", "zones",
                                       "nodes", "links", "workloads", "faults", "variants", "expect",
                                       "explore", "charts", NULL};
static const char *const variant_keys[] = {"about", "remove", "add", "set", NULL};
/* The top-level keys an override may start with: those the model is built from. The rest
 * describe the file (name, title, story, references, faultline), are chosen elsewhere
 * (seed: --seed) or are not part of a run (variants, expect); setting them would change
 * nothing, so an override naming them is refused. Below these keys, each kind's loader
 * refuses unknown keys (fl_cfg_known_keys), so a misspelt segment anywhere fails. */
static const char *const override_keys[] = {"duration", "window", "warmup", "zones", "nodes",
                                             "links", "workloads", "faults", NULL};

/* ---- positions ------------------------------------------------------------------------ */

typedef struct scan {
    const char *p, *end;
} scan;

/* White space as cJSON reads it: every byte up to and including ' '. */
static void skip_ws(scan *s)
{
    while (s->p < s->end && (unsigned char)*s->p <= ' ')
        s->p++;
}

/* Skips a string starting at '"'; copies up to n-1 bytes of its raw content into buf. */
static int skip_string(scan *s, char *buf, size_t n)
{
    size_t k = 0;
    s->p++;
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\' && s->p + 1 < s->end) {
            if (buf && k + 1 < n)
                buf[k++] = s->p[1];
            s->p += 2;
            continue;
        }
        if (buf && k + 1 < n)
            buf[k++] = *s->p;
        s->p++;
    }
    if (buf)
        buf[k] = 0;
    if (s->p >= s->end)
        return -1;
    s->p++;
    return 0;
}

static int skip_value(scan *s, int depth);

static int skip_container(scan *s, char close, int depth)
{
    s->p++;
    for (;;) {
        skip_ws(s);
        if (s->p >= s->end)
            return -1;
        if (*s->p == close) {
            s->p++;
            return 0;
        }
        if (*s->p == ',' || *s->p == ':') {
            s->p++;
            continue;
        }
        if (skip_value(s, depth + 1))
            return -1;
    }
}

static int skip_value(scan *s, int depth)
{
    skip_ws(s);
    if (s->p >= s->end || depth > 200)
        return -1;
    if (*s->p == '"')
        return skip_string(s, NULL, 0);
    if (*s->p == '{')
        return skip_container(s, '}', depth);
    if (*s->p == '[')
        return skip_container(s, ']', depth);
    const char *start = s->p;
    while (s->p < s->end && *s->p && !strchr(",]}", *s->p) && (unsigned char)*s->p > ' ')
        s->p++;
    return s->p > start ? 0 : -1; /* no progress: not JSON we understand; give up */
}

/* Finds the text position of `path` below the value at s->p. Object members resolve to
 * their key, array elements to the element. */
static const char *find(scan *s, const char *path, int depth)
{
    skip_ws(s);
    if (!*path)
        return s->p;
    if (s->p >= s->end || depth > 200)
        return NULL;
    if (*s->p == '[' && *path == '[') {
        long idx = strtol(path + 1, NULL, 10);
        const char *rest = strchr(path, ']');
        if (!rest)
            return NULL;
        rest++;
        s->p++;
        for (long i = 0;; i++) {
            skip_ws(s);
            if (s->p >= s->end || *s->p == ']')
                return NULL;
            if (i == idx)
                return *rest ? find(s, *rest == '.' ? rest + 1 : rest, depth + 1) : s->p;
            if (skip_value(s, depth + 1))
                return NULL;
            skip_ws(s);
            if (s->p < s->end && *s->p == ',')
                s->p++;
        }
    }
    if (*s->p != '{')
        return NULL;
    s->p++;
    for (;;) {
        skip_ws(s);
        if (s->p >= s->end || *s->p != '"')
            return NULL;
        const char *key_at = s->p;
        char key[256];
        if (skip_string(s, key, sizeof key))
            return NULL;
        size_t kl = strlen(key);
        skip_ws(s);
        if (s->p < s->end && *s->p == ':')
            s->p++;
        if (strncmp(path, key, kl) == 0 && (path[kl] == 0 || path[kl] == '.' || path[kl] == '[')) {
            if (path[kl] == 0)
                return key_at;
            const char *r = find(s, path[kl] == '.' ? path + kl + 1 : path + kl, depth + 1);
            (void)key_at;
            return r; /* NULL when the rest is not in the text: the caller walks up */
        }
        if (skip_value(s, depth + 1))
            return NULL;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',')
            s->p++;
    }
}

static void set_pos(fl_error *e, const char *text, const char *at)
{
    int line = 1, col = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)*p & 0xC0) != 0x80) /* count characters, not bytes */
            col++;
    }
    e->line = line;
    e->col = col;
}

void fl__scenario_locate(const fl_scenario *sc, fl_error *e)
{
    snprintf(e->file, sizeof e->file, "%s", sc->file);
    if (!e->path[0] || !sc->text)
        return;
    scan s = {sc->text, sc->text + sc->len};
    const char *at = find(&s, e->path, 0);
    if (!at) {
        /* A missing key: point at its parent object instead. */
        char parent[256];
        snprintf(parent, sizeof parent, "%s", e->path);
        for (;;) {
            char *dot = strrchr(parent, '.'), *br = strrchr(parent, '[');
            char *cut = dot > br ? dot : br;
            if (!cut)
                break;
            *cut = 0;
            s = (scan){sc->text, sc->text + sc->len};
            if ((at = find(&s, parent, 0)))
                break;
        }
    }
    if (at)
        set_pos(e, sc->text, at);
    else
        e->line = e->col = 1; /* a key missing at the top: the object starts the file */
}

/* ---- duplicate keys ------------------------------------------------------------------- */

/* cJSON keeps both members of a duplicated key and every lookup finds the first, so a
 * second "duration" would be silently ignored. This walk over the (already valid) text
 * refuses any object holding a key twice, naming both positions. Keys are compared after
 * decoding the escapes that spell ASCII ("\u0077" is "w"); other \u escapes compare as
 * written. */

typedef struct keyref {
    const char *at;  /* the key's opening quote in the text */
    const char *key; /* decoded, in the walk's pool */
} keyref;

typedef struct dupwalk {
    const char *p, *end;
    char *pool; /* decoded keys, one after another; as long as the text, so never full */
    size_t used;
    const char *dup, *first; /* the finding: the second occurrence and the first */
    char key[80];            /* the finding's key, decoded */
    char path[256];
    bool nomem;
} dupwalk;

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes the string at w->p (its opening quote) into the pool; moves past it. */
static const char *dup_key(dupwalk *w)
{
    char *out = w->pool + w->used, *o = out;
    w->p++;
    while (w->p < w->end && *w->p != '"') {
        if (*w->p == '\\' && w->p + 1 < w->end) {
            char c = w->p[1];
            int v = 0;
            if (c == 'u' && w->p + 5 < w->end) {
                for (int k = 2; k < 6 && v >= 0; k++)
                    v = hexval(w->p[k]) < 0 ? -1 : v * 16 + hexval(w->p[k]);
                if (v > 0 && v < 0x80) {
                    *o++ = (char)v;
                    w->p += 6;
                    continue;
                }
            }
            const char *from = strchr("\"\\/bfnrt", c);
            if (from && c != 'u') {
                *o++ = "\"\\/\b\f\n\r\t"[from - "\"\\/bfnrt"];
                w->p += 2;
                continue;
            }
            *o++ = *w->p++; /* kept as written */
            continue;
        }
        *o++ = *w->p++;
    }
    w->p++;
    *o++ = 0;
    w->used += (size_t)(o - out);
    return out;
}

static int keyref_cmp(const void *a, const void *b)
{
    const keyref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->at < y->at ? -1 : x->at > y->at);
}

/* Walks the value at w->p under `path`; returns false when it stopped (a finding or no
 * memory). */
static bool dup_value(dupwalk *w, const char *path)
{
    scan s = {w->p, w->end};
    skip_ws(&s);
    w->p = s.p;
    if (w->p >= w->end)
        return true;
    if (*w->p == '[') {
        w->p++;
        for (int i = 0;; i++) {
            s = (scan){w->p, w->end};
            skip_ws(&s);
            w->p = s.p;
            if (w->p >= w->end || *w->p == ']')
                break;
            char cp[256];
            if (!dup_value(w, fl_cfg_index(cp, sizeof cp, path, i)))
                return false;
            s = (scan){w->p, w->end};
            skip_ws(&s);
            w->p = s.p;
            if (w->p < w->end && *w->p == ',')
                w->p++;
        }
        w->p++;
        return true;
    }
    if (*w->p != '{') {
        s = (scan){w->p, w->end};
        skip_value(&s, 0);
        w->p = s.p;
        return true;
    }
    w->p++;
    keyref *keys = NULL;
    size_t n = 0, cap = 0;
    bool go = true;
    for (;;) {
        s = (scan){w->p, w->end};
        skip_ws(&s);
        w->p = s.p;
        if (w->p >= w->end || *w->p != '"')
            break;
        if (n == cap) {
            keyref *k = fl_realloc(keys, (cap = cap ? 2 * cap : 16) * sizeof *keys);
            if (!k) {
                w->nomem = true;
                go = false;
                break;
            }
            keys = k;
        }
        keys[n].at = w->p;
        keys[n].key = dup_key(w);
        s = (scan){w->p, w->end};
        skip_ws(&s);
        w->p = s.p + (s.p < w->end && *s.p == ':');
        char cp[256];
        if (!dup_value(w, fl_cfg_join(cp, sizeof cp, path, keys[n].key))) {
            go = false;
            break;
        }
        n++;
        s = (scan){w->p, w->end};
        skip_ws(&s);
        w->p = s.p;
        if (w->p < w->end && *w->p == ',')
            w->p++;
    }
    if (go) {
        w->p++; /* the '}' */
        if (n > 1) /* an empty object has no keys array: qsort wants a non-null one */
            qsort(keys, n, sizeof *keys, keyref_cmp);
        for (size_t i = 1; i < n; i++)
            if (strcmp(keys[i - 1].key, keys[i].key) == 0 && (!w->dup || keys[i].at < w->dup)) {
                w->dup = keys[i].at;
                w->first = keys[i - 1].at;
                snprintf(w->key, sizeof w->key, "%s", keys[i].key);
            }
        if (w->dup) {
            snprintf(w->path, sizeof w->path, "%s", path);
            go = false;
        }
    }
    fl_free(keys);
    return go;
}

/* Refuses a key repeated in one object: "nodes[0]: duplicate key "workers" (first at line
 * 12:7)", positioned at the second. */
static fl_status check_duplicates(fl_scenario *sc, fl_error *e)
{
    dupwalk w = {sc->text, sc->text + sc->len, fl_malloc(sc->len + 1), 0, NULL, NULL, "", "",
                 false};
    if (!w.pool)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    dup_value(&w, "");
    if (w.nomem) {
        fl_free(w.pool);
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    }
    if (!w.dup) {
        fl_free(w.pool);
        return FL_OK;
    }
    fl_error first;
    set_pos(&first, sc->text, w.first);
    fl_error_set(e, FL_INVALID, w.path[0] ? w.path : NULL,
                 "duplicate key \"%s\" (first at line %d:%d); a key may appear once in an object",
                 w.key, first.line, first.col);
    set_pos(e, sc->text, w.dup);
    fl_free(w.pool);
    return FL_INVALID;
}

/* ---- overrides ------------------------------------------------------------------------ */

/* Resolves a user path ("nodes.api.workers", "workloads.0.rate") to (parent, key) in doc,
 * creating the last key if missing. Array elements are named by their "name" or index. */
static fl_status resolve(cJSON *doc, const char *upath, cJSON **parent, char *last, size_t ln,
                         char *canon, size_t cn, fl_error *e)
{
    char buf[512];
    size_t cw = 0;
    if (cn)
        canon[0] = 0;
    snprintf(buf, sizeof buf, "%s", upath);
    cJSON *cur = doc;
    char *seg = buf, *next;
    for (;;) {
        next = strchr(seg, '.');
        if (next)
            *next = 0;
        if (!seg[0])
            return fl_error_set(e, FL_INVALID, upath, "empty segment in the path");
        if (!next) {
            if (cJSON_IsArray(cur))
                return fl_error_set(e, FL_INVALID, upath,
                                    "the path ends at an array element; name a field of it");
            if (!cJSON_IsObject(cur))
                return fl_error_set(e, FL_INVALID, upath, "\"%s\" is not inside an object", seg);
            *parent = cur;
            snprintf(last, ln, "%s", seg);
            if (cw < cn)
                snprintf(canon + cw, cn - cw, "%s%s", cw ? "." : "", seg);
            return FL_OK;
        }
        cJSON *child = NULL;
        if (cJSON_IsArray(cur)) {
            char *endp;
            long idx = strtol(seg, &endp, 10), at = 0;
            if (!*endp && idx >= 0 && (child = cJSON_GetArrayItem(cur, (int)idx)))
                at = idx;
            for (cJSON *it = cur->child; it && !child; it = it->next, at++) {
                cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
                if (cJSON_IsString(nm) && strcmp(nm->valuestring, seg) == 0) {
                    child = it;
                    break;
                }
            }
            if (child && cw < cn)
                cw += (size_t)snprintf(canon + cw, cn - cw, "[%ld]", at);
            if (!child) {
                const char *names[64];
                int k = 0;
                for (cJSON *it = cur->child; it && k < 63; it = it->next) {
                    cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
                    if (cJSON_IsString(nm))
                        names[k++] = nm->valuestring;
                }
                names[k] = NULL;
                const char *s = fl_cfg_suggest(seg, names);
                return fl_error_set(e, FL_UNKNOWN, upath, "nothing named \"%s\" here%s%s%s", seg,
                                    s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
            }
        } else if (cJSON_IsObject(cur)) {
            child = cJSON_GetObjectItemCaseSensitive(cur, seg);
            if (cw < cn)
                cw += (size_t)snprintf(canon + cw, cn - cw, "%s%s", cw ? "." : "", seg);
            if (!child) {
                /* Create intermediate objects, so optional sections can be set. */
                child = cJSON_AddObjectToObject(cur, seg);
                if (!child)
                    return FL_NOMEM;
            }
        } else
            return fl_error_set(e, FL_INVALID, upath, "\"%s\" is not inside an object", seg);
        cur = child;
        seg = next + 1;
    }
}

static fl_status apply(cJSON *doc, const char *upath, cJSON *value, char *canon, size_t cn,
                       fl_error *e)
{
    cJSON *parent = NULL;
    char last[256], path[512];
    /* "faults[0].at" is "faults.0.at": the brackets of JSON paths in messages work too. */
    size_t w = 0;
    for (const char *c = upath; *c && w + 1 < sizeof path; c++)
        if (*c == '[')
            path[w++] = '.';
        else if (*c != ']')
            path[w++] = *c;
    path[w] = 0;
    char first[256];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(path, "."), path);
    size_t k = 0;
    while (override_keys[k] && strcmp(override_keys[k], first) != 0)
        k++;
    if (!override_keys[k]) {
        char why[200] = "";
        if (strcmp(first, "seed") == 0)
            snprintf(why, sizeof why, "\"seed\" cannot be overridden: use --seed N (a variant "
                                      "runs on the baseline's seeds)");
        else if (strcmp(first, "expect") == 0)
            snprintf(why, sizeof why, "expectations cannot be overridden; edit \"expect\" in "
                                      "the file");
        else if (strcmp(first, "variants") == 0)
            snprintf(why, sizeof why, "variants cannot be overridden; edit \"variants\" in the "
                                      "file");
        else if (first[0])
            for (size_t t = 0; top_keys[t] && !why[0]; t++)
                if (strcmp(top_keys[t], first) == 0)
                    snprintf(why, sizeof why, "\"%s\" describes the file and changes no run, so "
                             "it cannot be overridden", first);
        cJSON_Delete(value);
        if (why[0])
            return fl_error_set(e, FL_INVALID, upath, "%s", why);
        if (!first[0])
            return fl_error_set(e, FL_INVALID, upath, "empty segment in the path");
        const char *sug = fl_cfg_suggest(first, override_keys);
        return fl_error_set(e, FL_UNKNOWN, upath,
                            "unknown top-level key \"%s\"%s%s%s; an override starts with "
                            "one of duration, window, warmup, zones, nodes, links, workloads, "
                            "faults",
                            first, sug ? " (did you mean \"" : "", sug ? sug : "",
                            sug ? "\"?)" : "");
    }
    fl_status st = resolve(doc, path, &parent, last, sizeof last, canon, cn, e);
    if (st) {
        cJSON_Delete(value);
        return st;
    }
    if (cJSON_GetObjectItemCaseSensitive(parent, last))
        cJSON_ReplaceItemInObjectCaseSensitive(parent, last, value);
    else
        cJSON_AddItemToObject(parent, last, value);
    return FL_OK;
}

/* ---- variants: remove and add --------------------------------------------------------- */

/* The sections a variant may add to, each an array of the baseline's. */
static const char *const add_keys[] = {"nodes", "workloads", "faults", "zones", NULL};

/* The index of the element of arr named `name` (by its "name" key), or -1. */
static int named(const cJSON *arr, const char *name)
{
    int i = 0;
    for (const cJSON *it = arr ? arr->child : NULL; it; it = it->next, i++) {
        const cJSON *nm = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "name") : it;
        if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0)
            return i;
    }
    return -1;
}

/* Applies a variant's "remove" (node or workload names) and then its "add" (elements
 * appended to nodes, workloads, faults or zones) to doc, before its "set": a variant states
 * only what it changes (a workload is replaced by removing it and adding another of the
 * same name, an open one by a closed one, say). Nodes added by a variant that removes nodes go where the earliest of the
 * removed nodes stood (a replacement keeps the node order, hence the order of the report);
 * otherwise they go at the end. On error, e->path names the variant's entry and doc is left
 * part-changed (the caller deletes it). */
static fl_status variant_add_remove(cJSON *doc, const cJSON *v, const char *variant, fl_error *e)
{
    char p[320], q[340];
    const cJSON *rm = cJSON_GetObjectItemCaseSensitive(v, "remove");
    const cJSON *add = cJSON_GetObjectItemCaseSensitive(v, "add");
    cJSON *nodes = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
    cJSON *wls = cJSON_GetObjectItemCaseSensitive(doc, "workloads");
    int at = -1; /* where added nodes go */
    fl_status st;
    if (rm) {
        snprintf(p, sizeof p, "variants.%s.remove", variant);
        if (!cJSON_IsArray(rm) || !rm->child)
            return fl_error_set(e, FL_INVALID, p, "expected a non-empty array of node or "
                                                  "workload names, such as [\"lock-c\"]");
        int i = 0;
        for (const cJSON *it = rm->child; it; it = it->next, i++) {
            fl_cfg_index(q, sizeof q, p, i);
            int k = cJSON_IsString(it) ? named(nodes, it->valuestring) : -1;
            int kw = k < 0 && cJSON_IsString(it) ? named(wls, it->valuestring) : -1;
            if (kw >= 0) {
                cJSON_DeleteItemFromArray(wls, kw);
                continue;
            }
            if (k < 0) {
                const char *names[64];
                int n = 0;
                for (const cJSON *x = nodes ? nodes->child : NULL; x && n < 63; x = x->next) {
                    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(x, "name");
                    if (cJSON_IsString(nm))
                        names[n++] = nm->valuestring;
                }
                names[n] = NULL;
                const char *s = cJSON_IsString(it) ? fl_cfg_suggest(it->valuestring, names) : NULL;
                char got[64];
                fl_cfg_describe(it, got, sizeof got);
                return fl_error_set(e, FL_UNKNOWN, q, "expected the name of a node or workload "
                                                      "of the scenario, got %s%s%s%s", got,
                                    s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "");
            }
            if (at < 0 || k < at)
                at = k;
            cJSON_DeleteItemFromArray(nodes, k);
        }
    }
    if (!add)
        return FL_OK;
    snprintf(p, sizeof p, "variants.%s.add", variant);
    if ((st = fl_cfg_object(add, p, e)) || (st = fl_cfg_known_keys(add, p, add_keys, e)))
        return st;
    for (const cJSON *sec = add->child; sec; sec = sec->next) {
        fl_cfg_join(q, sizeof q, p, sec->string);
        if (!cJSON_IsArray(sec) || !sec->child)
            return fl_error_set(e, FL_INVALID, q, "expected a non-empty array of %s to add",
                                sec->string);
        cJSON *to = cJSON_GetObjectItemCaseSensitive(doc, sec->string);
        if (!to && !(to = cJSON_AddArrayToObject(doc, sec->string)))
            return FL_NOMEM;
        if (!cJSON_IsArray(to))
            return fl_error_set(e, FL_INVALID, q, "the scenario's \"%s\" is not an array",
                                sec->string);
        /* Nodes replacing removed ones go at `at`: the nodes after it wait in `tail` (detach
         * and append only: cJSON's insertion at the head of an array is unreliable in some
         * versions). */
        cJSON *tail = NULL;
        if (strcmp(sec->string, "nodes") == 0 && at >= 0) {
            if (!(tail = cJSON_CreateArray()))
                return FL_NOMEM;
            cJSON *x;
            while ((x = cJSON_DetachItemFromArray(to, at)))
                cJSON_AddItemToArray(tail, x);
        }
        int i = 0;
        for (const cJSON *it = sec->child; it; it = it->next, i++) {
            char r[360];
            fl_cfg_index(r, sizeof r, q, i);
            /* A name already there would be two nodes (or zones) of one name: a variant
             * changes an existing one with "set". */
            const cJSON *nm = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "name") : it;
            if (strcmp(sec->string, "faults") != 0 && cJSON_IsString(nm) &&
                (named(to, nm->valuestring) >= 0 || named(tail, nm->valuestring) >= 0)) {
                cJSON_Delete(tail);
                return fl_error_set(e, FL_INVALID, r, "the scenario already has \"%s\" in %s "
                                                      "(change it with \"set\", or \"remove\" "
                                                      "it first)", nm->valuestring, sec->string);
            }
            cJSON *copy = cJSON_Duplicate(it, 1);
            if (!copy) {
                cJSON_Delete(tail);
                return FL_NOMEM;
            }
            cJSON_AddItemToArray(to, copy);
        }
        cJSON *x;
        while (tail && (x = cJSON_DetachItemFromArray(tail, 0)))
            cJSON_AddItemToArray(to, x);
        cJSON_Delete(tail);
    }
    return FL_OK;
}

/* When the error lies in an element a variant added ("nodes[5].ttl"), points it at the
 * variant's "add" entry instead of the baseline's text. Returns true when it did. */
static bool relocate_to_add(const fl_scenario *sc, const char *variant, fl_error *e)
{
    const cJSON *add = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sc->doc, "variants"),
                                         variant), "add");
    const char *br = strchr(e->path, '[');
    if (!add || !br)
        return false;
    char sec[32];
    snprintf(sec, sizeof sec, "%.*s", (int)(br - e->path), e->path);
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(add, sec);
    if (!cJSON_IsArray(added))
        return false;
    cJSON *doc = NULL;
    fl_error ignore;
    fl_error_clear(&ignore);
    if (fl__scenario_instance(sc, variant, NULL, 0, &doc, &ignore))
        return false;
    long k = strtol(br + 1, NULL, 10);
    const cJSON *el = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, sec), (int)k);
    int j = 0;
    bool hit = false;
    for (const cJSON *it = added->child; it && el && !hit; it = it->next, j++)
        hit = cJSON_Compare(it, el, 1);
    cJSON_Delete(doc);
    if (!hit)
        return false;
    const char *rest = strchr(br, ']');
    char path[sizeof e->path];
    snprintf(path, sizeof path, "variants.%s.add.%s[%d]%s", variant, sec, j - 1,
             rest ? rest + 1 : "");
    snprintf(e->path, sizeof e->path, "%s", path);
    e->line = e->col = 0;
    fl__scenario_locate(sc, e);
    return true;
}

fl_status fl__scenario_instance(const fl_scenario *sc, const char *variant,
                                const char *const *sets, size_t nsets, cJSON **out, fl_error *e)
{
    *out = NULL;
    cJSON *doc = cJSON_Duplicate(sc->doc, 1);
    if (!doc)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    fl_status st = FL_OK;
    if (variant && strcmp(variant, "baseline") != 0) {
        cJSON *vs = cJSON_GetObjectItemCaseSensitive(sc->doc, "variants");
        cJSON *v = vs ? cJSON_GetObjectItemCaseSensitive(vs, variant) : NULL;
        if (!v) {
            const char *names[65];
            size_t k = 0;
            names[k++] = "baseline";
            for (size_t i = 0; i < sc->nvariants && k < 64; i++)
                names[k++] = sc->variant_names[i];
            names[k] = NULL;
            const char *s = fl_cfg_suggest(variant, names);
            char list[512] = "";
            size_t w = 0;
            for (size_t i = 0; i < k && w < sizeof list; i++)
                w += (size_t)snprintf(list + w, sizeof list - w, "%s%s", i ? ", " : "", names[i]);
            fl_error_set(e, FL_UNKNOWN, NULL, "no variant named \"%s\"%s%s%s; this scenario has: %s",
                         variant, s ? " (did you mean \"" : "", s ? s : "", s ? "\"?)" : "", list);
            snprintf(e->file, sizeof e->file, "%s", sc->file);
            cJSON_Delete(doc);
            return FL_UNKNOWN;
        }
        if ((st = variant_add_remove(doc, v, variant, e))) {
            if (st == FL_NOMEM)
                fl_error_set(e, FL_NOMEM, NULL, "out of memory");
            else
                fl__scenario_locate(sc, e);
            cJSON_Delete(doc);
            return st;
        }
        cJSON *set = cJSON_GetObjectItemCaseSensitive(v, "set");
        for (cJSON *it = set ? set->child : NULL; it; it = it->next) {
            cJSON *val = cJSON_Duplicate(it, 1);
            if (!val) {
                st = FL_NOMEM;
                break;
            }
            if ((st = apply(doc, it->string, val, NULL, 0, e))) {
                /* The path names the override; the message says what is wrong with it. */
                char where[300];
                snprintf(where, sizeof where, "variants.%s.set.%s", variant, it->string);
                snprintf(e->path, sizeof e->path, "%s", where);
                fl__scenario_locate(sc, e);
                break;
            }
        }
    }
    for (size_t i = 0; i < nsets && !st; i++) {
        const char *eq = strchr(sets[i], '=');
        if (!eq || eq == sets[i]) {
            st = fl_error_set(e, FL_USAGE, NULL, "--set %s: expected PATH=VALUE, e.g. --set nodes.api.workers=8", sets[i]);
            break;
        }
        char path[512];
        snprintf(path, sizeof path, "%.*s", (int)(eq - sets[i]), sets[i]);
        /* JSON when the whole value parses as JSON (numbers, true, objects), else a plain
         * string: "250ms" must stay a string, not become the number 250 plus ignored text. */
        cJSON *val = cJSON_ParseWithOpts(eq + 1, NULL, 1);
        if (!val)
            val = cJSON_CreateString(eq + 1);
        if (!val) {
            st = FL_NOMEM;
            break;
        }
        if ((st = apply(doc, path, val, NULL, 0, e))) {
            snprintf(e->file, sizeof e->file, "--set");
            break;
        }
    }
    if (st) {
        if (st == FL_NOMEM)
            fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        cJSON_Delete(doc);
        return st;
    }
    /* After the overrides: a variant or --set may change a CSV rate's file or scale. */
    if ((st = fl__traffic_resolve(sc, doc, e))) {
        cJSON_Delete(doc);
        return st;
    }
    *out = doc;
    return FL_OK;
}

/* ---- loading -------------------------------------------------------------------------- */

void fl_scenario_free(fl_scenario *sc)
{
    if (!sc)
        return;
    cJSON_Delete(sc->doc);
    fl_free(sc->variant_names);
    fl_free(sc->variant_abouts);
    fl_free(sc->charts);
    fl_free(sc->text);
    fl_free(sc->file);
    fl_free(sc->dir);
    fl__file_cache_free(sc->files);
    fl_free(sc);
}

/* "charts": the lesson charts that carry this scenario's lesson, by file name without its
 * extension ("lesson-db-roles"), each one the catalogue (sim/out/lessons.c) draws for
 * these nodes and workloads; drawn first, in this order. */
static fl_status check_charts(fl_scenario *sc, fl_error *e)
{
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(sc->doc, "charts");
    if (!cs)
        return FL_OK;
    char avail[4096], list[4096];
    fl_lesson_names(sc->doc, avail, sizeof avail);
    size_t w = 0;
    list[0] = 0;
    for (const char *p = avail; *p && w + 3 < sizeof list; p++)
        w += (size_t)snprintf(list + w, sizeof list - w, "%s", *p == '\n' ? ", " : (char[]){*p, 0});
    if (!cJSON_IsArray(cs) || !cs->child)
        return fl_error_set(e, FL_INVALID, "charts", "expected a non-empty array of lesson chart "
                            "names (this scenario's: %s)", avail[0] ? list : "none");
    size_t n = (size_t)cJSON_GetArraySize(cs);
    if (!(sc->charts = fl_calloc(n + 1, sizeof *sc->charts)))
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    int i = 0;
    for (const cJSON *c = cs->child; c; c = c->next, i++) {
        char p[64];
        fl_cfg_index(p, sizeof p, "charts", i);
        if (!cJSON_IsString(c))
            return fl_error_set(e, FL_INVALID, p, "expected a lesson chart name such as \"%.*s\"",
                                (int)strcspn(avail[0] ? avail : "lesson-NODE-roles", "\n"),
                                avail[0] ? avail : "lesson-NODE-roles");
        if (!fl_lesson_listed(avail, c->valuestring))
            return fl_error_set(e, FL_INVALID, p, "no lesson chart \"%s\" for this scenario's "
                                "nodes and workloads (it has: %s)", c->valuestring,
                                avail[0] ? list : "none");
        for (size_t k = 0; k < sc->ncharts; k++)
            if (strcmp(sc->charts[k], c->valuestring) == 0)
                return fl_error_set(e, FL_INVALID, p, "\"%s\" is listed twice", c->valuestring);
        sc->charts[sc->ncharts++] = c->valuestring;
    }
    return FL_OK;
}

static fl_status check_top(fl_scenario *sc, fl_error *e)
{
    fl_status st;
    cJSON *d = sc->doc;
    long version;
    if ((st = fl_cfg_object(d, "", e)))
        return fl_error_set(e, st, NULL, "expected a JSON object at the top of the file");
    if ((st = fl_cfg_known_keys(d, "", top_keys, e)))
        return st;
    if (!cJSON_GetObjectItemCaseSensitive(d, "faultline"))
        return fl_error_set(e, FL_INVALID, "faultline",
                            "missing; a scenario starts with \"faultline\": 1 (the format version)");
    if ((st = fl_cfg_int(d, "", "faultline", FL_CFG_REQUIRED, 0, 1, 1000, &version, e)))
        return st;
    if (version != FL_FORMAT_VERSION)
        return fl_error_set(e, FL_INVALID, "faultline",
                            "this is format version %ld; this faultline reads version %d",
                            version, FL_FORMAT_VERSION);
    const char *name;
    if ((st = fl_cfg_name(d, "", "name", FL_CFG_REQUIRED, &name, e)) ||
        (st = fl_cfg_string(d, "", "title", FL_CFG_OPTIONAL, "", &sc->title, e)) ||
        (st = fl_cfg_string(d, "", "story", FL_CFG_OPTIONAL, "", &sc->story, e)))
        return st;
    sc->name = name;
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(d, "references");
    if (refs) {
        if (!cJSON_IsArray(refs))
            return fl_error_set(e, FL_INVALID, "references", "expected an array of strings");
        int i = 0;
        for (const cJSON *r = refs->child; r; r = r->next, i++)
            if (!cJSON_IsString(r)) {
                char p[64];
                return fl_error_set(e, FL_INVALID, fl_cfg_index(p, sizeof p, "references", i),
                                    "expected a string");
            }
    }
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(d, "seed");
    long s = 1;
    if (seed && (st = fl_cfg_int(d, "", "seed", FL_CFG_OPTIONAL, 1, 0, 9007199254740991L, &s, e)))
        return st;
    sc->seed = (uint64_t)s;
    if ((st = fl_cfg_duration(d, "", "duration", FL_CFG_REQUIRED, 0, 1, FL_TIME_MAX, &sc->duration,
                              e)))
        return st;
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(d, "variants");
    if (vs) {
        if ((st = fl_cfg_object(vs, "variants", e)))
            return st;
        size_t n = (size_t)cJSON_GetArraySize(vs);
        sc->variant_names = fl_calloc(n + 1, sizeof *sc->variant_names);
        sc->variant_abouts = fl_calloc(n + 1, sizeof *sc->variant_abouts);
        if (!sc->variant_names || !sc->variant_abouts)
            return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        for (const cJSON *v = vs->child; v; v = v->next) {
            char p[300];
            fl_cfg_join(p, sizeof p, "variants", v->string);
            char why[300];
            if (fl_name_check(v->string, strlen(v->string), why, sizeof why) != 0) {
                /* Point at the key, but keep the raw name out of the message's path. */
                fl_error_set(e, FL_INVALID, p, "%s", why);
                fl__scenario_locate(sc, e);
                snprintf(e->path, sizeof e->path, "variants");
                return FL_INVALID;
            }
            if (strcmp(v->string, "baseline") == 0)
                return fl_error_set(e, FL_INVALID, p,
                                    "\"baseline\" is implicit: it is the scenario as written");
            const char *about;
            if ((st = fl_cfg_object(v, p, e)) || (st = fl_cfg_known_keys(v, p, variant_keys, e)) ||
                (st = fl_cfg_string(v, p, "about", FL_CFG_OPTIONAL, "", &about, e)))
                return st;
            const cJSON *set = cJSON_GetObjectItemCaseSensitive(v, "set");
            char sp[320];
            if (set && (st = fl_cfg_object(set, fl_cfg_join(sp, sizeof sp, p, "set"), e)))
                return st;
            sc->variant_names[sc->nvariants] = v->string;
            sc->variant_abouts[sc->nvariants++] = about;
        }
    }
    return FL_OK;
}

/* When the error lies at or below a path the variant sets, the culprit is the variant's
 * value: point the message there. Returns true when it did. */
static bool relocate_to_set(const fl_scenario *sc, const char *variant, fl_error *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(sc->doc, "variants"), variant);
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(v, "set");
    for (const cJSON *it = set ? set->child : NULL; it; it = it->next) {
        cJSON *scratch = cJSON_Duplicate(sc->doc, 1), *parent;
        char last[256], canon[512];
        fl_error ignore;
        fl_error_clear(&ignore);
        bool hit = false;
        if (scratch && resolve(scratch, it->string, &parent, last, sizeof last, canon,
                               sizeof canon, &ignore) == FL_OK) {
            size_t cl = strlen(canon);
            hit = strncmp(e->path, canon, cl) == 0 &&
                  (e->path[cl] == 0 || e->path[cl] == '.' || e->path[cl] == '[');
        }
        cJSON_Delete(scratch);
        if (hit) {
            snprintf(e->path, sizeof e->path, "variants.%s.set.%s", variant, it->string);
            e->line = e->col = 0;
            fl__scenario_locate(sc, e);
            return true;
        }
    }
    return false;
}

/* Builds the model for one variant without running it: every field gets checked. */
static fl_status check_variant(fl_scenario *sc, const char *variant, fl_error *e)
{
    cJSON *doc;
    fl_status st = fl__scenario_instance(sc, variant, NULL, 0, &doc, e);
    if (st)
        return st;
    fl_world *w = NULL;
    st = fl_world_build_polled(doc, sc->seed, sc->poll, sc->poll_ctx, &w, e);
    if (!st) {
        /* The figures the run will report come from the same code that reports them after
         * a run: the built, unrun model's summary names them all. */
        long refused = fl_alloc_failures();
        cJSON *skeleton = cJSON_CreateObject();
        if (skeleton)
            fl_world_report(w, skeleton);
        /* cJSON's adders fail silently: a refused allocation leaves figures out */
        if (!skeleton || fl_alloc_failures() != refused)
            st = fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        else
            st = fl__expect_check_figures(sc, variant, skeleton, e);
        cJSON_Delete(skeleton);
        fl_world_free(w);
        cJSON_Delete(doc);
        return st;
    }
    fl_world_free(w);
    if (st == FL_INTERRUPTED) { /* not the file's fault: no position, no variant */
        cJSON_Delete(doc);
        return st;
    }
    cJSON_Delete(doc);
    if (st && variant && strcmp(variant, "baseline") != 0 && e->path[0] &&
        (relocate_to_set(sc, variant, e) || relocate_to_add(sc, variant, e)))
        return st;
    if (st && variant && strcmp(variant, "baseline") != 0 && e->path[0]) {
        /* A variant's value may be the culprit: say which variant was being checked. */
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s (with variant \"%s\")", e->msg, variant);
        snprintf(e->msg, sizeof e->msg, "%s", msg);
    }
    return st;
}

#define FL_MAX_DEPTH 64

/* The first ',' (outside strings, before `end`) followed only by white space and then a
 * '}' or ']', or NULL. */
static const char *find_trailing_comma(const char *t, const char *end)
{
    bool in_str = false;
    for (const char *p = t; p < end && *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = false;
        } else if (*p == '"')
            in_str = true;
        else if (*p == ',') {
            const char *q = p + 1 + strspn(p + 1, " \t\r\n");
            if (*q == '}' || *q == ']')
                return p;
        }
    }
    return NULL;
}

/* Checks what cJSON does not: the text is UTF-8 and not absurdly deep. Returns the
 * offending position (with e set) or NULL. */
static const char *check_text(const char *t, size_t len, fl_status *st, fl_error *e)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c >= 0x80) {
            size_t n = c >= 0xF0 && c < 0xF5 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : 0;
            bool ok = n > 0 && c < 0xF5 && i + n < len;
            for (size_t k = 1; ok && k <= n; k++)
                ok = ((unsigned char)t[i + k] & 0xC0) == 0x80;
            if (!ok) {
                *st = fl_error_set(e, FL_SYNTAX, NULL,
                                   "the file is not valid UTF-8 (byte 0x%02X); save it as UTF-8", c);
                return t + i;
            }
            i += n;
            continue;
        }
        if (in_str) {
            if (c == '\\' && i + 5 < len && strncmp(t + i + 1, "u0000", 5) == 0) {
                *st = fl_error_set(e, FL_SYNTAX, NULL,
                                   "a NUL character (\\u0000) in a string; no name or value "
                                   "may hold one");
                return t + i;
            }
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"')
            in_str = true;
        else if (c == '{' || c == '[') {
            if (++depth > FL_MAX_DEPTH) {
                *st = fl_error_set(e, FL_SYNTAX, NULL,
                                   "nested deeper than %d levels; a scenario never needs that",
                                   FL_MAX_DEPTH);
                return t + i;
            }
        } else if (c == '}' || c == ']')
            depth--;
    }
    return NULL;
}

static fl_status parse(const char *text, size_t len, const char *file, const char *dir,
                       bool read_at_run, int (*poll)(void *), void *poll_ctx, fl_scenario **out,
                       fl_error *e);

/* The folder part of a file name, without its last '/' ("" when it has none; "/" for a
 * file at the root). */
static char *folder_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        return fl_strdup("");
    char *d = fl_strdup(file);
    if (d)
        d[slash == file ? 1 : slash - file] = 0;
    return d;
}

fl_status fl_scenario_parse(const char *text, size_t len, const char *file, fl_scenario **out,
                            fl_error *e)
{
    return parse(text, len, file, NULL, true, NULL, NULL, out, e);
}

fl_status fl_scenario_parse_in(const char *text, size_t len, const char *file, const char *dir,
                               fl_scenario **out, fl_error *e)
{
    return parse(text, len, file, dir ? dir : "", false, NULL, NULL, out, e);
}

static fl_status parse(const char *text, size_t len, const char *file, const char *dir,
                       bool read_at_run, int (*poll)(void *), void *poll_ctx, fl_scenario **out,
                       fl_error *e)
{
    *out = NULL;
    fl_error_clear(e);
    fl_scenario *sc = fl_calloc(1, sizeof *sc);
    if (sc) {
        sc->poll = poll;
        sc->poll_ctx = poll_ctx;
        sc->loading = true;
        sc->read_at_run = read_at_run;
    }
    if (!sc || !(sc->file = fl_strdup(file)) || !(sc->text = fl_malloc(len + 1)) ||
        !(sc->dir = dir ? fl_strdup(dir) : folder_of(file)) ||
        !(sc->files = fl_calloc(1, sizeof *sc->files))) {
        fl_scenario_free(sc);
        fl_error_set(e, FL_NOMEM, NULL, "out of memory");
        snprintf(e->file, sizeof e->file, "%s", file);
        return FL_NOMEM;
    }
    memcpy(sc->text, text, len);
    sc->text[len] = 0;
    sc->len = len;
    fl_status st;
    if (len == 0 || strspn(sc->text, " \t\r\n") == len) {
        st = fl_error_set(e, FL_SYNTAX, NULL, "the file is empty; expected a JSON object");
        snprintf(e->file, sizeof e->file, "%s", file);
        goto fail;
    }
    if (memchr(text, 0, len)) {
        set_pos(e, sc->text, sc->text + strlen(sc->text));
        st = fl_error_set(e, FL_SYNTAX, NULL, "a NUL byte in the file; is it really JSON text?");
        snprintf(e->file, sizeof e->file, "%s", file);
        goto fail;
    }
    const char *bad = check_text(sc->text, len, &st, e);
    if (bad) {
        set_pos(e, sc->text, bad);
        snprintf(e->file, sizeof e->file, "%s", file);
        goto fail;
    }
    const char *end = NULL;
    long refused = fl_alloc_failures();
    sc->doc = cJSON_ParseWithLengthOpts(sc->text, len, &end, 0);
    if (!sc->doc && fl_alloc_failures() != refused) {
        st = fl_error_set(e, FL_NOMEM, NULL, "out of memory while reading the file");
        snprintf(e->file, sizeof e->file, "%s", file);
        goto fail;
    }
    if (!sc->doc) {
        if (!end || end < sc->text || end > sc->text + len)
            end = sc->text + len;
        /* The most common slip, which cJSON reports vaguely: a comma before '}' or ']'. */
        const char *comma = find_trailing_comma(sc->text, end);
        if (comma) {
            set_pos(e, sc->text, comma);
            st = fl_error_set(e, FL_SYNTAX, NULL,
                              "a comma before '%c': JSON allows no trailing comma",
                              comma[strspn(comma + 1, " \t\r\n") + 1]);
            snprintf(e->file, sizeof e->file, "%s", file);
            goto fail;
        }
        set_pos(e, sc->text, end);
        char near[24] = "";
        size_t k = 0;
        for (const char *p = end; p < sc->text + len && k < 12 && *p != '\n'; p++)
            near[k++] = isprint((unsigned char)*p) ? *p : '?';
        near[k] = 0;
        if (strspn(end, " \t\r\n") == (size_t)(sc->text + len - end))
            st = fl_error_set(e, FL_SYNTAX, NULL,
                              "JSON syntax error: the text ends early (a missing '}' or ']'?)");
        else if (!near[0])
            st = fl_error_set(e, FL_SYNTAX, NULL,
                              "JSON syntax error at the end of this line (a missing or extra "
                              "comma, quote or bracket?)");
        else
            st = fl_error_set(e, FL_SYNTAX, NULL, "JSON syntax error near \"%s\"", near);
        snprintf(e->file, sizeof e->file, "%s", file);
        goto fail;
    }
    {
        const char *p = end;
        while (p < sc->text + len && strchr(" \t\r\n", *p))
            p++;
        if (p < sc->text + len) {
            set_pos(e, sc->text, p);
            st = fl_error_set(e, FL_SYNTAX, NULL, "unexpected text after the JSON object");
            snprintf(e->file, sizeof e->file, "%s", file);
            goto fail;
        }
    }
    if ((st = check_duplicates(sc, e))) {
        snprintf(e->file, sizeof e->file, "%s", file);
        goto fail;
    }
    if ((st = check_top(sc, e)) || (st = check_variant(sc, "baseline", e)))
        goto located;
    for (size_t i = 0; i < sc->nvariants; i++)
        if ((st = check_variant(sc, sc->variant_names[i], e)))
            goto located;
    if ((st = fl__expect_validate(sc, e)) || (st = fl__explore_validate(sc, e)) ||
        (st = check_charts(sc, e)))
        goto located;
    sc->poll = NULL; /* only while loading */
    sc->loading = false; /* from here on `files` is read-only: runs may share it */
    *out = sc;
    return FL_OK;
located:
    if (st != FL_INTERRUPTED && strcmp(e->file, "--set") != 0 && e->line == 0)
        fl__scenario_locate(sc, e);
fail:
    fl_scenario_free(sc);
    return st;
}

fl_status fl_scenario_load(const char *file, fl_scenario **out, fl_error *e)
{
    return fl_scenario_load_polled(file, NULL, NULL, out, e);
}

/* Reads at most FL_MAX_FILE bytes from fd, whatever it is: a regular file, a pipe, a FIFO,
 * a terminal. The descriptor is non-blocking, so the wait for data (or for a FIFO's
 * writer) is a poll() of 100 ms at a time, between which `stop` may end it: a FIFO nobody
 * writes to cannot hang the program past Ctrl-C or a limit. Returns FL_OK with the bytes
 * in *buf (caller frees). */
static fl_status read_bounded(int fd, bool fifo, int (*stop)(void *), void *ctx, char **buf,
                              size_t *len, fl_error *e)
{
    size_t cap = 1 << 16, n = 0;
    char *b = fl_malloc(cap);
    if (!b)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    for (;;) {
        if (n > (size_t)FL_MAX_FILE) {
            fl_free(b);
            return fl_error_set(e, FL_LIMIT, NULL,
                                "more than %ld bytes; scenario files are limited to %ld",
                                FL_MAX_FILE, FL_MAX_FILE);
        }
        if (n == cap) {
            char *nb = fl_realloc(b, cap * 2);
            if (!nb) {
                fl_free(b);
                return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
            }
            b = nb;
            cap *= 2;
        }
        ssize_t k = read(fd, b + n, cap - n);
        if (k > 0) {
            n += (size_t)k;
            continue;
        }
        /* 0 is the end, except on a FIFO no writer has opened yet: it reports no POLLHUP
         * until one came and went (Linux), so wait for one like `cat` would. */
        if (k == 0) {
            struct pollfd p = {fd, POLLIN, 0};
            if (!fifo || poll(&p, 1, 0) != 0 || n > 0)
                break;
        }
        if (k == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (stop && stop(ctx)) {
                fl_free(b);
                return fl_error_set(e, FL_INTERRUPTED, NULL, "stopped while reading the file");
            }
            struct pollfd p = {fd, POLLIN, 0};
            poll(&p, 1, 100);
            continue;
        }
        int err = errno;
        fl_free(b);
        return fl_error_set(e, FL_IO, NULL, "read error: %s", strerror(err));
    }
    *buf = b;
    *len = n;
    return FL_OK;
}

fl_status fl_scenario_load_polled(const char *file, int (*poll)(void *ctx), void *ctx,
                                  fl_scenario **out, fl_error *e)
{
    *out = NULL;
    fl_error_clear(e);
    bool std_in = strcmp(file, "-") == 0;
    const char *name = std_in ? "<stdin>" : file;
    /* O_NONBLOCK: opening a FIFO with no writer must not block (read_bounded waits). */
    int fd = std_in ? 0 : open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat stt;
    if (fd < 0) {
        fl_error_set(e, FL_IO, NULL, "cannot open: %s", strerror(errno));
        goto io;
    }
    if (fstat(fd, &stt) != 0) {
        fl_error_set(e, FL_IO, NULL, "cannot open: %s", strerror(errno));
        goto io;
    }
    if (S_ISDIR(stt.st_mode)) {
        fl_error_set(e, FL_IO, NULL, "is a directory; expected a scenario file (.json)");
        goto io;
    }
    if (stt.st_size > FL_MAX_FILE) {
        fl_error_set(e, FL_LIMIT, NULL, "the file is %lld bytes; scenario files are limited to %ld",
                     (long long)stt.st_size, FL_MAX_FILE);
        goto io;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    char *buf = NULL;
    size_t len = 0;
    fl_status rst = read_bounded(fd, S_ISFIFO(stt.st_mode), poll, ctx, &buf, &len, e);
    if (fl >= 0 && !(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl); /* stdin is shared with the shell: leave it as it was */
    if (!std_in)
        close(fd);
    fd = -1;
    if (rst != FL_OK)
        goto io;
    if (len == 0 && !S_ISREG(stt.st_mode)) {
        fl_free(buf);
        fl_error_set(e, FL_SYNTAX, NULL,
                     "nothing to read (an empty pipe or input); expected a JSON object");
        goto io;
    }
    fl_status st = parse(buf, len, name, std_in ? "" : NULL, true, poll, ctx, out, e);
    fl_free(buf);
    return st;
io:
    if (fd > 0)
        close(fd);
    snprintf(e->file, sizeof e->file, "%s", name);
    return e->status;
}

const char *fl_scenario_file(const fl_scenario *sc) { return sc->file; }
const char *fl_scenario_name(const fl_scenario *sc) { return sc->name; }
const char *fl_scenario_title(const fl_scenario *sc) { return sc->title; }
const char *fl_scenario_story(const fl_scenario *sc) { return sc->story; }
const char *const *fl_scenario_charts(const fl_scenario *sc, size_t *n)
{
    *n = sc->ncharts;
    return sc->charts;
}
uint64_t fl_scenario_seed(const fl_scenario *sc) { return sc->seed; }
fl_time fl_scenario_duration(const fl_scenario *sc) { return sc->duration; }
size_t fl_scenario_variant_count(const fl_scenario *sc) { return sc->nvariants; }
const char *fl_scenario_variant_name(const fl_scenario *sc, size_t i)
{
    return i < sc->nvariants ? sc->variant_names[i] : NULL;
}
const char *fl_scenario_variant_about(const fl_scenario *sc, size_t i)
{
    return i < sc->nvariants ? sc->variant_abouts[i] : NULL;
}
int fl_scenario_has_variant(const fl_scenario *sc, const char *name)
{
    if (strcmp(name, "baseline") == 0)
        return 1;
    for (size_t i = 0; i < sc->nvariants; i++)
        if (strcmp(sc->variant_names[i], name) == 0)
            return 1;
    return 0;
}
