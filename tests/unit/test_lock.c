/* The lock kinds (lock, lock_client, lock_storage): leases run on the server's own clock,
 * clock steps end them early, fencing rejects exactly the stale writes, Redlock counts a
 * majority, and bad configurations are refused with their JSON path. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <faultline/check.h>
#include <faultline/status.h>

#include "model/world.h"
#include "testutil.h"

/* Builds and runs the world of `text` (a whole scenario with no variants); the caller
 * frees it. *summary receives fl_world_report's figures. */
static fl_world *run_world(const char *text, cJSON **summary)
{
    cJSON *doc = cJSON_Parse(text);
    ck_assert_ptr_nonnull(doc);
    fl_world *w;
    fl_error e;
    fl_error_clear(&e);
    fl_status st = fl_world_build(doc, 1, &w, &e);
    ck_assert_msg(st == FL_OK, "%s: %s", e.path, e.msg);
    ck_assert_int_eq(fl_world_run(w), FL_OK);
    *summary = cJSON_CreateObject();
    fl_world_report(w, *summary);
    cJSON_Delete(doc);
    return w;
}

static double fig(const cJSON *summary, const char *node, const char *a, const char *b)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(summary, "nodes"), node);
    o = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        o = cJSON_GetObjectItemCaseSensitive(o, b);
    ck_assert_msg(cJSON_IsNumber(o), "no figure nodes.%s.%s%s%s", node, a, b ? "." : "",
                  b ? b : "");
    return o->valuedouble;
}

/* The history's client number of lock_client node `index`. */
#define CLIENT(index) ((1u << 31) | (index))

/* The first successful acquisition by the client (node index), or -1. */
static fl_time first_acquire(const fl_world *w, uint32_t index, int64_t *token)
{
    for (size_t i = 0; i < fl_history_count(w->history); i++) {
        const fl_op *op = fl_history_get(w->history, i);
        if (op->kind == FL_OP_ACQUIRE && op->client == CLIENT(index) && op->outcome == FL_OP_OK) {
            if (token)
                *token = op->token;
            return op->complete;
        }
    }
    return -1;
}

/* Zero-latency links: client-1 takes the lease at 0 and keeps believing it holds it (its
 * work outlasts the run); client-2 asks every millisecond from 1 ms. The server's clock is
 * set by %s. */
static const char *lease_text =
    "{\"duration\": \"20s\",\n"
    " \"nodes\": [{\"name\": \"lock\", \"kind\": \"lock\", \"ttl\": \"10s\"%s},\n"
    "  {\"name\": \"client-1\", \"kind\": \"lock_client\", \"servers\": [\"lock\"],\n"
    "   \"storage\": \"storage\", \"work\": \"const(60s)\"},\n"
    "  {\"name\": \"client-2\", \"kind\": \"lock_client\", \"servers\": [\"lock\"],\n"
    "   \"storage\": \"storage\", \"start\": \"1ms\", \"retry\": \"const(1ms)\",\n"
    "   \"work\": \"const(60s)\"},\n"
    "  {\"name\": \"storage\", \"kind\": \"lock_storage\"}],\n"
    " \"workloads\": [{\"name\": \"r\", \"target\": \"storage\", \"rate\": \"1/s\"}]%s}\n";

/* A lease of 10 s on a clock 5% fast ends after 10/1.05 s of true time, on a clock 5% slow
 * after 10/0.95 s: client-2 gets it at the first millisecond after that, and client-1 (who
 * still believes it holds it at the end, 20 s) overran by 20 s minus that, to the ns. */
