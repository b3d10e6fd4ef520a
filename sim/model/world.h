/* The simulated world: components (nodes), workloads, the network and the requests that
 * flow between them, all driven by one fl_sim.
 *
 * Requests live in one pool and are named by index (the pool may grow, so pointers into it
 * are never kept across a call that can allocate). A request is freed only when both its
 * client and the component serving it are done with it: a client may give up (timeout)
 * while the server is still working, which is exactly the wasted work users want to see.
 *
 * Component kinds are descriptors (fl_component_ops), one per line of kinds.def. Each kind
 * configures itself from its JSON object through core/cfg.h, so its errors carry their JSON
 * path. */
#ifndef FL_MODEL_WORLD_H
#define FL_MODEL_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <faultline/check.h>
#include <faultline/dist.h>
#include <faultline/hist.h>
#include <faultline/rng.h>
#include <faultline/series.h>
#include <faultline/sim.h>

#include "core/pool.h"
#include "core/stats.h"
#include "net/link.h"
#include "node/host.h"

typedef struct fl_world fl_world;

typedef struct fl_component fl_component;
typedef struct fl_workload fl_workload;

#define FL_NONE UINT32_MAX

/* Why a request ended. OK first; the rest are errors, counted by cause. */
#define FL_OUTCOME_TABLE(X)                                                          \
    X(OK, "ok")                                                                      \
    X(TIMEOUT, "timeout")       /* the client's per-try timeout fired */              \
    X(REJECTED, "rejected")     /* the server's queue was full */                     \
    X(EXPIRED, "expired")       /* waited longer than the queue's max wait */         \
    X(DEADLINE, "deadline")     /* past its deadline: dropped, or not retried */      \
    X(REFUSED, "refused")       /* the server was down (crashed) */                   \
    X(BUDGET, "retry_budget")   /* a retry the budget did not allow */                \
    X(DEPENDENCY, "dependency") /* a call to a dependency failed (after its retries) */   \
    X(CIRCUIT_OPEN, "circuit_open") /* the caller's circuit breaker refused the try */ \
    X(POOL, "pool_timeout")     /* no connection from the caller's pool in time */ \
    X(CONFLICT, "conflict")     /* an optimistic write lost to a concurrent commit (occ) */ \
    X(CANCELLED, "cancelled")   /* the server aborted it: past its max_execution, or its \
                                   caller gave up */                                    \
    X(RATE_LIMITED, "rate_limited") /* a rate limiter had no token (a kind's own) */ \
    X(SERVER_ERROR, "server_error") /* a bad version answered with an error (a staged \
                                       rollout's error_rate, rollout.c) */

typedef enum fl_outcome {
#define FL__OUT(n, s) FL_OUT_##n,
    FL_OUTCOME_TABLE(FL__OUT)
#undef FL__OUT
    FL_OUT_COUNT
} fl_outcome;

const char *fl_outcome_name(fl_outcome o);
/* Outcomes as bits (fl_component_ops.outcomes). Every world can end a request with the
 * common ones; an outcome only some kind produces is declared by that kind, and reported
 * (errors_by_cause) only in a world that has one. */
#define FL_OUT_BIT(n) (1u << FL_OUT_##n)
#define FL_OUT_COMMON (FL_OUT_BIT(RATE_LIMITED) - 1) /* a kind's own outcomes come last */

/* What a request asks of its target. Services forward it to their dependencies; kinds
 * that hold data (cache, store, ...) act on it. */
typedef enum fl_verb { FL_VERB_READ, FL_VERB_WRITE } fl_verb;

typedef struct fl_call {
    uint64_t key;
    int64_t value; /* a write: the version it writes (unique, increasing); a read: unused */
    uint8_t verb;  /* fl_verb */
} fl_call;

