/* malloc's class tables, built from the formula (PG_SIZE_CLASS) by the
 * compiler: pg_class_table[(size + 15) / 16] is the class of size <= 1024,
 * pg_class_table_medium[(size + 255) / 256] that of 1024 < size <=
 * PG_MEDIUM_MAX (entry i is the class of i * 256 bytes; 0-4 are unused).
 * Constant data, not filled in at start-up: malloc can be called before any
 * constructor runs. test_size_class checks every size against the formula. */
#include "size_class.h"

/* f(i), f(i + 1), ..., f(i + n - 1) for n a power of two up to 512. */
#define PG_REP2(f, i) f(i), f((i) + 1)
#define PG_REP4(f, i) PG_REP2(f, i), PG_REP2(f, (i) + 2)
#define PG_REP8(f, i) PG_REP4(f, i), PG_REP4(f, (i) + 4)
#define PG_REP16(f, i) PG_REP8(f, i), PG_REP8(f, (i) + 8)
#define PG_REP32(f, i) PG_REP16(f, i), PG_REP16(f, (i) + 16)
#define PG_REP64(f, i) PG_REP32(f, i), PG_REP32(f, (i) + 32)
#define PG_REP128(f, i) PG_REP64(f, i), PG_REP64(f, (i) + 64)
#define PG_REP256(f, i) PG_REP128(f, i), PG_REP128(f, (i) + 128)
#define PG_REP512(f, i) PG_REP256(f, i), PG_REP256(f, (i) + 256)

#define PG_CLASS_OF_16(i) PG_SIZE_CLASS((i) * 16UL)
#define PG_CLASS_OF_256(i) PG_SIZE_CLASS((i) * 256UL)

const uint8_t pg_class_table[(1024 >> 4) + 1] = {PG_REP64(PG_CLASS_OF_16, 0), PG_CLASS_OF_16(64)};

const uint8_t pg_class_table_medium[(PG_MEDIUM_MAX >> 8) + 1] = {PG_REP512(PG_CLASS_OF_256, 0),
                                                                 PG_CLASS_OF_256(512)};
