/* The consistency layer: the history and its history.jsonl text, every checker on
 * hand-built histories with exact counts (edge cases: same-instant ack and invocation,
 * zero-length intervals, three-way overlaps, info ops), the linearizability search
 * (classic violations, concurrency, budgets, a 10^4-op random history) and allocation
 * failures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/check.h>

#include "core/alloc.h"
#include "testutil.h"

#define NONE FL_VALUE_NONE
#define OK FL_OP_OK
#define FAIL FL_OP_FAIL
#define INFO FL_OP_INFO

static fl_op mk(fl_op_kind k, uint32_t client, uint64_t key, fl_time inv, fl_time done,
                fl_op_outcome out, int64_t value)
{
    fl_op o = {.invoke = inv, .complete = done, .key = key, .value = value, .expect = NONE,
               .token = FL_TOKEN_NONE, .client = client, .node = 0, .kind = k,
               .outcome = out};
    return o;
}

static void add(fl_history *h, fl_op o) { ck_assert_int_eq(fl_history_add(h, &o, NULL), FL_OK); }

static void R(fl_history *h, uint32_t c, uint64_t k, fl_time a, fl_time b, int64_t v)
{
    add(h, mk(FL_OP_READ, c, k, a, b, OK, v));
}

static void W(fl_history *h, uint32_t c, uint64_t k, fl_time a, fl_time b, fl_op_outcome out,
              int64_t v)
{
    add(h, mk(FL_OP_WRITE, c, k, a, b, out, v));
}

static void CAS(fl_history *h, uint32_t c, uint64_t k, fl_time a, fl_time b, fl_op_outcome out,
                int64_t expect, int64_t v)
{
    fl_op o = mk(FL_OP_CAS, c, k, a, b, out, v);
    o.expect = expect;
    add(h, o);
}

static char *jsonl(const fl_history *h)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(fl_history_write_jsonl(h, f), FL_OK);
    fclose(f);
    return buf;
}

/* ---- history ---- */

/* A history long enough to span slabs of every size (1 to 128 chunks of 1,024 ops): every
 * op reads back as written, and pointers stay put as the history grows. Then one that runs
 * out of memory at each allocation in turn refuses that op and keeps every earlier one. */
START_TEST(history_spans_slabs)
{
    enum { N = 300000 };
    fl_history *h = fl_history_new();
    const fl_op *first = NULL;
    for (size_t i = 0; i < N; i++) {
        fl_op o = mk(i % 3 ? FL_OP_READ : FL_OP_WRITE, (uint32_t)(i % 97), i * 7,
                     (fl_time)i, (fl_time)i + 5, OK, (int64_t)i);
        size_t id;
        ck_assert_int_eq(fl_history_add(h, &o, &id), FL_OK);
        ck_assert_uint_eq(id, i);
        if (i == 0)
            first = fl_history_get(h, 0);
    }
    ck_assert_ptr_eq(fl_history_get(h, 0), first);
    ck_assert_uint_eq(fl_history_count(h), N);
    for (size_t i = 0; i < N; i++) {
        const fl_op *o = fl_history_get(h, i);
        if (o->key != i * 7 || o->value != (int64_t)i || o->invoke != (fl_time)i ||
            o->client != i % 97)
            ck_abort_msg("op %zu reads back wrong", i);
    }
    ck_assert_ptr_null(fl_history_get(h, N));
    fl_history_free(h);
    for (long k = 1; k <= 12; k++) {
        h = fl_history_new();
        size_t kept = 0;
        fl_alloc_fail_after(k);
        for (size_t i = 0; i < 2 * 1024 * 16; i++) {
            fl_op o = mk(FL_OP_READ, 1, i, (fl_time)i, (fl_time)i + 1, OK, (int64_t)i);
            if (fl_history_add(h, &o, NULL) != FL_OK)
                break;
            kept++;
        }
        fl_alloc_fail_after(0);
        if (!h) /* the history itself was the allocation refused */
            continue;
        ck_assert_uint_eq(fl_history_count(h), kept);
        for (size_t i = 0; i < kept; i++)
            ck_assert_int_eq(fl_history_get(h, i)->value, (int64_t)i);
        fl_history_free(h);
    }
}
END_TEST

