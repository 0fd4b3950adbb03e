/* Process life cycle: the library constructor starts the statistics and the
 * heaps' thread-exit hook, and makes fork safe by holding every global lock
 * across it. It calls into the parts; none of them calls back.
 *
 * The constructor runs after libc is up, so it may itself allocate
 * (pthread_atfork does). */
#include <pthread.h>

#include "internal.h"

static void pg_atfork_prepare(void) {
    pg_heap_atfork_prepare();
    pg_segment_atfork_prepare();
    pg_huge_atfork_prepare();
}

static void pg_atfork_parent(void) {
    pg_huge_atfork_parent();
    pg_segment_atfork_parent();
    pg_heap_atfork_parent();
}

static void pg_atfork_child(void) {
    pg_huge_atfork_child();
    pg_segment_atfork_child();
    pg_heap_atfork_child();
}

__attribute__((constructor)) static void pg_process_init(void) {
    pg_stats_init();
    pg_heap_process_init();
    pthread_atfork(pg_atfork_prepare, pg_atfork_parent, pg_atfork_child);
}