typedef struct fl_req {
    fl_time t_issue;   /* client sent this try */
    fl_time deadline;  /* propagated deadline (absolute), or FL_TIME_MAX */
    fl_time t_arrive;  /* reached the server */
    fl_time t_start;   /* service began */
    fl_timer timeout;  /* client's timeout timer, or FL_TIMER_NONE */
    uint32_t caller;   /* the caller (workload or service dependency) that sent it */
    uint32_t target;   /* serving component */
    uint32_t next;     /* free list / queue link */
    uint32_t op;       /* the caller's request this try belongs to */
    uint64_t key;      /* the request's fl_call ... */
    int64_t value;     /* ... whose value the server replaces with a read's result */
    uint8_t verb;
    uint8_t client_done;
    uint8_t server_done;
    uint8_t outcome;   /* fl_outcome the server decided */
    uint8_t dup;       /* a copy the network made (net/link.h): born client-done, its reply
                          is ignored; the caller never had it in flight */
} fl_req;

/* A timed fault on the scenario's timeline (faults.c). */
/* The faults, by their key in a scenario's "faults" entries: the one list. */
#define FL_FAULT_TABLE(X)                                                             \
    X(SLOW, "slow") X(CRASH, "crash") X(PAUSE, "pause")      /* on a component */         \
    X(PARTITION, "partition") X(FLAKY, "flaky")              /* on links between zones */ \
    X(SLOW_LINK, "slow_link")                                                             \
    X(CLOCK, "clock") /* a step or slew of a node's clock (already in its fl_clock) */    \
    X(BAD_VALUE, "bad_value") /* a cache: values its backend returns are rejected */     \
    X(HANG, "hang") /* accepts requests and never answers (a deadlock, a blackhole) */    \
    X(ROLLOUT, "rollout") /* a bad version pushed to a balancer's backends in waves */

typedef enum fl_fault_kind {
#define FL__FAULT(n, s) FL_FAULT_##n,
    FL_FAULT_TABLE(FL__FAULT)
#undef FL__FAULT
    FL_FAULT_COUNT
} fl_fault_kind;
/* "slow", "crash", ...: a fault's key in the scenario file. */
const char *fl_fault_name(fl_fault_kind k);
/* The faults on a component, as a set of bits (fl_component_ops.faults). */
#define FL_FAULT_BIT(k) (1u << FL_FAULT_##k)
typedef struct fl_fault {
    fl_fault_kind kind;
    fl_time at, until;
    uint32_t target; /* component index */
    int32_t member;  /* the member of a replicated kind it hits ("db/2"), or -1: the node */
    bool active;     /* between its begin and its end (set before the kind hears of it) */
    double factor;   /* slow: service-time multiplier; flaky: loss probability */
    fl_time extra;   /* slow_link: added latency */
    uint8_t *links;  /* link faults: links[(a+1)*(nz+1)+(b+1)] = 1 for each directed a->b hit */
    double dup;      /* flaky: duplication probability */
    uint32_t *pairs; /* partition by links: node links cut (fl_net_node), inside the links
                        allocation (freed with it) */
    uint32_t npairs;
    struct fl_rollout *rollout; /* rollout: its plan and state (rollout.c), owned */
    char label[96];
} fl_fault;

/* One key a kind accepts in its JSON object, as data: the known-keys check, "did you
 * mean", `faultline list --kinds` and the kind's table in scenarios/README.md come from
 * it. Text is Markdown (`code`), as the README shows it. A nested key is written with its
 * path ("queue.capacity", "calls[i].keys"): its first part is the key the node accepts. */
/* What a parameter's value is, for tools that offer it to be changed (the dashboard):
 * OTHER for anything but a plain integer, number, rate or duration. */
typedef enum fl_kind_value {
    FL_KV_OTHER = 0,
    FL_KV_INTEGER,
    FL_KV_NUMBER,
    FL_KV_RATE,
    FL_KV_DURATION,
} fl_kind_value;

/* A numeric parameter's bounds, as data: the world checks every declared value against
 * them before the kind's configure runs (fl_kind_check_bounds), with the wording of the
 * typed getters; `faultline list --kinds` shows them. Durations in seconds. Every INTEGER,
 * NUMBER, RATE or DURATION parameter declares them (fl_kind_check refuses one that does
 * not), and configure reads it through fl_kind_int & co., which take these bounds; a bound
 * that depends on another key (acks <= replicas) narrows them there (fl_kind_int_max). */
