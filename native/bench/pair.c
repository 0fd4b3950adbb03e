/* pair: the cost of one malloc and free of one size, in a tight loop, with
 * one block of that size kept live so the page never empties (the loop
 * measured for "instructions per pair": run it under cachegrind at two
 * iteration counts and divide the difference). Not timed for a verdict:
 * its figure is instructions, counted. */
#include <stdlib.h>

#include "common.h"

int main(int argc, char **argv) {
    bench_param_t p[] = {
        {"size", 32, 1, 1ULL << 30},
        {"iters", 10000000, 1, 1000000000000ULL},
    };
    const size_t np = sizeof p / sizeof p[0];
    bench_parse(argc, argv, "pair", p, np);
    const size_t size = (size_t)p[0].value;
    void *volatile anchor = bench_xmalloc(size);
    for (int i = 0; i < 1000; i++) free(bench_xmalloc(size)); /* warm: the page exists */

    double t0 = bench_now();
    for (uint64_t i = 0; i < p[1].value; i++) {
        void *volatile b = malloc(size);
        free(b);
    }
    double t1 = bench_now();

    free(anchor);
    bench_report("pair", p, np, 2 * p[1].value, t1 - t0, bench_mix(BENCH_SUM_INIT, size));
    return 0;
}
