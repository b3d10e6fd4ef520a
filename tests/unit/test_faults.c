/* The fault timeline: overlapping faults compose, and a fault a kind accepts changes its
 * node. Every expectation follows from the arithmetic of a deterministic load. */
#include <math.h>
#include <stdio.h>

#include <faultline/run.h>
#include <faultline/scenario.h>

#include "testutil.h"

#define fig fl_test_fig
#define MAXW 64

/* One column of the time series, window by window, read as the run goes. */
typedef struct watch {
    const char *column;
    double v[MAXW];
    size_t n;
} watch;

static void on_window(void *ctx, const fl_series *s, size_t w)
{
    watch *x = ctx;
    for (size_t c = 0; c < fl_series_columns(s); c++)
        if (strcmp(fl_series_name(s, (int)c), x->column) == 0 && w < MAXW) {
            x->v[w] = fl_series_value(s, (int)c, w);
            if (w + 1 > x->n)
                x->n = w + 1;
        }
}

/* Runs text and records `column` per window; returns the summary (caller frees). */
static char *run_watch(const char *text, watch *x)
{
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert_msg(fl_scenario_parse(text, strlen(text), "t.json", &sc, &e) == FL_OK, "%s", e.msg);
    fl_run_config cfg = {.window = on_window, .progress_ctx = x};
    fl_result *r = NULL;
    ck_assert_msg(fl_run(sc, &cfg, &r, &e) == FL_OK, "%s", e.msg);
    char *s = strdup(fl_result_summary(r));
    fl_result_free(r);
    fl_scenario_free(sc);
    ck_assert_uint_ge(x->n, 40);
    return s;
}

/* The mean of windows [from, to) (window w ends at w + 1 s). */
static double mean(const watch *x, size_t from, size_t to)
{
    double sum = 0;
    for (size_t w = from; w < to; w++)
        sum += x->v[w];
    return sum / (double)(to - from);
}

/* A service with 64 workers, 100 requests/s arriving every 10 ms, each taking exactly
 * 20 ms: 2 workers are busy at any instant (100/s x 20 ms). Slowed 4x from 10 s to 50 s,
 * and 2x more from 20 s to 30 s: 8 busy (x 4), 16 (x 8), then 8 again once the inner
 * slowdown ends: its end restores the outer one, it does not cancel it. The windows
 * start one second after each change, so no request started before it is still in
 * service (at most 160 ms). */
#define SERVICE                                                                            \
    "{\"faultline\": 1, \"name\": \"s\", \"duration\": \"60s\", \"window\": \"1s\",\n"     \
    " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"workers\": 64,\n"            \
    "              \"service_time\": \"const(20ms)\"}],\n"                                \
    " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"100/s\",\n"        \
    "                  \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"10s\"}}],\n"

START_TEST(overlapping_slowdowns_multiply_and_unwind)
{
    const char *both = SERVICE
        " \"faults\": [{\"at\": \"10s\", \"for\": \"40s\", \"slow\": {\"node\": \"api\", \"factor\": 4}},\n"
        "              {\"at\": \"20s\", \"for\": \"10s\", \"slow\": {\"node\": \"api\", \"factor\": 2}}]}\n";
    const char *outer = SERVICE
        " \"faults\": [{\"at\": \"10s\", \"for\": \"40s\", \"slow\": {\"node\": \"api\", \"factor\": 4}}]}\n";
    watch a = {.column = "api.busy"}, b = {.column = "api.busy"};
    free(run_watch(both, &a));
    free(run_watch(outer, &b));
    ck_assert_double_eq_tol(mean(&a, 1, 9), 2, 0.01);
    ck_assert_double_eq_tol(mean(&a, 11, 19), 8, 0.01);
    ck_assert_double_eq_tol(mean(&a, 21, 29), 16, 0.01);
    ck_assert_double_eq_tol(mean(&a, 31, 49), 8, 0.01); /* the outer slowdown alone */
    ck_assert_double_eq_tol(mean(&a, 51, 59), 2, 0.01);
    for (size_t w = 31; w < 49; w++) /* the same windows as without the inner fault */
        ck_assert_double_eq(a.v[w], b.v[w]);
}
END_TEST