START_TEST(lease_expires_on_the_servers_clock)
{
    static const struct {
        const char *clock;
        fl_time expiry; /* when wall reaches 10 s (to the ns: the clock rounds) */
    } cases[] = {
        {", \"clock\": {\"drift\": \"50000ppm\"}", 9523809524},   /* ceil(10e9 / 1.05) */
        {", \"clock\": {\"drift\": \"-50000ppm\"}", 10526315790}, /* ceil(10e9 / 0.95) */
        {"", 10 * FL_SEC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2000];
        snprintf(text, sizeof text, lease_text, cases[i].clock, "");
        cJSON *s;
        fl_world *w = run_world(text, &s);
        int64_t token;
        fl_time want = (cases[i].expiry + FL_MS - 1) / FL_MS * FL_MS;
        ck_assert_int_eq(first_acquire(w, 1, &token), 0);
        ck_assert_int_eq(token, 1);
        ck_assert_int_eq(first_acquire(w, 2, &token), want);
        ck_assert_int_eq(token, 2);
        ck_assert_double_eq_tol(fig(s, "client-1", "max_overrun_s", NULL),
                                fl_time_to_s(20 * FL_SEC - cases[i].expiry), 2e-9);
        ck_assert_double_eq(fig(s, "client-1", "expired_while_held", NULL), 1);
        ck_assert_double_eq(fig(s, "lock", "grants", NULL), 2);
        cJSON_Delete(s);
        fl_world_free(w);
    }
}
END_TEST

/* The lock protocol travels on the network model: a partition that cuts only the pair
 * client-2 -> lock keeps client-2 from the lease after it ends at 10 s, until the cut ends
 * at 15 s; its next try (every millisecond, after its 100 ms timeout on the lost ones)
 * then takes it. */
START_TEST(node_pair_partition_cuts_lock_protocol)
{
    char text[2000];
    snprintf(text, sizeof text, lease_text, "",
             ", \"faults\": [{\"at\": \"0s\", \"for\": \"15s\", "
             "\"partition\": {\"links\": [[\"client-2\", \"lock\"]]}}]");
    cJSON *s;
    fl_world *w = run_world(text, &s);
    int64_t token;
    ck_assert_int_eq(first_acquire(w, 1, &token), 0);
    fl_time t2 = first_acquire(w, 2, &token);
    ck_assert_int_ge(t2, 15 * FL_SEC);
    ck_assert_int_le(t2, 15 * FL_SEC + 102 * FL_MS);
    ck_assert_int_eq(token, 2);
    cJSON_Delete(s);
    fl_world_free(w);
}
END_TEST

/* A step of +5 s at 3 s on the server's wall clock: the lease stamped to end at wall 10 s
 * ends at true 5 s, half its TTL. A step back (-5 s) makes it last 15 s. A step on the
 * client's clock changes nothing: leases are the server's. */
START_TEST(a_clock_step_moves_the_expiry)
{
    static const struct {
        const char *faults;
        fl_time at;
    } cases[] = {
        {", \"faults\": [{\"at\": \"3s\", \"clock\": {\"node\": \"lock\", \"step\": \"+5s\"}}]",
         5 * FL_SEC},
        {", \"faults\": [{\"at\": \"3s\", \"clock\": {\"node\": \"lock\", \"step\": \"-5s\"}}]",
         15 * FL_SEC},
        {", \"faults\": [{\"at\": \"3s\", \"clock\": {\"node\": \"client-2\", \"step\": \"+5s\"}}]",
         10 * FL_SEC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2000];
        snprintf(text, sizeof text, lease_text, "", cases[i].faults);
        cJSON *s;
        fl_world *w = run_world(text, &s);
        ck_assert_int_eq(first_acquire(w, 2, NULL), cases[i].at);
        ck_assert_double_eq_tol(fig(s, "client-1", "max_overrun_s", NULL),
                                fl_time_to_s(20 * FL_SEC - cases[i].at), 1e-12);
        cJSON_Delete(s);
        fl_world_free(w);
    }
}
END_TEST

/* Kleppmann's timeline with zero-latency links: client-1 takes token 1 at 0, pauses from
 * 1 s to 16 s; client-2 gets token 2 at 10 s, writes at 14 s and 18 s; client-1 writes at
 * 16 s with token 1, then (unfenced) again at 20 s. */
