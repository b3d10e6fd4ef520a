/* faultline status codes and the caller-owned error record.
 *
 * One X-macro table gives the enum, its name and its message, so the three never drift.
 * Library functions return an fl_status; where a richer message helps the user they also
 * fill a caller-owned fl_error (file, line, column, JSON path, "expected X, got Y"). */
#ifndef FAULTLINE_STATUS_H
#define FAULTLINE_STATUS_H

#include <stddef.h>

#define FL_STATUS_TABLE(X)                                                  \
    X(OK, "success")                                                        \
    X(NOMEM, "out of memory")                                               \
    X(IO, "input/output error")                                             \
    X(SYNTAX, "syntax error")                                               \
    X(INVALID, "invalid value")                                             \
    X(UNKNOWN, "unknown name")                                              \
    X(USAGE, "bad usage")                                                   \
    X(LIMIT, "resource limit reached")                                      \
    X(INTERRUPTED, "interrupted")                                           \
    X(EXPECT, "an expectation failed")                                      \
    X(INTERNAL, "internal error")

typedef enum fl_status {
#define FL__ENUM(name, msg) FL_##name,
    FL_STATUS_TABLE(FL__ENUM)
#undef FL__ENUM
} fl_status;

/* "OK", "NOMEM", ...; "?" for a value outside the table. */
const char *fl_status_name(fl_status s);
/* A short human message for the status. */
const char *fl_strerror(fl_status s);

/* A caller-owned error. Fields are empty strings / zero when unknown.
 * file: the scenario file (or "--set"); line/col: 1-based, 0 when unknown;
 * path: the JSON path ("nodes[0].replicas"); msg: what was expected and what was found. */
typedef struct fl_error {
    fl_status status;
    char file[256];
    int line;
    int col;
    char path[256];
    char msg[512];
} fl_error;

/* Reset to FL_OK with empty fields. */
void fl_error_clear(fl_error *e);
/* Set status, path (may be NULL) and a printf-style message; returns status. */
fl_status fl_error_set(fl_error *e, fl_status s, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Formats like a compiler: "file:line:col: path: msg" (parts omitted when unknown).
 * Returns the length that would have been written (snprintf semantics). */
int fl_error_format(const fl_error *e, char *buf, size_t n);

#endif
