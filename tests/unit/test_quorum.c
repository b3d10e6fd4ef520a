/* The quorum kind (leaderless store): latencies that follow from constant delays, a slow
 * replica's effect under each coordinator, and the stale-read rate against an independent
 * Monte Carlo of PBS's WARS model (Bailis et al., "Probabilistically Bounded Staleness for
 * Practical Partial Quorums", VLDB 2012, section 4). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <faultline/faultline.h>

#include "testutil.h"

static double num(const cJSON *root, const char *dotted)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", dotted);
    const cJSON *o = root;
    for (char *k = strtok(buf, "."); k; k = strtok(NULL, "."))
        o = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsNumber(o), "no number at %s", dotted);
    return o->valuedouble;
}

static cJSON *run(const char *text, const char *const *sets, size_t n)
{
    char *s = fl_test_summary(text, sets, n);
    cJSON *j = cJSON_Parse(s);
    free(s);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* Constant delays: every message 1 ms, every read and write 1 ms on a replica; replica 2's
 * disk ten times slower from the start. */
static const char *const constant =
    "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"10s\",\n"
    " \"nodes\": [{\"name\": \"kv\", \"kind\": \"quorum\", \"replicas\": 3, \"r\": 2, \"w\": 2,\n"
    "   \"write_time\": \"const(1ms)\", \"read_time\": \"const(1ms)\",\n"
    "   \"message_delay\": \"const(1ms)\", \"workers\": 64}],\n"
    " \"workloads\": [{\"name\": \"app\", \"target\": \"kv\", \"rate\": \"100/s\",\n"
    "   \"mix\": {\"read\": 0.5, \"write\": 0.5}, \"keys\": \"uniform(50)\"}],\n"
    " \"faults\": [{\"at\": \"0s\", \"for\": \"10s\", \"slow\": {\"node\": \"kv/2\", \"factor\": 10}}]}\n";

START_TEST(a_slow_replica_under_each_coordinator)
{
    /* naive: the request waits for its two chosen replicas; with replica 2 among them
     * (probability 2/3) it takes 1 + 10 + 1 = 12 ms, else 3 ms */
    cJSON *j = run(constant, NULL, 0);
    ck_assert_double_eq_tol(num(j, "nodes.kv.read_latency_ms.p50"), 12, 0.1);
    ck_assert_double_eq_tol(num(j, "nodes.kv.write_latency_ms.p50"), 12, 0.1);
    double slow = num(j, "nodes.kv.members.replica2.reads_served");
    double all = num(j, "nodes.kv.quorum_reads");
    ck_assert_double_eq_tol(slow / all, 2.0 / 3, 0.05);
    cJSON_Delete(j);
    /* fastest: a read goes to all three, the first two answers are the healthy ones */
    const char *fastest[] = {"nodes.kv.coordinator=fastest"};
    j = run(constant, fastest, 1);
    ck_assert_double_eq_tol(num(j, "nodes.kv.read_latency_ms.max"), 3, 0.02);
    ck_assert_double_eq_tol(num(j, "nodes.kv.write_latency_ms.max"), 3, 0.02);
    cJSON_Delete(j);
    /* speculative retry after 5 ms: the third replica's answer comes at 5 + 3 = 8 ms */
    const char *spec[] = {"nodes.kv.speculative_retry=5ms"};
    j = run(constant, spec, 1);
    ck_assert_double_eq_tol(num(j, "nodes.kv.read_latency_ms.max"), 8, 0.05);
    /* a write was sent to all three: the healthy one's ack (3 ms) is in when it fires */
    ck_assert_double_eq_tol(num(j, "nodes.kv.write_latency_ms.max"), 5, 0.05);
    ck_assert_double_eq_tol(num(j, "nodes.kv.speculative_retries") /
                                (num(j, "nodes.kv.quorum_reads") + num(j, "nodes.kv.quorum_writes")),
                            2.0 / 3, 0.05);
    cJSON_Delete(j);
}
END_TEST

/* A pause of replica 0 for the whole run: with W = R = 3 nothing completes; with r = w = 2
 * and a fastest coordinator everything does in 3 ms. */