START_TEST(history_record)
{
    fl_history *h = fl_history_new();
    fl_op w = mk(FL_OP_WRITE, 3, 42, 1500 * FL_US, 0, OK, 7);
    w.node = FL_NODE_NONE;
    size_t id = 99;
    ck_assert_int_eq(fl_history_invoke(h, &w, &id), FL_OK);
    ck_assert_uint_eq(id, 0);
    const fl_op *o = fl_history_get(h, 0);
    ck_assert_int_eq(o->outcome, FL_OP_PENDING);
    ck_assert_int_eq(o->complete, FL_TIME_NEVER);
    fl_op r = mk(FL_OP_READ, 4, 42, 1600 * FL_US, 0, OK, NONE);
    ck_assert_int_eq(fl_history_invoke(h, &r, &id), FL_OK);
    ck_assert_uint_eq(id, 1);
    /* bad completions */
    ck_assert_int_eq(fl_history_complete(h, 2, 2 * FL_MS, OK, 7, 1), FL_INVALID);
    ck_assert_int_eq(fl_history_complete(h, 0, FL_MS, OK, 7, 1), FL_INVALID); /* early */
    ck_assert_int_eq(fl_history_complete(h, 0, 2 * FL_MS, FL_OP_PENDING, 7, 1),
                     FL_INVALID);
    ck_assert_int_eq(fl_history_complete(h, 0, 2 * FL_MS, OK, FL_VALUE_KEEP, 1), FL_OK);
    ck_assert_int_eq(fl_history_complete(h, 0, 3 * FL_MS, OK, 7, 1), FL_INVALID); /* twice */
    ck_assert_int_eq(o->value, 7);
    ck_assert_uint_eq(o->node, 1);
    ck_assert_int_eq(o->complete, 2 * FL_MS);
    ck_assert_int_eq(fl_history_complete(h, 1, 1900 * FL_US, OK, 7, FL_NODE_NONE), FL_OK);
    ck_assert_int_eq(fl_history_get(h, 1)->value, 7);
    ck_assert_uint_eq(fl_history_get(h, 1)->node, 0); /* kept */
    ck_assert_int_eq(fl_history_set_token(h, 1, 5), FL_OK);
    ck_assert_int_eq(fl_history_set_token(h, 2, 5), FL_INVALID);
    ck_assert_ptr_null(fl_history_get(h, 2));
    /* add: whole ops, validated */
    fl_op bad = mk(FL_OP_READ, 1, 1, 10, 5, OK, 1);
    ck_assert_int_eq(fl_history_add(h, &bad, NULL), FL_INVALID);
    bad = mk(FL_OP_READ, 1, 1, 10, 20, FL_OP_PENDING, 1);
    ck_assert_int_eq(fl_history_add(h, &bad, NULL), FL_INVALID);
    bad = mk((fl_op_kind)77, 1, 1, 10, 20, OK, 1);
    ck_assert_int_eq(fl_history_add(h, &bad, NULL), FL_INVALID);
    ck_assert_int_eq(fl_history_invoke(h, &bad, NULL), FL_INVALID);
    ck_assert_uint_eq(fl_history_count(h), 2);
    /* growth across chunks: earlier pointers stay valid */
    for (int i = 0; i < 5000; i++)
        W(h, 1, (uint64_t)i, i, i + 1, OK, i);
    ck_assert_uint_eq(fl_history_count(h), 5002);
    ck_assert_ptr_eq(fl_history_get(h, 0), o);
    ck_assert_int_eq(fl_history_get(h, 5001)->value, 4999);
    ck_assert_str_eq(fl_op_kind_name(FL_OP_CAS), "cas");
    ck_assert_str_eq(fl_op_kind_name(FL_OP_PROCESS), "process");
    ck_assert_str_eq(fl_op_outcome_name(INFO), "info");
    fl_history_free(h);
    fl_history_free(NULL);
}
END_TEST

static fl_history *sample(void)
{
    fl_history *h = fl_history_new();
    fl_op w = mk(FL_OP_WRITE, 3, 42, 1500 * FL_US, 0, OK, 7);
    w.node = FL_NODE_NONE;
    size_t id;
    fl_history_invoke(h, &w, &id);
    fl_history_complete(h, id, 2 * FL_SEC + 1, OK, FL_VALUE_KEEP, 1);
    fl_op c = mk(FL_OP_CAS, 4, 42, 3 * FL_SEC, 0, OK, 9);
    c.expect = 7;
    fl_history_invoke(h, &c, &id);
    fl_op r = mk(FL_OP_READ, 5, 18446744073709551615u, 0, 0, OK, NONE);
    fl_history_invoke(h, &r, &id);
    fl_history_complete(h, id, 120 * FL_SEC, INFO, NONE, 2);
    fl_op a = mk(FL_OP_ACQUIRE, 6, 1, 7, 0, OK, NONE);
    fl_history_invoke(h, &a, &id);
    fl_history_complete(h, id, 8, OK, NONE, 0);
    fl_history_set_token(h, id, 33);
    return h;
}

START_TEST(jsonl_exact)
{
    fl_history *h = sample();
    char *text = jsonl(h);
    ck_assert_str_eq(
        text,
        "{\"id\":0,\"op\":\"write\",\"client\":3,\"key\":42,\"node\":1,\"invoke_ns\":1500000,"
        "\"invoke_s\":0.0015,\"complete_ns\":2000000001,\"complete_s\":2.000000001,"
        "\"outcome\":\"ok\",\"value\":7,\"expect\":null,\"token\":null}\n"
        "{\"id\":1,\"op\":\"cas\",\"client\":4,\"key\":42,\"node\":0,\"invoke_ns\":3000000000,"
        "\"invoke_s\":3,\"complete_ns\":null,\"complete_s\":null,\"outcome\":\"pending\","
        "\"value\":9,\"expect\":7,\"token\":null}\n"
        "{\"id\":2,\"op\":\"read\",\"client\":5,\"key\":18446744073709551615,\"node\":2,"
        "\"invoke_ns\":0,\"invoke_s\":0,\"complete_ns\":120000000000,\"complete_s\":120,"
        "\"outcome\":\"info\",\"value\":null,\"expect\":null,\"token\":null}\n"
        "{\"id\":3,\"op\":\"acquire\",\"client\":6,\"key\":1,\"node\":0,\"invoke_ns\":7,"
        "\"invoke_s\":0.000000007,\"complete_ns\":8,\"complete_s\":0.000000008,"
        "\"outcome\":\"ok\",\"value\":null,\"expect\":null,\"token\":33}\n");
    /* byte-identical for the same history, built twice */
    fl_history *h2 = sample();
    char *text2 = jsonl(h2);
    ck_assert_str_eq(text, text2);
    free(text);
    free(text2);
    fl_history_free(h);
    fl_history_free(h2);
}
END_TEST

/* ---- stale reads and sessions ---- */

