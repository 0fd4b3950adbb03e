/* Fault injection for perfgate's detection evaluation
 * (scripts/eval-detection.ts builds variants with these set by -D).
 * Every knob defaults to 0, and then every hook compiles to nothing: the
 * release allocator carries no trace of them. */
#ifndef PG_INJECT_H
#define PG_INJECT_H

#include <sys/mman.h>

#include "internal.h"

#ifndef PG_INJECT_SPIN_EVERY /* spin PG_INJECT_SPIN_LOOPS on every Nth malloc: a slowdown */
#define PG_INJECT_SPIN_EVERY 0
#endif
#ifndef PG_INJECT_SPIN_LOOPS
#define PG_INJECT_SPIN_LOOPS 64
#endif
#ifndef PG_INJECT_MADVISE_EVERY /* one madvise per N frees: a syscall storm */
#define PG_INJECT_MADVISE_EVERY 0
#endif
#ifndef PG_INJECT_LEAK_EVERY /* drop every Nth free: RSS grows */
#define PG_INJECT_LEAK_EVERY 0
#endif
#ifndef PG_INJECT_CRASH_SEGMENTS /* SIGSEGV once more segments are live: a crash at a larger working set */
#define PG_INJECT_CRASH_SEGMENTS 0
#endif
#ifndef PG_INJECT_HANG_SEGMENTS /* spin forever once more segments are live */
#define PG_INJECT_HANG_SEGMENTS 0
#endif

/* Each periodic fault counts down its own thread-local counter: a decrement
 * and a rarely taken branch, so the injected cost is the fault itself and not
 * the bookkeeping (a modulo per call would cost more than a 1 % slowdown). */
#define PG_INJECT_EVERY(counter, n) (PG_UNLIKELY(--(counter) <= 0) && ((counter) = (n), true))

static inline void pg_inject_malloc(void) {
#if PG_INJECT_SPIN_EVERY
    static __thread long spin_left;
    if (PG_INJECT_EVERY(spin_left, PG_INJECT_SPIN_EVERY))
        for (volatile int i = 0; i < PG_INJECT_SPIN_LOOPS; i++) {
        }
#endif
}

/* True when this free must be dropped (leaked). */
static inline bool pg_inject_free(void *p) {
    (void)p;
#if PG_INJECT_MADVISE_EVERY
    static __thread long madvise_left;
    if (PG_INJECT_EVERY(madvise_left, PG_INJECT_MADVISE_EVERY)) {
        void *page = (void *)((uintptr_t)p & ~(PG_OS_PAGE - 1));
        madvise(page, PG_OS_PAGE, MADV_NORMAL);
    }
#endif
#if PG_INJECT_LEAK_EVERY
    static __thread long leak_left;
    if (PG_INJECT_EVERY(leak_left, PG_INJECT_LEAK_EVERY)) return true;
#endif
    return false;
}

#if PG_INJECT_CRASH_SEGMENTS || PG_INJECT_HANG_SEGMENTS
static _Atomic int pg_inject_live_segments;
#endif

/* A heap took a segment (delta +1) or gave one back (-1). */
static inline void pg_inject_segments(int delta) {
    (void)delta;
#if PG_INJECT_CRASH_SEGMENTS || PG_INJECT_HANG_SEGMENTS
    int live = atomic_fetch_add(&pg_inject_live_segments, delta) + delta;
#if PG_INJECT_CRASH_SEGMENTS
    if (live > PG_INJECT_CRASH_SEGMENTS) *(volatile int *)0 = 1;
#endif
#if PG_INJECT_HANG_SEGMENTS
    if (live > PG_INJECT_HANG_SEGMENTS)
        for (;;) {
        }
#endif
#endif
}

#endif
