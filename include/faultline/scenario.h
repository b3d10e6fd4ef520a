/* Scenario files: loading, validation and the facts a user asks of a scenario.
 *
 * A scenario is a JSON document (format in scenarios/README.md). Loading parses it,
 * checks every field of the baseline and of every variant (by building the model once
 * each, without running it), and keeps the document for runs. */
#ifndef FAULTLINE_SCENARIO_H
#define FAULTLINE_SCENARIO_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <faultline/status.h>
#include <faultline/time.h>

typedef struct fl_scenario fl_scenario;

/* Loads and validates a scenario file. On success *out is owned by the caller
 * (fl_scenario_free). On failure *out is NULL and e names file, line, column, JSON path. */
fl_status fl_scenario_load(const char *file, fl_scenario **out, fl_error *e);
/* The same, for the command line: "-" reads standard input; pipes, FIFOs and process
 * substitutions are read to their end (at most 64 MiB); and poll(ctx), when not NULL, is
 * asked now and then while waiting for input and while each variant's model is built
 * whether to stop (a limit or a signal): FL_INTERRUPTED. */
fl_status fl_scenario_load_polled(const char *file, int (*poll)(void *ctx), void *ctx,
                                  fl_scenario **out, fl_error *e);
/* The same from memory; `file` only names the text in messages. */
fl_status fl_scenario_parse(const char *text, size_t len, const char *file, fl_scenario **out,
                            fl_error *e);
/* The same for a server: files the scenario names (a workload's "rate": {"csv": ...}) are
 * read relative to dir while it loads, and a run-time override naming any other file is
 * refused. fl_scenario_parse reads them relative to `file`'s folder, like
 * fl_scenario_load, at run time too. */
fl_status fl_scenario_parse_in(const char *text, size_t len, const char *file, const char *dir,
                               fl_scenario **out, fl_error *e);
void fl_scenario_free(fl_scenario *sc);

const char *fl_scenario_file(const fl_scenario *sc);
const char *fl_scenario_name(const fl_scenario *sc);
const char *fl_scenario_title(const fl_scenario *sc);
const char *fl_scenario_story(const fl_scenario *sc);
/* The scenario's "charts" list (lesson chart names, drawn first, in this order); *n gets
 * the count; NULL and 0 when it has none. */
const char *const *fl_scenario_charts(const fl_scenario *sc, size_t *n);
uint64_t fl_scenario_seed(const fl_scenario *sc);
fl_time fl_scenario_duration(const fl_scenario *sc);

/* Variants, not counting the implicit "baseline". */
size_t fl_scenario_variant_count(const fl_scenario *sc);
const char *fl_scenario_variant_name(const fl_scenario *sc, size_t i);
const char *fl_scenario_variant_about(const fl_scenario *sc, size_t i);
/* True for "baseline" and for every declared variant. */
int fl_scenario_has_variant(const fl_scenario *sc, const char *name);

/* Writes the scenario in plain text: story, sources, system, fault timeline, variants and
 * what each must show (what `faultline explain` prints). */
void fl_scenario_explain(const fl_scenario *sc, FILE *f);

#endif
