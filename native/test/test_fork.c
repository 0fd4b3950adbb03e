/* fork() while other threads allocate: the child must be able to allocate
 * and free (no list lock left held by a thread that does not exist in it),
 * including blocks the parent allocated before the fork. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static atomic_bool stop;

static void *churn(void *arg) {
    (void)arg;
    void *keep[256] = {0};
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        unsigned k = i % 256;
        free(keep[k]);
        keep[k] = malloc(i % 5 == 0 ? 200000 : 16 + i % 4000); /* includes huge blocks */
    }
    for (int k = 0; k < 256; k++) free(keep[k]);
    return NULL;
}

static int child_work(char *inherited) {
    if (strcmp(inherited, "from parent") != 0) return 3;
    free(inherited);
    for (int i = 0; i < 20000; i++) {
        char *p = malloc(16 + i % 70000);
        if (p == NULL) return 4;
        p[0] = 1;
        free(p);
    }
    void *big = malloc(10 << 20);
    if (big == NULL) return 5;
    free(big);
    return 0;
}

int main(void) {
    pthread_t t[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, churn, NULL) == 0, "pthread_create");
    for (int round = 0; round < 50; round++) {
        char *inherited = strdup("from parent");
        pid_t pid = fork();
        CHECK(pid >= 0, "fork failed");
        if (pid == 0) _exit(child_work(inherited));
        int status;
        CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "child %d: status %d (signal %d)", round, WEXITSTATUS(status),
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        free(inherited);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    return check_done("test_fork");
}