START_TEST(stale_reads)
{
    fl_history *h = fl_history_new();
    W(h, 1, 1, 0, 10, OK, 1);
    R(h, 2, 1, 5, 12, NONE);  /* concurrent with the write: not stale */
    R(h, 2, 1, 10, 12, NONE); /* invoked at the very instant of the ack: concurrent */
    R(h, 3, 1, 11, 13, NONE); /* invoked after the ack: stale */
    R(h, 3, 1, 20, 21, 1);
    W(h, 2, 1, 30, 40, OK, 2);
    R(h, 4, 1, 35, 45, 1); /* concurrent with v2: fine */
    R(h, 4, 1, 41, 45, 1); /* after v2's ack: stale */
    R(h, 4, 2, 41, 45, NONE); /* another key */
    W(h, 1, 1, 50, 60, FAIL, 9);  /* did not happen */
    W(h, 1, 1, 50, 60, INFO, 8);  /* not acknowledged */
    R(h, 5, 1, 70, 80, 2);
    add(h, mk(FL_OP_READ, 5, 1, 70, 80, FAIL, NONE)); /* a failed read is no evidence */
    CAS(h, 6, 1, 90, 100, OK, 2, 3);
    R(h, 6, 1, 101, 102, 2); /* older than the cas: stale */
    fl_check_result r;
    ck_assert_int_eq(fl_check_stale_reads(h, &r), FL_OK);
    ck_assert_uint_eq(r.count, 3);
    ck_assert_uint_eq(r.relevant, 9);
    ck_assert_double_eq_tol(r.rate, 3.0 / 9, 1e-12);
    ck_assert_uint_eq(r.nexamples, 3);
    ck_assert_int_eq(r.examples[0].t0, 11);
    ck_assert_int_eq(r.examples[0].t1, 13);
    ck_assert_uint_eq(r.examples[0].client, 3);
    ck_assert_uint_eq(r.examples[0].key, 1);
    ck_assert_str_eq(r.examples[0].text, "read nothing, but v1 was acked at 0.00000001s (client 1)");
    ck_assert_int_eq(r.examples[1].t0, 41);
    ck_assert_int_eq(r.examples[2].t0, 101);
    fl_history_free(h);
}
END_TEST

START_TEST(stale_examples_earliest_five)
{
    fl_history *h = fl_history_new();
    W(h, 1, 1, 0, 1, OK, 5);
    for (int i = 20; i > 0; i--) /* recorded latest first */
        R(h, 2, 1, 10 * i, 10 * i + 1, 4);
    fl_check_result r;
    ck_assert_int_eq(fl_check_stale_reads(h, &r), FL_OK);
    ck_assert_uint_eq(r.count, 20);
    ck_assert_uint_eq(r.nexamples, 5);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(r.examples[i].t0, 10 * (i + 1));
    fl_history_free(h);
}
END_TEST

START_TEST(sessions)
{
    fl_history *h = fl_history_new();
    W(h, 1, 1, 0, 10, OK, 1);
    R(h, 1, 1, 20, 25, NONE); /* older than its own acked v1: ryw (and stale) */
    R(h, 2, 1, 20, 25, NONE); /* someone else's write: stale, but no session violation */
    R(h, 3, 2, 0, 10, 5);
    R(h, 3, 2, 5, 15, 3);  /* overlaps the v5 read: not monotonic-read violation */
    R(h, 3, 2, 20, 30, 4); /* after reading v5: violation */
    R(h, 3, 2, 40, 50, 5);
    R(h, 3, 3, 60, 70, NONE); /* another key: fine */
    W(h, 4, 2, 0, 5, OK, 9);
    R(h, 4, 2, 6, 7, 9);
    R(h, 4, 2, 8, 9, 5); /* both: older than its own write and than its previous read */
    fl_check_result ryw, mono;
    ck_assert_int_eq(fl_check_sessions(h, &ryw, &mono), FL_OK);
    ck_assert_uint_eq(ryw.count, 2);
    ck_assert_uint_eq(ryw.relevant, 9);
    ck_assert_uint_eq(mono.count, 2);
    ck_assert_uint_eq(mono.relevant, 9);
    ck_assert_uint_eq(ryw.nexamples, 2);
    ck_assert_int_eq(ryw.examples[0].t0, 8);
    ck_assert_uint_eq(ryw.examples[0].client, 4);
    ck_assert_int_eq(ryw.examples[1].t0, 20);
    ck_assert_uint_eq(ryw.examples[1].client, 1);
    ck_assert_str_eq(ryw.examples[1].text, "read nothing after its own write of v1 acked at 0.00000001s");
    ck_assert_int_eq(mono.examples[0].t0, 8);
    ck_assert_int_eq(mono.examples[1].t0, 20);
    ck_assert_str_eq(mono.examples[1].text, "read v4 after reading v5 at 0.00000001s");
    /* one result only */
    ck_assert_int_eq(fl_check_sessions(h, NULL, &mono), FL_OK);
    ck_assert_uint_eq(mono.count, 2);
    fl_history_free(h);
}
END_TEST

/* Random histories of 6,000 ops (8 clients, 16 keys, times with many ties, and once in
 * time order, once reversed): the sweeps' counts against a direct definition. A read is
 * stale when some acked write of its key (ryw: by its client) or, for monotonic reads,
 * some earlier read of its key by its client, completed strictly before it was invoked
 * with a newer value. */
static size_t naive(const fl_history *h, int mode)
{
    size_t n = fl_history_count(h), count = 0;
    for (size_t i = 0; i < n; i++) {
        const fl_op *r = fl_history_get(h, i);
        if (r->outcome != OK || r->kind != FL_OP_READ)
            continue;
        for (size_t j = 0; j < n; j++) {
            const fl_op *w = fl_history_get(h, j);
            bool src = mode == 2 ? w->kind == FL_OP_READ
                                 : w->kind != FL_OP_READ && w->value != NONE;
            if (w->outcome == OK && src && w->key == r->key && w->complete < r->invoke &&
                (mode == 0 || w->client == r->client) && w->value > r->value) {
                count++;
                break;
            }
        }
    }
    return count;
}

