/* Scenario internals shared by the loader, expectations and runs. */
#ifndef FL_SCENARIO_INT_H
#define FL_SCENARIO_INT_H

#include <stdbool.h>

#include <cjson/cJSON.h>
#include <faultline/run.h>
#include <faultline/scenario.h>

struct fl_scenario {
    char *file;
    char *text; /* the file as read: positions for messages */
    size_t len;
    cJSON *doc;
    const char *name, *title, *story; /* point into doc */
    uint64_t seed;
    fl_time duration;
    size_t nvariants;
    const char **variant_names; /* point into doc */
    const char **variant_abouts;
    size_t ncharts;
    const char **charts; /* the "charts" list (point into doc); NULL when none */
    int (*poll)(void *ctx); /* while loading: a limit or a signal asks to stop (or NULL) */
    void *poll_ctx;
    /* Files the scenario names (a workload's CSV rate, traffic.c): read relative to dir
     * (the scenario file's folder, "" for the working directory; NULL: none may be read),
     * kept in `files` while loading so that runs read no file; a run-time override naming
     * another one is read at the run's start when read_at_run, else refused. */
    char *dir;
    bool loading, read_at_run;
    struct fl__file_cache *files;
};

struct fl__file_cache {
    struct {
        char *path, *text;
        size_t len;
    } *v;
    size_t n, cap;
};
void fl__file_cache_free(struct fl__file_cache *c);
/* Reads the CSV rates of doc's workloads (traffic.c): each "rate": {"csv": ...} object
 * gets its "series" and "series_end_ns". Errors name the CSV cell, or the JSON path. */
fl_status fl__traffic_resolve(const fl_scenario *sc, cJSON *doc, fl_error *e);
/* Parses CSV text (named `shown` in messages) under the rate object at `path` into
 * *series ([[at_ns, per_s], ...], from the "from" row) and *end (when its last row ends). */
fl_status fl__traffic_parse(const char *text, size_t len, const char *shown, const cJSON *rate,
                            const char *path, cJSON **series, fl_time *end, fl_error *e);

/* A copy of the document with the variant's `set` and then each "path=value" override
 * applied. On error, e names the variant or the override. Caller owns *out (cJSON_Delete). */
fl_status fl__scenario_instance(const fl_scenario *sc, const char *variant,
                                const char *const *sets, size_t nsets, cJSON **out,
                                fl_error *e);
/* Fills e->line/e->col from e->path when the path is found in the scenario's text. */
void fl__scenario_locate(const fl_scenario *sc, fl_error *e);

/* Expectations (expect.c). Validates sc->doc's "expect" object against the variants. */
fl_status fl__expect_validate(const fl_scenario *sc, fl_error *e);
/* An expectation's check text ("in [1, 2]"), whether written as a string or in the
 * calibrated form {"check": ..., "calibrated": why}; NULL when it is neither. */
const char *fl__expect_text(const cJSON *x);
/* True for an expectation marked {"check": ..., "invariant": true}: a safety property. */
bool fl__expect_invariant(const cJSON *x);
/* The reason of a calibrated expectation, or NULL for evidence (a plain string). */
const char *fl__expect_calibrated(const cJSON *x);
/* Refuses an expectation of `variant` naming a figure that `skeleton` (the summary of the
 * variant's model built but not run: the same code writes every figure) does not have. */
fl_status fl__expect_check_figures(const fl_scenario *sc, const char *variant,
                                   const cJSON *skeleton, fl_error *e);
/* Evaluates the expectations for `variant` against `summary`, adding "expectations"
 * (a list) and "verdict" to it. Returns the number failed; *stated gets the number stated. */
int fl__expect_eval(const fl_scenario *sc, const char *variant, cJSON *summary, int *stated);

/* The "explore" section (explore.c): the fault space `faultline explore` draws from,
 * checked against the scenario's kinds, nodes and zones. FL_OK when there is none. */
fl_status fl__explore_validate(const fl_scenario *sc, fl_error *e);

#endif
