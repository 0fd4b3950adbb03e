/* Many short-lived threads: each allocates, frees half itself, hands the
 * other half to main and exits. Main frees those remotely, into segments
 * whose owner is gone. If exiting threads leaked their caches or abandoned
 * segments were never reclaimed, memory would grow with the number of
 * threads; the test bounds it. And a thread that allocates after its heap
 * was torn down leaves nothing a later thread can mistake for its own. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"

#define GENERATIONS 300
#define BLOCKS 4000 /* ~2 MiB per thread: 600 MiB in all if nothing were reused */

static void *worker(void *arg) {
    void **out = arg;
    for (int i = 0; i < BLOCKS; i++) {
        size_t n = 16 + (size_t)(i * 37) % 1000;
        char *p = malloc(n);
        CHECK(p != NULL, "malloc(%zu)", n);
        memset(p, i, n);
        if (i % 2) free(p);
        else out[i / 2] = p;
    }
    return NULL;
}

static void *idle(void *arg) { return arg; }

/* A thread whose own destructor allocates in every round, the last one
 * too: the heap made for that last malloc is never torn down. A later
 * thread at the same thread pointer (glibc reuses the exited thread's
 * stack) frees those blocks; it must not take their page for its own and
 * retire it into the shared empty heap, from which every new thread's
 * first malloc would then take blocks of a page it does not own. */
#define LATE 8
static pthread_key_t late_key;
static void *late_blocks[LATE];
static int late_rounds;
static uintptr_t late_tp;

static void late_destructor(void *v) {
    (void)v;
    late_blocks[late_rounds++ % LATE] = malloc(48);
    pthread_setspecific(late_key, (void *)1); /* ask for one more round */
}

static void *late_allocator(void *arg) {
    late_tp = (uintptr_t)__builtin_thread_pointer();
    pthread_setspecific(late_key, (void *)1);
    free(malloc(48));
    return arg;
}

static void *late_freer(void *arg) {
    *(int *)arg = (uintptr_t)__builtin_thread_pointer() == late_tp;
    for (int i = 0; i < LATE; i++) free(late_blocks[i]);
    return NULL;
}

/* A new thread's first malloc: of `size`, into `p`. */
typedef struct {
    size_t size;
    void *p;
} first_malloc_t;

static void *first_malloc(void *arg) {
    first_malloc_t *m = arg;
    m->p = malloc(m->size);
    return NULL;
}

static void malloc_after_teardown(void) {
    pthread_t t;
    CHECK(pthread_key_create(&late_key, late_destructor) == 0, "pthread_key_create");
    CHECK(pthread_create(&t, NULL, late_allocator, NULL) == 0, "pthread_create");
    pthread_join(t, NULL);
    CHECK(late_rounds >= 2, "the destructor ran %d round(s)", late_rounds);
    int same = 0;
    CHECK(pthread_create(&t, NULL, late_freer, &same) == 0, "pthread_create");
    pthread_join(t, NULL);
    CHECK(same, "the next thread did not reuse the exited one's thread pointer: nothing was tested");
    first_malloc_t m = {48, NULL};
    CHECK(pthread_create(&t, NULL, first_malloc, &m) == 0, "pthread_create");
    pthread_join(t, NULL);
    void *fresh = m.p;
    for (int i = 0; i < LATE; i++)
        CHECK(segment_of(fresh) != segment_of(late_blocks[i]),
              "a new thread's first malloc took %p from the page of the exited thread's last heap", fresh);
    free(fresh);
}

/* An exited thread's partly used page is reused before a fresh one: the
 * next thread to need memory reclaims the abandoned segment and takes its
 * first block of the class from that page's holes. Until 2026-11-24 it
 * took a fresh page of the reclaimed segment instead, so memory grew with
 * every generation of threads (`larson`: peak RSS 1.03-1.04x mimalloc's). */
#define HOLES 32
static void *holes[HOLES], *kept[HOLES];

static void *leave_holes(void *arg) {
    (void)arg;
    for (int i = 0; i < HOLES; i++) {
        holes[i] = malloc(400);
        kept[i] = malloc(400);
        CHECK(holes[i] != NULL && kept[i] != NULL, "malloc(400)");
    }
    for (int i = 0; i < HOLES; i++) free(holes[i]);
    return NULL;
}

static void reuse_after_exit(void) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, leave_holes, NULL) == 0, "pthread_create");
    pthread_join(t, NULL);
    first_malloc_t m = {400, NULL};
    CHECK(pthread_create(&t, NULL, first_malloc, &m) == 0, "pthread_create");
    pthread_join(t, NULL);
    void *p = m.p;
    int found = 0;
    for (int i = 0; i < HOLES; i++) found |= p == holes[i];
    CHECK(found, "a new thread's first malloc(400) took %p, not a hole of the exited thread's page", p);
    free(p);
    for (int i = 0; i < HOLES; i++) free(kept[i]);
}

/* Threads that each touch one block of a segment of their own and exit
 * leave their segments empty and mostly untouched: the cache keeps them
 * all mapped for the next threads, as it is bounded by what its segments
 * may hold resident, not by their number. Bounded by number (16, until
 * 2026-11-24) it unmapped the rest, which the next threads mapped and
 * faulted in again (`mstress`). */
#define SPARSE 40
static pthread_barrier_t sparse_all_in;
static void *sparse_blocks[SPARSE];

static void *touch_one_block(void *arg) {
    void **slot = arg;
    *slot = malloc(16);
    CHECK(*slot != NULL, "malloc(16)");
    pthread_barrier_wait(&sparse_all_in); /* all alive at once: a segment each */
    free(*slot);
    return NULL;
}

static void sparse_segments_stay_cached(void) {
    pthread_t t[SPARSE];
    pthread_barrier_init(&sparse_all_in, NULL, SPARSE);
    for (int i = 0; i < SPARSE; i++)
        CHECK(pthread_create(&t[i], NULL, touch_one_block, &sparse_blocks[i]) == 0, "pthread_create");
    for (int i = 0; i < SPARSE; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&sparse_all_in);
    int unmapped = 0;
    for (int i = 0; i < SPARSE; i++) unmapped += !segment_mapped(segment_of(sparse_blocks[i]));
    CHECK(unmapped == 0, "%d of %d exited threads' empty segments were unmapped, not cached", unmapped, SPARSE);
}

int main(void) {
    reuse_after_exit(); /* first: no other thread has abandoned a segment yet */
    sparse_segments_stay_cached();
    static void *handed[BLOCKS / 2];
    for (int g = 0; g < GENERATIONS; g++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, worker, handed) == 0, "pthread_create");
        pthread_join(t, NULL);
        for (int i = 0; i < BLOCKS / 2; i++) {
            CHECK(((unsigned char *)handed[i])[0] == (unsigned char)(2 * i), "block %d corrupt", i);
            free(handed[i]);
        }
        /* A thread that never allocates must come and go harmlessly too. */
        CHECK(pthread_create(&t, NULL, idle, NULL) == 0, "pthread_create");
        pthread_join(t, NULL);
    }
    malloc_after_teardown();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    CHECK(ru.ru_maxrss < 64 * 1024, "peak RSS %ld KiB: exited threads' memory is not reused", ru.ru_maxrss);
    printf("test_thread_exit: %d threads, peak RSS %ld KiB\n", GENERATIONS, ru.ru_maxrss);
    return check_done("test_thread_exit");
}
