/* Per-key linearizability of a register: see check.h.
 *
 * The search (Wing & Gong, with Lowe's just-in-time memoisation, as in Knossos and
 * Porcupine): the key's invocations and completions form a doubly linked list ordered by
 * time. Walking it from the front, a call whose operation the register accepts in the
 * current state is "linearized": its call and return are unlinked, pushed on a stack, and
 * the walk restarts from the front. Reaching a return means that operation had to take
 * effect already: undo the last choice and try the next call after it. A (linearized set,
 * register value) pair seen before leads nowhere new, so it is skipped.
 *
 * Info and pending writes return at FL_TIME_NEVER, after every ok op: reaching such a
 * return means every ok op is placed and the rest may never have happened, so the history
 * is linearizable. An optional write whose value no read returns and no cas expects is
 * left out: placing it only changes the register to a value that must be overwritten before
 * any read or cas succeeds, which is the state of never placing it (without this each such
 * write would double the search space for the rest of the key's history).
 *
 * The memo stores each linearized set compactly: the ops are numbered by invocation, so
 * the set is mostly a prefix of ones; it is stored as (lo, hi, words[lo, hi)) where every
 * word below lo is all ones and every word from hi on is zero. */
#include "check/check_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/sort.h"

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)
#define END UINT32_MAX

typedef struct lop {
    fl_time inv, ret; /* ret = FL_TIME_NEVER for an optional (info/pending) op */
    int64_t value, expect;
    fl_op_kind kind;
    uint32_t client;
} lop;

typedef struct ent {
    fl_time t;
    uint32_t op;
    uint32_t is_ret;
} ent;

typedef struct memo {
    uint64_t hash;
    int64_t state;
    uint32_t lo, nw;
    size_t off; /* words in the arena */
    size_t slot;
} memo;

typedef struct frame {
    uint32_t call; /* the call entry lifted */
    int64_t state; /* the register before it */
} frame;

/* All scratch space, grown to the largest key and reused. */
typedef struct lin {
    size_t cap; /* ops */
    lop *ops;
    ent *ents;
    uint32_t *next, *prev; /* index cap*2 is the list head */
    uint32_t *call_of, *ret_of;
    frame *stack;
    int64_t *vals; /* the values the key's reads return and its cas ops expect */
    uint64_t *bits;
    size_t nbits_words;
    /* memo: open addressing over indices into memos (+1; 0 = empty) */
    size_t *table;
    size_t tcap;
    memo *memos;
    size_t nmemo, memocap;
    uint64_t *arena;
    size_t narena, arenacap;
} lin;

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static void lin_free(lin *L)
{
    fl_free(L->ops);
    fl_free(L->ents);
    fl_free(L->next);
    fl_free(L->prev);
    fl_free(L->call_of);
    fl_free(L->ret_of);
    fl_free(L->stack);
    fl_free(L->vals);
    fl_free(L->bits);
    fl_free(L->table);
    fl_free(L->memos);
    fl_free(L->arena);
}

static fl_status lin_reserve(lin *L, size_t m)
{
    if (m <= L->cap)
        return FL_OK;
    lin_free(L);
    memset(L, 0, sizeof *L);
    L->ops = fl_malloc(m * sizeof *L->ops);
    L->ents = fl_malloc(2 * m * sizeof *L->ents);
    L->next = fl_malloc((2 * m + 1) * sizeof *L->next);
    L->prev = fl_malloc((2 * m + 1) * sizeof *L->prev);
    L->call_of = fl_malloc(m * sizeof *L->call_of);
    L->ret_of = fl_malloc(m * sizeof *L->ret_of);
    L->stack = fl_malloc(m * sizeof *L->stack);
    L->vals = fl_malloc(m * sizeof *L->vals);
    L->nbits_words = (m + 63) / 64;
    L->bits = fl_malloc(L->nbits_words * sizeof *L->bits);
    if (!L->ops || !L->ents || !L->next || !L->prev || !L->call_of || !L->ret_of ||
        !L->stack || !L->vals || !L->bits)
        return FL_NOMEM;
    L->cap = m;
    return FL_OK;
}