#define FL_BOUND_MIN 1u      /* min applies */
#define FL_BOUND_MAX 2u      /* max applies */
#define FL_BOUND_MIN_OPEN 4u /* value > min (else >=) */
#define FL_BOUND_MAX_OPEN 8u /* value < max (else <=) */
#define FL_BOUND_LIMIT 16u   /* "unbounded" is accepted too (fl_cfg_limit) */
typedef struct fl_kind_bounds {
    double min, max;
    unsigned flags; /* FL_BOUND_*; 0: none declared */
} fl_kind_bounds;
#define FL_NO_BOUNDS {0, 0, 0}
#define FL_RANGE(lo, hi) {(lo), (hi), FL_BOUND_MIN | FL_BOUND_MAX} /* [lo, hi] */
#define FL_AT_LEAST(lo) {(lo), 0, FL_BOUND_MIN}                   /* >= lo */
#define FL_ABOVE(lo) {(lo), 0, FL_BOUND_MIN | FL_BOUND_MIN_OPEN}  /* > lo */
#define FL_ABOVE_TO(lo, hi) /* (lo, hi] */                                                   \
    {(lo), (hi), FL_BOUND_MIN | FL_BOUND_MIN_OPEN | FL_BOUND_MAX}
#define FL_LIMIT_OR_UNBOUNDED {0, 0, FL_BOUND_MIN | FL_BOUND_LIMIT} /* >= 0, or "unbounded" */

typedef struct fl_kind_param {
    const char *key;
    const char *type;    /* "duration", "integer 0..32": the type with its bounds */
    const char *unit;    /* "" when the type says it all */
    const char *dflt;    /* "`16`", "required", "required with `semi-sync`, refused ..." */
    const char *example;
    const char *doc;
    fl_kind_value value;
    fl_kind_bounds bounds; /* numeric values: FL_RANGE(1, 1e6), FL_ABOVE(0), ...;
                              FL_NO_BOUNDS otherwise */
} fl_kind_param;

/* One column a kind feeds to the time series, "NAME.<suffix>" ("lag.p*": one per
 * partition). A column a kind registers must match one of its declared suffixes. */
typedef struct fl_kind_series {
    const char *suffix;
    const char *unit;
    const char *doc;
} fl_kind_series;

/* A kind's descriptor. Required: kind, about, params, configure, on_request, report,
 * destroy; fault when faults holds more than CLOCK (a clock fault is already in the node's
 * clock); members when member_faults is not 0. A kind that
 * lacks one is refused at start-up (fl_kinds_check), never called through NULL. Its
 * figures are the entries of the figure catalogue (sim/model/figures.c) tagged with it. */
typedef struct fl_component_ops {
    const char *kind;
    const char *about;              /* one line for `faultline list --kinds` and docs */
    const fl_kind_param *params;    /* accepted keys besides name, kind, zone, clock;
                                       ends with a NULL key */
    const fl_kind_series *series;   /* time-series columns; ends with a NULL suffix (or NULL) */
    unsigned outcomes;              /* outcomes it answers with beyond FL_OUT_COMMON */
    /* Reads the JSON object; allocates c->state. On error returns a status with e->path. */
    fl_status (*configure)(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e);
    /* Optional, after every component is configured: resolve references to other
     * components (a service's dependencies). */
    fl_status (*connect)(fl_world *w, fl_component *c, fl_error *e);
    /* A request arrived over the network. The component must eventually call
     * fl_world_reply (or fail it with an outcome). */
    void (*on_request)(fl_world *w, fl_component *c, uint32_t req);
    /* Optional: the client of request req timed out while this component still had it
     * (fl_world_giveup). A kind that cancels on give-up drops or aborts the work. */
    void (*giveup)(fl_world *w, fl_component *c, uint32_t req);
    /* Called once at the end of the run: adds this component's figures to `out`. */
    void (*report)(fl_world *w, fl_component *c, cJSON *out);
    /* The faults this kind models, FL_FAULT_BIT(SLOW) | ...: any other fault on a node of
     * this kind is refused at load (faults.c), never ignored. CLOCK: something on the node
     * reads its clock (timeouts, leases, TTLs), so a step or slew changes it. Link faults
     * are the network's, and are not listed. */
    unsigned faults;
    /* The faults it models on one member ("db/2"): a subset of `faults`; 0 when a fault
     * cannot name a member. CLOCK here: each member reads its own clock
     * (fl_member_clock), so a step or slew of one member's clock moves only its timers. */
    unsigned member_faults;
    /* Optional (required when member_faults is not 0): how many members the configured
     * node has, numbered from 0, and what one is called ("replica", "member"). */
    uint32_t (*members)(const fl_component *c, const char **noun);
    /* Required with members: member m's zone (-1: none), or FL_MEMBER_IS_NODE when member m
     * is the node itself (a store's primary): "db/m" then names the node's endpoint. Its
     * messages' links (fl_world_peer_send) follow from it. */
    int (*member_zone)(const fl_component *c, uint32_t m);
    /* A fault begins or ends on this component (only the faults it declares reach it).
     * Overlapping faults compose: fl_world_slowdown gives the product of the slowdowns in
     * force, and a pause lasts while any pause is in force (the latest end wins). */
    void (*fault)(fl_world *w, fl_component *c, const struct fl_fault *f, bool begin);
    /* Called at the end of every window [t, t + window): records gauges into the series. */
    void (*sample)(fl_world *w, fl_component *c, fl_time t);
    void (*destroy)(fl_component *c);
} fl_component_ops;

