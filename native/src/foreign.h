/* Foreign blocks (foreign.c): a thread's frees of blocks that live in other
 * threads' pages, gathered in a run per class and sent home a page's run at
 * a time. */
#ifndef PG_FOREIGN_H
#define PG_FOREIGN_H

#include "internal.h"

PG_HIDDEN void pg_remote_push(pg_page_t *page, pg_block_t *first, pg_block_t *last, uint32_t n);
PG_HIDDEN void pg_foreign_flush_all(pg_heap_t *heap);
PG_HIDDEN void pg_free_foreign(pg_segment_t *seg, pg_page_t *page, void *p);

/* A run holds at most this many blocks. Few, because a held block is memory
 * its owner cannot reuse: 32 KiB per class measured 0.65-0.71x on `larson`
 * (presumably two threads holding each other's blocks and carving new
 * ones). Runs of 16 and 32 blocks made `xmalloc` 1.09x and 1.15x but
 * `xthread` 0.72x and 0.63x at one time on the Zen 5 VM, and 16 made
 * `xthread` 1.06x at another (native/README.md): not a change to make on
 * this evidence. */
#define PG_FOREIGN_MAX 8

#endif
