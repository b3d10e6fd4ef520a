/* The network: loss rates, bursty loss, partitions (both ways, one way, heal, named
 * pairs), duplication, reordering and FIFO, bandwidth, per-node-pair links. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "net/link.h"
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

/* Runs a whole scenario document; returns its summary (to free). */
static char *run_doc(const char *text)
{
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

/* A network of two zones configured from `links` (JSON text), with no clock: every
 * message is sent at time 0. */
static fl_net *net_of(const char *links)
{
    static const char *const zones[] = {"east", "west"};
    cJSON *j = cJSON_Parse(links);
    ck_assert_ptr_nonnull(j);
    fl_net *n;
    fl_error e;
    ck_assert_msg(fl_net_configure(j, zones, 2, 7, &n, &e) == FL_OK, "%s", e.msg);
    cJSON_Delete(j);
    return n;
}

START_TEST(duplication_rate)
{
    /* 10% of the messages that arrive come twice: the server serves every copy, the client
     * takes one answer per request. */
    char *s = run("{\"default\": {\"latency\": \"uniform(1ms, 9ms)\", \"duplicate\": 0.1}}", "");
    double sent = fig(s, "\"network\"", "\"messages_sent\":\t");
    double dup = fig(s, "\"network\"", "\"duplicated\":\t");
    ck_assert_double_lt(fabs(dup / sent - 0.1), 5 * sqrt(0.09 / sent));
    double req_dup = fig(s, "\"west->east\"", "\"duplicated\":\t");
    double received = fig(s, "\"nodes\"", "\"received\":\t");
    double issued = fig(s, "\"workloads\"", "\"issued\":\t");
    ck_assert_double_eq(issued, 100000);
    /* every copy reaches the server, but for the last few still on the wire at the end */
    ck_assert_double_le(received, issued + req_dup);
    ck_assert_double_ge(received, issued + req_dup - 20);
    /* the copies' work is wasted: 1 ms each, but for those still in service at the end */
    ck_assert_double_eq_tol(fig(s, "\"nodes\"", "\"wasted_work_s\":\t"), req_dup * 0.001, 0.02);
    /* each request answered once: no error, one try each, conservation holds */
    double ok = fig(s, "\"workloads\"", "\"ok\":\t");
    double inflight = fig(s, "\"workloads\"", "\"in_flight_at_end\":\t");
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"errors\":\t"), 0);
    ck_assert_double_eq(ok + inflight, issued);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"tries\":\t"), issued);
    ck_assert_ptr_nonnull(strstr(s, "\"conservation\":\t{\n\t\t\t\"issued\":\t100000"));
    free(s);
}
END_TEST

START_TEST(flaky_duplicates_for_its_time)
{
    char *s = run("{}", "[{\"at\": \"10s\", \"for\": \"10s\", \"flaky\": {\"between\": [\"east\", \"west\"], \"duplicate\": 0.5}}]");
    /* 1000 requests and 1000 replies in the fault's 10 s, and the replies to the doubled
     * requests' copies: half of them doubled */
    double dup = fig(s, "\"network\"", "\"duplicated\":\t");
    double req_dup = fig(s, "\"west->east\"", "\"duplicated\":\t");
    double sent = 2000 + req_dup;
    ck_assert_double_lt(fabs(dup - sent / 2), 5 * sqrt(sent * 0.25));
    ck_assert_double_eq(fig(s, "\"network\"", "\"messages_sent\":\t"), 20000 + req_dup);
    ck_assert_double_eq(fig(s, "\"nodes\"", "\"received\":\t"),
                        10000 + fig(s, "\"west->east\"", "\"duplicated\":\t"));
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"errors\":\t"), 0);
    free(s);
}
END_TEST

