/* Threads allocate, publish blocks into shared slots and free what they take
 * out, so most frees are remote. Every block carries a pattern derived from
 * its address and size, checked before it is freed: any overlap, double
 * hand-out or corruption shows up as a mismatch. Bounded by time. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define THREADS 4
#define SLOTS 4096
#define SECONDS 1.5

static _Atomic(uint8_t *) slots[SLOTS];
static atomic_ulong total_ops;
static double deadline;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Header: the size; then bytes derived from address and size. */
static void stamp(uint8_t *p, size_t n) {
    memcpy(p, &n, sizeof n);
    uint8_t k = (uint8_t)((uintptr_t)p >> 4 ^ n);
    for (size_t i = sizeof n; i < n; i++) p[i] = (uint8_t)(k + i);
}

static void check_and_free(uint8_t *p) {
    size_t n;
    memcpy(&n, p, sizeof n);
    uint8_t k = (uint8_t)((uintptr_t)p >> 4 ^ n);
    size_t bad = n;
    for (size_t i = sizeof n; i < n && bad == n; i++)
        if (p[i] != (uint8_t)(k + i)) bad = i;
    CHECK(bad == n, "block %p of %zu bytes corrupt at byte %zu", (void *)p, n, bad);
    free(p);
}

static size_t pick_size(uint64_t r) {
    switch (r % 16) {
    case 0: return 8192 + (r >> 8) % 120000;      /* medium */
    case 1: return (r >> 8) % 64 == 0 ? 300000 : 2000; /* occasionally huge */
    default: return 8 + (r >> 8) % 1000;          /* small */
    }
}

static void *worker(void *arg) {
    uint64_t r = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
    unsigned long ops = 0;
    while (now() < deadline) {
        for (int i = 0; i < 1000; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            size_t n = pick_size(r);
            uint8_t *p = malloc(n);
            CHECK(p != NULL, "malloc(%zu) failed", n);
            stamp(p, n);
            uint8_t *old = atomic_exchange(&slots[(r >> 40) % SLOTS], p);
            if (old) check_and_free(old);
            ops++;
        }
    }
    atomic_fetch_add(&total_ops, ops);
    return NULL;
}

int main(void) {
    pthread_t t[THREADS];
    deadline = now() + SECONDS;
    for (uintptr_t i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(i + 1)) == 0, "pthread_create");
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < SLOTS; i++)
        if (slots[i]) check_and_free(slots[i]);
    CHECK(total_ops > 10000, "only %lu operations ran", (unsigned long)total_ops);
    printf("test_stress: %lu operations on %d threads\n", (unsigned long)total_ops, THREADS);
    return check_done("test_stress");
}