#define FL_MEMBER_IS_NODE (-2)

struct fl_component {
    const fl_component_ops *ops;
    char *name;
    uint32_t index;
    int zone;     /* index into the world's zones, -1 when none */
    fl_host host; /* its clock (owned) and pause state */
    void *state;  /* owned by the kind */
    /* Member clocks (owned), made by a clock fault naming a member ("etcd/2") of a kind
     * that declares CLOCK in member_faults: mclock[m] starts as a copy of the node's clock
     * and takes the node's clock faults too; NULL (or nmclock 0): the member reads the
     * node's clock. */
    fl_clock **mclock;
    uint32_t nmclock;
};

/* The clock member m of c reads: its own when a fault gave it one, else the node's
 * (NULL: true time). */
static inline fl_clock *fl_member_clock(const fl_component *c, int m)
{
    return m >= 0 && (uint32_t)m < c->nmclock && c->mclock[m] ? c->mclock[m] : c->host.clock;
}

/* The registry of component kinds (kinds.def). */
const fl_component_ops *fl_kind_find(const char *kind);
/* NULL-terminated list of kind names, for messages and --help. */
const char *const *fl_kind_names(void);
/* Every kind, in the order of kinds.def; *n gets the count. */
const fl_component_ops *const *fl_kinds(size_t *n);
/* Refuses a descriptor that lacks a required part (see fl_component_ops), naming it. */
fl_status fl_kind_check(const fl_component_ops *ops, fl_error *e);
/* fl_kind_check over every registered kind: run once before any is used. */
fl_status fl_kinds_check(fl_error *e);
/* Refuses a key of a node's object that the kind does not declare (with "did you mean"). */
fl_status fl_kind_known_keys(const fl_component_ops *ops, const cJSON *cfg, const char *path,
                             fl_error *e);
/* Checks every value of a node's object (and of its nested objects) whose parameter
 * declares bounds against them: the one place a parameter's range is enforced. A value of
 * the wrong type is left to configure's getter (its message names the type). */
fl_status fl_kind_check_bounds(const fl_component_ops *ops, const cJSON *cfg, const char *path,
                               fl_error *e);
/* "1 to 10^6", "at least 1ms", "greater than 0": bounds as `faultline list` shows them
 * ("" when none). */
void fl_kind_bounds_text(const fl_kind_param *p, char *buf, size_t n);
/* Refuses a key of the object at nested parameter `key` ("queue", "on_error.retry_topic")
 * that the descriptor does not declare under it ("queue.capacity", ...), with "did you
 * mean": a nested object's known keys come from the descriptor, never from a second list. */
fl_status fl_kind_sub_keys(const fl_component_ops *ops, const char *key, const cJSON *obj,
                           const char *path, fl_error *e);
/* Refuses a series column `name` (NODE.suffix) the kind does not declare. */
fl_status fl_kind_check_column(const fl_component *c, const char *name, fl_error *e);

