/* Foreign blocks (foreign.c): a thread's frees of blocks that live in other
 * threads' pages, kept for its own mallocs of the same class. The inline
 * halves are free's and malloc's; the flush is out of line. */
#ifndef PG_FOREIGN_H
#define PG_FOREIGN_H

#include "internal.h"

PG_HIDDEN void pg_remote_push(pg_page_t *page, pg_block_t *first, pg_block_t *last, uint32_t n);
PG_HIDDEN void pg_foreign_flush(pg_heap_t *heap, size_t cls, size_t keep);
PG_HIDDEN void pg_foreign_flush_all(pg_heap_t *heap);

/* A class keeps at most this many foreign blocks; one more sends the older
 * half back. Few, because a cached block is memory its owner cannot reuse:
 * 32 KiB per class measured 0.65-0.71x on `larson` (two threads holding
 * each other's blocks and carving new ones), 8 blocks 0.95-1.0x, with the
 * same 1.45-1.5x on `xmalloc` as 4 to 32 blocks. */
#define PG_FOREIGN_MAX 8
#define PG_FOREIGN_KEEP (PG_FOREIGN_MAX / 2)

/* Blocks smaller than a cache line are not kept: reused by this thread,
 * such a block would share its line with blocks its owner's thread is
 * writing (passive false sharing, Hoard's cache-scratch); a block from 64
 * bytes shares at most a line at each end. Class 4 holds 64 bytes. */
#define PG_FOREIGN_MIN_CLASS 4
static inline bool pg_foreign_keeps(size_t cls) { return cls >= PG_FOREIGN_MIN_CLASS; }

/* Keep `block`, of class `cls` and another thread's page, for this thread's
 * mallocs. */
static inline void pg_foreign_free(pg_heap_t *heap, size_t cls, pg_block_t *block) {
    pg_assert(!PG_SECURE && heap != &pg_heap_empty);
    block->next = heap->foreign[cls];
    heap->foreign[cls] = block;
    if (PG_UNLIKELY(++heap->foreign_count[cls] > PG_FOREIGN_MAX)) pg_foreign_flush(heap, cls, PG_FOREIGN_KEEP);
}

/* A block this thread freed into another thread's page, or NULL. */
static inline pg_block_t *pg_foreign_take(pg_heap_t *heap, size_t cls) {
    pg_block_t *block = heap->foreign[cls];
    if (PG_SECURE || block == NULL) return NULL;
    heap->foreign[cls] = block->next;
    __builtin_prefetch(block->next, 1);
    heap->foreign_count[cls]--;
    return block;
}

#endif
