/* The consistency checkers: see check.h.
 *
 * Each checker copies what it needs into a flat array, sorts it with a total order (so the
 * unstable qsort still gives one answer) and sweeps it once: O(n log n), no hashing, the
 * same counts and examples on every platform. */
#include "check/check_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/sort.h"

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

/* "v7" or "nothing" */
static const char *vstr(char *buf, size_t n, int64_t v)
{
    if (v == FL_VALUE_NONE)
        snprintf(buf, n, "nothing");
    else
        snprintf(buf, n, "v%lld", (long long)v);
    return buf;
}

static int is_write(const fl_op *o) { return o->kind == FL_OP_WRITE || o->kind == FL_OP_CAS; }

/* ---- stale reads, read-your-writes, monotonic reads ---------------------------------- */

/* A sweep event: a probe (a read, at its invocation) or a source (what the read must not
 * be older than, at its acknowledgement). Within one (grp, key) and time, probes sort
 * before sources: an ack at the very instant of an invocation is concurrent with it. */
typedef struct sev {
    uint64_t grp, key;
    fl_time t;
    int64_t value; /* the op's, so the sweep reads the history only for an anomaly */
    uint32_t id;   /* the op's index in the history */
    uint32_t source;
} sev;

static inline bool sev_less(const sev *a, const sev *b)
{
    if (a->grp != b->grp)
        return a->grp < b->grp;
    if (a->key != b->key)
        return a->key < b->key;
    if (a->t != b->t)
        return a->t < b->t;
    if (a->source != b->source)
        return a->source < b->source;
    return a->id < b->id;
}

/* The order is total (ids differ), so any correct sort gives the same array. */
FL__SORT_DEFINE(sev_sort, sev, sev_less)

typedef enum sweep_mode { STALE, RYW, MONO } sweep_mode;

/* Whether op o gives a probe and a source in this mode. */
static inline void sev_roles(const fl_op *o, sweep_mode mode, bool *probe, bool *source)
{
    bool ok = o->outcome == FL_OP_OK, is_read = o->kind == FL_OP_READ;
    *probe = ok && is_read;
    *source = ok && (mode == MONO ? is_read : (is_write(o) && o->value != FL_VALUE_NONE));
}

static fl_status sweep(const fl_history *h, sweep_mode mode, fl_check_result *out,
                       fl_check_each_fn each, void *ctx)
{
    size_t n = fl_history_count(h), ne = 0;
    bool probe, source;
    for (size_t i = 0; i < n; i++) {
        sev_roles(fl_history_get(h, i), mode, &probe, &source);
        ne += probe + source;
        out->relevant += probe;
    }
    /* Every anomaly here is a read: with none, nothing to sort (write-only workloads). */
    if (!out->relevant) {
        fl_check_finish(out);
        return FL_OK;
    }
    sev *ev = n <= UINT32_MAX ? fl_malloc(ne * sizeof *ev) : NULL; /* ids fit 32 bits */
    if (!ev)
        return FL_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const fl_op *o = fl_history_get(h, i);
        sev_roles(o, mode, &probe, &source);
        uint64_t grp = mode == STALE ? 0 : o->client;
        if (probe)
            ev[k++] = (sev){grp, o->key, o->invoke, o->value, (uint32_t)i, 0};
        if (source)
            ev[k++] = (sev){grp, o->key, o->complete, o->value, (uint32_t)i, 1};
    }
    sev_sort(ev, ne);
    bool have = false; /* a source so far in this (grp, key): the newest is best_* */
    int64_t best_value = 0;
    size_t best_id = 0;
    for (size_t i = 0; i < ne; i++) {
        if (i && (ev[i].grp != ev[i - 1].grp || ev[i].key != ev[i - 1].key))
            have = false;
        if (ev[i].source) {
            if (!have || ev[i].value > best_value) {
                have = true;
                best_value = ev[i].value;
                best_id = ev[i].id;
            }
            continue;
        }
        if (!have || ev[i].value >= best_value)
            continue;
        const fl_op *o = fl_history_get(h, ev[i].id), *best = fl_history_get(h, best_id);
        out->count++;
        if (each)
            each(ctx, (int)mode, o->invoke);
        if (!fl_check_example_wanted(out, o->invoke, o->key, o->client))
            continue; /* counted; its text would not be kept */
        char a[32], b[32], ts[40];
        vstr(a, sizeof a, o->value);
        vstr(b, sizeof b, best->value);
        fl_check_fmt_s(ts, sizeof ts, best->complete);
        if (mode == STALE)
            fl_check_example_add(out, o->invoke, o->complete, o->key, o->client,
                                 "read %s, but %s was acked at %ss (client %lu)", a, b, ts,
                                 (unsigned long)best->client);
        else if (mode == RYW)
            fl_check_example_add(out, o->invoke, o->complete, o->key, o->client,
                                 "read %s after its own write of %s acked at %ss", a, b, ts);
        else
            fl_check_example_add(out, o->invoke, o->complete, o->key, o->client,
                                 "read %s after reading %s at %ss", a, b, ts);
    }
    fl_free(ev);
    fl_check_finish(out);
    return FL_OK;
}

