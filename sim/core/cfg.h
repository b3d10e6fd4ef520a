/* Typed reads of one JSON configuration object, with errors a user can act on.
 *
 * Every component kind configures itself from its JSON object through these helpers, so
 * each error names the JSON path ("nodes[0].workers") and says what was expected and what
 * was found. The scenario layer later turns the path into file:line:col.
 *
 * Convention for every getter: a missing key yields the default and FL_OK, unless the
 * getter is told the key is required (FL_CFG_REQUIRED); any present value of the wrong
 * type or range is an error. On error *out is left unchanged. */
#ifndef FL_CORE_CFG_H
#define FL_CORE_CFG_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <faultline/dist.h>
#include <faultline/status.h>
#include <faultline/time.h>

#define FL_CFG_OPTIONAL 0
#define FL_CFG_REQUIRED 1

/* Builds "path.key" into buf (or "key" when path is empty). */
const char *fl_cfg_join(char *buf, size_t n, const char *path, const char *key);
/* Builds "path[i]" into buf. */
const char *fl_cfg_index(char *buf, size_t n, const char *path, int i);

/* A description of a JSON value for messages: "\"three\"", "3", "true", "an object". */
void fl_cfg_describe(const cJSON *v, char *buf, size_t n);

/* Fails with FL_INVALID unless v is an object ("expected an object, got ..."). */
fl_status fl_cfg_object(const cJSON *v, const char *path, fl_error *e);
/* Fails with FL_UNKNOWN on the first key of obj not in `known` (NULL-terminated), with a
 * "did you mean" suggestion when a known key is close (edit distance <= 2 or a prefix). */
fl_status fl_cfg_known_keys(const cJSON *obj, const char *path, const char *const *known,
                            fl_error *e);
/* The closest of `choices` (NULL-terminated) to `word`, or NULL when none is close. */
const char *fl_cfg_suggest(const char *word, const char *const *choices);

fl_status fl_cfg_string(const cJSON *obj, const char *path, const char *key, int req,
                        const char *def, const char **out, fl_error *e);
/* A name (include/faultline/name.h: letters, digits, '.', '_', '-'; at most FL_NAME_MAX;
 * not starting with '.' or '-'). Missing and optional: *out = NULL. */
fl_status fl_cfg_name(const cJSON *obj, const char *path, const char *key, int req,
                      const char **out, fl_error *e);
/* An integer in [min, max] (JSON number with no fraction). */
fl_status fl_cfg_int(const cJSON *obj, const char *path, const char *key, int req, long def,
                     long min, long max, long *out, fl_error *e);
/* A limit: an integer in [0, max], or the string "unbounded" (*out = -1). 0 is a limit like
 * any other (none allowed), never a stand-in for "no limit". */
fl_status fl_cfg_limit(const cJSON *obj, const char *path, const char *key, int req, long def,
                       long max, long *out, fl_error *e);
/* A finite number in [min, max]. */
fl_status fl_cfg_number(const cJSON *obj, const char *path, const char *key, int req,
                        double def, double min, double max, double *out, fl_error *e);
fl_status fl_cfg_bool(const cJSON *obj, const char *path, const char *key, int req, bool def,
                      bool *out, fl_error *e);
/* A duration string ("250ms") or a number of seconds, in [min, max]. */
fl_status fl_cfg_duration(const cJSON *obj, const char *path, const char *key, int req,
                          fl_time def, fl_time min, fl_time max, fl_time *out, fl_error *e);
/* A signed duration ("+2s", "-250ms", or a number of seconds) within +-limit; 0 when
 * missing (clock offsets and steps). */
fl_status fl_cfg_offset(const cJSON *obj, const char *path, const char *key, int req,
                        fl_time limit, fl_time *out, fl_error *e);
/* Parts per million ("50ppm", "-20ppm", or a number) into parts per billion, exact for up
 * to three decimals, within +-limit_ppb (and > 0 when positive); 0 when missing. */
fl_status fl_cfg_ppm(const cJSON *obj, const char *path, const char *key, int req, bool positive,
                     int64_t limit_ppb, int64_t *out_ppb, fl_error *e);
/* A rate string ("2000/s") or a number per second, > 0 unless allow_zero. */
fl_status fl_cfg_rate(const cJSON *obj, const char *path, const char *key, int req,
                      double def, bool allow_zero, double *out, fl_error *e);
/* One of `choices` (NULL-terminated); *out is its index. def is an index, or -1. */
fl_status fl_cfg_enum(const cJSON *obj, const char *path, const char *key, int req, int def,
                      const char *const *choices, int *out, fl_error *e);
/* A distribution string. Missing and not required: *out = NULL when def is NULL, else the
 * parsed default. Caller owns *out. */
fl_status fl_cfg_dist(const cJSON *obj, const char *path, const char *key, int req,
                      const char *def, fl_dist **out, fl_error *e);

#endif
