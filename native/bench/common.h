/* Shared pieces of the benchmark suite: argument parsing, a fast
 * deterministic RNG, the operation checksum, timing and the JSON report.
 * Benchmarks call plain malloc/free; the allocator is chosen by LD_PRELOAD.
 *
 * A thread's own state (its RNG, its checksum, counters) lives in locals
 * while it runs and goes back to its struct once at the end. The threads'
 * structs lie side by side in one array, so a write per operation made
 * neighbouring threads pass a cache line back and forth that no allocator
 * put there: the multi-threaded benchmarks did so until 2026-11-23. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name; /* also the JSON key */
    uint64_t value;   /* default, replaced by the parsed argument */
    uint64_t min;
    uint64_t max;
} bench_param_t;

/* Parse positional arguments into `params` (in order; trailing ones may be
 * omitted). Bad input prints the usage line and exits with status 2. */
void bench_parse(int argc, char **argv, const char *bench, bench_param_t *params, size_t n);
void bench_usage_error(const char *bench, const bench_param_t *params, size_t n, const char *why);

/* xorshift64*: fast enough not to dominate an allocator benchmark. */
typedef struct {
    uint64_t s;
} bench_rng_t;

static inline void bench_rng_seed(bench_rng_t *r, uint64_t seed) {
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL; /* splitmix64 step: no zero state */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    r->s = (z ^ (z >> 31)) | 1;
}

static inline uint64_t bench_rand(bench_rng_t *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [lo, hi]. */
static inline uint64_t bench_range(bench_rng_t *r, uint64_t lo, uint64_t hi) {
    return lo + bench_rand(r) % (hi - lo + 1);
}

/* Checksum of the operation sequence (never of addresses), so two runs
 * under different allocators prove they did the same work. */
static inline uint64_t bench_mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ULL; }
#define BENCH_SUM_INIT 0xcbf29ce484222325ULL

/* Write the first and last byte so lazy allocators can't skip the memory. */
static inline void bench_touch(void *p, size_t size, uint8_t v) {
    ((volatile uint8_t *)p)[0] = v;
    ((volatile uint8_t *)p)[size - 1] = v;
}

void *bench_xmalloc(size_t size);
/* pthread_create, or a message naming the benchmark and exit status 1. */
void bench_thread(const char *bench, pthread_t *thread, void *(*fn)(void *), void *arg);
double bench_now(void);

/* Print the single JSON result object on stdout. */
void bench_report(const char *bench, const bench_param_t *params, size_t n, uint64_t ops,
                  double seconds, uint64_t checksum);
/* The same, with `extra`: more members of the object, already JSON
 * (`"key":value,...`), for figures only one benchmark has. */
void bench_report_extra(const char *bench, const bench_param_t *params, size_t n, uint64_t ops,
                        double seconds, uint64_t checksum, const char *extra);

/* The process's resident set now, in KiB (/proc/self/statm); 0 if unknown. */
uint64_t bench_rss_kb(void);

#endif
