/* xthread: producers allocate batches of blocks and hand them to consumers,
 * which free them: every free is remote. Throughput is frees per second.
 * Producers have their own RNGs and consumers only free, so the checksum
 * does not depend on scheduling.
 *
 * A consumer takes a batch only when QUEUE_CAP wait (or the producers are
 * done), so the memory in flight is the same for every allocator and every
 * schedule, and peak RSS compares footprints: with a queue that merely
 * bounded it, peak RSS measured how far the producer ran ahead of the
 * consumer (pgalloc 9.3 MiB with a full queue, mimalloc 3.3 MiB with a
 * slower producer, 2026-11-22). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

#define QUEUE_CAP 16 /* batches in flight: bounds memory (and its variation) whatever the speeds */

typedef struct {
    void **items[QUEUE_CAP];
    size_t head, count;
    int draining; /* the producers are done: take what is left */
    pthread_mutex_t lock;
    pthread_cond_t full, not_full;
} queue_t;

static void queue_push(queue_t *q, void **batch) {
    pthread_mutex_lock(&q->lock);
    while (q->count == QUEUE_CAP) pthread_cond_wait(&q->not_full, &q->lock);
    q->items[(q->head + q->count++) % QUEUE_CAP] = batch;
    if (q->count == QUEUE_CAP || q->draining) pthread_cond_signal(&q->full);
    pthread_mutex_unlock(&q->lock);
}

static void queue_drain(queue_t *q) {
    pthread_mutex_lock(&q->lock);
    q->draining = 1;
    pthread_cond_broadcast(&q->full);
    pthread_mutex_unlock(&q->lock);
}

static void **queue_pop(queue_t *q) {
    pthread_mutex_lock(&q->lock);
    while (q->count < QUEUE_CAP && !(q->draining && q->count > 0)) pthread_cond_wait(&q->full, &q->lock);
    void **batch = q->items[q->head];
    q->head = (q->head + 1) % QUEUE_CAP;
    q->count--;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return batch;
}

typedef struct {
    queue_t *queue;
    uint64_t batches, batch, lo, hi, seed, sum;
} producer_t;

static uint64_t g_batch;

static void *producer(void *arg) {
    producer_t *pr = arg;
    bench_rng_t rng;
    bench_rng_seed(&rng, pr->seed);
    uint64_t sum = pr->sum; /* a local: the producers lie side by side (bench/common.h) */
    for (uint64_t b = 0; b < pr->batches; b++) {
        void **batch = bench_xmalloc(pr->batch * sizeof *batch);
        for (uint64_t i = 0; i < pr->batch; i++) {
            size_t size = (size_t)bench_range(&rng, pr->lo, pr->hi);
            batch[i] = bench_xmalloc(size);
            bench_touch(batch[i], size, (uint8_t)i);
            sum = bench_mix(sum, size);
        }
        queue_push(pr->queue, batch);
    }
    pr->sum = sum;
    return NULL;
}

static void *consumer(void *arg) {
    queue_t *q = arg;
    void **batch;
    while ((batch = queue_pop(q)) != NULL) {
        for (uint64_t i = 0; i < g_batch; i++) free(batch[i]);
        free(batch);
    }
    return NULL;
}

int main(int argc, char **argv) {
    bench_param_t p[] = {
        {"producers", 1, 1, 256},
        {"consumers", 1, 1, 256},
        {"batches", 2000, 1, 100000000},
        {"batch", 1000, 1, 1000000},
        {"min", 16, 1, 1ULL << 32},
        {"max", 1040, 1, 1ULL << 32},
        {"seed", 1, 0, UINT64_MAX},
    };
    const size_t np = sizeof p / sizeof p[0];
    bench_parse(argc, argv, "xthread", p, np);
    const uint64_t np_ = p[0].value, nc = p[1].value;
    if (p[4].value > p[5].value) bench_usage_error("xthread", p, np, "min must not exceed max");
    g_batch = p[3].value;

    queue_t q = {.lock = PTHREAD_MUTEX_INITIALIZER,
                 .full = PTHREAD_COND_INITIALIZER,
                 .not_full = PTHREAD_COND_INITIALIZER};
    producer_t *prods = bench_xmalloc(np_ * sizeof *prods);
    pthread_t *pt = bench_xmalloc(np_ * sizeof *pt), *ct = bench_xmalloc(nc * sizeof *ct);

    double t0 = bench_now();
    for (uint64_t i = 0; i < nc; i++) bench_thread("xthread", &ct[i], consumer, &q);
    for (uint64_t i = 0; i < np_; i++) {
        prods[i] = (producer_t){&q, p[2].value, p[3].value, p[4].value, p[5].value,
                                p[6].value * 1000003 + i, BENCH_SUM_INIT};
        bench_thread("xthread", &pt[i], producer, &prods[i]);
    }
    for (uint64_t i = 0; i < np_; i++) pthread_join(pt[i], NULL);
    queue_drain(&q);
    for (uint64_t i = 0; i < nc; i++) queue_push(&q, NULL);
    for (uint64_t i = 0; i < nc; i++) pthread_join(ct[i], NULL);
    double t1 = bench_now();

    uint64_t sum = BENCH_SUM_INIT;
    for (uint64_t i = 0; i < np_; i++) sum = bench_mix(sum, prods[i].sum);
    free(prods);
    free(pt);
    free(ct);
    bench_report("xthread", p, np, np_ * p[2].value * p[3].value, t1 - t0, sum);
    return 0;
}
