/* Spin locks for the process-wide lists (segment cache, abandoned segments,
 * huge cache, heap pool). They are taken only on slow paths; pthread mutexes
 * would work too, but these need no initialisation and can be reset in a
 * forked child. */
#include <sched.h>

#include "internal.h"

static inline void pg_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void pg_lock(pg_lock_t *l) {
    unsigned spins = 0;
    while (atomic_flag_test_and_set_explicit(&l->flag, memory_order_acquire)) {
        if (++spins % 64 == 0) sched_yield();
        else pg_cpu_relax();
    }
}

void pg_unlock(pg_lock_t *l) { atomic_flag_clear_explicit(&l->flag, memory_order_release); }
