/* The hardened build (make SECURE=1), after mimalloc's secure mode:
 *
 * - free-list links are encoded with a random key per page (internal.h,
 *   pg_block_set_next), and a link that does not decode to a block of its
 *   page aborts malloc;
 * - free() checks its pointer: a segment of ours (a bitmap with one bit per
 *   4 MiB of address space), a page in use, the start of a block; a block
 *   marked free in its segment's free map (the owner's double free), or
 *   taken over from the remote list while marked or beyond the blocks out
 *   (page.c), is a double free;
 * - the last OS page of every segment and huge mapping is PROT_NONE (os.c).
 *
 * Every failure prints one line naming the pointer and aborts. Release builds
 * compile all of it out. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "internal.h"

#if PG_SECURE
static void pg_write_str(const char *s) {
    ssize_t r = write(STDERR_FILENO, s, strlen(s));
    (void)r;
}

void pg_secure_fail(const char *what, const void *p) {
    char hex[19] = "0x";
    uintptr_t v = (uintptr_t)p;
    for (int i = 0; i < 16; i++) hex[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    hex[18] = '\0';
    pg_write_str("pgalloc: ");
    pg_write_str(what);
    pg_write_str(" ");
    pg_write_str(hex);
    pg_write_str("\n");
    abort();
}

/* ---- page keys ---- */

static uint64_t pg_secret;
static _Atomic uint64_t pg_key_counter;

/* splitmix64's finalizer (Steele, Lea, Flood: "Fast splittable pseudorandom
 * number generators", OOPSLA 2014). */
static uint64_t pg_mix(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uintptr_t pg_secure_page_key(const pg_page_t *page) {
    if (PG_UNLIKELY(pg_secret == 0)) {
        uint64_t s = 0;
        if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) s = pg_os_now_ns() ^ (uintptr_t)&s;
        pg_secret = s | 1;
    }
    uint64_t n = atomic_fetch_add_explicit(&pg_key_counter, 1, memory_order_relaxed);
    return (uintptr_t)pg_mix(pg_secret ^ (uintptr_t)page ^ (n * 0x9e3779b97f4a7c15ULL));
}

/* ---- the segment map ---- */

#define PG_MAP_BITS ((uintptr_t)1 << (47 - PG_SEGMENT_SHIFT)) /* 47-bit user space */
static _Atomic uint64_t pg_segment_map[PG_MAP_BITS / 64];      /* 4 MiB of bss, touched where segments live */

void pg_secure_map(pg_segment_t *seg, bool mapped) {
    uintptr_t i = (uintptr_t)seg >> PG_SEGMENT_SHIFT;
    if (i >= PG_MAP_BITS) pg_secure_fail("segment above the 47-bit address space at", seg);
    uint64_t bit = 1ULL << (i % 64);
    if (mapped) atomic_fetch_or_explicit(&pg_segment_map[i / 64], bit, memory_order_release);
    else atomic_fetch_and_explicit(&pg_segment_map[i / 64], ~bit, memory_order_release);
}

static bool pg_secure_is_mapped(const pg_segment_t *seg) {
    uintptr_t i = (uintptr_t)seg >> PG_SEGMENT_SHIFT;
    return i < PG_MAP_BITS &&
           (atomic_load_explicit(&pg_segment_map[i / 64], memory_order_acquire) >> (i % 64) & 1) != 0;
}

/* ---- checked free ---- */

static void pg_secure_check_huge(pg_segment_t *seg, const void *p) {
    pg_page_t *page = &seg->pages[0];
    if (!page->in_use) pg_secure_fail("free(): double free of", p);
    const uint8_t *start = pg_page_start(page);
    if ((const uint8_t *)p < start || (const uint8_t *)p >= start + PG_MAX_ALIGN)
        pg_secure_fail("free(): invalid pointer (not the start of a block)", p);
}

/* The owner's double free: the block is marked free in the segment's free
 * map (internal.h), which costs a bit test, not a read of the block. */
static void pg_secure_check_owner(const pg_page_t *page, const pg_block_t *block, const void *p) {
    uint64_t bit, *w = pg_freemap_word(block, &bit);
    if (page->used == 0 || (*w & bit) != 0) pg_secure_fail("free(): double free of", p);
}

void pg_secure_check_free(pg_segment_t *seg, void *p) {
    if (!pg_secure_is_mapped(seg)) pg_secure_fail("free(): invalid pointer (not allocated by pgalloc)", p);
    if (seg->kind == PG_KIND_HUGE) {
        pg_secure_check_huge(seg, p);
        return;
    }
    size_t idx = pg_segment_page_index(seg, p);
    pg_page_t *page = &seg->pages[idx];
    if (!page->in_use) pg_secure_fail("free(): double free (its page holds no blocks) of", p);
    size_t off = (size_t)((uint8_t *)p - pg_page_start(page));
    if (off >= (size_t)page->capacity * page->block_size) pg_secure_fail("free(): invalid pointer (not the start of a block)", p);
    uint32_t rem = (uint32_t)off % page->block_size; /* 32-bit: offsets stay below 4 MiB, and it is the faster divide */
    if (rem != 0 && !page->has_aligned) pg_secure_fail("free(): invalid pointer (not the start of a block)", p);
    if (atomic_load_explicit(&seg->fast_tid[idx], memory_order_relaxed) == pg_thread_id() ||
        atomic_load_explicit(&seg->heap, memory_order_relaxed) == pg_tl_heap)
        pg_secure_check_owner(page, (pg_block_t *)((uint8_t *)p - rem), p);
}
#endif
