/* Heaps: one per thread, holding a queue of pages per size class.
 * This file is the slow path of malloc (find or make a page with a free
 * block), the retirement of empty pages, the remote-free path, and the
 * thread life cycle (create on first malloc, tear down at thread exit
 * through a pthread key). */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "foreign.h"
#include "size_class.h"

pg_page_t pg_page_empty;
pg_heap_t pg_heap_empty = {.direct = {[0 ... PG_DIRECT_SLOTS - 1] = &pg_page_empty},
                            .pages = {[0 ... PG_CLASSES - 1] = &pg_page_empty}};
__thread pg_heap_t *pg_tl_heap __attribute__((tls_model("initial-exec"))) = &pg_heap_empty;
__thread bool pg_tl_exited __attribute__((tls_model("initial-exec")));

/* How many full pages one search may step over before taking a fresh page.
 * Full pages move to the back of the queue; pages other threads have sent
 * blocks home to since are brought to the front by a sweep first
 * (pg_heap_sweep). Before the sweep this bound decided `xthread`'s peak
 * RSS (8: 13.5 MiB, 16: 12.9, mimalloc 12.9; 32 and 64 the same as 16). */
#define PG_MAX_SCAN 16
#define PG_HEAP_CHUNK (64UL << 10)
/* Heaps lie side by side in a chunk: each must start a line, or a line
 * other threads write (remote_hint) is one a neighbour's malloc reads. */
_Static_assert(sizeof(pg_heap_t) % 64 == 0, "a heap is a whole number of cache lines");

static pg_lock_t pg_heap_lock = PG_LOCK_INIT;
static pg_heap_t *pg_heap_pool;

/* Thread exit runs pg_heap_destroy through this key. Threads that allocate
 * before the library constructor runs get registered once it exists. */
static pthread_key_t pg_heap_key;
static bool pg_key_ready;

static void pg_heap_destroy(void *heap);

static void pg_heap_register(pg_heap_t *heap) {
    if (pg_key_ready) pthread_setspecific(pg_heap_key, heap);
}

void pg_heap_process_init(void) {
    if (pthread_key_create(&pg_heap_key, pg_heap_destroy) == 0) pg_key_ready = true;
    if (pg_tl_heap != &pg_heap_empty) pg_heap_register(pg_tl_heap);
}

/* Point every size at the shared empty page: the fast path's miss. */
static void pg_heap_clear_pages(pg_heap_t *heap) {
    for (size_t i = 0; i < PG_DIRECT_SLOTS; i++) heap->direct[i] = &pg_page_empty;
    for (size_t c = 0; c < PG_CLASSES; c++) heap->pages[c] = &pg_page_empty;
}

static pg_heap_t *pg_heap_new(void) {
    pg_lock(&pg_heap_lock);
    pg_heap_t *heap = pg_heap_pool;
    if (heap) pg_heap_pool = heap->next_free;
    pg_unlock(&pg_heap_lock);
    if (heap == NULL) {
        pg_heap_t *chunk = pg_os_alloc_aligned(PG_HEAP_CHUNK, PG_OS_PAGE);
        if (chunk == NULL) return NULL;
        size_t n = PG_HEAP_CHUNK / sizeof(pg_heap_t);
        pg_lock(&pg_heap_lock);
        for (size_t i = 1; i < n; i++) {
            chunk[i].next_free = pg_heap_pool;
            pg_heap_pool = &chunk[i];
        }
        pg_unlock(&pg_heap_lock);
        heap = &chunk[0];
    }
    memset(heap, 0, sizeof *heap);
    pg_heap_clear_pages(heap);
    for (size_t c = 0; c < PG_CLASSES; c++) heap->foreign_max[c] = pg_foreign_run_max(c);
    return heap;
}

/* A thread's heap. After its heap was torn down (the thread is exiting: a
 * later destructor, or glibc's own cleanup, allocates), a new heap claims
 * no fast path (tid 0): if no destructor round is left to tear it down, a
 * later thread at the same thread pointer must not take its pages for its
 * own and retire them into its heap (an assertion in the debug build,
 * silent corruption of the shared empty heap in the release build). */
pg_heap_t *pg_heap_init_thread(void) {
    pg_heap_t *heap = pg_heap_new();
    if (heap == NULL) return NULL;
    heap->tid = pg_tl_exited ? 0 : pg_thread_id();
    pg_tl_heap = heap;
    pg_heap_register(heap);
    return heap;
}

