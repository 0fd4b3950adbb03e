/* The hardened build (make SECURE=1), after mimalloc's secure mode:
 *
 * - free-list links are encoded with a random key per page (internal.h,
 *   pg_link_set), and a link that does not decode to a block of its
 *   page aborts malloc;
 * - free() checks its pointer: a segment of ours (a bitmap with one bit per
 *   4 MiB of address space), a page in use, the start of a carved block;
 * - double frees are found in two bitmaps per segment, one bit per 16
 *   bytes, without reading the block: the free map (internal.h), the
 *   owner's, marks the blocks on its pages' `free` lists; the remote map,
 *   which other threads set atomically as their runs go home, marks the
 *   blocks they freed that the owner has not yet taken over. A free of a
 *   block marked in either is a double free, caught by the thread making
 *   it (for another thread's free, when its run goes home). Neither map
 *   hears of a block waiting in another thread's run: that free writes a
 *   tag into the block (internal.h, pg_block_tag), which the owner's free
 *   tests (where other threads have freed) and malloc clears, and a run
 *   going home checks its blocks' tags: a double free of a block a run
 *   holds is caught at the owner's free, or (a third thread's, or one
 *   after a write over the tag) when the run goes home, before the block
 *   can reach the free list a second time;
 * - the last OS page of every segment and huge mapping is PROT_NONE (os.c),
 *   and realloc moves it with the end of a huge block it trims or remaps.
 *
 * Every failure prints one line naming the pointer and aborts. Release builds
 * compile all of it out. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "foreign.h"

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

static _Atomic uint64_t pg_secret;
_Atomic uintptr_t pg_tag_secret;
static _Atomic uint64_t pg_key_counter;

/* splitmix64's finalizer (Steele, Lea, Flood: "Fast splittable pseudorandom
 * number generators", OOPSLA 2014). */