/* Typed reads of a declared parameter, for a kind's configure: the bounds are the ones
 * c's descriptor declares for `key` (its full path: "workers", "queue.capacity",
 * "eject.for"), never restated; the value is the key's last part in obj (the object at
 * path). Messages are the core/cfg.h getters' ("expected an integer from 1 to 1000000,
 * got ..."), and a value the getter cannot bound exactly (an open bound, a rate) is then
 * checked against the declaration. A key the descriptor does not declare with bounds is a
 * mistake in the kind: FL_INTERNAL naming it. The _max forms narrow the declared upper
 * bound by one that depends on another key (acks <= replicas). */
fl_status fl_kind_int(const fl_component *c, const char *key, const cJSON *obj, const char *path,
                      int req, long def, long *out, fl_error *e);
fl_status fl_kind_int_max(const fl_component *c, const char *key, const cJSON *obj,
                          const char *path, int req, long def, long max, long *out, fl_error *e);
/* An integer parameter declared FL_LIMIT_OR_UNBOUNDED: "unbounded" gives -1. */
fl_status fl_kind_limit(const fl_component *c, const char *key, const cJSON *obj, const char *path,
                        int req, long def, long *out, fl_error *e);
fl_status fl_kind_number(const fl_component *c, const char *key, const cJSON *obj, const char *path,
                         int req, double def, double *out, fl_error *e);
fl_status fl_kind_number_max(const fl_component *c, const char *key, const cJSON *obj,
                             const char *path, int req, double def, double max, double *out,
                             fl_error *e);
fl_status fl_kind_duration(const fl_component *c, const char *key, const cJSON *obj,
                           const char *path, int req, fl_time def, fl_time *out, fl_error *e);
fl_status fl_kind_rate(const fl_component *c, const char *key, const cJSON *obj, const char *path,
                       int req, double def, double *out, fl_error *e);

struct fl_world {
    fl_sim *sim;
    /* While building: asked between nodes and workloads whether to stop (a limit or a
     * signal); non-zero makes the build return FL_INTERRUPTED. While reporting: asked
     * between nodes and before the checkers; non-zero ends the report early (the caller
     * marks the summary incomplete). NULL: never stop. */
    int (*poll)(void *ctx);
    void *poll_ctx;
    uint64_t seed;
    fl_time duration, window, warmup;
    fl_series *series;

    char **zones;
    int nzones;

    fl_component **comps;
    uint32_t ncomps;
    fl_workload **wls;
    uint32_t nwls;
    struct fl_caller **callers; /* every caller, by index (replies are routed by it) */
    uint32_t ncallers, callers_cap;
    fl_net *net;
    uint32_t *member_base; /* per node: the network endpoint of its member 0 (members of
                              nodes come after the nodes and the workloads) */
    char **member_names;   /* "db/2", per member endpoint (NULL: member is its node) */
    uint32_t nmember_eps;

    fl_req *reqs;
    fl_pool reqs_pool; /* over reqs, linked by next (core/pool.h) */
    uint64_t reqs_live;

    int h_arrive_server; /* request reaches its component */
    int h_arrive_client; /* reply reaches its workload */
    int h_timeout;       /* client timeout */
    int h_sample;        /* end of a series window */
    int h_fault;         /* a fault begins (arg = 2i) or ends (arg = 2i + 1) */

    fl_fault *faults;
    uint32_t nfaults;
    fl_time faults_end;  /* when the last fault ends (0: no fault) */

    struct fl_world_events *events; /* the moments events.jsonl shows (fl_world_event) */
    struct fl_history *history; /* client operations, when recorded (NULL: not) */
    int64_t versions;           /* the last version a write was given */
    int col_anomalies[3];       /* series of stale / ryw / monotonic anomalies (report) */
    unsigned outcomes;          /* FL_OUT_COMMON and those the world's kinds declare */
};

/* True when a request in this world can end with outcome o (see FL_OUT_BIT). */
static inline bool fl_world_outcome_possible(const fl_world *w, fl_outcome o)
{
    return (w->outcomes | FL_OUT_COMMON) & (1u << o);
}

/* The one node lookup: the index of the node named `name`, referred to at `path`. `self`:
 * the node that refers to it, which may not name itself (NULL: none). `want`: the kind it
 * must be (NULL: any). Unknown: an error suggesting the closest name of that kind. */
