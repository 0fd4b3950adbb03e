/* pgalloc internals: the types every part of the allocator shares.
 *
 * Memory comes from the OS in 4 MiB segments aligned to 4 MiB, so the
 * segment that owns any pointer is `p & ~(SEGMENT_SIZE-1)`: free() finds its
 * metadata with one mask and one shift, no lookup table, no lock.
 *
 * A segment is cut into pages of one kind (64 KiB small pages or 512 KiB
 * medium pages); each page holds blocks of a single size class. A segment
 * belongs to one thread's heap: that thread allocates and frees in it without
 * atomics. Other threads push frees onto the page's atomic `thread_free` list,
 * which the owner collects when its local lists run dry.
 * Blocks above PG_MEDIUM_MAX get a "huge" segment of their own.
 */
#ifndef PG_INTERNAL_H
#define PG_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef PG_DEBUG
#define PG_DEBUG 0
#endif

#define PG_LIKELY(x) __builtin_expect(!!(x), 1)
#define PG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PG_HIDDEN __attribute__((visibility("hidden")))
#define PG_API __attribute__((visibility("default")))

#define PG_OS_PAGE 4096UL
#define PG_SEGMENT_SHIFT 22
#define PG_SEGMENT_SIZE (1UL << PG_SEGMENT_SHIFT)
#define PG_SEGMENT_MASK (PG_SEGMENT_SIZE - 1)
#define PG_SMALL_PAGE_SHIFT 16  /* 64 KiB pages: at least 8 blocks of 8 KiB */
#define PG_MEDIUM_PAGE_SHIFT 19 /* 512 KiB pages: at least 4 blocks of 128 KiB */
#define PG_MAX_PAGES (PG_SEGMENT_SIZE >> PG_SMALL_PAGE_SHIFT)

#define PG_SMALL_MAX 8192UL    /* largest block in a small page */
#define PG_MEDIUM_MAX 131072UL /* largest block in a medium page */
#define PG_ALIGN 16UL          /* every block is at least this aligned */
/* Largest alignment we can honour: an aligned pointer must stay in the first
 * segment-sized window of its mapping so the mask still finds the header. */
#define PG_MAX_ALIGN (PG_SEGMENT_SIZE / 2)

/* Size classes (size_class.h): 16-byte steps to 128 bytes, then four per doubling. */
#define PG_CLASS_LADDER_LAST 8 /* last class of the 16-byte ladder (128 bytes) */
#define PG_CLASSES 49         /* class 48 holds 128 KiB */

typedef struct pg_block_s {
    struct pg_block_s *next;
} pg_block_t;

typedef enum { PG_KIND_SMALL = 0, PG_KIND_MEDIUM = 1, PG_KIND_HUGE = 2 } pg_kind_t;

struct pg_heap_s;

typedef struct pg_page_s {
    pg_block_t *free;       /* blocks ready to hand out (owner only) */
    uint16_t used;          /* blocks out and not yet returned to the owner */
    uint16_t capacity;      /* blocks carved out of the page so far */
    uint16_t reserved;      /* blocks the page can hold (at most 64 KiB / 16) */
    uint8_t cls;            /* size class */
    bool in_use;            /* page is assigned to a size class */
    bool has_aligned;       /* interior pointers exist: free must find block start */
    uint32_t block_size;
    pg_block_t *local_free; /* owner's frees, swapped into `free` in bulk */
    _Atomic(pg_block_t *) thread_free; /* frees from other threads */
    uint8_t *start;         /* first block */
    struct pg_page_s *next; /* heap queue for this size class */
    struct pg_page_s *prev;
} pg_page_t;

typedef struct pg_segment_s {
    _Atomic(struct pg_heap_s *) heap; /* owner; NULL when abandoned or huge */
    pg_kind_t kind;
    uint32_t page_shift;
    uint32_t page_count;
    uint32_t used_pages;
    size_t size;            /* bytes mapped */
    bool zeroed;            /* huge: mapping is fresh from the OS, still all zero */
    bool purged;            /* cached and returned to the OS with madvise */
    uint64_t cached_ns;     /* when it entered a cache */
    struct pg_segment_s *next; /* heap list, cache or abandoned list */
    struct pg_segment_s *prev;
    pg_page_t pages[];      /* small: PG_MAX_PAGES, medium: 8, huge: 1 */
} pg_segment_t;

typedef struct pg_queue_s {
    pg_page_t *first;
    pg_page_t *last;
} pg_queue_t;

typedef struct pg_heap_s {
    /* pages[c] is the first page of queue c, or the shared empty page, so the
     * fast path needs no NULL test. */
    pg_page_t *pages[PG_CLASSES];
    pg_queue_t queues[PG_CLASSES];
    pg_segment_t *avail[2]; /* owned segments with a free page, per kind */
    pg_segment_t *full[2];  /* owned segments with no free page, per kind */
    struct pg_heap_s *next_free;
} pg_heap_t;

/* ---- internal assertions (assert.c) ----
 * Invariants of pages, segments and free lists, checked in debug builds
 * (`make DEBUG=1`, like mimalloc's mi_assert_internal) and compiled out of
 * release builds, fast paths included. A failure prints the expression and
 * aborts. */
#if PG_DEBUG
PG_HIDDEN _Noreturn void pg_assert_fail(const char *expr, const char *file, int line, const char *func);
#define pg_assert(x) (PG_LIKELY(x) ? (void)0 : pg_assert_fail(#x, __FILE__, __LINE__, __func__))
#else
#define pg_assert(x) ((void)0)
#endif

