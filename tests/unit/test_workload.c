/* Workloads: deterministic arrivals issue exactly rate x time requests; latency counts
 * failures at the time the client gave up; SLO attainment over every request issued; a
 * closed population follows the response-time law and, contending on one record, takes
 * exactly N rounds; numbers worked out by hand. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* unlink, rmdir */

#include <faultline/faultline.h>

#include "testutil.h"

#define fig fl_test_fig

/* A workload `w` with the given arrival keys against a service that answers in 1 ms. */
static char *arrivals(const char *duration, const char *keys)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"faultline\": 1, \"name\": \"a\", \"duration\": \"%s\",\n"
             " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"workers\": 10,\n"
             "              \"service_time\": \"const(1ms)\"}],\n"
             " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"arrivals\": "
             "\"deterministic\", %s}]}\n",
             duration, keys);
    return fl_test_summary(text, NULL, 0);
}

/* 30/s for 1 s is 30 requests, at 0, 1/30 s, ..., 29/30 s: the 31st would be at 1 s. Gaps
 * rounded to the nanosecond (33,333,333 ns) and added up used to fit a 31st in. */
START_TEST(deterministic_30_per_s_for_1_s_is_30)
{
    char *s = arrivals("2s", "\"rate\": \"30/s\", \"stop\": \"1s\"");
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"issued\":\t"), 30);
    free(s);
    /* A phase of 1 s at 30/s, then 1 s at 60/s: each phase counts from its own start. */
    s = arrivals("3s", "\"rate\": \"30/s\", \"stop\": \"2s\", "
                       "\"schedule\": [{\"at\": \"1s\", \"rate\": \"60/s\"}]");
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"issued\":\t"), 90);
    free(s);
    /* Rates that are not whole per second: 1.5/s for 10 s, 90/m for 60 s, 7/h for 1 h. */
    s = arrivals("11s", "\"rate\": \"1.5/s\", \"stop\": \"10s\"");
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"issued\":\t"), 15);
    free(s);
    s = arrivals("61s", "\"rate\": \"90/m\", \"stop\": \"60s\"");
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"issued\":\t"), 90);
    free(s);
    s = arrivals("2h", "\"rate\": \"7/h\", \"stop\": \"1h\"");
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"issued\":\t"), 7);
    free(s);
}
END_TEST

/* A long run: 3,000,000 requests at 30,000/s over 100 s, not 3,003,003. */
START_TEST(deterministic_long_run_is_exact)
{
    char *s = arrivals("101s", "\"rate\": \"30000/s\", \"stop\": \"100s\"");
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"issued\":\t"), 3000000);
    free(s);
}
END_TEST

/* 10 requests a second (deterministic) for 9 s, 100 workers (no queueing), 100 ms of work,
 * a 500 ms per-try timeout and one attempt. Work that starts between 5 s and 7 s is 10x
 * slower (1 s): the 20 requests issued then time out at 500 ms; the other 70 succeed in
 * 100 ms. So: latency_ms over all 90 ended requests, mean (70 x 100 + 20 x 500) / 90 =
 * 188.9 ms, max 500 ms; success_latency_ms 70 requests of 100 ms; the SLO defaults to
 * timeout x attempts = 500 ms and 70 of 90 attain it. */
static const char *const storm =
    "{\"faultline\": 1, \"name\": \"t\", \"duration\": \"10s\",\n"
    " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"workers\": 100,\n"
    "              \"service_time\": \"const(100ms)\"}],\n"
    " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"rate\": \"10/s\", \"stop\": \"9s\",\n"
    "                  \"arrivals\": \"deterministic\", \"client\": {\"timeout\": \"500ms\"}}],\n"
    " \"faults\": [{\"at\": \"5s\", \"for\": \"2s\", \"slow\": {\"node\": \"s\", \"factor\": 10}}]}\n";

