/* larson: a server simulation. Each of T tables of blocks is worked by a
 * thread that repeatedly frees a random block and allocates a new one of
 * random size. After each round every table moves to a new thread, so most
 * blocks are freed by a thread other than (and outliving) the one that
 * allocated them. Each table has its own RNG: the operation sequence, and so
 * the checksum, does not depend on scheduling. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

typedef struct {
    void **blocks;
    uint64_t nblocks, steps, lo, hi;
    bench_rng_t rng;
    uint64_t sum;
} larson_table_t;

/* The table's state in locals while the thread runs (bench/common.h). */
static void *larson_worker(void *arg) {
    larson_table_t *t = arg;
    void **blocks = t->blocks;
    const uint64_t nblocks = t->nblocks, steps = t->steps, lo = t->lo, hi = t->hi;
    bench_rng_t rng = t->rng;
    uint64_t sum = t->sum;
    for (uint64_t i = 0; i < steps; i++) {
        uint64_t k = bench_rand(&rng) % nblocks;
        free(blocks[k]);
        size_t size = (size_t)bench_range(&rng, lo, hi);
        blocks[k] = bench_xmalloc(size);
        bench_touch(blocks[k], size, (uint8_t)k);
        sum = bench_mix(sum, k ^ ((uint64_t)size << 32));
    }
    t->rng = rng;
    t->sum = sum;
    return NULL;
}

int main(int argc, char **argv) {
    bench_param_t p[] = {
        {"threads", 2, 1, 256},
        {"min", 8, 1, 1ULL << 32},
        {"max", 1000, 1, 1ULL << 32},
        {"blocks", 1000, 1, 10000000},
        {"rounds", 20, 1, 1000000},
        {"seed", 1, 0, UINT64_MAX},
        {"steps", 100000, 1, 1000000000},
    };
    const size_t np = sizeof p / sizeof p[0];
    bench_parse(argc, argv, "larson", p, np);
    const uint64_t nt = p[0].value, rounds = p[4].value;
    if (p[1].value > p[2].value) bench_usage_error("larson", p, np, "min must not exceed max");

    larson_table_t *tables = bench_xmalloc(nt * sizeof *tables);
    pthread_t *threads = bench_xmalloc(nt * sizeof *threads);
    for (uint64_t i = 0; i < nt; i++) {
        larson_table_t *t = &tables[i];
        t->nblocks = p[3].value;
        t->steps = p[6].value;
        t->lo = p[1].value;
        t->hi = p[2].value;
        t->sum = BENCH_SUM_INIT;
        bench_rng_seed(&t->rng, p[5].value * 1000003 + i);
        t->blocks = bench_xmalloc(t->nblocks * sizeof *t->blocks);
        for (uint64_t k = 0; k < t->nblocks; k++) {
            size_t size = (size_t)bench_range(&t->rng, t->lo, t->hi);
            t->blocks[k] = bench_xmalloc(size);
            bench_touch(t->blocks[k], size, (uint8_t)k);
        }
    }

    double t0 = bench_now();
    for (uint64_t r = 0; r < rounds; r++) {
        for (uint64_t i = 0; i < nt; i++) bench_thread("larson", &threads[i], larson_worker, &tables[(i + r) % nt]);
        for (uint64_t i = 0; i < nt; i++) pthread_join(threads[i], NULL);
    }
    double t1 = bench_now();

    uint64_t sum = BENCH_SUM_INIT;
    for (uint64_t i = 0; i < nt; i++) {
        for (uint64_t k = 0; k < tables[i].nblocks; k++) free(tables[i].blocks[k]);
        free(tables[i].blocks);
        sum = bench_mix(sum, tables[i].sum);
    }
    free(threads);
    free(tables);
    bench_report("larson", p, np, 2 * nt * rounds * p[6].value, t1 - t0, sum);
    return 0;
}
