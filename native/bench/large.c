/* large: blocks of MIN..MAX bytes (64 KiB..32 MiB, log-uniform) with a small
 * live set; each step frees, reallocates (growing or shrinking) or allocates.
 * Exercises the allocator's OS path, realloc and the release of memory. */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

/* Log-uniform: pick a power of two in range, then a size within it. */
static size_t large_size(bench_rng_t *rng, uint64_t lo, uint64_t hi) {
    unsigned blo = 63 - (unsigned)__builtin_clzll(lo), bhi = 63 - (unsigned)__builtin_clzll(hi);
    unsigned b = (unsigned)bench_range(rng, blo, bhi);
    uint64_t s = (1ULL << b) + bench_rand(rng) % (1ULL << b);
    return (size_t)(s < lo ? lo : s > hi ? hi : s);
}

int main(int argc, char **argv) {
    bench_param_t p[] = {
        {"iters", 2000, 1, 1000000000},
        {"live", 8, 1, 100000},
        {"min", 65536, 1, 1ULL << 40},
        {"max", 33554432, 1, 1ULL << 40},
        {"seed", 1, 0, UINT64_MAX},
    };
    const size_t np = sizeof p / sizeof p[0];
    bench_parse(argc, argv, "large", p, np);
    const uint64_t iters = p[0].value, live = p[1].value, lo = p[2].value, hi = p[3].value;
    if (lo > hi) bench_usage_error("large", p, np, "min must not exceed max");

    void **slots = bench_xmalloc(live * sizeof *slots);
    for (uint64_t i = 0; i < live; i++) slots[i] = NULL;
    bench_rng_t rng;
    bench_rng_seed(&rng, p[4].value);
    uint64_t sum = BENCH_SUM_INIT;

    double t0 = bench_now();
    for (uint64_t i = 0; i < iters; i++) {
        uint64_t slot = bench_rand(&rng) % live;
        uint8_t *b = slots[slot];
        if (b == NULL) {
            size_t size = large_size(&rng, lo, hi);
            b = bench_xmalloc(size);
            bench_touch(b, size, (uint8_t)slot);
            slots[slot] = b;
            sum = bench_mix(sum, size);
        } else if (bench_rand(&rng) & 1) {
            size_t size = large_size(&rng, lo, hi);
            b = realloc(b, size);
            if (b == NULL || b[0] != (uint8_t)slot) {
                fprintf(stderr, "large: realloc to %zu bytes %s\n", size,
                        b == NULL ? "failed" : "lost the block's contents");
                return 1;
            }
            bench_touch(b, size, (uint8_t)slot);
            slots[slot] = b;
            sum = bench_mix(sum, size ^ (1ULL << 63));
        } else {
            free(b);
            slots[slot] = NULL;
            sum = bench_mix(sum, slot);
        }
    }
    double t1 = bench_now();

    for (uint64_t i = 0; i < live; i++) free(slots[i]);
    free(slots);
    bench_report("large", p, np, iters, t1 - t0, sum);
    return 0;
}
