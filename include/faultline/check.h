/* Consistency checking: a history of client operations and the checkers run over it.
 *
 * Components record every client operation twice: when it is invoked and when it completes
 * (ok, fail = definitely did not take effect, info = unknown, e.g. timed out). An operation
 * never completed stays "pending" and is judged like info. Checkers then count anomalies
 * (stale reads, lost writes, split brain, ...) and give the earliest few as examples.
 *
 * Values: for registers, `value` is a version number that increases with every write to a
 * key (the checkers order values with <). FL_VALUE_NONE is "nothing" (a read of a key never
 * written; the initial state); it is older than every version.
 *
 * Times are virtual nanoseconds. Where two events share a time stamp the checkers assume the
 * order that cannot produce a false alarm (an ack at t and an invocation at t are concurrent).
 * Every function is deterministic: the same inputs give the same counts, examples and text. */
#ifndef FAULTLINE_CHECK_H
#define FAULTLINE_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <faultline/status.h>
#include <faultline/time.h>

#define FL_VALUE_NONE INT64_MIN    /* read of nothing / initial state */
#define FL_VALUE_KEEP (INT64_MIN + 1) /* fl_history_complete: keep the invocation's value */
#define FL_TIME_NEVER FL_TIME_MAX  /* completion time of a pending op */
#define FL_NODE_NONE UINT32_MAX    /* serving node unknown */
#define FL_TOKEN_NONE 0            /* no fencing token */

typedef enum fl_op_kind {
    FL_OP_READ,    /* value: what was read */
    FL_OP_WRITE,   /* value: the version written */
    FL_OP_CAS,     /* expect: the version compared with; value: the version written */
    FL_OP_ACQUIRE, /* token: the fencing token granted */
    FL_OP_RELEASE,
    FL_OP_PROCESS, /* a consumer processing a message: key = message id */
    FL_OP_PUBLISH, /* key = message id */
} fl_op_kind;

typedef enum fl_op_outcome {
    FL_OP_PENDING, /* invoked, not (yet) completed */
    FL_OP_OK,
    FL_OP_FAIL, /* definitely did not take effect */
    FL_OP_INFO, /* unknown: may take effect any time after invocation, or never */
} fl_op_outcome;

/* One operation as stored. */
typedef struct fl_op {
    fl_time invoke;
    fl_time complete; /* FL_TIME_NEVER while pending */
    uint64_t key;
    int64_t value;  /* see fl_op_kind; FL_VALUE_NONE when nothing/unknown */
    int64_t expect; /* cas only; FL_VALUE_NONE otherwise */
    int64_t token;  /* FL_TOKEN_NONE when irrelevant */
    uint32_t client;
    uint32_t node; /* the node that served it; FL_NODE_NONE when unknown */
    fl_op_kind kind;
    fl_op_outcome outcome;
} fl_op;

/* ---- history ------------------------------------------------------------------------- */

typedef struct fl_history fl_history;

/* An empty history (caller frees); NULL on allocation failure. Storage grows in chunks:
 * no allocation per operation in the steady state, and fl_op pointers stay valid. */
fl_history *fl_history_new(void);
void fl_history_free(fl_history *h);
/* Records an invocation: op's invoke, client, key, kind, value, expect, token and node are
 * copied; complete/outcome are set to pending. *id (may be NULL) receives the op's id
 * (ids are 0, 1, 2, ... in recording order). FL_NOMEM, or FL_INVALID for a bad kind. */
fl_status fl_history_invoke(fl_history *h, const fl_op *op, size_t *id);
/* Completes op id at time t (>= its invocation). value replaces the op's value (a read's
 * result, or the version the server assigned) unless it is FL_VALUE_KEEP; node likewise
 * unless FL_NODE_NONE. FL_INVALID for an unknown id, an op already completed, t before the
 * invocation, or outcome FL_OP_PENDING. */
fl_status fl_history_complete(fl_history *h, size_t id, fl_time t, fl_op_outcome outcome,
                              int64_t value, uint32_t node);
/* Sets op id's fencing token (an acquire learns it on completion). FL_INVALID if no such op. */
fl_status fl_history_set_token(fl_history *h, size_t id, int64_t token);
/* Records a whole operation at once (as stored, complete and outcome included).
 * FL_INVALID when complete < invoke, a pending op has a completion time or a kind is bad. */
fl_status fl_history_add(fl_history *h, const fl_op *op, size_t *id);
size_t fl_history_count(const fl_history *h);
/* Op id, or NULL when out of range. The pointer stays valid until the history is freed. */
const fl_op *fl_history_get(const fl_history *h, size_t id);
/* "read", "write", "cas", ...; "pending", "ok", "fail", "info". */
const char *fl_op_kind_name(fl_op_kind k);
const char *fl_op_outcome_name(fl_op_outcome o);

