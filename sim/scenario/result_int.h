/* The result of one run, shared by the runner (scenario/) and the writers (out/). */
#ifndef FL_SCENARIO_RESULT_INT_H
#define FL_SCENARIO_RESULT_INT_H

#include <cjson/cJSON.h>
#include <faultline/run.h>
#include <faultline/series.h>

struct fl_result {
    cJSON *summary;   /* the figures, in the order they are written */
    char *summary_text;
    fl_series *series;
    char *events;     /* events.jsonl content */
    int stated, failed;
};

#endif
