/* Foreign blocks: a thread's frees of blocks that live in other threads'
 * pages. Each class has a run: blocks of one page, at most PG_FOREIGN_MAX
 * and PG_FOREIGN_BYTES (foreign.h), linked through the blocks, first and
 * last known. A free adds its block to the run; a block of another page,
 * or a full run, first sends the run to its page's remote list in one CAS.
 * Nothing is walked and no freed block is read, so a thread freeing a
 * batch of another thread's blocks has their cache misses in flight
 * together; a CAS per block made it wait for each (`xthread`, where every
 * free is remote: 1.39x).
 *
 * Only a page's owner hands its blocks out: the thread that freed a block
 * never takes it from its run, though its core wrote the block last. It
 * did until 2026-11-23, from 64 bytes (tcmalloc's thread caches do so for
 * every block); without it, on the Zen 5 VM, `xmalloc` ran 1.09x, `larson`
 * and `mstress` 1.02x and `xthread` 0.99x (0.96-1.21), 41 rounds; on the
 * Zen 3 VM, taking a run's blocks back on malloc's slow path ran `xmalloc`
 * 0.89x, and a thread cache as tcmalloc's, on its fast path, 0.85x (0.93x
 * with 256 blocks and 64 KiB a class, and 1.24x the peak RSS). Why is not established:
 * reusing only blocks that share no line with their owner's measured no
 * better (native/MEASUREMENTS.md). Nor did a free
 * that writes nothing into the block (a bit in a bitmap of its page, the
 * owner linking the blocks as it collects them): `xmalloc` 0.79-0.95x,
 * with the samples at the collection's stores where they had been at
 * malloc's loads; nor one that sends the run's pointers home in a
 * message for the owner to link (0.93x).
 *
 * A block in a run stays counted in its page's `used`: as far as the page
 * knows it is still out, so no page accounting changes and a page cannot be
 * retired under it. Thread exit sends every run home.
 *
 * The hardened build tags each block it frees (secure.c,
 * internal.h's pg_block_tag): the owner's free tests the tag, and the run
 * checks its blocks' tags as it goes home. A block freed twice into one run
 * is caught then too: its chain no longer reaches the run's last block in
 * as many steps as it has blocks. */
#include <errno.h>

#include "foreign.h"

/* Tell the owner of `seg` that blocks are on their way home (pg_heap_sweep).
 * Before the push: once the blocks are home the owner may free the page and
 * unmap the segment. Written only when not set already, so a line the owner
 * reads is not written on every push. */
static void pg_remote_hint(pg_segment_t *seg) {
    if (!atomic_load_explicit(&seg->remote_hint, memory_order_relaxed))
        atomic_store_explicit(&seg->remote_hint, true, memory_order_relaxed);
    pg_heap_t *heap = atomic_load_explicit(&seg->heap, memory_order_relaxed);
    if (heap != NULL && !atomic_load_explicit(&heap->remote_hint, memory_order_relaxed))
        atomic_store_explicit(&heap->remote_hint, true, memory_order_relaxed);
}

/* Push the chain first..last (n blocks of `page`) onto its remote list. */
void pg_remote_push(pg_page_t *page, pg_block_t *first, pg_block_t *last, uint32_t n) {
    pg_remote_t *remote = pg_page_remote(page);
    pg_remote_hint(pg_page_segment(page));
#if PG_SECURE
    pg_secure_remote_mark(page, first, last, n);
#endif
    uintptr_t key = pg_page_key_shared(page);
    uintptr_t list = atomic_load_explicit(&remote->list, memory_order_relaxed);
    do {
        pg_assert(pg_remote_count(list) + n <= page->reserved);
        pg_link_set(key, last, pg_remote_head(list));
    } while (!atomic_compare_exchange_weak_explicit(&remote->list, &list,
                                                    pg_remote_pack(first, pg_remote_count(list) + n),
                                                    memory_order_release, memory_order_relaxed));
}

/* Send class `cls`'s run back to its page, in one CAS. */
static void pg_foreign_flush(pg_heap_t *heap, size_t cls) {
    pg_block_t *first = heap->foreign[cls].first;
    pg_assert(first != NULL && heap->foreign_count[cls] > 0);
    pg_remote_push(pg_segment_page_of(pg_ptr_segment(first), first), first, heap->foreign_last[cls],
                   heap->foreign_count[cls]);
    heap->foreign[cls].first = NULL;
    heap->foreign_count[cls] = 0;
}

void pg_foreign_flush_all(pg_heap_t *heap) {
    for (size_t c = 0; c < PG_CLASSES; c++)
        if (heap->foreign[c].first != NULL) pg_foreign_flush(heap, c);
}