START_TEST(sweeps_match_definition)
{
    for (int order = 0; order < 3; order++) {
        fl_history *h = fl_history_new();
        uint64_t x = 88172645463325252ull + (uint64_t)order;
        for (int i = 0; i < 6000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            fl_time t = order == 0 ? (fl_time)(x % 1000) : order == 1 ? i / 6 : (6000 - i) / 6;
            fl_time d = (fl_time)((x >> 20) % 5);
            bool read = (x >> 30) % 3 != 0;
            int64_t v = (x >> 34) % 7 == 0 ? NONE : (int64_t)((x >> 40) % 50);
            fl_op_outcome out = (x >> 50) % 10 == 0 ? FAIL : OK;
            add(h, mk(read ? FL_OP_READ : FL_OP_WRITE, (uint32_t)((x >> 56) % 8),
                      (x >> 60) % 16, t, t + d, out, v));
        }
        fl_check_result stale, ryw, mono;
        ck_assert_int_eq(fl_check_stale_reads(h, &stale), FL_OK);
        ck_assert_int_eq(fl_check_sessions(h, &ryw, &mono), FL_OK);
        ck_assert_uint_eq(stale.count, naive(h, 0));
        ck_assert_uint_eq(ryw.count, naive(h, 1));
        ck_assert_uint_eq(mono.count, naive(h, 2));
        ck_assert_uint_gt(stale.count, 100); /* the case is not vacuous */
        ck_assert_uint_gt(mono.count, 100);
        fl_history_free(h);
    }
}
END_TEST

/* ---- lost writes, divergence ---- */

START_TEST(lost_writes)
{
    fl_history *h = fl_history_new();
    W(h, 1, 1, 0, 10, OK, 1);
    W(h, 2, 1, 20, 30, OK, 2);
    W(h, 1, 1, 40, 50, OK, 3);
    W(h, 1, 2, 40, 50, OK, 5);   /* key 2: absent from the final state */
    W(h, 1, 3, 40, 50, FAIL, 7); /* not acknowledged: not judged */
    W(h, 1, 3, 40, 50, INFO, 8);
    R(h, 1, 1, 60, 70, 3);
    const int64_t k1[] = {3, 1, 1}; /* any order, duplicates allowed */
    const int64_t k9[] = {4};
    fl_key_versions fin[] = {{1, k1, 3}, {9, k9, 1}, {3, NULL, 0}};
    fl_check_result r;
    ck_assert_int_eq(fl_check_lost_writes(h, fin, 3, &r), FL_OK);
    ck_assert_uint_eq(r.count, 2);
    ck_assert_uint_eq(r.relevant, 4);
    ck_assert_double_eq(r.rate, 0.5);
    ck_assert_int_eq(r.examples[0].t0, 20);
    ck_assert_uint_eq(r.examples[0].key, 1);
    ck_assert_str_eq(r.examples[0].text, "write of v2 acked at 0.00000003s is not in the final state");
    ck_assert_uint_eq(r.examples[1].key, 2);
    fin[0].versions = NULL;
    ck_assert_int_eq(fl_check_lost_writes(h, fin, 3, &r), FL_INVALID);
    ck_assert_int_eq(fl_check_lost_writes(h, NULL, 0, &r), FL_OK);
    ck_assert_uint_eq(r.count, 4); /* nothing survived */
    fl_history_free(h);
}
END_TEST

START_TEST(divergence)
{
    const fl_kv r0[] = {{1, 5}, {2, 3}, {3, 1}};
    const fl_kv r1[] = {{4, 2}, {2, 4}, {1, 5}};
    const fl_kv r2[] = {{1, 5}, {2, 3}, {3, 1}};
    fl_replica_state reps[] = {{r0, 3}, {r1, 3}, {r2, 3}};
    fl_check_result r;
    ck_assert_int_eq(fl_check_divergence(reps, 3, &r), FL_OK);
    ck_assert_uint_eq(r.count, 3); /* key 2 differs, key 3 missing on r1, key 4 only on r1 */
    ck_assert_uint_eq(r.relevant, 4);
    ck_assert_uint_eq(r.nexamples, 3);
    ck_assert_uint_eq(r.examples[0].key, 2);
    ck_assert_str_eq(r.examples[0].text, "replica 0 has v3, replica 1 has v4");
    ck_assert_str_eq(r.examples[1].text, "replica 0 has v1, replica 1 has nothing");
    ck_assert_str_eq(r.examples[2].text, "replica 0 has nothing, replica 1 has v2");
    /* agreeing replicas, a single replica, none */
    ck_assert_int_eq(fl_check_divergence(reps, 1, &r), FL_OK);
    ck_assert_uint_eq(r.count, 0);
    ck_assert_uint_eq(r.relevant, 3);
    fl_replica_state same[] = {{r0, 3}, {r2, 3}};
    ck_assert_int_eq(fl_check_divergence(same, 2, &r), FL_OK);
    ck_assert_uint_eq(r.count, 0);
    ck_assert_int_eq(fl_check_divergence(NULL, 0, &r), FL_OK);
    ck_assert_uint_eq(r.relevant, 0);
    ck_assert_double_eq(r.rate, 0);
    const fl_kv twice[] = {{1, 5}, {1, 6}};
    fl_replica_state bad[] = {{r0, 3}, {twice, 2}};
    ck_assert_int_eq(fl_check_divergence(bad, 2, &r), FL_INVALID);
    ck_assert_uint_eq(r.count, 0);
}
END_TEST

/* ---- split brain ---- */