/* Thread exit: give back empty pages, abandon segments with live blocks. */
static void pg_heap_destroy(void *arg) {
    pg_heap_t *heap = arg;
    pg_assert(heap != &pg_heap_empty);
    pg_tl_exited = true;
    pg_foreign_flush_all(heap);
    for (size_t c = 0; c < PG_CLASSES; c++) {
        pg_page_t *page = heap->queues[c].first;
        while (page != NULL) {
            pg_page_t *next = page->next;
            pg_page_collect(page);
            page->next = page->prev = NULL;
            if (page->used == 0) pg_segment_page_free(heap, page);
            page = next;
        }
        heap->queues[c].first = heap->queues[c].last = NULL;
    }
    pg_heap_clear_pages(heap);
    pg_segment_abandon_all(heap);
    if (pg_tl_heap == heap) pg_tl_heap = &pg_heap_empty;
    pg_lock(&pg_heap_lock);
    heap->next_free = pg_heap_pool;
    pg_heap_pool = heap;
    pg_unlock(&pg_heap_lock);
}

static pg_page_t *pg_page_fresh(pg_heap_t *heap, size_t cls) {
    pg_page_t *page = pg_segment_page_alloc(heap, pg_class_kind(cls));
    if (page == NULL) return NULL;
    pg_page_init(page, heap, cls, pg_class_size(cls));
    pg_page_extend(page);
    pg_queue_push_front(heap, cls, page);
    return page;
}

/* pg_heap_sweep's work in one segment of `heap`'s, if hinted: true if a
 * page moved. */
static bool pg_segment_sweep(pg_heap_t *heap, pg_segment_t *seg) {
    if (!atomic_load_explicit(&seg->remote_hint, memory_order_relaxed)) return false;
    atomic_store_explicit(&seg->remote_hint, false, memory_order_relaxed);
    bool moved = false;
    for (uint32_t i = seg->page_turn; i < seg->page_turn + seg->page_count; i++) {
        if (atomic_load_explicit(&seg->remote[i].list, memory_order_relaxed) == 0) continue;
        pg_page_t *page = &seg->pages[i];
        if (!page->in_use || page->free != NULL || heap->queues[page->cls].first == page) continue;
        pg_queue_remove(heap, page->cls, page);
        pg_queue_push_front(heap, page->cls, page);
        moved = true;
    }
    return moved;
}

/* Move each page of `heap` that other threads have sent blocks home to, and
 * that has none ready, to the front of its queue, where the next search
 * collects it. The search steps over at most PG_MAX_SCAN pages, rotating
 * the full ones to the back, so a page whose blocks came home late (a
 * consumer freeing what a producer made long before) waited for the
 * rotation to reach it while the producer took fresh pages: `xthread` with
 * 1 KiB blocks peaked at 26 MiB, mimalloc at 20 (which moves full pages
 * aside and has the first remote free of one tell its heap). A sweep reads
 * only the segments other threads have hinted at (foreign.c,
 * pg_remote_hint) and their remote words, four to a line, so a heap no
 * other thread frees into never pays for it. The hints are only hints: a
 * push whose hint the sweep cleared before the push landed waits for the
 * next hint or the rotation, as before; no block is ever lost by them. */
static bool pg_heap_sweep(pg_heap_t *heap) {
    if (!atomic_load_explicit(&heap->remote_hint, memory_order_relaxed)) return false;
    atomic_store_explicit(&heap->remote_hint, false, memory_order_relaxed);
    bool moved = false;
    for (int kind = 0; kind < 2; kind++) {
        for (pg_segment_t *seg = heap->avail[kind]; seg != NULL; seg = seg->next) moved |= pg_segment_sweep(heap, seg);
        for (pg_segment_t *seg = heap->full[kind]; seg != NULL; seg = seg->next) moved |= pg_segment_sweep(heap, seg);
    }
    return moved;
}

/* A page of class `cls` with a free block among the first PG_MAX_SCAN of
 * its queue, moved to the front; NULL if none. */
