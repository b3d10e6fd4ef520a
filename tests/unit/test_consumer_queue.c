/* The consumer's queue delivery (SQS-like visibility timeouts): exact counts from a
 * deterministic timeline. Ten messages published at 0, 0.1, ..., 0.9 s; one worker,
 * 4 s a message, up to 10 per receive, 30 s visibility. It receives message 1 alone at 0 s
 * (done at 4 s), then messages 2..10 at 4 s: they end at 8, 12, ..., 40 s, so 9 (working
 * 32-36 s) and 10 (waiting) become visible again at 34 s; both deletes name the old
 * receipt and delete nothing; at 40 s the worker receives 9 and 10 again and processes
 * them twice more (40-48 s). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <faultline/faultline.h>

#include "testutil.h"

static const char *const timeline =
    "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"100s\",\n"
    " \"nodes\": [{\"name\": \"jobs\", \"kind\": \"broker\"},\n"
    "  {\"name\": \"workers\", \"kind\": \"consumer\", \"broker\": \"jobs\",\n"
    "   \"delivery\": \"queue\", \"members\": 1, \"process\": \"const(4s)\",\n"
    "   \"max_messages\": 10, \"visibility_timeout\": \"30s\"}],\n"
    " \"workloads\": [{\"name\": \"p\", \"target\": \"jobs\", \"rate\": \"10/s\",\n"
    "   \"arrivals\": \"deterministic\", \"stop\": \"1s\"}]}\n";

static double fig(const cJSON *j, const char *key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "nodes"),
                                         "workers"),
        key);
    ck_assert_msg(cJSON_IsNumber(n), "no nodes.workers.%s", key);
    return n->valuedouble;
}

static cJSON *run(const char *const *sets, size_t n)
{
    char *s = fl_test_summary(timeline, sets, n);
    cJSON *j = cJSON_Parse(s);
    free(s);
    ck_assert_ptr_nonnull(j);
    return j;
}

START_TEST(a_batch_that_outlives_its_timeout_is_redelivered)
{
    cJSON *j = run(NULL, 0);
    ck_assert_double_eq(fig(j, "receives"), 12);
    ck_assert_double_eq(fig(j, "redeliveries"), 2);
    ck_assert_double_eq(fig(j, "processings"), 12);
    ck_assert_double_eq(fig(j, "duplicates"), 2);
    ck_assert_double_eq(fig(j, "stale_deletes"), 2);
    ck_assert_double_eq(fig(j, "deleted"), 10);
    ck_assert_double_eq_tol(fig(j, "wasted_work_s"), 8, 1e-9);
    ck_assert_double_eq(fig(j, "backlog_end"), 0);
    cJSON_Delete(j);
}
END_TEST

START_TEST(extending_while_working_prevents_it)
{
    const char *ext[] = {"nodes.workers.extend=10s"};
    cJSON *j = run(ext, 1);
    ck_assert_double_eq(fig(j, "redeliveries"), 0);
    ck_assert_double_eq(fig(j, "processings"), 10);
    ck_assert_double_eq(fig(j, "deleted"), 10);
    /* the heartbeat armed at the first receive (0 s) ticks at 10, 20, 30, 40 s and
     * extends the message in hand and those after it: 3..10, 5..10, 8..10, 10 (a
     * heartbeat due at the same moment as a processing's end, and armed before it, runs
     * first) */
    ck_assert_double_eq(fig(j, "extensions"), 8 + 6 + 3 + 1);
    cJSON_Delete(j);
}
END_TEST

START_TEST(idempotent_processing_skips_what_was_done)
{
    const char *idem[] = {"nodes.workers.idempotent=true"};
    cJSON *j = run(idem, 1);
    ck_assert_double_eq(fig(j, "redeliveries"), 2);
    ck_assert_double_eq(fig(j, "duplicates"), 0);
    ck_assert_double_eq(fig(j, "duplicates_skipped"), 2);
    ck_assert_double_eq(fig(j, "wasted_work_s"), 0);
    ck_assert_double_eq(fig(j, "deleted"), 10);
    cJSON_Delete(j);
}
END_TEST

START_TEST(max_receive_count_dead_letters_at_the_next_receive)
{
    const char *dlq[] = {"nodes.workers.max_receive_count=1"};
    cJSON *j = run(dlq, 1);
    ck_assert_double_eq(fig(j, "dead_lettered"), 2);
    ck_assert_double_eq(fig(j, "deleted"), 8);
    ck_assert_double_eq(fig(j, "processings"), 10);
    ck_assert_double_eq(fig(j, "backlog_end"), 0);
    cJSON_Delete(j);
}
END_TEST

START_TEST(one_message_per_receive_holds_nothing_waiting)
{
    const char *one[] = {"nodes.workers.max_messages=1"};
    cJSON *j = run(one, 1);
    ck_assert_double_eq(fig(j, "redeliveries"), 0);
    ck_assert_double_eq(fig(j, "processings"), 10);
    cJSON_Delete(j);
}
END_TEST

/* A crash of the worker at 10 s: what it held comes back when its visibility runs out
 * (34 s), after the restart at 20 s; the message it was working on is done again. */
START_TEST(a_crash_leaves_held_messages_to_their_timeout)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"100s\",\n"
        " \"nodes\": [{\"name\": \"jobs\", \"kind\": \"broker\"},\n"
        "  {\"name\": \"workers\", \"kind\": \"consumer\", \"broker\": \"jobs\",\n"
        "   \"delivery\": \"queue\", \"members\": 1, \"process\": \"const(4s)\",\n"
        "   \"max_messages\": 10, \"visibility_timeout\": \"30s\"}],\n"
        " \"workloads\": [{\"name\": \"p\", \"target\": \"jobs\", \"rate\": \"10/s\",\n"
        "   \"arrivals\": \"deterministic\", \"stop\": \"1s\"}],\n"
        " \"faults\": [{\"at\": \"10s\", \"for\": \"10s\", \"crash\": \"workers\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    cJSON *j = cJSON_Parse(s);
    free(s);
    /* 1 done at 4 s, 2 at 8 s; 3 was in hand at the crash; 3..10 come back at 34 s */
    ck_assert_double_eq(fig(j, "redeliveries"), 8);
    ck_assert_double_eq(fig(j, "processings"), 10);
    ck_assert_double_eq(fig(j, "duplicates"), 0);
    ck_assert_double_eq(fig(j, "deleted"), 10);
    cJSON_Delete(j);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("consumer_queue");
    TCase *tc = tcase_create("queue");
    tcase_add_test(tc, a_batch_that_outlives_its_timeout_is_redelivered);
    tcase_add_test(tc, extending_while_working_prevents_it);
    tcase_add_test(tc, idempotent_processing_skips_what_was_done);
    tcase_add_test(tc, max_receive_count_dead_letters_at_the_next_receive);
    tcase_add_test(tc, one_message_per_receive_holds_nothing_waiting);
    tcase_add_test(tc, a_crash_leaves_held_messages_to_their_timeout);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return fl_test_run(suite()); }
