/* The public API. malloc and free are the fast paths: a thread-local heap,
 * a size class, a pointer pop or push; everything else is layered on them. */
#include <errno.h>
#include <string.h>

#include "inject.h"
#include "foreign.h"
#include "size_class.h"

/* A block of `page`, or the slow path when its `free` list is dry. */
static inline void *pg_page_pop(pg_heap_t *heap, pg_page_t *page, size_t size) {
    if (PG_UNLIKELY(page->free == NULL)) return pg_malloc_generic(heap, size);
    return pg_page_take(page);
}

static inline void *pg_malloc(size_t size) {
    pg_inject_malloc();
    pg_heap_t *heap = pg_tl_heap;
    if (PG_LIKELY(size <= PG_DIRECT_MAX)) return pg_page_pop(heap, heap->direct[(size + 15) >> 4], size);
    if (PG_LIKELY(size <= PG_MEDIUM_MAX)) return pg_page_pop(heap, heap->pages[pg_size_class_medium(size)], size);
    return pg_huge_alloc(size, false);
}

/* NULL masks to segment 0, which no block lives in. */
static inline void pg_free(void *p) {
    pg_segment_t *seg = pg_ptr_segment(p);
    if (PG_UNLIKELY(seg == NULL) || pg_inject_free(p)) return;
#if PG_SECURE /* before reading the segment: is it one? */
    if (PG_UNLIKELY(!pg_secure_is_mapped(seg))) pg_secure_fail("free(): invalid pointer (not allocated by pgalloc)", p);
#endif
    /* The slice's byte offset in both arrays straight from the pointer's
     * bits: one shift and one mask, no scaling. */
    size_t off8 = ((uintptr_t)p >> (PG_SLICE_SHIFT - 3)) & ((PG_SLICES - 1) << 3);
    uintptr_t owner = atomic_load_explicit((_Atomic(uintptr_t) *)((uint8_t *)seg->slice_tid + off8), memory_order_relaxed);
    pg_page_t *page = *(pg_page_t **)((uint8_t *)seg->slice_page + off8);
#if PG_SECURE /* bit 0: another thread has freed into the slice (pg_slice_remote_freed) */
    bool remote_freed = (uintptr_t)page & 1;
    page = (pg_page_t *)((uintptr_t)page & ~(uintptr_t)1);
#endif
    pg_assert(off8 == pg_slice_index(p) * 8 && page == pg_segment_page_of(seg, p));
    if (PG_LIKELY(owner == pg_thread_id())) {
#if PG_SECURE
        pg_secure_check_local(page, p, remote_freed);
#endif
        pg_free_local(page, p);
        return;
    }
    /* A plain block of another live thread's page (a huge block's page, or
     * one with interior pointers, has owner 0). Both calls check the block
     * themselves in the hardened build: a check here, followed by a call,
     * made free save registers on every path. */
    if (owner != 0) {
        pg_free_foreign(seg, page, p);
        return;
    }
    pg_free_generic(seg, p);
}

static size_t pg_usable_size(const void *p) {
    pg_segment_t *seg = pg_ptr_segment(p);
    if (seg->kind == PG_KIND_HUGE) return pg_huge_usable(seg, p);
    pg_page_t *page = pg_segment_page_of(seg, p);
    const uint8_t *start = page->has_aligned ? pg_page_block_start(page, p) : p;
    return page->block_size - (size_t)((const uint8_t *)p - start);
}

static bool pg_is_pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* `align` is a power of two. Small alignments are met by size classes whose
 * blocks are already aligned (pages start 64-byte aligned); the rest by
 * over-allocating and marking the page, so free() maps the interior pointer
 * back to its block. */
static void *pg_malloc_aligned(size_t align, size_t size) {
    if (align <= PG_ALIGN) return pg_malloc(size);
    if (align > PG_MAX_ALIGN || size > (size_t)PTRDIFF_MAX - align) {
        errno = ENOMEM;
        return NULL;
    }
    if (align <= 64 && size <= PG_MEDIUM_MAX && pg_class_size(pg_size_class(size)) % align == 0)
        return pg_malloc(size);
    uint8_t *p = pg_malloc(size + align - 1);
    if (p == NULL) return NULL;
    uint8_t *q = (uint8_t *)pg_align_up((uintptr_t)p, align);
    pg_segment_t *seg = pg_ptr_segment(p);
    if (q != p && seg->kind != PG_KIND_HUGE) {
        pg_page_t *page = pg_segment_page_of(seg, p);
        page->has_aligned = true;
        pg_page_set_fast(page, 0);
    }
    return q;
}

PG_API void *malloc(size_t size) { return pg_malloc(size); }

PG_API void free(void *p) { pg_free(p); }

PG_API void *calloc(size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (total > PG_MEDIUM_MAX) return pg_huge_alloc(total, true); /* fresh maps are zero */
    void *p = pg_malloc(total);
    if (p != NULL) memset(p, 0, total);
    return p;
}

PG_API void *realloc(void *p, size_t size) {
    if (p == NULL) return pg_malloc(size);
    if (PG_SECURE) pg_secure_check_free(pg_ptr_segment(p), p);
    if (size == 0) { /* glibc's behaviour: free and return NULL */
        pg_free(p);
        return NULL;
    }
    size_t usable = pg_usable_size(p);
    /* Stay in place unless that would waste more than half the block. */
    if (size <= usable && size >= usable / 2) return p;
    pg_segment_t *seg = pg_ptr_segment(p);
    if (seg->kind == PG_KIND_HUGE) { /* remap or trim pages instead of copying them */
        if (size > usable) {
            void *moved = pg_huge_grow(seg, p, size);
            if (moved != NULL) return moved;
        } else if (pg_huge_shrink(seg, p, size)) {
            return p;
        }
    }
    void *q = pg_malloc(size);
    if (q == NULL) return NULL; /* p stays valid, errno is ENOMEM */
    memcpy(q, p, size < usable ? size : usable);
    pg_free(p);
    return q;
}

PG_API void *reallocarray(void *p, size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, total);
}

PG_API int posix_memalign(void **out, size_t align, size_t size) {
    if (!pg_is_pow2(align) || align < sizeof(void *)) return EINVAL;
    int saved = errno;
    void *p = pg_malloc_aligned(align, size);
    errno = saved;
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

PG_API void *aligned_alloc(size_t align, size_t size) {
    if (!pg_is_pow2(align)) {
        errno = EINVAL;
        return NULL;
    }
    return pg_malloc_aligned(align, size);
}

/* glibc rounds an alignment that is not a power of two up to one. */
PG_API void *memalign(size_t align, size_t size) {
    if (align > PG_MAX_ALIGN) {
        errno = EINVAL;
        return NULL;
    }
    size_t a = PG_ALIGN;
    while (a < align) a <<= 1;
    return pg_malloc_aligned(a, size);
}

PG_API void *valloc(size_t size) { return pg_malloc_aligned(PG_OS_PAGE, size); }

PG_API void *pvalloc(size_t size) {
    if (size > (size_t)PTRDIFF_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    return pg_malloc_aligned(PG_OS_PAGE, pg_align_up(size ? size : 1, PG_OS_PAGE));
}

PG_API size_t malloc_usable_size(void *p) { return p ? pg_usable_size(p) : 0; }
