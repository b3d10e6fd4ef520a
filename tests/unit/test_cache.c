/* The cache kind: hits and misses by TTL, fill policies under a herd, LRU eviction,
 * invalidation by writes, TTLs on the node's clock, and the delete-on-error loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "testutil.h"

#define fig fl_test_fig

/* One key read every 10 ms (deterministic), TTL 1 s, a backend that answers in 100 ms:
 * each expiry is one miss episode in which the reads of the next 100 ms all miss. */
static const char *const herd =
    "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"10.5s\",\n"
    " \"nodes\": [{\"name\": \"cache\", \"kind\": \"cache\", \"backend\": \"db\", \"ttl\": \"1s\",\n"
    "   \"hit_time\": \"const(0ms)\", \"fill\": \"none\"},\n"
    "  {\"name\": \"db\", \"kind\": \"service\", \"workers\": 100, \"service_time\": "
    "\"const(100ms)\"}],\n"
    " \"workloads\": [{\"name\": \"r\", \"target\": \"cache\", \"rate\": \"100/s\", "
    "\"arrivals\": \"deterministic\", \"keys\": \"const(3)\"}]}\n";

/* A warm tier: the cache "cold" fills from the cache "warm" instead of the database. One
 * key, read 100/s evenly for 10 s, a TTL of 1 s: the key misses at 0 and then once a
 * second, 10 fills. With the warm tier always on every fill reads "warm" and none the
 * database; "warm" (TTL 60 s) misses once, so the database serves 1 read. With warm_for
 * 3.5 s the fills at 0, 1, 2 and 3 s read "warm" (4) and the 6 later ones the database
 * (6), plus warm's own 1. */
START_TEST(warm_tier_takes_the_fills_while_warming)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"w\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"cold\", \"kind\": \"cache\", \"backend\": \"db\", \"ttl\": \"1s\",\n"
        "              \"warm_tier\": \"warm\"},\n"
        "  {\"name\": \"warm\", \"kind\": \"cache\", \"backend\": \"db\", \"ttl\": \"60s\"},\n"
        "  {\"name\": \"db\", \"kind\": \"service\", \"workers\": 4, \"service_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"r\", \"target\": \"cold\", \"rate\": \"100/s\",\n"
        "                  \"arrivals\": \"deterministic\", \"keys\": \"const(1)\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq(fig(s, "\"cold\"", "\"backend_fetches\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"warm_tier\"", "\"fetches\":\t"), 10);
    ck_assert_double_eq(fig(s, "\"db\"", "\"served\":\t"), 1);
    free(s);
    const char *sets[] = {"nodes.cold.warm_for=\"3.5s\""};
    s = fl_test_summary(text, sets, 1);
    ck_assert_double_eq(fig(s, "\"cold\"", "\"backend_fetches\":\t"), 6);
    ck_assert_double_eq(fig(s, "\"warm_tier\"", "\"fetches\":\t"), 4);
    ck_assert_double_eq(fig(s, "\"db\"", "\"served\":\t"), 7);
    free(s);
}
END_TEST

START_TEST(stampede_counts_follow_rate_times_recompute)
{
    char *s = fl_test_summary(herd, NULL, 0);
    /* reads at 0, 10, ..., 90 ms miss (the first fill lands at 100 ms): 10 per episode */
    ck_assert_double_eq(fig(s, "\"cache\"", "\"fetches_per_episode\":\t"), 10);
    double episodes = fig(s, "\"cache\"", "\"miss_episodes\":\t");
    ck_assert_double_eq(episodes, 9); /* see ttl_runs_on_the_local_clock */
    ck_assert_double_eq(fig(s, "\"cache\"", "\"backend_fetches\":\t"), 10 * episodes);
    free(s);
    const char *lock[] = {"nodes.cache.fill=lock"};
    s = fl_test_summary(herd, lock, 1);
    ck_assert_double_eq(fig(s, "\"cache\"", "\"fetches_per_episode\":\t"), 1);
    /* the waiters see the rest of the recompute: the first waits 100 ms */
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":\t"), 100, 0.01);
    free(s);
    const char *swr[] = {"nodes.cache.fill=swr"};
    s = fl_test_summary(herd, swr, 1);
    ck_assert_double_eq(fig(s, "\"cache\"", "\"fetches_per_episode\":\t"), 1);
    /* only the very first read (nothing cached yet) waits */
    ck_assert_double_gt(fig(s, "\"cache\"", "\"stale_served\":\t"), 0);
    free(s);
}
END_TEST

