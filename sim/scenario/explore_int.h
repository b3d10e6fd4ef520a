/* What explore and its frontier share (explore.c, frontier.c). Internal to the library. */
#ifndef FL_SCENARIO_EXPLORE_INT_H
#define FL_SCENARIO_EXPLORE_INT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* True when the run whose summary this is recovered after its last fault: no flag the
 * figure catalogue ties to the end of the faults (the flag of a censored duration counted
 * from them, such as workloads.*.recovery.recovered) is false. */
bool fl__explore_recovered(const cJSON *summary);
/* True when path names such a flag (a column of sweep.csv, say). */
bool fl__explore_liveness_flag(const char *path);

#endif