START_TEST(fifo_forbids_overtaking)
{
    /* All sent at once (no clock): delays in sending order are the delivery order. */
    fl_net *n = net_of("{\"zones\": [{\"between\": [\"east\", \"west\"], \"latency\": \"uniform(1ms, 50ms)\", \"fifo\": true}]}");
    fl_link *l = fl_net_link(n, 0, 1);
    fl_time prev = 0;
    for (int i = 0; i < 10000; i++) {
        fl_time d = fl_link_send(l);
        ck_assert_int_ge(d, prev);
        prev = d;
    }
    ck_assert_int_eq(l->reordered, 0);
    fl_net_free(n);
    /* Without fifo, a message is reordered when it arrives before the latest so far. */
    n = net_of("{\"zones\": [{\"between\": [\"east\", \"west\"], \"latency\": \"uniform(1ms, 50ms)\", \"fifo\": false}]}");
    l = fl_net_link(n, 0, 1);
    fl_time latest = 0;
    uint64_t expect = 0;
    for (int i = 0; i < 10000; i++) {
        fl_time d = fl_link_send(l);
        expect += d < latest;
        latest = d > latest ? d : latest;
    }
    ck_assert_uint_eq(l->reordered, expect);
    ck_assert_uint_gt(expect, 9000);
    fl_net_free(n);
    /* In a run: 1 ms apart with 1..9 ms of latency, messages overtake; with fifo none does,
     * and the wait behind earlier messages shows in the latency. */
    char *a = run("{\"default\": {\"latency\": \"uniform(1ms, 9ms)\", \"fifo\": false}}", "");
    char *b = run("{\"default\": {\"latency\": \"uniform(1ms, 9ms)\", \"fifo\": true}}", "");
    char *c = run("{\"default\": {\"latency\": \"const(5ms)\", \"fifo\": false}}", "");
    ck_assert_double_gt(fig(a, "\"network\"", "\"reordered\":\t"), 100000);
    ck_assert_double_eq(fig(b, "\"network\"", "\"reordered\":\t"), 0);
    ck_assert_double_eq(fig(c, "\"network\"", "\"reordered\":\t"), 0);
    ck_assert_double_gt(fig(b, "\"latency_ms\"", "\"mean\":\t"),
                        fig(a, "\"latency_ms\"", "\"mean\":\t") + 2);
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(bandwidth_saturated_link)
{
    /* 1 Mbit/s and 1250-byte requests: 100 requests/s fit; 200/s are offered. */
    char text[4096];
    snprintf(text, sizeof text,
             "{\"faultline\": 1, \"name\": \"n\", \"duration\": \"100s\", \"zones\": [\"east\", \"west\"],\n"
             " \"links\": {\"zones\": [{\"between\": [\"east\", \"west\"], \"latency\": \"const(5ms)\",\n"
             "   \"bandwidth\": \"1Mbit/s\", \"request_bytes\": 1250, \"reply_bytes\": 125}]},\n"
             " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"zone\": \"east\", \"workers\": 100,\n"
             "   \"service_time\": \"const(1ms)\"}],\n"
             " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"zone\": \"west\", \"rate\": \"200/s\",\n"
             "   \"arrivals\": \"%s\", \"client\": {\"timeout\": \"1s\"}}]}\n", "poisson");
    char *s = run_doc(text);
    double received = fig(s, "\"nodes\"", "\"received\":\t");
    ck_assert_double_lt(fabs(received / 100.0 - 100), 1); /* requests/s within 1% */
    ck_assert_double_gt(fig(s, "\"west->east\"", "\"queueing_ms_max\":\t"), 40000);
    free(s);
    /* Directly: messages sent together leave one serialisation time (10 ms) apart. */
    fl_net *n = net_of("{\"zones\": [{\"between\": [\"east\", \"west\"], \"latency\": \"const(5ms)\", \"bandwidth\": \"125kB/s\", \"request_bytes\": 1250}]}");
    fl_link *l = fl_net_link(n, 1, 0);
    for (int i = 1; i <= 100; i++)
        ck_assert_int_eq(fl_link_send(l), i * 10 * FL_MS + 5 * FL_MS);
    /* A healthy link next to it stays on the fast path. */
    ck_assert(l->impaired);
    ck_assert(!fl_net_link(n, 0, 0)->impaired);
    ck_assert(!fl_net_link(n, -1, 1)->impaired);
    fl_net_free(n);
    /* With no extras anywhere, no link leaves the fast path, and the report is as before. */
    n = net_of("{\"default\": {\"latency\": \"exp(1ms)\"}}");
    for (int a = -1; a < 2; a++)
        for (int b = -1; b < 2; b++)
            ck_assert(!fl_net_link(n, a, b)->impaired);
    fl_net_free(n);
    s = run("{\"default\": {\"latency\": \"exp(1ms)\"}}", "");
    ck_assert_ptr_null(strstr(s, "\"duplicated\""));
    ck_assert_ptr_null(strstr(s, "zone_links"));
    free(s);
}
END_TEST

/* Two workloads in west, w1 -> s1 and w2 -> s2 (east), and a service `api` in west that
 * calls `db` in east, itself called by w3. Zone links: const(1ms). */
static char *run_nodes(const char *nodes_links, const char *faults)
{
    char text[8192];
    snprintf(text, sizeof text,
             "{\"faultline\": 1, \"name\": \"n\", \"duration\": \"100s\", \"zones\": [\"east\", \"west\"],\n"
             " \"links\": {\"default\": {\"latency\": \"const(1ms)\"}%s},\n"
             " \"nodes\": [{\"name\": \"s1\", \"kind\": \"service\", \"zone\": \"east\", \"workers\": 100, \"service_time\": \"const(1ms)\"},\n"
             "   {\"name\": \"s2\", \"kind\": \"service\", \"zone\": \"east\", \"workers\": 100, \"service_time\": \"const(1ms)\"},\n"
             "   {\"name\": \"api\", \"kind\": \"service\", \"zone\": \"west\", \"workers\": 1000, \"service_time\": \"const(1ms)\",\n"
             "    \"calls\": [{\"to\": \"db\", \"client\": {\"timeout\": \"1s\"}}]},\n"
             "   {\"name\": \"db\", \"kind\": \"service\", \"zone\": \"east\", \"workers\": 100, \"service_time\": \"const(1ms)\"}],\n"
             " \"workloads\": [\n"
             "   {\"name\": \"w1\", \"target\": \"s1\", \"zone\": \"west\", \"rate\": \"100/s\", \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"1s\"}},\n"
             "   {\"name\": \"w2\", \"target\": \"s2\", \"zone\": \"west\", \"rate\": \"100/s\", \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"1s\"}},\n"
             "   {\"name\": \"w3\", \"target\": \"api\", \"zone\": \"west\", \"rate\": \"100/s\", \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"1s\"}},\n"
             "   {\"name\": \"w4\", \"target\": \"db\", \"zone\": \"west\", \"rate\": \"100/s\", \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"1s\"}}],\n"
             " \"faults\": %s}\n",
             nodes_links, faults);
    return run_doc(text);
}

START_TEST(node_override_applies_to_its_pair)
{
    char *s = run_nodes(", \"nodes\": [{\"from\": \"w1\", \"to\": \"s1\", \"latency\": \"const(50ms)\"}]", "[]");
    /* w1: 50 ms out, 1 ms of service, 1 ms back; w2 on the zone link: 1 + 1 + 1 */
    ck_assert_double_eq_tol(fig(s, "\"w1\"", "\"p50\":\t"), 52, 0.5);
    ck_assert_double_eq_tol(fig(s, "\"w2\"", "\"p50\":\t"), 3, 0.5);
    ck_assert_double_eq(fig(s, "\"node_links\"", "\"sent\":\t"), 10000);
    /* the zone link west->east carried everyone else's requests: w2, w4 and api's */
    ck_assert_double_eq(fig(s, "\"west->east\"", "\"sent\":\t"), 30000);
    free(s);
}
END_TEST

START_TEST(partial_partition_cuts_named_directions)
{
    /* api -> db cut for 10 s: api's calls are lost, w4's calls to db on the same zone link
     * are not, and nothing else is. */
    char *s = run_nodes("", "[{\"at\": \"10s\", \"for\": \"10s\", \"partition\": {\"links\": [[\"api\", \"db\"]]}}]");
    ck_assert_double_eq(fig(s, "\"network\"", "\"lost_in_partition\":\t"), 1000);
    ck_assert_double_eq(fig(s, "\"node_links\"", "\"lost_in_partition\":\t"), 1000);
    ck_assert_double_eq(fig(s, "\n\t\t\"db\":\t{\n\t\t\t\"kind\"", "\"received\":\t"), 19000);
    ck_assert_double_eq(fig(s, "\"w3\"", "\"errors\":\t"), 1000);
    ck_assert_double_eq(fig(s, "\"w4\"", "\"errors\":\t"), 0);
    free(s);
    /* Both directions named: replies db -> api are cut too; a zone partition still reaches
     * the node link, which is a copy of its zone link. */
    s = run_nodes("", "[{\"at\": \"10s\", \"for\": \"10s\", \"partition\": {\"links\": [[\"db\", \"api\"]]}},"
                      " {\"at\": \"50s\", \"for\": \"10s\", \"partition\": [[\"east\"], [\"west\"]]}]");
    /* 10..20 s: 1000 replies db -> api; 50..60 s: every request west -> east (4 x 1000) */
    ck_assert_double_eq(fig(s, "\"network\"", "\"lost_in_partition\":\t"), 5000);
    ck_assert_double_eq(fig(s, "\"node_links\"", "\"lost_in_partition\":\t"), 1000);
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
    tcase_add_test(tc, duplication_rate);
    tcase_add_test(tc, flaky_duplicates_for_its_time);
    tcase_add_test(tc, fifo_forbids_overtaking);
    tcase_add_test(tc, bandwidth_saturated_link);
    tcase_add_test(tc, node_override_applies_to_its_pair);
    tcase_add_test(tc, partial_partition_cuts_named_directions);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
