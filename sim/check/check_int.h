/* Internal helpers shared by the history and the checkers. */
#ifndef FL_CHECK_INT_H
#define FL_CHECK_INT_H

#include <stdbool.h>
#include <faultline/check.h>

/* t in seconds, exactly from the integer nanoseconds ("1.5", "-0.000001", "3"). */
void fl_check_fmt_s(char *buf, size_t n, fl_time t);
/* Zeroes a result. */
void fl_check_reset(fl_check_result *r);
/* Counts nothing: offers an example; the result keeps the earliest FL_CHECK_EXAMPLES by
 * (t0, key, client, order of offer), so the choice does not depend on the scan order of
 * equal-looking anomalies beyond that. */
void fl_check_example_add(fl_check_result *r, fl_time t0, fl_time t1, uint64_t key,
                          uint32_t client, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
/* Whether fl_check_example_add(r, t0, _, key, client, ...) would keep the example: a
 * checker that finds thousands of anomalies formats only those kept. */
bool fl_check_example_wanted(const fl_check_result *r, fl_time t0, uint64_t key,
                             uint32_t client);
/* Sets rate = count / relevant. */
void fl_check_finish(fl_check_result *r);

#endif
