/* The ratelimit kind (the example of docs/writing-a-kind.md): a token bucket in
 * front of a node admits its burst, then one request per 1/rate; the rest are answered
 * rate_limited at once. Counts follow from the bucket's arithmetic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "testutil.h"

#define fig fl_test_fig

/* 300 requests/s arriving every 10/3 ms for 10 s (3000 in all) at a limiter of 100/s with
 * a burst of 10. */
static const char *const limited =
    "{\"faultline\": 1, \"name\": \"rl\", \"duration\": \"10s\",\n"
    " \"nodes\": [{\"name\": \"limiter\", \"kind\": \"ratelimit\", \"target\": \"api\",\n"
    "   \"rate\": \"100/s\", \"burst\": 10},\n"
    "  {\"name\": \"api\", \"kind\": \"service\", \"workers\": 100, \"service_time\": "
    "\"const(1ms)\"}],\n"
    " \"workloads\": [{\"name\": \"w\", \"target\": \"limiter\", \"rate\": \"300/s\", "
    "\"arrivals\": \"deterministic\"}]}\n";

START_TEST(admits_the_burst_then_one_per_interval)
{
    char *s = fl_test_summary(limited, NULL, 0);
    /* After n admissions the bucket's theoretical arrival time is n x 10 ms; admission n+1
     * needs n x 10 ms - now <= (burst - 1) x 10 ms, i.e. now >= (n - 9) x 10 ms. The last
     * arrival is at 9996.67 ms, so n + 1 reaches 1009: the burst of 10 and 999 more. */
    ck_assert_double_eq(fig(s, "\"limiter\"", "\"admitted\":\t"), 1009);
    ck_assert_double_eq(fig(s, "\"limiter\"", "\"rate_limited\":\t"), 3000 - 1009);
    ck_assert_double_eq(fig(s, "\"w\"", "\"ok\":\t"), 1009);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"rate_limited\":\t"), 1991);
    /* refused at once: the limited requests take no time, so the mean latency is the
     * admitted share of the service time */
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"mean\":\t"), 1009.0 / 3000, 1e-6);
    free(s);
    /* a larger bucket admits more at the start and the same rate after */
    const char *big[] = {"nodes.limiter.burst=100"};
    s = fl_test_summary(limited, big, 1);
    ck_assert_double_eq(fig(s, "\"limiter\"", "\"admitted\":\t"), 1099);
    free(s);
}
END_TEST

/* A world without a limiter reports no rate_limited cause: the outcome is the kind's own. */
START_TEST(the_cause_appears_only_with_a_limiter)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"x\", \"duration\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"service_time\": "
        "\"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"10/s\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_ptr_null(strstr(s, "rate_limited"));
    free(s);
}
END_TEST

/* A crash of the limiter refuses arrivals while it lasts, and the requests it had
 * forwarded get no answer (their clients time out). */
START_TEST(a_crash_refuses_and_loses_what_was_forwarded)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"rl\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"limiter\", \"kind\": \"ratelimit\", \"target\": \"api\",\n"
        "   \"rate\": \"1000/s\", \"burst\": 1000},\n"
        "  {\"name\": \"api\", \"kind\": \"service\", \"workers\": 100, \"service_time\": "
        "\"const(5ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"limiter\", \"rate\": \"300/s\", "
        "\"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"100ms\"}}],\n"
        " \"faults\": [{\"at\": \"2001ms\", \"for\": \"1s\", \"crash\": \"limiter\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    /* arrivals at 2003.33 ... 3000 ms: 300 refused; those at 1996.67 and 2000 ms were in
     * the api's 5 ms when the limiter crashed: lost, timed out */
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"refused\":\t"), 300);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"timeout\":\t"), 2);
    /* and the last arrival (9996.67 ms) is still in the api's 5 ms when the run ends */
    ck_assert_double_eq(fig(s, "\"w\"", "\"in_flight_at_end\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"w\"", "\"ok\":\t"), 3000 - 302 - 1);
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("ratelimit");
    tcase_add_test(tc, admits_the_burst_then_one_per_interval);
    tcase_add_test(tc, the_cause_appears_only_with_a_limiter);
    tcase_add_test(tc, a_crash_refuses_and_loses_what_was_forwarded);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
