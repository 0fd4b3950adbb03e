/* xmalloc: every thread is a producer and a consumer, a symmetric variant of
 * xmalloc-test in mimalloc-bench (Lever and Boreham, "malloc() Performance
 * in a Multithreaded Linux Environment", USENIX 2000), whose allocating and
 * releasing threads are separate, as xthread's are. Each round a thread
 * allocates a batch of blocks, leaves it in a shared slot and takes the
 * batch that was there, usually another thread's, and frees it: most frees
 * are remote, from many threads to many threads. One batch waits at a time,
 * so memory stays bounded. The checksum covers each thread's own
 * allocation sequence, which does not depend on scheduling. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

/* The exchange: one slot, so at most one batch waits there. */
static void **g_slot;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct {
    uint64_t rounds, batch, lo, hi, seed, sum;
} worker_t;

/* Leave `mine` in the slot and take what was there (NULL the first time). */
static void **swap_batch(void **mine) {
    pthread_mutex_lock(&g_lock);
    void **theirs = g_slot;
    g_slot = mine;
    pthread_mutex_unlock(&g_lock);
    return theirs;
}

static void *worker(void *arg) {
    worker_t *w = arg;
    bench_rng_t rng;
    bench_rng_seed(&rng, w->seed);
    uint64_t sum = w->sum; /* a local: the workers lie side by side (bench/common.h) */
    for (uint64_t r = 0; r < w->rounds; r++) {
        void **batch = bench_xmalloc(w->batch * sizeof *batch);
        for (uint64_t i = 0; i < w->batch; i++) {
            size_t size = (size_t)bench_range(&rng, w->lo, w->hi);
            batch[i] = bench_xmalloc(size);
            bench_touch(batch[i], size, (uint8_t)i);
            sum = bench_mix(sum, size);
        }
        void **theirs = swap_batch(batch);
        if (theirs == NULL) continue;
        for (uint64_t i = 0; i < w->batch; i++) free(theirs[i]);
        free(theirs);
    }
    w->sum = sum;
    return NULL;
}

int main(int argc, char **argv) {
    bench_param_t p[] = {
        {"threads", 4, 1, 256},
        {"rounds", 2000, 1, 100000000},
        {"batch", 500, 1, 1000000},
        {"min", 16, 1, 1ULL << 32},
        {"max", 512, 1, 1ULL << 32},
        {"seed", 1, 0, UINT64_MAX},
    };
    const size_t np = sizeof p / sizeof p[0];
    bench_parse(argc, argv, "xmalloc", p, np);
    if (p[3].value > p[4].value) bench_usage_error("xmalloc", p, np, "min must not exceed max");
    const uint64_t nt = p[0].value;
    worker_t *w = bench_xmalloc(nt * sizeof *w);
    pthread_t *t = bench_xmalloc(nt * sizeof *t);

    double t0 = bench_now();
    for (uint64_t i = 0; i < nt; i++) {
        w[i] = (worker_t){p[1].value, p[2].value, p[3].value, p[4].value, p[5].value * 1000003 + i, BENCH_SUM_INIT};
        bench_thread("xmalloc", &t[i], worker, &w[i]);
    }
    for (uint64_t i = 0; i < nt; i++) pthread_join(t[i], NULL);
    double t1 = bench_now();

    uint64_t sum = BENCH_SUM_INIT;
    for (uint64_t i = 0; i < nt; i++) sum = bench_mix(sum, w[i].sum);
    for (uint64_t j = 0; j < p[2].value; j++) free(g_slot[j]);
    free(g_slot);
    free(w);
    free(t);
    bench_report("xmalloc", p, np, 2 * nt * p[1].value * p[2].value, t1 - t0, sum);
    return 0;
}
