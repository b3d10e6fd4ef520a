/* events.jsonl and the lesson charts' markers: fl_world_event keeps at most
 * FL_WORLD_EVENTS_PER_KIND lines per (event, node) and counts the rest, sorts stably by
 * time, a rate step up is a window (the trigger), and markers closer than 2% of the run
 * share a number. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <faultline/run.h>
#include <faultline/scenario.h>

#include "model/world.h"
#include "out/lessons.h"
#include "testutil.h"

static const char *const scenario =
    "{\"faultline\": 1, \"name\": \"ev\", \"duration\": \"20s\", \"window\": \"1s\","
    " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"workers\": 4,"
    "              \"service_time\": \"const(1ms)\"}],"
    " \"workloads\": [{\"name\": \"users\", \"target\": \"api\", \"rate\": \"100/s\","
    "                  \"schedule\": [{\"at\": \"5s\", \"rate\": \"300/s\"},"
    "                               {\"at\": \"12s\", \"rate\": \"50/s\"}]}]}";

static fl_world *build(void)
{
    cJSON *doc = cJSON_Parse(scenario);
    ck_assert_ptr_nonnull(doc);
    fl_world *w;
    fl_error e;
    fl_error_clear(&e);
    ck_assert_msg(fl_world_build(doc, 1, &w, &e) == FL_OK, "%s", e.msg);
    cJSON_Delete(doc);
    return w;
}

START_TEST(capped_per_event_and_node)
{
    fl_world *w = build();
    for (int i = 0; i < 100; i++)
        fl_world_event(w, (fl_time)(100 - i) * FL_MS, "a", "x", "x %d", i);
    fl_world_event(w, 5 * FL_MS, "b", "x", "on b");
    const fl_world_events *es = fl_world_events_sorted(w);
    ck_assert_uint_eq(es->n, FL_WORLD_EVENTS_PER_KIND + 1);
    uint32_t dropped = 0;
    for (uint32_t i = 0; i < es->ncaps; i++)
        if (strcmp(es->caps[i].node, "a") == 0)
            dropped = es->caps[i].dropped;
    ck_assert_uint_eq(dropped, 100 - FL_WORLD_EVENTS_PER_KIND);
    /* sorted by time: the first 40 recorded were at 100 ms down to 61 ms, b's at 5 ms */
    ck_assert_str_eq(es->ev[0].label, "on b");
    ck_assert_str_eq(es->ev[1].label, "x 39");
    for (uint32_t i = 1; i < es->n; i++)
        ck_assert_int_le(es->ev[i - 1].t, es->ev[i].t);
    fl_world_free(w);
}
END_TEST

START_TEST(ties_keep_their_order)
{
    fl_world *w = build();
    fl_world_event(w, 2 * FL_SEC, "n", "b", "second");
    fl_world_event(w, FL_SEC, "n", "a", "first");
    fl_world_event(w, 2 * FL_SEC, "n", "c", "third");
    const fl_world_events *es = fl_world_events_sorted(w);
    ck_assert_str_eq(es->ev[0].label, "first");
    ck_assert_str_eq(es->ev[1].label, "second");
    ck_assert_str_eq(es->ev[2].label, "third");
    fl_world_free(w);
}
END_TEST

/* A run: the rate step up is the trigger window [5 s, 12 s); the step down a moment. */
START_TEST(rate_steps_in_the_run)
{
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert(fl_scenario_parse(scenario, strlen(scenario), "t.json", &sc, &e) == FL_OK);
    fl_run_config cfg = {0};
    fl_result *r = NULL;
    ck_assert_msg(fl_run(sc, &cfg, &r, &e) == FL_OK, "%s", e.msg);
    const char *ev = fl_result_events(r);
    ck_assert_ptr_nonnull(strstr(ev, "{\"t_s\":5,\"event\":\"rate-step\",\"until_s\":12,"
                                     "\"node\":\"users\",\"label\":\"trigger: users 300/s "
                                     "(from 100/s)\"}"));
    ck_assert_ptr_nonnull(strstr(ev, "{\"t_s\":12,\"event\":\"rate-step\",\"node\":\"users\","
                                     "\"label\":\"users 50/s (from 300/s)\"}"));
    fl_result_free(r);
    fl_scenario_free(sc);
}
END_TEST

START_TEST(markers_share_a_number_when_close)
{
    fl_lesson l;
    memset(&l, 0, sizeof l);
    l.t_end = 100;
    const double t[] = {10, 11.5, 50, 60};
    const char *lab[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++) {
        l.marks[i].t = t[i];
        l.marks[i].tick = i == 3;
        snprintf(l.marks[i].label, sizeof l.marks[i].label, "%s", lab[i]);
    }
    l.nmarks = 4;
    int groups[64];
    double gt[FL_LESSON_MAX_MARKS];
    char lines[FL_LESSON_MAX_MARKS][240];
    ck_assert_int_eq(fl_lesson_number(&l, groups, gt, lines, FL_LESSON_MAX_MARKS), 2);
    ck_assert_int_eq(groups[0], 1);
    ck_assert_int_eq(groups[1], 1); /* 1.5 s apart: under 2% of 100 s */
    ck_assert_int_eq(groups[2], 2);
    ck_assert_int_eq(groups[3], 0); /* a tick has no number */
    ck_assert_str_eq(lines[0], "1  t=10 s: a; b");
    ck_assert_str_eq(lines[1], "2  t=50 s: c");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("events");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, capped_per_event_and_node);
    tcase_add_test(tc, ties_keep_their_order);
    tcase_add_test(tc, rate_steps_in_the_run);
    tcase_add_test(tc, markers_share_a_number_when_close);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
