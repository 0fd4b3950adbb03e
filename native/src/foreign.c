/* Foreign blocks: a thread's frees of blocks that live in other threads'
 * pages. Each class has a run: blocks of one page, at most PG_FOREIGN_MAX,
 * linked through the blocks, first and last known. A free adds its block to
 * the run; a block of another page, or a full run, first sends the run to
 * its page's remote list in one CAS. Nothing is walked and no freed block is
 * read, so a thread freeing a batch of another thread's blocks has their
 * cache misses in flight together; a CAS per block made it wait for each
 * (`xthread`, where every free is remote: 1.39x).
 *
 * A thread's malloc of a class takes from that class's run (blocks of 64
 * bytes or more only, see foreign.h) before making a block from its own
 * pages: the freeing core wrote the block last, so reusing it there is a
 * cache hit where the owner's reuse was a miss (`xmalloc`, producers that
 * are also consumers). tcmalloc's thread caches do this for every block.
 *
 * A block in a run stays counted in its page's `used`: as far as the page
 * knows it is still out, so no page accounting changes and a page cannot be
 * retired under it. Thread exit sends every run home.
 *
 * Not in the hardened build: its free map must see every free as it
 * happens, and a held block would hide a double free. */
#include <errno.h>

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

/* Send class `cls`'s run back to its page, in one CAS. */
void pg_foreign_flush(pg_heap_t *heap, size_t cls) {
    pg_block_t *first = heap->foreign[cls];
    pg_assert(first != NULL && heap->foreign_count[cls] > 0);
    pg_remote_push(pg_segment_page_of(pg_ptr_segment(first), first), first, heap->foreign_last[cls],
                   heap->foreign_count[cls]);
    heap->foreign[cls] = NULL;
    heap->foreign_count[cls] = 0;
}

void pg_foreign_flush_all(pg_heap_t *heap) {
    for (size_t c = 0; c < PG_CLASSES; c++)
        if (heap->foreign[c] != NULL) pg_foreign_flush(heap, c);
}

/* free() of `p`, in pages[idx] of `seg`, owned by another live thread: into
 * this thread's run for the class, without reading the page's line. A
 * thread whose first call is such a free gets a heap for it (without
 * touching errno, which free preserves). Out of line, so free's own fast
 * path saves no registers. */
void pg_free_foreign(pg_segment_t *seg, size_t idx, void *p) {
    pg_heap_t *heap = pg_tl_heap;
    if (PG_UNLIKELY(heap == &pg_heap_empty)) {
        int saved = errno;
        heap = pg_heap_init_thread();
        errno = saved;
        if (heap == NULL) {
            pg_remote_push(&seg->pages[idx], p, p, 1);
            return;
        }
    }
    pg_foreign_free(heap, seg->page_cls[idx], seg->page_shift, p);
}
