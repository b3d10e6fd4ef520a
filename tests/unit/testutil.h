/* Shared helpers for the Check unit tests. */
#ifndef FL_TESTUTIL_H
#define FL_TESTUTIL_H

#include <check.h>
#include <stdlib.h>

/* Runs one suite and returns the process exit status. */
static inline int fl_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