static const char *gc_text =
    "{\"duration\": \"%s\",\n"
    " \"nodes\": [{\"name\": \"lock\", \"kind\": \"lock\", \"ttl\": \"10s\"},\n"
    "  {\"name\": \"client-1\", \"kind\": \"lock_client\", \"servers\": [\"lock\"],\n"
    "   \"storage\": \"storage\", \"work\": \"const(4s)\", \"writes\": 2, \"retry\": \"const(1s)\"},\n"
    "  {\"name\": \"client-2\", \"kind\": \"lock_client\", \"servers\": [\"lock\"],\n"
    "   \"storage\": \"storage\", \"start\": \"0.5s\", \"work\": \"const(4s)\", \"writes\": 2,\n"
    "   \"retry\": \"const(500ms)\"},\n"
    "  {\"name\": \"storage\", \"kind\": \"lock_storage\", \"fencing\": %s}],\n"
    " \"workloads\": [{\"name\": \"r\", \"target\": \"storage\", \"rate\": \"1/s\"}],\n"
    " \"faults\": [{\"at\": \"1s\", \"for\": \"15s\", \"pause\": \"client-1\"}]}\n";

/* Every write the storage saw, in the order it applied them (zero latency: the order of
 * completion), is rejected exactly when its token is below the highest token of a write
 * applied before it. */
START_TEST(fencing_rejects_exactly_the_stale_writes)
{
    for (int fencing = 0; fencing <= 1; fencing++) {
        char text[2000];
        snprintf(text, sizeof text, gc_text, "60s", fencing ? "true" : "false");
        cJSON *s;
        fl_world *w = run_world(text, &s);
        int64_t highest = 0;
        int writes = 0, rejected = 0, stale = 0;
        fl_time last = 0;
        for (size_t i = 0; i < fl_history_count(w->history); i++) {
            const fl_op *op = fl_history_get(w->history, i);
            if (op->kind != FL_OP_WRITE || op->client < CLIENT(0))
                continue;
            ck_assert_int_ge(op->complete, last); /* recorded in the order applied */
            last = op->complete;
            writes++;
            bool older = op->token < highest;
            stale += older;
            ck_assert_int_eq(op->outcome, fencing && older ? FL_OP_FAIL : FL_OP_OK);
            if (op->outcome == FL_OP_OK && op->token > highest)
                highest = op->token;
            rejected += op->outcome == FL_OP_FAIL;
        }
        ck_assert_int_eq(stale, fencing ? 1 : 2); /* fenced, client-1 stops writing */
        ck_assert_int_eq(rejected, fencing ? 1 : 0);
        ck_assert_double_eq(fig(s, "storage", "writes_rejected", NULL), rejected);
        ck_assert_double_eq(fig(s, "storage", "writes_accepted", NULL), writes - rejected);
        ck_assert_double_eq(fig(s, "storage", "stale_writes_accepted", NULL), fencing ? 0 : 2);
        ck_assert_double_eq(fig(s, "storage", "fenced_writes", "count"), rejected);
        ck_assert_double_eq(fig(s, "storage", "mutual_exclusion_violations", "count"),
                            fencing ? 0 : 1);
        ck_assert_double_eq(fig(s, "client-1", "writes_fenced", NULL), rejected);
        cJSON_Delete(s);
        fl_world_free(w);
    }
}
END_TEST

/* The exact timeline, unfenced: client-2's lease starts when client-1's ends (10 s), and
 * client-1's stale write lands at 16 s, the moment it resumes. */
START_TEST(gc_pause_timeline)
{
    char text[2000];
    snprintf(text, sizeof text, gc_text, "30s", "false");
    cJSON *s;
    fl_world *w = run_world(text, &s);
    int64_t token;
    ck_assert_int_eq(first_acquire(w, 2, &token), 10 * FL_SEC);
    ck_assert_int_eq(token, 2);
    fl_time c1_writes[4];
    int n = 0;
    for (size_t i = 0; i < fl_history_count(w->history); i++) {
        const fl_op *op = fl_history_get(w->history, i);
        if (op->kind == FL_OP_WRITE && op->client == CLIENT(1) && n < 4)
            c1_writes[n++] = op->invoke;
    }
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(c1_writes[0], 16 * FL_SEC);
    ck_assert_int_eq(c1_writes[1], 20 * FL_SEC);
    ck_assert_double_eq(fig(s, "client-1", "expired_while_held", NULL), 1);
    ck_assert_double_eq_tol(fig(s, "client-1", "max_overrun_s", NULL), 10, 1e-12);
    cJSON_Delete(s);
    fl_world_free(w);
}
END_TEST

