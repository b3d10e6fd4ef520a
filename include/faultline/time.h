/* Virtual time: an integer count of nanoseconds. No floating point ever orders events. */
#ifndef FAULTLINE_TIME_H
#define FAULTLINE_TIME_H

#include <stdint.h>
#include <stddef.h>

typedef int64_t fl_time;

#define FL_NS ((fl_time)1)
#define FL_US ((fl_time)1000)
#define FL_MS ((fl_time)1000000)
#define FL_SEC ((fl_time)1000000000)
#define FL_MIN (60 * FL_SEC)
#define FL_HOUR (3600 * FL_SEC)
#define FL_TIME_MAX INT64_MAX

/* Parses "250ms", "1.5s", "2m", "90", (a bare number is seconds; units ns us ms s m h).
 * Fractions are rounded to the nearest nanosecond. Returns 0 on success; on failure -1 and
 * a reason in why (e.g. "unknown unit \"sec\" (use ns, us, ms, s, m or h)"). */
int fl_parse_duration(const char *s, fl_time *out, char *why, size_t why_n);
/* Parses "2000/s", "50/m", "3.5/ms" or a bare number (per second) into events per second. */
int fl_parse_rate(const char *s, double *per_s, char *why, size_t why_n);
/* Parses a retry delay, exactly: "constant(D)", "exponential(D)" or "exponential(D, max=D)"
 * (D as for fl_parse_duration; spaces allowed after '(' and ',' and before ')'; nothing
 * after the ')'). *kind is 1 for constant, 2 for exponential; *cap is 0 when no max is
 * given. Returns 0, or -1 with a reason in why ("no ')' at the end"; empty when s is not
 * a constant(...) or exponential(...) at all: the caller lists the forms it accepts). */
int fl_parse_backoff(const char *s, int *kind, fl_time *base, fl_time *cap, char *why,
                     size_t why_n);
/* Writes a short human form ("1.5s", "250ms", "12us") into buf. */
void fl_format_duration(fl_time t, char *buf, size_t n);

static inline double fl_time_to_s(fl_time t) { return (double)t / 1e9; }
static inline double fl_time_to_ms(fl_time t) { return (double)t / 1e6; }

#endif
