/* faultline bench: the engine's speed on the classic models, in this process.
 *
 *   hold N      N events pending; each dispatched event schedules one at now + Exp(1 s)
 *   mm1         M/M/1 (rho = 0.9) through the whole scenario path: loader, service
 *               model, histograms, time series, summary; 10^6 customers
 *   short       many short runs of one scenario parsed once, in this process (build, run,
 *               checks, expectations; no files): what compare, explore and sweep pay per run
 *
 * The hold model first dispatches a warm-up (2N events, at least 10^6) so the queue is in
 * steady state, then times the rest: the figure is the steady per-event cost.
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
#include "core/alloc.h"
#include "out/files.h"
#include "scenario/pool.h"

static const cli_opt bench_opts[] = {
    {"json", 0, NULL, "print the figures as one JSON object"},
    {"quick", 0, NULL, "smaller runs (a smoke test, about a second)"},
    {"hold", 0, "N", "measure only the hold model with N events pending"},
    {"short", 0, "FILE", "the short-run scenario (default scenarios/split-brain-redis-sentinel.json)"},
    {NULL, 0, NULL, NULL},
};

const cli_cmd cli_bench = {
    "bench",
    "[--json] [--quick] [--hold N] [--short FILE]",
    "Measure the engine: hold model (N = 10^3, 10^6), M/M/1 with 10^6 customers, short runs.",
    "The hold model keeps N events pending; each dispatched event schedules one at\n"
    "now + Exp(mean 1 s). The short-run row parses a small scenario once, then builds\n"
    "and runs it (checkers and expectations included, writing no files) again and again\n"
    "in this process: the cost of one run of a compare, a sweep or an exploration,\n"
    "set-up included; it also gives the allocations and page faults per run after the\n"
    "first (tables sized by earlier runs are reused). It is skipped when\n"
    "the scenario file is not found (run from the source tree, or pass --short FILE).\n"
    "tools/bench-peers runs the same models in SimPy, SimGrid and\n"
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
    uint64_t warm = 2 * n < 1000000 ? 1000000 : 2 * n;
    fl_sim *sim = fl_sim_new(1);
    if (!sim)
        return -1;
    hold ho;
    fl_rng_seed(&ho.rng, 1, "bench/hold");
    ho.h = fl_sim_handler(sim, hold_event, &ho);
    for (uint64_t i = 0; i < n; i++)
        fl_sim_at(sim, (fl_time)(-log(fl_rng_uniform_pos(&ho.rng)) * 1e9), ho.h, i);
    fl_sim_set_event_limit(sim, warm);
    fl_sim_run(sim, FL_TIME_MAX);
    fl_sim_set_event_limit(sim, warm + pops);
    double t0 = now_s();
    fl_sim_run(sim, FL_TIME_MAX);
    double t = now_s() - t0;
    out->events_per_s = (double)(fl_sim_events(sim) - warm) / t;
    out->bytes_per_pending = (double)fl_sim_queue_bytes(sim) / (double)fl_sim_pending(sim);
    fl_sim_free(sim);
    return 0;
}

static const char mm1_json[] =
    "{\"faultline\": 1, \"name\": \"bench-mm1\", \"duration\": \"%.6fs\",\n"
    " \"nodes\": [{\"name\": \"server\", \"kind\": \"service\", \"workers\": 1,\n"
    "             \"service_time\": \"exp(1ms)\"}],\n"
    " \"workloads\": [{\"name\": \"arrivals\", \"target\": \"server\", \"rate\": \"900/s\"}]}\n";

static int run_mm1(uint64_t customers, double *per_s, double *mean_ms, long *allocs)
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
    long a0 = fl_alloc_made();
    if (fl_run(sc, &cfg, &r, &e) != FL_OK) {
        fl_scenario_free(sc);
        return -1;
    }
    *allocs = fl_alloc_made() - a0;
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

typedef struct short_result {
    double runs_per_s, ms_per_run;
    double allocs_per_run;  /* allocations per run after the first */
    double faults_per_run;  /* minor page faults per run after the first */
    double bytes_per_run;   /* bytes allocated per run after the first */
    long first_faults;      /* the first run's (sizes every table from scratch) */
    double first_bytes;
    int runs;
    bool found;
} short_result;

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* One short run, as a sweep, compare or explore does it with a scenario parsed once: build,
 * run, checks and expectations, figures only (no files, no summary text). */
