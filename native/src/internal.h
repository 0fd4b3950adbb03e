/* pgalloc internals: the types every part of the allocator shares.
 *
 * Memory comes from the OS in 4 MiB segments aligned to 4 MiB, so the
 * segment that owns any pointer is `p & ~(SEGMENT_SIZE-1)`: free() finds its
 * metadata with one mask and one shift, no lookup table, no lock.
 *
 * A segment is cut into pages of one kind (64 KiB small pages or 2 MiB
 * medium pages); each page holds blocks of a single size class. A segment
 * belongs to one thread's heap: that thread allocates and frees in it without
 * atomics. Other threads gather the blocks they free in runs of one page
 * (foreign.c) and push each run onto the page's atomic remote list, which
 * the owner collects when its `free` list runs dry.
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
/* The hardened build (make SECURE=1, secure.c): encoded free lists, checked
 * frees, guard pages. */
#ifndef PG_SECURE
#define PG_SECURE 0
#endif

#define PG_LIKELY(x) __builtin_expect(!!(x), 1)
#define PG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PG_HIDDEN __attribute__((visibility("hidden")))
#define PG_API __attribute__((visibility("default")))

#define PG_OS_PAGE 4096UL
#define PG_SEGMENT_SHIFT 22
#define PG_SEGMENT_SIZE (1UL << PG_SEGMENT_SHIFT)
#define PG_SEGMENT_MASK (PG_SEGMENT_SIZE - 1)
#define PG_SMALL_PAGE_SHIFT 16  /* 64 KiB pages: at least 32 blocks of 2 KiB */
/* 2 MiB medium pages: at least 15 blocks of 128 KiB. A class whose live
 * blocks outgrow one page has its malloc switch pages each time the front
 * one runs dry (26k slow paths per million mallocs on `mid_mixed` with
 * 512 KiB pages, 8.6k with 1 MiB, 121 with 2 MiB); untouched blocks cost
 * no memory, blocks being carved a few at a time. */
#define PG_MEDIUM_PAGE_SHIFT 21
#define PG_MAX_PAGES (PG_SEGMENT_SIZE >> PG_SMALL_PAGE_SHIFT)

#define PG_SMALL_MAX 2048UL    /* largest block in a small page */
#define PG_MEDIUM_MAX 131072UL /* largest block in a medium page */
#define PG_ALIGN 16UL          /* every block is at least this aligned */
/* Largest alignment we can honour: an aligned pointer must stay in the first
 * segment-sized window of its mapping so the mask still finds the header. */
#define PG_MAX_ALIGN (PG_SEGMENT_SIZE / 2)

/* Size classes (size_class.h): 16-byte steps to 128 bytes, then four per doubling. */
#define PG_CLASS_LADDER_LAST 8 /* last class of the 16-byte ladder (128 bytes) */
#define PG_CLASSES 49         /* class 48 holds 128 KiB */
#define PG_DIRECT_MAX 1024UL  /* malloc finds the page of sizes up to this in one load */
#define PG_DIRECT_SLOTS ((PG_DIRECT_MAX >> 4) + 1)

typedef struct pg_block_s {
    struct pg_block_s *next;
} pg_block_t;

typedef enum { PG_KIND_SMALL = 0, PG_KIND_MEDIUM = 1, PG_KIND_HUGE = 2 } pg_kind_t;

struct pg_heap_s;

typedef struct pg_page_s {
    pg_block_t *free;       /* blocks ready to hand out; the owner's frees push here (owner only) */
    uint16_t used;          /* blocks out and not yet returned to the owner */
    uint16_t capacity;      /* blocks carved out of the page so far */
    uint16_t reserved;      /* blocks the page can hold (at most 64 KiB / 16) */
    uint8_t cls;            /* size class */
    uint8_t in_use : 1;     /* page is assigned to a size class */
    uint8_t has_aligned : 1; /* interior pointers exist: free must find block start */
    uint32_t block_size;
    uint32_t start_off;     /* first block, as an offset from the segment */
    uintptr_t key;          /* hardened build: this page's free-list encoding key */
    struct pg_page_s *next; /* heap queue for this size class */
    struct pg_page_s *prev;
    uint64_t div_magic;     /* hardened build: pg_div_magic(block_size), for pg_divides */
    uint64_t unused_;       /* pads the page to one cache line */
} pg_page_t;

/* A page's frees from other threads, kept off the page's own cache line:
 * the owner writes that line on every malloc and free, and a remote CAS on
 * it made the two cores pass the line back and forth on every operation
 * (`xmalloc`, `xthread`). Four pages' remote lists share a line instead. */
