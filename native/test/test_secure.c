/* The hardened build (make SECURE=1) turns heap misuse into a one-line
 * message and an abort instead of silent corruption: double frees (by the
 * owner, of huge blocks, by other threads, and of a block another thread's
 * run still holds), frees of pointers pgalloc
 * never returned (another mapping, the stack, the inside of a block, by
 * its owner or another thread), a
 * write to a freed block that corrupts its free-list link, and an overflow
 * off the end of a huge block into its guard page, also after realloc has
 * shrunk or grown it in place. Other builds say so and
 * check nothing. */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "check.h"

#ifndef PG_SECURE
#define PG_SECURE 0
#endif

static void owner_double_free(void) {
    void *keep = malloc(48); /* keeps the page in use */
    void *a = malloc(48);
    free(a);
    free(a);
    free(keep);
}

static void huge_double_free(void) {
    void *p = malloc(1 << 20);
    free(p);
    free(p);
}

static void *free_arg(void *p) {
    free(p);
    return NULL;
}

static void remote_double_free(void) {
    void *keep = malloc(48);
    void *a = malloc(48);
    for (int i = 0; i < 2; i++) { /* another thread frees `a`, twice */
        pthread_t t;
        pthread_create(&t, NULL, free_arg, a);
        pthread_join(t, NULL);
    }
    for (int i = 0; i < 5000; i++) (void)malloc(48); /* the page runs dry: the owner collects the remote frees */
    free(keep);
}

static void *free_twice(void *p) {
    free(p);
    free(p);
    return NULL;
}

/* The same thread frees another thread's block twice in a row: both frees
 * would join one run on the way to the owner. */
static void remote_double_free_one_thread(void) {
    void *keep = malloc(48);
    void *a = malloc(48);
    pthread_t t;
    pthread_create(&t, NULL, free_twice, a);
    pthread_join(t, NULL);
    free(keep);
}

/* Frees blocks 0, 1 and 2 of `b`, then block b[3] (an index) again. */
static void *free_three_then_again(void *p) {
    void **b = p;
    free(b[0]);
    free(b[1]);
    free(b[2]);
    free(b[(uintptr_t)b[3]]);
    return NULL;
}

/* Another thread frees a block again while its run is still on the way
 * home, with other blocks freed in between: the run's middle block, or
 * its oldest (whose link the run's others do not name). */
static void remote_double_free_in_run_at(uintptr_t again) {
    void *keep = malloc(48), *b[4] = {malloc(48), malloc(48), malloc(48), (void *)again};
    pthread_t t;
    pthread_create(&t, NULL, free_three_then_again, b);
    pthread_join(t, NULL);
    free(keep);
}
static void remote_double_free_in_run(void) { remote_double_free_in_run_at(1); }
static void remote_double_free_of_runs_oldest(void) { remote_double_free_in_run_at(0); }

/* The owner and another thread both free a block, in either order. */
static void owner_and_remote_free(int owner_first) {
    void *keep = malloc(48), *a = malloc(48);
    if (owner_first) free(a);
    pthread_t t;
    pthread_create(&t, NULL, free_arg, a);
    pthread_join(t, NULL);
    if (!owner_first) free(a);
    free(keep);
}
static void owner_then_remote_free(void) { owner_and_remote_free(1); }
static void remote_then_owner_free(void) { owner_and_remote_free(0); }

/* A thread frees another thread's block and keeps it in its run (it has
 * not gone home: the thread is still running) while the block is freed
 * again, by its owner or by a third thread whose run does go home; the
 * owner then allocates until it has the block back. Neither map has heard
 * of the first free yet: without the blocks' tags the block was handed out
 * while the run still held it, and sent home under the program later. The
 * owner's free finds the tag; the third thread's free, or the owner's
 * after a write over the tag, is found when the first run goes home, its
 * block's tag cleared by the malloc. */
static pthread_barrier_t run_held, run_release;

static void *free_and_hold(void *p) {
    free(p);
    pthread_barrier_wait(&run_held);
    pthread_barrier_wait(&run_release); /* exits after: its run goes home */
    return NULL;
}

static void free_while_a_run_holds(int by_owner, int overwrite_tag) {
    void *keep = malloc(48);
    uint64_t *a = malloc(48);
    pthread_barrier_init(&run_held, NULL, 2);
    pthread_barrier_init(&run_release, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, free_and_hold, a);
    pthread_barrier_wait(&run_held);
    if (overwrite_tag) a[1] = 7; /* a write after free */
    if (by_owner) {
        free(a);
    } else {
        pthread_t u;
        pthread_create(&u, NULL, free_arg, a);
        pthread_join(u, NULL);
    }
    for (int i = 0; i < 5000; i++) /* the owner collects what came home and takes `a` back */
        if (malloc(48) == a) break;
    pthread_barrier_wait(&run_release);
    pthread_join(t, NULL);
    free(keep);
}
static void owner_free_while_a_run_holds(void) { free_while_a_run_holds(1, 0); }
static void remote_free_while_a_run_holds(void) { free_while_a_run_holds(0, 0); }
static void owner_free_of_overwritten_while_a_run_holds(void) { free_while_a_run_holds(1, 1); }