static int short_once(const fl_scenario *sc)
{
    fl_error e;
    fl_run_config cfg = {0};
    cfg.figures_only = true;
    fl_result *r;
    if (fl_run(sc, &cfg, &r, &e) != FL_OK)
        return -1;
    int failed;
    fl_result_expectations(r, &failed);
    fl_result_free(r);
    return 0;
}

/* Parses the scenario once (as the commands that run many simulations do), then runs it
 * for at least `secs` seconds and 20 runs; the rate is runs over the time taken. */
static int run_short(const char *path, double secs, short_result *out)
{
    *out = (short_result){0};
    size_t len;
    char *text = fl__file_read_all(path, &len);
    if (!text)
        return 0; /* not found: the row is skipped */
    out->found = true;
    fl_scenario *sc;
    fl_error e;
    fl_status st = fl_scenario_parse(text, len, path, &sc, &e);
    fl_free(text);
    if (st != FL_OK)
        return -1;
    long f0 = minor_faults();
    unsigned long long b0 = fl_alloc_bytes();
    if (short_once(sc)) { /* the first run, and the scenario must run */
        fl_scenario_free(sc);
        return -1;
    }
    long f1 = minor_faults(), a1 = fl_alloc_made();
    unsigned long long b1 = fl_alloc_bytes();
    out->first_faults = f1 - f0;
    out->first_bytes = (double)(b1 - b0);
    double t0 = now_s(), t;
    int n = 0;
    do {
        if (short_once(sc)) {
            fl_scenario_free(sc);
            return -1;
        }
        n++;
        t = now_s() - t0;
    } while (n < 20 || t < secs);
    out->allocs_per_run = (double)(fl_alloc_made() - a1) / n;
    out->faults_per_run = (double)(minor_faults() - f1) / n;
    out->bytes_per_run = (double)(fl_alloc_bytes() - b1) / n;
    fl_scenario_free(sc);
    out->runs = n;
    out->runs_per_s = n / t;
    out->ms_per_run = t * 1e3 / n;
    return 0;
}

typedef struct short_job {
    const char *path;
    double secs;
    short_result *out;
    int rc;
} short_job;

