/* Debug builds (make DEBUG=1) check pgalloc's invariants. A free of a
 * pointer that is not a block start, a double free of a small block and a
 * double free of a huge block each abort with "pgalloc: assertion failed"
 * instead of corrupting a free list. Release builds compile the checks out,
 * so there this test only says so. */
#include "check.h"

#ifndef PG_DEBUG
#define PG_DEBUG 0
#endif

static void interior_free(void) {
    char *p = malloc(64);
    free(p + 16);
}

static void small_double_free(void) {
    void *a = malloc(64);
    void *b = malloc(64); /* keeps the page in use */
    free(a);
    free(a);
    for (int i = 0; i < 100000; i++) (void)malloc(64); /* the slow path checks the page */
    free(b);
}

static void huge_double_free(void) {
    void *p = malloc(1 << 20);
    free(p);
    free(p);
}

static void expect_abort(const char *name, void (*bad)(void)) {
    check_dies(name, bad, SIGABRT, "pgalloc: assertion failed: ");
}

int main(void) {
    if (!PG_DEBUG) {
        printf("test_debug: release build, internal assertions compiled out\n");
        return check_done("test_debug");
    }
    expect_abort("interior free", interior_free);
    expect_abort("small double free", small_double_free);
    expect_abort("huge double free", huge_double_free);
    return check_done("test_debug");
}