/* Two overlapping pauses: the node stays stopped until the later one ends (30 s), though
 * the inner one ends at 20 s; nothing completes meanwhile, so the 100 requests/s pile up
 * in the node and are all served at 30 s. */
START_TEST(overlapping_pauses_stop_until_the_last_ends)
{
    const char *text = SERVICE
        " \"faults\": [{\"at\": \"10s\", \"for\": \"20s\", \"pause\": \"api\"},\n"
        "              {\"at\": \"15s\", \"for\": \"5s\", \"pause\": \"api\"}]}\n";
    watch x = {.column = "api.busy"};
    free(run_watch(text, &x));
    ck_assert_double_eq(x.v[25], 64); /* all workers hold finished work until 30 s */
    ck_assert_double_eq_tol(mean(&x, 31, 59), 2, 0.01);
}
END_TEST

/* A consumer group of one member reads one partition fed 100 messages/s; each takes 5 ms
 * (capacity 200/s). Slowed 4x for 10 s it manages 50/s, so the backlog grows by 50 a second:
 * 500 messages at the end of the fault, plus the one being processed. */
START_TEST(slow_consumer_processes_slower)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"40s\", \"window\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"k\", \"kind\": \"broker\", \"partitions\": 1},\n"
        "             {\"name\": \"g\", \"kind\": \"consumer\", \"broker\": \"k\",\n"
        "              \"process\": \"const(5ms)\", \"max_poll_records\": 1}],\n"
        " \"workloads\": [{\"name\": \"p\", \"target\": \"k\", \"rate\": \"100/s\",\n"
        "                  \"arrivals\": \"deterministic\", \"keys\": \"const(0)\"}],\n"
        " \"faults\": [{\"at\": \"10s\", \"for\": \"10s\", \"slow\": {\"node\": \"g\", \"factor\": 4}}]}\n";
    const char *no_fault[] = {"faults=[]"};
    watch x = {.column = "g.lag.p0"};
    free(run_watch(text, &x));
    for (size_t w = 10; w < 20; w++) /* the series: 50 more behind every second of the fault */
        ck_assert_double_eq_tol(x.v[w], 50 * (double)(w + 1 - 10) + 1, 1);
    ck_assert_double_le(x.v[30], 1); /* caught up: 200/s against 100/s clears 500 in 5 s */
    char *s = fl_test_summary(text, NULL, 0);
    char *n = fl_test_summary(text, no_fault, 1);
    ck_assert_double_eq(fig(s, "\"g\":", "\"lag_max\":\t"), 501);
    ck_assert_double_eq(fig(n, "\"g\":", "\"lag_max\":\t"), 1);
    /* The message published at 15 s waits for the 250 ahead of it at 20 ms each. */
    ck_assert_double_eq_tol(fig(s, "\"g\":", "\"max_delay_s\":\t"), 5, 0.02);
    ck_assert_double_eq(fig(s, "\"g\":", "\"processed\":\t"), 4000);
    free(s);
    free(n);
}
END_TEST

/* A broker paused from 10 s to 20 s appends nothing and delivers nothing: the 1000
 * publishes of the pause are appended when it resumes, the partition is stalled for the
 * whole pause, and nothing is lost. */
