/* Huge blocks (above PG_MEDIUM_MAX) each get a mapping of their own, aligned
 * like a segment so free() finds the header with the same mask.
 *
 * Programs that repeatedly allocate and free big buffers would otherwise pay
 * an mmap and a munmap per operation, so freed mappings wait in a small cache
 * (bounded in count, bytes and age) for a request they fit. */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define PG_HUGE_CACHE_MAX 64
#define PG_HUGE_CACHE_BYTES (64UL << 20)
#define PG_HUGE_CACHE_ENTRY_MAX (32UL << 20)
#define PG_HUGE_EXPIRE_NS (1000u * 1000u * 1000u)
/* A cached mapping gives its pages back once it has waited its delay
 * (keeping the mapping): PG_HUGE_PURGE_NS from PG_HUGE_PURGE_MIN bytes up,
 * PG_HUGE_PURGE_SMALL_NS below. python3's dict tables held 3.5 MiB of peak
 * RSS above mimalloc's in the cache before the first, and its 3.7 MiB table
 * up to 6 MiB more (12 of 48 runs) before the second: that one waited for
 * the 1 s expiry. Purging those after 100 ms too took `git log -p` from
 * 57k page faults to 125k and 0.17 s of system time to 0.39 (its buffers
 * of 150 KiB to 2.2 MiB come back later than that); after 300 ms it stays
 * at 57k. 100 ms, not mimalloc's 10, for the larger ones: `git log -p`
 * reuses them a little later too (97k faults with 10 ms, 47k with 100;
 * python3's peak RSS the same). */
#define PG_HUGE_FIT_MAX 8
#define PG_HUGE_PURGE_MIN (4UL << 20)
#define PG_HUGE_PURGE_NS (100u * 1000u * 1000u)
#define PG_HUGE_PURGE_SMALL_NS (300u * 1000u * 1000u)

static pg_lock_t pg_huge_lock = PG_LOCK_INIT;
static pg_segment_t *pg_huge_cache[PG_HUGE_CACHE_MAX]; /* oldest first */
static size_t pg_huge_count, pg_huge_bytes;

static size_t pg_huge_header(void) {
    return pg_align_up(sizeof(pg_segment_t) + sizeof(pg_page_t), 64);
}

/* Called with the lock held. */
static void pg_huge_cache_drop(size_t i) {
    pg_segment_t *seg = pg_huge_cache[i];
    pg_huge_bytes -= seg->size;
    memmove(&pg_huge_cache[i], &pg_huge_cache[i + 1], (pg_huge_count - i - 1) * sizeof seg);
    pg_huge_count--;
    pg_os_segment_free(seg, seg->size);
}

/* Called with the lock held: unmap what has waited PG_HUGE_EXPIRE_NS, give
 * back the pages of what has waited its purge delay (the mapping stays, so
 * its reuse still saves the mmap and munmap, not the page faults). */
static void pg_huge_cache_expire(uint64_t now) {
    while (pg_huge_count > 0 && now - pg_huge_cache[0]->cached_ns > PG_HUGE_EXPIRE_NS)
        pg_huge_cache_drop(0);
    size_t keep = pg_align_up(pg_huge_header(), PG_OS_PAGE);
    for (size_t i = 0; i < pg_huge_count; i++) {
        pg_segment_t *seg = pg_huge_cache[i];
        uint64_t waited = now - seg->cached_ns;
        if (waited <= PG_HUGE_PURGE_NS) break; /* oldest first */
        if (!seg->purged && (seg->size >= PG_HUGE_PURGE_MIN || waited > PG_HUGE_PURGE_SMALL_NS)) {
            pg_os_purge((uint8_t *)seg + keep, seg->size - keep - PG_GUARD_SIZE);
            seg->purged = true;
        }
    }
}

/* Give back the mapping past `need` bytes; the hardened build guards the
 * new end first. */
static bool pg_huge_trim(pg_segment_t *seg, size_t need) {
    if (PG_SECURE && !pg_os_guard((uint8_t *)seg + need - PG_GUARD_SIZE, true)) return false;
    pg_os_free((uint8_t *)seg + need, seg->size - need);
    seg->size = need;
    return true;
}

/* Best fit among cached mappings of `need` to PG_HUGE_FIT_MAX * `need`
 * bytes; a mapping of more than twice `need` is trimmed to it, so a huge
 * block's mapping stays within twice its request, as realloc expects. Up to twice
 * only, python3's json.dumps left a 784 KiB list buffer resident in the
 * cache for every 100k items (each new one starts at 136 KiB and grows by
 * mremap), 6 MiB by the end, and its peak RSS 1.005x mimalloc's; taking
 * the last one back, 0.999x. Taken whole, `git log -p` peaked at 186 MiB,
 * not 175. */
static pg_segment_t *pg_huge_cache_take(size_t need) {
    pg_segment_t *best = NULL;
    size_t best_i = 0;
    pg_lock(&pg_huge_lock);
    pg_huge_cache_expire(pg_os_now_ns());
    for (size_t i = 0; i < pg_huge_count; i++) {
        size_t sz = pg_huge_cache[i]->size;
        if (sz >= need && sz / PG_HUGE_FIT_MAX <= need && (best == NULL || sz < best->size)) {
            best = pg_huge_cache[i];
            best_i = i;
        }
    }
    if (best) {
        memmove(&pg_huge_cache[best_i], &pg_huge_cache[best_i + 1],
                (pg_huge_count - best_i - 1) * sizeof best);
        pg_huge_count--;
        pg_huge_bytes -= best->size;
    }
    pg_unlock(&pg_huge_lock);
    if (best && best->size / 2 > need) (void)pg_huge_trim(best, need); /* untrimmed, still a valid block */
    return best;
}

