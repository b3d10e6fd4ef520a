/* The one allocator hook. Every allocation of the library (and cJSON's, once
 * fl_alloc_install_cjson has run) goes through it, so tests can fail the Nth allocation.
 * The hook is process-wide configuration set before any simulation starts, not
 * simulation state: it is read-only while simulations run. */
#ifndef FL_CORE_ALLOC_H
#define FL_CORE_ALLOC_H

#include <stddef.h>

void *fl_malloc(size_t n);
void *fl_calloc(size_t count, size_t size);
void *fl_realloc(void *p, size_t n);
void fl_free(void *p);
char *fl_strdup(const char *s);

/* Test hook: the Nth allocation from now (1-based) and every later one fail, until reset
 * with 0. Not thread-safe; for single-threaded tests only. */
void fl_alloc_fail_after(long n);
/* Allocations made since the last fl_alloc_fail_after call. */
long fl_alloc_count(void);
/* Allocations refused on the calling thread so far, by the system or the test hook
 * (tells an out-of-memory apart from what a library such as cJSON reports as a plain
 * failure, and lets a run notice a failure a caller swallowed). */
long fl_alloc_failures(void);
/* Allocations attempted on the calling thread so far (fl_malloc, fl_calloc, fl_realloc,
 * fl_strdup, cJSON's): what a hot path must not add to per event. */
long fl_alloc_made(void);
/* Bytes those allocations asked for (a realloc counts its new size): what reusing tables
 * across runs saves (bench). */
unsigned long long fl_alloc_bytes(void);
/* Makes every allocation that fails on the calling thread (by the system or the test
 * hook) call fn(ctx) at once, until replaced (fn NULL: nobody). A run points it at its
 * simulation (fl_sim_fail), so that a failure stops the run after the current event even
 * where the code that allocated went on as if nothing happened. */
void fl_alloc_on_failure(void (*fn)(void *ctx), void *ctx);
/* Asks the system for huge pages over the whole 2 MiB pages inside [p, p + n) (a hint:
 * where there are none to give, or no such call, nothing changes). fl_malloc, fl_calloc
 * and fl_realloc do it for every block of FL_HUGE_MIN bytes or more. */
#define FL_HUGE_PAGE ((size_t)2 << 20)
#define FL_HUGE_MIN ((size_t)4 << 20)
void fl__advise_huge(void *p, size_t n);
/* Routes cJSON's allocations through this hook. */
void fl_alloc_install_cjson(void);

#endif
