/* Many short-lived threads: each allocates, frees half itself, hands the
 * other half to main and exits. Main frees those remotely, into segments
 * whose owner is gone. If exiting threads leaked their caches or abandoned
 * segments were never reclaimed, memory would grow with the number of
 * threads; the test bounds it. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"

#define GENERATIONS 300
#define BLOCKS 4000 /* ~2 MiB per thread: 600 MiB in all if nothing were reused */

static void *worker(void *arg) {
    void **out = arg;
    for (int i = 0; i < BLOCKS; i++) {
        size_t n = 16 + (size_t)(i * 37) % 1000;
        char *p = malloc(n);
        CHECK(p != NULL, "malloc(%zu)", n);
        memset(p, i, n);
        if (i % 2) free(p);
        else out[i / 2] = p;
    }
    return NULL;
}

static void *idle(void *arg) { return arg; }

int main(void) {
    static void *handed[BLOCKS / 2];
    for (int g = 0; g < GENERATIONS; g++) {
        pthread_t t;
        CHECK(pthread_create(&t, NULL, worker, handed) == 0, "pthread_create");
        pthread_join(t, NULL);
        for (int i = 0; i < BLOCKS / 2; i++) {
            CHECK(((unsigned char *)handed[i])[0] == (unsigned char)(2 * i), "block %d corrupt", i);
            free(handed[i]);
        }
        /* A thread that never allocates must come and go harmlessly too. */
        CHECK(pthread_create(&t, NULL, idle, NULL) == 0, "pthread_create");
        pthread_join(t, NULL);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    CHECK(ru.ru_maxrss < 64 * 1024, "peak RSS %ld KiB: exited threads' memory is not reused", ru.ru_maxrss);
    printf("test_thread_exit: %d threads, peak RSS %ld KiB\n", GENERATIONS, ru.ru_maxrss);
    return check_done("test_thread_exit");
}
