/* The scenarios the dashboard offers: loaded once at start from --scenarios DIR, each with
 * the parameters a class may tune (workload rates, worker counts, and the numbers and
 * durations the variants set), their units and bounds. Read-only once loaded, so worker
 * threads share it without locks. */
#ifndef FL_SERVE_CATALOG_H
#define FL_SERVE_CATALOG_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <faultline/scenario.h>
#include <faultline/time.h>

typedef enum fl_param_kind {
    FL_PARAM_INTEGER,  /* a count: sent as a JSON integer */
    FL_PARAM_NUMBER,   /* a plain number (a fraction, a factor) */
    FL_PARAM_RATE,     /* requests per second: "N/s" */
    FL_PARAM_DURATION, /* milliseconds: "Nms" */
} fl_param_kind;

typedef struct fl_param {
    char path[256];  /* the --set path, e.g. "nodes.api.workers" */
    char label[300]; /* what it is, for a person */
    fl_param_kind kind;
    double value;    /* the baseline's value (or the variant's, when the baseline has none) */
    double min, max; /* inclusive, in the unit below */
} fl_param;

typedef struct fl_catalog_entry {
    char *file;      /* path under the scenarios folder */
    const char *rel; /* the same relative to that folder (the tail of file): what messages
                      * name, so that they never show where the server keeps its files */
    fl_scenario *sc;
    fl_time window; /* the time series' window (the tunable parameters never change it) */
    fl_param *params;
    size_t nparams;
    cJSON *faults; /* [{"at_s", "until_s", "label"}]: shaded on the page's live charts */
    cJSON *shapes; /* per variant: {"nodes": {NAME: {"kind"}}, "workloads": {NAME: {"target"}}} */
} fl_catalog_entry;

typedef struct fl_catalog {
    fl_catalog_entry *v;
    size_t n;
    char *json; /* GET /api/scenarios, built once */
} fl_catalog;

/* Loads every valid *.json under dir (and one level below), sorted by file name. A file
 * that is not a valid scenario is skipped with a line on `log`. FL_USAGE when none is. */
fl_status fl_catalog_load(fl_catalog *c, const char *dir, FILE *log, fl_error *e);
void fl_catalog_free(fl_catalog *c);
const fl_catalog_entry *fl_catalog_find(const fl_catalog *c, const char *name);
/* The nodes' kinds and the workloads' targets of `variant` (NULL: the baseline), named as
 * summary.json names them; NULL when unknown. */
const cJSON *fl_catalog_shape(const fl_catalog_entry *ce, const char *variant);
/* The unit shown for a kind: "", "/s", "ms". */
const char *fl_param_unit(fl_param_kind k);
/* Turns a request's "set" object into "path=value" strings (caller frees each and the
 * array), refusing a path that is not a tunable parameter and a value out of bounds.
 * FL_INVALID with the message in e. */
fl_status fl_catalog_sets(const fl_catalog_entry *ce, const cJSON *set, char ***out,
                          size_t *n, fl_error *e);

#endif