START_TEST(latency_counts_failures_when_the_client_gave_up)
{
    char *s = fl_test_summary(storm, NULL, 0);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"ok\":\t"), 70);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"timeout\":\t"), 20);
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_ms\":\t"), 500);
    ck_assert_ptr_nonnull(strstr(s, "\"slo_source\":\t\"client timeout x attempts\""));
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_requests\":\t"), 90);
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_met\":\t"), 70);
    ck_assert_double_eq_tol(fig(s, "\"w\"", "\"slo_attainment\":\t"), 70.0 / 90, 1e-12);
    ck_assert_double_eq(fig(s, "\"latency_ms\"", "\"count\":\t"), 90);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"mean\":\t"), (70 * 100.0 + 20 * 500) / 90,
                            1e-9);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"max\":\t"), 500, 1e-9);
    ck_assert_double_eq(fig(s, "\"success_latency_ms\"", "\"count\":\t"), 70);
    ck_assert_double_eq_tol(fig(s, "\"success_latency_ms\"", "\"mean\":\t"), 100, 1e-9);
    ck_assert_double_eq_tol(fig(s, "\"success_latency_ms\"", "\"max\":\t"), 100, 1e-9);
    /* Goodput counts the successes within the SLO: 70 over the 10 s measured. */
    ck_assert_double_eq_tol(fig(s, "\"w\"", "\"goodput_per_s\":\t"), 7, 1e-12);
    free(s);

    /* A workload's own SLO comes first: at 50 ms nothing attains it, at 150 ms the 70 do. */
    const char *tight[] = {"workloads.w.slo=50ms"};
    s = fl_test_summary(storm, tight, 1);
    ck_assert_ptr_nonnull(strstr(s, "\"slo_source\":\t\"workload slo\""));
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_attainment\":\t"), 0);
    ck_assert_double_eq(fig(s, "\"w\"", "\"goodput_per_s\":\t"), 0);
    free(s);
    const char *loose[] = {"workloads.w.slo=150ms"};
    s = fl_test_summary(storm, loose, 1);
    ck_assert_double_eq_tol(fig(s, "\"w\"", "\"slo_attainment\":\t"), 70.0 / 90, 1e-12);
    free(s);
    /* A deadline is the SLO when the workload and client give none. */
    const char *deadline[] = {"workloads.w.client.deadline=2s"};
    s = fl_test_summary(storm, deadline, 1);
    ck_assert_ptr_nonnull(strstr(s, "\"slo_source\":\t\"client deadline\""));
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_ms\":\t"), 2000);
    free(s);
}
END_TEST

/* Requests still in flight at the end: 1 request a second for 10 s, each served in 2.5 s,
 * so those issued at 8 s and 9 s are still out at 10 s. Latency needs an end: it counts
 * the 8 that ended. Without an SLO any success attains, and the 2 in flight could still
 * succeed: undecided, left out (8 of 8). With an SLO of 1 s the one issued at 8 s has been
 * out 2 s: it missed, and counts; the one issued at 9 s (out 1 s) is undecided: 0 of 9. */
START_TEST(in_flight_at_the_end)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"f\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"workers\": 100,\n"
        "              \"service_time\": \"const(2.5s)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"rate\": \"1/s\",\n"
        "                  \"arrivals\": \"deterministic\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_ptr_nonnull(strstr(s, "\"slo_ms\":\tnull"));
    ck_assert_ptr_nonnull(strstr(s, "\"slo_source\":\t\"none\""));
    ck_assert_double_eq(fig(s, "\"w\"", "\"in_flight_at_end\":\t"), 2);
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_requests\":\t"), 8);
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_undecided\":\t"), 2);
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_attainment\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"latency_ms\"", "\"count\":\t"), 8);
    free(s);
    const char *slo[] = {"workloads.w.slo=1s"};
    s = fl_test_summary(text, slo, 1);
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_requests\":\t"), 9);
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_undecided\":\t"), 1);
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_attainment\":\t"), 0);
    free(s);
    /* No request ended and none has been out longer than the SLO: no figure, not NaN. */
    const char *none[] = {"workloads.w.slo=20s", "nodes.s.service_time=const(30s)"};
    s = fl_test_summary(text, none, 2);
    ck_assert_double_eq(fig(s, "\"w\"", "\"slo_requests\":\t"), 0);
    ck_assert_ptr_nonnull(strstr(s, "\"slo_attainment\":\tnull"));
    free(s);
}
END_TEST

