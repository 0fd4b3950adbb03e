/** `npm run eval:replay`: the decision rule's error rates, power and time on
 * this machine's own noise, many times over. A benchmark, not a test: it
 * asserts nothing and prints one table.
 *
 * Phase 1 (the slow part, skipped with --pool FILE of an earlier run):
 * builds native/ once and runs A/A pairs of every benchmark of the shipped
 * perfgate.yml (same binary and library on both sides, random order, the
 * shipped command, pinning and environment, through the engine's own run
 * path), round robin across benchmarks so a change in the host's noise over
 * time falls on all of them alike. It keeps each pair's log ratio d and its
 * duration.
 *
 * Phase 2 replays comparisons through the real scheduler, sequential decider
 * and time budget (decision/, measure/pairs.ts) with a clock that advances by
 * the recorded durations. Each comparison takes every benchmark's pairs from
 * one random starting round onwards (a circular block bootstrap: temporal
 * correlation and the alignment of benchmarks in time are kept). A shift of
 * x % adds ln(1 - x / 100) to the d of the benchmark under test: the noise is
 * real, the change is exact. Real injected faults, end to end, are measured
 * by `npm run eval:detection`.
 *
 * --calibration FILE floors the bands with a calibration (`perfgate
 * calibrate`) as compare does (decision/floor.ts): what the gate does on a
 * runner whose noise the shipped bands do not fit.
 *
 *   npm run eval:replay -- [--pairs 600] [--pool FILE] [--save FILE] [--aa 300] [--per-effect 100] [--calibration FILE]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { sampleStandardDeviation } from 'simple-statistics';

import { loadCalibration } from '../src/engine/calibration';
import { loadConfig, type BenchmarkSpec } from '../src/engine/config';
import { robustSd } from '../src/engine/decision/ranks';
import { sampleSuite } from '../src/engine/compare';
import { bandFloors, decideBenchmark, samplingPlan } from '../src/engine/decision';
import { thisMachineName } from '../src/engine/host/machine';
import { measureSetup, runContext, sideCommand } from '../src/engine/measure/setup';
import { runChecked } from '../src/engine/measure/pairs';
import { fmtBand } from '../src/report/format';
import { seededRng } from '../src/engine/random';
import type { RunRecord, Verdict } from '../src/engine/types';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '600' },
    pool: { type: 'string' },
    save: { type: 'string', default: join(ROOT, '.perfgate', 'replay-pool.json') },
    aa: { type: 'string', default: '300' },
    'per-effect': { type: 'string', default: '100' },
    calibration: { type: 'string' },
  },
});
const say = (m: string) => process.stderr.write(`${m}\n`);
const config = loadConfig(join(ROOT, 'perfgate.yml'));
const plan = samplingPlan(config);

/** The bands every replayed comparison decides in: the config's, floored
 * by --calibration. A calibration asked for but not usable is an error,
 * not a replay without it. */
function replayBands(file: string | undefined): ReturnType<typeof bandFloors> {
  const loaded = file ? loadCalibration(file) : {};
  const floors = bandFloors(loaded.calibration, config, plan);
  const why = file && (loaded.ignored ?? (loaded.calibration ? floors.ignored : `${file} does not exist`));
  if (why) {
    say(`eval:replay: --calibration ${file} cannot be used: ${why}`);
    process.exit(2);
  }
  return floors;
}
const floors = replayBands(values.calibration);
const bandLabel = (spec: BenchmarkSpec): string => {
  const band = floors.bandOf(spec, spec.metric.name);
  return fmtBand(band.pct, band.source);
};

interface Pool {
  createdAt: string;
  machine: string;
  /** Per benchmark: d and seconds of each pair, in the order they ran. */
  benchmarks: Record<string, { d: number[]; seconds: number[] }>;
}