START_TEST(split_brain)
{
    const fl_leader_interval iv[] = {
        /* group 0: nodes 1, 2 overlap on [50, 100); node 3 inside makes three at once,
         * counted once; node 1's second record overlaps itself; node 4's is empty */
        {1, 0, 0, 100},
        {2, 0, 50, 150},
        {3, 0, 60, 70},
        {1, 0, 20, 80},
        {4, 0, 90, 90},
        /* group 1: touching intervals do not overlap; a hand-over at 260 from node 4 to
         * node 5 while node 3 leads is one period [250, 270) */
        {1, 1, 0, 10},
        {2, 1, 10, 20},
        {3, 1, 200, 300},
        {4, 1, 250, 260},
        {5, 1, 260, 270},
    };
    fl_check_result r;
    ck_assert_int_eq(fl_check_split_brain(iv, sizeof iv / sizeof iv[0], &r), FL_OK);
    ck_assert_int_eq(r.duration, 70);
    ck_assert_uint_eq(r.count, 2);
    ck_assert_uint_eq(r.relevant, 150 + 120);
    ck_assert_double_eq_tol(r.rate, 70.0 / 270, 1e-12);
    ck_assert_uint_eq(r.nexamples, 2);
    ck_assert_int_eq(r.examples[0].t0, 50);
    ck_assert_int_eq(r.examples[0].t1, 100);
    ck_assert_uint_eq(r.examples[0].key, 0);
    ck_assert_uint_eq(r.examples[0].client, 2);
    ck_assert_str_eq(r.examples[0].text, "node 2 became a second leader of group 0 at "
                                         "0.00000005s: up to 3 leaders for 0.00000005s");
    ck_assert_int_eq(r.examples[1].t0, 250);
    ck_assert_int_eq(r.examples[1].t1, 270);
    /* only empty intervals; none at all */
    const fl_leader_interval empty[] = {{1, 0, 5, 5}, {2, 0, 5, 5}, {3, 0, 9, 2}};
    ck_assert_int_eq(fl_check_split_brain(empty, 3, &r), FL_OK);
    ck_assert_int_eq(r.duration, 0);
    ck_assert_uint_eq(r.count, 0);
    ck_assert_int_eq(fl_check_split_brain(NULL, 0, &r), FL_OK);
    ck_assert_uint_eq(r.relevant, 0);
    /* seconds scale */
    const fl_leader_interval big[] = {{1, 0, 30 * FL_SEC, 73 * FL_SEC},
                                      {2, 0, 31 * FL_SEC, 80 * FL_SEC}};
    ck_assert_int_eq(fl_check_split_brain(big, 2, &r), FL_OK);
    ck_assert_int_eq(r.duration, 42 * FL_SEC);
}
END_TEST

/* ---- messages, mutual exclusion ---- */

START_TEST(messages)
{
    const uint64_t produced[] = {5, 1, 2, 3, 4, 5};
    const fl_msg_event done[] = {
        {2, 1, 30}, {1, 1, 10}, {2, 2, 20}, {3, 1, 40}, {9, 1, 50}, {2, 1, 60}, {3, 3, 45},
        {5, 2, 70},
    };
    fl_check_result dup, lost;
    ck_assert_int_eq(fl_check_messages(produced, 6, done, 8, &dup, &lost), FL_OK);
    ck_assert_uint_eq(dup.count, 2);
    ck_assert_uint_eq(dup.relevant, 5);
    ck_assert_uint_eq(lost.count, 1);
    ck_assert_uint_eq(lost.relevant, 5);
    ck_assert_double_eq(lost.rate, 0.2);
    ck_assert_uint_eq(lost.examples[0].key, 4);
    ck_assert_str_eq(lost.examples[0].text, "message 4 was never processed");
    ck_assert_uint_eq(dup.examples[0].key, 2);
    ck_assert_int_eq(dup.examples[0].t0, 20);
    ck_assert_int_eq(dup.examples[0].t1, 30);
    ck_assert_str_eq(dup.examples[0].text, "message 2 processed 3 times: by consumer 2 at "
                                           "0.00000002s, again by 1 at 0.00000003s");
    ck_assert_uint_eq(dup.examples[1].key, 3);
    ck_assert_int_eq(fl_check_messages(produced, 6, NULL, 0, NULL, &lost), FL_OK);
    ck_assert_uint_eq(lost.count, 5);
    ck_assert_int_eq(fl_check_messages(NULL, 3, NULL, 0, &dup, &lost), FL_INVALID);
}
END_TEST

START_TEST(mutex)
{
    const fl_lock_hold holds[] = {
        {1, 1, 0, 100},    {2, 2, 50, 150},   /* both write inside [50, 100): violation */
        {3, 3, 200, 300},  {4, 4, 250, 350},  /* 3 wrote before the overlap only */
        {5, 5, 400, 500},  {6, 6, 400, 400},  /* an empty hold overlaps nothing */
        {7, 7, 600, 700},  {8, 8, 600, 700},  {9, 9, 600, 700}, /* three pairs */
        {1, 10, 800, 900}, {1, 11, 850, 950}, /* one client twice: not a violation */
    };
    const fl_fenced_write writes[] = {
        {1, 1, 10, 1},   {1, 1, 60, 1},   {2, 2, 70, 1},   {3, 3, 210, 1}, {4, 4, 260, 1},
        {3, 3, 270, 0}, /* rejected by fencing */
        {5, 5, 400, 1},  {6, 6, 400, 1},  {7, 7, 650, 1},  {8, 8, 650, 1}, {9, 9, 699, 1},
        {1, 10, 860, 1}, {1, 11, 860, 1},
        {2, 1, 60, 1}, /* client 2 with client 1's token: belongs to no hold */
    };
    size_t nh = sizeof holds / sizeof holds[0], nw = sizeof writes / sizeof writes[0];
    fl_check_result v, f;
    ck_assert_int_eq(fl_check_mutex(holds, nh, writes, nw, &v, &f), FL_OK);
    ck_assert_uint_eq(v.count, 4);
    ck_assert_uint_eq(v.relevant, nh);
    ck_assert_uint_eq(f.count, 1);
    ck_assert_uint_eq(f.relevant, nw);
    ck_assert_int_eq(v.examples[0].t0, 50);
    ck_assert_int_eq(v.examples[0].t1, 100);
    ck_assert_str_eq(v.examples[0].text, "clients 1 (token 1) and 2 (token 2) both wrote "
                                         "holding the lock between 0.00000005s and 0.0000001s");
    ck_assert_int_eq(v.examples[1].t0, 600);
    ck_assert_int_eq(f.examples[0].t0, 270);
    ck_assert_uint_eq(f.examples[0].client, 3);
    ck_assert_str_eq(f.examples[0].text,
                     "write by client 3 with stale token 3 rejected at 0.00000027s");
    ck_assert_int_eq(fl_check_mutex(holds, nh, NULL, 0, &v, NULL), FL_OK);
    ck_assert_uint_eq(v.count, 0);
}
END_TEST

