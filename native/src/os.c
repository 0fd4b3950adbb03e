/* OS layer: every mmap, munmap and madvise the allocator makes goes through
 * here, so the statistics count all of them and errno is never disturbed
 * (free() must preserve errno). */
#define _GNU_SOURCE /* mremap */
#include <errno.h>
#include <sys/mman.h>
#include <time.h>

#include "internal.h"

/* Where to ask the kernel for aligned segments. A hinted mmap usually lands
 * exactly at the hint, which is aligned, saving the over-map-and-trim
 * dance (three syscalls instead of one). 2 TiB is far from brk, stacks and
 * the shared-library area on x86-64 and aarch64. */
#define PG_HINT_BASE ((uintptr_t)2 << 40)
#define PG_HINT_END ((uintptr_t)30 << 40)
static _Atomic uintptr_t pg_hint_next = PG_HINT_BASE;

static void *pg_mmap(void *addr, size_t size) {
    void *p = mmap(addr, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    pg_stats_mmap(size);
    return p;
}

static void pg_munmap(void *p, size_t size) {
    if (munmap(p, size) == 0) pg_stats_munmap(size);
}

/* Hints advance in whole segments, so every hint is segment-aligned. */
static void *pg_mmap_hinted(size_t size, size_t align) {
    uintptr_t span = pg_align_up(size, PG_SEGMENT_SIZE);
    uintptr_t hint = atomic_fetch_add_explicit(&pg_hint_next, span, memory_order_relaxed);
    if (hint + span > PG_HINT_END) return NULL;
    void *p = pg_mmap((void *)hint, size);
    if (p == NULL) return NULL;
    if (((uintptr_t)p & (align - 1)) == 0) return p;
    pg_munmap(p, size);
    return NULL;
}

/* Map `size` bytes (a multiple of the OS page) aligned to `align`, which is
 * at most PG_SEGMENT_SIZE. */
void *pg_os_alloc_aligned(size_t size, size_t align) {
    int saved = errno;
    void *p = align <= PG_OS_PAGE ? pg_mmap(NULL, size) : pg_mmap_hinted(size, align);
    if (p == NULL) {
        /* Over-map by `align` and trim both ends. */
        size_t over = size + align;
        uint8_t *raw = pg_mmap(NULL, over);
        if (raw != NULL) {
            uint8_t *aligned = (uint8_t *)pg_align_up((uintptr_t)raw, align);
            size_t head = (size_t)(aligned - raw);
            size_t tail = over - head - size;
            if (head) pg_munmap(raw, head);
            if (tail) pg_munmap(aligned + size, tail);
            p = aligned;
        }
    }
    errno = p ? saved : ENOMEM;
    return p;
}

/* A segment or huge mapping, aligned to PG_SEGMENT_SIZE. The hardened build
 * makes its last PG_GUARD_SIZE bytes inaccessible and registers it, so free()
 * can tell our pointers from others (secure.c). */
void *pg_os_segment_alloc(size_t size) {
    void *p = pg_os_alloc_aligned(size, PG_SEGMENT_SIZE);
    if (p == NULL) return NULL;
    if (PG_UNLIKELY((uintptr_t)p + size > PG_ADDRESS_LIMIT)) { /* remote lists keep a count above (internal.h) */
        pg_os_free(p, size);
        errno = ENOMEM;
        return NULL;
    }
#if PG_SECURE
    if (!pg_os_guard((uint8_t *)p + size - PG_GUARD_SIZE, true)) {
        pg_os_free(p, size);
        errno = ENOMEM;
        return NULL;
    }
    pg_secure_map(p, true);
#endif
    return p;
}

/* Make the PG_GUARD_SIZE bytes at `p` inaccessible, or accessible again. */
bool pg_os_guard(void *p, bool guarded) {
    int saved = errno;
    bool ok = mprotect(p, PG_GUARD_SIZE, guarded ? PROT_NONE : PROT_READ | PROT_WRITE) == 0;
    errno = saved;
    return ok;
}

void pg_os_segment_free(pg_segment_t *seg, size_t size) {
    if (PG_SECURE) pg_secure_map(seg, false);
    pg_os_free(seg, size);
}

void pg_os_free(void *p, size_t size) {
    int saved = errno;
    pg_munmap(p, size);
    errno = saved;
}

/* Give the physical pages back but keep the address range: the next touch
 * faults in fresh zero pages. */
void pg_os_purge(void *p, size_t size) {
    int saved = errno;
    if (madvise(p, size, MADV_DONTNEED) == 0) pg_stats_madvise();
    errno = saved;
}

/* Grow a mapping without copying its pages: in place when the address range
 * after it is free, otherwise by moving the page tables onto a fresh range
 * aligned to `align` (MREMAP_FIXED over a reservation). NULL if neither works;
 * the original mapping is then untouched. */
void *pg_os_grow(void *p, size_t old_size, size_t new_size, size_t align) {
    int saved = errno;
    void *q = mremap(p, old_size, new_size, 0);
    if (q != MAP_FAILED) {
        pg_stats_mremap((int64_t)new_size - (int64_t)old_size);
    } else {
        void *target = pg_os_alloc_aligned(new_size, align);
        q = target ? mremap(p, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, target) : MAP_FAILED;
        if (q != MAP_FAILED) pg_stats_mremap(-(int64_t)old_size); /* the pages now fill the reservation */
        else if (target) pg_os_free(target, new_size);
    }
    errno = saved;
    return q == MAP_FAILED ? NULL : q;
}

uint64_t pg_os_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
