/* Segments: 4 MiB aligned spans of pages owned by one heap.
 *
 * A heap keeps its segments on two lists per kind: `avail` (has a free page)
 * and `full`. A segment whose last page is freed goes to a process-wide
 * cache, so a program that frees everything and allocates again (a burst)
 * reuses mappings instead of calling mmap/munmap each round. Cached segments
 * are returned to the OS lazily: with madvise once they have sat unused for
 * PG_PURGE_DELAY_NS, with munmap beyond PG_CACHE_RESIDENT bytes of memory
 * they may hold resident, or PG_CACHE_MAX segments.
 * When a thread exits, its segments that still hold live blocks are
 * abandoned; the next heap that needs a segment reclaims them. */
#include <string.h>

#include "inject.h"
#include "internal.h"

/* The cache holds at most what 16 whole segments would (as it did when it
 * was bounded by 16 segments), but counts what a segment's pages carved
 * into, not the segment: the segments threads leave behind are mostly
 * untouched (`mstress`: 233 MB mapped at most, 20 MiB resident), and
 * bounded by number the cache unmapped them for the next threads to map
 * and fault in again. jemalloc bounds its dirty pages the same way, by
 * bytes (opt.dirty_decay_ms). */
#define PG_CACHE_RESIDENT (16 * PG_SEGMENT_SIZE)
#define PG_CACHE_MAX 64
#define PG_PURGE_DELAY_NS (100u * 1000u * 1000u)

static pg_lock_t pg_cache_lock = PG_LOCK_INIT;
static pg_segment_t *pg_cache_first, *pg_cache_last; /* newest first */
static size_t pg_cache_count;
static size_t pg_cache_pages; /* OS pages the cached segments may hold resident */

static pg_lock_t pg_abandoned_lock = PG_LOCK_INIT;
static pg_segment_t *pg_abandoned;


static void pg_list_push(pg_segment_t **head, pg_segment_t *seg) {
    seg->prev = NULL;
    seg->next = *head;
    if (*head) (*head)->prev = seg;
    *head = seg;
}

static void pg_list_remove(pg_segment_t **head, pg_segment_t *seg) {
    if (seg->prev) seg->prev->next = seg->next;
    else *head = seg->next;
    if (seg->next) seg->next->prev = seg->prev;
    seg->next = seg->prev = NULL;
}

/* A segment's page accounting: `used_pages` counts the pages in use. */
static void pg_segment_check(const pg_segment_t *seg) {
#if PG_DEBUG
    pg_assert(((uintptr_t)seg & PG_SEGMENT_MASK) == 0 && seg->kind != PG_KIND_HUGE);
    uint32_t used = 0;
    for (uint32_t i = 0; i < seg->page_count; i++) used += pg_segment_page(seg, i)->in_use;
    pg_assert(used == seg->used_pages && used <= seg->page_count);
#else
    (void)seg;
#endif
}

static void pg_segment_init(pg_segment_t *seg, pg_heap_t *heap, pg_kind_t kind) {
    pg_assert(((uintptr_t)seg & PG_SEGMENT_MASK) == 0 && kind != PG_KIND_HUGE);
    seg->kind = kind;
    seg->page_shift = kind == PG_KIND_SMALL ? PG_SMALL_PAGE_SHIFT : PG_MEDIUM_PAGE_SHIFT;
    seg->page_count = (uint32_t)(PG_SEGMENT_SIZE >> seg->page_shift);
    seg->page_turn = pg_segment_turn(seg, kind);
    pg_segment_set_slices(seg);
    seg->used_pages = 0;
    seg->size = PG_SEGMENT_SIZE;
    for (uint32_t i = seg->page_turn; i < seg->page_turn + seg->page_count; i++) {
        pg_page_t *page = &seg->pages[i];
        page->in_use = false;
        page->cls = 0;
        page->start_off = pg_page_first_off(seg, i);
        pg_page_set_fast(page, 0);
    }
    atomic_store_explicit(&seg->heap, heap, memory_order_release);
}

/* ---- the cache of empty segments ---- */

/* Record that bytes [from, to) of `seg` (offsets) were carved into: each
 * slice they cross keeps how far from its start they reach, in OS pages. */
