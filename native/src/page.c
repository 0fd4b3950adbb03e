/* Pages: the free lists of one size class, and the per-heap queues of pages.
 *
 * A page has three free lists so that the fast paths never contend:
 * `free` (malloc pops), `local_free` (the owner's free pushes) and
 * `thread_free` (other threads push atomically). The owner swaps the other two
 * into `free` only when `free` runs dry, which keeps malloc and free to a
 * handful of instructions each. */
#include "internal.h"

/* Carve at most this many bytes of fresh blocks at a time: untouched memory
 * stays untouched (no page faults, no RSS) until it is needed. */
#define PG_EXTEND_BYTES 4096UL

void pg_page_init(pg_page_t *page, size_t cls, size_t block_size) {
    pg_segment_t *seg = pg_page_segment(page);
    size_t idx = (size_t)(page - seg->pages);
    uint8_t *end = (uint8_t *)seg + ((idx + 1) << seg->page_shift);
    page->cls = (uint8_t)cls;
    page->block_size = (uint32_t)block_size;
    page->in_use = true;
    page->has_aligned = false;
    page->free = NULL;
    page->local_free = NULL;
    atomic_store_explicit(&page->thread_free, NULL, memory_order_relaxed);
    page->used = 0;
    page->capacity = 0;
    page->reserved = (uint16_t)((size_t)(end - page->start) / block_size);
    page->next = page->prev = NULL;
    pg_assert(block_size >= PG_ALIGN && block_size % PG_ALIGN == 0);
    pg_assert(page->reserved > 0 && page->start >= (uint8_t *)(seg + 1));
}

/* Link the next run of never-used blocks into `free`, in address order. */
void pg_page_extend(pg_page_t *page) {
    size_t bs = page->block_size;
    size_t n = PG_EXTEND_BYTES / bs;
    if (n < 1) n = 1;
    pg_assert(page->capacity < page->reserved);
    size_t left = (size_t)page->reserved - page->capacity;
    if (n > left) n = left;
    uint8_t *first = page->start + (size_t)page->capacity * bs;
    uint8_t *p = first;
    for (size_t i = 1; i < n; i++, p += bs) ((pg_block_t *)p)->next = (pg_block_t *)(p + bs);
    ((pg_block_t *)p)->next = page->free;
    page->free = (pg_block_t *)first;
    page->capacity += (uint16_t)n;
}

/* Prepend the frees other threads made to `free` and account for them. */
static void pg_page_collect_remote(pg_page_t *page) {
    if (atomic_load_explicit(&page->thread_free, memory_order_relaxed) == NULL) return;
    pg_block_t *head = atomic_exchange_explicit(&page->thread_free, NULL, memory_order_acquire);
    uint16_t n = 1;
    pg_block_t *tail = head;
    while (tail->next != NULL) {
        tail = tail->next;
        n++;
    }
    pg_assert(page->used >= n); /* more remote frees than blocks out: a double free */
    tail->next = page->free;
    page->free = head;
    page->used -= n;
}

/* Refill an empty `free` list from the other two lists. */
void pg_page_collect(pg_page_t *page) {
    if (page->local_free != NULL) {
        page->free = page->local_free;
        page->local_free = NULL;
    }
    pg_page_collect_remote(page);
}

/* Merge every list into `free`, whatever it holds (thread exit, reclaim). */
void pg_page_collect_all(pg_page_t *page) {
    if (page->local_free != NULL) {
        pg_block_t *tail = page->local_free;
        while (tail->next != NULL) tail = tail->next;
        tail->next = page->free;
        page->free = page->local_free;
        page->local_free = NULL;
    }
    pg_page_collect_remote(page);
}

#if PG_DEBUG
/* Blocks on a list of `page`, each a block of the page; a list longer than
 * the page's capacity has a cycle (a double free). */
static size_t pg_list_check(const pg_page_t *page, const pg_block_t *b) {
    size_t n = 0;
    for (; b != NULL; b = b->next) {
        pg_assert(pg_page_is_block(page, b));
        pg_assert(++n <= page->capacity);
    }
    return n;
}

/* The owner's invariant: every carved block is out (`used`) or on one of the
 * owner's lists, except those on `thread_free`, which `used` still counts. */
void pg_page_check(const pg_page_t *page) {
    pg_assert(page->in_use && page->capacity <= page->reserved && page->used <= page->capacity);
    size_t listed = pg_list_check(page, page->free) + pg_list_check(page, page->local_free);
    pg_assert(listed + page->used == page->capacity);
}
#endif

uint8_t *pg_page_block_start(const pg_page_t *page, const void *p) {
    size_t off = (size_t)((const uint8_t *)p - page->start);
    return page->start + off - off % page->block_size;
}

static void pg_queue_sync(pg_heap_t *heap, size_t cls) {
    pg_page_t *first = heap->queues[cls].first;
    heap->pages[cls] = first ? first : &pg_page_empty;
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