async function collect(pairs: number): Promise<Pool> {
  execFileSync('make', ['-s', '-C', join(ROOT, 'native')]);
  const setup = measureSetup(config);
  const tree = { dir: ROOT, buildDir: join(ROOT, 'native', 'build'), cached: true };
  const rng = seededRng(12345);
  const pool: Pool = { createdAt: new Date().toISOString(), machine: thisMachineName(), benchmarks: {} };
  const specs = config.benchmarks.map((spec) => ({ spec, cmd: sideCommand(spec, tree), ctx: runContext(setup, spec, ROOT) }));
  for (const { spec, cmd, ctx } of specs) {
    pool.benchmarks[spec.name] = { d: [], seconds: [] };
    await runChecked(spec, cmd, 'base', ctx, { kind: 'warmup' });
  }
  for (let i = 0; i < pairs; i++) {
    if (i % 50 === 0) say(`pool: round ${i + 1}/${pairs}`);
    for (const { spec, cmd, ctx } of specs) {
      const t0 = Date.now();
      const v: Record<string, number> = {};
      for (const side of rng() < 0.5 ? (['base', 'head'] as const) : (['head', 'base'] as const)) {
        const r = await runChecked(spec, cmd, side, ctx, { kind: 'pair', pair: i });
        if (r.status !== 'ok') throw new Error(`${spec.name}: ${r.error}`);
        v[side] = r.metrics[spec.metric.name]!;
      }
      const b = pool.benchmarks[spec.name]!;
      b.d.push((spec.metric.higherIsBetter ? 1 : -1) * Math.log(v.head! / v.base!));
      b.seconds.push((Date.now() - t0) / 1000);
    }
  }
  return pool;
}

interface Outcome {
  verdicts: Record<string, Verdict>;
  pairs: Record<string, number>;
  seconds: number;
  /** UNCHANGED verdicts whose interval reaches beyond the band. */
  contradictions: number;
}

/** One replayed comparison from round `start`, `shift` % applied to `target`. */
async function replay(pool: Pool, start: number, target: string | undefined, shift: number, seed: number): Promise<Outcome> {
  let clock = 0;
  const { runs, deciders } = await sampleSuite(
    config,
    plan,
    floors.bandOf,
    (spec) => {
      const p = pool.benchmarks[spec.name]!;
      const n = p.d.length;
      let next = 0;
      let pending = 0;
      const add = spec.name === target ? Math.log(1 - shift / 100) : 0;
      return (side, label): Promise<RunRecord> => {
        // Each pair's two runs share its recorded duration and log ratio.
        const k = (start + next) % n;
        clock += p.seconds[k]! / 2;
        let value = 1;
        if (label.kind === 'pair' && side === 'head') value = Math.exp(p.d[k]! + add);
        if (label.kind === 'warmup' || ++pending === 2) {
          if (label.kind === 'pair') next++;
          pending = 0;
        }
        return Promise.resolve({
          benchmark: spec.name,
          side,
          ...label,
          status: 'ok',
          metrics: { [spec.metric.name]: value },
          wallSeconds: 0,
          stderrTail: [],
        });
      };
    },
    { rng: seededRng(seed), progress: () => {}, now: () => clock },
  );
  const out: Outcome = { verdicts: {}, pairs: {}, seconds: clock, contradictions: 0 };
  config.benchmarks.forEach((spec, i) => {
    const m = decideBenchmark({ spec, runs: runs[i]!, syscalls: { measured: false }, decider: deciders[i]! }, config).metrics[0]!;
    out.verdicts[spec.name] = m.verdict;
    out.pairs[spec.name] = m.comparison?.pairs ?? 0;
    const c = m.comparison;
    if (m.verdict === 'UNCHANGED' && c && !(c.ciLowPct > -c.noiseBandPct && c.ciHighPct < c.noiseBandPct)) out.contradictions++;
  });
  return out;
}

const pool: Pool = values.pool ? (JSON.parse(readFileSync(values.pool, 'utf8')) as Pool) : await collect(Number(values.pairs));
if (!values.pool) {
  execFileSync('mkdir', ['-p', join(values.save, '..')]);
  writeFileSync(values.save, JSON.stringify(pool));
  say(`pool saved to ${values.save}`);
}
const rounds = Math.min(...Object.values(pool.benchmarks).map((b) => b.d.length));
const rng = seededRng(777);
const pick = () => Math.floor(rng() * rounds);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const lines: string[] = [];

