/* faultline bench: the engine's speed on the classic models, in this process.
 *
 *   hold N      N events pending; each dispatched event schedules one at now + Exp(1 s)
 *   mm1         M/M/1 (rho = 0.9) through the whole scenario path: loader, service
 *               model, histograms, time series, summary; 10^6 customers
 *
 * Figures are wall-clock rates of this machine (never written into any run's outputs). */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <faultline/faultline.h>

#include "cli/cli.h"

static const cli_opt bench_opts[] = {
    {"json", 0, NULL, "print the figures as one JSON object"},
    {"quick", 0, NULL, "smaller runs (a smoke test, about a second)"},
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_bench = {
    "bench",
    "[--json] [--quick]",
    "Measure the engine: hold model (N = 10^3, 10^6) and M/M/1 with 10^6 customers.",
    "The hold model keeps N events pending; each dispatched event schedules one at\n"
    "now + Exp(mean 1 s). tools/bench-peers runs the same models in SimPy, SimGrid and\n"
    "ns-3 where installed and prints the ratios.\n",
    bench_opts,
    cmd_bench,
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct hold {
    fl_rng rng;
    int h;
} hold;

static void hold_event(fl_sim *sim, void *ctx, uint64_t arg)
{
    hold *ho = ctx;
    fl_time d = (fl_time)(-log(fl_rng_uniform_pos(&ho->rng)) * 1e9);
    fl_sim_after(sim, d, ho->h, arg);
}

typedef struct hold_result {
    double events_per_s, bytes_per_pending;
} hold_result;

static int run_hold(uint64_t n, uint64_t pops, hold_result *out)
{
    fl_sim *sim = fl_sim_new(1);
    if (!sim)
        return -1;
    hold ho;
    fl_rng_seed(&ho.rng, 1, "bench/hold");
    ho.h = fl_sim_handler(sim, hold_event, &ho);
    for (uint64_t i = 0; i < n; i++)
        fl_sim_at(sim, (fl_time)(-log(fl_rng_uniform_pos(&ho.rng)) * 1e9), ho.h, i);
    fl_sim_set_event_limit(sim, pops);
    double t0 = now_s();
    fl_sim_run(sim, FL_TIME_MAX);
    double t = now_s() - t0;
    out->events_per_s = (double)fl_sim_events(sim) / t;
    out->bytes_per_pending = (double)fl_sim_queue_bytes(sim) / (double)fl_sim_pending(sim);
    fl_sim_free(sim);
    return 0;
}

static const char mm1_json[] =
    "{\"faultline\": 1, \"name\": \"bench-mm1\", \"duration\": \"%.6fs\",\n"
    " \"nodes\": [{\"name\": \"server\", \"kind\": \"service\", \"workers\": 1,\n"
    "             \"service_time\": \"exp(1ms)\"}],\n"
    " \"workloads\": [{\"name\": \"arrivals\", \"target\": \"server\", \"rate\": \"900/s\"}]}\n";

static int run_mm1(uint64_t customers, double *per_s, double *mean_ms)
{
    char text[1024];
    snprintf(text, sizeof text, mm1_json, (double)customers / 900.0);
    double t0 = now_s();
    fl_scenario *sc;
    fl_error e;
    if (fl_scenario_parse(text, strlen(text), "bench-mm1", &sc, &e) != FL_OK)
        return -1;
    fl_run_config cfg = {0};
    fl_result *r;
    if (fl_run(sc, &cfg, &r, &e) != FL_OK) {
        fl_scenario_free(sc);
        return -1;
    }
    double t = now_s() - t0;
    const char *s = fl_result_summary(r);
    const char *m = strstr(s, "\"served\":");
    double served = m ? strtod(m + 9, NULL) : 0;
    const char *w = strstr(s, "\"sojourn_ms\":");
    const char *mean = w ? strstr(w, "\"mean\":") : NULL;
    *mean_ms = mean ? strtod(mean + 7, NULL) : NAN;
    *per_s = served / t;
    fl_result_free(r);
    fl_scenario_free(sc);
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    cli_args a;
    int pr = cli_parse(&cli_bench, argc, argv, &a);
    if (pr)
        return pr > 0 ? FL_EXIT_OK : FL_EXIT_USAGE;
    bool json = cli_get(&cli_bench, &a, "json") != NULL;
    bool quick = cli_get(&cli_bench, &a, "quick") != NULL;
    uint64_t pops = quick ? 1000000 : 20000000, big = quick ? 100000 : 1000000;
    uint64_t customers = quick ? 100000 : 1000000;
    hold_result h3, h6;
    double mm1, mean_ms;
    if (run_hold(1000, pops, &h3) || run_hold(big, pops, &h6) ||
        run_mm1(customers, &mm1, &mean_ms)) {
        cli_error("bench: out of memory");
        return FL_EXIT_RUNTIME;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double peak_mib = (double)ru.ru_maxrss / 1024.0;
    if (json) {
        printf("{\"faultline_version\": \"%s\", \"quick\": %s, \"hold_1e3_events_per_s\": %.0f, "
               "\"hold_1e6_events_per_s\": %.0f, \"hold_1e6_n\": %llu, "
               "\"bytes_per_pending_event\": %.1f, \"mm1_customers_per_s\": %.0f, "
               "\"mm1_customers\": %llu, \"mm1_mean_sojourn_ms\": %.4f, \"peak_rss_mib\": %.1f}\n",
               fl_version(), quick ? "true" : "false", h3.events_per_s, h6.events_per_s,
               (unsigned long long)big, h6.bytes_per_pending, mm1, (unsigned long long)customers,
               mean_ms, peak_mib);
        return FL_EXIT_OK;
    }
    printf("faultline %s bench%s\n\n", fl_version(), quick ? " (quick)" : "");
    printf("  %-34s %12s %10s\n", "model", "rate", "ns/event");
    printf("  %-34s %10.2f M/s %10.1f\n", "hold, N = 10^3 (events)", h3.events_per_s / 1e6,
           1e9 / h3.events_per_s);
    char label[64];
    snprintf(label, sizeof label, "hold, N = %llu (events)", (unsigned long long)big);
    printf("  %-34s %10.2f M/s %10.1f\n", label, h6.events_per_s / 1e6, 1e9 / h6.events_per_s);
    snprintf(label, sizeof label, "M/M/1, %llu customers (customers)", (unsigned long long)customers);
    printf("  %-34s %10.2f M/s %10.1f\n", label, mm1 / 1e6, 1e9 / mm1);
    printf("\n  bytes per pending event at N = %llu: %.1f\n", (unsigned long long)big,
           h6.bytes_per_pending);
    printf("  M/M/1 mean time in system: %.3f ms (theory 10.000 ms)\n", mean_ms);
    printf("  peak memory: %.1f MiB\n", peak_mib);
    return FL_EXIT_OK;
}
