/* burst: allocate N blocks, free them all in a shuffled order, repeat.
 * Every round empties the allocator's pages, so an allocator that fails to
 * reuse empty pages (or returns them to the OS and maps them back each round)
 * shows it as syscalls and page faults per operation. */
#include <stdlib.h>

#include "common.h"

int main(int argc, char **argv) {
    bench_param_t p[] = {
        {"n", 100000, 1, 100000000},
        {"rounds", 20, 1, 1000000},
        {"min", 16, 1, 1ULL << 32},
        {"max", 1040, 1, 1ULL << 32},
        {"seed", 1, 0, UINT64_MAX},
    };
    const size_t np = sizeof p / sizeof p[0];
    bench_parse(argc, argv, "burst", p, np);
    const uint64_t n = p[0].value, rounds = p[1].value, lo = p[2].value, hi = p[3].value;
    if (lo > hi) bench_usage_error("burst", p, np, "min must not exceed max");

    bench_rng_t rng;
    bench_rng_seed(&rng, p[4].value);
    void **blocks = bench_xmalloc(n * sizeof *blocks);
    uint32_t *order = bench_xmalloc(n * sizeof *order);
    for (uint64_t i = 0; i < n; i++) order[i] = (uint32_t)i;
    for (uint64_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        uint64_t j = bench_rand(&rng) % (i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    uint64_t sum = BENCH_SUM_INIT;

    double t0 = bench_now();
    for (uint64_t r = 0; r < rounds; r++) {
        for (uint64_t i = 0; i < n; i++) {
            size_t size = (size_t)bench_range(&rng, lo, hi);
            blocks[i] = bench_xmalloc(size);
            bench_touch(blocks[i], size, (uint8_t)i);
            sum = bench_mix(sum, size);
        }
        for (uint64_t i = 0; i < n; i++) free(blocks[order[i]]);
    }
    double t1 = bench_now();

    free(order);
    free(blocks);
    bench_report("burst", p, np, 2 * n * rounds, t1 - t0, sum);
    return 0;
}
