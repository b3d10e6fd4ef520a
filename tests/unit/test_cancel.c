/* Server-side cancellation (a service's max_execution and cancel_on_client_giveup) and the
 * hang fault. Every load is deterministic and every expected figure is worked out in the
 * comment above its test. */
#include <stdio.h>

#include "testutil.h"

#define fig fl_test_fig

/* Ten workers, each request 5 s of work, one request a second (at 0, 1, ..., 19 s), a
 * 20 s run, a client that waits 10 s. */
#define SLOW(extra)                                                                          \
    "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"20s\", \"window\": \"1s\",\n"        \
    " \"nodes\": [{\"name\": \"db\", \"kind\": \"service\", \"workers\": 10,\n"                \
    "              \"service_time\": \"const(5s)\"" extra "}],\n"                            \
    " \"workloads\": [{\"name\": \"w\", \"target\": \"db\", \"rate\": \"1/s\",\n"             \
    "                  \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"10s\"}}]}\n"

/* max_execution 1s: every request is aborted 1 s after its worker took it: all 20 (the one
 * from 19 s at 20 s, the run's end, whose answer the client does not see in time).
 * The caller was still waiting each time: the work is cancelled, not wasted. The worker
 * is freed at once: 1 s of 10 workers' time per second, utilisation 0.1 instead of 0.5. */
START_TEST(max_execution_aborts_and_frees_the_worker)
{
    char *s = fl_test_summary(SLOW(", \"max_execution\": \"1s\""), NULL, 0);
    double cancelled = fig(s, "\"nodes\"", "\"cancelled\":");
    ck_assert_double_eq(cancelled, 20); /* the one from 19 s is aborted at the end, 20 s */
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"cancelled\":"), 19); /* its
                                                       answer arrives as the run ends */
    ck_assert_double_eq(fig(s, "\"nodes\"", "\"served\":"), 0);
    ck_assert_double_eq_tol(fig(s, "\"nodes\"", "\"cancelled_work_s\":"), cancelled, 1e-9);
    ck_assert_double_eq(fig(s, "\"nodes\"", "\"wasted_work_s\":"), 0);
    ck_assert_double_eq_tol(fig(s, "\"nodes\"", "\"utilisation\":"), 0.1, 1e-6);
    free(s);
    char *plain = fl_test_summary(SLOW(""), NULL, 0);
    ck_assert_ptr_null(strstr(strstr(plain, "\"nodes\""), "\"cancelled\":"));
    ck_assert_double_eq_tol(fig(plain, "\"nodes\"", "\"utilisation\":"), 0.5 - 0.5 * 5 / 20.0 / 2,
                            0.02);
    free(plain);
}
END_TEST

/* A worker that waits on a call is held too: api (2 workers) calls db (5 s a request) and
 * aborts after 1 s; its workers are free again, and the users hear "cancelled". */
START_TEST(max_execution_ends_a_held_call)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"20s\", \"window\": \"1s\",\n"
        " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"workers\": 2,\n"
        "              \"service_time\": \"const(1ms)\", \"max_execution\": \"1s\",\n"
        "              \"calls\": [{\"to\": \"db\"}]},\n"
        "             {\"name\": \"db\", \"kind\": \"service\", \"workers\": 100,\n"
        "              \"service_time\": \"const(5s)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"1/s\",\n"
        "                  \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"10s\"}}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    /* Without the limit each request would hold an api worker for 5 s: with 2 workers and
     * one a second, the queue would grow; with it, nobody waits and all 19 or 20 fail
     * "cancelled" after exactly 1 s. */
    double cancelled = fig(s, "\"errors_by_cause\"", "\"cancelled\":");
    ck_assert_double_ge(cancelled, 19);
    ck_assert_double_le(cancelled, 20);
    ck_assert_double_eq(fig(s, "\"api\"", "\"cancelled\":"), cancelled);
    ck_assert_double_eq_tol(fig(s, "\"wait_ms\"", "\"max\":"), 0, 1e-9);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":"), 1000, 1e-6);
    free(s);
}
END_TEST

/* One worker, 5 s a request. "patient" sends one request at 0 s (it waits 30 s);
 * "impatient" sends one a second from 0.5 s and gives up after 1 s. With
 * cancel_on_client_giveup: the patient request is served (0-5 s); the impatient ones from
 * 0.5 to 3.5 s gave up while queued and are dropped at 5 s without service; the one from
 * 4.5 s starts at 5 s and is aborted at 5.5 s (0.5 s of work); each later one starts on
 * arrival and is aborted 1 s later (5.5 to 18.5 s: 14 of them; the one at 19.5 s is still
 * running at the end). Work 5 + 0.5 + 14 = 19.5 s, all but the patient 5 s wasted and
 * cancelled; 4 + 1 + 14 = 19 cancelled. Without it the impatient requests are served in
 * full for nobody: the worker is busy all the time and 15 s of its 20 are wasted. */
