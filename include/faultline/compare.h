/* Comparing variants: each variant over the same seeds (common random numbers: seed s
 * gives every variant the same arrivals), each headline figure as mean +- 95% confidence
 * interval, and each variant's paired difference from the first variant with its own
 * interval and a verdict (better, worse, negligible, no detectable difference, not
 * comparable: see sim/scenario/verdict.h). Each figure's meaning (which way is better,
 * unit, whether a run may not observe it) comes from the figure catalogue
 * (faultline/figures.h). Runs execute on `jobs` threads; the result does not depend on the
 * number of threads.
 *
 * compare.json holds, per figure, per variant, numbers only where they are finite (never
 * NaN) and a "value" text ("21.3 +- 1.4 s", "not recovered in 230 s", "n/a (absent)");
 * per variant after the first, "diff_text", "verdict" and "why"; and "lessons": one line
 * per variant saying what changed in the terms of the scenario's expectations. */
#ifndef FAULTLINE_COMPARE_H
#define FAULTLINE_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include <faultline/scenario.h>

typedef struct fl_compare_config {
    const char *const *variants; /* NULL: "baseline" then every declared variant */
    size_t nvariants;
    int seeds;                   /* seeds 1..seeds; >= 2 */
    int jobs;                    /* threads; <= 0: the number of processors */
    const char *const *sets;     /* overrides applied to every run */
    size_t nsets;
    const char *const *metrics;  /* summary paths; NULL: the headline figures */
    size_t nmetrics;
    const char *out_dir;         /* NULL: write nothing; else runs/ and compare.{json,csv} */
    bool min_effect_set;         /* false: the default minimum effect, 1% of the reference */
    double min_effect;           /* relative minimum effect (0.01 = 1%) when set; >= 0 */
    uint64_t max_events;         /* per run; 0: 10^11 */
    /* Limits and signals (may be NULL): asked before each run and every 1024 events of
     * every run. Non-zero stops the comparison: runs not started are skipped, runs under
     * way stop (their folders marked incomplete), and the comparison of what finished is
     * written with "complete": false and why_stopped(poll_ctx) as "stopped_because". */
    int (*poll)(void *ctx);
    const char *(*why_stopped)(void *ctx);
    void *poll_ctx;
} fl_compare_config;

/* Runs the comparison. On success *json is the comparison as JSON text (caller frees with
 * free()). When poll stopped it (or a run hit max_events): FL_INTERRUPTED (FL_LIMIT) with
 * *json set too, marked incomplete, over the runs that finished. On failure *json is NULL
 * and e says why (a bad variant, override, or run). */
fl_status fl_compare(const fl_scenario *sc, const fl_compare_config *cfg, char **json,
                     fl_error *e);

#endif
