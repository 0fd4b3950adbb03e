/* Foreign blocks (foreign.c): a thread's frees of blocks that live in other
 * threads' pages, gathered in a run per class, sent home a page's run at a
 * time, and reused by the thread's own mallocs meanwhile. */
#ifndef PG_FOREIGN_H
#define PG_FOREIGN_H

#include "internal.h"

PG_HIDDEN void pg_remote_push(pg_page_t *page, pg_block_t *first, pg_block_t *last, uint32_t n);
PG_HIDDEN void pg_foreign_flush(pg_heap_t *heap, size_t cls);
PG_HIDDEN void pg_foreign_flush_all(pg_heap_t *heap);
PG_HIDDEN void pg_free_foreign(pg_segment_t *seg, pg_page_t *page, void *p);

/* A run holds at most this many blocks. Few, because a held block is memory
 * its owner cannot reuse: 32 KiB per class measured 0.65-0.71x on `larson`
 * (presumably two threads holding each other's blocks and carving new
 * ones); 16 to 64 blocks gained nothing on `xthread`. */
#define PG_FOREIGN_MAX 8

/* Only blocks of a cache line or more are reused by the thread that freed
 * them: a smaller one would share its line with blocks its owner's thread
 * is writing (passive false sharing, Hoard's cache-scratch). Smaller ones
 * still travel in runs. Class 4 holds 64 bytes. */
#define PG_FOREIGN_MIN_CLASS 4
static inline bool pg_foreign_keeps(size_t cls) { return cls >= PG_FOREIGN_MIN_CLASS; }

/* The block this thread freed last into class `cls`'s run, or NULL. */
static inline pg_block_t *pg_foreign_take(pg_heap_t *heap, size_t cls) {
    pg_block_t *block = heap->foreign[cls];
    if (PG_SECURE || block == NULL || !pg_foreign_keeps(cls)) return NULL;
    heap->foreign[cls] = block->next;
    __builtin_prefetch(block->next, 1);
    heap->foreign_count[cls]--;
    return block;
}

#endif
