/* The result of one run, shared by the runner (scenario/) and the writers (out/). */
#ifndef FL_SCENARIO_RESULT_INT_H
#define FL_SCENARIO_RESULT_INT_H

#include <cjson/cJSON.h>
#include <faultline/check.h>
#include <faultline/run.h>
#include <faultline/series.h>

struct fl_result {
    cJSON *summary;   /* the figures, in the order they are written */
    char *summary_text;
    fl_series *series;
    char *events;     /* events.jsonl content */
    struct fl_history *history; /* client operations, when recorded; else NULL */
    int stated, failed;
};

#endif
