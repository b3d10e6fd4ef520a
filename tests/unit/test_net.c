/* The network: loss rates, bursty loss, partitions (both ways, one way, heal). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "testutil.h"

#define fig fl_test_fig

/* A client in "west" calling a service in "east", 100 requests/s, evenly spaced. */
static char *run(const char *links, const char *faults)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"faultline\": 1, \"name\": \"n\", \"duration\": \"100s\", \"zones\": [\"east\", \"west\"],\n"
             " \"links\": %s,\n"
             " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"zone\": \"east\", \"workers\": 100,\n"
             "   \"service_time\": \"const(1ms)\"}],\n"
             " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"zone\": \"west\", \"rate\": \"%s\",\n"
             "   \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"1s\"}}],\n"
             " \"faults\": %s}\n",
             links, faults[0] ? "100/s" : "1000/s", faults[0] ? faults : "[]");
    fl_scenario *sc;
    fl_error e;
    ck_assert_msg(fl_scenario_parse(text, strlen(text), "n.json", &sc, &e) == FL_OK, "%s", e.msg);
    fl_run_config cfg = {0};
    fl_result *r;
    ck_assert_int_eq(fl_run(sc, &cfg, &r, &e), FL_OK);
    char *s = strdup(fl_result_summary(r));
    fl_result_free(r);
    fl_scenario_free(sc);
    return s;
}

START_TEST(independent_loss_rate)
{
    char *s = run("{\"default\": {\"loss\": 0.1}}", "");
    double sent = fig(s, "\"network\"", "\"messages_sent\":\t");
    double lost = fig(s, "\"network\"", "\"lost_to_loss\":\t");
    ck_assert_double_gt(sent, 150000);
    ck_assert_double_lt(fabs(lost / sent - 0.1), 5 * sqrt(0.09 / sent));
    /* every lost request or reply is a client timeout, but for those lost in the last
     * second, whose 1 s timeout falls after the end: about 1000/s x 0.19 of them */
    double timeouts = fig(s, "\"errors_by_cause\"", "\"timeout\":\t");
    ck_assert_double_le(timeouts, lost);
    ck_assert_double_lt(lost - timeouts, 300);
    free(s);
}
END_TEST

START_TEST(bursty_loss_rate)
{
    /* Gilbert-Elliott: stationary P(bad) = enter / (enter + exit) = 0.01 / 0.11. */
    char *s = run("{\"default\": {\"burst\": {\"enter\": 0.01, \"exit\": 0.1, \"loss\": 1}}}", "");
    double sent = fig(s, "\"network\"", "\"messages_sent\":\t");
    double lost = fig(s, "\"network\"", "\"lost_to_loss\":\t");
    ck_assert_double_lt(fabs(lost / sent - 0.01 / 0.11), 0.1 * 0.01 / 0.11);
    free(s);
}
END_TEST

START_TEST(partition_both_ways_then_heal)
{
    char *s = run("{}", "[{\"at\": \"10s\", \"for\": \"10s\", \"partition\": [[\"east\"], [\"west\"]]}]");
    /* requests at 10.00 .. 19.99 s are lost, all 1000; replies need no wire time */
    ck_assert_double_eq(fig(s, "\"network\"", "\"lost_in_partition\":\t"), 1000);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"timeout\":\t"), 1000);
    ck_assert_double_eq(fig(s, "\"nodes\"", "\"received\":\t"), 9000);
    free(s);
}
END_TEST

START_TEST(partition_one_way)
{
    /* Replies cut, requests through: the server works, the client still times out. */
    char *s = run("{}", "[{\"at\": \"10s\", \"for\": \"10s\", \"partition\": {\"from\": [\"east\"], \"to\": [\"west\"]}}]");
    ck_assert_double_eq(fig(s, "\"network\"", "\"lost_in_partition\":\t"), 1000);
    ck_assert_double_eq(fig(s, "\"nodes\"", "\"received\":\t"), 10000);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"timeout\":\t"), 1000);
    free(s);
    /* The other way: requests cut, so the server never sees them. */
    s = run("{}", "[{\"at\": \"10s\", \"for\": \"10s\", \"partition\": {\"from\": [\"west\"], \"to\": [\"east\"]}}]");
    ck_assert_double_eq(fig(s, "\"nodes\"", "\"received\":\t"), 9000);
    free(s);
}
END_TEST

START_TEST(slow_link_adds_latency)
{
    char *s = run("{}", "[{\"at\": \"0s\", \"for\": \"200s\", \"slow_link\": {\"between\": [\"east\", \"west\"], \"add\": \"50ms\"}}]");
    /* both directions: 2 x 50 ms + 1 ms of service */
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"p50\":\t"), 101, 1);
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("net");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, independent_loss_rate);
    tcase_add_test(tc, bursty_loss_rate);
    tcase_add_test(tc, partition_both_ways_then_heal);
    tcase_add_test(tc, partition_one_way);
    tcase_add_test(tc, slow_link_adds_latency);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
