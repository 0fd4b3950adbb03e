/* Process life cycle: statistics switch, the thread-exit hook, fork safety.
 *
 * Everything here runs from a library constructor, after libc is up, so it
 * may itself allocate (pthread_atfork does). Threads that allocate before the
 * constructor runs work too: their heap is registered for thread exit once
 * the key exists. */
#include <pthread.h>

#include "internal.h"

static pthread_key_t pg_heap_key;
static bool pg_key_ready;

static void pg_thread_done(void *heap) { pg_heap_destroy(heap); }

void pg_heap_register(pg_heap_t *heap) {
    if (pg_key_ready) pthread_setspecific(pg_heap_key, heap);
}

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
    if (pthread_key_create(&pg_heap_key, pg_thread_done) == 0) pg_key_ready = true;
    if (pg_tl_heap != &pg_heap_empty) pg_heap_register(pg_tl_heap);
    pthread_atfork(pg_atfork_prepare, pg_atfork_parent, pg_atfork_child);
}