START_TEST(a_paused_replica_holds_what_waits_for_it)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"2s\",\n"
        " \"nodes\": [{\"name\": \"kv\", \"kind\": \"quorum\", \"replicas\": 3, \"r\": 3,\n"
        "   \"w\": 3, \"write_time\": \"const(1ms)\", \"read_time\": \"const(1ms)\",\n"
        "   \"message_delay\": \"const(1ms)\", \"timeout\": \"500ms\"}],\n"
        " \"workloads\": [{\"name\": \"app\", \"target\": \"kv\", \"rate\": \"100/s\",\n"
        "   \"arrivals\": \"deterministic\", \"mix\": {\"read\": 0.5, \"write\": 0.5}}],\n"
        " \"faults\": [{\"at\": \"0s\", \"for\": \"2s\", \"pause\": \"kv/0\"}]}\n";
    cJSON *j = run(text, NULL, 0);
    ck_assert_double_eq(num(j, "workloads.app.ok"), 0);
    /* requests issued at 0, 10, ..., 1500 ms time out at the coordinator 500 ms later
     * (the last at the run's end, 2 s) */
    ck_assert_double_eq(num(j, "nodes.kv.request_timeouts"), 151);
    cJSON_Delete(j);
    const char *two[] = {"nodes.kv.r=2", "nodes.kv.w=2", "nodes.kv.coordinator=fastest"};
    j = run(text, two, 3);
    ck_assert_double_eq(num(j, "workloads.app.ok"), 200);
    ck_assert_double_eq_tol(num(j, "workloads.app.latency_ms.max"), 3, 0.02);
    cJSON_Delete(j);
}
END_TEST

/* Faults on the node: a slowdown of every replica doubles each disk operation (1 + 2 + 1
 * ms a request); a pause of the node holds the coordinator and every replica, so a
 * request arriving at its start waits for its end. */
START_TEST(node_faults_reach_every_replica_and_the_coordinator)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"3s\",\n"
        " \"nodes\": [{\"name\": \"kv\", \"kind\": \"quorum\", \"replicas\": 3, \"r\": 2,\n"
        "   \"w\": 2, \"coordinator\": \"fastest\", \"write_time\": \"const(1ms)\",\n"
        "   \"read_time\": \"const(1ms)\", \"message_delay\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"app\", \"target\": \"kv\", \"rate\": \"100/s\",\n"
        "   \"arrivals\": \"deterministic\", \"mix\": {\"read\": 0.5, \"write\": 0.5}}],\n"
        " \"faults\": [{\"at\": \"0s\", \"for\": \"3s\", \"slow\": {\"node\": \"kv\", "
        "\"factor\": 2}}]}\n";
    cJSON *j = run(text, NULL, 0);
    ck_assert_double_eq_tol(num(j, "nodes.kv.read_latency_ms.p50"), 4, 0.05);
    ck_assert_double_eq_tol(num(j, "nodes.kv.write_latency_ms.max"), 4, 0.05);
    cJSON_Delete(j);
    const char *pause[] = {"faults=[{\"at\": \"1s\", \"for\": \"1s\", \"pause\": \"kv\"}]"};
    j = run(text, pause, 1);
    /* the request issued at 1 s waits for the end of the pause (2 s), then takes 3 ms */
    ck_assert_double_eq_tol(num(j, "workloads.app.latency_ms.max"), 1003, 0.5);
    ck_assert_double_eq(num(j, "workloads.app.ok"), 300);
    cJSON_Delete(j);
}
END_TEST

/* ---- PBS: an independent Monte Carlo of the WARS model --------------------------------- */

