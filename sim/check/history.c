/* The operation history: see check.h.
 *
 * Storage: fixed-size chunks of ops behind a growing array of chunk pointers, so an fl_op
 * never moves. Chunks are cut from slabs that double up to SLAB_MAX chunks (8 MiB), so a
 * long history allocates rarely and in blocks big enough for huge pages (core/alloc.h),
 * and a short one holds one 64 KiB chunk.
 * Invariants: ops [0, n) are initialised; chunk i holds ids [i * CHUNK, (i + 1) * CHUNK);
 * chunks [nchunks, nchunks + room) are the current slab's unused ones, starting at next;
 * a pending op has complete == FL_TIME_NEVER and an op with another outcome has
 * invoke <= complete < FL_TIME_NEVER. */
#include "check/check_int.h"

#include <stdarg.h>
#include <string.h>

#include "core/alloc.h"
#include "core/pool.h" /* fl__grow */

#define CHUNK_BITS 10
#define CHUNK ((size_t)1 << CHUNK_BITS)
#define SLAB_MAX 128 /* chunks of 64 KiB: 8 MiB */

struct fl_history {
    fl_op **chunks;
    size_t nchunks, cap;
    size_t n;
    fl_op *next; /* the current slab's first unused chunk */
    size_t room; /* its unused chunks */
    fl_op **slabs;
    size_t nslabs, slabcap;
};

fl_history *fl_history_new(void) { return fl_calloc(1, sizeof(fl_history)); }

void fl_history_free(fl_history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->nslabs; i++)
        fl_free(h->slabs[i]);
    fl_free(h->slabs);
    fl_free(h->chunks);
    fl_free(h);
}

static fl_op *at(const fl_history *h, size_t id)
{
    return &h->chunks[id >> CHUNK_BITS][id & (CHUNK - 1)];
}

/* A new slab: as many chunks as the history has (a doubling), 1 to SLAB_MAX. */
static bool new_slab(fl_history *h)
{
    fl_op **s = fl__grow(NULL, h->slabs, &h->slabcap, h->nslabs + 1, sizeof *s, 8);
    if (!s)
        return false;
    h->slabs = s;
    size_t k = h->nchunks < 1 ? 1 : h->nchunks < SLAB_MAX ? h->nchunks : SLAB_MAX;
    fl_op *slab = fl_malloc(k * CHUNK * sizeof *slab);
    if (!slab)
        return false;
    h->slabs[h->nslabs++] = slab;
    h->next = slab;
    h->room = k;
    return true;
}

/* A slot for one more op (not yet counted), or NULL on allocation failure. */
static fl_op *slot(fl_history *h)
{
    if (h->n == h->nchunks * CHUNK) {
        fl_op **c = fl__grow(NULL, h->chunks, &h->cap, h->nchunks + 1, sizeof *c, 16);
        if (!c)
            return NULL;
        h->chunks = c;
        if (h->room == 0 && !new_slab(h))
            return NULL;
        h->chunks[h->nchunks++] = h->next;
        h->next += CHUNK;
        h->room--;
    }
    return at(h, h->n);
}

static int kind_ok(fl_op_kind k) { return k >= FL_OP_READ && k <= FL_OP_PUBLISH; }

fl_status fl_history_invoke(fl_history *h, const fl_op *op, size_t *id)
{
    if (!kind_ok(op->kind) || op->invoke == FL_TIME_NEVER)
        return FL_INVALID;
    fl_op *o = slot(h);
    if (!o)
        return FL_NOMEM;
    *o = *op;
    o->complete = FL_TIME_NEVER;
    o->outcome = FL_OP_PENDING;
    if (id)
        *id = h->n;
    h->n++;
    return FL_OK;
}

fl_status fl_history_complete(fl_history *h, size_t id, fl_time t, fl_op_outcome outcome,
                              int64_t value, uint32_t node)
{
    if (id >= h->n)
        return FL_INVALID;
    fl_op *o = at(h, id);
    if (o->outcome != FL_OP_PENDING || t < o->invoke || t == FL_TIME_NEVER ||
        (outcome != FL_OP_OK && outcome != FL_OP_FAIL && outcome != FL_OP_INFO))
        return FL_INVALID;
    o->complete = t;
    o->outcome = outcome;
    if (value != FL_VALUE_KEEP)
        o->value = value;
    if (node != FL_NODE_NONE)
        o->node = node;
    return FL_OK;
}

fl_status fl_history_set_token(fl_history *h, size_t id, int64_t token)
{
    if (id >= h->n)
        return FL_INVALID;
    at(h, id)->token = token;
    return FL_OK;
}

fl_status fl_history_add(fl_history *h, const fl_op *op, size_t *id)
{
    if (!kind_ok(op->kind) || op->invoke == FL_TIME_NEVER)
        return FL_INVALID;
    if (op->outcome == FL_OP_PENDING ? op->complete != FL_TIME_NEVER
                                          : (op->outcome > FL_OP_INFO ||
                                             op->complete < op->invoke ||
                                             op->complete == FL_TIME_NEVER))
        return FL_INVALID;
    fl_op *o = slot(h);
    if (!o)
        return FL_NOMEM;
    *o = *op;
    if (id)
        *id = h->n;
    h->n++;
    return FL_OK;
}