/* Up to this many elements an insertion sort beats qsort (which allocates and calls
 * through a pointer); both give the one order of a total comparison. */
#define SMALL_SORT 16

static int i64_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return CMP(a, b);
}

/* Leaves out the optional writes nobody observed (see the file header); returns the new m.
 * The ops keep their invocation order. */
static size_t drop_unobserved(lin *L, size_t m)
{
    size_t nv = 0;
    for (size_t i = 0; i < m; i++) {
        if (L->ops[i].kind == FL_OP_READ)
            L->vals[nv++] = L->ops[i].value;
        else if (L->ops[i].kind == FL_OP_CAS)
            L->vals[nv++] = L->ops[i].expect;
    }
    if (nv > SMALL_SORT)
        qsort(L->vals, nv, sizeof *L->vals, i64_cmp);
    else /* most keys have a handful of ops: qsort's set-up would cost more than the sort */
        for (size_t i = 1; i < nv; i++)
            for (size_t j = i; j > 0 && L->vals[j - 1] > L->vals[j]; j--) {
                int64_t t = L->vals[j];
                L->vals[j] = L->vals[j - 1];
                L->vals[j - 1] = t;
            }
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        const lop *o = &L->ops[i];
        if (o->ret == FL_TIME_NEVER && !bsearch(&o->value, L->vals, nv, sizeof *L->vals, i64_cmp))
            continue;
        L->ops[k++] = *o;
    }
    return k;
}

static int ent_cmp(const void *pa, const void *pb)
{
    const ent *a = pa, *b = pb;
    int c = CMP(a->t, b->t);
    if (!c) /* a call at t sorts before a return at t: they are concurrent */
        c = CMP(a->is_ret, b->is_ret);
    if (!c)
        c = CMP(a->op, b->op);
    return c;
}

/* The register's answer to op in state s: 1 and the new state, or 0. */
static int apply(const lop *o, int64_t s, int64_t *ns)
{
    switch (o->kind) {
    case FL_OP_WRITE:
        *ns = o->value;
        return 1;
    case FL_OP_READ:
        *ns = s;
        return o->value == s;
    case FL_OP_CAS:
        *ns = o->value;
        return o->expect == s;
    default:
        return 0;
    }
}

/* The current set's compact form: see the file header. lo and hi are kept by the search. */
typedef struct setview {
    uint32_t lo, hi;
} setview;

static int memo_eq(const lin *L, const memo *e, uint64_t hash, int64_t state, setview v)
{
    return e->hash == hash && e->state == state && e->lo == v.lo && e->nw == v.hi - v.lo &&
           !memcmp(&L->arena[e->off], &L->bits[v.lo], e->nw * sizeof(uint64_t));
}

static fl_status table_grow(lin *L)
{
    size_t cap = L->tcap ? L->tcap * 2 : 1024;
    size_t *t = fl_calloc(cap, sizeof *t);
    if (!t)
        return FL_NOMEM;
    for (size_t i = 0; i < L->nmemo; i++) {
        size_t s = (size_t)L->memos[i].hash & (cap - 1);
        while (t[s])
            s = (s + 1) & (cap - 1);
        t[s] = i + 1;
        L->memos[i].slot = s;
    }
    fl_free(L->table);
    L->table = t;
    L->tcap = cap;
    return FL_OK;
}

