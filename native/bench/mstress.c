/* mstress: threads that come and go (after mimalloc's test-stress). Each
 * round starts `threads` threads and joins them; each works a table of
 * blocks (mostly small, some medium, a few large), and now and then swaps a
 * block with a process-wide transfer table, so blocks outlive the thread
 * that allocated them and are freed by threads of later rounds: exited
 * threads' memory must be reclaimed, not leaked. Every block carries its
 * size and a stamp that are checked when it is freed. The checksum covers
 * the allocation sequence, which does not depend on scheduling. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

#define LOCAL_SLOTS 500
#define TRANSFER_SLOTS 1000

static _Atomic(uint64_t *) g_transfer[TRANSFER_SLOTS];
static _Atomic int g_corrupt;

typedef struct {
    uint64_t steps, seed, sum, allocs;
} worker_t;

/* 90 % 16..256 bytes, 9 % up to 8 KiB, 1 % up to 256 KiB. */
static size_t pick_size(bench_rng_t *rng) {
    uint64_t r = bench_rand(rng) % 100;
    if (r < 90) return (size_t)bench_range(rng, 16, 256);
    if (r < 99) return (size_t)bench_range(rng, 257, 8192);
    return (size_t)bench_range(rng, 8193, 262144);
}

static uint64_t *alloc_block(size_t size) {
    uint64_t *b = bench_xmalloc(size);
    b[0] = size;
    ((volatile uint8_t *)b)[size - 1] = (uint8_t)(size * 31);
    return b;
}

static void free_block(uint64_t *b) {
    if (b == NULL) return;
    size_t size = (size_t)b[0];
    if (size < 16 || size > 262144 || ((volatile uint8_t *)b)[size - 1] != (uint8_t)(size * 31))
        atomic_store(&g_corrupt, 1);
    free(b);
}

static void *worker(void *arg) {
    worker_t *w = arg;
    bench_rng_t rng;
    bench_rng_seed(&rng, w->seed);
    uint64_t *local[LOCAL_SLOTS] = {0};
    uint64_t sum = w->sum, allocs = w->allocs; /* locals: the workers lie side by side (bench/common.h) */
    for (uint64_t s = 0; s < w->steps; s++) {
        size_t slot = (size_t)(bench_rand(&rng) % LOCAL_SLOTS);
        free_block(local[slot]);
        size_t size = pick_size(&rng);
        local[slot] = alloc_block(size);
        sum = bench_mix(sum, size);
        allocs++;
        if (bench_rand(&rng) % 8 == 0) { /* hand it over; keep what the table held */
            size_t t = (size_t)(bench_rand(&rng) % TRANSFER_SLOTS);
            local[slot] = atomic_exchange(&g_transfer[t], local[slot]);
        }
    }
    for (size_t i = 0; i < LOCAL_SLOTS; i++) free_block(local[i]);
    w->sum = sum;
    w->allocs = allocs;
    return NULL;
}

int main(int argc, char **argv) {
    bench_param_t p[] = {
        {"threads", 4, 1, 256},
        {"rounds", 20, 1, 1000000},
        {"steps", 50000, 1, 1000000000},
        {"seed", 1, 0, UINT64_MAX},
    };
    const size_t np = sizeof p / sizeof p[0];
    bench_parse(argc, argv, "mstress", p, np);
    const uint64_t nt = p[0].value, rounds = p[1].value;
    worker_t *w = bench_xmalloc(nt * sizeof *w);
    pthread_t *t = bench_xmalloc(nt * sizeof *t);
    uint64_t sum = BENCH_SUM_INIT, allocs = 0;

    double t0 = bench_now();
    for (uint64_t r = 0; r < rounds; r++) {
        for (uint64_t i = 0; i < nt; i++) {
            w[i] = (worker_t){p[2].value, (p[3].value * 1000003 + r) * 1000003 + i, BENCH_SUM_INIT, 0};
            bench_thread("mstress", &t[i], worker, &w[i]);
        }
        for (uint64_t i = 0; i < nt; i++) {
            pthread_join(t[i], NULL);
            sum = bench_mix(sum, w[i].sum);
            allocs += w[i].allocs;
        }
    }
    for (size_t i = 0; i < TRANSFER_SLOTS; i++) free_block(atomic_exchange(&g_transfer[i], NULL));
    double t1 = bench_now();

    free(w);
    free(t);
    if (atomic_load(&g_corrupt)) {
        fprintf(stderr, "mstress: a block's size or stamp was overwritten while it was allocated\n");
        return 1;
    }
    bench_report("mstress", p, np, 2 * allocs, t1 - t0, sum);
    return 0;
}