// Noise of the pool.
lines.push('| benchmark | band | pool pairs | pair SD | robust SD | s per pair |', '|---|--:|--:|--:|--:|--:|');
for (const spec of config.benchmarks) {
  const b = pool.benchmarks[spec.name]!;
  lines.push(
    `| ${spec.name} | ${bandLabel(spec)} | ${b.d.length} | ${(100 * sampleStandardDeviation(b.d)).toFixed(2)} % | ${(100 * robustSd(b.d)).toFixed(2)} % | ${(b.seconds.reduce((a, x) => a + x, 0) / b.seconds.length).toFixed(3)} |`,
  );
}

// A/A.
const aaN = Number(values.aa);
const aa: Outcome[] = [];
for (let i = 0; i < aaN; i++) {
  if (i % 50 === 0) say(`A/A ${i + 1}/${aaN}`);
  aa.push(await replay(pool, pick(), undefined, 0, i + 1));
}
const perBench = (o: Outcome[], v: Verdict[]) =>
  config.benchmarks.map((s) => `${s.name} ${o.filter((x) => v.includes(x.verdicts[s.name]!)).length}`).join(', ');
lines.push(
  '',
  '| A/A replayed | count |',
  '|---|--:|',
  `| comparisons | ${aaN} |`,
  `| with a false REGRESSED or IMPROVED | ${aa.filter((o) => Object.values(o.verdicts).some((v) => v === 'REGRESSED' || v === 'IMPROVED')).length} |`,
  `| with any UNSTABLE (inconclusive) | ${aa.filter((o) => Object.values(o.verdicts).includes('UNSTABLE')).length} (${perBench(aa, ['UNSTABLE'])}) |`,
  `| UNCHANGED whose interval leaves the band | ${aa.reduce((a, o) => a + o.contradictions, 0)} |`,
  `| sampling time, median / 90th percentile | ${quantile(
    aa.map((o) => o.seconds),
    0.5,
  ).toFixed(0)} s / ${quantile(
    aa.map((o) => o.seconds),
    0.9,
  ).toFixed(0)} s |`,
);

// Power.
const per = Number(values['per-effect']);
lines.push(
  '',
  '| benchmark (band) | slowdown | detected (REGRESSED) | UNSTABLE | UNCHANGED | median pairs | median time |',
  '|---|--:|--:|--:|--:|--:|--:|',
);
const effects: Record<string, number[]> = {
  random_mixed: [0.5, 1, 2, 3],
  mid_mixed: [0.5, 1, 2, 3],
  large: [0.5, 1, 2, 3],
  burst: [1, 2, 3, 5],
  larson: [3, 5, 10],
  xthread: [3, 5],
  xmalloc: [3, 5, 10],
  fragment: [1, 2, 3],
};
for (const spec of config.benchmarks) {
  for (const shift of effects[spec.name] ?? []) {
    say(`${spec.name} -${shift} %`);
    const o: Outcome[] = [];
    for (let i = 0; i < per; i++) o.push(await replay(pool, pick(), spec.name, shift, 10000 + i));
    const count = (v: Verdict) => o.filter((x) => x.verdicts[spec.name] === v).length;
    lines.push(
      `| ${spec.name} (${bandLabel(spec)}) | ${shift} % | ${count('REGRESSED')} / ${per} (${((100 * count('REGRESSED')) / per).toFixed(0)} %) | ${count('UNSTABLE')} | ${count('UNCHANGED')} | ${quantile(
        o.map((x) => x.pairs[spec.name]!),
        0.5,
      )} | ${quantile(
        o.map((x) => x.seconds),
        0.5,
      ).toFixed(0)} s |`,
    );
  }
}
console.log(
  `eval:replay, ${new Date().toISOString().slice(0, 10)}: pool of ${rounds} A/A rounds recorded ${pool.createdAt.slice(0, 16)} on ${pool.machine}; shipped perfgate.yml (budget ${config.runs.budgetSeconds} s, up to ${config.runs.maxPairs} pairs, alpha ${config.decision.alpha}); ${
    values.calibration
      ? `calibration ${values.calibration} (${floors.floored.size ? [...floors.floored].join(', ') : 'no band'} floored)`
      : 'no calibration'
  }\n`,
);
console.log(lines.join('\n'));
console.log(
  `\nCommand: npm run eval:replay -- ${values.pool ? `--pool ${values.pool}` : `--pairs ${values.pairs}`} --aa ${values.aa} --per-effect ${values['per-effect']}${
    values.calibration ? ` --calibration ${values.calibration}` : ''
  }`,
);
