/* fragment: long-lived fragmentation. Each phase allocates `n` blocks of one
 * size band (the bands cycle: small, larger, tiny, medium), then frees all
 * but `keep` per mille of them, chosen at random; the survivors live to the
 * end. Live memory grows slowly while every phase leaves pages mostly empty
 * behind it. An allocator that reuses those holes for later bands keeps its
 * resident set near the live bytes; one that cannot, grows. The report adds
 * the resident set and the live bytes after every phase (`rss_kb`,
 * `live_kb`) and `rss_over_live`, the final resident set over the final live
 * bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define MAX_PHASES 64

static const size_t bands[4][2] = {{16, 128}, {256, 2048}, {8, 48}, {64, 512}};

int main(int argc, char **argv) {
    bench_param_t p[] = {
        {"phases", 12, 1, MAX_PHASES},
        {"n", 50000, 1, 100000000},
        {"keep", 50, 0, 1000}, /* per mille of each phase's blocks that live to the end */
        {"seed", 1, 0, UINT64_MAX},
    };
    const size_t np = sizeof p / sizeof p[0];
    bench_parse(argc, argv, "fragment", p, np);
    const uint64_t phases = p[0].value, n = p[1].value, keep = p[2].value;
    bench_rng_t rng;
    bench_rng_seed(&rng, p[3].value);
    void **kept = bench_xmalloc(phases * n * sizeof *kept);
    void **cur = bench_xmalloc(n * sizeof *cur);
    size_t *cur_size = bench_xmalloc(n * sizeof *cur_size);
    uint64_t nkept = 0, live = 0, ops = 0, sum = BENCH_SUM_INIT;
    uint64_t rss[MAX_PHASES], live_kb[MAX_PHASES];

    double t0 = bench_now();
    for (uint64_t ph = 0; ph < phases; ph++) {
        const size_t *band = bands[ph % 4];
        for (uint64_t i = 0; i < n; i++) {
            size_t size = (size_t)bench_range(&rng, band[0], band[1]);
            cur[i] = bench_xmalloc(size);
            cur_size[i] = size;
            bench_touch(cur[i], size, (uint8_t)i);
        }
        for (uint64_t i = 0; i < n; i++) {
            if (bench_rand(&rng) % 1000 < keep) {
                kept[nkept++] = cur[i];
                live += cur_size[i];
                sum = bench_mix(sum, cur_size[i]);
            } else {
                free(cur[i]);
            }
        }
        ops += 2 * n;
        rss[ph] = bench_rss_kb();
        live_kb[ph] = live / 1024;
    }
    double t1 = bench_now();

    char extra[64 + MAX_PHASES * 48], *e = extra;
    e += sprintf(e, "\"rss_kb\":[");
    for (uint64_t ph = 0; ph < phases; ph++) e += sprintf(e, "%s%llu", ph ? "," : "", (unsigned long long)rss[ph]);
    e += sprintf(e, "],\"live_kb\":[");
    for (uint64_t ph = 0; ph < phases; ph++) e += sprintf(e, "%s%llu", ph ? "," : "", (unsigned long long)live_kb[ph]);
    sprintf(e, "],\"rss_over_live\":%.3f", live ? (double)rss[phases - 1] * 1024.0 / (double)live : 0.0);

    for (uint64_t i = 0; i < nkept; i++) free(kept[i]);
    free(kept);
    free(cur);
    free(cur_size);
    bench_report_extra("fragment", p, np, ops, t1 - t0, sum, extra);
    return 0;
}
