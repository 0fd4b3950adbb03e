/* Foreign blocks (foreign.c): a thread's frees of blocks that live in other
 * threads' pages, gathered in a run per class and sent home a page's run at
 * a time. */
#ifndef PG_FOREIGN_H
#define PG_FOREIGN_H

#include "size_class.h"

PG_HIDDEN void pg_remote_push(pg_page_t *page, pg_block_t *first, pg_block_t *last, uint32_t n);
PG_HIDDEN void pg_foreign_flush_all(pg_heap_t *heap);
PG_HIDDEN void pg_free_foreign(pg_segment_t *seg, pg_page_t *page, void *p);

/* A run holds at most PG_FOREIGN_MAX blocks and PG_FOREIGN_BYTES bytes (but
 * one block, however large). A longer run is fewer trips home, but a held
 * block is memory its owner cannot reuse: 32 KiB per class measured
 * 0.65-0.71x on `larson` (presumably two threads holding each other's
 * blocks and carving new ones), and 8 blocks of any class, the bound
 * before, held up to 1 MiB of the 128 KiB class. This form against that
 * (Zen 3 VM, paired rounds): `xmalloc` 1.047x (1.04-1.06, 201 rounds),
 * `larson`, `mstress`, `cache_scratch` and the hardened build within noise,
 * peak RSS within noise; `xthread` within noise too, but its paired intervals
 * disagree from run to run here (native/README.md). Runs of 32 and 64
 * blocks: `xmalloc` 1.07x, no clear gain over 16; `xthread` 0.88x, 0.96x.
 * Runs of 32 again (2026-11-24): `xmalloc` 1.03-1.06x, `xthread` within
 * noise, but `xmalloc`'s peak RSS 1.06x, level with mimalloc's. */
#define PG_FOREIGN_MAX 16
#define PG_FOREIGN_BYTES (16u << 10)

/* How many blocks a run of class `cls` holds (pg_heap_t.foreign_max). */
static inline uint8_t pg_foreign_run_max(size_t cls) {
    size_t n = PG_FOREIGN_BYTES / pg_class_size(cls);
    return (uint8_t)(n == 0 ? 1 : n > PG_FOREIGN_MAX ? PG_FOREIGN_MAX : n);
}

#endif
