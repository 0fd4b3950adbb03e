/* Page metadata colouring (src/internal.h, pg_segment_turn): the pages of
 * medium segments of different colours never share a set of a 64-set
 * cache, as pages[i] of 4 MiB-aligned segments would, and each block still
 * maps to the page that holds it, small or medium, over many segments.
 * Fails if a medium segment's pages go back to one place in every segment,
 * or an address stops mapping to its page. */
#include <stdint.h>
#include <string.h>

#include "../src/internal.h"
#include "check.h"

/* One size of each of these medium classes: a medium page each, two pages
 * to a segment, so the pages lie in at least five segments. */
static const size_t sizes[] = {2560, 3072, 5120, 6144, 10240, 12288, 20480, 24576, 40960, 49152};
#define NS (sizeof sizes / sizeof sizes[0])

static size_t l1_set(const void *p) { return ((uintptr_t)p >> 6) & 63; }

/* malloc(size), checked to lie in a carved block of the page its address
 * maps to; that page. */
static const pg_page_t *checked_malloc(void **p, size_t size) {
    *p = malloc(size);
    CHECK(*p != NULL, "malloc(%zu)", size);
    memset(*p, 0xa5, size);
    pg_segment_t *seg = pg_ptr_segment(*p);
    const pg_page_t *page = pg_segment_page_of(seg, *p);
    CHECK(page->in_use && pg_page_contains(page, *p) && page->block_size >= size,
          "%zu bytes at %p: not in the page it maps to (turn %u)", size, *p, seg->page_turn);
    return page;
}

/* `n` blocks of `size`, each where its address says. */
static void check_blocks(size_t n, size_t size) {
    void **b = malloc(n * sizeof *b);
    CHECK(b != NULL, "malloc");
    for (size_t i = 0; i < n; i++) (void)checked_malloc(&b[i], size);
    for (size_t i = 0; i < n; i++) free(b[i]);
    free(b);
}

int main(void) {
    void *blocks[NS];
    const pg_page_t *pages[NS];
    const pg_segment_t *segs[NS];
    for (size_t i = 0; i < NS; i++) {
        pages[i] = checked_malloc(&blocks[i], sizes[i]);
        segs[i] = pg_ptr_segment(blocks[i]);
        CHECK(segs[i]->kind == PG_KIND_MEDIUM, "%zu bytes: not in a medium segment", sizes[i]);
    }
    size_t turns = 0;
    uint8_t seen[PG_MAX_PAGES] = {0};
    for (size_t i = 0; i < NS; i++) {
        uint32_t t = segs[i]->page_turn;
        CHECK(t < PG_MAX_PAGES, "turn %u", t);
        turns += !seen[t];
        seen[t] = 1;
        for (size_t j = 0; j < i; j++)
            if (segs[j]->page_turn != t)
                CHECK(l1_set(pages[i]) != l1_set(pages[j]),
                      "the pages of %zu and %zu bytes share cache set %zu (segments %p and %p)", sizes[i], sizes[j],
                      l1_set(pages[i]), (const void *)segs[i], (const void *)segs[j]);
    }
    CHECK(turns >= 2, "every segment has turn %u: nothing to compare", segs[0]->page_turn);
    for (size_t i = 0; i < NS; i++) free(blocks[i]);
    /* 20 MB of small blocks, then 200 blocks of each medium class. */
    check_blocks(20000, 1000);
    for (size_t i = 0; i < NS; i++) check_blocks(200, sizes[i]);
    return check_done("test_colour");
}
