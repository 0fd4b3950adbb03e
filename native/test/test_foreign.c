/* Foreign blocks (src/foreign.c): a thread that frees blocks of another
 * thread's pages never hands them out itself, holds at most a run of each
 * class, returns the rest to their owner, and returns all of them when it
 * exits. Each check below fails if one of those rules breaks. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include "../src/foreign.h"
#include "check.h"

#define N 64

typedef struct {
    void **blocks;       /* the main thread's, freed here */
    size_t size;
    void *first;         /* this thread's first malloc(size) after the frees */
    pthread_barrier_t *hold; /* if set: stay alive until the main thread has reallocated */
} job_t;

/* Frees the main thread's blocks: its first call, so these frees also give
 * it a heap. Then, unless `size` is 0, one malloc(size). */
static void *freer(void *arg) {
    job_t *j = arg;
    for (int i = 0; i < N; i++) free(j->blocks[i]);
    j->first = j->size ? malloc(j->size) : NULL;
    if (j->hold) {
        pthread_barrier_wait(j->hold);
        pthread_barrier_wait(j->hold);
    }
    free(j->first);
    return NULL;
}

static int in_set(void *p, void **set) {
    for (int i = 0; i < N; i++)
        if (set[i] == p) return 1;
    return 0;
}

static void alloc_all(void **b, size_t size) {
    for (int i = 0; i < N; i++) {
        b[i] = malloc(size);
        CHECK(b[i] != NULL, "malloc(%zu)", size);
        memset(b[i], i, size);
    }
}

/* Free the main thread's blocks on another thread, which has exited on
 * return; its first malloc of the same size is in j->first. */
static void run_freer(job_t *j) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, freer, j) == 0, "pthread_create");
    CHECK(pthread_join(t, NULL) == 0, "pthread_join");
}

/* Another thread frees N blocks of `size` that this thread allocated (kept
 * in `set`), then mallocs `size` once: that block is returned. */
static void *freed_then_malloc(size_t size, void **set) {
    void *a[N];
    alloc_all(a, size);
    memcpy(set, a, sizeof a);
    job_t j = {a, size, NULL, NULL};
    run_freer(&j);
    return j.first;
}

/* Only a page's owner hands its blocks out (foreign.c; and the hardened
 * build's free map must see every free first). */
static void test_not_reused(void) {
    static const size_t sizes[] = {32, 256, 4096};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *set[N];
        void *first = freed_then_malloc(sizes[i], set);
        CHECK(!in_set(first, set), "the freeing thread's malloc(%zu) took back a block of another thread's page (%p)",
              sizes[i], first);
    }
}

/* While the freeing thread lives it holds at most a run of a class
 * (pg_foreign_run_max: PG_FOREIGN_MAX blocks of one page, no more than
 * PG_FOREIGN_BYTES but one block): the owner gets the others back. After
 * the owner has allocated three times as many blocks as it lost (its spare
 * and returned blocks come before a fresh page), the ones it never got
 * back are the ones the run holds. */
static void test_bounded(void) {
    static const size_t sizes[] = {512, 4096, 64 << 10};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t size = sizes[s];
        void *a[N], *copy[N], *again[3 * N];
        alloc_all(a, size);
        memcpy(copy, a, sizeof a);
        pthread_barrier_t hold;
        CHECK(pthread_barrier_init(&hold, NULL, 2) == 0, "barrier");
        job_t j = {a, 0, NULL, &hold};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, freer, &j) == 0, "pthread_create");
        pthread_barrier_wait(&hold);
        int back = 0;
        for (int i = 0; i < 3 * N; i++) {
            again[i] = malloc(size);
            CHECK(again[i] != NULL, "malloc(%zu)", size);
            back += in_set(again[i], copy);
        }
        int held = N - back, max = pg_foreign_run_max(pg_size_class_calc(size));
        CHECK(held >= 1 && held <= max, "the freeing thread held %d of the owner's %zu-byte blocks; a run holds 1 to %d",
              held, size, max);
        pthread_barrier_wait(&hold);
        CHECK(pthread_join(t, NULL) == 0, "pthread_join");
        for (int i = 0; i < 3 * N; i++) free(again[i]);
        pthread_barrier_destroy(&hold);
    }
}

/* An exiting thread gives back what it kept, even one that never called
 * malloc: otherwise every generation would strand up to PG_FOREIGN_MAX
 * 64 KiB blocks, 100 MiB in all. */
static void test_exit_returns(void) {
    enum { SIZE = 64 << 10, GENERATIONS = 200 };
    void *a[N];
    for (int g = 0; g < GENERATIONS; g++) {
        alloc_all(a, SIZE);
        job_t j = {a, 0, NULL, NULL};
        run_freer(&j);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    CHECK(ru.ru_maxrss < 32 * 1024, "peak RSS %ld KiB: exited threads kept other threads' blocks", ru.ru_maxrss);
}

static void *free_all(void *arg) {
    for (void **b = arg; *b != NULL; b++) free(*b);
    return NULL;
}

/* The owner finds the blocks another thread sent home to a page it filled
 * long ago before it takes a fresh page: a producer whose consumer frees
 * late must not grow while its frees wait at the back of the queue
 * (heap.c, pg_heap_sweep). */
static void test_late_frees_found(void) {
    enum { SIZE = 1024, MAX = 8192, PAGES = 48 };
    static void *a[MAX], *mine[MAX];
    size_t n = 0;
    pg_page_t *page;
    do { /* PAGES pages' worth, the last page carved out and dry */
        CHECK(n < MAX, "no page ran dry in %d blocks", MAX);
        a[n] = malloc(SIZE);
        CHECK(a[n] != NULL, "malloc(%d)", SIZE);
        page = pg_segment_page_of(pg_ptr_segment(a[n]), a[n]);
        n++;
    } while (n < PAGES * (64 << 10) / SIZE || page->free != NULL || page->capacity < page->reserved);
    /* The first page's blocks, freed by a thread that then exits. */
    static void *set[MAX];
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (((uintptr_t)a[i] >> 16) == ((uintptr_t)a[0] >> 16)) set[k++] = a[i];
    set[k] = NULL;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, free_all, set) == 0, "pthread_create");
    CHECK(pthread_join(t, NULL) == 0, "pthread_join");
    size_t back = 0;
    for (size_t i = 0; i < k; i++) {
        mine[i] = malloc(SIZE);
        for (size_t j = 0; j < k; j++) back += mine[i] == set[j];
    }
    CHECK(back == k, "%zu of the %zu blocks freed home to a page filled %zu blocks ago came back first", back, k, n);
    for (size_t i = 0; i < k; i++) free(mine[i]);
    for (size_t i = 0; i < n; i++)
        if (((uintptr_t)a[i] >> 16) != ((uintptr_t)a[0] >> 16)) free(a[i]);
}

int main(void) {
    test_late_frees_found();
    test_not_reused();
    if (PG_SECURE) return check_done("test_foreign");
    test_bounded();
    test_exit_returns();
    return check_done("test_foreign");
}