static pg_page_t *pg_queue_search(pg_heap_t *heap, size_t cls) {
    pg_page_t *page = heap->queues[cls].first;
    for (int i = 0; page != NULL && i < PG_MAX_SCAN; i++) {
        pg_page_t *next = page->next;
        pg_assert(page->cls == cls);
        pg_page_check(page);
        if (page->free == NULL) pg_page_collect(page);
        if (page->free == NULL && page->capacity < page->reserved) pg_page_extend(page);
        if (page->free != NULL) {
            if (page != heap->queues[cls].first) {
                pg_queue_remove(heap, cls, page);
                pg_queue_push_front(heap, cls, page);
            }
            return page;
        }
        if (page != heap->queues[cls].last) {
            pg_queue_remove(heap, cls, page);
            pg_queue_push_back(heap, cls, page);
        }
        page = next;
    }
    return NULL;
}

/* A page of class `cls` with a free block, at the front of its queue: one
 * the queue has, one other threads sent blocks to, one of an exited
 * thread's segment, or a fresh one. A heap that needs a segment reclaims
 * abandoned ones here, the only place (pg_segment_reclaim adopts their
 * pages into its queues), and looks at its queue after each, before it
 * takes a fresh page: until 2026-11-24 the segment code reclaimed them and took
 * a fresh page of the first segment it reclaimed, leaving the adopted
 * pages' holes for later, and memory grew with every generation of
 * threads (`larson`: peak RSS 0.925x the library before, 0.939x and
 * 0.927x mimalloc's, where it was 1.032x and 1.037x; 41 interleaved runs
 * each). */
static pg_page_t *pg_find_page(pg_heap_t *heap, size_t cls) {
    pg_page_t *page = pg_queue_search(heap, cls);
    if (page == NULL && pg_heap_sweep(heap)) page = pg_queue_search(heap, cls);
    pg_kind_t kind = pg_class_kind(cls);
    while (page == NULL && heap->avail[kind] == NULL && pg_segment_reclaim(heap)) page = pg_queue_search(heap, cls);
    return page != NULL ? page : pg_page_fresh(heap, cls);
}

void *pg_malloc_generic(pg_heap_t *heap, size_t size) {
    if (PG_UNLIKELY(heap == &pg_heap_empty)) {
        heap = pg_heap_init_thread();
        if (heap == NULL) {
            errno = ENOMEM;
            return NULL;
        }
    }
    pg_assert(size <= PG_MEDIUM_MAX);
    size_t cls = pg_size_class(size);
    pg_page_t *page = pg_find_page(heap, cls);
    if (page == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    pg_assert(page->cls == cls && page->block_size >= size && heap->pages[cls] == page);
    return pg_page_take(page);
}

/* The owner freed the last block of `page`. Keep it if it is the only page
 * of its class (the size is likely to come back soon), otherwise hand it
 * back to its segment. */
void pg_page_retire(pg_heap_t *heap, pg_page_t *page) {
    pg_assert(page->used == 0);
    pg_page_check(page);
    pg_queue_t *q = &heap->queues[page->cls];
    if (q->first == page && q->last == page) return;
    pg_queue_remove(heap, page->cls, page);
    pg_segment_page_free(heap, page);
}

/* Free of a huge block, of an interior (aligned) pointer, or from a thread
 * that does not own the block's page; the hardened build checks it first. */
void pg_free_generic(pg_segment_t *seg, void *p) {
#if PG_SECURE
    pg_secure_check_free(seg, p);
#endif
    if (seg->kind == PG_KIND_HUGE) {
        pg_huge_free(seg);
        return;
    }
    pg_page_t *page = pg_segment_page_of(seg, p);
    pg_block_t *block = page->has_aligned ? (pg_block_t *)pg_page_block_start(page, p) : p;
    pg_assert(pg_page_is_block(page, block));
    pg_heap_t *heap = pg_tl_heap;
    if (atomic_load_explicit(&seg->heap, memory_order_relaxed) == heap) {
        pg_free_local(page, block);
    } else {
#if PG_SECURE
        pg_secure_tag_remote(block);
#endif
        pg_remote_push(page, block, block, 1);
    }
}

void pg_heap_atfork_prepare(void) { pg_lock(&pg_heap_lock); }
void pg_heap_atfork_parent(void) { pg_unlock(&pg_heap_lock); }
void pg_heap_atfork_child(void) { pg_lock_reset(&pg_heap_lock); }