fl_status fl_check_stale_reads(const fl_history *h, fl_check_result *out)
{
    return fl_check_stale_reads_each(h, out, NULL, NULL);
}

fl_status fl_check_stale_reads_each(const fl_history *h, fl_check_result *out,
                                    fl_check_each_fn each, void *ctx)
{
    fl_check_reset(out);
    fl_status st = sweep(h, STALE, out, each, ctx);
    if (st)
        fl_check_reset(out);
    return st;
}

fl_status fl_check_sessions(const fl_history *h, fl_check_result *ryw, fl_check_result *mono)
{
    return fl_check_sessions_each(h, ryw, mono, NULL, NULL);
}

fl_status fl_check_sessions_each(const fl_history *h, fl_check_result *ryw,
                                 fl_check_result *mono, fl_check_each_fn each, void *ctx)
{
    fl_check_reset(ryw);
    fl_check_reset(mono);
    fl_status st = ryw ? sweep(h, RYW, ryw, each, ctx) : FL_OK;
    if (!st && mono)
        st = sweep(h, MONO, mono, each, ctx);
    if (st) {
        fl_check_reset(ryw);
        fl_check_reset(mono);
    }
    return st;
}

/* ---- acknowledged writes lost -------------------------------------------------------- */

typedef struct kv2 {
    uint64_t key;
    int64_t v;
} kv2;

static int kv2_cmp(const void *pa, const void *pb)
{
    const kv2 *a = pa, *b = pb;
    int c = CMP(a->key, b->key);
    return c ? c : CMP(a->v, b->v);
}

fl_status fl_check_lost_writes(const fl_history *h, const fl_key_versions *final,
                               size_t nkeys, fl_check_result *out)
{
    fl_check_reset(out);
    size_t total = 0;
    for (size_t k = 0; k < nkeys; k++) {
        if (final[k].n && !final[k].versions)
            return FL_INVALID;
        total += final[k].n;
    }
    kv2 *applied = fl_malloc((total ? total : 1) * sizeof *applied);
    if (!applied)
        return FL_NOMEM;
    size_t na = 0;
    for (size_t k = 0; k < nkeys; k++)
        for (size_t j = 0; j < final[k].n; j++)
            applied[na++] = (kv2){final[k].key, final[k].versions[j]};
    qsort(applied, na, sizeof *applied, kv2_cmp);
    for (size_t i = 0; i < fl_history_count(h); i++) {
        const fl_op *o = fl_history_get(h, i);
        if (o->outcome != FL_OP_OK || !is_write(o) || o->value == FL_VALUE_NONE)
            continue;
        out->relevant++;
        kv2 want = {o->key, o->value};
        if (bsearch(&want, applied, na, sizeof *applied, kv2_cmp))
            continue;
        out->count++;
        if (!fl_check_example_wanted(out, o->invoke, o->key, o->client))
            continue; /* counted; its text would not be kept */
        char ts[40];
        fl_check_fmt_s(ts, sizeof ts, o->complete);
        fl_check_example_add(out, o->invoke, o->complete, o->key, o->client,
                             "write of v%lld acked at %ss is not in the final state",
                             (long long)o->value, ts);
    }
    fl_free(applied);
    fl_check_finish(out);
    return FL_OK;
}

