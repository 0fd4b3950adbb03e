#define _GNU_SOURCE
#include "common.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static void bench_print_usage(FILE *f, const char *bench, const bench_param_t *params, size_t n) {
    fprintf(f, "usage: %s", bench);
    for (size_t i = 0; i < n; i++) fprintf(f, " [%s", params[i].name);
    for (size_t i = 0; i < n; i++) fputc(']', f);
    fputs("\n  defaults:", f);
    for (size_t i = 0; i < n; i++) fprintf(f, " %s=%llu", params[i].name, (unsigned long long)params[i].value);
    fputc('\n', f);
}

void bench_usage_error(const char *bench, const bench_param_t *params, size_t n, const char *why) {
    fprintf(stderr, "%s: %s\n", bench, why);
    bench_print_usage(stderr, bench, params, n);
    exit(2);
}

void bench_parse(int argc, char **argv, const char *bench, bench_param_t *params, size_t n) {
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        bench_print_usage(stdout, bench, params, n);
        exit(0);
    }
    if ((size_t)argc - 1 > n) bench_usage_error(bench, params, n, "too many arguments");
    for (int i = 1; i < argc; i++) {
        bench_param_t *p = &params[i - 1];
        char *end;
        errno = 0;
        unsigned long long v = strtoull(argv[i], &end, 10);
        char why[256];
        if (argv[i][0] == '\0' || argv[i][0] == '-' || *end != '\0' || errno != 0) {
            snprintf(why, sizeof why, "%s must be a whole number, got '%.64s'", p->name, argv[i]);
            bench_usage_error(bench, params, n, why);
        }
        if (v < p->min || v > p->max) {
            snprintf(why, sizeof why, "%s must be in %llu..%llu, got %llu", p->name,
                     (unsigned long long)p->min, (unsigned long long)p->max, v);
            bench_usage_error(bench, params, n, why);
        }
        p->value = v;
    }
}

void *bench_xmalloc(size_t size) {
    void *p = malloc(size);
    if (p == NULL) {
        fprintf(stderr, "malloc(%zu) failed: %s\n", size, strerror(errno));
        exit(1);
    }
    return p;
}

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The shared object whose malloc this process really calls. RTLD_NEXT skips
 * the executable itself (whose PLT stub would otherwise answer). */
static const char *bench_malloc_provider(void) {
    void *sym = dlsym(RTLD_NEXT, "malloc");
    Dl_info info;
    if (sym != NULL && dladdr(sym, &info) != 0 && info.dli_fname != NULL) return info.dli_fname;
    return "unknown";
}

static void bench_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

uint64_t bench_rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (f == NULL) return 0;
    int got = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    return got == 2 ? resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024 : 0;
}

void bench_report(const char *bench, const bench_param_t *params, size_t n, uint64_t ops,
                  double seconds, uint64_t checksum) {
    bench_report_extra(bench, params, n, ops, seconds, checksum, NULL);
}

void bench_report_extra(const char *bench, const bench_param_t *params, size_t n, uint64_t ops,
                        double seconds, uint64_t checksum, const char *extra) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"bench\":\"%s\",\"params\":{", bench);
    for (size_t i = 0; i < n; i++)
        printf("%s\"%s\":%llu", i ? "," : "", params[i].name, (unsigned long long)params[i].value);
    printf("},\"ops\":%llu,\"seconds\":%.6f,\"ops_per_sec\":%.6e,\"checksum\":\"%016llx\",",
           (unsigned long long)ops, seconds, seconds > 0 ? (double)ops / seconds : 0.0,
           (unsigned long long)checksum);
    if (extra != NULL) printf("%s,", extra);
    printf("\"malloc_provider\":");
    bench_json_string(bench_malloc_provider());
    printf(",\"maxrss_kb\":%ld,\"minflt\":%ld,\"majflt\":%ld,\"nvcsw\":%ld,\"nivcsw\":%ld,"
           "\"utime_s\":%.6f,\"stime_s\":%.6f}\n",
           ru.ru_maxrss, ru.ru_minflt, ru.ru_majflt, ru.ru_nvcsw, ru.ru_nivcsw,
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6,
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6);
}

void bench_thread(const char *bench, pthread_t *thread, void *(*fn)(void *), void *arg) {
    int err = pthread_create(thread, NULL, fn, arg);
    if (err != 0) {
        fprintf(stderr, "%s: pthread_create failed: %s\n", bench, strerror(err));
        exit(1);
    }
}