static void foreign_free(void) {
    void *m = mmap(NULL, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    free((char *)m + (4 << 20) - ((uintptr_t)m & ((4 << 20) - 1)) + 64); /* a 4 MiB-aligned foreign mapping */
}

static void stack_free(void) {
    char buf[64];
    free(buf);
}

static void interior_free(void) {
    char *p = malloc(64);
    free(p + 16);
}

/* Another thread frees the inside of a block, and past the blocks its
 * owner has carved: checked on that thread's own path (the segment's
 * arrays, not the owner's page). */
static void remote_interior_free(void) {
    char *p = malloc(64);
    pthread_t t;
    pthread_create(&t, NULL, free_arg, p + 16);
    pthread_join(t, NULL);
}

static void remote_free_past_carved(void) {
    char *p = malloc(1000); /* the first block of a fresh 1 KiB page, which carves 4 at a time */
    pthread_t t;
    pthread_create(&t, NULL, free_arg, p + 8 * 1024); /* a block's place in the page, not carved yet */
    pthread_join(t, NULL);
}

static void write_after_free(void) {
    void *keep = malloc(32);
    uint64_t *a = malloc(32);
    void *b = malloc(32);
    free(b);
    free(a);                              /* a's link points at b, encoded */
    a[0] = (uint64_t)(uintptr_t)&keep;    /* the bug: a use after free aims the link at the stack */
    void *x = malloc(32);                 /* takes a, follows the link: must abort */
    void *y = malloc(32);
    printf("%p %p\n", x, y);
}

static void huge_overflow(void) {
    char *p = malloc(300000);
    size_t n = malloc_usable_size(p);
    for (size_t i = 0; i <= n; i++) p[i] = 1; /* one byte past the end lands on the guard page */
}

/* realloc moves the guard page with the block's end, shrinking in place and
 * growing by remapping: one byte past the new end still faults. */
static void huge_overflow_after_realloc(int grow) {
    char *p = malloc(8 << 20);
    p = realloc(p, 1 << 20); /* in place: the tail goes back to the OS */
    if (grow) p = realloc(p, 3 << 20);
    size_t n = malloc_usable_size(p);
    for (size_t i = 0; i <= n; i++) p[i] = 1;
}
static void huge_overflow_after_shrink(void) { huge_overflow_after_realloc(0); }
static void huge_overflow_after_grow(void) { huge_overflow_after_realloc(1); }

int main(void) {
    if (!PG_SECURE) {
        printf("test_secure: not the hardened build (make SECURE=1), nothing to check\n");
        return check_done("test_secure");
    }
    check_dies("owner double free", owner_double_free, SIGABRT, "pgalloc: free(): double free of 0x");
    check_dies("huge double free", huge_double_free, SIGABRT, "pgalloc: free(): double free of 0x");
    check_dies("remote double free", remote_double_free, SIGABRT, "pgalloc: double free (freed twice by other threads)");
    check_dies("remote double free by one thread", remote_double_free_one_thread, SIGABRT, "pgalloc: free(): double free of 0x");
    check_dies("remote double free inside a run", remote_double_free_in_run, SIGABRT, "pgalloc: free(): double free of 0x");
    check_dies("remote double free of a run's oldest block", remote_double_free_of_runs_oldest, SIGABRT,
               "pgalloc: free(): double free of 0x");
    check_dies("owner, then remote free", owner_then_remote_free, SIGABRT, "pgalloc: free(): double free of 0x");
    check_dies("remote, then owner free", remote_then_owner_free, SIGABRT,
               "pgalloc: double free (by its owner and another thread) of 0x");
    check_dies("owner free while another thread's run holds the block", owner_free_while_a_run_holds, SIGABRT,
               "pgalloc: free(): double free of 0x");
    check_dies("remote free while another thread's run holds the block", remote_free_while_a_run_holds, SIGABRT,
               "pgalloc: free(): double free or write after free of 0x");
    check_dies("owner free while a run holds the block, its tag overwritten", owner_free_of_overwritten_while_a_run_holds,
               SIGABRT, "pgalloc: free(): double free or write after free of 0x");
    check_dies("free of a foreign mapping", foreign_free, SIGABRT, "pgalloc: free(): invalid pointer (not allocated by pgalloc) 0x");
    check_dies("free of a stack address", stack_free, SIGABRT, "pgalloc: free(): invalid pointer (not allocated by pgalloc) 0x");
    check_dies("interior free", interior_free, SIGABRT, "pgalloc: free(): invalid pointer (not the start of a block) 0x");
    check_dies("interior free by another thread", remote_interior_free, SIGABRT,
               "pgalloc: free(): invalid pointer (not the start of a block) 0x");
    check_dies("free past the carved blocks by another thread", remote_free_past_carved, SIGABRT,
               "pgalloc: free(): invalid pointer (not the start of a block) 0x");
    check_dies("write after free", write_after_free, SIGABRT, "pgalloc: corrupted free list (a freed block was written) at 0x");
    check_dies("huge overflow", huge_overflow, SIGSEGV, NULL);
    check_dies("huge overflow after shrink", huge_overflow_after_shrink, SIGSEGV, NULL);
    check_dies("huge overflow after grow", huge_overflow_after_grow, SIGSEGV, NULL);

    /* Freed blocks do not hold plain pointers. */
    void *keep = malloc(32), *a = malloc(32), *b = malloc(32);
    free(b);
    free(a);
    CHECK(*(void *volatile *)a != b, "a freed block's link is stored in the clear");
    free(keep);
    return check_done("test_secure");
}