/* ---- shared state ---- */
PG_HIDDEN extern pg_page_t pg_page_empty;
PG_HIDDEN extern pg_heap_t pg_heap_empty;
extern __thread pg_heap_t *pg_tl_heap __attribute__((tls_model("initial-exec")));

/* ---- pointer arithmetic ---- */
static inline pg_segment_t *pg_ptr_segment(const void *p) {
    return (pg_segment_t *)((uintptr_t)p & ~PG_SEGMENT_MASK);
}

static inline pg_page_t *pg_segment_page_of(pg_segment_t *seg, const void *p) {
    size_t idx = ((uintptr_t)p - (uintptr_t)seg) >> seg->page_shift;
    return &seg->pages[idx];
}

static inline pg_segment_t *pg_page_segment(const pg_page_t *page) {
    return pg_ptr_segment(page);
}

/* 64 bytes, so finding a page's metadata is a shift, not a multiply. */
_Static_assert(sizeof(pg_page_t) == 64, "page metadata should stay one cache line");

static inline size_t pg_align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* Whether `p` is the start of a block of `page` (a debug-build check). */
static inline bool pg_page_is_block(const pg_page_t *page, const void *p) {
    const uint8_t *b = p;
    return page->in_use && b >= page->start && b < page->start + (size_t)page->capacity * page->block_size &&
           (size_t)(b - page->start) % page->block_size == 0;
}

/* The owner's free: push on `local_free`; an emptied page is retired. */
PG_HIDDEN void pg_page_retire(pg_heap_t *heap, pg_page_t *page);
static inline void pg_free_local(pg_heap_t *heap, pg_page_t *page, pg_block_t *block) {
    pg_assert(pg_page_is_block(page, block));
    pg_assert(page->used > 0);
    block->next = page->local_free;
    page->local_free = block;
    if (PG_UNLIKELY(--page->used == 0)) pg_page_retire(heap, page);
}

/* ---- os.c ---- */
PG_HIDDEN void *pg_os_alloc_aligned(size_t size, size_t align);
PG_HIDDEN void pg_os_free(void *p, size_t size);
PG_HIDDEN void pg_os_purge(void *p, size_t size);
PG_HIDDEN void *pg_os_grow(void *p, size_t old_size, size_t new_size, size_t align);
PG_HIDDEN uint64_t pg_os_now_ns(void);

/* ---- stats.c ---- */
PG_HIDDEN void pg_stats_mmap(size_t bytes);
PG_HIDDEN void pg_stats_munmap(size_t bytes);
PG_HIDDEN void pg_stats_madvise(void);
PG_HIDDEN void pg_stats_mremap(int64_t delta);
PG_HIDDEN void pg_stats_init(void);

/* ---- lock.c: tiny spin locks for the cold global lists ---- */
typedef struct { atomic_flag flag; } pg_lock_t;
#define PG_LOCK_INIT {ATOMIC_FLAG_INIT}
PG_HIDDEN void pg_lock(pg_lock_t *l);
PG_HIDDEN void pg_unlock(pg_lock_t *l);
static inline void pg_lock_reset(pg_lock_t *l) { atomic_flag_clear(&l->flag); }

/* ---- page.c ---- */
PG_HIDDEN void pg_page_init(pg_page_t *page, size_t cls, size_t block_size);
PG_HIDDEN void pg_page_extend(pg_page_t *page);
PG_HIDDEN void pg_page_collect(pg_page_t *page);
PG_HIDDEN void pg_page_collect_all(pg_page_t *page);
PG_HIDDEN uint8_t *pg_page_block_start(const pg_page_t *page, const void *p);
#if PG_DEBUG
PG_HIDDEN void pg_page_check(const pg_page_t *page);
#else
static inline void pg_page_check(const pg_page_t *page) { (void)page; }
#endif
PG_HIDDEN void pg_queue_push_front(pg_heap_t *heap, size_t cls, pg_page_t *page);
PG_HIDDEN void pg_queue_push_back(pg_heap_t *heap, size_t cls, pg_page_t *page);
PG_HIDDEN void pg_queue_remove(pg_heap_t *heap, size_t cls, pg_page_t *page);

/* ---- segment.c ---- */
PG_HIDDEN pg_page_t *pg_segment_page_alloc(pg_heap_t *heap, pg_kind_t kind);
PG_HIDDEN void pg_segment_page_free(pg_heap_t *heap, pg_page_t *page);
PG_HIDDEN void pg_segment_abandon_all(pg_heap_t *heap);
PG_HIDDEN void pg_segment_atfork_prepare(void);
PG_HIDDEN void pg_segment_atfork_parent(void);
PG_HIDDEN void pg_segment_atfork_child(void);

/* ---- huge.c ---- */
PG_HIDDEN void *pg_huge_alloc(size_t size, bool zero);
PG_HIDDEN void pg_huge_free(pg_segment_t *seg);
PG_HIDDEN size_t pg_huge_usable(const pg_segment_t *seg, const void *p);
PG_HIDDEN void *pg_huge_grow(pg_segment_t *seg, void *p, size_t size);
PG_HIDDEN void pg_huge_atfork_prepare(void);
PG_HIDDEN void pg_huge_atfork_parent(void);
PG_HIDDEN void pg_huge_atfork_child(void);

/* ---- heap.c ---- */
PG_HIDDEN void *pg_malloc_generic(pg_heap_t *heap, size_t size);
PG_HIDDEN void pg_free_generic(pg_segment_t *seg, pg_page_t *page, void *p);
PG_HIDDEN void pg_heap_process_init(void);
PG_HIDDEN void pg_heap_atfork_prepare(void);
PG_HIDDEN void pg_heap_atfork_parent(void);
PG_HIDDEN void pg_heap_atfork_child(void);

#endif
