/* Variants that remove and add nodes: the instance a variant builds is the one its text
 * describes, and a replacement keeps the node order. */
#include <stdio.h>

#include <faultline/run.h>
#include <faultline/scenario.h>

#include "testutil.h"

#define fig fl_test_fig

/* An api behind a workload; variant "cached" adds a second service the api calls and a
 * slow fault on it; variant "swap" replaces the api by an identical one named "api2". */
static const char *const text =
    "{\"faultline\": 1, \"name\": \"v\", \"duration\": \"20s\", \"warmup\": \"0s\",\n"
    " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"service_time\": \"const(1ms)\"},\n"
    "           {\"name\": \"tail\", \"kind\": \"service\", \"service_time\": \"const(1ms)\"}],\n"
    " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"100/s\",\n"
    "                 \"arrivals\": \"deterministic\"}],\n"
    " \"variants\": {\n"
    "  \"cached\": {\"about\": \"a dependency\",\n"
    "    \"add\": {\"nodes\": [{\"name\": \"db\", \"kind\": \"service\", \"workers\": 4,\n"
    "                          \"service_time\": \"const(10ms)\"}],\n"
    "             \"faults\": [{\"at\": \"5s\", \"for\": \"5s\", \"slow\": {\"node\": \"db\", \"factor\": 2}}]},\n"
    "    \"set\": {\"nodes.api.calls\": [{\"to\": \"db\"}], \"nodes.api.workers\": 8}},\n"
    "  \"swap\": {\"about\": \"the same api under another name\", \"remove\": [\"api\"],\n"
    "    \"add\": {\"nodes\": [{\"name\": \"api2\", \"kind\": \"service\", \"service_time\": \"const(1ms)\"}]},\n"
    "    \"set\": {\"workloads.w.target\": \"api2\"}}}}\n";

static char *run(const char *variant)
{
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert_msg(fl_scenario_parse(text, strlen(text), "t.json", &sc, &e) == FL_OK, "%s", e.msg);
    fl_run_config cfg = {.variant = variant};
    fl_result *r = NULL;
    ck_assert_msg(fl_run(sc, &cfg, &r, &e) == FL_OK, "%s", e.msg);
    char *s = strdup(fl_result_summary(r));
    fl_result_free(r);
    fl_scenario_free(sc);
    return s;
}

/* The added node serves every request (2000 over 20 s, evenly spaced, but for the last one,
 * issued at 19.99 s and still in service when the run ends at 20 s); 10 ms each, 20 ms while
 * slowed from 5 s to 10 s, on 4 workers: (15 s x 10 ms + 5 s x 20 ms) x 100/s / 20 s / 4. */
START_TEST(added_node_and_fault_take_part)
{
    char *s = run("cached");
    const char *db = "\"db\":\t{\n\t\t\t\"kind\""; /* the node, not the api's calls to it */
    ck_assert_double_eq(fig(s, db, "\"served\":\t"), 1999);
    ck_assert_double_eq_tol(fig(s, db, "\"utilisation\":\t"),
                            (15 * 0.010 + 5 * 0.020) * 100 / 20 / 4, 0.001);
    free(s);
}
END_TEST

/* A replacement goes where the removed node stood: the report lists api2 before tail. */
START_TEST(replacement_keeps_the_order)
{
    char *s = run("swap");
    const char *a = strstr(s, "\"api2\":"), *t = strstr(s, "\"tail\":");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_null(strstr(s, "\"api\":"));
    ck_assert(a < t);
    ck_assert_double_eq(fig(s, "\"api2\":", "\"served\":\t"), 2000);
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("variants");
    TCase *t = tcase_create("variants");
    tcase_add_test(t, added_node_and_fault_take_part);
    tcase_add_test(t, replacement_keeps_the_order);
    suite_add_tcase(s, t);
    return fl_test_run(s);
}