/* Redlock over three servers (majority 2) with zero latency. For its first second client-1
 * cannot reach c, so it holds a and b (deciding when its 100 ms timeout for c fires);
 * client-2 gets only c and lets it go, again and again, until client-1 releases at 6.1 s.
 * With a +10 s step on a's clock at 1 s, a's lease is over at once: client-2's attempt at
 * 1.5 s gets a and c, a majority, while client-1 still holds one: both write. */
START_TEST(redlock_majority_and_clock_jump)
{
    const char *fmt =
        "{\"duration\": \"8s\", \"zones\": [\"z1\", \"z2\", \"zc\"],\n"
        " \"nodes\": [{\"name\": \"a\", \"kind\": \"lock\"}, {\"name\": \"b\", \"kind\": \"lock\"},\n"
        "  {\"name\": \"c\", \"kind\": \"lock\", \"zone\": \"zc\"},\n"
        "  {\"name\": \"client-1\", \"kind\": \"lock_client\", \"servers\": [\"a\", \"b\", \"c\"],\n"
        "   \"zone\": \"z1\", \"storage\": \"storage\", \"start\": \"1ms\", \"work\": \"const(3s)\",\n"
        "   \"writes\": 2},\n"
        "  {\"name\": \"client-2\", \"kind\": \"lock_client\", \"servers\": [\"a\", \"b\", \"c\"],\n"
        "   \"zone\": \"z2\", \"storage\": \"storage\", \"start\": \"0.5s\", \"work\": \"const(1s)\",\n"
        "   \"writes\": 2, \"retry\": \"const(1s)\"},\n"
        "  {\"name\": \"storage\", \"kind\": \"lock_storage\"}],\n"
        " \"workloads\": [{\"name\": \"r\", \"target\": \"storage\", \"rate\": \"1/s\"}],\n"
        " \"faults\": [{\"at\": \"0s\", \"for\": \"1s\", \"partition\": [[\"z1\"], [\"zc\"]]}%s]}\n";
    for (int jump = 0; jump <= 1; jump++) {
        char text[2000];
        snprintf(text, sizeof text, fmt,
                 jump ? ", {\"at\": \"1s\", \"clock\": {\"node\": \"a\", \"step\": \"+10s\"}}" : "");
        cJSON *s;
        fl_world *w = run_world(text, &s);
        ck_assert_int_eq(first_acquire(w, 3, NULL), 101 * FL_MS);
        ck_assert_int_eq(first_acquire(w, 4, NULL), jump ? 1500 * FL_MS : 6500 * FL_MS);
        ck_assert_double_eq(fig(s, "client-1", "quorum", NULL), 2);
        ck_assert_double_eq(fig(s, "client-1", "expired_while_held", NULL), jump);
        ck_assert_double_eq(fig(s, "storage", "mutual_exclusion_violations", "count"), jump);
        ck_assert_double_eq(fig(s, "a", "expirations", NULL), jump);
        cJSON_Delete(s);
        fl_world_free(w);
    }
}
END_TEST

/* Crashes. The server crashes at 2 s for 1 s and forgets client-1's lease (it lived in
 * memory): client-2's attempts while it is down go unanswered (each fails when its 100 ms
 * timeout fires, then it retries 1 ms later: 2.000, 2.101, ..., 2.909 s), and the first
 * after the restart, at 3.010 s, gets token 2, seven seconds before the lease would have
 * expired. A crashed client sends no release: its hold ends when it crashes. */