/* Adds (set, state) unless present: *fresh = 1 when added. */
static fl_status memo_add(lin *L, uint64_t hash, int64_t state, setview v, int *fresh)
{
    *fresh = 0;
    if ((L->nmemo + 1) * 2 > L->tcap && table_grow(L))
        return FL_NOMEM;
    size_t s = (size_t)hash & (L->tcap - 1);
    for (; L->table[s]; s = (s + 1) & (L->tcap - 1))
        if (memo_eq(L, &L->memos[L->table[s] - 1], hash, state, v))
            return FL_OK;
    size_t nw = v.hi - v.lo;
    if (L->nmemo == L->memocap) {
        size_t cap = L->memocap ? L->memocap * 2 : 1024;
        memo *m = fl_realloc(L->memos, cap * sizeof *m);
        if (!m)
            return FL_NOMEM;
        L->memos = m;
        L->memocap = cap;
    }
    if (L->narena + nw > L->arenacap) {
        size_t cap = L->arenacap ? L->arenacap * 2 : 4096;
        while (cap < L->narena + nw)
            cap *= 2;
        uint64_t *a = fl_realloc(L->arena, cap * sizeof *a);
        if (!a)
            return FL_NOMEM;
        L->arena = a;
        L->arenacap = cap;
    }
    memcpy(&L->arena[L->narena], &L->bits[v.lo], nw * sizeof(uint64_t));
    L->memos[L->nmemo] = (memo){hash, state, v.lo, (uint32_t)nw, L->narena, s};
    L->narena += nw;
    L->table[s] = ++L->nmemo;
    *fresh = 1;
    return FL_OK;
}

static void memo_clear(lin *L)
{
    for (size_t i = 0; i < L->nmemo; i++)
        L->table[L->memos[i].slot] = 0;
    L->nmemo = 0;
    L->narena = 0;
}

static void set_bit(lin *L, setview *v, uint32_t i)
{
    uint32_t w = i / 64;
    L->bits[w] |= (uint64_t)1 << (i % 64);
    while (v->lo < L->nbits_words && L->bits[v->lo] == UINT64_MAX)
        v->lo++;
    if (w + 1 > v->hi)
        v->hi = w + 1;
    if (v->hi < v->lo)
        v->hi = v->lo;
}

static void clear_bit(lin *L, setview *v, uint32_t i)
{
    uint32_t w = i / 64;
    L->bits[w] &= ~((uint64_t)1 << (i % 64));
    if (w < v->lo)
        v->lo = w;
    while (v->hi > v->lo && L->bits[v->hi - 1] == 0)
        v->hi--;
}

static void lift(lin *L, uint32_t e)
{
    L->next[L->prev[e]] = L->next[e];
    if (L->next[e] != END)
        L->prev[L->next[e]] = L->prev[e];
}

static void unlift(lin *L, uint32_t e)
{
    L->next[L->prev[e]] = e;
    if (L->next[e] != END)
        L->prev[L->next[e]] = e;
}

static void describe(char *buf, size_t n, const lop *o)
{
    char a[32], b[32];
    const char *none = "nothing";
    if (o->value == FL_VALUE_NONE)
        snprintf(a, sizeof a, "%s", none);
    else
        snprintf(a, sizeof a, "v%lld", (long long)o->value);
    if (o->expect == FL_VALUE_NONE)
        snprintf(b, sizeof b, "%s", none);
    else
        snprintf(b, sizeof b, "v%lld", (long long)o->expect);
    if (o->kind == FL_OP_READ)
        snprintf(buf, n, "read of %s", a);
    else if (o->kind == FL_OP_WRITE)
        snprintf(buf, n, "write of %s", a);
    else
        snprintf(buf, n, "cas %s->%s", b, a);
}

typedef enum key_verdict { K_OK, K_BAD, K_OUT } key_verdict;

/* Searches one key's m ops (already in L->ops, numbered by invocation). *steps counts
 * down the budget left for this key; the failure example goes to bad. */