static uint64_t pg_mix(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* The two secrets, drawn before the first page gets its key (so before any
 * block can be freed), once: the first thread's compare-exchange wins, as
 * every freed block's tag must be checked against the tag it was given. */
static void pg_secure_init(void) {
    uint64_t s[2] = {0, 0};
    if (getrandom(s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) {
        /* Weak without getrandom, but the tag's secret is not computed from
         * the page secret: pg_mix is invertible, so that would give it away. */
        s[0] = pg_os_now_ns() ^ (uintptr_t)&s;
        s[1] = pg_mix(pg_os_now_ns() ^ (uintptr_t)&pg_tag_secret);
    }
    uintptr_t none = 0;
    atomic_compare_exchange_strong(&pg_tag_secret, &none, (uintptr_t)(s[1] | 1));
    uint64_t zero = 0;
    atomic_compare_exchange_strong(&pg_secret, &zero, s[0] | 1);
}

uintptr_t pg_secure_page_key(const pg_page_t *page) {
    /* Acquire: the tag, drawn first, is seen with the secret. */
    if (PG_UNLIKELY(atomic_load_explicit(&pg_secret, memory_order_acquire) == 0)) pg_secure_init();
    uint64_t n = atomic_fetch_add_explicit(&pg_key_counter, 1, memory_order_relaxed);
    return (uintptr_t)pg_mix(atomic_load_explicit(&pg_secret, memory_order_relaxed) ^ (uintptr_t)page ^
                             (n * 0x9e3779b97f4a7c15ULL));
}

/* ---- the segment map ---- */

_Atomic uint64_t pg_segment_map[PG_MAP_BITS / 64]; /* 4 MiB of bss, touched where segments live */

void pg_secure_map(pg_segment_t *seg, bool mapped) {
    uintptr_t i = (uintptr_t)seg >> PG_SEGMENT_SHIFT;
    if (i >= PG_MAP_BITS) pg_secure_fail("segment above the 47-bit address space at", seg);
    uint64_t bit = 1ULL << (i % 64);
    if (mapped) atomic_fetch_or_explicit(&pg_segment_map[i / 64], bit, memory_order_release);
    else atomic_fetch_and_explicit(&pg_segment_map[i / 64], ~bit, memory_order_release);
}

/* ---- the remote map (internal.h) ---- */

/* The page's first byte (its region, header included), where its words of
 * the free and remote maps start. */
static uint8_t *pg_page_base(const pg_page_t *page) {
    const pg_segment_t *seg = pg_page_segment(page);
    return (uint8_t *)seg + (pg_page_region(page) << seg->page_shift);
}

/* Remote-map words per dirty bit: a page's words over 64. */
static size_t pg_dirty_group(const pg_page_t *page) {
    return ((size_t)1 << pg_page_segment(page)->page_shift) / PG_ALIGN / 64 / 64;
}

/* Set `bits` in remote-map word `w` of the page at `start`: a bit already
 * set is a block freed twice by other threads. */
static void pg_remote_set(uint8_t *start, _Atomic uint64_t *base, _Atomic uint64_t *w, uint64_t bits) {
    uint64_t twice = atomic_fetch_or_explicit(w, bits, memory_order_relaxed) & bits;
    if (PG_UNLIKELY(twice != 0))
        pg_secure_fail("double free (freed twice by other threads) of",
                       start + ((size_t)(w - base) * 64 + (size_t)__builtin_ctzll(twice)) * PG_ALIGN);
}

/* Before a run of n blocks (first..last, linked) of `page` goes home: set
 * their bits, one atomic OR per word they share (each a full barrier on
 * x86, so one per block cost `xthread` a wait per block). A block marked
 * free in its owner's free map is freed twice too, and so is a run whose
 * chain does not reach `last` in n steps: a block freed again into its run
 * became the run's first and its link now leads back into the run. A block
 * without its tag was handed out (or written) since this thread freed it:
 * another free of it reached the free list first. One walk, which sets
 * the bits once it has checked the whole chain (so a run freed into twice
 * is named as that, not as a block two threads freed). Against a walk to
 * check the chain's length and a second to mark, each link a cache miss
 * again (Zen 3 VM, paired rounds): `xmalloc` 1.041x (1.024-1.054, 201),
 * `xthread` 1.058x (1.043-1.080, 101), `mstress` 1.024x (1.012-1.053,
 * 61), `larson` 0.998x (0.971-1.012, 61). Reading the blocks from an
 * array kept beside the run, their loads independent, measured no better
 * than this walk (`xmalloc` 1.005x, 0.975-1.024, 101). */
void pg_secure_remote_mark(pg_page_t *page, pg_block_t *first, pg_block_t *last, uint32_t n) {
    pg_assert(n >= 1 && n <= PG_FOREIGN_MAX);
    uintptr_t key = pg_page_key_shared(page);
    _Atomic uint64_t *words[PG_FOREIGN_MAX];
    uint64_t bits[PG_FOREIGN_MAX], bit;
    uint32_t nw = 0, steps = 0;
    for (pg_block_t *b = first;; b = pg_link_next(key, b)) {
        if (PG_UNLIKELY(b == NULL || ++steps > n)) pg_secure_fail("free(): double free of", first);
        uint64_t obit, *own = pg_freemap_word(b, &obit);
        if (PG_UNLIKELY(__atomic_load_n(own, __ATOMIC_RELAXED) & obit)) pg_secure_fail("free(): double free of", b);
        if (PG_UNLIKELY(*pg_block_tag(b) != pg_tag_of(b)))
            pg_secure_fail("free(): double free or write after free of", b);
        _Atomic uint64_t *w = pg_remotemap_word(b, &bit);
        if (nw == 0 || w != words[nw - 1]) {
            words[nw] = w;
            bits[nw++] = 0;
        }
        bits[nw - 1] |= bit;
        if (b == last) break;
    }
    if (PG_UNLIKELY(steps != n)) pg_secure_fail("free(): double free of", first);
    uint8_t *start = pg_page_base(page);
    _Atomic uint64_t *base = pg_remotemap_word(start, &bit);
    size_t group = pg_dirty_group(page);
    uint64_t dirty = 0;
    for (uint32_t i = 0; i < nw; i++) {
        pg_remote_set(start, base, words[i], bits[i]);
        dirty |= 1ULL << ((size_t)(words[i] - base) / group);
    }
    /* Release: the owner that takes these dirty bits reads the words after. */
    atomic_fetch_or_explicit(&pg_page_remote(page)->dirty, dirty, memory_order_release);
}

/* The owner, collecting: move the remote map's bits of `page` into the free
 * map. A bit in both is a block freed by the owner and by another thread.
 * Bits of blocks still on their way (marked, not yet pushed) move early:
 * they are free either way. */
void pg_secure_remote_take(pg_page_t *page) {
    uint64_t dirty = atomic_exchange_explicit(&pg_page_remote(page)->dirty, 0, memory_order_acquire);
    if (dirty == 0) return;
    uint8_t *start = pg_page_base(page);
    uint64_t bit, *own = pg_freemap_word(start, &bit);
    _Atomic uint64_t *remote = pg_remotemap_word(start, &bit);
    size_t group = pg_dirty_group(page);
    for (; dirty != 0; dirty &= dirty - 1) {
        size_t first = (size_t)__builtin_ctzll(dirty) * group;
        for (size_t i = first; i < first + group; i++) {
            if (atomic_load_explicit(&remote[i], memory_order_relaxed) == 0) continue;
            uint64_t w = atomic_exchange_explicit(&remote[i], 0, memory_order_acquire), both = w & own[i];
            if (PG_UNLIKELY(both != 0))
                pg_secure_fail("double free (by its owner and another thread) of",
                               start + (i * 64 + (size_t)__builtin_ctzll(both)) * PG_ALIGN);
            __atomic_store_n(&own[i], own[i] | w, __ATOMIC_RELAXED);
        }
    }
}

/* A page starting over (new class, owner or kind) clears its slices'
 * remote-freed bits (pg_slice_remote_freed) and its words of the remote
 * map: in a segment that changed kind, bits the old pages' dirty masks
 * named in other groups (a page retires only once every block pushed home
 * is collected, its bits with it, as the count rides with the list). Read
 * first, written only where set: untouched words stay unmapped. */
void pg_secure_remote_clear(pg_page_t *page) {
    pg_segment_t *seg = pg_page_segment(page);
    size_t n, first = pg_page_slices(page, &n);
    for (size_t s = first; s < first + n; s++)
        atomic_store_explicit((_Atomic uintptr_t *)&seg->slice_page[s], (uintptr_t)page, memory_order_relaxed);
    atomic_store_explicit(&pg_page_remote(page)->dirty, 0, memory_order_relaxed);
    uint64_t bit;
    _Atomic uint64_t *remote = pg_remotemap_word(pg_page_base(page), &bit);
    size_t words = pg_dirty_group(page) * 64;
    for (size_t i = 0; i < words; i++)
        if (atomic_load_explicit(&remote[i], memory_order_relaxed) != 0)
            atomic_store_explicit(&remote[i], 0, memory_order_relaxed);
}

/* ---- checked free ---- */

static void pg_secure_check_huge(pg_segment_t *seg, const void *p) {
    pg_page_t *page = &seg->pages[0];
    if (!page->in_use) pg_secure_fail("free(): double free of", p);
    const uint8_t *start = pg_page_start(page);
    if ((const uint8_t *)p < start || (const uint8_t *)p >= start + PG_MAX_ALIGN)
        pg_secure_fail("free(): invalid pointer (not the start of a block)", p);
}

void pg_secure_check_free(pg_segment_t *seg, void *p) {
    if (!pg_secure_is_mapped(seg)) pg_secure_fail("free(): invalid pointer (not allocated by pgalloc)", p);
    if (seg->kind == PG_KIND_HUGE) {
        pg_secure_check_huge(seg, p);
        return;
    }
    size_t idx = pg_segment_page_index(seg, p);
    uintptr_t owner = atomic_load_explicit(&seg->slice_tid[pg_slice_index(p)], memory_order_relaxed);
    if (owner != 0 && owner != pg_thread_id()) {
        pg_secure_check_foreign(seg, idx, p);
        return;
    }
    pg_page_t *page = &seg->pages[idx];
    if (!page->in_use) pg_secure_fail("free(): double free (its page holds no blocks) of", p);
    const pg_block_t *block = pg_secure_block_of(page, p);
    if (owner != 0 || atomic_load_explicit(&seg->heap, memory_order_relaxed) == pg_tl_heap)
        pg_secure_check_owner(page, block, p, pg_slice_remote_freed(block));
    else
        pg_secure_check_tag(block, p);
}
#endif