/* Writes history.jsonl: one JSON object per operation, in id order, one line each:
 *   {"id":0,"op":"write","client":3,"key":42,"node":1,
 *    "invoke_ns":1500000,"invoke_s":0.0015,"complete_ns":2000000,"complete_s":0.002,
 *    "outcome":"ok","value":7,"expect":null,"token":null}
 * complete_ns/complete_s are null while pending; value/expect are null for FL_VALUE_NONE,
 * node for FL_NODE_NONE, token for FL_TOKEN_NONE. Every number is an integer except the
 * *_s fields, written exactly from the integer nanoseconds (no trailing zeros, '.' whatever
 * the locale). The same history gives byte-identical text. FL_IO on a write error. */
fl_status fl_history_write_jsonl(const fl_history *h, FILE *f);

/* ---- checker results ----------------------------------------------------------------- */

#define FL_CHECK_EXAMPLES 5

/* One anomaly, for a human: when (t0; t1 for a window, else == t0), which key and client. */
typedef struct fl_check_example {
    fl_time t0, t1;
    uint64_t key;    /* the key, message id, data group or lock hold token, per checker */
    uint32_t client; /* the client or node, per checker */
    char text[120];
} fl_check_example;

typedef struct fl_check_result {
    uint64_t count;    /* anomalies found */
    uint64_t relevant; /* what they are counted among (the checker says what) */
    double rate;       /* count / relevant; 0 when relevant is 0 */
    fl_time duration;  /* time-based checkers only (split brain); else 0 */
    size_t nexamples;  /* <= FL_CHECK_EXAMPLES: the earliest by (t0, key, client) */
    fl_check_example examples[FL_CHECK_EXAMPLES];
} fl_check_result;

/* Every checker zeroes its results first, returns FL_OK, FL_NOMEM (results zeroed, nothing
 * leaked) or FL_INVALID for malformed input. */

/* Stale reads: an ok read returning a version older than the newest (highest) version of
 * an ok write or cas to the key acknowledged strictly before the read was invoked.
 * relevant = ok reads. */
fl_status fl_check_stale_reads(const fl_history *h, fl_check_result *out);

/* Session guarantees, per client and key, over ok reads (relevant = ok reads):
 * ryw:  a read older than the client's own newest ok write acknowledged before it was invoked;
 * mono: a read older than a read by the same client that completed before it was invoked.
 * Either result pointer may be NULL. */
fl_status fl_check_sessions(const fl_history *h, fl_check_result *ryw, fl_check_result *mono);

/* The same, calling each(ctx, which, t) for every anomaly found (which: 0 stale read,
 * 1 read-your-writes, 2 monotonic read; t: the read's invocation), e.g. to draw them
 * over time. each may be NULL. */
typedef void (*fl_check_each_fn)(void *ctx, int which, fl_time t);
fl_status fl_check_stale_reads_each(const fl_history *h, fl_check_result *out,
                                    fl_check_each_fn each, void *ctx);
fl_status fl_check_sessions_each(const fl_history *h, fl_check_result *ryw,
                                 fl_check_result *mono, fl_check_each_fn each, void *ctx);

/* The versions a surviving replica applied to one key (any order, duplicates allowed). */
typedef struct fl_key_versions {
    uint64_t key;
    const int64_t *versions;
    size_t n;
} fl_key_versions;

/* Acknowledged writes lost. Rule: an ok write or cas of version v to key k is lost when v
 * is not among the versions the surviving replica applied to k (a key absent from `final`
 * has applied none). A write superseded by a later one is not lost: it was applied before
 * being overwritten, so it is in the list; a write overwritten by a "last writer wins"
 * merge without being applied is lost. relevant = ok writes and cas. */
fl_status fl_check_lost_writes(const fl_history *h, const fl_key_versions *final,
                               size_t nkeys, fl_check_result *out);

/* One replica's final state: key -> version, each key at most once. */
typedef struct fl_kv {
    uint64_t key;
    int64_t version;
} fl_kv;
typedef struct fl_replica_state {
    const fl_kv *entries;
    size_t n;
} fl_replica_state;

/* Divergent keys after heal: keys whose replicas disagree (a key missing from a replica
 * differs from one present). relevant = distinct keys over all replicas. FL_INVALID when a
 * replica lists a key twice. Examples carry the key, client = the first disagreeing replica. */
fl_status fl_check_divergence(const fl_replica_state *replicas, size_t nreplicas,
                              fl_check_result *out);