START_TEST(paused_broker_delivers_nothing)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"40s\", \"window\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"k\", \"kind\": \"broker\", \"partitions\": 1},\n"
        "             {\"name\": \"g\", \"kind\": \"consumer\", \"broker\": \"k\",\n"
        "              \"process\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"p\", \"target\": \"k\", \"rate\": \"100/s\",\n"
        "                  \"arrivals\": \"deterministic\", \"keys\": \"const(0)\",\n"
        "                  \"client\": {\"timeout\": \"30s\"}}],\n"
        " \"faults\": [{\"at\": \"10s\", \"for\": \"10s\", \"pause\": \"k\"}]}\n";
    watch x = {.column = "k.published"};
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert(fl_scenario_parse(text, strlen(text), "t.json", &sc, &e) == FL_OK);
    fl_run_config cfg = {.window = on_window, .progress_ctx = &x};
    fl_result *r = NULL;
    ck_assert_msg(fl_run(sc, &cfg, &r, &e) == FL_OK, "%s", e.msg);
    const char *s = fl_result_summary(r);
    for (size_t w = 10; w < 19; w++)
        ck_assert_double_eq(x.v[w], 0); /* nothing appended while paused */
    ck_assert_double_eq(x.v[20], 1100); /* the held publishes, and the window's own */
    ck_assert_double_eq(fig(s, "\"k\":", "\"published\":\t"), 4000);
    ck_assert_double_eq(fig(s, "\"g\":", "\"stalled_s\":\t"), 10);
    /* The first batch after the pause, 500 records at 1 ms, commits at 20.5 s: by then 50
     * more have been published behind the 1000 held ones. */
    ck_assert_double_eq(fig(s, "\"g\":", "\"lag_max\":\t"), 1050);
    ck_assert_double_eq(fig(s, "\"lost\":", "\"count\":\t"), 0);
    fl_result_free(r);
    fl_scenario_free(sc);
}
END_TEST

/* A store with two replicas, 100 writes/s every 10 ms, 1 ms to commit and 1 ms to apply
 * (async). A fault naming one replica hits that replica only. */
#define STORE                                                                              \
    "{\"faultline\": 1, \"name\": \"s\", \"duration\": \"40s\", \"window\": \"1s\",\n"     \
    " \"nodes\": [{\"name\": \"db\", \"kind\": \"store\", \"replicas\": 2,\n"               \
    "              \"write_time\": \"const(1ms)\", \"read_time\": \"const(1ms)\",\n"        \
    "              \"apply_time\": \"const(1ms)\", \"replication\": \"async\"}],\n"         \
    " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"100/s\",\n"         \
    "                  \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}}],\n"

/* Replica 2 paused for 10 s applies nothing: 1000 writes behind at the end, the oldest
 * committed just after 10 s; replica 1 keeps up (one write in apply at most). */
START_TEST(pause_on_one_replica)
{
    char *s = fl_test_summary(STORE
        " \"faults\": [{\"at\": \"10s\", \"for\": \"10s\", \"pause\": \"db/2\"}]}\n", NULL, 0);
    ck_assert_double_eq(fig(s, "\"replica1\":", "\"max_lag_writes\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"replica2\":", "\"max_lag_writes\":\t"), 1000);
    ck_assert_double_eq_tol(fig(s, "\"replica2\":", "\"max_lag_s\":\t"), 10, 0.002);
    ck_assert_double_eq(fig(s, "\"replica2\":", "\"applied\":\t"), 4000);
    ck_assert_double_eq(fig(s, "\"sojourn_ms\":", "\"max\":\t"), 1); /* the primary: untouched */
    free(s);
}
END_TEST

/* Replica 1 slowed 20x (20 ms an apply: 50/s of the 100/s) falls 50 writes a second behind
 * for 10 s: 500, plus the one in apply, and the write committed at 15 s waits 5 s. */
START_TEST(slow_disk_on_one_replica)
{
    char *s = fl_test_summary(STORE
        " \"faults\": [{\"at\": \"10s\", \"for\": \"10s\", \"slow\": {\"node\": \"db/1\", \"factor\": 20}}]}\n",
        NULL, 0);
    ck_assert_double_eq(fig(s, "\"replica1\":", "\"max_lag_writes\":\t"), 501);
    ck_assert_double_eq_tol(fig(s, "\"replica1\":", "\"max_lag_s\":\t"), 5, 0.02);
    ck_assert_double_eq(fig(s, "\"replica2\":", "\"max_lag_writes\":\t"), 1);
    free(s);
}
END_TEST

/* Two election members, m1 (member 0, primary) in zone a and m2 in zone b, naive failover
 * (3 s timeout, 1 s heartbeats); a client per zone writes every 100 ms with a 1 s timeout.
 * m1 is paused from 10.55 s to 13.45 s (no partition). */
