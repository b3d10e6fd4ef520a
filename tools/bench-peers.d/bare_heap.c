/* The floor a hand-written loop reaches: a plain 4-ary min-heap of (double time) for the
 * hold model, and a plain M/M/1 loop (arrival and departure events in the same heap).
 * No dispatch, no cancellation, no statistics beyond the mean.
 * usage: bare_heap hold N POPS | bare_heap mm1 CUSTOMERS */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { double t; uint32_t kind; } ev;
static ev *h;
static size_t n;
static uint64_t s[4] = {1, 2, 3, 4};

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static double unif(void) /* xoshiro256** -> (0, 1] */
{
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return ((r >> 11) + 1) * 0x1.0p-53;
}
static double expo(double mean) { return -mean * log(unif()); }

static void push(ev e)
{
    size_t i = n++;
    while (i) {
        size_t p = (i - 1) / 4;
        if (h[p].t <= e.t) break;
        h[i] = h[p]; i = p;
    }
    h[i] = e;
}
static ev pop(void)
{
    ev top = h[0], last = h[--n];
    size_t i = 0;
    for (;;) {
        size_t c = 4 * i + 1, m = c;
        if (c >= n) break;
        for (size_t k = c + 1; k < c + 4 && k < n; k++) if (h[k].t < h[m].t) m = k;
        if (h[m].t >= last.t) break;
        h[i] = h[m]; i = m;
    }
    h[i] = last;
    return top;
}
static double now_s(void)
{
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "hold")) {
        size_t N = strtoull(argv[2], 0, 10); uint64_t pops = strtoull(argv[3], 0, 10);
        h = malloc(N * sizeof *h);
        for (size_t i = 0; i < N; i++) push((ev){expo(1), 0});
        double t0 = now_s();
        for (uint64_t i = 0; i < pops; i++) { ev e = pop(); push((ev){e.t + expo(1), 0}); }
        double t = now_s() - t0;
        printf("RESULT engine=bare-c-4ary-heap model=hold n=%zu rate=%.0f extra=-\n", N, pops / t);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "mm1")) {
        uint64_t cust = strtoull(argv[2], 0, 10), done = 0, arrived = 0;
        double lam = 0.9, mu = 1.0, sum = 0;
        h = malloc(16 * sizeof *h);
        double *fifo = malloc(cust * sizeof *fifo); size_t head = 0, tail = 0;
        double t0 = now_s();
        push((ev){expo(1 / lam), 0});
        while (done < cust) {
            ev e = pop();
            if (e.kind == 0) { /* arrival */
                arrived++;
                fifo[tail++] = e.t;
                if (tail - head == 1) push((ev){e.t + expo(1 / mu), 1});
                if (arrived < cust) push((ev){e.t + expo(1 / lam), 0});
            } else { /* departure */
                sum += e.t - fifo[head++]; done++;
                if (tail > head) push((ev){e.t + expo(1 / mu), 1});
            }
        }
        double t = now_s() - t0;
        printf("RESULT engine=bare-c-4ary-heap model=mm1 n=%llu rate=%.0f extra=W=%.3f\n",
               (unsigned long long)cust, cust / t, sum / done);
        return 0;
    }
    fprintf(stderr, "usage: bare_heap hold N POPS | bare_heap mm1 CUSTOMERS\n");
    return 2;
}
