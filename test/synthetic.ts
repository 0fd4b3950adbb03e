/** Synthetic measurements with known noise and shift, for the decision
 * module's tests: the numbers a benchmark would print, without processes. */
import { configFromObject, type Config } from '../src/engine/config';
import { seededRng, type Rng } from '../src/engine/random';
import type { ComparisonResult } from '../src/engine/compare';
import type { BenchmarkResult, RunRecord, Side } from '../src/engine/types';

/** A one-benchmark config with the shipped decision defaults, plus `decision` overrides. */
export function syntheticConfig(decision: Record<string, unknown> = {}, runs: Record<string, unknown> = {}, benchmarks = 1): Config {
  return configFromObject('synthetic.yml', {
    decision: { min_effect_pct: 1, alpha: 0.01, ...decision },
    runs,
    benchmarks: Array.from({ length: benchmarks }, (_, i) => ({ name: i ? `b${i}` : 'b', argv: ['b'] })),
  });
}

export function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** n pairs: base ~ 100 (1 + cv z), head ~ 100 (1 + shift) (1 + cv z), independent noise. */
export function pairs(n: number, cvPct: number, shiftPct: number, seed: number): { base: number[]; head: number[] } {
  const rng = seededRng(seed);
  const base: number[] = [];
  const head: number[] = [];
  for (let i = 0; i < n; i++) {
    base.push(100 * (1 + (cvPct / 100) * normal(rng)));
    head.push(100 * (1 + shiftPct / 100) * (1 + (cvPct / 100) * normal(rng)));
  }
  return { base, head };
}

/** A run of `side` whose metric ops_per_sec is drawn as in `pairs`. */
export function syntheticRun(side: Side, label: Pick<RunRecord, 'kind' | 'pair' | 'position'>, value: number): RunRecord {
  return {
    benchmark: 'b',
    side,
    ...label,
    status: 'ok',
    metrics: { ops_per_sec: value },
    wallSeconds: 0.01,
    stderrTail: [],
  };
}

/** Timing noise as this VM shows it (docs/detection.md): mostly normal with
 * `cvPct` spread, and in 15 % of runs a disturbance that slows the run by a
 * further 0-40 % (heavy, one-sided tails). */
export function disturbedNoise(rng: Rng, cvPct: number): number {
  const base = 1 + (cvPct / 100) * normal(rng);
  return rng() < 0.15 ? base / (1 + 0.4 * rng()) : base;
}

/** A source of runs with that noise and the head shifted by `shiftPct`. */
export function syntheticRunner(cvPct: number, shiftPct: number, seed: number) {
  const rng = seededRng(seed);
  return (side: Side, label: Pick<RunRecord, 'kind' | 'pair' | 'position'>): Promise<RunRecord> =>
    Promise.resolve(syntheticRun(side, label, 100 * (side === 'head' ? 1 + shiftPct / 100 : 1) * disturbedNoise(rng, cvPct)));
}

/** A whole comparison result of `n` benchmarks, each with a failed head run
 * carrying a long stderr tail, for report-size tests. */
export function syntheticResult(n: number): ComparisonResult {
  const config = syntheticConfig();
  const benchmarks: BenchmarkResult[] = Array.from({ length: n }, (_, i) => {
    const name = `bench_${i}`;
    const crash: RunRecord = {
      ...syntheticRun('head', { kind: 'pair', pair: 0, position: 0 }, 1),
      benchmark: name,
      status: 'crash',
      signal: 'SIGSEGV',
      error: 'killed by SIGSEGV',
      stderrTail: Array.from({ length: 20 }, (_, k) => `stderr line ${k} of ${name}: ${'x'.repeat(100)}`),
    };
    return {
      name,
      verdict: i % 2 ? 'CRASH' : 'UNCHANGED',
      metrics: [
        {
          benchmark: name,
          metric: 'ops_per_sec',
          unit: 'ops/s',
          higherIsBetter: true,
          verdict: i % 2 ? 'CRASH' : 'UNCHANGED',
          reason: 'r',
        },
      ],
      budgets: [{ benchmark: name, budget: 'peak RSS', unit: 'KiB', base: 1, head: 1, limit: 2, status: 'ok', reason: 'ok' }],
      syscalls: { measured: true, base: { calls: { mmap: 3 }, ops: 10 }, head: { calls: { mmap: 3 }, ops: 10 } },
      runs: i % 2 ? [crash] : [],
    };
  });
  const ref = { ref: 'main', sha: 'a'.repeat(40), treeId: 'a'.repeat(40) };
  const build = { ok: true, cached: true, seconds: 0, logTail: [] };
  return {
    schema: 'perfgate/result@2',
    createdAt: '2026-11-22T00:00:00.000Z',
    seed: 1,
    pairs: 10,
    config,
    sandbox: { mode: 'off', active: false },
    refs: { base: ref, head: { ...ref, ref: 'head' } },
    machine: { cpuModel: 'cpu', cores: 2, kernel: 'k', loadAverage: [0, 0, 0], node: 'v' },
    tools: {},
    build: { base: build, head: build },
    benchmarks,
    outcome: 'fail',
    verdictCounts: { CRASH: Math.floor(n / 2), UNCHANGED: Math.ceil(n / 2) },
  };
}