typedef struct pg_remote_s {
    /* The list and how many blocks it holds, in one word (pg_remote_pack):
     * a run goes home in one CAS and the owner takes the list and its count
     * over in one exchange, without walking it. */
    _Atomic uintptr_t list;
#if PG_SECURE
    /* Which groups of the page's remote-map words hold bits (bit j: words
     * j * G to j * G + G - 1, G = the page's words / 64), so the owner
     * reads only those. */
    _Atomic uint64_t dirty;
#endif
} pg_remote_t;

/* A remote list's word: the head block in the low 48 bits (segments are
 * mapped below 2^48, pg_os_segment_alloc) and the blocks on the list in
 * the high 16 (a page holds at most 4096). Until 2026-11-23 the count was
 * a second word, added to after the CAS: 30 % of a run's trip home on
 * `xmalloc` (perf record -e cpu-clock), though the time moved within
 * noise (1.00x, 31 rounds), and the owner's `used` could lag the list it
 * took. Now it is exact: the debug build checks that every carved block is
 * on `free` or counted in `used`. */
#define PG_REMOTE_COUNT_SHIFT 48
#define PG_ADDRESS_LIMIT ((uintptr_t)1 << PG_REMOTE_COUNT_SHIFT)
static inline uintptr_t pg_remote_pack(const pg_block_t *head, uint32_t count) {
    return (uintptr_t)head | (uintptr_t)count << PG_REMOTE_COUNT_SHIFT;
}
static inline pg_block_t *pg_remote_head(uintptr_t list) { return (pg_block_t *)(list & (PG_ADDRESS_LIMIT - 1)); }
static inline uint32_t pg_remote_count(uintptr_t list) { return (uint32_t)(list >> PG_REMOTE_COUNT_SHIFT); }

/* A segment is 64 slices of 64 KiB whatever its pages' size, so free()
 * finds a pointer's slice with a constant shift and mask, and the slice
 * names the page: two instructions fewer than the segment's page shift,
 * read from memory, and the page's index scaled to its address. */
#define PG_SLICE_SHIFT 16
#define PG_SLICES (PG_SEGMENT_SIZE >> PG_SLICE_SHIFT)

typedef struct pg_segment_s {
    /* slice_tid[s]: the thread (pg_thread_id) that may free into slice s's
     * page on the fast path: the owner, or 0 while the page has interior
     * pointers, is free or abandoned. One compare in free() instead of the
     * segment's owner and a flag, and no TLS lookup. Kept off the pages'
     * lines, which their owners write on every malloc and free: every other
     * thread's free reads it, and read from the page it was a cache miss
     * per remote free (`xmalloc`: 77 % of free's samples, perf record -e
     * cpu-clock). First in the segment, and slice_page right after it, so
     * both are the pointer's bits 16-21 shifted in place plus a constant. */
    _Atomic(uintptr_t) slice_tid[PG_SLICES];
    /* Set when the segment takes its kind. The hardened build keeps in bit
     * 0 whether another thread has freed a block of the slice since its
     * page started (pg_slice_remote_freed). */
    struct pg_page_s *slice_page[PG_SLICES];
    /* Read by every free, written when the segment changes hands or kind. */
    _Atomic(struct pg_heap_s *) heap; /* owner; NULL when abandoned or huge */
    pg_kind_t kind;
    uint32_t page_shift;
    uint32_t page_count;
    uint32_t page_turn;     /* pages[page_turn + i] covers span i (pg_segment_turn) */
    size_t size;            /* bytes mapped */
    uint8_t page_cls[PG_MAX_PAGES]; /* pages[i].cls, for other threads' frees: same reason as a slice's tid */
#if PG_SECURE
    /* Where pages[i]'s blocks carved so far end, as an offset from the
     * segment: the hardened build checks another thread's free against it,
     * off the page's line (which was a cache miss per free, 53 % of that
     * check's samples on `xthread`). */
    uint32_t carved_end[PG_MAX_PAGES];
    uintptr_t page_key[PG_MAX_PAGES]; /* pages[i].key, for other threads' frees */
    uint64_t page_magic[PG_MAX_PAGES]; /* pages[i].div_magic, the same */
#endif
    /* The owner's bookkeeping, on lines of their own: written as pages come
     * and go, which other threads' frees must not wait for. */
    _Alignas(64) uint32_t used_pages;
    bool purged;            /* cached and returned to the OS with madvise */
    /* How much of the segment its pages have carved into since it was
     * mapped or purged, which may be resident: per slice, its OS pages
     * from the slice's start (pg_segment_touch). The cache of empty
     * segments is bounded by that, not by their number. */
    uint8_t touched[PG_SLICES];
    uint64_t cached_ns;     /* when it entered a cache */
    struct pg_segment_s *next; /* heap list, cache or abandoned list */
    struct pg_segment_s *prev;
    /* Set by other threads as they send blocks home, cleared by the owner's
     * sweep (heap.c, pg_heap_sweep): written once a sweep at most. */
    _Atomic bool remote_hint;
    _Alignas(64) pg_remote_t remote[PG_MAX_PAGES]; /* remote[i] belongs to pages[i] */
    /* From pages[page_turn] on: small PG_MAX_PAGES, medium 2, huge 1. A
     * page's index is its entry here, and in the arrays above. */
    pg_page_t pages[];
} pg_segment_t;

