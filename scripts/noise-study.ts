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

import { configFromObject, loadConfig, type BenchmarkSpec } from '../src/engine/config';
import { robustSd } from '../src/engine/decision/ranks';
import { thisMachineName } from '../src/engine/host/machine';
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

/** Which argument sets each shipped benchmark's length (after the binary):
 * the "4x longer" variant multiplies it. */
const LENGTH_ARG: Record<string, number> = {
  random_mixed: 0,
  mid_mixed: 0,
  larson: 6,
  xthread: 2,
  burst: 1,
  large: 0,
  xmalloc: 1,
  fragment: 1,
};

/** The shipped benchmarks, as perfgate.yml runs them. */
const SUITE = loadConfig(join(ROOT, 'perfgate.yml')).benchmarks.map((b) => {
  const argv = b.argv.slice(1);
  const at = LENGTH_ARG[b.name];
  if (at === undefined) throw new Error(`noise study: no length argument known for ${b.name}: add it to LENGTH_ARG`);
  return {
    name: b.name,
    binary: b.argv[0]!.replace('{build}', BUILD),
    argv,
    long: argv.map((a, i) => (i === at ? String(Number(a) * 4) : a)),
    pin: b.pin,
  };
});

interface Variant {
  name: string;
  argv: (b: (typeof SUITE)[number]) => string[];
  pin: (b: (typeof SUITE)[number]) => boolean;
  noAslr?: boolean;
  sandbox?: boolean;
  /** Short name for --variants. */
  key: string;
}
const VARIANTS: Variant[] = [
  { key: 'shipped', name: 'shipped (pinned as perfgate.yml says)', argv: (b) => b.argv, pin: (b) => b.pin },
  { key: 'allpinned', name: 'all pinned to one CPU', argv: (b) => b.argv, pin: () => true },
  { key: 'nonepinned', name: 'none pinned', argv: (b) => b.argv, pin: () => false },
  { key: 'long', name: '4x longer runs, shipped pinning', argv: (b) => b.long, pin: (b) => b.pin },
  { key: 'noaslr', name: 'ASLR off, shipped pinning', argv: (b) => b.argv, pin: (b) => b.pin, noAslr: true },
  { key: 'sandbox', name: 'shipped, in the bubblewrap sandbox', argv: (b) => b.argv, pin: (b) => b.pin, sandbox: true },
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
    cmd: { argv: [...(v.noAslr ? [setarch!, '-R'] : []), b.binary, ...v.argv(b)], preload: join(BUILD, 'libpgalloc.so') },
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
console.log(`noise study: ${PAIRS} A/A pairs per row, ${new Date().toISOString().slice(0, 10)}, ${thisMachineName()}\n`);
console.log(`| benchmark | variant | pair SD | robust SD | first − second | per pair | SD² × s (%²·s) | median / ${variants0()} |`);
console.log('|---|---|--:|--:|--:|--:|--:|--:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(
  `\nCommand: npm run study:noise -- --pairs ${PAIRS}${values.only ? ` --only ${values.only}` : ''}${values.variants ? ` --variants ${values.variants}` : ''}`,
);

function variants0(): string {
  return VARIANTS.find((v) => !wanted || wanted.includes(v.key))!.key;
}
