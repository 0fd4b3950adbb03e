/** `npm run study:noise`: where this machine's pair-to-pair noise comes
 * from. A benchmark, not a test: it asserts nothing and prints one table.
 *
 * For each benchmark of the bundled suite and each variant of how it is run
 * (as shipped, 4x longer runs, pinned or not, address-space layout
 * randomisation off), it builds native/ once and runs A/A pairs: the same
 * binary and library on both sides, in random order, through the engine's
 * own run path. The variants of one benchmark are interleaved round by
 * round (one pair of each, in random order), so a change in the host's noise
 * over time falls on all of them alike. Per variant: the SD of the paired log ratios
 * (plain and robust, 1.4826 x MAD), the mean difference between the run that
 * went first and the one that went second (order effect), the time per pair,
 * and the variance-time product SD^2 x seconds per pair, which is what a
 * time budget pays for a given interval width (lower is better), and the
 * variant's median result against the shipped variant's (interleaved, so a
 * fair ratio: what running in the bubblewrap sandbox costs, for instance).
 *
 *   npm run study:noise -- [--pairs 40] [--only random_mixed,larson] [--variants shipped,sandbox]
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { median, sampleStandardDeviation } from 'simple-statistics';

import { configFromObject, type BenchmarkSpec } from '../src/engine/config';
import { robustSd } from '../src/engine/decision/ranks';
import { probeSandbox } from '../src/engine/host/sandbox';
import { findGnuTime, which } from '../src/engine/host/tools';
import { runChecked } from '../src/engine/measure/pairs';
import type { RunContext } from '../src/engine/measure/bench-run';
import { seededRng } from '../src/engine/random';

const ROOT = join(import.meta.dirname, '..');
const BUILD = join(ROOT, 'native', 'build');
const { values } = parseArgs({
  options: { pairs: { type: 'string', default: '40' }, only: { type: 'string' }, variants: { type: 'string' } },
});
const PAIRS = Number(values.pairs);
const only = values.only?.split(',');

/** The shipped benchmarks (perfgate.yml) and a 4x longer run of each. */
const SUITE: { name: string; argv: string[]; long: string[]; threaded: boolean }[] = [
  { name: 'random_mixed', argv: ['2000000', '400', '1'], long: ['8000000', '400', '1'], threaded: false },
  { name: 'mid_mixed', argv: ['1000000', '400', '1', '2048', '32768'], long: ['4000000', '400', '1', '2048', '32768'], threaded: false },
  {
    name: 'larson',
    argv: ['2', '8', '1000', '1000', '5', '1', '200000'],
    long: ['2', '8', '1000', '1000', '5', '1', '800000'],
    threaded: true,
  },
  { name: 'xthread', argv: ['1', '1', '2000', '1000'], long: ['1', '1', '8000', '1000'], threaded: true },
  { name: 'burst', argv: ['50000', '5'], long: ['50000', '20'], threaded: false },
  { name: 'large', argv: ['300', '8'], long: ['1200', '8'], threaded: false },
  { name: 'xmalloc', argv: ['4', '300', '500'], long: ['4', '1200', '500'], threaded: true },
  { name: 'mstress', argv: ['4', '2', '20000'], long: ['4', '8', '20000'], threaded: true },
  { name: 'fragment', argv: ['6', '20000', '50'], long: ['6', '80000', '50'], threaded: false },
  { name: 'cache_scratch', argv: ['2', '200', '8', '4000'], long: ['2', '800', '8', '4000'], threaded: true },
];
const binary = (name: string) => join(BUILD, name === 'mid_mixed' ? 'random_mixed' : name);

interface Variant {
  name: string;
  argv: (b: (typeof SUITE)[number]) => string[];
  pin: (b: (typeof SUITE)[number]) => boolean;
  noAslr?: boolean;
  sandbox?: boolean;
  /** Short name for --variants. */
  key: string;
}
const shippedPin = (b: (typeof SUITE)[number]) => !b.threaded || b.name === 'xthread';
const VARIANTS: Variant[] = [
  { key: 'shipped', name: 'shipped (single-threaded pinned)', argv: (b) => b.argv, pin: shippedPin },
  { key: 'allpinned', name: 'all pinned to one CPU', argv: (b) => b.argv, pin: () => true },
  { key: 'nonepinned', name: 'none pinned', argv: (b) => b.argv, pin: () => false },
  { key: 'long', name: '4x longer runs, shipped pinning', argv: (b) => b.long, pin: shippedPin },
  { key: 'noaslr', name: 'ASLR off, shipped pinning', argv: (b) => b.argv, pin: shippedPin, noAslr: true },
  { key: 'sandbox', name: 'shipped, in the bubblewrap sandbox', argv: (b) => b.argv, pin: shippedPin, sandbox: true },
];
const wanted = values.variants?.split(',');
const sandbox = probeSandbox('auto');
if (!sandbox.sandbox) process.stderr.write(`noise study: no sandbox variant (${sandbox.state.problem})\n`);

