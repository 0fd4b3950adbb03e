/* Minimal test harness: CHECK fails loudly with the location, and main()
 * ends with a "N passed, 0 failed" line. */
#ifndef PG_CHECK_H
#define PG_CHECK_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Runs `bad` in a child, which must die of signal `sig` having printed
 * `needle` on stderr (NULL: anything); prints what it said. */
static inline void check_dies(const char *name, void (*bad)(void), int sig, const char *needle) {
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        bad();
        _exit(0);
    }
    close(fds[1]);
    char buf[512] = {0};
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)r;
    close(fds[0]);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sig, "%s: the child did not die of signal %d (status %d), stderr: %s",
          name, sig, status, buf);
    CHECK(needle == NULL || strstr(buf, needle) != NULL, "%s: no '%s' on stderr, which was: %s", name, needle, buf);
    printf("%s caught: %s%s", name, buf[0] ? buf : "(no message)", buf[0] && buf[strlen(buf) - 1] == '\n' ? "" : "\n");
}

/* The 4 MiB-aligned segment of pgalloc's that holds `p`, and whether a
 * segment is still mapped (mincore fails on an unmapped range). */
static inline uintptr_t segment_of(const void *p) { return (uintptr_t)p & ~(uintptr_t)((4 << 20) - 1); }
static inline int segment_mapped(uintptr_t seg) {
    unsigned char resident;
    return mincore((void *)seg, 4096, &resident) == 0;
}

static inline int check_done(const char *name) {
    printf("%s: %lu passed, 0 failed\n", name, check_passed);
    return 0;
}

#endif