void pg_segment_touch(pg_segment_t *seg, size_t from, size_t to) {
    pg_assert(from < to && to <= PG_SEGMENT_SIZE);
    for (size_t s = from >> PG_SLICE_SHIFT; s <= (to - 1) >> PG_SLICE_SHIFT; s++) {
        size_t end = to - (s << PG_SLICE_SHIFT);
        if (end > ((size_t)1 << PG_SLICE_SHIFT)) end = (size_t)1 << PG_SLICE_SHIFT;
        uint8_t pages = (uint8_t)((end + PG_OS_PAGE - 1) / PG_OS_PAGE);
        if (pages > seg->touched[s]) seg->touched[s] = pages;
    }
}

/* The OS pages `seg`'s pages have carved into (pg_segment_touch). */
static size_t pg_segment_touched(const pg_segment_t *seg) {
    size_t n = 0;
    for (size_t s = 0; s < PG_SLICES; s++) n += seg->touched[s];
    return n;
}

/* The OS pages a cached segment may hold resident: its header's (never
 * purged), the hardened build's remote map's (which other threads' frees
 * write), and what its pages carved into. */
static size_t pg_cache_cost(const pg_segment_t *seg) {
    return (pg_align_up(PG_SEGMENT_HEADER, PG_OS_PAGE) + PG_REMOTEMAP_BYTES) / PG_OS_PAGE + pg_segment_touched(seg);
}

/* Called with the cache lock held: purge what has idled long enough, unmap
 * what exceeds the bounds. Oldest entries are at the tail. */
static void pg_cache_trim(uint64_t now) {
    size_t header = pg_align_up(PG_SEGMENT_HEADER, PG_OS_PAGE);
    for (pg_segment_t *s = pg_cache_last; s != NULL; s = s->prev) {
        if (now - s->cached_ns < PG_PURGE_DELAY_NS) break;
        if (!s->purged) {
            pg_os_purge((uint8_t *)s + header, PG_SEGMENT_SIZE - header - PG_GUARD_SIZE);
            s->purged = true;
            pg_cache_pages -= pg_segment_touched(s);
            memset(s->touched, 0, sizeof s->touched);
        }
    }
    while (pg_cache_count > PG_CACHE_MAX || pg_cache_pages > PG_CACHE_RESIDENT / PG_OS_PAGE) {
        pg_segment_t *s = pg_cache_last;
        pg_cache_last = s->prev;
        if (pg_cache_last != NULL) pg_cache_last->next = NULL;
        else pg_cache_first = NULL;
        pg_cache_count--;
        pg_cache_pages -= pg_cache_cost(s);
        pg_os_segment_free(s, PG_SEGMENT_SIZE);
    }
}

static void pg_cache_put(pg_segment_t *seg) {
    pg_assert(seg->used_pages == 0);
    pg_inject_segments(-1);
    uint64_t now = pg_os_now_ns();
    atomic_store_explicit(&seg->heap, NULL, memory_order_relaxed);
    seg->cached_ns = now;
    seg->purged = false;
    pg_lock(&pg_cache_lock);
    seg->prev = NULL;
    seg->next = pg_cache_first;
    if (pg_cache_first) pg_cache_first->prev = seg;
    else pg_cache_last = seg;
    pg_cache_first = seg;
    pg_cache_count++;
    pg_cache_pages += pg_cache_cost(seg);
    pg_cache_trim(now);
    pg_unlock(&pg_cache_lock);
}

static pg_segment_t *pg_cache_take(void) {
    pg_lock(&pg_cache_lock);
    pg_segment_t *seg = pg_cache_first;
    if (seg) {
        pg_cache_first = seg->next;
        if (pg_cache_first) pg_cache_first->prev = NULL;
        else pg_cache_last = NULL;
        pg_cache_count--;
        pg_cache_pages -= pg_cache_cost(seg);
        pg_cache_trim(pg_os_now_ns());
    }
    pg_unlock(&pg_cache_lock);
    return seg;
}

/* ---- abandon and reclaim ---- */

void pg_segment_abandon_all(pg_heap_t *heap) {
    for (int kind = 0; kind < 2; kind++) {
        pg_segment_t **lists[2] = {&heap->avail[kind], &heap->full[kind]};
        for (int l = 0; l < 2; l++) {
            while (*lists[l] != NULL) {
                pg_segment_t *seg = *lists[l];
                pg_list_remove(lists[l], seg);
                for (uint32_t i = 0; i < seg->page_count; i++)
                    pg_page_set_fast(pg_segment_page(seg, i), 0);
                /* Release: other threads that see heap == NULL must also see
                 * every write this thread made to the pages. */
                atomic_store_explicit(&seg->heap, NULL, memory_order_release);
                pg_lock(&pg_abandoned_lock);
                pg_list_push(&pg_abandoned, seg);
                pg_unlock(&pg_abandoned_lock);
            }
        }
    }
}