/* ---- divergent keys after heal ------------------------------------------------------- */

typedef struct rkv {
    uint64_t key;
    size_t replica;
    int64_t v;
} rkv;

static int rkv_cmp(const void *pa, const void *pb)
{
    const rkv *a = pa, *b = pb;
    int c = CMP(a->key, b->key);
    return c ? c : CMP(a->replica, b->replica);
}

fl_status fl_check_divergence(const fl_replica_state *replicas, size_t nreplicas,
                              fl_check_result *out)
{
    fl_check_reset(out);
    size_t total = 0;
    for (size_t r = 0; r < nreplicas; r++) {
        if (replicas[r].n && !replicas[r].entries)
            return FL_INVALID;
        total += replicas[r].n;
    }
    rkv *all = fl_malloc((total ? total : 1) * sizeof *all);
    if (!all)
        return FL_NOMEM;
    size_t na = 0;
    for (size_t r = 0; r < nreplicas; r++)
        for (size_t j = 0; j < replicas[r].n; j++)
            all[na++] = (rkv){replicas[r].entries[j].key, r, replicas[r].entries[j].version};
    qsort(all, na, sizeof *all, rkv_cmp);
    fl_status st = FL_OK;
    for (size_t i = 0; i < na;) {
        size_t j = i + 1;
        int differ = 0;
        for (; j < na && all[j].key == all[i].key; j++) {
            if (all[j].replica == all[j - 1].replica) {
                st = FL_INVALID; /* a replica lists the key twice */
                goto done;
            }
            differ |= all[j].v != all[i].v;
        }
        out->relevant++;
        if (differ || j - i < nreplicas) {
            out->count++;
            /* compare every replica with replica 0 (missing = nothing); name the first
             * that differs */
            size_t p = i;
            int64_t v0 = all[p].replica == 0 ? all[p].v : FL_VALUE_NONE;
            size_t r = 1;
            int64_t vr = FL_VALUE_NONE;
            for (; r < nreplicas; r++) {
                while (p < j && all[p].replica < r)
                    p++;
                vr = p < j && all[p].replica == r ? all[p].v : FL_VALUE_NONE;
                if (vr != v0)
                    break;
            }
            char a[32], b[32];
            if (fl_check_example_wanted(out, 0, all[i].key, (uint32_t)r))
                fl_check_example_add(out, 0, 0, all[i].key, (uint32_t)r,
                                     "replica 0 has %s, replica %zu has %s",
                                     vstr(a, sizeof a, v0), r, vstr(b, sizeof b, vr));
        }
        i = j;
    }
    fl_check_finish(out);
done:
    fl_free(all);
    if (st)
        fl_check_reset(out);
    return st;
}

/* ---- split-brain time ---------------------------------------------------------------- */

static int iv_cmp(const void *pa, const void *pb)
{
    const fl_leader_interval *a = pa, *b = pb;
    int c = CMP(a->group, b->group);
    if (!c)
        c = CMP(a->node, b->node);
    if (!c)
        c = CMP(a->start, b->start);
    if (!c)
        c = CMP(a->end, b->end);
    return c;
}

/* An interval endpoint: +1 at a start, -1 at an end. */
typedef struct edge {
    uint32_t group, node;
    fl_time t;
    int delta;
} edge;

static int edge_cmp(const void *pa, const void *pb)
{
    const edge *a = pa, *b = pb;
    int c = CMP(a->group, b->group);
    if (!c)
        c = CMP(a->t, b->t);
    if (!c)
        c = CMP(a->delta, b->delta);
    if (!c)
        c = CMP(a->node, b->node);
    return c;
}