#define ELECTION                                                                              \
    "{\"faultline\": 1, \"name\": \"e\", \"duration\": \"40s\", \"window\": \"1s\",\n"        \
    " \"zones\": [\"a\", \"b\"],\n"                                                            \
    " \"nodes\": [{\"name\": \"g\", \"kind\": \"election\", \"zones\": [\"a\", \"b\"],\n"     \
    "   \"heartbeat_interval\": \"1s\", \"failure_timeout\": \"3s\", \"failover\": \"naive\"}],\n" \
    " \"workloads\": [\n"                                                                      \
    "  {\"name\": \"ca\", \"target\": \"g\", \"zone\": \"a\", \"rate\": \"10/s\",\n"           \
    "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}, \"keys\": \"uniform(1000000)\",\n" \
    "   \"client\": {\"timeout\": \"1s\"}},\n"                                                 \
    "  {\"name\": \"cb\", \"target\": \"g\", \"zone\": \"b\", \"rate\": \"10/s\",\n"           \
    "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}, \"keys\": \"uniform(1000000)\",\n" \
    "   \"client\": {\"timeout\": \"1s\"}}],\n"

/* m2 last heard m1 at 10 s and promotes itself at the 13 s tick; both clients follow it
 * from then on. The writes sent to m1 from 10.6 s to 13.0 s (25 per client: the one of
 * 13.0 s reaches m1 before that tick) wait in m1; it wakes at 13.45 s still primary and
 * takes them all before it reads m2's heartbeat (sent at 13 s, waiting behind them), steps
 * down and syncs from m2, which discards the 50. Those sent from 12.5 s on (6 per client)
 * were still awaited by their clients (1 s timeout): 12 acknowledged writes lost, with no
 * partition and no time with two primaries accepting. Nobody could write from 10.55 s to
 * 13 s. Pausing m2 instead (member 1) changes nothing for the clients. */
START_TEST(paused_primary_wakes_up_and_loses_writes)
{
    char *s = fl_test_summary(ELECTION
        " \"faults\": [{\"at\": \"10.55s\", \"for\": \"2.9s\", \"pause\": \"g/0\"}]}\n", NULL, 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"failovers\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"g\"", "\"writes_discarded\":\t"), 50);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 12);
    ck_assert_double_eq(fig(s, "\"split_brain\"", "\"seconds\":\t"), 0);
    ck_assert_double_eq_tol(fig(s, "\"g\"", "\"unavailable_s\":\t"), 2.45, 1e-9);
    free(s);
    s = fl_test_summary(ELECTION
        " \"faults\": [{\"at\": \"10.55s\", \"for\": \"2.9s\", \"pause\": \"g/1\"}]}\n", NULL, 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"failovers\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"lost_writes\"", "\"count\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"g\"", "\"unavailable_s\":\t"), 0);
    free(s);
}
END_TEST

/* 1000 requests/s from west to east, each answered. Two flaky faults of loss 0.5 on the
 * link: both for the first 50 s (a message survives both with 0.5 x 0.5: loss 0.75), one
 * for the last 50 s (0.5). Requests: 100,000, of which 37,500 + 25,000 lost; replies to
 * the 12,500 + 25,000 delivered, of which 9,375 + 12,500 lost. So 137,500 messages sent and
 * 84,375 lost, within a few standard deviations (about 150 each). Summing the losses would
 * lose everything in the first half (125,000 sent, 100,000 lost). */
START_TEST(overlapping_losses_compose_as_independent)
{
    char *s = fl_test_summary(
        "{\"faultline\": 1, \"name\": \"n\", \"duration\": \"100s\", \"zones\": [\"east\", \"west\"],\n"
        " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"zone\": \"east\", \"workers\": 100,\n"
        "   \"service_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"zone\": \"west\", \"rate\": \"1000/s\",\n"
        "   \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"1s\"}}],\n"
        " \"faults\": [{\"at\": \"0s\", \"for\": \"100s\", \"flaky\": {\"between\": [\"east\", \"west\"], \"loss\": 0.5}},\n"
        "   {\"at\": \"0s\", \"for\": \"50s\", \"flaky\": {\"between\": [\"east\", \"west\"], \"loss\": 0.5}}]}\n",
        NULL, 0);
    ck_assert_double_eq_tol(fig(s, "\"network\"", "\"messages_sent\":\t"), 137500, 1000);
    ck_assert_double_eq_tol(fig(s, "\"network\"", "\"lost_to_loss\":\t"), 84375, 1000);
    free(s);
}
END_TEST