size_t fl_history_count(const fl_history *h) { return h->n; }

const fl_op *fl_history_get(const fl_history *h, size_t id)
{
    return id < h->n ? at(h, id) : NULL;
}

const char *fl_op_kind_name(fl_op_kind k)
{
    static const char *const names[] = {"read",    "write",   "cas",    "acquire",
                                        "release", "process", "publish"};
    return kind_ok(k) ? names[k] : "?";
}

const char *fl_op_outcome_name(fl_op_outcome o)
{
    static const char *const names[] = {"pending", "ok", "fail", "info"};
    return o >= FL_OP_PENDING && o <= FL_OP_INFO ? names[o] : "?";
}

void fl_check_fmt_s(char *buf, size_t n, fl_time t)
{
    /* unsigned magnitude: -INT64_MIN does not fit an int64 */
    uint64_t m = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    unsigned long long whole = m / 1000000000u, frac = m % 1000000000u;
    const char *sign = t < 0 ? "-" : "";
    if (!frac) {
        snprintf(buf, n, "%s%llu", sign, whole);
        return;
    }
    int places = 9;
    while (frac % 10 == 0) {
        frac /= 10;
        places--;
    }
    snprintf(buf, n, "%s%llu.%0*llu", sign, whole, places, frac);
}

void fl_check_reset(fl_check_result *r)
{
    if (r)
        memset(r, 0, sizeof *r);
}

/* a before b in example order */
static int ex_before(fl_time t0, uint64_t key, uint32_t client, const fl_check_example *b)
{
    if (t0 != b->t0)
        return t0 < b->t0;
    if (key != b->key)
        return key < b->key;
    return client < b->client;
}

bool fl_check_example_wanted(const fl_check_result *r, fl_time t0, uint64_t key,
                             uint32_t client)
{
    return r->nexamples < FL_CHECK_EXAMPLES ||
           ex_before(t0, key, client, &r->examples[FL_CHECK_EXAMPLES - 1]);
}

void fl_check_example_add(fl_check_result *r, fl_time t0, fl_time t1, uint64_t key,
                          uint32_t client, const char *fmt, ...)
{
    size_t pos = r->nexamples;
    while (pos > 0 && ex_before(t0, key, client, &r->examples[pos - 1]))
        pos--;
    if (pos >= FL_CHECK_EXAMPLES)
        return;
    size_t last = r->nexamples < FL_CHECK_EXAMPLES ? r->nexamples : FL_CHECK_EXAMPLES - 1;
    memmove(&r->examples[pos + 1], &r->examples[pos], (last - pos) * sizeof r->examples[0]);
    if (r->nexamples < FL_CHECK_EXAMPLES)
        r->nexamples++;
    fl_check_example *e = &r->examples[pos];
    e->t0 = t0;
    e->t1 = t1;
    e->key = key;
    e->client = client;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
}

void fl_check_finish(fl_check_result *r)
{
    r->rate = r->relevant ? (double)r->count / (double)r->relevant : 0;
}

/* ---- history.jsonl ---- */

static int put_i64(FILE *f, const char *name, int64_t v, int null_if_none, int64_t none)
{
    if (null_if_none && v == none)
        return fprintf(f, ",\"%s\":null", name) < 0;
    return fprintf(f, ",\"%s\":%lld", name, (long long)v) < 0;
}

static int put_time(FILE *f, const char *base, fl_time t)
{
    if (t == FL_TIME_NEVER)
        return fprintf(f, ",\"%s_ns\":null,\"%s_s\":null", base, base) < 0;
    char s[48];
    fl_check_fmt_s(s, sizeof s, t);
    return fprintf(f, ",\"%s_ns\":%lld,\"%s_s\":%s", base, (long long)t, base, s) < 0;
}

fl_status fl_history_write_jsonl(const fl_history *h, FILE *f)
{
    for (size_t i = 0; i < h->n; i++) {
        const fl_op *o = at(h, i);
        int bad = fprintf(f, "{\"id\":%zu,\"op\":\"%s\",\"client\":%lu,\"key\":%llu", i,
                          fl_op_kind_name(o->kind), (unsigned long)o->client,
                          (unsigned long long)o->key) < 0;
        bad = bad || (o->node == FL_NODE_NONE ? fputs(",\"node\":null", f) < 0
                                              : fprintf(f, ",\"node\":%lu",
                                                        (unsigned long)o->node) < 0);
        bad = bad || put_time(f, "invoke", o->invoke) || put_time(f, "complete", o->complete);
        bad = bad || fprintf(f, ",\"outcome\":\"%s\"", fl_op_outcome_name(o->outcome)) < 0;
        bad = bad || put_i64(f, "value", o->value, 1, FL_VALUE_NONE) ||
              put_i64(f, "expect", o->expect, 1, FL_VALUE_NONE) ||
              put_i64(f, "token", o->token, 1, FL_TOKEN_NONE);
        bad = bad || fputs("}\n", f) < 0;
        if (bad)
            return FL_IO;
    }
    return ferror(f) ? FL_IO : FL_OK;
}
