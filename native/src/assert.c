/* The failure path of pg_assert (internal.h), in debug builds only. It must
 * not allocate: the heap it would use may be the broken one. */
#include "internal.h"

#if PG_DEBUG
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void pg_write_str(const char *s) {
    ssize_t r = write(STDERR_FILENO, s, strlen(s));
    (void)r;
}

void pg_assert_fail(const char *expr, const char *file, int line, const char *func) {
    char num[16];
    int i = (int)sizeof num;
    num[--i] = '\0';
    do num[--i] = (char)('0' + line % 10); while ((line /= 10) > 0 && i > 0);
    pg_write_str("pgalloc: assertion failed: ");
    pg_write_str(expr);
    pg_write_str(" (");
    pg_write_str(file);
    pg_write_str(":");
    pg_write_str(num + i);
    pg_write_str(", ");
    pg_write_str(func);
    pg_write_str(")\n");
    abort();
}
#endif
