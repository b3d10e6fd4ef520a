/* The autoscaler kind: when it decides and by how much. One instance of 100 requests/s
 * (one worker, 10 ms, an unbounded queue) is offered 180/s: saturated, its utilisation is 1
 * at every sample.
 * Figures follow from target tracking: desired = ceil(current x metric / target). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/faultline.h>

#include "testutil.h"

#define fig fl_test_fig

#define SVC(n) "{\"name\": \"" n "\", \"kind\": \"service\", \"service_time\": \"const(10ms)\"}"
static const char *const pool =
    "{\"faultline\": 1, \"name\": \"as\", \"duration\": \"39s\",\n"
    " \"nodes\": [{\"name\": \"lb\", \"kind\": \"balancer\", \"backends\": [\"b1\",\n"
    "   {\"node\": \"b2\", \"standby\": true}, {\"node\": \"b3\", \"standby\": true},\n"
    "   {\"node\": \"b4\", \"standby\": true}, {\"node\": \"b5\", \"standby\": true}]},\n"
    "  {\"name\": \"asg\", \"kind\": \"autoscaler\", \"pool\": \"lb\", \"target\": 0.5,\n"
    "   \"period\": \"10s\", \"provisioning\": \"5s\", \"scale_down\": false},\n"
    "  " SVC("b1") ", " SVC("b2") ", " SVC("b3") ", " SVC("b4") ", " SVC("b5") "],\n"
    " \"workloads\": [{\"name\": \"w\", \"target\": \"lb\", \"rate\": \"180/s\", "
    "\"arrivals\": \"deterministic\"}]}\n";

START_TEST(utilisation_grows_the_pool_by_at_most_one_over_target)
{
    const char *step[] = {"nodes.asg.max_step=1"};
    char *s = fl_test_summary(pool, step, 1);
    /* saturated: at 10 s desired = ceil(1 x 1 / 0.5) = 2; one step of at most 1 per
     * decision, at 10, 20 and 30 s: 4 instances at the end, the last ready at 35 s */
    ck_assert_double_eq(fig(s, "\"asg\"", "\"first_scale_up_s\":\t"), 10);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"instances_start\":\t"), 1);
    ck_assert(fig(s, "\"asg\"", "\"scale_ups\":\t") <= 3);
    ck_assert(fig(s, "\"asg\"", "\"instances_end\":\t") <= 4);
    free(s);
    s = fl_test_summary(pool, NULL, 0);
    /* one saturated instance at 10 s: 1 -> 2 (never more than 1 / 0.5 = 2x per decision) */
    ck_assert_double_eq(fig(s, "\"asg\"", "\"first_scale_up_s\":\t"), 10);
    ck_assert(fig(s, "\"asg\"", "\"instances_max\":\t") <= 8); /* 1 -> 2 -> 4 -> 8 at most */
    free(s);
}
END_TEST

START_TEST(cooldown_and_a_crash_hold_decisions)
{
    const char *cool[] = {"nodes.asg.cooldown=\"25s\""};
    char *s = fl_test_summary(pool, cool, 1);
    /* the decision at 10 s; 20 and 30 s are within 25 s of it */
    ck_assert_double_eq(fig(s, "\"asg\"", "\"scale_ups\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"instances_end\":\t"), 2);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"last_ready_s\":\t"), 15);
    free(s);
    const char *text_crash[] = {"faults=[{\"at\": \"5s\", \"for\": \"30s\", \"crash\": \"asg\"}]"};
    s = fl_test_summary(pool, text_crash, 1);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"scale_ups\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"instances_end\":\t"), 1);
    free(s);
}
END_TEST

START_TEST(a_schedule_asks_at_once_and_instances_arrive_later)
{
    const char *sets[] = {"nodes.asg.schedule=[{\"at\": \"3s\", \"min\": 4}]",
                          "nodes.asg.period=\"60s\""};
    char *s = fl_test_summary(pool, sets, 2);
    /* 3 instances asked for at 3 s, ready at 8 s; no decision by period in 39 s */
    ck_assert_double_eq(fig(s, "\"asg\"", "\"first_scale_up_s\":\t"), 3);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"last_ready_s\":\t"), 8);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"instances_end\":\t"), 4);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"instances_added\":\t"), 3);
    free(s);
}
END_TEST

START_TEST(a_queue_has_no_ceiling)
{
    /* a saturated instance's queue grows by 80/s: at 10 s its mean over the period is
     * hundreds, far over a target of 1, so the first decision asks for every standby */
    const char *sets[] = {"nodes.asg.metric=\"queue\"", "nodes.asg.target=1"};
    char *s = fl_test_summary(pool, sets, 2);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"first_scale_up_s\":\t"), 10);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"instances_added\":\t"), 4);
    ck_assert_double_eq(fig(s, "\"asg\"", "\"last_ready_s\":\t"), 15);
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("autoscaler");
    TCase *tc = tcase_create("autoscaler");
    tcase_add_test(tc, utilisation_grows_the_pool_by_at_most_one_over_target);
    tcase_add_test(tc, cooldown_and_a_crash_hold_decisions);
    tcase_add_test(tc, a_schedule_asks_at_once_and_instances_arrive_later);
    tcase_add_test(tc, a_queue_has_no_ceiling);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
