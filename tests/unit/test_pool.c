/* Index pools and array growth (sim/core/pool.h): slots come back last freed first, the
 * array keeps its contents as it grows, and running out of memory fails the run. */
#include <stddef.h>

#include <faultline/sim.h>

#include "core/alloc.h"
#include "core/pool.h"
#include "testutil.h"

typedef struct slot {
    uint64_t payload;
    uint32_t next;
} slot;

static uint32_t take(fl_sim *sim, fl_pool *p, slot **arr)
{
    uint32_t id;
    slot *n = fl__pool_take(sim, p, *arr, sizeof *n, offsetof(slot, next), 4, &id);
    if (n)
        *arr = n;
    return id;
}

START_TEST(slots_are_reused_last_freed_first_and_survive_growth)
{
    fl_sim *sim = fl_sim_new(1);
    fl_pool p = FL_POOL_INIT;
    slot *arr = NULL;
    for (uint32_t i = 0; i < 100; i++) {
        ck_assert_uint_eq(take(sim, &p, &arr), i);
        arr[i].payload = 1000 + i;
    }
    ck_assert_uint_eq(p.used, 100);
    ck_assert_uint_eq(p.cap, 128); /* 4 doubled until 100 fit */
    for (uint32_t i = 0; i < 100; i++)
        ck_assert_uint_eq(arr[i].payload, 1000 + i);
    fl__pool_put(&p, arr, sizeof *arr, offsetof(slot, next), 7);
    fl__pool_put(&p, arr, sizeof *arr, offsetof(slot, next), 42);
    ck_assert_uint_eq(take(sim, &p, &arr), 42);
    ck_assert_uint_eq(take(sim, &p, &arr), 7);
    ck_assert_uint_eq(take(sim, &p, &arr), 100); /* free list empty: a new slot */
    ck_assert_uint_eq(p.cap, 128);
    ck_assert_int_eq(fl_sim_failed(sim), FL_OK);
    fl_free(arr);
    fl_sim_free(sim);
}
END_TEST

START_TEST(out_of_memory_fails_the_run)
{
    fl_sim *sim = fl_sim_new(1);
    fl_pool p = FL_POOL_INIT;
    slot *arr = NULL;
    for (int i = 0; i < 4; i++)
        take(sim, &p, &arr);
    fl_alloc_fail_after(1);
    uint32_t id;
    ck_assert_ptr_null(fl__pool_take(sim, &p, arr, sizeof *arr, offsetof(slot, next), 4, &id));
    fl_alloc_fail_after(0);
    ck_assert_uint_eq(id, FL_POOL_NONE);
    ck_assert_uint_eq(p.used, 4); /* nothing taken, the array untouched */
    ck_assert_uint_eq(p.cap, 4);
    ck_assert_int_eq(fl_sim_failed(sim), FL_NOMEM);
    fl_free(arr);
    fl_sim_free(sim);
}
END_TEST

START_TEST(grow_doubles_from_its_first_size)
{
    size_t cap = 0;
    int *a = fl__grow(NULL, NULL, &cap, 1, sizeof *a, 16);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(cap, 16);
    ck_assert_ptr_eq(fl__grow(NULL, a, &cap, 16, sizeof *a, 16), a); /* room already */
    a = fl__grow(NULL, a, &cap, 100, sizeof *a, 16);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(cap, 128);
    fl_free(a);
}
END_TEST

/* A block that grows past FL_HUGE_MIN is moved by hand (core/alloc.c): its bytes come
 * along, and a refusal leaves the old block whole and the caller's. */
START_TEST(big_blocks_keep_their_bytes_as_they_grow)
{
    size_t n = FL_HUGE_MIN / 2;
    unsigned char *a = fl_malloc(n);
    ck_assert_ptr_nonnull(a);
    for (size_t i = 0; i < n; i++)
        a[i] = (unsigned char)(i * 31 + 7);
    fl_alloc_fail_after(1);
    ck_assert_ptr_null(fl_realloc(a, 4 * n));
    fl_alloc_fail_after(0);
    ck_assert_uint_eq(a[n - 1], (unsigned char)((n - 1) * 31 + 7));
    for (size_t grow = 2 * n; grow <= 8 * n; grow *= 2) { /* 4 MiB, 8 MiB, 16 MiB */
        unsigned char *b = fl_realloc(a, grow);
        ck_assert_ptr_nonnull(b);
        a = b;
        for (size_t i = 0; i < n; i++)
            if (a[i] != (unsigned char)(i * 31 + 7))
                ck_abort_msg("byte %zu lost growing to %zu", i, grow);
        a[grow - 1] = 1; /* the new end is writable */
    }
    a = fl_realloc(a, n); /* and shrinks back */
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(a[n / 2], (unsigned char)((n / 2) * 31 + 7));
    fl_free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("pool");
    tcase_add_test(tc, slots_are_reused_last_freed_first_and_survive_growth);
    tcase_add_test(tc, out_of_memory_fails_the_run);
    tcase_add_test(tc, grow_doubles_from_its_first_size);
    tcase_add_test(tc, big_blocks_keep_their_bytes_as_they_grow);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
