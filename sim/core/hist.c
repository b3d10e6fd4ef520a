/* Log-linear histogram: see hist.h.
 *
 * Bucket index of v (v >= 0): with S = 2^SUB_BITS, values v < S map to themselves; above,
 * with e = floor(log2 v) >= SUB_BITS, the index is (e - SUB_BITS + 1) * S + the SUB_BITS
 * bits below the leading one. Each bucket above S spans 2^(e - SUB_BITS) values, i.e. at
 * most 1/S of its lower bound, so the midpoint is within 1/(2S) relative error. The count
 * array is fixed (NBUCKETS covers every int64 >= 0, 114 KiB) and allocated once with the
 * struct, but never cleared as a whole: only the touched range [lo, hi] holds counts, and
 * it is zeroed as it widens (each bucket at most once between resets). A run creates a
 * few histograms per component, most of which see a narrow band of values or none: this
 * keeps creating one from clearing (and faulting in) 114 KiB of memory it never uses.
 *
 * The sum is exact: a 128-bit unsigned integer kept as two 64-bit words (values are >= 0),
 * so the mean does not depend on the order of recording or merging, on any machine.
 *
 * Invariants: count == sum of b[lo..hi]; b[] outside [lo, hi] is undefined and never read;
 * when count > 0, lo <= hi and min <= max are the exact extremes; when count == 0,
 * lo > hi (the empty range). */
#include <faultline/hist.h>

#include <string.h>

#include "core/alloc.h"
#include "core/hist_int.h"

#define SUB FL__HIST_SUB
#define NBUCKETS FL__HIST_NBUCKETS

/* Lowest value of bucket i and its width. */
static inline void bucket_range(int i, uint64_t *lo, uint64_t *width)
{
    if (i < SUB) {
        *lo = (uint64_t)i;
        *width = 1;
        return;
    }
    int shift = i / SUB - 1;
    uint64_t sub = (uint64_t)(i % SUB);
    *lo = ((uint64_t)SUB + sub) << shift;
    *width = (uint64_t)1 << shift;
}

fl_hist *fl_hist_new(void)
{
    fl_hist *h = fl_malloc(sizeof *h); /* b[] is cleared as the touched range widens */
    if (h)
        fl_hist_reset(h);
    return h;
}

void fl_hist_free(fl_hist *h) { fl_free(h); }

void fl_hist_reset(fl_hist *h)
{
    h->count = 0;
    h->sum_lo = h->sum_hi = 0;
    h->min = INT64_MAX;
    h->max = 0;
    h->lo = NBUCKETS;
    h->hi = -1;
}

/* Widens the touched range to include i, zeroing the buckets it takes in. Rare (at most
 * once per bucket between resets), so kept out of line: the record path stays a leaf. */
__attribute__((noinline, cold)) void fl__hist_widen(fl_hist *h, int i)
{
    if (h->lo > h->hi) {
        h->b[i] = 0;
        h->lo = h->hi = i;
    } else if (i < h->lo) {
        memset(&h->b[i], 0, (size_t)(h->lo - i) * sizeof h->b[0]);
        h->lo = i;
    } else if (i > h->hi) {
        memset(&h->b[h->hi + 1], 0, (size_t)(i - h->hi) * sizeof h->b[0]);
        h->hi = i;
    }
}

void fl_hist_record(fl_hist *h, int64_t v) { fl__hist_record(h, v); }

void fl_hist_merge(fl_hist *dst, const fl_hist *src)
{
    if (!src->count)
        return;
    if (dst != src) {
        fl__hist_widen(dst, src->lo);
        fl__hist_widen(dst, src->hi);
    }
    for (int i = src->lo; i <= src->hi; i++)
        dst->b[i] += src->b[i];
    uint64_t lo = src->sum_lo, hi = src->sum_hi; /* copies: dst may be src */
    dst->count += src->count;
    dst->sum_lo += lo;
    dst->sum_hi += hi + (dst->sum_lo < lo);
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t fl_hist_count(const fl_hist *h) { return h->count; }
double fl_hist_mean(const fl_hist *h)
{
    if (!h->count)
        return 0;
    /* The sum is exact, so this is a fixed function of the recorded multiset: a few
     * correctly rounded operations, the same in any recording or merging order. */
    return ((double)h->sum_hi * 0x1p64 + (double)h->sum_lo) / (double)h->count;
}

int64_t fl_hist_min(const fl_hist *h) { return h->count ? h->min : 0; }
int64_t fl_hist_max(const fl_hist *h) { return h->max; }

int64_t fl_hist_quantile(const fl_hist *h, double q)
{
    if (!h->count)
        return 0;
    if (q >= 1)
        return h->max;
    if (!(q > 0)) /* also NaN */
        return h->min;
    double r = q * (double)h->count;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++; /* ceil(q * count) */
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (int i = h->lo; i <= h->hi; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t lo, width;
            bucket_range(i, &lo, &width);
            int64_t mid = (int64_t)(lo + (width - 1) / 2);
            /* The exact extremes are known: never report outside them. */
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}
