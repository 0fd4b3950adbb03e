/* PGALLOC_STATS=1: at exit, one JSON line on stderr with the allocator's own
 * count of OS calls. The counters live on the OS path only (a few calls per
 * million operations), so they cost nothing measurable when nobody reads them. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static _Atomic uint64_t pg_n_mmap, pg_n_munmap, pg_n_madvise, pg_n_mremap;
static _Atomic uint64_t pg_bytes_mapped_total, pg_bytes_mapped_now, pg_bytes_mapped_peak;
static int pg_stats_fd = -1; /* a private copy of stderr; -1 when off */

/* Bytes mapped changed by `delta`: track the total mapped and its peak. */
static void pg_stats_mapped(int64_t delta) {
    if (delta > 0) atomic_fetch_add_explicit(&pg_bytes_mapped_total, (uint64_t)delta, memory_order_relaxed);
    uint64_t now = atomic_fetch_add_explicit(&pg_bytes_mapped_now, (uint64_t)delta, memory_order_relaxed) + (uint64_t)delta;
    uint64_t peak = atomic_load_explicit(&pg_bytes_mapped_peak, memory_order_relaxed);
    while (now > peak &&
           !atomic_compare_exchange_weak_explicit(&pg_bytes_mapped_peak, &peak, now,
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

void pg_stats_mmap(size_t bytes) {
    atomic_fetch_add_explicit(&pg_n_mmap, 1, memory_order_relaxed);
    pg_stats_mapped((int64_t)bytes);
}

void pg_stats_munmap(size_t bytes) {
    atomic_fetch_add_explicit(&pg_n_munmap, 1, memory_order_relaxed);
    pg_stats_mapped(-(int64_t)bytes);
}

void pg_stats_madvise(void) { atomic_fetch_add_explicit(&pg_n_madvise, 1, memory_order_relaxed); }

/* `delta`: how the bytes mapped changed (negative when pages moved onto a
 * reservation that its mmap already counted). */
void pg_stats_mremap(int64_t delta) {
    atomic_fetch_add_explicit(&pg_n_mremap, 1, memory_order_relaxed);
    pg_stats_mapped(delta);
}

/* Keep our own descriptor for stderr: some programs (coreutils, via
 * gnulib's close_stdout) close fd 2 before the exit destructors run. */
void pg_stats_init(void) {
    const char *v = getenv("PGALLOC_STATS");
    if (v != NULL && strcmp(v, "1") == 0) pg_stats_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 10);
}

__attribute__((destructor)) static void pg_stats_print(void) {
    if (pg_stats_fd < 0) return;
    char line[320];
    int n = snprintf(line, sizeof line,
                     "{\"pgalloc\":{\"pid\":%d,\"mmap\":%llu,\"munmap\":%llu,\"madvise\":%llu,\"mremap\":%llu,"
                     "\"bytes_mapped\":%llu,\"bytes_mapped_peak\":%llu}}\n",
                     (int)getpid(), (unsigned long long)pg_n_mmap, (unsigned long long)pg_n_munmap,
                     (unsigned long long)pg_n_madvise, (unsigned long long)pg_n_mremap,
                     (unsigned long long)pg_bytes_mapped_total,
                     (unsigned long long)pg_bytes_mapped_peak);
    if (n > 0 && write(pg_stats_fd, line, (size_t)n) < 0) return;
}