typedef struct pg_queue_s {
    pg_page_t *first;
    pg_page_t *last;
} pg_queue_t;

/* A run's head block and its link, the run's second block (foreign.c; not
 * kept by the hardened build). */
typedef struct {
    pg_block_t *first;
    pg_block_t *second;
} pg_run_head_t;

typedef struct pg_heap_s {
    /* pages[c] is the first page of queue c, or the shared empty page, so the
     * fast path needs no NULL test. direct[(size + 15) / 16] is the same
     * pointer for sizes up to PG_DIRECT_MAX: no class lookup on the fast path
     * (mimalloc's pages_free_direct). */
    pg_page_t *direct[PG_DIRECT_SLOTS];
    pg_page_t *pages[PG_CLASSES];
    pg_queue_t queues[PG_CLASSES];
    pg_segment_t *avail[2]; /* owned segments with a free page, per kind */
    pg_segment_t *full[2];  /* owned segments with no free page, per kind */
    uintptr_t tid;          /* pg_thread_id() of the owning thread */
    struct pg_heap_s *next_free;
    /* Per class, a run of blocks of one other thread's page that this
     * thread freed (foreign.c): first (with its link), last, length and the
     * length at which it goes home (pg_foreign_run_max; here, as the free
     * does not know the block's size). */
    pg_run_head_t foreign[PG_CLASSES];
    pg_block_t *foreign_last[PG_CLASSES];
    uint8_t foreign_count[PG_CLASSES];
    uint8_t foreign_max[PG_CLASSES];
    /* Set by other threads as they send blocks home to one of this heap's
     * segments (with the segment's remote_hint), cleared by the sweep. On a
     * line of its own, which also makes the heap a whole number of lines:
     * heaps lie side by side in a chunk (heap.c), and at the end of a 2,584-
     * byte heap it shared a line with the next heap's `direct`, which that
     * heap's thread reads on every malloc (`xmalloc` 1.04-1.06x, 61 rounds). */
    _Alignas(64) _Atomic bool remote_hint;
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
/* Set when the thread's heap is torn down (heap.c, pg_heap_init_thread). */
extern __thread bool pg_tl_exited __attribute__((tls_model("initial-exec")));

/* The calling thread's identity: the thread pointer (%fs:0 on x86-64), one
 * instruction, as mimalloc's _mi_prim_thread_id. Unique among live threads;
 * a thread's pages drop it (their slices' tid = 0) before its heap is torn down, so a
 * later thread at the same address never matches a stale page. */
static inline uintptr_t pg_thread_id(void) { return (uintptr_t)__builtin_thread_pointer(); }

/* ---- pointer arithmetic ---- */
static inline pg_segment_t *pg_ptr_segment(const void *p) {
    return (pg_segment_t *)((uintptr_t)p & ~PG_SEGMENT_MASK);
}

/* The index of the page `p` lies in. */
static inline size_t pg_segment_page_index(const pg_segment_t *seg, const void *p) {
    return (((uintptr_t)p - (uintptr_t)seg) >> seg->page_shift) + seg->page_turn;
}

static inline pg_page_t *pg_segment_page_of(pg_segment_t *seg, const void *p) {
    return &seg->pages[pg_segment_page_index(seg, p)];
}

static inline pg_segment_t *pg_page_segment(const pg_page_t *page) {
    return pg_ptr_segment(page);
}

static inline pg_remote_t *pg_page_remote(pg_page_t *page) {
    pg_segment_t *seg = pg_page_segment(page);
    return &seg->remote[page - seg->pages];
}

static inline uint8_t *pg_page_start(const pg_page_t *page) {
    return (uint8_t *)pg_page_segment(page) + page->start_off;
}

/* A small or medium segment's header: the segment, every page's metadata,
 * and in the hardened build the free map (one bit per 16 bytes: is the block
 * starting there free). One layout for both kinds, so a cached segment can
 * become either. */
#define PG_SEGMENT_META ((sizeof(pg_segment_t) + PG_MAX_PAGES * sizeof(pg_page_t) + 63) & ~(size_t)63)
#define PG_FREEMAP_BYTES (PG_SECURE ? PG_SEGMENT_SIZE / PG_ALIGN / 8 : 0)
#define PG_SEGMENT_HEADER (PG_SEGMENT_META + PG_FREEMAP_BYTES)

/* Page metadata is coloured, as Bonwick's slabs colour their buffers
 * ("The Slab Allocator: An Object-Caching Kernel Memory Allocator", USENIX
 * Summer 1994). Segments are 4 MiB aligned, so pages[i] of every segment
 * lies at one offset from it, in one set of every cache the low address
 * bits index (a 32 KiB 8-way L1 has 64 sets, 4 KiB apart), and a medium
 * segment's two pages, read by every malloc and free of their classes,
 * would take the same two sets in every segment. So a medium segment's
 * pages are pages[2c] and pages[2c + 1], c being bits 22-24 of its address:
 * eight neighbouring medium segments on sixteen different lines. A small
 * segment's 64 pages cover every set already, and a huge segment's one
 * page is read by its own malloc and free only. A page's index is its
 * entry, so the fast paths and the per-block work of other threads' frees
 * do not change; turning an address into a page (pg_segment_page_index,
 * as a run goes home) and back (pg_page_region) adds the turn. On `mid_mixed` (2-32 KiB: a medium page a
 * class, two classes a segment) it cut cachegrind's simulated L1 read
 * misses (32 KiB 8-way) from 1.45 M to 1.02 M in 2 M operations, the
 * page's line in malloc and free, and measured 1.03x (1.02-1.04, 41 paired
 * rounds, Zen 4; native/README.md). */
#define PG_PAGE_COLOURS 8
#define PG_MEDIUM_PAGES (PG_SEGMENT_SIZE >> PG_MEDIUM_PAGE_SHIFT)
_Static_assert(PG_PAGE_COLOURS * PG_MEDIUM_PAGES <= PG_MAX_PAGES, "a medium segment's turned pages fit");
static inline uint32_t pg_segment_turn(const pg_segment_t *seg, pg_kind_t kind) {
    if (kind != PG_KIND_MEDIUM) return 0;
    return (uint32_t)(((uintptr_t)seg >> PG_SEGMENT_SHIFT) & (PG_PAGE_COLOURS - 1)) * PG_MEDIUM_PAGES;
}

/* The page that covers span `region` of `seg` (pages[page_turn + region]). */
static inline pg_page_t *pg_segment_page(const pg_segment_t *seg, size_t region) {
    return (pg_page_t *)&seg->pages[seg->page_turn + region];
}

/* Which page-sized span of its segment `page` covers. */
static inline size_t pg_page_region(const pg_page_t *page) {
    const pg_segment_t *seg = pg_page_segment(page);
    return (size_t)(page - seg->pages) - seg->page_turn;
}

/* Where pages[idx]'s blocks start, as an offset from its small or medium
 * segment: the page's region, after the header for the first. */
static inline uint32_t pg_page_first_off(const pg_segment_t *seg, size_t idx) {
    size_t region = idx - seg->page_turn;
    return (uint32_t)(region == 0 ? PG_SEGMENT_HEADER : region << seg->page_shift);
}

/* 64 bytes, so finding a page's metadata is a shift, not a multiply. */
_Static_assert(sizeof(pg_page_t) == 64, "page metadata should stay one cache line");

static inline size_t pg_align_up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* Whether `p` lies among the blocks carved from `page` so far. */
static inline bool pg_page_contains(const pg_page_t *page, const void *p) {
    const uint8_t *b = p, *start = pg_page_start(page);
    return b >= start && b < start + (size_t)page->capacity * page->block_size;
}

/* Whether `p` is the start of a block of `page` (debug and hardened checks). */
static inline bool pg_page_is_block(const pg_page_t *page, const void *p) {
    return page->in_use && pg_page_contains(page, p) &&
           (size_t)((const uint8_t *)p - pg_page_start(page)) % page->block_size == 0;
}

/* The hardened build keeps this many bytes at the end of every segment and
 * huge mapping inaccessible (PROT_NONE): an overflow off the end faults. */
#define PG_GUARD_SIZE (PG_SECURE ? PG_OS_PAGE : 0)
/* What a small or medium segment's last page gives up at its end. */
#define PG_SEGMENT_TAIL (PG_REMOTEMAP_BYTES + PG_GUARD_SIZE)

/* Whether `d` divides `n` without a divide, for 32-bit n and d: with
 * magic = ceil(2^64 / d), d divides n exactly when n * magic mod 2^64 <
 * magic (Lemire, Kaser and Kurz, "Faster Remainder by Direct Computation",
 * Software: Practice and Experience 49(6), 2019). In place of a divide in
 * every hardened free: `xthread` 1.07x, `xmalloc` 1.05x, the rest within
 * 0.98-1.01x (21 rounds). */
static inline uint64_t pg_div_magic(uint32_t d) { return UINT64_MAX / d + 1; }
static inline bool pg_divides(uint64_t magic, uint32_t n) { return n * magic <= magic - 1; }

/* ---- secure.c: the hardened build ----
 * Free-list links are stored encoded with the page's key (mimalloc's
 * MI_ENCODE_FREELIST: rotate and add), so a use-after-free or overflow that
 * writes a freed block cannot steer malloc to an address of its choice: a
 * link that does not decode to a block of the same page aborts. */
PG_HIDDEN _Noreturn void pg_secure_fail(const char *what, const void *p);
PG_HIDDEN uintptr_t pg_secure_page_key(const pg_page_t *page);
PG_HIDDEN void pg_secure_check_free(pg_segment_t *seg, void *p);
PG_HIDDEN void pg_secure_map(pg_segment_t *seg, bool mapped);

static inline uintptr_t pg_rotl(uintptr_t x, unsigned r) {
    r &= 63;
    return r ? (x << r) | (x >> (64 - r)) : x;
}

/* `block`'s link, encoded with `key` (its page's: 0 in release builds). */
static inline pg_block_t *pg_link_next(uintptr_t key, const pg_block_t *block) {
#if PG_SECURE
    pg_block_t *next = (pg_block_t *)(pg_rotl((uintptr_t)block->next - key, 64 - (unsigned)(key >> 58)) ^ key);
    /* The link must stay in the block's page region (pages are aligned to
     * their size): one xor and a shift. */
    if (PG_UNLIKELY(next != NULL && ((uintptr_t)next ^ (uintptr_t)block) >> pg_ptr_segment(block)->page_shift != 0))
        pg_secure_fail("corrupted free list (a freed block was written) at", block);
    return next;
#else
    (void)key;
    return block->next;
#endif
}

static inline void pg_link_set(uintptr_t key, pg_block_t *block, pg_block_t *next) {
#if PG_SECURE
    block->next = (pg_block_t *)(pg_rotl((uintptr_t)next ^ key, (unsigned)(key >> 58)) + key);
#else
    (void)key;
    block->next = next;
#endif
}

/* The owner's links: the key from the page's line, which the owner has in
 * its cache. */
static inline pg_block_t *pg_block_next(const pg_page_t *page, const pg_block_t *block) {
    return pg_link_next(page->key, block);
}

static inline void pg_block_set_next(const pg_page_t *page, pg_block_t *block, pg_block_t *next) {
    pg_link_set(page->key, block, next);
}

/* Other threads' links: the key from the segment's read-mostly copy, as
 * page_cls (reading it from the page's line was a cache miss per remote
 * free, 20 % of the hardened build's `xthread` consumer samples). */
static inline uintptr_t pg_page_key_shared(const pg_page_t *page) {
#if PG_SECURE
    const pg_segment_t *seg = pg_page_segment(page);
    return seg->page_key[page - seg->pages];
#else
    (void)page;
    return 0;
#endif
}

#if PG_SECURE
/* The free map's word for `block` and its bit in it. A block is marked when
 * it joins its page's `free` list (freed by the owner, carved, or taken over
 * from the remote list) and cleared when malloc hands it out, so the owner's
 * double free is one bit test, without reading the block. Written by the
 * owner only (relaxed atomics: other threads' frees read it). */
static inline uint64_t *pg_freemap_word(const void *block, uint64_t *bit) {
    size_t i = ((uintptr_t)block & PG_SEGMENT_MASK) / PG_ALIGN;
    *bit = 1ULL << (i % 64);
    return (uint64_t *)((uint8_t *)pg_ptr_segment(block) + PG_SEGMENT_META) + i / 64;
}

static inline void pg_freemap_set(const void *block, bool free) {
    uint64_t bit, *w = pg_freemap_word(block, &bit), v = __atomic_load_n(w, __ATOMIC_RELAXED);
    __atomic_store_n(w, free ? v | bit : v & ~bit, __ATOMIC_RELAXED);
}

/* The remote map: the free map's layout again, at the segment's end (before
 * its guard page), for blocks other threads freed and the owner has not yet
 * taken over. Other threads set its bits atomically as they send a run
 * home, so a block freed twice remotely is caught by the second free's
 * thread; the owner moves the bits into its free map when it collects the
 * remote list (page.c), without reading the blocks. */
#define PG_REMOTEMAP_BYTES PG_FREEMAP_BYTES
static inline _Atomic uint64_t *pg_remotemap_word(const void *block, uint64_t *bit) {
    size_t i = ((uintptr_t)block & PG_SEGMENT_MASK) / PG_ALIGN;
    *bit = 1ULL << (i % 64);
    uint8_t *map = (uint8_t *)pg_ptr_segment(block) + PG_SEGMENT_SIZE - PG_GUARD_SIZE - PG_REMOTEMAP_BYTES;
    return (_Atomic uint64_t *)map + i / 64;
}
PG_HIDDEN void pg_secure_remote_mark(pg_page_t *page, pg_block_t *first, pg_block_t *last, uint32_t n);
PG_HIDDEN void pg_secure_remote_take(pg_page_t *page);
PG_HIDDEN void pg_secure_remote_clear(pg_page_t *page);

/* A block of another live thread's page without interior pointers (its
 * slice's tid): the start of a carved block, checked from the segment's
 * read-mostly arrays, not the page's line, which its owner writes on every
 * malloc and free. Inline, so the foreign free that checks it makes no
 * call and saves no registers. */
static inline void pg_secure_check_foreign(const pg_segment_t *seg, size_t idx, const void *p) {
    size_t off = (size_t)((const uint8_t *)p - (const uint8_t *)seg);
    size_t start = pg_page_first_off(seg, idx);
    if (PG_UNLIKELY(off < start || off >= __atomic_load_n(&seg->carved_end[idx], __ATOMIC_RELAXED) ||
                    !pg_divides(seg->page_magic[idx], (uint32_t)(off - start))))
        pg_secure_fail("free(): invalid pointer (not the start of a block)", p);
}

/* The segment map (secure.c): one bit per 4 MiB of the 47-bit address space,
 * set while a segment of ours lives there. */
#define PG_MAP_BITS ((uintptr_t)1 << (47 - PG_SEGMENT_SHIFT))
PG_HIDDEN extern _Atomic uint64_t pg_segment_map[PG_MAP_BITS / 64];

static inline bool pg_secure_is_mapped(const pg_segment_t *seg) {
    uintptr_t i = (uintptr_t)seg >> PG_SEGMENT_SHIFT;
    return i < PG_MAP_BITS &&
           (atomic_load_explicit(&pg_segment_map[i / 64], memory_order_acquire) >> (i % 64) & 1) != 0;
}

/* A block's tag: its second word while another thread's free of it is on
 * the way home, written by that free and cleared by malloc
 * (pg_page_take), so a free of a tagged block is a double free even where
 * neither map has heard of the first free yet: a block in a run not yet
 * home, that its owner would otherwise free, hand out and reuse while the
 * run still holds it. This is glibc's tcache key (malloc.c: tcache_put
 * sets e->key, tcache_get clears it, _int_free tests it; random since
 * 2.34). Ours is the block's address xor a secret of its own, not a page
 * key: reading a freed block must not tell how its links are encoded. A
 * live block holds its tag by chance with probability 2^-64 (every live
 * block came through pg_page_take). The owner's frees need no tag: the
 * free map knows them. */
PG_HIDDEN extern _Atomic uintptr_t pg_tag_secret;
static inline uintptr_t *pg_block_tag(const pg_block_t *block) { return (uintptr_t *)block + 1; }
static inline uintptr_t pg_tag_of(const pg_block_t *block) {
    return atomic_load_explicit(&pg_tag_secret, memory_order_relaxed) ^ (uintptr_t)block;
}
static inline void pg_secure_tag(pg_block_t *block) { *pg_block_tag(block) = pg_tag_of(block); }
static inline void pg_secure_check_tag(const pg_block_t *block, const void *p) {
    if (PG_UNLIKELY(*pg_block_tag(block) == pg_tag_of(block))) pg_secure_fail("free(): double free of", p);
}

/* Whether another thread has freed a block of `block`'s slice since its
 * page started: only then can one of them be in a run, and only then does
 * the owner's free read the block's tag (reading the block was a cache
 * miss per free where the free had only written it: `burst` 0.79x with
 * every free testing the tag). Bit 0 of the slice's page pointer, which
 * free() reads anyway; cleared when the page starts over. */
static inline _Atomic uintptr_t *pg_slice_page_word(const void *block) {
    return (_Atomic uintptr_t *)&pg_ptr_segment(block)->slice_page[((uintptr_t)block & PG_SEGMENT_MASK) >> PG_SLICE_SHIFT];
}
static inline bool pg_slice_remote_freed(const void *block) {
    return (atomic_load_explicit(pg_slice_page_word(block), memory_order_relaxed) & 1) != 0;
}

/* Another thread's free of `block`: tag it, and mark its slice (once). */
static inline void pg_secure_tag_remote(pg_block_t *block) {
    pg_secure_tag(block);
    _Atomic uintptr_t *w = pg_slice_page_word(block);
    if (!(atomic_load_explicit(w, memory_order_relaxed) & 1)) atomic_fetch_or_explicit(w, 1, memory_order_relaxed);
}

/* The owner's free of `block` (`p`, or the block an interior `p` points
 * into) of its `page`: a double free if the block is marked in the free map,
 * or, in a slice other threads have freed into (`remote_freed`,
 * pg_slice_remote_freed), in the remote map (freed by another thread, not
 * yet taken over) or tagged (in a run not yet home). Every free that marks
 * a block in the remote map tagged it first, and so marked its slice
 * (pg_secure_tag_remote): where no other thread has freed, the remote map's
 * line is not read (`mid_mixed` 1.041x, 1.021-1.054, 101 paired rounds,
 * Zen 3 VM; `burst`, `random_mixed`, `fragment`, `larson`, `xmalloc`
 * within noise). */
static inline void pg_secure_check_owner(const pg_page_t *page, const pg_block_t *block, const void *p,
                                         bool remote_freed) {
    uint64_t bit, *w = pg_freemap_word(block, &bit);
    if (PG_UNLIKELY(page->used == 0 || (*w & bit) != 0)) pg_secure_fail("free(): double free of", p);
    if (!remote_freed) return;
    if (PG_UNLIKELY(atomic_load_explicit(pg_remotemap_word(block, &bit), memory_order_relaxed) & bit))
        pg_secure_fail("double free (by its owner and another thread) of", p);
    pg_secure_check_tag(block, p);
}

/* The block `p` starts, of `page` (in use): a carved block's start, or with
 * interior pointers (has_aligned) any byte of one. Offsets stay below 4
 * MiB; only an interior pointer's block waits for a remainder. */
static inline const pg_block_t *pg_secure_block_of(const pg_page_t *page, const void *p) {
    size_t off = (size_t)((const uint8_t *)p - pg_page_start(page));
    if (PG_UNLIKELY(off >= (size_t)page->capacity * page->block_size))
        pg_secure_fail("free(): invalid pointer (not the start of a block)", p);
    if (PG_UNLIKELY(!pg_divides(page->div_magic, (uint32_t)off))) {
        if (!page->has_aligned) pg_secure_fail("free(): invalid pointer (not the start of a block)", p);
        return (const pg_block_t *)((const uint8_t *)p - (uint32_t)off % page->block_size);
    }
    return p;
}

/* free()'s own path in the hardened build: `p` in this thread's `page`
 * whose slices' tid is this thread (so it is in use and holds no interior
 * pointers). Inline, from the page's line, which its owner has in its
 * cache: the general check (pg_secure_check_free) finds the page again. */
static inline void pg_secure_check_local(const pg_page_t *page, const void *p, bool remote_freed) {
    /* Without interior pointers the block is `p` itself; testing the maps
     * at `p` lets the free that follows reuse the free map's word. */
    (void)pg_secure_block_of(page, p);
    pg_secure_check_owner(page, p, p, remote_freed);
}
#else
#define PG_REMOTEMAP_BYTES 0
#endif

/* The owner's free: push on `free` (last freed, first reused: its lines are
 * still in cache); an emptied page is retired. */
PG_HIDDEN void pg_page_retire(pg_heap_t *heap, pg_page_t *page);
static inline void pg_free_local(pg_page_t *page, pg_block_t *block) {
    pg_assert(pg_page_is_block(page, block));
    pg_assert(page->used > 0);
    pg_block_set_next(page, block, page->free);
    page->free = block;
#if PG_SECURE
    pg_freemap_set(block, true);
#endif
    if (PG_UNLIKELY(--page->used == 0)) pg_page_retire(pg_tl_heap, page);
}


/* A free block's second word (every block has two): in the release build,
 * a block that another thread freed holds there the block two ahead of it
 * on its page's remote list (foreign.c), for malloc to prefetch; in the
 * hardened build, a block another thread freed holds its tag
 * (pg_block_tag). */
static inline pg_block_t **pg_block_ahead(pg_block_t *block) { return (pg_block_t **)block + 1; }

/* Hand out the first block of `page`'s non-empty `free` list, prefetching
 * the next one (the first touch of a handed-out block was most of malloc's
 * time on mid_mixed) and, in the release build, the one its second word
 * names: a list another thread sent home is a chain of lines that thread
 * wrote last, each a cache miss, and one block ahead was not far enough
 * (xmalloc: two thirds of malloc's samples at the load of the link). For
 * a block its owner freed the word is whatever the program left there: a
 * prefetch never faults. */
static inline pg_block_t *pg_page_take(pg_page_t *page) {
    pg_block_t *block = page->free;
    pg_block_t *next = pg_block_next(page, block);
    __builtin_prefetch(next, 1);
#if !PG_SECURE
    __builtin_prefetch(*pg_block_ahead(block), 1);
#endif
    page->free = next;
    page->used++;
#if PG_SECURE /* the caller never sees an encoded link or a tag; the block is no longer free */
    block->next = NULL;
    *pg_block_tag(block) = 0;
    pg_freemap_set(block, false);
#endif
    return block;
}

/* The first slice `page` spans, and in `count` how many (a small page 1,
 * a medium page 32, a huge segment's page all 64). */
static inline size_t pg_page_slices(const pg_page_t *page, size_t *count) {
    const pg_segment_t *seg = pg_page_segment(page);
    unsigned per = seg->page_shift - PG_SLICE_SHIFT;
    size_t first = pg_page_region(page) << per;
    *count = (size_t)1 << per;
    pg_assert(first + *count <= PG_SLICES);
    return first;
}

/* Set the fast-path thread of every slice `page` spans. */
static inline void pg_page_set_fast(pg_page_t *page, uintptr_t tid) {
    pg_segment_t *seg = pg_page_segment(page);
    size_t n, first = pg_page_slices(page, &n);
    for (size_t s = first; s < first + n; s++) atomic_store_explicit(&seg->slice_tid[s], tid, memory_order_relaxed);
}

/* The slice of its segment `p` lies in. */
static inline size_t pg_slice_index(const void *p) { return ((uintptr_t)p & PG_SEGMENT_MASK) >> PG_SLICE_SHIFT; }

/* Point every slice at its page, before the segment is published. */
static inline void pg_segment_set_slices(pg_segment_t *seg) {
    for (size_t s = 0; s < PG_SLICES; s++)
        seg->slice_page[s] = pg_segment_page(seg, s >> (seg->page_shift - PG_SLICE_SHIFT));
}

/* ---- os.c ---- */
PG_HIDDEN void *pg_os_alloc_aligned(size_t size, size_t align);
PG_HIDDEN void pg_os_free(void *p, size_t size);
PG_HIDDEN void *pg_os_segment_alloc(size_t size);
PG_HIDDEN void pg_os_segment_free(pg_segment_t *seg, size_t size);
PG_HIDDEN void pg_os_purge(void *p, size_t size);
PG_HIDDEN void *pg_os_grow(void *p, size_t old_size, size_t new_size, size_t align);
PG_HIDDEN bool pg_os_guard(void *p, bool guarded);
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
PG_HIDDEN void pg_page_init(pg_page_t *page, struct pg_heap_s *heap, size_t cls, size_t block_size);
PG_HIDDEN void pg_page_extend(pg_page_t *page);
PG_HIDDEN void pg_page_collect(pg_page_t *page);
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
PG_HIDDEN void pg_segment_touch(pg_segment_t *seg, size_t from, size_t to);
PG_HIDDEN void pg_segment_abandon_all(pg_heap_t *heap);
PG_HIDDEN bool pg_segment_reclaim(pg_heap_t *heap);
PG_HIDDEN void pg_segment_atfork_prepare(void);
PG_HIDDEN void pg_segment_atfork_parent(void);
PG_HIDDEN void pg_segment_atfork_child(void);

/* ---- huge.c ---- */
PG_HIDDEN void *pg_huge_alloc(size_t size, bool zero);
PG_HIDDEN void pg_huge_free(pg_segment_t *seg);
PG_HIDDEN size_t pg_huge_usable(const pg_segment_t *seg, const void *p);
PG_HIDDEN void *pg_huge_grow(pg_segment_t *seg, void *p, size_t size);
PG_HIDDEN bool pg_huge_shrink(pg_segment_t *seg, void *p, size_t size);
PG_HIDDEN void pg_huge_atfork_prepare(void);
PG_HIDDEN void pg_huge_atfork_parent(void);
PG_HIDDEN void pg_huge_atfork_child(void);

/* ---- heap.c ---- */
PG_HIDDEN void *pg_malloc_generic(pg_heap_t *heap, size_t size);
PG_HIDDEN pg_heap_t *pg_heap_init_thread(void);
PG_HIDDEN void pg_free_generic(pg_segment_t *seg, void *p);
PG_HIDDEN void pg_heap_process_init(void);
PG_HIDDEN void pg_heap_atfork_prepare(void);
PG_HIDDEN void pg_heap_atfork_parent(void);
PG_HIDDEN void pg_heap_atfork_child(void);

#endif
