/* pg_class_table[(size + 15) / 16] == pg_size_class_calc(size) for size <= 1024;
 * test_api checks every entry against the formula. */
#include "size_class.h"

const uint8_t pg_class_table[(1024 >> 4) + 1] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 10,
    11, 11, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15,
    15, 15, 15, 16, 16, 16, 16, 17, 17, 17, 17, 17, 17,
    17, 17, 18, 18, 18, 18, 18, 18, 18, 18, 19, 19, 19,
    19, 19, 19, 19, 19, 20, 20, 20, 20, 20, 20, 20, 20,
};