/* Leases: one backend query per key per lease interval even when every query fails. */
START_TEST(leases_bound_queries_when_fills_fail)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"60s\",\n"
        " \"nodes\": [{\"name\": \"cache\", \"kind\": \"cache\", \"backend\": \"db\", \"ttl\": \"1s\",\n"
        "   \"fill\": \"lease\", \"lease_interval\": \"10s\", \"backend_client\": {\"timeout\": \"1s\"}},\n"
        "  {\"name\": \"db\", \"kind\": \"service\", \"service_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"r\", \"target\": \"cache\", \"rate\": \"100/s\", "
        "\"keys\": \"const(1)\", \"client\": {\"timeout\": \"2s\"}}],\n"
        " \"faults\": [{\"at\": \"0s\", \"crash\": \"db\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    /* the database is down all along: a lease at 0, 10, ..., 50 s: six queries */
    ck_assert_double_eq(fig(s, "\"cache\"", "\"backend_fetches\":\t"), 6);
    ck_assert_double_eq(fig(s, "\"cache\"", "\"backend_errors\":\t"), 6);
    free(s);
}
END_TEST

/* Capacity evicts the least recently used; a write invalidates its key. */
START_TEST(lru_and_invalidation)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"20s\",\n"
        " \"nodes\": [{\"name\": \"cache\", \"kind\": \"cache\", \"backend\": \"db\", \"ttl\": \"1h\",\n"
        "   \"capacity\": 10},\n"
        "  {\"name\": \"db\", \"kind\": \"service\", \"workers\": 10, \"service_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"r\", \"target\": \"cache\", \"rate\": \"100/s\", "
        "\"arrivals\": \"deterministic\", \"keys\": \"uniform(20)\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    double hits = fig(s, "\"cache\"", "\"hits\":\t"), misses = fig(s, "\"cache\"", "\"misses\":\t");
    /* 10 of 20 keys fit, reads are uniform: about half hit once warm */
    ck_assert_double_gt(hits / (hits + misses), 0.4);
    ck_assert_double_lt(hits / (hits + misses), 0.6);
    ck_assert_double_ge(fig(s, "\"cache\"", "\"evictions\":\t"), misses - 10);
    ck_assert_double_eq(fig(s, "\"cache\"", "\"entries_at_end\":\t"), 10);
    free(s);
    const char *writes[] = {"nodes.cache.capacity=0", "workloads.r.mix={\"read\": 1, \"write\": 1}"};
    s = fl_test_summary(text, writes, 2);
    /* an acknowledged write deletes its key when cached (once all 20 keys are cached, the
     * key a write names is cached unless a write deleted it since its last read) */
    double inval = fig(s, "\"cache\"", "\"invalidations\":\t");
    ck_assert_double_gt(inval, 0.3 * fig(s, "\"cache\"", "\"writes\":\t"));
    ck_assert_double_le(inval, fig(s, "\"cache\"", "\"writes\":\t"));
    ck_assert_double_eq(fig(s, "\"cache\"", "\"write_errors\":\t"), 0);
    free(s);
}
END_TEST

/* TTLs run on the cache node's clock: at +100000 ppm (10% fast) a 1 s TTL lasts 1/1.1 s,
 * so more episodes fit in the same true time. Each of an episode's ten fills stores the
 * value again, the last at 190 ms into the episode, so an episode starts every 1.19 s on a
 * true clock (9 in 10.5 s) and every 0.909 + 0.19 = 1.099 s on the fast one (10). */
START_TEST(ttl_runs_on_the_local_clock)
{
    char *s = fl_test_summary(herd, NULL, 0);
    double normal = fig(s, "\"cache\"", "\"miss_episodes\":\t");
    free(s);
    const char *fast[] = {"nodes.cache.clock={\"drift\": \"100000ppm\"}"};
    s = fl_test_summary(herd, fast, 1);
    double quick = fig(s, "\"cache\"", "\"miss_episodes\":\t");
    free(s);
    /* 10.5 s of episodes every 1.1 s (TTL + recompute) vs every 1/1.1 + 0.1 s */
    ck_assert_double_eq(normal, 9);
    ck_assert_double_eq(quick, 10);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, stampede_counts_follow_rate_times_recompute);
    tcase_add_test(tc, warm_tier_takes_the_fills_while_warming);
    tcase_add_test(tc, leases_bound_queries_when_fills_fail);
    tcase_add_test(tc, lru_and_invalidation);
    tcase_add_test(tc, ttl_runs_on_the_local_clock);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
