/* The histogram's layout and its record path, for the library's hot paths: a request
 * records a few latencies per event, and a call into hist.c for each costs more than the
 * record itself. fl_hist_record (the public entry) is this same function, so a value
 * recorded either way lands in the same bucket with the same sums. Internal (not in
 * include/faultline): the struct stays opaque to users. */
#ifndef FL_CORE_HIST_INT_H
#define FL_CORE_HIST_INT_H

#include <faultline/hist.h>

#define FL__HIST_SUB (1 << FL_HIST_SUB_BITS)
#define FL__HIST_NBUCKETS ((64 - FL_HIST_SUB_BITS + 1) * FL__HIST_SUB)

struct fl_hist {
    uint64_t count;
    int64_t min, max;
    uint64_t sum_lo, sum_hi; /* the exact sum: sum_hi * 2^64 + sum_lo */
    int lo, hi; /* the touched bucket range, so reset and quantiles skip empty space */
    uint64_t b[FL__HIST_NBUCKETS];
};

/* Widens the touched range to include bucket i, zeroing the buckets it takes in (hist.c;
 * rare: at most once per bucket between resets). */
void fl__hist_widen(fl_hist *h, int i);

static inline int fl__hist_bucket(uint64_t v)
{
    if (v < FL__HIST_SUB)
        return (int)v;
    int e = 63 - __builtin_clzll(v);
    int shift = e - FL_HIST_SUB_BITS;
    return (shift + 1) * FL__HIST_SUB + (int)((v >> shift) & (FL__HIST_SUB - 1));
}

/* fl_hist_record, inline. */
static inline void fl__hist_record(fl_hist *h, int64_t v)
{
    if (v < 0)
        v = 0;
    int i = fl__hist_bucket((uint64_t)v);
    if (__builtin_expect(i < h->lo || i > h->hi, 0))
        fl__hist_widen(h, i);
    h->b[i]++;
    h->count++;
    h->sum_lo += (uint64_t)v;
    h->sum_hi += h->sum_lo < (uint64_t)v; /* the carry */
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

#endif