fl_status fl_check_split_brain(const fl_leader_interval *iv, size_t n, fl_check_result *out)
{
    fl_check_reset(out);
    fl_leader_interval *u = fl_malloc((n ? n : 1) * sizeof *u);
    edge *e = fl_malloc((n ? 2 * n : 1) * sizeof *e);
    if (!u || !e) {
        fl_free(u);
        fl_free(e);
        return FL_NOMEM;
    }
    size_t nu = 0;
    for (size_t i = 0; i < n; i++)
        if (iv[i].end > iv[i].start) /* [t, t) holds no instant */
            u[nu++] = iv[i];
    /* One node's overlapping intervals merge first: a node is one leader however often
     * it was recorded. Half-open intervals that touch merge too (no gap between them). */
    qsort(u, nu, sizeof *u, iv_cmp);
    size_t m = 0;
    for (size_t i = 0; i < nu; i++) {
        if (m && u[m - 1].group == u[i].group && u[m - 1].node == u[i].node &&
            u[i].start <= u[m - 1].end) {
            if (u[i].end > u[m - 1].end)
                u[m - 1].end = u[i].end;
        } else {
            u[m++] = u[i];
        }
    }
    size_t ne = 0;
    for (size_t i = 0; i < m; i++) {
        e[ne++] = (edge){u[i].group, u[i].node, u[i].start, +1};
        e[ne++] = (edge){u[i].group, u[i].node, u[i].end, -1};
    }
    qsort(e, ne, sizeof *e, edge_cmp);
    /* Sweep each group's distinct times; between two of them the number of leaders is
     * constant, so a batch of edges at one time is applied at once (a leader handing
     * over at t to another while a third stays is one period, not two). */
    fl_time split_total = 0, led_total = 0;
    for (size_t i = 0; i < ne;) {
        uint32_t g = e[i].group;
        int active = 0, peak = 0;
        fl_time prev = e[i].t, open_at = 0;
        uint32_t opener = 0;
        while (i < ne && e[i].group == g) {
            fl_time t = e[i].t;
            int before = active;
            uint32_t first_start = UINT32_MAX;
            for (; i < ne && e[i].group == g && e[i].t == t; i++) {
                active += e[i].delta;
                if (e[i].delta > 0 && first_start == UINT32_MAX)
                    first_start = e[i].node;
            }
            if (before >= 1)
                led_total += t - prev;
            if (before >= 2)
                split_total += t - prev;
            if (before < 2 && active >= 2) {
                open_at = t;
                opener = first_start;
                peak = active;
            } else if (before >= 2 && active >= 2 && active > peak) {
                peak = active;
            } else if (before >= 2 && active < 2) {
                char a[40], d[40];
                fl_check_fmt_s(a, sizeof a, open_at);
                fl_check_fmt_s(d, sizeof d, t - open_at);
                out->count++;
                fl_check_example_add(out, open_at, t, g, opener,
                                     "node %lu became a second leader of group %lu at %ss: "
                                     "up to %d leaders for %ss",
                                     (unsigned long)opener, (unsigned long)g, a, peak, d);
            }
            prev = t;
        }
    }
    out->duration = split_total;
    out->relevant = (uint64_t)led_total;
    out->rate = led_total ? (double)split_total / (double)led_total : 0;
    fl_free(u);
    fl_free(e);
    return FL_OK;
}

/* ---- duplicate and lost message processing ------------------------------------------- */

static int u64_cmp(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return CMP(a, b);
}

static int msg_cmp(const void *pa, const void *pb)
{
    const fl_msg_event *a = pa, *b = pb;
    int c = CMP(a->msg, b->msg);
    if (!c)
        c = CMP(a->t, b->t);
    if (!c)
        c = CMP(a->consumer, b->consumer);
    return c;
}