static void short_job_run(void *ctx, size_t i)
{
    (void)i;
    short_job *j = ctx;
    j->rc = run_short(j->path, j->secs, j->out);
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
    const char *hold_arg = cli_get(&cli_bench, &a, "hold");
    if (hold_arg) {
        char *end;
        unsigned long long n = strtoull(hold_arg, &end, 10);
        if (*end || n < 1 || n > 100000000 || hold_arg[0] == '-') {
            cli_error("bench: --hold %s: expected a count of events from 1 to 10^8", hold_arg);
            return FL_EXIT_USAGE;
        }
        /* Timed dispatches: at least 10^7 (10^6 quick) and N, so a big queue turns over. */
        uint64_t p = pops / 2 > n ? pops / 2 : n;
        hold_result h;
        if (run_hold(n, p, &h)) {
            cli_error("bench: out of memory");
            return FL_EXIT_RUNTIME;
        }
        if (json)
            printf("{\"faultline_version\": \"%s\", \"hold_n\": %llu, \"hold_events_per_s\": %.0f, "
                   "\"hold_ns_per_event\": %.2f, \"bytes_per_pending_event\": %.1f}\n",
                   fl_version(), n, h.events_per_s, 1e9 / h.events_per_s, h.bytes_per_pending);
        else
            printf("hold, N = %llu: %.2f M events/s, %.1f ns/event, %.1f bytes per pending event\n",
                   n, h.events_per_s / 1e6, 1e9 / h.events_per_s, h.bytes_per_pending);
        return FL_EXIT_OK;
    }
    const char *short_path = cli_get(&cli_bench, &a, "short");
    bool short_given = short_path != NULL;
    if (!short_path)
        short_path = "scenarios/split-brain-redis-sentinel.json";
    if (short_given) { /* a file named on purpose must be there: say so before measuring */
        FILE *f = fopen(short_path, "rb");
        if (!f) {
            cli_error("bench: %s: cannot read the file (give an existing scenario file)",
                      short_path);
            return FL_EXIT_USAGE;
        }
        fclose(f);
    }
    hold_result h3, h6;
    double mm1, mean_ms;
    long mm1_allocs;
    short_result sr;
    if (run_hold(1000, pops, &h3) || run_hold(big, pops, &h6) ||
        run_mm1(customers, &mm1, &mean_ms, &mm1_allocs)) {
        cli_error("bench: out of memory");
        return FL_EXIT_RUNTIME;
    }
    /* On a worker thread, as compare, sweep and explore run theirs (its allocations come
     * from that thread's arena, as theirs do). */
    short_job sj = {short_path, quick ? 0.2 : 2.0, &sr, 0};
    fl__pool_run(1, 1, short_job_run, &sj);
    if (sj.rc) {
        cli_error("bench: %s: the short-run scenario does not run (faultline run %s says why)",
                  short_path, short_path);
        return FL_EXIT_RUNTIME;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double peak_mib = (double)ru.ru_maxrss / 1024.0;
    if (json) {
        printf("{\"faultline_version\": \"%s\", \"quick\": %s, \"hold_1e3_events_per_s\": %.0f, "
               "\"hold_1e6_events_per_s\": %.0f, \"hold_1e6_n\": %llu, "
               "\"bytes_per_pending_event\": %.1f, \"mm1_customers_per_s\": %.0f, "
               "\"mm1_customers\": %llu, \"mm1_mean_sojourn_ms\": %.4f, "
               "\"mm1_allocations\": %ld, ",
               fl_version(), quick ? "true" : "false", h3.events_per_s, h6.events_per_s,
               (unsigned long long)big, h6.bytes_per_pending, mm1, (unsigned long long)customers,
               mean_ms, mm1_allocs);
        if (sr.found)
            printf("\"short_runs_per_s\": %.1f, \"short_ms_per_run\": %.3f, "
                   "\"short_allocations_per_run\": %.1f, \"short_page_faults_per_run\": %.2f, "
                   "\"short_first_run_page_faults\": %ld, \"short_bytes_per_run\": %.0f, "
                   "\"short_first_run_bytes\": %.0f, ",
                   sr.runs_per_s, sr.ms_per_run, sr.allocs_per_run, sr.faults_per_run,
                   sr.first_faults, sr.bytes_per_run, sr.first_bytes);
        else
            printf("\"short_runs_per_s\": null, \"short_ms_per_run\": null, "
                   "\"short_allocations_per_run\": null, \"short_page_faults_per_run\": null, "
                   "\"short_first_run_page_faults\": null, \"short_bytes_per_run\": null, "
                   "\"short_first_run_bytes\": null, ");
        printf("\"peak_rss_mib\": %.1f}\n", peak_mib);
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
    if (sr.found)
        printf("  %-34s %8.1f runs/s %8.3f ms/run\n", "short runs (build, run, checks)",
               sr.runs_per_s, sr.ms_per_run);
    else
        printf("  short runs: skipped (%s not found; pass --short FILE)\n", short_path);
    printf("\n  bytes per pending event at N = %llu: %.1f\n", (unsigned long long)big,
           h6.bytes_per_pending);
    printf("  M/M/1 mean time in system: %.3f ms (theory 10.000 ms)\n", mean_ms);
    printf("  M/M/1 allocations (build, run, summary): %ld for %llu customers\n", mm1_allocs,
           (unsigned long long)customers);
    if (sr.found)
        printf("  short runs: %s, %d runs after the first; per run %.0f allocations asking for "
               "%.0f KiB (16 MiB of it the run's out-of-memory reserve, never touched), %.1f "
               "page faults (the first run: %.0f KiB, %ld faults)\n",
               short_path, sr.runs, sr.allocs_per_run, sr.bytes_per_run / 1024, sr.faults_per_run,
               sr.first_bytes / 1024, sr.first_faults);
    printf("  peak memory: %.1f MiB\n", peak_mib);
    return FL_EXIT_OK;
}
