/* The allocator hook: see alloc.h. */
#define _DEFAULT_SOURCE 1 /* madvise's MADV_HUGEPAGE (Linux), alongside POSIX */
#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_usable_size */
#endif
#include <string.h>
#include <sys/mman.h>

#include <cjson/cJSON.h>

/* Test-only fault injection counters. Zero means "never fail". They are only written by
 * single-threaded tests (fl_alloc_fail_after), so plain longs are enough. */
static long fail_at;
static long counter;
/* Allocations refused on this thread, by the system or the test hook: sticky, so a run can
 * tell afterwards (and its engine while it runs) that something it needed was not
 * allocated, even where a caller swallowed the NULL. One per thread: runs on other
 * threads neither see nor disturb it. */
static _Thread_local long failures;
/* Allocations made on this thread (bench: none per event on the hot paths). */
static _Thread_local long made;
/* Bytes those allocations asked for (a realloc counts its new size). */
static _Thread_local unsigned long long bytes_made;

/* Called on this thread when an allocation fails (fl_alloc_on_failure); NULL: nobody. */
static _Thread_local void (*on_failure)(void *ctx);
static _Thread_local void *on_failure_ctx;

static int should_fail(void)
{
    if (fail_at <= 0) /* the normal case: no shared write, so threads may allocate freely */
        return 0;
    if (++counter < fail_at)
        return 0;
    failures++;
    if (on_failure)
        on_failure(on_failure_ctx);
    return 1;
}

long fl_alloc_failures(void) { return failures; }
long fl_alloc_made(void) { return made; }
unsigned long long fl_alloc_bytes(void) { return bytes_made; }

void fl_alloc_fail_after(long n)
{
    fail_at = n;
    counter = 0;
}

long fl_alloc_count(void) { return counter; }

void fl_alloc_on_failure(void (*fn)(void *ctx), void *ctx)
{
    on_failure = fn;
    on_failure_ctx = ctx;
}

void fl__advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    uintptr_t a = ((uintptr_t)p + FL_HUGE_PAGE - 1) & ~(uintptr_t)(FL_HUGE_PAGE - 1);
    uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)(FL_HUGE_PAGE - 1);
    if (e > a)
        (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

/* A block this big is a table that grows or a checker's sweep: it is written end to end
 * once, so huge pages save a fault per 4 KiB page (about 10 us each on this VM class). */
static void *big(void *p, size_t n)
{
    if (p && n >= FL_HUGE_MIN)
        fl__advise_huge(p, n);
    return p;
}

static void *counted(void *p)
{
    made++;
    if (!p) {
        failures++;
        if (on_failure)
            on_failure(on_failure_ctx);
    }
    return p;
}

void *fl_malloc(size_t n)
{
    bytes_made += n;
    return should_fail() ? NULL : big(counted(malloc(n ? n : 1)), n);
}

void *fl_calloc(size_t count, size_t size)
{
    bytes_made += (unsigned long long)count * size;
    return should_fail() ? NULL : big(counted(calloc(count ? count : 1, size ? size : 1)), count * size);
}

void *fl_realloc(void *p, size_t n)
{
    bytes_made += n;
    if (should_fail())
        return NULL;
#ifdef __GLIBC__
    /* A big block that grows is moved by hand, so that the new block is advised before the
     * copy writes it (realloc would copy into 4 KiB pages, one fault each). */
    size_t old = p ? malloc_usable_size(p) : 0;
    if (n >= FL_HUGE_MIN && old < n) {
        void *q = big(counted(malloc(n)), n);
        if (q) {
            memcpy(q, p, old);
            free(p);
        }
        return q;
    }
#endif
    return big(counted(realloc(p, n ? n : 1)), n);
}

void fl_free(void *p) { free(p); }

char *fl_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = fl_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void fl_alloc_install_cjson(void)
{
    cJSON_Hooks hooks = {fl_malloc, fl_free};
    cJSON_InitHooks(&hooks);
}