static void pg_segment_adopt_pages(pg_heap_t *heap, pg_segment_t *seg) {
    for (uint32_t i = 0; i < seg->page_count; i++) {
        pg_page_t *page = pg_segment_page(seg, i);
        if (!page->in_use) continue;
        pg_page_collect(page);
        if (page->used == 0) {
            page->in_use = false;
            page->cls = 0;
            seg->used_pages--;
        } else {
            if (!page->has_aligned) pg_page_set_fast(page, heap->tid);
            pg_queue_push_back(heap, page->cls, page);
        }
    }
}

/* Take over one abandoned segment, its pages with blocks joining `heap`'s
 * queues; false when there is none. */
bool pg_segment_reclaim(pg_heap_t *heap) {
    pg_lock(&pg_abandoned_lock);
    pg_segment_t *seg = pg_abandoned;
    if (seg) pg_list_remove(&pg_abandoned, seg);
    pg_unlock(&pg_abandoned_lock);
    if (seg == NULL) return false;
    /* Acquire pairs with the release in abandon: the old owner's page writes
     * are visible before we read them. */
    atomic_thread_fence(memory_order_acquire);
    atomic_store_explicit(&seg->heap, heap, memory_order_relaxed);
    pg_segment_adopt_pages(heap, seg);
    if (seg->used_pages == 0) pg_cache_put(seg);
    else if (seg->used_pages == seg->page_count) pg_list_push(&heap->full[seg->kind], seg);
    else pg_list_push(&heap->avail[seg->kind], seg);
    return true;
}

/* A new segment of `kind`: cached, or mapped. The heap has reclaimed the
 * abandoned ones already (pg_find_page, heap.c). */
static pg_segment_t *pg_segment_acquire(pg_heap_t *heap, pg_kind_t kind) {
    pg_segment_t *seg = pg_cache_take();
    if (seg == NULL) seg = pg_os_segment_alloc(PG_SEGMENT_SIZE);
    if (seg == NULL) return NULL;
    pg_inject_segments(+1);
    pg_segment_init(seg, heap, kind);
    pg_list_push(&heap->avail[kind], seg);
    return seg;
}

/* ---- pages ---- */

pg_page_t *pg_segment_page_alloc(pg_heap_t *heap, pg_kind_t kind) {
    pg_segment_t *seg = heap->avail[kind];
    if (seg == NULL) seg = pg_segment_acquire(heap, kind);
    if (seg == NULL) return NULL;
    pg_assert(seg->kind == kind && atomic_load_explicit(&seg->heap, memory_order_relaxed) == heap);
    pg_assert(seg->used_pages < seg->page_count);
    pg_segment_check(seg);
    pg_page_t *page = pg_segment_page(seg, 0);
    while (page->in_use) page++;
    page->in_use = true;
    if (++seg->used_pages == seg->page_count) {
        pg_list_remove(&heap->avail[kind], seg);
        pg_list_push(&heap->full[kind], seg);
    }
    return page;
}

void pg_segment_page_free(pg_heap_t *heap, pg_page_t *page) {
    pg_segment_t *seg = pg_page_segment(page);
    pg_assert(page->in_use && atomic_load_explicit(&seg->heap, memory_order_relaxed) == heap);
    pg_segment_check(seg);
    page->in_use = false;
    page->cls = 0;
    pg_page_set_fast(page, 0);
    if (seg->used_pages-- == seg->page_count) {
        pg_list_remove(&heap->full[seg->kind], seg);
        pg_list_push(&heap->avail[seg->kind], seg);
    }
    if (seg->used_pages == 0) {
        pg_list_remove(&heap->avail[seg->kind], seg);
        pg_cache_put(seg);
    }
}

/* ---- fork: no other thread may hold a list lock while we are copied ---- */

void pg_segment_atfork_prepare(void) {
    pg_lock(&pg_cache_lock);
    pg_lock(&pg_abandoned_lock);
}

void pg_segment_atfork_parent(void) {
    pg_unlock(&pg_abandoned_lock);
    pg_unlock(&pg_cache_lock);
}

void pg_segment_atfork_child(void) {
    pg_lock_reset(&pg_abandoned_lock);
    pg_lock_reset(&pg_cache_lock);
}
