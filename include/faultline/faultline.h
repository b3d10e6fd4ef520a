/* faultline: a deterministic discrete-event simulator of distributed-systems failures.
 * This umbrella header includes the whole public API. */
#ifndef FAULTLINE_H
#define FAULTLINE_H

#include <faultline/status.h>
#include <faultline/time.h>
#include <faultline/rng.h>
#include <faultline/dist.h>
#include <faultline/hist.h>
#include <faultline/series.h>
#include <faultline/sim.h>
#include <faultline/scenario.h>
#include <faultline/run.h>

/* The library's version string ("0.1.0"). */
const char *fl_version(void);

#endif
