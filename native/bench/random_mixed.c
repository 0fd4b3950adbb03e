/* random_mixed: one thread, WS slots; each step picks a random slot and frees
 * it if occupied, otherwise allocates a random size in MIN..MAX.
 * With MIN..MAX = 2048..32768 it is the mid-size workload. */
#include <stdlib.h>

#include "common.h"

int main(int argc, char **argv) {
    bench_param_t p[] = {
        {"iters", 20000000, 1, 1000000000000ULL},
        {"ws", 400, 1, 100000000},
        {"seed", 1, 0, UINT64_MAX},
        {"min", 16, 1, 1ULL << 32},
        {"max", 1040, 1, 1ULL << 32},
    };
    const size_t np = sizeof p / sizeof p[0];
    bench_parse(argc, argv, "random_mixed", p, np);
    if (argc == 5) bench_usage_error("random_mixed", p, np, "min and max go together");
    const uint64_t iters = p[0].value, ws = p[1].value, lo = p[3].value, hi = p[4].value;
    if (lo > hi) bench_usage_error("random_mixed", p, np, "min must not exceed max");

    void **slots = bench_xmalloc(ws * sizeof *slots);
    for (uint64_t i = 0; i < ws; i++) slots[i] = NULL;
    bench_rng_t rng;
    bench_rng_seed(&rng, p[2].value);
    uint64_t sum = BENCH_SUM_INIT;

    double t0 = bench_now();
    for (uint64_t i = 0; i < iters; i++) {
        uint64_t r = bench_rand(&rng);
        uint64_t slot = (r & 0xffffffffu) % ws;
        if (slots[slot] != NULL) {
            free(slots[slot]);
            slots[slot] = NULL;
            sum = bench_mix(sum, slot << 1);
        } else {
            size_t size = (size_t)(lo + (r >> 32) % (hi - lo + 1));
            void *b = bench_xmalloc(size);
            bench_touch(b, size, (uint8_t)i);
            slots[slot] = b;
            sum = bench_mix(sum, (slot << 1 | 1) ^ ((uint64_t)size << 32));
        }
    }
    double t1 = bench_now();

    for (uint64_t i = 0; i < ws; i++) free(slots[i]);
    free(slots);
    bench_report("random_mixed", p, np, iters, t1 - t0, sum);
    return 0;
}
