/* Foreign blocks: a thread's frees of blocks that live in other threads'
 * pages, kept for the thread's own mallocs of the same class (what
 * tcmalloc's thread caches do for every block, done here only for blocks
 * that crossed threads).
 *
 * Pages belong to threads, so such a block used to go straight back to its
 * page's remote list: a CAS on a line the owner reads too, and later the
 * owner's malloc of it a cache miss, since the freeing core wrote it last.
 * Kept here, the thread that freed it reuses it while its lines are still
 * in that thread's cache (`xmalloc`: producers that are also consumers).
 *
 * A waiting block stays counted in its page's `used`: as far as the page
 * knows it is still out, so no page accounting changes and a page cannot be
 * retired under a cached block. The cache is bounded per class; past the
 * bound, and at thread exit, blocks go back to their pages' remote lists,
 * a run of blocks of one page in one CAS.
 *
 * Not in the hardened build: its free map must see every free as it
 * happens, and a cached block would hide a double free. */
#include "foreign.h"

/* Push the chain first..last (n blocks of `page`) onto its remote list. */
void pg_remote_push(pg_page_t *page, pg_block_t *first, pg_block_t *last, uint32_t n) {
    pg_remote_t *remote = pg_page_remote(page);
    pg_block_t *head = atomic_load_explicit(&remote->head, memory_order_relaxed);
    do {
        pg_block_set_next(page, last, head);
    } while (!atomic_compare_exchange_weak_explicit(&remote->head, &head, first,
                                                    memory_order_release, memory_order_relaxed));
    /* After the push: see pg_page_collect. The hardened build counts by walking. */
    if (!PG_SECURE) atomic_fetch_add_explicit(&remote->count, n, memory_order_release);
}

static pg_page_t *pg_block_page(const pg_block_t *block) {
    return pg_segment_page_of(pg_ptr_segment(block), block);
}

/* Give the chain `block` back to its blocks' pages, one CAS per page: each
 * page's blocks are gathered first (the CAS on a remote list other threads
 * push to was most of the flush's time on `xmalloc`). */
static void pg_foreign_return(pg_block_t *block) {
    while (block != NULL) {
        pg_page_t *page = pg_block_page(block);
        pg_block_t *last = block, *rest = NULL, **rest_tail = &rest;
        uint32_t n = 1;
        for (pg_block_t *b = block->next, *next; b != NULL; b = next) {
            next = b->next;
            if (pg_block_page(b) == page) {
                last->next = b;
                last = b;
                n++;
            } else {
                *rest_tail = b;
                rest_tail = &b->next;
            }
        }
        *rest_tail = NULL;
        pg_remote_push(page, block, last, n);
        block = rest;
    }
}

/* Send all but the newest `keep` blocks of class `cls` back to their pages. */
void pg_foreign_flush(pg_heap_t *heap, size_t cls, size_t keep) {
    pg_block_t **link = &heap->foreign[cls];
    size_t kept = 0;
    for (; kept < keep && *link != NULL; kept++) link = &(*link)->next;
    pg_block_t *block = *link;
    *link = NULL;
    heap->foreign_count[cls] = (uint8_t)kept;
    pg_foreign_return(block);
}

void pg_foreign_flush_all(pg_heap_t *heap) {
    for (size_t c = 0; c < PG_CLASSES; c++)
        if (heap->foreign[c] != NULL) pg_foreign_flush(heap, c, 0);
}
