/* A typed in-place sort, for the checkers' big arrays (a million operations and more).
 *
 * FL__SORT_DEFINE(name, T, less) defines `static void name(T *a, size_t n)`, which sorts
 * a[0..n) into less's order: quicksort on a median of three, insertion sort below 16,
 * heapsort past a depth of 2 log2 n (so never quadratic). `less(const T *, const T *)` must
 * be a strict weak order; the sort is not stable, so callers give a total order (ties
 * broken by an id) when the result must not depend on the algorithm.
 *
 * Why not qsort: it calls the comparison through a pointer and moves records with memmove,
 * and glibc's sorts through a temporary copy of the whole array (fresh pages: a page fault
 * per 4 KiB). Sorting a checker's two million events with qsort took 62% of
 * cold-cache-restart's run. */
#ifndef FL_CORE_SORT_H
#define FL_CORE_SORT_H

#include <stddef.h>

#define FL__SORT_DEFINE(name, T, less)                                                     \
    static void name##_sift(T *a, size_t i, size_t n)                                      \
    {                                                                                      \
        for (size_t c; (c = 2 * i + 1) < n; i = c) {                                       \
            if (c + 1 < n && less(&a[c], &a[c + 1]))                                       \
                c++;                                                                       \
            if (!less(&a[i], &a[c]))                                                       \
                return;                                                                    \
            T t_ = a[i];                                                                   \
            a[i] = a[c];                                                                   \
            a[c] = t_;                                                                     \
        }                                                                                  \
    }                                                                                      \
    static void name##_rec(T *a, size_t n, unsigned depth)                                 \
    {                                                                                      \
        while (n > 16) {                                                                   \
            if (depth-- == 0) { /* heapsort what is left */                                \
                for (size_t i = n / 2; i-- > 0;)                                           \
                    name##_sift(a, i, n);                                                  \
                for (size_t e = n - 1; e > 0; e--) {                                       \
                    T t_ = a[0];                                                           \
                    a[0] = a[e];                                                           \
                    a[e] = t_;                                                             \
                    name##_sift(a, 0, e);                                                  \
                }                                                                          \
                return;                                                                    \
            }                                                                              \
            size_t mid = n / 2;                                                            \
            T t_;                                                                          \
            if (less(&a[mid], &a[0]))                                                      \
                t_ = a[mid], a[mid] = a[0], a[0] = t_;                                     \
            if (less(&a[n - 1], &a[mid])) {                                                \
                t_ = a[n - 1], a[n - 1] = a[mid], a[mid] = t_;                             \
                if (less(&a[mid], &a[0]))                                                  \
                    t_ = a[mid], a[mid] = a[0], a[0] = t_;                                 \
            }                                                                              \
            T pivot = a[mid]; /* a[0] <= pivot <= a[n-1]: both scans stop inside */        \
            size_t i = 0, j = n - 1;                                                       \
            for (;;) {                                                                     \
                while (less(&a[++i], &pivot))                                              \
                    ;                                                                      \
                while (less(&pivot, &a[--j]))                                              \
                    ;                                                                      \
                if (i >= j)                                                                \
                    break;                                                                 \
                t_ = a[i], a[i] = a[j], a[j] = t_;                                         \
            }                                                                              \
            /* a[0..i) <= pivot <= a[i..n): the smaller side first, loop on the larger */  \
            if (i < n - i) {                                                               \
                name##_rec(a, i, depth);                                                   \
                a += i;                                                                    \
                n -= i;                                                                    \
            } else {                                                                       \
                name##_rec(a + i, n - i, depth);                                           \
                n = i;                                                                     \
            }                                                                              \
        }                                                                                  \
        for (size_t i = 1; i < n; i++) {                                                   \
            T x_ = a[i];                                                                   \
            size_t j = i;                                                                  \
            for (; j > 0 && less(&x_, &a[j - 1]); j--)                                     \
                a[j] = a[j - 1];                                                           \
            a[j] = x_;                                                                     \
        }                                                                                  \
    }                                                                                      \
    static void name(T *a, size_t n)                                                       \
    {                                                                                      \
        unsigned depth = 0;                                                                \
        for (size_t m = n; m > 1; m >>= 1)                                                 \
            depth += 2;                                                                    \
        name##_rec(a, n, depth);                                                           \
    }

#endif