/* A rollout whose version crashes the node, and one that composes with a slow fault: the
 * crashing version refuses every request while it runs (100/s for 1 s), then the node
 * serves again; cpu_factor multiplies with a slow fault in force (2 x 5 = 10 ms). */
START_TEST(a_crashing_version_refuses_until_rolled_back)
{
#define TWO_BEHIND_LB(EFFECT, MORE)                                                             \
    "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"4s\", \"window\": \"1s\",\n"          \
    " \"nodes\": [{\"name\": \"lb\", \"kind\": \"balancer\", \"backends\": [\"a\", \"b\"]},\n"  \
    "  {\"name\": \"a\", \"kind\": \"service\", \"workers\": 100, \"service_time\": "           \
    "\"const(1ms)\"},\n"                                                                        \
    "  {\"name\": \"b\", \"kind\": \"service\", \"workers\": 100, \"service_time\": "           \
    "\"const(1ms)\"}],\n"                                                                       \
    " \"workloads\": [{\"name\": \"w\", \"target\": \"lb\", \"rate\": \"200/s\",\n"             \
    "   \"arrivals\": \"deterministic\"}],\n"                                                   \
    " \"faults\": [{\"at\": \"1001ms\", \"rollout\": {\"to\": \"lb\", \"waves\": [0.5, 1],\n"   \
    "   \"wave_interval\": \"10s\", \"effect\": " EFFECT ", \"rollback\": {\"after\": \"1s\"}}}" \
    MORE "]}\n"
    char *s = fl_test_summary(TWO_BEHIND_LB("{\"crash\": true}", ""), NULL, 0);
    ck_assert_double_eq(fig(s, "\"a\":\t{\n\t\t\t\"kind\":\t\"service\"", "\"refused\":\t"), 100);
    ck_assert_double_eq(fig(s, "\"b\":\t{\n\t\t\t\"kind\":\t\"service\"", "\"refused\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"dependency\":\t"), 100);
    free(s);
    s = fl_test_summary(TWO_BEHIND_LB("{\"cpu_factor\": 5}", ",\n {\"at\": \"5ms\", \"for\": \"3995ms\", "
                                      "\"slow\": {\"node\": \"a\", \"factor\": 2}}"),
                        NULL, 0);
    /* a serves 100/s: its first request (at 0 s) at 1 ms, before the slow fault; 299 at
     * 2 ms outside the rollout, 100 at 2 x 5 = 10 ms within */
    ck_assert_double_eq_tol(fig(s, "\"a\":\t{\n\t\t\t\"kind\":\t\"service\"", "\"work_s\":\t"),
                            0.001 + 0.598 + 1.0, 1e-6);
    free(s);
#undef TWO_BEHIND_LB
}
END_TEST

int main(void)
{
    Suite *s = suite_create("faults");
    TCase *t = tcase_create("faults");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, overlapping_slowdowns_multiply_and_unwind);
    tcase_add_test(t, overlapping_pauses_stop_until_the_last_ends);
    tcase_add_test(t, slow_consumer_processes_slower);
    tcase_add_test(t, paused_broker_delivers_nothing);
    tcase_add_test(t, pause_on_one_replica);
    tcase_add_test(t, slow_disk_on_one_replica);
    tcase_add_test(t, paused_primary_wakes_up_and_loses_writes);
    tcase_add_test(t, overlapping_losses_compose_as_independent);
    tcase_add_test(t, a_crashing_version_refuses_until_rolled_back);
    suite_add_tcase(s, t);
    return fl_test_run(s);
}
