/* bench_evq: the event queue measured through the engine (fl_sim_run, real 32-byte records,
 * handlers dispatched by id), on the patterns evq.c's header table reports.
 *
 *   hold N       N events pending; each dispatched event schedules one at now + Exp(1 s)
 *                (integer ns): the classic hold model.
 *   timeout N    N entities, each with a hold event and a cancellable timeout: each hold
 *                event cancels its entity's pending timer, arms a new one at now + 1 s and
 *                schedules the next hold event at now + Exp(1 s); a timer that fires (the
 *                hold gap exceeded 1 s) only clears its handle. About 2N events pending;
 *                the rate counts every dispatched event (hold + fired timers).
 *   bimodal N    hold, but the delay is Exp(1 ms) with probability 0.9 and Exp(100 s)
 *                otherwise: a dense near future over a sparse far one (skew).
 *   ties N       all N events start at 0; each schedules one at now + 0, 1 ms or 1 s
 *                (equally likely): thousands of events share each time (FIFO ties).
 *
 * Each run first dispatches a warm-up (2N events, at least 10^6) so the queue is in steady
 * state, then times `events` dispatches. The figure printed is the median over `reps` runs;
 * bytes/pending is fl_sim_queue_bytes / fl_sim_pending at the end (timer table included).
 *
 * Usage: bench_evq [PATTERN N [EVENTS [REPS]]]   (no arguments: the standard table)
 * Wall-clock figures are this machine's; they never go into a run's outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <faultline/rng.h>
#include <faultline/sim.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU time of this process: on a shared machine, wall clock counts other people's work. */
static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct bench {
    fl_rng rng;
    int h_hold, h_timeout;
    fl_timer *timers; /* per entity (timeout pattern) */
    uint64_t cancels, fired;
} bench;

static inline fl_time exp_1s(fl_rng *r)
{
    return (fl_time)(-log(fl_rng_uniform_pos(r)) * 1e9);
}

static void on_hold(fl_sim *sim, void *ctx, uint64_t arg)
{
    bench *b = ctx;
    fl_sim_after(sim, exp_1s(&b->rng), b->h_hold, arg);
}

static void on_bimodal(fl_sim *sim, void *ctx, uint64_t arg)
{
    bench *b = ctx;
    double mean = fl_rng_next(&b->rng) % 10 ? 1e6 : 1e11;
    fl_sim_after(sim, (fl_time)(-log(fl_rng_uniform_pos(&b->rng)) * mean), b->h_hold, arg);
}

static void on_ties(fl_sim *sim, void *ctx, uint64_t arg)
{
    bench *b = ctx;
    static const fl_time delay[3] = {0, FL_MS, FL_SEC};
    fl_sim_after(sim, delay[fl_rng_below(&b->rng, 3)], b->h_hold, arg);
}

static void on_hold_timeout(fl_sim *sim, void *ctx, uint64_t arg)
{
    bench *b = ctx;
    fl_timer *t = &b->timers[arg];
    if (*t != FL_TIMER_NONE && fl_sim_timer_cancel(sim, *t))
        b->cancels++;
    fl_sim_timer_at(sim, fl_sim_now(sim) + FL_SEC, b->h_timeout, arg, t);
    fl_sim_after(sim, exp_1s(&b->rng), b->h_hold, arg);
}

static void on_timeout(fl_sim *sim, void *ctx, uint64_t arg)
{
    bench *b = ctx;
    (void)sim;
    b->timers[arg] = FL_TIMER_NONE;
    b->fired++;
}

typedef struct result {
    double events_per_s, cpu_ns, bytes_per_pending;
    uint64_t pending, hash;
} result;

static int run_once(const char *pattern, uint64_t n, uint64_t events, result *out)
{
    static const struct {
        const char *name;
        fl_handler_fn fn;
    } patterns[] = {{"hold", on_hold},
                    {"timeout", on_hold_timeout},
                    {"bimodal", on_bimodal},
                    {"ties", on_ties}};
    size_t pi = 0;
    while (pi < 4 && strcmp(pattern, patterns[pi].name) != 0)
        pi++;
    if (pi == 4)
        return -1;
    bool timeout = pi == 1, ties = pi == 3;
    fl_sim *sim = fl_sim_new(1);
    bench b = {0};
    fl_rng_seed(&b.rng, 1, "bench/hold");
    b.h_hold = fl_sim_handler(sim, patterns[pi].fn, &b);
    b.h_timeout = fl_sim_handler(sim, on_timeout, &b);
    if (timeout && !(b.timers = calloc(n, sizeof *b.timers)))
        return -1;
    for (uint64_t i = 0; i < n; i++)
        if (fl_sim_at(sim, ties ? 0 : exp_1s(&b.rng), b.h_hold, i) != FL_OK)
            return -1;
    uint64_t warm = 2 * n > 1000000 ? 2 * n : 1000000;
    fl_sim_set_event_limit(sim, warm);
    fl_sim_run(sim, FL_TIME_MAX);
    fl_sim_set_event_limit(sim, warm + events);
    double t0 = now_s(), c0 = cpu_s();
    fl_sim_run(sim, FL_TIME_MAX);
    double t = now_s() - t0, c = cpu_s() - c0;
    out->events_per_s = (double)(fl_sim_events(sim) - warm) / t;
    out->cpu_ns = c * 1e9 / (double)(fl_sim_events(sim) - warm);
    out->pending = fl_sim_pending(sim);
    out->bytes_per_pending = (double)fl_sim_queue_bytes(sim) / (double)out->pending;
    out->hash = fl_sim_hash(sim);
    free(b.timers);
    fl_sim_free(sim);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench_row(const char *pattern, uint64_t n, uint64_t events, int reps)
{
    double rate[32], cpu[32];
    result r = {0};
    if (reps > 32)
        reps = 32;
    for (int i = 0; i < reps; i++) {
        if (run_once(pattern, n, events, &r) != 0) {
            fprintf(stderr, "bench_evq: unknown pattern or out of memory\n");
            return -1;
        }
        rate[i] = r.events_per_s;
        cpu[i] = r.cpu_ns;
    }
    qsort(rate, (size_t)reps, sizeof *rate, cmp_double);
    qsort(cpu, (size_t)reps, sizeof *cpu, cmp_double);
    printf("%-8s N=%-8llu %8.2f M events/s (median of %d; min %.2f, max %.2f)  "
           "%6.1f CPU ns/event  %5.1f bytes/pending (%llu pending)  hash %016llx\n",
           pattern, (unsigned long long)n, rate[reps / 2] / 1e6, reps, rate[0] / 1e6,
           rate[reps - 1] / 1e6, cpu[reps / 2], r.bytes_per_pending, (unsigned long long)r.pending,
           (unsigned long long)r.hash);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3) {
        uint64_t n = strtoull(argv[2], NULL, 10);
        uint64_t events = argc > 3 ? strtoull(argv[3], NULL, 10) : 10000000;
        int reps = argc > 4 ? atoi(argv[4]) : 5;
        return bench_row(argv[1], n, events, reps < 1 ? 1 : reps) ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: bench_evq [hold|timeout|bimodal|ties N [EVENTS [REPS]]]\n");
        return 2;
    }
    static const struct {
        const char *pattern;
        uint64_t n, events;
    } rows[] = {
        {"hold", 1000, 20000000},    {"hold", 1000000, 10000000},
        {"timeout", 1000, 20000000}, {"timeout", 1000000, 10000000},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (bench_row(rows[i].pattern, rows[i].n, rows[i].events, 5))
            return EXIT_FAILURE;
    return EXIT_SUCCESS;
}