/* Kleppmann's timeline with one write per hold: client 1 (token 33) holds from 0 and is
 * paused; client 2 (token 34) holds from 10.5 to 14.5 and writes at 14.5; client 1 wakes,
 * writes at 16 and releases. No write of client 1 falls inside the overlap, yet its write
 * overwrote client 2's: a violation. Writing before the newer holder's write, or being
 * fenced, is not one. */
START_TEST(mutex_lost_update)
{
    const fl_lock_hold holds[] = {
        {1, 33, 0, 16100}, {2, 34, 10500, 14500},   /* the lost update */
        {1, 40, 20000, 30000}, {2, 41, 25000, 27000}, /* 1 wrote at 24000, before 2: no */
        {1, 50, 40000, 50000}, {2, 51, 45000, 47000}, /* 1's late write fenced: no */
    };
    const fl_fenced_write writes[] = {
        {2, 34, 14499, 1}, {1, 33, 16000, 1},
        {1, 40, 24000, 1}, {2, 41, 26000, 1},
        {2, 51, 46000, 1}, {1, 50, 48000, 0},
    };
    fl_check_result v, f;
    ck_assert_int_eq(fl_check_mutex(holds, 6, writes, 6, &v, &f), FL_OK);
    ck_assert_uint_eq(v.count, 1);
    ck_assert_int_eq(v.examples[0].t0, 14499);
    ck_assert_int_eq(v.examples[0].t1, 16000);
    ck_assert_uint_eq(v.examples[0].client, 1);
    ck_assert_str_eq(v.examples[0].text, "client 2 (token 34) wrote at 0.000014499s; client 1 "
                                         "(token 33, held first) overwrote it at 0.000016s");
    ck_assert_uint_eq(f.count, 1);
}
END_TEST

/* ---- linearizability ---- */

static fl_lin_verdict lin(const fl_history *h, uint64_t per_key, uint64_t total, fl_lin_result *r)
{
    fl_lin_budget b = {per_key, total};
    ck_assert_int_eq(fl_check_linearizable(h, &b, r), FL_OK);
    return r->verdict;
}

START_TEST(lin_classic)
{
    fl_lin_result r;
    fl_history *h = fl_history_new();
    W(h, 1, 7, 0, 10, OK, 1);
    R(h, 2, 7, 20, 30, NONE); /* write 1 acked, then read 0 */
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_NOT_LINEARIZABLE);
    ck_assert_uint_eq(r.first_key, 7);
    ck_assert_uint_eq(r.keys, 1);
    ck_assert_uint_eq(r.bad.count, 1);
    ck_assert_uint_eq(r.bad.nexamples, 1);
    ck_assert_int_eq(r.bad.examples[0].t0, 20);
    ck_assert_int_eq(r.bad.examples[0].t1, 30);
    ck_assert_uint_eq(r.bad.examples[0].client, 2);
    ck_assert_str_eq(r.bad.examples[0].text, "key 7: read of nothing by client 2 cannot be "
                                             "linearized (at best 1 of 2 ops placed before it)");
    ck_assert_str_eq(fl_lin_verdict_name(r.verdict), "not linearizable");
    fl_history_free(h);

    /* concurrency: write 2 may take effect before write 1 */
    h = fl_history_new();
    R(h, 3, 1, 1, 3, NONE);
    W(h, 1, 1, 0, 10, OK, 1);
    W(h, 2, 1, 5, 15, OK, 2);
    R(h, 3, 1, 12, 20, 1);
    R(h, 3, 1, 16, 20, 1);
    R(h, 4, 1, 4, 14, 2);
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_LINEARIZABLE);
    ck_assert_uint_eq(r.bad.count, 0);
    ck_assert_str_eq(fl_lin_verdict_name(r.verdict), "linearizable");
    /* ... but once both are acked, 2 then 1 cannot be read in turn */
    R(h, 5, 1, 21, 22, 2);
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_NOT_LINEARIZABLE);
    fl_history_free(h);

    /* cas */
    h = fl_history_new();
    W(h, 1, 1, 0, 10, OK, 1);
    CAS(h, 2, 1, 20, 30, OK, 1, 2);
    CAS(h, 3, 1, 20, 30, FAIL, 1, 5); /* did not happen: left out */
    R(h, 1, 1, 40, 50, 2);
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_LINEARIZABLE);
    CAS(h, 3, 1, 60, 70, OK, 1, 3); /* compares with 1 while the register holds 2 */
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_NOT_LINEARIZABLE);
    fl_history_free(h);
}
END_TEST

