/* The size-class table and formula agree, and every class fits its requests
 * tightly: a block is never smaller than the request, nor is the previous
 * class big enough. Compiled against the allocator's sources directly. */
#include "../src/size_class.h"
#include "check.h"

int main(void) {
    for (size_t s = 0; s <= PG_MEDIUM_MAX; s++) {
        size_t c = pg_size_class(s);
        CHECK(c == pg_size_class_calc(s), "table says %zu, formula %zu for %zu", c, pg_size_class_calc(s), s);
        CHECK(c < PG_CLASSES, "class %zu out of range", c);
        CHECK(pg_class_size(c) >= s, "class %zu too small for %zu", c, s);
        CHECK(c <= 1 || pg_class_size(c - 1) < s, "size %zu fits class %zu already", s, c - 1);
        CHECK(pg_class_size(c) % PG_ALIGN == 0, "class size %zu not 16-aligned", pg_class_size(c));
    }
    CHECK(pg_size_class(PG_MEDIUM_MAX) == PG_CLASSES - 1, "last class");
    /* The hardened free's divisibility test, for every class and every
     * offset a segment holds. */
    for (size_t c = 0; c < PG_CLASSES; c++) {
        uint32_t d = (uint32_t)pg_class_size(c);
        uint64_t magic = pg_div_magic(d);
        uint32_t n = 0;
        while (n < PG_SEGMENT_SIZE && pg_divides(magic, n) == (n % d == 0)) n++;
        CHECK(n == PG_SEGMENT_SIZE, "pg_divides is wrong for %u by %u", n, d);
    }
    return check_done("test_size_class");
}