/* The SLO is given in one place: on the workload or in its client, not both. */
START_TEST(slo_given_twice_is_refused)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"f\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"service_time\": \"const(1ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"rate\": \"1/s\", \"slo\": \"1s\",\n"
        "                  \"client\": {\"slo\": \"2s\"}}]}\n";
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert_int_ne(fl_scenario_parse(text, strlen(text), "t.json", &sc, &e), FL_OK);
    ck_assert_msg(strstr(e.msg, "the SLO is given twice") != NULL, "%s", e.msg);
    ck_assert_str_eq(e.path, "workloads[0].slo");
    fl_scenario_free(sc);
}
END_TEST

/* A closed population (interactive response-time law, X = N / (R + Z)): 10 clients, each
 * served in exactly S = 10 ms with a worker to spare and thinking exactly Z = 90 ms, cycle
 * every 100 ms: 10 / 0.1 s = 100 requests/s. Each client thinks before its first request
 * too, so requests start at 0.09 s + k x 0.1 s and end 10 ms later: those issued after the
 * 10 s warm-up and ended before 100 s are k = 100..998, 899 per client, 8,990 in 90 s
 * (99.89/s: one cycle short of the law at the edges). With one worker
 * and no think time the server is the bottleneck: R = N x S = 100 ms, X = 10 / 0.1 s = 100/s
 * again, and every request waits for the other nine (mean latency exactly 100 ms). */
START_TEST(closed_population_throughput_is_n_over_s_plus_z)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"100s\", \"warmup\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"workers\": 10,\n"
        "              \"service_time\": \"const(10ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"clients\": 10,\n"
        "                 \"think\": \"const(90ms)\"}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq(fig(s, "\"w\"", "\"ok\":\t"), 8990);
    ck_assert_double_eq_tol(fig(s, "\"w\"", "\"throughput_per_s\":\t"), 8990 / 90.0, 1e-9);
    ck_assert_double_eq(fig(s, "\"w\"", "\"clients\":\t"), 10);
    free(s);
    const char *one[] = {"nodes.s.workers=1", "workloads.w.think=const(0)"};
    s = fl_test_summary(text, one, 2);
    ck_assert_double_eq(fig(s, "\"w\"", "\"ok\":\t"), 8990); /* ending 10.1 s .. 99.99 s */
    ck_assert_double_eq_tol(fig(s, "\"w\"", "\"throughput_per_s\":\t"), 8990 / 90.0, 1e-9);
    ck_assert_double_eq_tol(fig(s, "\"latency_ms\"", "\"mean\":\t"), 100, 1e-6);
    free(s);
}
END_TEST

/* Ten closed clients, one request each, all starting together on one record under
 * optimistic concurrency (each holds it exactly 10 ms), retrying at once on a conflict:
 * round k has 11 - k contenders and one winner, so 10 + 9 + ... + 1 = 55 calls, 45
 * conflicts, and the last client is done after 10 rounds, at exactly 0.1 s. */