START_TEST(crashes)
{
    char text[2000];
    snprintf(text, sizeof text, lease_text, "",
             ", \"faults\": [{\"at\": \"2s\", \"for\": \"1s\", \"crash\": \"lock\"}]");
    cJSON *s;
    fl_world *w = run_world(text, &s);
    int64_t token;
    ck_assert_int_eq(first_acquire(w, 2, &token), 3010 * FL_MS);
    ck_assert_int_eq(token, 2);
    ck_assert_double_eq(fig(s, "storage", "mutual_exclusion_violations", "count"), 0);
    cJSON_Delete(s);
    fl_world_free(w);

    /* client-1 crashes at 5 s while holding (work 60 s) and sends no release: its lease
     * runs out at 10 s, when client-2 (asking every ms) takes it. client-1 restarts at
     * 6.05 s and asks every 200 ms (6.05, ..., 9.85, 10.05 s): refused every time. Two
     * leases expired: client-1's at 10 s and client-2's at the end (20 s). */
    snprintf(text, sizeof text, lease_text, "",
             ", \"faults\": [{\"at\": \"5s\", \"for\": \"1050ms\", \"crash\": \"client-1\"}]");
    w = run_world(text, &s);
    ck_assert_int_eq(first_acquire(w, 2, NULL), 10 * FL_SEC);
    ck_assert_double_eq(fig(s, "client-1", "holds", NULL), 1);
    ck_assert_double_eq(fig(s, "client-1", "acquisitions", NULL), 1);
    ck_assert_double_eq(fig(s, "client-1", "expired_while_held", NULL), 0);
    ck_assert_double_eq(fig(s, "lock", "expirations", NULL), 2);
    cJSON_Delete(s);
    fl_world_free(w);

    /* The storage is down from 3 s to 10 s: client-1's write at 4 s (work 4 s) is never
     * answered; it gives up after its 100 ms timeout (unknown outcome) and lets go. */
    const char *store_down =
        "{\"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"lock\", \"kind\": \"lock\"},\n"
        "  {\"name\": \"client-1\", \"kind\": \"lock_client\", \"servers\": [\"lock\"],\n"
        "   \"storage\": \"storage\", \"work\": \"const(4s)\", \"idle\": \"const(60s)\"},\n"
        "  {\"name\": \"storage\", \"kind\": \"lock_storage\"}],\n"
        " \"workloads\": [{\"name\": \"r\", \"target\": \"storage\", \"rate\": \"1/s\"}],\n"
        " \"faults\": [{\"at\": \"3s\", \"for\": \"7s\", \"crash\": \"storage\"}]}\n";
    w = run_world(store_down, &s);
    ck_assert_double_eq(fig(s, "client-1", "writes_unknown", NULL), 1);
    ck_assert_double_eq(fig(s, "client-1", "writes_ok", NULL), 0);
    ck_assert_double_eq(fig(s, "storage", "writes_accepted", NULL), 0);
    ck_assert_double_eq(fig(s, "lock", "releases", NULL), 1);
    size_t infos = 0;
    for (size_t i = 0; i < fl_history_count(w->history); i++) {
        const fl_op *op = fl_history_get(w->history, i);
        if (op->kind == FL_OP_WRITE && op->client == CLIENT(1)) {
            ck_assert_int_eq(op->outcome, FL_OP_INFO);
            ck_assert_int_eq(op->complete, 4100 * FL_MS);
            infos++;
        }
    }
    ck_assert_int_eq(infos, 1);
    cJSON_Delete(s);
    fl_world_free(w);
}
END_TEST

/* Fence on acquire. Client-2's work (8 s) outlasts client-1's pause: client-2 takes token 2
 * at 10 s and first writes at 18 s; client-1 resumes at 16 s and writes with token 1 at
 * 16 s and 20 s. A fencing storage that learns tokens only from writes accepts the 16 s
 * write (it has seen no token 2 yet) and rejects the 20 s one: both clients wrote inside
 * the overlap [10 s, 20 s], a violation. With "fence_on_acquire" client-2 sends token 2 at
 * 10 s, before its hold begins: client-1's write at 16 s is rejected and it lets go. */
