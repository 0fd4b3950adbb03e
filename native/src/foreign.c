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
 * The hardened build batches in runs but never reuses from them (its free
 * map learns of a remote free only when the owner collects it, so a block
 * freed twice could be handed out twice), and each free first checks that
 * its block is not in the run already: freed twice into one run, a block
 * would reach its owner once and the double free would go unseen. */
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

/* Add `block`, of class `cls` and `page` of another thread (its segment's
 * pages are 1 << `page_shift` bytes), to the class's run. A block of
 * another page, or a full run, sends the run home first: no list is ever
 * walked (but in the hardened build) and the blocks' lines are written,
 * never read, so the frees of a batch overlap their cache misses instead of
 * waiting for each one at a CAS (`xthread`). */
static void pg_foreign_free(pg_heap_t *heap, pg_page_t *page, size_t cls, unsigned page_shift, pg_block_t *block) {
    pg_assert(heap != &pg_heap_empty);
    pg_block_t *first = heap->foreign[cls];
    if (first != NULL &&
        ((((uintptr_t)first ^ (uintptr_t)block) >> page_shift) != 0 || heap->foreign_count[cls] == PG_FOREIGN_MAX)) {
        pg_foreign_flush(heap, cls);
        first = NULL;
    }
#if PG_SECURE /* freed twice into one run, the block would reach its owner once */
    for (pg_block_t *b = first; b != NULL; b = pg_block_next(page, b))
        if (PG_UNLIKELY(b == block)) pg_secure_fail("free(): double free of", block);
#endif
    if (first == NULL) heap->foreign_last[cls] = block;
    pg_block_set_next(page, block, first);
    heap->foreign[cls] = block;
    heap->foreign_count[cls]++;
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
    pg_foreign_free(heap, &seg->pages[idx], seg->page_cls[idx], seg->page_shift, p);
}
