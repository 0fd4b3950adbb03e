/* Pages: the free lists of one size class, and the per-heap queues of pages.
 *
 * A page has two free lists so that the fast paths never contend: `free`,
 * which the owner's malloc pops and the owner's free pushes (last in, first
 * out: the block reused next is the one whose lines are still in cache), and
 * its remote list (pg_remote_t, in the segment header), which other threads
 * push atomically. The owner takes the remote list over only when `free`
 * runs dry. */
#include "size_class.h"

/* Carve at most this many bytes of fresh blocks at a time: untouched memory
 * stays untouched (no page faults, no RSS) until it is needed. */
#define PG_EXTEND_BYTES 4096UL
/* ...but at least this many blocks, so a page of big blocks does not send
 * every malloc down the slow path while it fills (mimalloc's MI_MIN_EXTEND). */
#define PG_EXTEND_MIN 4

void pg_page_init(pg_page_t *page, pg_heap_t *heap, size_t cls, size_t block_size) {
    pg_segment_t *seg = pg_page_segment(page);
    size_t idx = (size_t)(page - seg->pages), region = pg_page_region(page);
    size_t end = (region + 1) << seg->page_shift;
    if (region + 1 == seg->page_count) end -= PG_SEGMENT_TAIL;
    page->cls = (uint8_t)cls;
    seg->page_cls[idx] = (uint8_t)cls;
    page->block_size = (uint32_t)block_size;
    page->in_use = true;
    page->has_aligned = false;
    page->free = NULL;
    pg_remote_t *remote = pg_page_remote(page);
    atomic_store_explicit(&remote->list, 0, memory_order_relaxed);
    page->used = 0;
    page->capacity = 0;
    page->reserved = (uint16_t)((end - page->start_off) / block_size);
    page->key = PG_SECURE ? pg_secure_page_key(page) : 0;
#if PG_SECURE
    seg->page_key[idx] = page->key;
    page->div_magic = seg->page_magic[idx] = pg_div_magic((uint32_t)block_size);
    __atomic_store_n(&seg->carved_end[idx], page->start_off, __ATOMIC_RELAXED);
    pg_secure_remote_clear(page);
#endif
    page->next = page->prev = NULL;
    pg_page_set_fast(page, heap->tid);
    pg_assert(block_size >= PG_ALIGN && block_size % PG_ALIGN == 0);
    pg_assert(page->reserved > 0 && page->start_off >= sizeof *seg);
}

/* Link the next run of never-used blocks into `free`, in address order. */
void pg_page_extend(pg_page_t *page) {
    size_t bs = page->block_size;
    size_t n = PG_EXTEND_BYTES / bs;
    if (n < PG_EXTEND_MIN) n = PG_EXTEND_MIN;
    pg_assert(page->capacity < page->reserved);
    size_t left = (size_t)page->reserved - page->capacity;
    if (n > left) n = left;
    uint8_t *first = pg_page_start(page) + (size_t)page->capacity * bs;
    uint8_t *p = first;
    for (size_t i = 1; i < n; i++, p += bs) pg_block_set_next(page, (pg_block_t *)p, (pg_block_t *)(p + bs));
    pg_block_set_next(page, (pg_block_t *)p, page->free);
#if PG_SECURE
    for (uint8_t *b = first; b <= p; b += bs) pg_freemap_set(b, true);
#endif
    page->free = (pg_block_t *)first;
    page->capacity += (uint16_t)n;
    pg_segment_t *seg = pg_page_segment(page);
    pg_segment_touch(seg, (size_t)(first - (uint8_t *)seg), (size_t)(p + bs - (uint8_t *)seg));
#if PG_SECURE
    __atomic_store_n(&seg->carved_end[page - seg->pages], page->start_off + page->capacity * (uint32_t)bs,
                     __ATOMIC_RELAXED);
#endif
}

/* Take the frees other threads made over and account for them: the list
 * and its count come in one exchange. When `free` is empty, as it is on
 * malloc's slow path, the list becomes `free` without a walk: the walk was a
 * cache miss per block, each block last written by another core
 * (`xmalloc`: 44 % of the run's samples, perf record -e cpu-clock; the
 * hardened build, which walked to mark its free map, 38 % of `xthread`'s).
 * The hardened build marks the blocks from the remote map instead. */