static fl_status search(lin *L, size_t m, uint64_t key, uint64_t limit, uint64_t *used,
                        key_verdict *kv, fl_check_result *bad)
{
    uint32_t head = (uint32_t)(2 * m);
    for (uint32_t i = 0; i < m; i++) {
        L->ents[2 * i] = (ent){L->ops[i].inv, i, 0};
        L->ents[2 * i + 1] = (ent){L->ops[i].ret, i, 1};
    }
    if (2 * m > SMALL_SORT)
        qsort(L->ents, 2 * m, sizeof *L->ents, ent_cmp);
    else /* the same order (ent_cmp is total: op numbers differ), without qsort's set-up */
        for (size_t i = 1; i < 2 * m; i++)
            for (size_t j = i; j > 0 && ent_cmp(&L->ents[j - 1], &L->ents[j]) > 0; j--) {
                ent t = L->ents[j];
                L->ents[j] = L->ents[j - 1];
                L->ents[j - 1] = t;
            }
    uint32_t last = head;
    for (uint32_t e = 0; e < 2 * m; e++) {
        if (L->ents[e].is_ret)
            L->ret_of[L->ents[e].op] = e;
        else
            L->call_of[L->ents[e].op] = e;
        L->prev[e] = last;
        L->next[last] = e;
        last = e;
    }
    L->next[last] = END;
    /* Every word, not only this key's: set_bit's scan for the lowest word with a clear bit
     * may step one word past this key's when all its ops are placed (m a multiple of 64). */
    memset(L->bits, 0, L->nbits_words * sizeof *L->bits);
    memo_clear(L);
    setview v = {0, 0};
    uint64_t hset = 0;
    int64_t state = FL_VALUE_NONE;
    size_t depth = 0;
    long best = -1; /* the deepest point a return stopped the search (for the example) */
    uint32_t best_op = 0;
    fl_time best_t0 = 0;
    uint32_t cur = L->next[head];
    for (;;) {
        if (*used >= limit) {
            *kv = K_OUT;
            return FL_OK;
        }
        ++*used;
        if (cur == END || (L->ents[cur].is_ret && L->ents[cur].t == FL_TIME_NEVER)) {
            /* every ok op is placed (only optional ones may be left) */
            *kv = K_OK;
            return FL_OK;
        }
        const ent *e = &L->ents[cur];
        if (!e->is_ret) {
            uint32_t op = e->op;
            int64_t ns;
            if (apply(&L->ops[op], state, &ns)) {
                uint64_t h2 = hset ^ mix(op);
                set_bit(L, &v, op);
                int fresh;
                if (memo_add(L, h2 ^ mix((uint64_t)ns ^ 0x5bd1e995u), ns, v, &fresh))
                    return FL_NOMEM;
                if (fresh) {
                    L->stack[depth++] = (frame){cur, state};
                    state = ns;
                    hset = h2;
                    lift(L, cur);
                    lift(L, L->ret_of[op]);
                    cur = L->next[head];
                    continue;
                }
                clear_bit(L, &v, op);
            }
            cur = L->next[cur];
            continue;
        }
        /* a return: its op should have been placed already */
        if ((long)depth > best) {
            best = (long)depth;
            best_op = e->op;
            uint32_t first = L->next[head];
            best_t0 = L->ents[first].is_ret ? L->ops[e->op].inv : L->ents[first].t;
        }
        if (!depth) {
            const lop *o = &L->ops[best_op];
            char d[64];
            describe(d, sizeof d, o);
            *kv = K_BAD;
            bad->count++;
            fl_check_example_add(bad, best_t0, o->ret, key, o->client,
                                 "key %llu: %s by client %lu cannot be linearized "
                                 "(at best %ld of %zu ops placed before it)",
                                 (unsigned long long)key, d, (unsigned long)o->client, best,
                                 m);
            return FL_OK;
        }
        frame f = L->stack[--depth];
        uint32_t op = L->ents[f.call].op;
        unlift(L, L->ret_of[op]);
        unlift(L, f.call);
        clear_bit(L, &v, op);
        hset ^= mix(op);
        state = f.state;
        cur = L->next[f.call];
    }
}