/* Its own generator (splitmix64), so nothing is shared with the simulator. */
static uint64_t mc_state;
static uint64_t mc_next(void)
{
    uint64_t z = (mc_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double mc_exp(double mean)
{
    double u = ((double)(mc_next() >> 11) + 1) * 0x1.0p-53;
    return -mean * log(u);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A random subset of k of n (bit mask). */
static uint32_t mc_subset(int n, int k)
{
    uint32_t m = 0;
    while (__builtin_popcount(m) < k) {
        int i = (int)(mc_next() % (uint64_t)n);
        m |= 1u << i;
    }
    return m;
}

/* P(stale) for a read reaching the coordinator tau ms after a write did (PBS's WARS with
 * every message delay exp(d) ms and every disk operation exp(t) ms, one way): the write
 * is sent to all n replicas (replica i holds it at W_i = d + t, acks at W_i + A_i); it is
 * acknowledged at the w-th ack (fastest) or the last of w chosen replicas' acks (naive).
 * A read that arrives before then compares with the previous write, which every replica
 * holds: never stale. Otherwise it is sent to every replica (fastest) or r chosen ones;
 * replica j answers what it holds when its read ends (R_j = tau + d + t) and the answer
 * comes back S_j = d later; the read counts the first r answers (fastest) or the chosen
 * r, and is stale when none of them held the write. */
static double pbs_stale(int n, int r, int w, bool fastest, double d, double t, double tau,
                        long trials)
{
    long stale = 0;
    for (long k = 0; k < trials; k++) {
        double W[32], ack[32], sorted[32];
        for (int i = 0; i < n; i++) {
            W[i] = mc_exp(d) + mc_exp(t);
            ack[i] = W[i] + mc_exp(d);
            sorted[i] = ack[i];
        }
        double commit;
        if (fastest) {
            qsort(sorted, (size_t)n, sizeof *sorted, cmp_d);
            commit = sorted[w - 1];
        } else {
            uint32_t m = mc_subset(n, w);
            commit = 0;
            for (int i = 0; i < n; i++)
                if (m & (1u << i) && ack[i] > commit)
                    commit = ack[i];
        }
        if (commit > tau)
            continue;
        double done[32], back[32];
        bool has[32];
        for (int i = 0; i < n; i++) {
            done[i] = tau + mc_exp(d) + mc_exp(t);
            has[i] = W[i] <= done[i];
            back[i] = done[i] + mc_exp(d);
        }
        bool fresh = false;
        if (fastest) {
            for (int c = 0; c < r; c++) { /* the first r answers */
                int best = -1;
                for (int i = 0; i < n; i++)
                    if (back[i] >= 0 && (best < 0 || back[i] < back[best]))
                        best = i;
                fresh |= has[best];
                back[best] = -1;
            }
        } else {
            uint32_t m = mc_subset(n, r);
            for (int i = 0; i < n; i++)
                if (m & (1u << i))
                    fresh |= has[i];
        }
        stale += !fresh;
    }
    return (double)stale / (double)trials;
}

/* One write every 100 ms to key 0, and a read of it tau after each write (two evenly
 * spaced workloads): 20,000 of each. Delays exp(1 ms) per message and per disk operation:
 * a write is everywhere long before the next one. */
static void pbs_case(int n, int r, int w, const char *coord, double tau_ms)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"faultline\": 1, \"name\": \"pbs\", \"duration\": \"2000s\",\n"
             " \"nodes\": [{\"name\": \"kv\", \"kind\": \"quorum\", \"replicas\": %d,\n"
             "   \"r\": %d, \"w\": %d, \"coordinator\": \"%s\", \"workers\": 1000,\n"
             "   \"write_time\": \"exp(1ms)\", \"read_time\": \"exp(1ms)\",\n"
             "   \"message_delay\": \"exp(1ms)\"}],\n"
             " \"workloads\": [\n"
             "  {\"name\": \"writer\", \"target\": \"kv\", \"rate\": \"10/s\",\n"
             "   \"arrivals\": \"deterministic\", \"mix\": {\"write\": 1}},\n"
             "  {\"name\": \"reader\", \"target\": \"kv\", \"rate\": \"10/s\",\n"
             "   \"arrivals\": \"deterministic\", \"start\": \"%gms\"}]}\n",
             n, r, w, coord, tau_ms);
    cJSON *j = run(text, NULL, 0);
    double reads = num(j, "nodes.kv.quorum_reads");
    double measured = num(j, "nodes.kv.stale_read_rate");
    cJSON_Delete(j);
    mc_state = 12345;
    long trials = 400000 / FL_TEST_SCALE;
    double predicted = pbs_stale(n, r, w, strcmp(coord, "fastest") == 0, 1, 1, tau_ms, trials);
    /* The interval: 99.9% of the measured rate's binomial spread around the prediction,
     * plus the Monte Carlo's own. */
    double half = 3.29 * (sqrt(predicted * (1 - predicted) / reads) +
                          sqrt(predicted * (1 - predicted) / (double)trials));
    printf("PBS N=%d R=%d W=%d %s tau=%g ms: predicted %.4f +- %.4f, measured %.4f over %g "
           "reads\n", n, r, w, coord, tau_ms, predicted, half, measured, reads);
    ck_assert_double_ge(reads, 19990);
    ck_assert_double_gt(predicted, 0.02); /* a case that can fail either way */
    ck_assert_double_le(fabs(measured - predicted), half);
}

START_TEST(stale_reads_match_pbs_n3_r1_w1_fastest) { pbs_case(3, 1, 1, "fastest", 3); }
END_TEST
START_TEST(stale_reads_match_pbs_n3_r1_w1_naive) { pbs_case(3, 1, 1, "naive", 2); }
END_TEST
START_TEST(stale_reads_match_pbs_n5_r1_w2_fastest) { pbs_case(5, 1, 2, "fastest", 3); }
END_TEST

/* R + W > N: a read's replicas overlap the write's acknowledged ones, so no read is stale
 * (PBS: strict quorums are never stale). */
START_TEST(strict_quorums_are_never_stale)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"100s\",\n"
        " \"nodes\": [{\"name\": \"kv\", \"kind\": \"quorum\", \"replicas\": 3, \"r\": 2,\n"
        "   \"w\": 2, \"write_time\": \"exp(1ms)\", \"read_time\": \"exp(1ms)\",\n"
        "   \"message_delay\": \"exp(1ms)\", \"workers\": 1000}],\n"
        " \"workloads\": [{\"name\": \"app\", \"target\": \"kv\", \"rate\": \"1000/s\",\n"
        "   \"mix\": {\"read\": 0.5, \"write\": 0.5}, \"keys\": \"uniform(5)\"}]}\n";
    cJSON *j = run(text, NULL, 0);
    ck_assert_double_gt(num(j, "nodes.kv.quorum_reads"), 40000);
    ck_assert_double_eq(num(j, "nodes.kv.stale_reads"), 0);
    cJSON_Delete(j);
    const char *partial[] = {"nodes.kv.r=1", "nodes.kv.w=1"};
    j = run(text, partial, 2);
    ck_assert_double_gt(num(j, "nodes.kv.stale_reads"), 100);
    cJSON_Delete(j);
}
END_TEST