START_TEST(lin_info)
{
    fl_lin_result r;
    /* a timed-out write that a later read saw must have happened */
    fl_history *h = fl_history_new();
    W(h, 1, 1, 0, 10, INFO, 1);
    R(h, 2, 1, 20, 30, 1);
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_LINEARIZABLE);
    R(h, 2, 1, 40, 50, NONE); /* and cannot be undone later */
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_NOT_LINEARIZABLE);
    fl_history_free(h);
    /* ... may also never happen */
    h = fl_history_new();
    W(h, 1, 1, 0, 10, INFO, 1);
    R(h, 2, 1, 20, 30, NONE);
    R(h, 2, 1, 40, 50, NONE);
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_LINEARIZABLE);
    /* ... or take effect long after its timeout */
    R(h, 2, 1, 60, 70, 1);
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_LINEARIZABLE);
    fl_history_free(h);
    /* a pending write (never completed) and a pending cas that cannot apply */
    h = fl_history_new();
    fl_op w = mk(FL_OP_WRITE, 1, 1, 5, 0, OK, 3);
    ck_assert_int_eq(fl_history_invoke(h, &w, NULL), FL_OK);
    fl_op c = mk(FL_OP_CAS, 1, 1, 5, 0, OK, 4);
    c.expect = 99;
    ck_assert_int_eq(fl_history_invoke(h, &c, NULL), FL_OK);
    R(h, 2, 1, 20, 30, 3);
    R(h, 2, 1, 40, 50, 3);
    add(h, mk(FL_OP_READ, 2, 1, 40, 50, INFO, 77)); /* an info read constrains nothing */
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_LINEARIZABLE);
    /* 5 was written only by a pending cas that expects a value the register never held */
    fl_op c2 = mk(FL_OP_CAS, 3, 1, 6, 0, OK, 5);
    c2.expect = 98;
    ck_assert_int_eq(fl_history_invoke(h, &c2, NULL), FL_OK);
    R(h, 2, 1, 60, 70, 5);
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_NOT_LINEARIZABLE);
    fl_history_free(h);
}
END_TEST

START_TEST(lin_keys_and_budget)
{
    fl_lin_result r;
    fl_history *h = fl_history_new();
    for (uint64_t k = 1; k <= 3; k++) {
        W(h, 1, k, 0, 10, OK, 1);
        W(h, 2, k, 0, 10, OK, 2);
        W(h, 3, k, 0, 10, OK, 3);
        R(h, 4, k, 20, 30, k == 2 ? 4 : 1); /* key 2 reads a value never written */
    }
    add(h, mk(FL_OP_ACQUIRE, 1, 1, 0, 5, OK, 7)); /* other kinds are left out */
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_NOT_LINEARIZABLE);
    ck_assert_uint_eq(r.first_key, 2);
    ck_assert_uint_eq(r.keys, 3);
    ck_assert_uint_eq(r.bad.count, 1);
    ck_assert_uint_eq(r.bad.relevant, 3);
    ck_assert_uint_eq(r.keys_unknown, 0);
    uint64_t full = r.steps;
    ck_assert_uint_gt(full, 10);
    /* a per-key budget too small: every key unknown, the violation not found */
    ck_assert_int_eq(lin(h, 2, 0, &r), FL_LIN_UNKNOWN);
    ck_assert_uint_eq(r.keys_unknown, 3);
    ck_assert_uint_eq(r.steps, 6);
    ck_assert_str_eq(fl_lin_verdict_name(r.verdict), "unknown");
    /* an overall budget that ends during key 2: key 3 is never started */
    fl_history *h1 = fl_history_new();
    W(h1, 1, 1, 0, 10, OK, 1);
    W(h1, 2, 1, 0, 10, OK, 2);
    W(h1, 3, 1, 0, 10, OK, 3);
    R(h1, 4, 1, 20, 30, 1);
    ck_assert_int_eq(lin(h1, 0, 0, &r), FL_LIN_LINEARIZABLE);
    uint64_t s1 = r.steps; /* key 1 alone */
    fl_history_free(h1);
    ck_assert_int_eq(lin(h, 0, s1 + 2, &r), FL_LIN_UNKNOWN);
    ck_assert_uint_eq(r.keys_unknown, 2);
    ck_assert_uint_eq(r.steps, s1 + 2);
    /* a violation found before the budget ends is reported even when later keys are not
     * checked */
    W(h, 1, 0, 0, 10, OK, 1);
    R(h, 2, 0, 20, 30, 2);
    ck_assert_int_eq(lin(h, 0, 8, &r), FL_LIN_NOT_LINEARIZABLE);
    ck_assert_uint_eq(r.first_key, 0);
    ck_assert_uint_gt(r.keys_unknown, 0);
    fl_history_free(h);
    /* empty history */
    h = fl_history_new();
    ck_assert_int_eq(fl_check_linearizable(h, NULL, &r), FL_OK);
    ck_assert_int_eq(r.verdict, FL_LIN_LINEARIZABLE);
    ck_assert_uint_eq(r.keys, 0);
    fl_history_free(h);
}
END_TEST

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A register history from a sequential execution: each op takes effect at its point in a
 * sequence and is given a random [invoke, complete] around it (so ops overlap), with cas,
 * failed cas, timed-out writes that did or did not happen. corrupt: one read returns a
 * value never written. */
static fl_history *random_history(uint64_t seed, int n, uint64_t nkeys, fl_time spread,
                                  int corrupt)
{
    fl_history *h = fl_history_new();
    uint64_t s = seed;
    int64_t state[8], version = 0;
    for (int i = 0; i < 8; i++)
        state[i] = NONE;
    fl_time t = 1000;
    for (int i = 0; i < n; i++) {
        t += 1 + (fl_time)(rnd(&s) % 20);
        uint64_t k = rnd(&s) % nkeys;
        fl_time inv = t - (fl_time)(rnd(&s) % (uint64_t)spread);
        fl_time done = t + (fl_time)(rnd(&s) % (uint64_t)spread);
        uint64_t p = rnd(&s) % 100;
        uint32_t c = (uint32_t)(rnd(&s) % 16);
        if (p < 50) {
            int64_t v = state[k];
            if (corrupt && i >= n / 2) {
                v = -5; /* once */
                corrupt = 0;
            }
            R(h, c, k, inv, done, v);
        } else if (p < 85) {
            state[k] = ++version;
            W(h, c, k, inv, done, OK, version);
        } else if (p < 92) {
            int ok = rnd(&s) % 4 != 0;
            CAS(h, c, k, inv, done, ok ? OK : FAIL, ok ? state[k] : state[k] - 1, ++version);
            if (ok)
                state[k] = version;
        } else if (p < 97) {
            state[k] = ++version; /* timed out, yet happened */
            W(h, c, k, inv, done, INFO, version);
        } else {
            W(h, c, k, inv, done, INFO, ++version); /* timed out, never happened */
        }
    }
    return h;
}