static const char *fence_text =
    "{\"duration\": \"21s\",\n"
    " \"nodes\": [{\"name\": \"lock\", \"kind\": \"lock\", \"ttl\": \"10s\"},\n"
    "  {\"name\": \"client-1\", \"kind\": \"lock_client\", \"servers\": [\"lock\"],\n"
    "   \"storage\": \"storage\", \"work\": \"const(4s)\", \"writes\": 2%s},\n"
    "  {\"name\": \"client-2\", \"kind\": \"lock_client\", \"servers\": [\"lock\"],\n"
    "   \"storage\": \"storage\", \"start\": \"0.5s\", \"work\": \"const(8s)\", \"writes\": 2,\n"
    "   \"retry\": \"const(500ms)\"%s},\n"
    "  {\"name\": \"storage\", \"kind\": \"lock_storage\", \"fencing\": true}],\n"
    " \"workloads\": [{\"name\": \"r\", \"target\": \"storage\", \"rate\": \"1/s\"}],\n"
    " \"faults\": [{\"at\": \"1s\", \"for\": \"15s\", \"pause\": \"client-1\"}%s]}\n";

START_TEST(fence_on_acquire_closes_the_gap)
{
    const char *on = ", \"fence_on_acquire\": true";
    for (int fence = 0; fence <= 1; fence++) {
        char text[3000];
        snprintf(text, sizeof text, fence_text, fence ? on : "", fence ? on : "", "");
        cJSON *s;
        fl_world *w = run_world(text, &s);
        ck_assert_int_eq(first_acquire(w, 2, NULL), 10 * FL_SEC);
        ck_assert_double_eq(fig(s, "storage", "mutual_exclusion_violations", "count"),
                            fence ? 0 : 1);
        /* client-1's write at 16 s: accepted unfenced, its 20 s one rejected; fenced, the
         * 16 s one is rejected and it writes no more */
        ck_assert_double_eq(fig(s, "client-1", "writes_ok", NULL), fence ? 0 : 1);
        ck_assert_double_eq(fig(s, "client-1", "writes_fenced", NULL), 1);
        ck_assert_double_eq(fig(s, "client-2", "writes_ok", NULL), 1); /* 18 s */
        /* fenced, client-1 retries (every 200 ms from 17 s) and takes token 3 when
         * client-2's lease runs out at 20 s, and fences with it */
        ck_assert_double_eq(fig(s, "storage", "highest_token", NULL), fence ? 3 : 2);
        if (fence) {
            ck_assert_double_eq(fig(s, "client-1", "fences_ok", NULL), 2); /* 0 s, 20 s */
            ck_assert_double_eq(fig(s, "client-2", "fences_ok", NULL), 1); /* at 10 s */
            ck_assert_double_eq(fig(s, "client-2", "fences_failed", NULL), 0);
        }
        cJSON_Delete(s);
        fl_world_free(w);
    }

    /* The storage is paused from 9 s to 12 s: client-2's fences at 10.0, 10.6, ..., 11.8 s
     * get no answer within the 100 ms timeout; it releases each time and holds nothing
     * until a fence after 12 s is answered. The held fences land at 12 s and raise the
     * highest token: client-1's write at 16 s is rejected all the same. */
    char text[3000];
    snprintf(text, sizeof text, fence_text, on, on,
             ", {\"at\": \"9s\", \"for\": \"3s\", \"pause\": \"storage\"}");
    cJSON *s;
    fl_world *w = run_world(text, &s);
    ck_assert_double_eq(fig(s, "client-2", "fences_failed", NULL), 4);
    ck_assert_double_eq(fig(s, "client-2", "fences_ok", NULL), 1);
    ck_assert_double_eq(fig(s, "client-2", "holds", NULL), 1);
    ck_assert_double_eq(fig(s, "client-1", "writes_ok", NULL), 0);
    ck_assert_double_eq(fig(s, "storage", "mutual_exclusion_violations", "count"), 0);
    cJSON_Delete(s);
    fl_world_free(w);
}
END_TEST