fl_status fl_check_messages(const uint64_t *produced, size_t nproduced,
                            const fl_msg_event *processed, size_t nprocessed,
                            fl_check_result *dup, fl_check_result *lost)
{
    fl_check_reset(dup);
    fl_check_reset(lost);
    if ((nproduced && !produced) || (nprocessed && !processed))
        return FL_INVALID;
    uint64_t *p = fl_malloc((nproduced ? nproduced : 1) * sizeof *p);
    fl_msg_event *q = fl_malloc((nprocessed ? nprocessed : 1) * sizeof *q);
    if (!p || !q) {
        fl_free(p);
        fl_free(q);
        return FL_NOMEM;
    }
    if (nproduced) /* memcpy from NULL is undefined even for 0 bytes */
        memcpy(p, produced, nproduced * sizeof *p);
    if (nprocessed)
        memcpy(q, processed, nprocessed * sizeof *q);
    qsort(p, nproduced, sizeof *p, u64_cmp);
    qsort(q, nprocessed, sizeof *q, msg_cmp);
    fl_check_result dummy_d, dummy_l;
    fl_check_result *d = dup ? dup : &dummy_d, *l = lost ? lost : &dummy_l;
    fl_check_reset(d);
    fl_check_reset(l);
    size_t j = 0;
    for (size_t i = 0; i < nproduced; i++) {
        if (i && p[i] == p[i - 1])
            continue; /* produced twice is still one message */
        d->relevant++;
        l->relevant++;
        while (j < nprocessed && q[j].msg < p[i])
            j++;
        size_t k = j;
        while (k < nprocessed && q[k].msg == p[i])
            k++;
        if (k == j) {
            l->count++;
            fl_check_example_add(l, 0, 0, p[i], 0, "message %llu was never processed",
                                 (unsigned long long)p[i]);
        } else if (k - j > 1) {
            char a[40], b[40];
            d->count++;
            fl_check_fmt_s(a, sizeof a, q[j].t);
            fl_check_fmt_s(b, sizeof b, q[j + 1].t);
            fl_check_example_add(d, q[j].t, q[j + 1].t, p[i], q[j + 1].consumer,
                                 "message %llu processed %zu times: by consumer %lu at %ss, "
                                 "again by %lu at %ss",
                                 (unsigned long long)p[i], k - j,
                                 (unsigned long)q[j].consumer, a,
                                 (unsigned long)q[j + 1].consumer, b);
        }
        j = k;
    }
    fl_check_finish(d);
    fl_check_finish(l);
    fl_free(p);
    fl_free(q);
    return FL_OK;
}

/* ---- mutual exclusion ---------------------------------------------------------------- */

static int fw_cmp(const void *pa, const void *pb)
{
    const fl_fenced_write *a = pa, *b = pb;
    int c = CMP(a->client, b->client);
    if (!c)
        c = CMP(a->token, b->token);
    if (!c)
        c = CMP(a->t, b->t);
    return c;
}

static int hold_cmp(const void *pa, const void *pb)
{
    const fl_lock_hold *a = pa, *b = pb;
    int c = CMP(a->start, b->start);
    if (!c)
        c = CMP(a->end, b->end);
    if (!c)
        c = CMP(a->client, b->client);
    if (!c)
        c = CMP(a->token, b->token);
    return c;
}

/* The time of the first of the sorted accepted writes by (client, token) with
 * a <= t < b, or -1 when there is none. */
static fl_time first_write(const fl_fenced_write *w, size_t n, uint32_t client, int64_t token,
                           fl_time a, fl_time b);

/* Whether the sorted accepted writes hold one by (client, token) with a <= t < b. */
static int wrote_in(const fl_fenced_write *w, size_t n, uint32_t client, int64_t token,
                    fl_time a, fl_time b)
{
    return first_write(w, n, client, token, a, b) >= 0;
}

