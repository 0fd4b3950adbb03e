/** Google Benchmark: one binary, each named benchmark a row with its own
 * verdict, end to end on a real C++ benchmark built against Debian's
 * libbenchmark-dev. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { ComparisonResult } from '../src/engine/compare';
import { commit, newRepo, runCli, tempDir } from './helpers';

const MICRO_CC = `#include <benchmark/benchmark.h>
#include "scenario.h"
static unsigned long spin(benchmark::State &state, int work) {
  unsigned long x = 1;
  for (auto _ : state) {
    for (int k = 0; k < work; k++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    benchmark::DoNotOptimize(x);
  }
  return x;
}
static void BM_steady(benchmark::State &state) { spin(state, 200); }
static void BM_changed(benchmark::State &state) { spin(state, CHANGED_WORK); }
BENCHMARK(BM_steady);
BENCHMARK(BM_changed);
BENCHMARK_MAIN();
`;

const CONFIG = `build: { command: [make], output: . }
runs: { pairs: 8, max_pairs: 120, budget_s: 90, warmup: 1, timeout_s: 20 }
decision: { min_effect_pct: 5 }
preflight: { enabled: false }
benchmarks:
  - name: micro
    argv: ["{build}/micro", "--benchmark_min_time=0.02"]
    google_benchmark: { names: [BM_steady, BM_changed] }
`;

describe('Google Benchmark binaries', () => {
  it('each named benchmark of one binary gets its own verdict: the one that slowed down REGRESSED, the other not', () => {
    assert.ok(
      existsSync('/usr/include/benchmark/benchmark.h'),
      'Google Benchmark is not installed (apt-get install libbenchmark-dev; scripts/setup.sh installs it)',
    );
    const repo = newRepo();
    const base = commit(repo, 'base', {
      'micro.cc': MICRO_CC,
      'scenario.h': '#define CHANGED_WORK 200\n',
      Makefile: 'micro: micro.cc scenario.h\n\tg++ -O2 -o micro micro.cc -lbenchmark -lpthread\n',
      'perfgate.yml': CONFIG,
      '.gitignore': 'micro\n',
    });
    const head = commit(repo, 'BM_changed does 50 % more work', { 'scenario.h': '#define CHANGED_WORK 300\n' });
    const out = join(tempDir('perfgate-gbench-'), 'result.json');
    const r = runCli(repo, ['compare', '--base', base, '--head', head, '--json', out, '--quiet'], {
      PERFGATE_CACHE_DIR: tempDir('perfgate-cache-'),
    });
    const result = JSON.parse(readFileSync(out, 'utf8')) as ComparisonResult;
    assert.deepEqual(
      result.benchmarks.map((b) => b.name),
      ['micro.BM_steady', 'micro.BM_changed'],
    );
    const [steady, changed] = result.benchmarks;
    const m = changed!.metrics[0]!;
    assert.deepEqual([m.metric, m.unit, m.higherIsBetter], ['real_time', 'ns', false]);
    assert.equal(changed!.verdict, 'REGRESSED', `${m.reason}\n${r.stdout}\n${r.stderr}`);
    assert.ok(m.comparison!.changePct < -20, `change ${m.comparison!.changePct}`);
    assert.ok(['UNCHANGED', 'UNSTABLE'].includes(steady!.verdict), `the unchanged benchmark: ${steady!.verdict}`);
    // Each run ran one benchmark of the binary, and its iterations are the operation count.
    const run = changed!.runs.find((x) => x.kind === 'pair' && x.status === 'ok')!;
    assert.ok(run.ops && run.ops > 100, `ops ${run.ops}`);
    assert.equal(r.code, 1);
  });
});