execFileSync('make', ['-s', '-C', join(ROOT, 'native')]);
const setarch = which('setarch');
const rng = seededRng(7);
const rows: string[][] = [];
for (const b of SUITE.filter((x) => !only || only.includes(x.name))) {
  const spec: BenchmarkSpec = configFromObject('study', { benchmarks: [{ name: b.name, argv: ['x'], timeout_s: 600 }] }).benchmarks[0]!;
  const variants = VARIANTS.filter(
    (v) => (!v.noAslr || setarch) && (!v.sandbox || sandbox.sandbox) && (!wanted || wanted.includes(v.key)),
  ).map((v) => ({
    v,
    cmd: { argv: [...(v.noAslr ? [setarch!, '-R'] : []), binary(b.name), ...v.argv(b)], preload: join(BUILD, 'libpgalloc.so') },
    ctx: {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
      cpu: v.pin(b) ? cpus().length - 1 : undefined,
      sandbox: v.sandbox ? sandbox.sandbox : undefined,
      tools: { taskset: which('taskset'), gnuTime: findGnuTime() },
    } satisfies RunContext,
    d: [] as number[],
    firstMinusSecond: [] as number[],
    values: [] as number[],
    seconds: 0,
  }));
  for (const x of variants) await runChecked(spec, x.cmd, 'base', x.ctx, { kind: 'warmup' });
  for (let i = 0; i < PAIRS; i++) {
    const order = [...variants].sort(() => rng() - 0.5);
    for (const x of order) {
      const first = rng() < 0.5 ? 'base' : 'head';
      const value: Record<string, number> = {};
      const t0 = Date.now();
      for (const side of first === 'base' ? (['base', 'head'] as const) : (['head', 'base'] as const)) {
        const r = await runChecked(spec, x.cmd, side, x.ctx, { kind: 'pair', pair: i });
        if (r.status !== 'ok') throw new Error(`${b.name} (${x.v.name}): ${r.error}`);
        value[side] = r.metrics.ops_per_sec!;
        x.values.push(value[side]);
      }
      x.seconds += (Date.now() - t0) / 1000;
      const di = Math.log(value.head! / value.base!);
      x.d.push(di);
      x.firstMinusSecond.push(first === 'head' ? di : -di);
    }
  }
  const reference = median(variants[0]!.values);
  for (const x of variants) {
    const perPair = x.seconds / PAIRS;
    const s = sampleStandardDeviation(x.d);
    rows.push([
      b.name,
      x.v.name,
      `${(100 * s).toFixed(2)} %`,
      `${(100 * robustSd(x.d)).toFixed(2)} %`,
      `${((100 * x.firstMinusSecond.reduce((a, c) => a + c, 0)) / PAIRS).toFixed(2)} %`,
      `${(1000 * perPair).toFixed(0)} ms`,
      (1e4 * s * s * perPair).toFixed(2),
      `${(median(x.values) / reference).toFixed(3)}`,
    ]);
    process.stderr.write(`${rows.at(-1)!.join(' | ')}\n`);
  }
}
console.log(
  `noise study: ${PAIRS} A/A pairs per row, ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model}, ${cpus().length} cores\n`,
);
console.log(`| benchmark | variant | pair SD | robust SD | first − second | per pair | SD² × s (%²·s) | median / ${variants0()} |`);
console.log('|---|---|--:|--:|--:|--:|--:|--:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(
  `\nCommand: npm run study:noise -- --pairs ${PAIRS}${values.only ? ` --only ${values.only}` : ''}${values.variants ? ` --variants ${values.variants}` : ''}`,
);

function variants0(): string {
  return VARIANTS.find((v) => !wanted || wanted.includes(v.key))!.key;
}
