/* The memory bound of a service: base + per_request x requests held, over the limit the
 * node is killed (out of memory), loses what it held and restarts after restart_after.
 * One worker of 10 ms offered a request every 5 ms: the node holds one more request every
 * 10 ms, so the exact instant of the kill follows from the limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "testutil.h"

#define fig fl_test_fig

static const char *const node =
    "{\"faultline\": 1, \"name\": \"mem\", \"duration\": \"3s\",\n"
    " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"service_time\": \"const(10ms)\",\n"
    "   \"memory\": {\"limit_mb\": 10, \"per_request_mb\": 1, \"restart_after\": \"1s\"}}],\n"
    " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"200/s\", "
    "\"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"500ms\"}}]}\n";

START_TEST(the_node_is_killed_when_it_would_hold_one_request_too_many)
{
    char *s = fl_test_summary(node, NULL, 0);
    /* Before the k-th arrival (k = 0, 1, ...; every 5 ms) the node holds ceil(k / 2)
     * requests: the 19th (k = 19, at 95 ms after the first) would make 11 MB. It restarts
     * 1 s later, empty, and the same count starts again: killed at 0.095 s, about 1.19 s and
     * about 2.29 s: three kills in 3 s. */
    double first = fig(s, "\"api\"", "\"first_oom_s\":\t");
    ck_assert(first >= 0.095 && first < 0.1);
    ck_assert_double_eq(fig(s, "\"api\"", "\"oom_kills\":\t"), 3);
    ck_assert_double_eq(fig(s, "\"api\"", "\"memory_peak_mb\":\t"), 10);
    /* while it is down arrivals are refused: about 200 in each of the first two seconds
     * down, and about 142 from the third kill (about 2.29 s) to the end */
    double refused = fig(s, "\"errors_by_cause\"", "\"refused\":\t");
    ck_assert(refused >= 2 * 199 + 138 && refused <= 2 * 201 + 146);
    free(s);
}
END_TEST

START_TEST(a_bounded_queue_keeps_it_under_the_limit)
{
    const char *sets[] = {"nodes.api.queue={\"capacity\": 5}"};
    char *s = fl_test_summary(node, sets, 1);
    /* at most 1 in service + 5 queued: 6 MB */
    ck_assert_double_eq(fig(s, "\"api\"", "\"oom_kills\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"api\"", "\"memory_peak_mb\":\t"), 6);
    ck_assert_ptr_null(strstr(s, "first_oom_s"));
    free(s);
}
END_TEST

START_TEST(a_crash_during_the_restart_wait_holds_the_node_down)
{
    /* killed at 0.095 s; a crash fault from 0.5 s to 1.5 s: the restart due at 1.095 s waits
     * for the fault's end, when the node comes back empty */
    const char *sets[] = {"faults=[{\"at\": \"500ms\", \"for\": \"1s\", \"crash\": \"api\"}]"};
    char *s = fl_test_summary(node, sets, 1);
    double first = fig(s, "\"api\"", "\"first_oom_s\":\t");
    ck_assert(first >= 0.095 && first < 0.1);
    /* back at 1.5 s: the second kill about 95 ms later, and a third about 1.1 s after */
    ck_assert_double_eq(fig(s, "\"api\"", "\"oom_kills\":\t"), 3);
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("memory");
    tcase_add_test(tc, the_node_is_killed_when_it_would_hold_one_request_too_many);
    tcase_add_test(tc, a_bounded_queue_keeps_it_under_the_limit);
    tcase_add_test(tc, a_crash_during_the_restart_wait_holds_the_node_down);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