/* Add `block`, of `page` of another thread, to class `cls`'s run, whose
 * head is `first` (NULL: the run starts with it). The blocks' lines are
 * written, never read, so the frees of a batch overlap their cache misses
 * instead of waiting for each one at a CAS (`xthread`). The block two
 * ahead of `block`, for malloc's second prefetch, is the run's second
 * block, which the heap keeps beside the head (one 16-byte store): read
 * from `first`'s link it was a load from a line this thread wrote one
 * free of the class before, and keeping it measured 1.025x and 1.014x on
 * `xmalloc` (201 paired rounds each, Zen 3; `xthread` 1.007x and 0.994x;
 * kept with a store of its own, `xmalloc` 1.01-1.04x in four sets but
 * `xthread` 0.952x, 0.92-1.00, and 0.967x), presumably because the owner
 * had taken that line back since to write a block beside it. */
static inline __attribute__((always_inline)) void pg_foreign_add(pg_heap_t *heap, pg_page_t *page, size_t cls,
                                                                 pg_block_t *block, pg_block_t *first) {
#if PG_SECURE
    /* The flush reads the free map and ORs into the remote map here: start
     * the misses now, with the run's others. */
    uint64_t bit;
    __builtin_prefetch(pg_freemap_word(block, &bit), 0);
    __builtin_prefetch(pg_remotemap_word(block, &bit), 1);
#else
    pg_assert(first == NULL || heap->foreign[cls].second == pg_link_next(pg_page_key_shared(page), first));
    *pg_block_ahead(block) = first != NULL ? heap->foreign[cls].second : NULL;
#endif
    pg_link_set(pg_page_key_shared(page), block, first);
#if PG_SECURE
    pg_secure_tag_remote(block);
    heap->foreign[cls].first = block;
#else
    heap->foreign[cls] = (pg_run_head_t){block, first}; /* one store */
#endif
    heap->foreign_count[cls]++;
    pg_assert(heap->foreign_count[cls] <= heap->foreign_max[cls] &&
              heap->foreign_max[cls] == pg_foreign_run_max(cls));
}

/* Start class `cls`'s run with `block`, sending the run before it home
 * first: no list is ever walked (but the run, in the hardened build). */
static __attribute__((noinline)) void pg_foreign_restart(pg_heap_t *heap, pg_page_t *page, size_t cls,
                                                         pg_block_t *block) {
    if (heap->foreign[cls].first != NULL) pg_foreign_flush(heap, cls);
    heap->foreign_last[cls] = block;
    pg_foreign_add(heap, page, cls, block, NULL);
}

/* A foreign free by a thread without a heap: it gets one (without touching
 * errno, which free preserves), unless its heap was torn down (and it has
 * not allocated since): then the block goes home at once, as a run would
 * strand it if no destructor round were left to send it. */
static __attribute__((noinline)) void pg_free_foreign_first(pg_segment_t *seg, pg_page_t *page, void *p) {
    int saved = errno;
    pg_heap_t *heap = pg_tl_exited ? NULL : pg_heap_init_thread();
    errno = saved;
    if (heap == NULL) {
#if PG_SECURE
        pg_secure_tag_remote(p);
#endif
        pg_remote_push(page, p, p, 1);
        return;
    }
    pg_foreign_restart(heap, page, seg->page_cls[page - seg->pages], p);
}

/* free() of `p`, in `page` of `seg`, owned by another live thread (the
 * hardened build checks that it starts a carved block): into this
 * thread's run for the class, without reading the page's line. A
 * block of another page than the run's, or a full run, sends the run home
 * first. Out of line, so free's own fast path saves no registers, and its
 * own slow paths (a new run, a thread's first free) out of line in turn,
 * so that adding a block to a run saves none either: it saved five and
 * moved the stack pointer, and without that `xmalloc` ran 1.050x
 * (1.03-1.09, 101 paired rounds, Zen 3; the hardened build 1.058x).
 * Presumably the saves were stores queued behind the block's missing
 * line, so fewer frees' misses were in flight at once. */
void pg_free_foreign(pg_segment_t *seg, pg_page_t *page, void *p) {
#if PG_SECURE
    pg_secure_check_foreign(seg, (size_t)(page - seg->pages), p);
#endif
    pg_heap_t *heap = pg_tl_heap;
    if (PG_UNLIKELY(heap == &pg_heap_empty)) {
        pg_free_foreign_first(seg, page, p);
        return;
    }
    size_t cls = seg->page_cls[page - seg->pages];
    pg_block_t *first = heap->foreign[cls].first;
    if (PG_UNLIKELY(first == NULL || (((uintptr_t)first ^ (uintptr_t)p) >> seg->page_shift) != 0 ||
                    heap->foreign_count[cls] == heap->foreign_max[cls])) {
        pg_foreign_restart(heap, page, cls, p);
        return;
    }
    pg_foreign_add(heap, page, cls, p, first);
}