static fl_time first_write(const fl_fenced_write *w, size_t n, uint32_t client, int64_t token,
                           fl_time a, fl_time b)
{
    size_t lo = 0, hi = n; /* first index not below (client, token, a) */
    fl_fenced_write key = {client, token, a, 1};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fw_cmp(&w[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && w[lo].client == client && w[lo].token == token && w[lo].t < b ? w[lo].t
                                                                                   : -1;
}

fl_status fl_check_mutex(const fl_lock_hold *holds, size_t nholds,
                         const fl_fenced_write *writes, size_t nwrites,
                         fl_check_result *violations, fl_check_result *fenced)
{
    fl_check_reset(violations);
    fl_check_reset(fenced);
    if ((nholds && !holds) || (nwrites && !writes))
        return FL_INVALID;
    fl_lock_hold *hs = fl_malloc((nholds ? nholds : 1) * sizeof *hs);
    fl_fenced_write *ws = fl_malloc((nwrites ? nwrites : 1) * sizeof *ws);
    if (!hs || !ws) {
        fl_free(hs);
        fl_free(ws);
        return FL_NOMEM;
    }
    fl_check_result dummy_v, dummy_f;
    fl_check_result *v = violations ? violations : &dummy_v;
    fl_check_result *f = fenced ? fenced : &dummy_f;
    fl_check_reset(v);
    fl_check_reset(f);
    size_t nw = 0;
    for (size_t i = 0; i < nwrites; i++) {
        f->relevant++;
        if (writes[i].accepted) {
            ws[nw++] = writes[i];
            continue;
        }
        f->count++;
        char ts[40];
        fl_check_fmt_s(ts, sizeof ts, writes[i].t);
        fl_check_example_add(f, writes[i].t, writes[i].t, (uint64_t)writes[i].token,
                             writes[i].client,
                             "write by client %lu with stale token %lld rejected at %ss",
                             (unsigned long)writes[i].client, (long long)writes[i].token, ts);
    }
    qsort(ws, nw, sizeof *ws, fw_cmp);
    size_t nh = 0;
    for (size_t i = 0; i < nholds; i++)
        if (holds[i].end > holds[i].start)
            hs[nh++] = holds[i];
    v->relevant = nholds;
    qsort(hs, nh, sizeof *hs, hold_cmp);
    /* Holds sorted by start: those overlapping hold i and starting no earlier are the run
     * of holds after i that start before i ends. */
    for (size_t i = 0; i < nh; i++) {
        for (size_t j = i + 1; j < nh && hs[j].start < hs[i].end; j++) {
            if (hs[j].client == hs[i].client)
                continue;
            fl_time a = hs[j].start, b = hs[i].end < hs[j].end ? hs[i].end : hs[j].end;
            char ta[40], tb[40];
            if (!wrote_in(ws, nw, hs[i].client, hs[i].token, a, b) ||
                !wrote_in(ws, nw, hs[j].client, hs[j].token, a, b)) {
                /* The newer holder wrote inside the overlap and the older one wrote after
                 * it, still believing it held the lock: the newer write is lost. */
                fl_time tj = first_write(ws, nw, hs[j].client, hs[j].token, a, b);
                fl_time ti = tj < 0 ? -1
                                    : first_write(ws, nw, hs[i].client, hs[i].token, tj,
                                                  hs[i].end);
                if (ti < 0)
                    continue;
                v->count++;
                fl_check_fmt_s(ta, sizeof ta, tj);
                fl_check_fmt_s(tb, sizeof tb, ti);
                fl_check_example_add(v, tj, ti, (uint64_t)hs[i].token, hs[i].client,
                                     "client %lu (token %lld) wrote at %ss; client %lu "
                                     "(token %lld, held first) overwrote it at %ss",
                                     (unsigned long)hs[j].client, (long long)hs[j].token, ta,
                                     (unsigned long)hs[i].client, (long long)hs[i].token, tb);
                continue;
            }
            v->count++;
            fl_check_fmt_s(ta, sizeof ta, a);
            fl_check_fmt_s(tb, sizeof tb, b);
            fl_check_example_add(v, a, b, (uint64_t)hs[j].token, hs[j].client,
                                 "clients %lu (token %lld) and %lu (token %lld) both wrote "
                                 "holding the lock between %ss and %ss",
                                 (unsigned long)hs[i].client, (long long)hs[i].token,
                                 (unsigned long)hs[j].client, (long long)hs[j].token, ta, tb);
        }
    }
    fl_check_finish(v);
    fl_check_finish(f);
    fl_free(hs);
    fl_free(ws);
    return FL_OK;
}
