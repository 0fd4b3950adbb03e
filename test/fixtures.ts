/** A tiny C benchmark whose behaviour a commit can change through scenario.h. */
export const BENCH_C = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "scenario.h"
extern char **environ;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
    long ops = argc > 1 ? atol(argv[1]) : 50000;
    volatile unsigned long x = 1;
    const char *token = getenv("GITHUB_TOKEN");
    fprintf(stderr, "token=%s\\n", token ? token : "none");
    for (char **e = environ; *e; e++) if (strstr(*e, "ghs_")) fprintf(stderr, "leaked=%s\\n", *e);
    double t0 = now();
    for (long i = 0; i < ops; i++) {
        for (int k = 0; k < WORK; k++) x = x * 6364136223846793005UL + 1442695040888963407UL;
        HOOK
    }
    double t1 = now();
#ifdef GARBAGE
    puts("Throughput: lots");
    return 0;
#endif
    printf("{\\"ops\\":%ld,\\"ops_per_sec\\":%.6e}\\n", ops, ops / (t1 - t0));
    return 0;
}
`;

/** The pre-flight probe is off: these tests are about the gate's mechanics,
 * and a CI host's CPU steal would otherwise make them undecided (the probe
 * has its own test, which turns it on). */
export const TINY_CONFIG = `build: { command: [make], output: . }
runs: { pairs: 8, max_pairs: 400, budget_s: 90, warmup: 1, timeout_s: 3 }
decision: { min_effect_pct: 5 }
preflight: { enabled: false }
benchmarks:
  - name: tiny
    argv: ["{build}/bench", "200000"]
    metric: { json: ops_per_sec }
`;

export const scenario = (work: number, hook = ''): string => `#define WORK ${work}\n#define HOOK ${hook}\n`;

/** The files of the base commit. */
export function baseFiles(): Record<string, string> {
  return {
    'bench.c': BENCH_C,
    'scenario.h': scenario(100),
    Makefile: 'bench: bench.c scenario.h\n\tgcc -O1 -o bench bench.c\n',
    'perfgate.yml': TINY_CONFIG,
    '.gitignore': 'bench\n',
    'README.md': 'tiny\n',
  };
}