START_TEST(closed_clients_contending_take_n_rounds)
{
    const char *text =
        "{\"faultline\": 1, \"name\": \"c\", \"duration\": \"10s\",\n"
        " \"nodes\": [{\"name\": \"row\", \"kind\": \"occ\", \"hold\": \"const(10ms)\"}],\n"
        " \"workloads\": [{\"name\": \"w\", \"target\": \"row\", \"clients\": 10,\n"
        "                 \"requests\": 1, \"client\": {\"attempts\": 100}}]}\n";
    char *s = fl_test_summary(text, NULL, 0);
    ck_assert_double_eq(fig(s, "\"w\"", "\"tries\":\t"), 55);
    ck_assert_double_eq(fig(s, "\"w\"", "\"ok\":\t"), 10);
    ck_assert_double_eq(fig(s, "\"w\"", "\"clients_done\":\t"), 10);
    ck_assert_double_eq_tol(fig(s, "\"w\"", "\"completion_s\":\t"), 0.1, 1e-12);
    ck_assert_double_eq(fig(s, "\"row\"", "\"commits\":\t"), 10);
    ck_assert_double_eq(fig(s, "\"row\"", "\"conflicts\":\t"), 45);
    free(s);
    /* Two tries each at most: one client wins each of the first two rounds, the 8 that
     * lost twice give up with "conflict" at 0.02 s; a give-up ends a client's request too. */
    const char *two[] = {"workloads.w.client.attempts=2"};
    s = fl_test_summary(text, two, 1);
    ck_assert_double_eq(fig(s, "\"w\"", "\"ok\":\t"), 2);
    ck_assert_double_eq(fig(s, "\"errors_by_cause\"", "\"conflict\":\t"), 8);
    ck_assert_double_eq(fig(s, "\"w\"", "\"clients_done\":\t"), 10);
    ck_assert_double_eq_tol(fig(s, "\"w\"", "\"completion_s\":\t"), 0.02, 1e-12);
    free(s);
}
END_TEST

/* A rate from a CSV file (traffic from the user's own data). Writes the file and a
 * scenario naming it into a fresh folder; returns the scenario's path (static). */
static char csv_dir[4096];

/* The folder and its two files go when the test program ends. */
static void csv_cleanup(void)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/traffic.csv", csv_dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/s.json", csv_dir);
    unlink(p);
    rmdir(csv_dir);
}

static const char *csv_scenario(const char *csv, const char *rate, const char *duration)
{
    static char path[4200];
    if (!csv_dir[0]) { /* under $TMPDIR when set, as mkdtemp(1) does */
        const char *t = getenv("TMPDIR");
        snprintf(csv_dir, sizeof csv_dir, "%s/fl-test-traffic-XXXXXX", t && *t ? t : "/tmp");
        ck_assert_ptr_nonnull(mkdtemp(csv_dir));
        atexit(csv_cleanup);
    }
    char p[4200];
    snprintf(p, sizeof p, "%s/traffic.csv", csv_dir);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(csv, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/s.json", csv_dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "{\"faultline\": 1, \"name\": \"a\", \"duration\": \"%s\",\n"
            " \"nodes\": [{\"name\": \"s\", \"kind\": \"service\", \"workers\": 10,\n"
            "              \"service_time\": \"const(1ms)\"}],\n"
            " \"workloads\": [{\"name\": \"w\", \"target\": \"s\", \"arrivals\": "
            "\"deterministic\",\n   \"rate\": %s}]}\n",
            duration, rate);
    fclose(f);
    return path;
}

static char *csv_run(const char *file, const char *const *sets, size_t nsets)
{
    fl_scenario *sc = NULL;
    fl_error e;
    char msg[1200];
    if (fl_scenario_load(file, &sc, &e) != FL_OK) {
        fl_error_format(&e, msg, sizeof msg);
        ck_abort_msg("%s", msg);
    }
    fl_run_config cfg = {.sets = sets, .nsets = nsets};
    fl_result *r = NULL;
    ck_assert_msg(fl_run(sc, &cfg, &r, &e) == FL_OK, "%s", e.msg);
    char *s = strdup(fl_result_summary(r));
    fl_result_free(r);
    fl_scenario_free(sc);
    return s;
}

/* The message a scenario naming this CSV is refused with, after the folder. */
static void csv_refused(const char *csv, const char *rate, const char *want)
{
    const char *file = csv_scenario(csv, rate, "3s");
    fl_scenario *sc = NULL;
    fl_error e;
    ck_assert_int_eq(fl_scenario_load(file, &sc, &e), FL_INVALID);
    char msg[1200];
    fl_error_format(&e, msg, sizeof msg);
    const char *slash = strrchr(file, '/');
    ck_assert_msg(strncmp(msg, file, (size_t)(slash - file)) == 0, "%s", msg);
    ck_assert_str_eq(msg + (slash - file) + 1, want);
}

/* Rows of 10, 20, 0 and 30 per second, one a second: with evenly spaced arrivals the run
 * issues exactly the sum of rate x 1 s over the rows it covers. From the second row:
 * 20 + 0 + 30 = 50 in 3 s; scaled by 0.5, 25 (10 + 0 + 15); in clock notation a minute
 * apart, 60 x (20 + 0 + 30) = 3000 in 3 minutes. The same run twice gives the same
 * figures (the file is read once, at load). */
START_TEST(rate_follows_a_csv_series)
{
    const char *rows = "time,rps,other\n0,10,x\n1,20,x\n2,0,x\n3,30,x\n";
    const char *f = csv_scenario(rows, "{\"csv\": \"traffic.csv\", \"column\": \"rps\", "
                                       "\"from\": 1}", "3s");
    char *s = csv_run(f, NULL, 0);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"issued\":\t"), 50);
    free(s);
    const char *half[] = {"workloads.w.rate.scale=0.5"};
    s = csv_run(f, half, 1);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"issued\":\t"), 25);
    free(s);
    /* No time column: "interval" places the rows; "from" is an offset. */
    f = csv_scenario("rps\n10\n20\n0\n30\n", "{\"csv\": \"traffic.csv\", \"column\": \"rps\", "
                                            "\"interval\": \"1s\", \"from\": \"1s\"}", "3s");
    s = csv_run(f, NULL, 0);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"issued\":\t"), 50);
    free(s);
    f = csv_scenario("\"Time\",\"rps\"\n14:00,10\n14:01,20\n14:02,0\n14:03,30\n",
                     "{\"csv\": \"traffic.csv\", \"column\": \"rps\", \"from\": \"14:01\"}", "3m");
    s = csv_run(f, NULL, 0);
    ck_assert_double_eq(fig(s, "\"workloads\"", "\"issued\":\t"), 3000);
    free(s);
}
END_TEST