void *pg_huge_alloc(size_t size, bool zero) {
    size_t header = pg_huge_header();
    if (size > (size_t)PTRDIFF_MAX - header - PG_SEGMENT_SIZE) {
        errno = ENOMEM;
        return NULL;
    }
    size_t need = pg_align_up(header + size, PG_OS_PAGE) + PG_GUARD_SIZE;
    pg_segment_t *seg = pg_huge_cache_take(need);
    bool fresh = seg == NULL;
    if (fresh) {
        seg = pg_os_segment_alloc(need);
        if (seg == NULL) return NULL; /* errno is ENOMEM */
        seg->size = need;
    }
    pg_assert(((uintptr_t)seg & PG_SEGMENT_MASK) == 0 && seg->size >= need);
    seg->kind = PG_KIND_HUGE;
    seg->page_shift = PG_SEGMENT_SHIFT; /* any interior pointer maps to pages[0] */
    seg->page_count = 1;
    seg->page_turn = 0;
    pg_segment_set_slices(seg);
    seg->used_pages = 1;
    atomic_store_explicit(&seg->heap, NULL, memory_order_relaxed);
    pg_page_t *page = &seg->pages[0];
    page->in_use = true;
    page->has_aligned = false;
    page->start_off = (uint32_t)header;
    pg_page_set_fast(page, 0);
    uint8_t *start = (uint8_t *)seg + header;
    if (zero && !fresh) memset(start, 0, size);
    return start;
}

void pg_huge_free(pg_segment_t *seg) {
    pg_assert(seg->kind == PG_KIND_HUGE && seg->pages[0].in_use); /* not freed twice */
    seg->pages[0].in_use = false;
    if (seg->size > PG_HUGE_CACHE_ENTRY_MAX) {
        pg_os_segment_free(seg, seg->size);
        return;
    }
    uint64_t now = pg_os_now_ns();
    seg->cached_ns = now;
    seg->purged = false;
    pg_lock(&pg_huge_lock);
    pg_huge_cache_expire(now);
    while (pg_huge_count > 0 &&
           (pg_huge_count == PG_HUGE_CACHE_MAX || pg_huge_bytes + seg->size > PG_HUGE_CACHE_BYTES))
        pg_huge_cache_drop(0);
    pg_huge_cache[pg_huge_count++] = seg;
    pg_huge_bytes += seg->size;
    pg_unlock(&pg_huge_lock);
}

/* realloc of a huge block to a larger size: remap rather than copy. The
 * hardened build lifts its guard page first (mremap moves one mapping, and
 * the guard is a mapping of its own) and guards the new end after, so a
 * block that grows keeps its guard without a copy. */
void *pg_huge_grow(pg_segment_t *seg, void *p, size_t size) {
    size_t offset = (size_t)((uint8_t *)p - (uint8_t *)seg);
    if (size > (size_t)PTRDIFF_MAX - offset - PG_SEGMENT_SIZE) return NULL;
    size_t need = pg_align_up(offset + size, PG_OS_PAGE) + PG_GUARD_SIZE;
#if PG_SECURE
    uint8_t *guard = (uint8_t *)seg + seg->size - PG_GUARD_SIZE;
    if (!pg_os_guard(guard, false)) return NULL;
    pg_secure_map(seg, false); /* before the range can go back to the OS */
#endif
    pg_segment_t *moved = pg_os_grow(seg, seg->size, need, PG_SEGMENT_SIZE);
#if PG_SECURE
    if (moved == NULL && !pg_os_guard(guard, true)) pg_secure_fail("realloc(): cannot restore the guard page of", p);
    if (moved != NULL && !pg_os_guard((uint8_t *)moved + need - PG_GUARD_SIZE, true))
        pg_secure_fail("realloc(): cannot protect the guard page of", (uint8_t *)moved + offset);
    pg_secure_map(moved != NULL ? moved : seg, true);
#endif
    if (moved == NULL) return NULL;
    moved->size = need;
    pg_segment_set_slices(moved); /* they point into the old mapping */
    return (uint8_t *)moved + offset;
}

/* realloc of a huge block to under half its size, still huge: give the
 * tail back instead of copying the head into a new mapping (a copy faults
 * in every page it writes). The hardened build guards the new end first. */
bool pg_huge_shrink(pg_segment_t *seg, void *p, size_t size) {
    if (size <= PG_MEDIUM_MAX) return false;
    size_t offset = (size_t)((uint8_t *)p - (uint8_t *)seg);
    size_t need = pg_align_up(offset + size, PG_OS_PAGE) + PG_GUARD_SIZE;
    return need < seg->size && pg_huge_trim(seg, need);
}

size_t pg_huge_usable(const pg_segment_t *seg, const void *p) {
    return seg->size - PG_GUARD_SIZE - (size_t)((const uint8_t *)p - (const uint8_t *)seg);
}

void pg_huge_atfork_prepare(void) { pg_lock(&pg_huge_lock); }
void pg_huge_atfork_parent(void) { pg_unlock(&pg_huge_lock); }
void pg_huge_atfork_child(void) { pg_lock_reset(&pg_huge_lock); }