fl_status fl_world_find_node(const fl_world *w, const char *name, const fl_component *self,
                             const fl_component_ops *want, const char *path, uint32_t *out,
                             fl_error *e);

/* Asks for the history of client operations to be recorded (a kind whose outcomes are
 * judged by the consistency checkers calls this while it is configured). */
fl_status fl_world_want_history(fl_world *w);
/* Adds a checker's result to parent as name: {count, of, rate, [seconds], examples}. */
void fl_world_report_check(cJSON *parent, const char *name, const fl_check_result *r);
/* The same for a checker that counts time (split brain): "of" in seconds. */
void fl_world_report_time_check(cJSON *parent, const char *name, const fl_check_result *r);
/* A new version for a write: unique and increasing over the whole run. */
static inline int64_t fl_world_version(fl_world *w) { return ++w->versions; }

/* ---- Kinds' own messages (world.c) ------------------------------------------------------
 * A kind's messages between its own members (votes, heartbeats, replication) or between
 * its node and another node (the lock protocol) travel on the network like requests: on
 * the node link between the two endpoints when the scenario names one ("links.nodes", or
 * a partition by "links" naming "db/1"), else on the link between their zones. So zone and
 * node-pair partitions (partial ones included: A sees B and C, B and C do not see each
 * other), loss, latency, slow_link, bandwidth and duplication reach them, and no kind
 * reads a link itself. An endpoint is a node and a member (FL_PEER_NODE: the node). */
#define FL_PEER_NODE (-1)
typedef struct fl_peer {
    uint32_t node;
    int32_t member;
} fl_peer;
/* The zone of an endpoint (-1: none). */
int fl_world_peer_zone(const fl_world *w, fl_peer p);
/* Sends one message from a to b now: its delay, or FL_LINK_LOST. copy NULL: a stream
 * (a connection drops the network's duplicates), never copied. Else a datagram: *copy gets
 * the delay of a copy the network made (the later delivery), or -1; the kind delivers both. */
fl_time fl_world_peer_send(fl_world *w, fl_peer a, fl_peer b, fl_time *copy);
/* The same between zones (a kind's observers, the clients of a zone): */
fl_time fl_world_zone_send(fl_world *w, int za, int zb, fl_time *copy);
/* Neither direction between a and b is cut now: for a decision a kind counts at once
 * (votes, a majority's reach). */
bool fl_world_peer_reach(const fl_world *w, fl_peer a, fl_peer b);
bool fl_world_zone_reach(const fl_world *w, int za, int zb);

/* Reads the scenario's "faults" (may be NULL) into w->faults; fl_world_run schedules them. */
fl_status fl_faults_configure(fl_world *w, const cJSON *faults, fl_error *e);
/* The product of the factors of the `slow` faults in force now on component comp's member
 * (-1: on the node itself), in the timeline's order (so a run is exact and repeatable);
 * 1 when none. A kind calls it when a slow fault begins or ends. */
double fl_world_slowdown(const fl_world *w, uint32_t comp, int32_t member);

/* events.jsonl: what a student needs to see happen (a promotion, a heal, a key expiry, a
 * breaker opening, a rate step), as {"t_s", "event", "node", "label"} lines. A kind calls
 * fl_world_event at the moment it happens (t is usually now; a workload announces its
 * schedule at the start); `node` is the component ("db") or a member ("db/2"), `event` a
 * short static name ("promotion"), the label a printf text for people. fl_world_window
 * adds "until_s": a window charts shade (a rate step is a trigger). At most
 * FL_WORLD_EVENTS_PER_KIND lines are kept per (event, node); the rest are counted and
 * reported in one "events-capped" line, so a hot key that expires every second cannot
 * fill the file. Out of memory drops the line and is counted the same way. Never on a hot
 * path: a kind calls it for rare, visible moments only. */