/* The ops the search sees, in (key, invocation) order. */
typedef struct kop {
    uint64_t key;
    fl_time inv;
    size_t id;
} kop;

static inline bool kop_less(const kop *a, const kop *b)
{
    if (a->key != b->key)
        return a->key < b->key;
    if (a->inv != b->inv)
        return a->inv < b->inv;
    return a->id < b->id;
}
/* The order is total (ids differ), so any correct sort gives the same array. */
FL__SORT_DEFINE(kop_sort, kop, kop_less)

const char *fl_lin_verdict_name(fl_lin_verdict v)
{
    switch (v) {
    case FL_LIN_LINEARIZABLE:
        return "linearizable";
    case FL_LIN_NOT_LINEARIZABLE:
        return "not linearizable";
    case FL_LIN_UNKNOWN:
        return "unknown";
    }
    return "?";
}

fl_status fl_check_linearizable(const fl_history *h, const fl_lin_budget *budget,
                                fl_lin_result *out)
{
    memset(out, 0, sizeof *out);
    uint64_t per_key = budget && budget->max_steps_per_key ? budget->max_steps_per_key
                                                          : FL_LIN_DEFAULT_STEPS_PER_KEY;
    uint64_t total = budget && budget->max_steps ? budget->max_steps : FL_LIN_DEFAULT_STEPS;
    size_t n = fl_history_count(h);
    kop *ks = fl_malloc((n ? n : 1) * sizeof *ks);
    if (!ks)
        return FL_NOMEM;
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        const fl_op *o = fl_history_get(h, i);
        if (o->kind != FL_OP_READ && o->kind != FL_OP_WRITE && o->kind != FL_OP_CAS)
            continue;
        if (o->outcome == FL_OP_FAIL ||
            (o->outcome != FL_OP_OK && o->kind == FL_OP_READ))
            continue; /* did not happen, or constrains nothing */
        ks[nk++] = (kop){o->key, o->invoke, i};
    }
    kop_sort(ks, nk);
    lin L;
    memset(&L, 0, sizeof L);
    fl_status st = FL_OK;
    int bad = 0, unknown = 0;
    for (size_t i = 0; i < nk;) {
        size_t j = i;
        while (j < nk && ks[j].key == ks[i].key)
            j++;
        size_t m = j - i;
        out->keys++;
        if (m >= UINT32_MAX / 2) {
            st = FL_LIMIT;
            break;
        }
        if (out->steps >= total) { /* the overall budget is spent: left unchecked */
            out->keys_unknown++;
            unknown = 1;
            i = j;
            continue;
        }
        if ((st = lin_reserve(&L, m)))
            break;
        for (size_t k = 0; k < m; k++) {
            const fl_op *o = fl_history_get(h, ks[i + k].id);
            L.ops[k] = (lop){o->invoke,
                             o->outcome == FL_OP_OK ? o->complete : FL_TIME_NEVER,
                             o->value, o->expect, o->kind, o->client};
        }
        m = drop_unobserved(&L, m);
        uint64_t left = total - out->steps, limit = per_key < left ? per_key : left;
        uint64_t used = 0;
        key_verdict kv;
        st = search(&L, m, ks[i].key, limit, &used, &kv, &out->bad);
        out->steps += used;
        if (st)
            break;
        if (kv == K_BAD) {
            if (!bad)
                out->first_key = ks[i].key;
            bad = 1;
        } else if (kv == K_OUT) {
            out->keys_unknown++;
            unknown = 1;
        }
        i = j;
    }
    lin_free(&L);
    fl_free(ks);
    if (st) {
        memset(out, 0, sizeof *out);
        return st;
    }
    out->bad.relevant = out->keys;
    fl_check_finish(&out->bad);
    out->verdict = bad ? FL_LIN_NOT_LINEARIZABLE
                       : unknown ? FL_LIN_UNKNOWN : FL_LIN_LINEARIZABLE;
    return FL_OK;
}