/* Read repair overwrites the older answers a read saw: with one replica slow to take
 * writes, repairs happen and stale reads fall. */
START_TEST(read_repair_repairs_older_answers)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"50s\",\n"
        " \"nodes\": [{\"name\": \"kv\", \"kind\": \"quorum\", \"replicas\": 3, \"r\": 2,\n"
        "   \"w\": 1, \"coordinator\": \"fastest\", \"write_time\": \"exp(1ms)\",\n"
        "   \"read_time\": \"exp(1ms)\", \"message_delay\": \"exp(1ms)\", \"workers\": 1000}],\n"
        " \"workloads\": [{\"name\": \"app\", \"target\": \"kv\", \"rate\": \"1000/s\",\n"
        "   \"mix\": {\"read\": 0.5, \"write\": 0.5}, \"keys\": \"uniform(20)\"}]}\n";
    cJSON *j = run(text, NULL, 0);
    ck_assert_double_eq(num(j, "nodes.kv.read_repairs"), 0);
    double stale = num(j, "nodes.kv.stale_reads");
    cJSON_Delete(j);
    const char *rr[] = {"nodes.kv.read_repair=true"};
    j = run(text, rr, 1);
    ck_assert_double_gt(num(j, "nodes.kv.read_repairs"), 100);
    ck_assert_double_lt(num(j, "nodes.kv.stale_reads"), stale);
    cJSON_Delete(j);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("quorum");
    TCase *tc = tcase_create("quorum");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_slow_replica_under_each_coordinator);
    tcase_add_test(tc, a_paused_replica_holds_what_waits_for_it);
    tcase_add_test(tc, node_faults_reach_every_replica_and_the_coordinator);
    tcase_add_test(tc, stale_reads_match_pbs_n3_r1_w1_fastest);
    tcase_add_test(tc, stale_reads_match_pbs_n3_r1_w1_naive);
    tcase_add_test(tc, stale_reads_match_pbs_n5_r1_w2_fastest);
    tcase_add_test(tc, strict_quorums_are_never_stale);
    tcase_add_test(tc, read_repair_repairs_older_answers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return fl_test_run(suite()); }