/* Every refusal names the file, the line and the column of the cell, or the JSON path. */
START_TEST(csv_rate_errors_name_the_cell)
{
    const char *rate = "{\"csv\": \"traffic.csv\", \"column\": \"rps\"}";
    csv_refused("time,rps\n0,10\n1,abc\n2,3\n", rate,
                "traffic.csv:3:3: column \"rps\": \"abc\" is not a number");
    csv_refused("time,rps\n0,10\n1,-4\n2,3\n", rate,
                "traffic.csv:3:3: column \"rps\": -4 is negative; a rate is at least 0");
    csv_refused("time,rps\n0,10\n2,1\n1,3\n", rate,
                "traffic.csv:4:1: column \"time\": 1 is not after the previous row's 2 (rows "
                "go in increasing time, within one day for clock times)");
    csv_refused("time,req\n0,10\n", rate,
                "traffic.csv:1:1: column \"rps\": no such column in the header (it has: time, req)");
    /* The series must cover the run: 4 rows of 1 s from 0 end at 4 s. */
    csv_refused("time,rps\n0,1\n1,1\n", rate,
                "s.json:5:13: workloads[0].rate.csv: the file's rows cover 2s, the workload "
                "runs until 3s: add rows, start from an earlier row, or stop the workload sooner");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("workload");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, deterministic_30_per_s_for_1_s_is_30);
    tcase_add_test(tc, deterministic_long_run_is_exact);
    tcase_add_test(tc, latency_counts_failures_when_the_client_gave_up);
    tcase_add_test(tc, in_flight_at_the_end);
    tcase_add_test(tc, slo_given_twice_is_refused);
    tcase_add_test(tc, closed_population_throughput_is_n_over_s_plus_z);
    tcase_add_test(tc, closed_clients_contending_take_n_rounds);
    tcase_add_test(tc, rate_follows_a_csv_series);
    tcase_add_test(tc, csv_rate_errors_name_the_cell);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