void pg_page_collect(pg_page_t *page) {
    pg_remote_t *remote = pg_page_remote(page);
    if (atomic_load_explicit(&remote->list, memory_order_relaxed) == 0) return;
    uintptr_t list = atomic_exchange_explicit(&remote->list, 0, memory_order_acquire);
#if PG_SECURE
    pg_secure_remote_take(page);
#endif
    pg_block_t *head = pg_remote_head(list);
    uint32_t n = pg_remote_count(list);
    pg_assert(head != NULL && n > 0);
    if (page->free != NULL) { /* thread exit or reclaim: splice */
        pg_block_t *tail = head, *next;
        for (size_t i = 1; (next = pg_block_next(page, tail)) != NULL; i++) {
            if (PG_SECURE && PG_UNLIKELY(i == page->capacity)) pg_secure_fail("corrupted remote list at", tail);
            tail = next;
        }
        pg_block_set_next(page, tail, page->free);
    }
    page->free = head;
    if (PG_SECURE && PG_UNLIKELY(n > page->used)) pg_secure_fail("double free (more frees than blocks out) in the page of", head);
    pg_assert(page->used >= n);
    page->used -= (uint16_t)n;
}

#if PG_DEBUG
/* Blocks on a list of `page`, each a block of the page; a list longer than
 * the page's capacity has a cycle (a double free). */
static size_t pg_list_check(const pg_page_t *page, const pg_block_t *b) {
    size_t n = 0;
    for (; b != NULL; b = pg_block_next(page, b)) {
        pg_assert(pg_page_is_block(page, b));
        pg_assert(++n <= page->capacity);
    }
    return n;
}

/* The owner's invariant: every carved block is on `free` or counted in
 * `used` (out, in another thread's run, or on the remote list). */
void pg_page_check(const pg_page_t *page) {
    pg_assert(page->in_use && page->capacity <= page->reserved);
    pg_assert(pg_list_check(page, page->free) + page->used == page->capacity);
}
#endif

uint8_t *pg_page_block_start(const pg_page_t *page, const void *p) {
    uint8_t *start = pg_page_start(page);
    size_t off = (size_t)((const uint8_t *)p - start);
    return start + off - off % page->block_size;
}

/* Point pages[cls] and the direct slots of its sizes at the queue's head. */
static void pg_queue_sync(pg_heap_t *heap, size_t cls) {
    pg_page_t *first = heap->queues[cls].first;
    if (first == NULL) first = &pg_page_empty;
    heap->pages[cls] = first;
    size_t size = pg_class_size(cls);
    if (size > PG_DIRECT_MAX) return;
    /* Class 0 is malloc(0)'s alone; class c > 0 serves sizes above class c - 1's. */
    size_t lo = cls <= 1 ? cls : (pg_class_size(cls - 1) >> 4) + 1;
    size_t hi = cls == 0 ? 0 : size >> 4;
    for (size_t i = lo; i <= hi; i++) heap->direct[i] = first;
}

void pg_queue_push_front(pg_heap_t *heap, size_t cls, pg_page_t *page) {
    pg_assert(page->in_use && page->cls == cls && page->next == NULL && page->prev == NULL);
    pg_queue_t *q = &heap->queues[cls];
    page->prev = NULL;
    page->next = q->first;
    if (q->first) q->first->prev = page;
    else q->last = page;
    q->first = page;
    pg_queue_sync(heap, cls);
}

void pg_queue_push_back(pg_heap_t *heap, size_t cls, pg_page_t *page) {
    pg_assert(page->in_use && page->cls == cls && page->next == NULL && page->prev == NULL);
    pg_queue_t *q = &heap->queues[cls];
    page->next = NULL;
    page->prev = q->last;
    if (q->last) q->last->next = page;
    else q->first = page;
    q->last = page;
    pg_queue_sync(heap, cls);
}

void pg_queue_remove(pg_heap_t *heap, size_t cls, pg_page_t *page) {
    pg_queue_t *q = &heap->queues[cls];
    pg_assert(page->cls == cls && (page->prev != NULL || q->first == page) && (page->next != NULL || q->last == page));
    if (page->prev) page->prev->next = page->next;
    else q->first = page->next;
    if (page->next) page->next->prev = page->prev;
    else q->last = page->prev;
    page->next = page->prev = NULL;
    pg_queue_sync(heap, cls);
}