START_TEST(lin_random_large)
{
    fl_lin_result r;
    fl_history *h = random_history(1, 10000, 1, 60, 0);
    ck_assert_uint_eq(fl_history_count(h), 10000);
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_LINEARIZABLE);
    ck_assert_uint_lt(r.steps, FL_LIN_DEFAULT_STEPS_PER_KEY);
    fl_history_free(h);
    h = random_history(2, 10000, 8, 200, 0);
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_LINEARIZABLE);
    ck_assert_uint_eq(r.keys, 8);
    fl_history_free(h);
    /* one stale read in the middle is found */
    h = random_history(3, 2000, 1, 30, 1);
    ck_assert_int_eq(lin(h, 0, 0, &r), FL_LIN_NOT_LINEARIZABLE);
    ck_assert_uint_eq(r.bad.count, 1);
    fl_history_free(h);
}
END_TEST

/* ---- allocation failures ---- */

/* Fails the 1st, 2nd, ... allocation of each call until it succeeds; every failure must be
 * FL_NOMEM (the sanitizer build checks nothing leaks). */
#define EVERY_FAILURE(call, res)                                                            \
    do {                                                                                    \
        fl_status st_;                                                                      \
        for (long n_ = 1;; n_++) {                                                          \
            fl_alloc_fail_after(n_);                                                        \
            st_ = (call);                                                                   \
            fl_alloc_fail_after(0);                                                         \
            if (st_ == FL_OK)                                                               \
                break;                                                                      \
            ck_assert_int_eq(st_, FL_NOMEM);                                                \
            ck_assert_uint_eq((res).count, 0);                                              \
        }                                                                                   \
    } while (0)

START_TEST(allocation_failures)
{
    fl_alloc_fail_after(1);
    ck_assert_ptr_null(fl_history_new());
    fl_alloc_fail_after(0);
    fl_history *h = fl_history_new();
    for (int i = 0; i < 1024; i++) /* exactly one chunk */
        W(h, 1, 1, i, i + 1, OK, i);
    fl_op o = mk(FL_OP_READ, 1, 1, 2000, 2001, OK, 5);
    fl_alloc_fail_after(1);
    ck_assert_int_eq(fl_history_add(h, &o, NULL), FL_NOMEM);
    ck_assert_int_eq(fl_history_invoke(h, &o, NULL), FL_NOMEM);
    fl_alloc_fail_after(0);
    ck_assert_uint_eq(fl_history_count(h), 1024);
    fl_history_free(h);

    h = random_history(4, 3000, 4, 50, 0);
    W(h, 1, 2, 0, 1, OK, 1);
    R(h, 1, 2, 5, 6, NONE);
    fl_check_result r, r2;
    EVERY_FAILURE(fl_check_stale_reads(h, &r), r);
    ck_assert_uint_gt(r.count, 0);
    EVERY_FAILURE(fl_check_sessions(h, &r, &r2), r);
    const int64_t v[] = {1, 2, 3};
    fl_key_versions fin[] = {{0, v, 3}};
    EVERY_FAILURE(fl_check_lost_writes(h, fin, 1, &r), r);
    const fl_kv a[] = {{1, 5}}, b[] = {{1, 6}};
    fl_replica_state reps[] = {{a, 1}, {b, 1}};
    EVERY_FAILURE(fl_check_divergence(reps, 2, &r), r);
    const fl_leader_interval iv[] = {{1, 0, 0, 10}, {2, 0, 5, 15}};
    EVERY_FAILURE(fl_check_split_brain(iv, 2, &r), r);
    const uint64_t prod[] = {1, 2};
    const fl_msg_event done[] = {{1, 1, 1}, {1, 1, 2}};
    EVERY_FAILURE(fl_check_messages(prod, 2, done, 2, &r, &r2), r);
    const fl_lock_hold holds[] = {{1, 1, 0, 10}, {2, 2, 5, 15}};
    const fl_fenced_write writes[] = {{1, 1, 6, 1}, {2, 2, 7, 1}};
    EVERY_FAILURE(fl_check_mutex(holds, 2, writes, 2, &r, &r2), r);
    ck_assert_uint_eq(r.count, 1);
    fl_lin_result lr;
    EVERY_FAILURE(fl_check_linearizable(h, NULL, &lr), lr.bad);
    ck_assert_int_eq(lr.verdict, FL_LIN_NOT_LINEARIZABLE); /* key 2 reads nothing after v1 */
    fl_history_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("check");
    TCase *tc = tcase_create("check");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, history_record);
    tcase_add_test(tc, history_spans_slabs);
    tcase_add_test(tc, jsonl_exact);
    tcase_add_test(tc, stale_reads);
    tcase_add_test(tc, stale_examples_earliest_five);
    tcase_add_test(tc, sessions);
    tcase_add_test(tc, sweeps_match_definition);
    tcase_add_test(tc, lost_writes);
    tcase_add_test(tc, divergence);
    tcase_add_test(tc, split_brain);
    tcase_add_test(tc, messages);
    tcase_add_test(tc, mutex);
    tcase_add_test(tc, mutex_lost_update);
    tcase_add_test(tc, lin_classic);
    tcase_add_test(tc, lin_info);
    tcase_add_test(tc, lin_keys_and_budget);
    tcase_add_test(tc, lin_random_large);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
