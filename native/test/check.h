/* Minimal test harness: CHECK fails loudly with the location, and main()
 * ends with a "N passed, 0 failed" line. */
#ifndef PG_CHECK_H
#define PG_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static unsigned long check_passed;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            exit(1);                                                       \
        }                                                                  \
        check_passed++;                                                    \
    } while (0)

static inline int check_done(const char *name) {
    printf("%s: %lu passed, 0 failed\n", name, check_passed);
    return 0;
}

#endif
