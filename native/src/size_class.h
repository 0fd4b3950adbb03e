/* Size classes: 16-byte steps up to 128 bytes, then four classes per power
 * of two, so no block wastes more than 25 % of its size (12.5 % on average).
 * Coarser classes than a 16-byte ladder mean more blocks share a page: a
 * program's live blocks sit on fewer pages and fewer cache lines of page
 * metadata, which measured faster on random_mixed than exact 16-byte steps
 * to 1 KiB (see native/MEASUREMENTS.md). */
#ifndef PG_SIZE_CLASS_H
#define PG_SIZE_CLASS_H

#include "internal.h"

/* Class by formula, for any size <= PG_MEDIUM_MAX: above 128 bytes, with
 * 2^b < size <= 2^(b+1), class 9 + (b - 7) * 4 + the quarter of the doubling
 * the size falls in. Class 0 serves malloc(0) with 16-byte blocks of its own,
 * which keeps a branch off the fast path. A macro, so that for a constant
 * size it is a constant: size_class.c builds the tables from it. */
#define PG_SIZE_LOG2_BELOW(size) (63 - __builtin_clzl((size) - 1)) /* b */
#define PG_SIZE_CLASS(size)                                                             \
    ((size) <= 128 ? ((size) + 15) >> 4                                                \
                   : PG_CLASS_LADDER_LAST + 1 + (PG_SIZE_LOG2_BELOW(size) - 7) * 4 + \
                         ((((size) - 1) >> (PG_SIZE_LOG2_BELOW(size) - 2)) - 4))

static inline size_t pg_size_class_calc(size_t size) { return PG_SIZE_CLASS(size); }

/* The same mapping by table: up to 1 KiB in 16-byte steps, above it in
 * 256-byte steps (above 1 KiB every class's size is a multiple of 256).
 * malloc's fast path takes a medium class from the table: one load from
 * lines it reads often, where the formula is a chain of eight dependent
 * instructions (bsr among them) in front of the page's load; the table
 * measured 1.049x on `mid_mixed` (native/README.md, *Fast paths*). */
PG_HIDDEN extern const uint8_t pg_class_table[(1024 >> 4) + 1];
PG_HIDDEN extern const uint8_t pg_class_table_medium[(PG_MEDIUM_MAX >> 8) + 1];

/* For 1024 < size <= PG_MEDIUM_MAX. */
static inline size_t pg_size_class_medium(size_t size) {
    pg_assert(size > 1024 && size <= PG_MEDIUM_MAX);
    return pg_class_table_medium[(size + 255) >> 8];
}

static inline size_t pg_size_class(size_t size) {
    if (PG_LIKELY(size <= 1024)) return pg_class_table[(size + 15) >> 4];
    return pg_size_class_medium(size);
}

/* Block size of class `cls` (inverse of pg_size_class). */
static inline size_t pg_class_size(size_t cls) {
    if (cls <= PG_CLASS_LADDER_LAST) return cls ? cls << 4 : 16;
    size_t k = cls - PG_CLASS_LADDER_LAST - 1;
    size_t b = 7 + k / 4;
    return (k % 4 + 5) << (b - 2);
}

static inline pg_kind_t pg_class_kind(size_t cls) {
    return pg_class_size(cls) <= PG_SMALL_MAX ? PG_KIND_SMALL : PG_KIND_MEDIUM;
}

#endif
