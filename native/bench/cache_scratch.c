/* cache_scratch: passive false sharing (Hoard's cache-scratch, as in
 * mimalloc-bench). The main thread allocates one small block per thread, back
 * to back, and hands each to a thread, which frees it and then, round after
 * round, allocates a block of the same size, writes it `reps` times and frees
 * it. An allocator that gives the freed block (or its cache line's
 * neighbours) to another thread makes threads write the same cache line:
 * the lines bounce between cores and the run slows down many times.
 * Throughput is malloc+free calls per second, so it moves with the writes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

typedef struct {
    char *first;
    uint64_t iters, size, reps, sum;
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    /* Locals (bench/common.h): a write through `p`, a char pointer, made
     * the compiler reload the struct's fields after every store. The only
     * false sharing here is the allocator's. */
    const uint64_t iters = w->iters, size = w->size, reps = w->reps;
    uint64_t sum = w->sum;
    free(w->first);
    for (uint64_t i = 0; i < iters; i++) {
        volatile char *p = bench_xmalloc(size);
        for (uint64_t r = 0; r < reps; r++)
            for (uint64_t j = 0; j < size; j++) p[j] = (char)(r + j);
        sum = bench_mix(sum, (uint8_t)p[size - 1]);
        free((void *)p);
    }
    w->sum = sum;
    return NULL;
}

int main(int argc, char **argv) {
    bench_param_t p[] = {
        {"threads", 2, 1, 256},
        {"iters", 1000, 1, 100000000},
        {"size", 8, 1, 4096},
        {"reps", 40000, 1, 100000000},
    };
    const size_t np = sizeof p / sizeof p[0];
    bench_parse(argc, argv, "cache_scratch", p, np);
    const uint64_t nt = p[0].value;
    worker_t *w = bench_xmalloc(nt * sizeof *w);
    pthread_t *t = bench_xmalloc(nt * sizeof *t);
    for (uint64_t i = 0; i < nt; i++) /* back to back: likely neighbours in one cache line */
        w[i] = (worker_t){bench_xmalloc(p[2].value), p[1].value, p[2].value, p[3].value, BENCH_SUM_INIT};

    double t0 = bench_now();
    for (uint64_t i = 0; i < nt; i++) bench_thread("cache_scratch", &t[i], worker, &w[i]);
    for (uint64_t i = 0; i < nt; i++) pthread_join(t[i], NULL);
    double t1 = bench_now();

    uint64_t sum = BENCH_SUM_INIT;
    for (uint64_t i = 0; i < nt; i++) sum = bench_mix(sum, w[i].sum);
    free(w);
    free(t);
    bench_report("cache_scratch", p, np, nt * (2 * p[1].value + 1), t1 - t0, sum);
    return 0;
}