/* Node `node` accepted writes as leader of data group `group` during [start, end). */
typedef struct fl_leader_interval {
    uint32_t node;
    uint32_t group;
    fl_time start, end;
} fl_leader_interval;

/* Split brain: per group, the time during which two or more distinct nodes accepted writes
 * at once (overlapping intervals of one node count once; empty intervals count nothing).
 * duration = that time summed over groups; count = maximal split-brain periods;
 * relevant = time with at least one leader, summed over groups (rate = duration / relevant,
 * so count/rate here are about periods and time). Examples: t0..t1 a period, key = group. */
fl_status fl_check_split_brain(const fl_leader_interval *iv, size_t n, fl_check_result *out);

/* Message msg processed by consumer `consumer` at time t. */
typedef struct fl_msg_event {
    uint64_t msg;
    uint32_t consumer;
    fl_time t;
} fl_msg_event;

/* Message processing over the produced ids (relevant = distinct produced ids):
 * dup:  produced messages processed more than once (counted once per message);
 * lost: produced messages never processed.
 * Processing of ids never produced is ignored. Either result pointer may be NULL. */
fl_status fl_check_messages(const uint64_t *produced, size_t nproduced,
                            const fl_msg_event *processed, size_t nprocessed,
                            fl_check_result *dup, fl_check_result *lost);

/* A lock hold as the client believed it: from start until end, with the token granted. */
typedef struct fl_lock_hold {
    uint32_t client;
    int64_t token;
    fl_time start, end;
} fl_lock_hold;

/* A write to the protected storage by a client holding `token`, accepted or rejected
 * (rejected = refused by fencing: the storage had seen a newer token). */
typedef struct fl_fenced_write {
    uint32_t client;
    int64_t token;
    fl_time t;
    int accepted;
} fl_fenced_write;

/* Mutual exclusion. A write belongs to a hold when client and token match and
 * start <= t < end.
 * violations: pairs of holds by different clients that overlap in time where both had an
 *   accepted write inside the overlap, or where the hold that began first had a write
 *   accepted after the other's first write inside the overlap (Kleppmann's lost update:
 *   the newer holder writes and leaves, the older one wakes and overwrites it); a pair
 *   counts once (relevant = holds; example t0..t1 = the overlap, or the two writes);
 * fenced: writes rejected by fencing (relevant = writes).
 * Either result pointer may be NULL. */
fl_status fl_check_mutex(const fl_lock_hold *holds, size_t nholds,
                         const fl_fenced_write *writes, size_t nwrites,
                         fl_check_result *violations, fl_check_result *fenced);

/* ---- linearizability ----------------------------------------------------------------- */

typedef enum fl_lin_verdict {
    FL_LIN_LINEARIZABLE,
    FL_LIN_NOT_LINEARIZABLE,
    FL_LIN_UNKNOWN, /* the budget ran out before an answer (no violation found so far) */
} fl_lin_verdict;

/* Search budget, in steps (one step: try to linearize one op, or undo one). 0 = default. */
typedef struct fl_lin_budget {
    uint64_t max_steps_per_key; /* default 1000000 */
    uint64_t max_steps;         /* over all keys; default 20000000 */
} fl_lin_budget;

#define FL_LIN_DEFAULT_STEPS_PER_KEY 1000000u
#define FL_LIN_DEFAULT_STEPS 20000000u

typedef struct fl_lin_result {
    fl_lin_verdict verdict;
    uint64_t keys;         /* keys with at least one op checked */
    uint64_t keys_unknown; /* keys whose search ran out of budget (or was never started) */
    uint64_t steps;        /* steps spent */
    uint64_t first_key;    /* NOT_LINEARIZABLE: the smallest such key */
    /* count = keys not linearizable, relevant = keys; examples: the op that cannot be
     * linearized, t0..t1 = the window from the earliest op left unlinearized to its ack. */
    fl_check_result bad;
} fl_lin_result;

/* Per-key linearizability of a read/write/cas register (initial value FL_VALUE_NONE):
 * Wing & Gong's search with Lowe's memoisation of (linearized set, register value), keys
 * in ascending order. ok ops must take effect between invocation and completion; info and
 * pending writes/cas at any time after invocation, or never; fail ops and info reads are
 * left out, as are other kinds. NOT_LINEARIZABLE when some key is; else UNKNOWN when some
 * key ran out of budget; else LINEARIZABLE. budget may be NULL (defaults). Never hangs. */
fl_status fl_check_linearizable(const fl_history *h, const fl_lin_budget *budget,
                                fl_lin_result *out);
const char *fl_lin_verdict_name(fl_lin_verdict v);

#endif