#define FL_WORLD_EVENTS_PER_KIND 40
void fl_world_event(fl_world *w, fl_time t, const char *node, const char *event,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void fl_world_window(fl_world *w, fl_time t, fl_time until, const char *node,
                     const char *event, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* One recorded moment, and the list of them (read by the run when it writes the file). */
typedef struct fl_world_ev {
    fl_time t, until; /* until < 0: a moment, not a window */
    const char *event;
    char node[64];
    char label[120];
} fl_world_ev;
typedef struct fl_world_cap {
    const char *event;
    char node[64];
    uint32_t kept, dropped;
} fl_world_cap;
typedef struct fl_world_events {
    fl_world_ev *ev;
    uint32_t n, cap;
    fl_world_cap *caps; /* per (event, node) */
    uint32_t ncaps, caps_cap;
} fl_world_events;
/* The recorded moments sorted by time (ties keep the order they were recorded in). */
const fl_world_events *fl_world_events_sorted(fl_world *w);

/* Builds the world described by a scenario document (after variant and overrides).
 * On success *out is owned by the caller (fl_world_free). */
fl_status fl_world_build(const cJSON *doc, uint64_t seed, fl_world **out, fl_error *e);
/* The same, asking poll(ctx) between nodes and workloads whether to stop: a large model
 * takes long to build, and a limit or a signal must stop it there too (FL_INTERRUPTED). */
fl_status fl_world_build_polled(const cJSON *doc, uint64_t seed, int (*poll)(void *ctx),
                                void *ctx, fl_world **out, fl_error *e);
void fl_world_free(fl_world *w);
/* Runs to the end of the scenario's duration (or a limit). */
fl_status fl_world_run(fl_world *w);
/* Adds every figure to `summary` (workloads, nodes, checks); stops early when w->poll
 * says so. */
void fl_world_report(fl_world *w, cJSON *summary);

/* Seeds a stream for a component: the run seed and "kind/name/purpose". */
void fl_world_stream(const fl_world *w, fl_rng *r, const char *owner, const char *purpose);

/* Request pool. fl_req_new returns FL_NONE on allocation failure, having failed the run
 * (fl_sim_fail): the caller drops what it was doing and counts nothing. */
uint32_t fl_req_new(fl_world *w);
static inline fl_req *fl_req_at(fl_world *w, uint32_t id) { return &w->reqs[id]; }
/* Marks the server side done; frees the request when the client is done too. */
void fl_req_server_done(fl_world *w, uint32_t id);
void fl_req_client_done(fl_world *w, uint32_t id);

/* Sends request id from its workload to its target over the network. */
void fl_world_send(fl_world *w, uint32_t id);
/* The server answers request id with an outcome: the reply travels back to the client,
 * and the server side is done with it. */
void fl_world_reply(fl_world *w, uint32_t id, fl_outcome o);
/* The client of request id has just given up on it (its timeout fired): tells the serving
 * component (ops->giveup) if it still has the request. The notice takes no time, as a
 * cancellation the protocol carries (an HTTP/2 RST_STREAM, a gRPC cancel) takes a link's
 * latency, small next to the timeouts that send it. */
void fl_world_giveup(fl_world *w, uint32_t id);

/* Workloads (workload.c). */
/* Reads workloads[index]; *out is set (and owned by the world) even on error. */
fl_status fl_workload_configure(fl_world *w, uint32_t index, fl_workload **out,
                                const cJSON *cfg, const char *path, fl_error *e);
fl_status fl_workload_start(fl_world *w, fl_workload *wl);
void fl_workload_report(fl_world *w, fl_workload *wl, cJSON *out);
void fl_workload_sample(fl_world *w, fl_workload *wl, fl_time t);
/* Adds what the workload gathered for the open window to the series and histograms (at
 * the end of a run, however it ended). */
void fl_workload_flush(fl_workload *wl);
const char *fl_workload_name(const fl_workload *wl);
/* Requests issued and still unanswered at the end (conservation check). */
void fl_workload_counts(const fl_workload *wl, uint64_t *issued, uint64_t *ended,
                        uint64_t *in_flight);
void fl_workload_free(fl_workload *wl);

/* Component kinds (one file each), from the one list. */
#define FL_KIND(k) extern const fl_component_ops fl_##k##_ops;
#include "model/kinds.def"
#undef FL_KIND
/* Refuses a cycle in the services' call graph (a request would call itself forever). */
fl_status fl_service_check_cycles(fl_world *w, fl_error *e);

#endif