#define GIVEUP(extra)                                                                        \
    "{\"faultline\": 1, \"name\": \"q\", \"duration\": \"20s\", \"window\": \"1s\",\n"        \
    " \"nodes\": [{\"name\": \"db\", \"kind\": \"service\", \"workers\": 1,\n"                 \
    "              \"service_time\": \"const(5s)\"" extra "}],\n"                            \
    " \"workloads\": [{\"name\": \"patient\", \"target\": \"db\", \"rate\": \"1/s\",\n"       \
    "                  \"arrivals\": \"deterministic\", \"stop\": \"0.5s\",\n"               \
    "                  \"client\": {\"timeout\": \"30s\"}},\n"                               \
    "                 {\"name\": \"impatient\", \"target\": \"db\", \"rate\": \"1/s\",\n"     \
    "                  \"arrivals\": \"deterministic\", \"start\": \"0.5s\",\n"              \
    "                  \"client\": {\"timeout\": \"1s\"}}]}\n"

START_TEST(cancel_on_giveup_drops_and_aborts)
{
    char *s = fl_test_summary(GIVEUP(", \"cancel_on_client_giveup\": true"), NULL, 0);
    ck_assert_double_eq(fig(s, "\"nodes\"", "\"served\":"), 1);
    ck_assert_double_eq(fig(s, "\"nodes\"", "\"cancelled\":"), 19);
    ck_assert_double_eq(fig(s, "\"wait_ms\"", "\"count\":"), 17); /* started */
    ck_assert_double_eq_tol(fig(s, "\"nodes\"", "\"work_s\":"), 19.5, 1e-9);
    ck_assert_double_eq_tol(fig(s, "\"nodes\"", "\"wasted_work_s\":"), 14.5, 1e-9);
    ck_assert_double_eq_tol(fig(s, "\"nodes\"", "\"cancelled_work_s\":"), 14.5, 1e-9);
    free(s);
    char *plain = fl_test_summary(GIVEUP(""), NULL, 0);
    ck_assert_ptr_null(strstr(strstr(plain, "\"nodes\""), "\"cancelled\":"));
    ck_assert_double_eq_tol(fig(plain, "\"nodes\"", "\"utilisation\":"), 1, 1e-9);
    ck_assert_double_eq_tol(fig(plain, "\"nodes\"", "\"wasted_work_s\":"), 15, 1e-9);
    free(plain);
}
END_TEST

/* 64 workers, 100 requests/s every 10 ms, 20 ms each, clients wait 1 s. From 10 s to 20 s
 * the node hangs: the 1,000 requests that arrive and the 1 or 2 in service at 10 s get no
 * reply and time out; nothing is refused (a crash would refuse the 1,000 at once). After
 * 20 s it serves again. */
#define HANG(fault)                                                                          \
    "{\"faultline\": 1, \"name\": \"h\", \"duration\": \"30s\", \"window\": \"1s\",\n"        \
    " \"nodes\": [{\"name\": \"api\", \"kind\": \"service\", \"workers\": 64,\n"               \
    "              \"service_time\": \"const(20ms)\"}],\n"                                   \
    " \"workloads\": [{\"name\": \"w\", \"target\": \"api\", \"rate\": \"100/s\",\n"          \
    "                  \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"1s\"}}],\n" \
    " \"faults\": [{\"at\": \"10s\", \"for\": \"10s\", " fault ": \"api\"}]}\n"

START_TEST(hang_answers_nothing_and_refuses_nothing)
{
    char *s = fl_test_summary(HANG("\"hang\""), NULL, 0);
    double unanswered = fig(s, "\"api\"", "\"never_answered\":");
    ck_assert_double_ge(unanswered, 1000);
    ck_assert_double_le(unanswered, 1002);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"timeout\":"), unanswered);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"refused\":"), 0);
    ck_assert_double_eq(fig(s, "\"api\"", "\"refused\":"), 0);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":"), 1000, 1e-6);
    free(s);
    char *c = fl_test_summary(HANG("\"crash\""), NULL, 0);
    ck_assert_double_eq(fig(c, "\"api\"", "\"refused\":"), 1000);
    ck_assert_ptr_null(strstr(c, "never_answered"));
    free(c);
}
END_TEST

/* Hang is declared by the kinds that model it; any other refuses it at load. */
START_TEST(hang_refused_where_not_modelled)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"h\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"l\", \"kind\": \"lock\", \"ttl\": \"10s\"}],\n"
        " \"faults\": [{\"at\": \"1s\", \"for\": \"1s\", \"hang\": \"l\"}]}\n";
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert_int_eq(fl_scenario_parse(text, strlen(text), "t.json", &sc, &e), FL_INVALID);
    ck_assert_ptr_null(sc);
    ck_assert_msg(strstr(e.msg, "does not support \"hang\"") != NULL, "%s", e.msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cancel");
    TCase *t = tcase_create("cancel");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, max_execution_aborts_and_frees_the_worker);
    tcase_add_test(t, max_execution_ends_a_held_call);
    tcase_add_test(t, cancel_on_giveup_drops_and_aborts);
    tcase_add_test(t, hang_answers_nothing_and_refuses_nothing);
    tcase_add_test(t, hang_refused_where_not_modelled);
    suite_add_tcase(s, t);
    return fl_test_run(s);
}