START_TEST(bad_configurations)
{
    const char *base =
        "{\"duration\": \"10s\", \"nodes\": [{\"name\": \"lock\", \"kind\": \"lock\"},\n"
        "  {\"name\": \"l2\", \"kind\": \"lock\"}, {\"name\": \"svc\", \"kind\": \"service\", "
        "\"service_time\": \"const(1ms)\"},\n"
        "  {\"name\": \"client\", \"kind\": \"lock_client\", %s},\n"
        "  {\"name\": \"storage\", \"kind\": \"lock_storage\", \"fencing\": true}],\n"
        " \"workloads\": [{\"name\": \"r\", \"target\": \"storage\", \"rate\": \"1/s\"}]}\n";
    const char *bad[][2] = {
        {"\"storage\": \"storage\"",
         "nodes[3].servers: missing; expected the lock servers, such as [\"lock\"] (one) or five "
         "for Redlock"},
        {"\"servers\": \"lock\", \"storage\": \"storage\"",
         "nodes[3].servers: expected an array of 1 to 31 lock node names, got \"lock\""},
        {"\"servers\": [\"lokc\"], \"storage\": \"storage\"",
         "nodes[3].servers[0]: no node named \"lokc\" (did you mean \"lock\"?)"},
        {"\"servers\": [\"svc\"], \"storage\": \"storage\"",
         "nodes[3].servers[0]: expected a node of kind \"lock\", but \"svc\" is a service"},
        {"\"servers\": [\"lock\", \"lock\"], \"storage\": \"storage\"",
         "nodes[3].servers[1]: \"lock\" is listed twice"},
        {"\"servers\": [\"lock\"]",
         "nodes[3].storage: missing; expected the name of the lock_storage node the client "
         "writes to"},
        {"\"servers\": [\"lock\", \"l2\"], \"storage\": \"storage\"",
         "nodes[3].storage: \"storage\" checks fencing tokens, but a client of 2 lock servers "
         "(Redlock) has no monotonic token to give it: use one lock server, or \"fencing\": "
         "false"},
        {"\"servers\": [\"lock\"], \"storage\": \"storage\", \"writes\": 0",
         "nodes[3].writes: expected an integer from 1 to 1000000, got 0"},
        {"\"servers\": [\"lock\"], \"storage\": \"storage\", \"drift_allowance\": \"-1ppm\"",
         "nodes[3].drift_allowance: expected an allowance of 0 or more, such as \"10000ppm\" "
         "(1%)"},
        {"\"servers\": [\"lock\"], \"storage\": \"storage\", \"ttl\": \"1s\"",
         "nodes[3].ttl: unknown key \"ttl\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[2000];
        snprintf(text, sizeof text, base, bad[i][0]);
        cJSON *doc = cJSON_Parse(text);
        ck_assert_ptr_nonnull(doc);
        fl_world *w;
        fl_error e;
        fl_error_clear(&e);
        ck_assert_int_ne(fl_world_build(doc, 1, &w, &e), FL_OK);
        char msg[1000];
        fl_error_format(&e, msg, sizeof msg);
        ck_assert_str_eq(msg, bad[i][1]);
        cJSON_Delete(doc);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lock");
    TCase *tc = tcase_create("lock");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lease_expires_on_the_servers_clock);
    tcase_add_test(tc, node_pair_partition_cuts_lock_protocol);
    tcase_add_test(tc, a_clock_step_moves_the_expiry);
    tcase_add_test(tc, fencing_rejects_exactly_the_stale_writes);
    tcase_add_test(tc, gc_pause_timeline);
    tcase_add_test(tc, redlock_majority_and_clock_jump);
    tcase_add_test(tc, crashes);
    tcase_add_test(tc, fence_on_acquire_closes_the_gap);
    tcase_add_test(tc, bad_configurations);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
