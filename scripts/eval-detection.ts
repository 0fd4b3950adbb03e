/** `npm run eval:detection`: how often perfgate is wrong, measured. A benchmark,
 * not a test: it asserts nothing and prints one table.
 *
 * It copies this repository's committed tree into a temporary git repository
 * and commits variants of pgalloc with faults injected through
 * native/src/inject.h (compiled out of the release build): slowdowns of known
 * size in malloc's fast path (calibrated by measurement on random_mixed), a
 * madvise storm, a leak, a crash and a hang that appear only at a larger
 * working set. Then it runs the real `perfgate compare` (dist/cli.js, shipped
 * perfgate.yml, shipped defaults) repeatedly on each, base = the unmodified
 * tree, and counts.
 *
 *   npm run eval:detection -- [--aa 50] [--per-effect 20] [--per-fault 5] [--only aa,slow2,...]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { median } from 'simple-statistics';

import { runBenchmark } from '../src/engine/measure/bench-run';
import { configFromObject } from '../src/engine/config';
import type { ComparisonResult } from '../src/engine/compare';
import { thisMachineName } from '../src/engine/host/machine';
import { findGnuTime, which } from '../src/engine/host/tools';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    aa: { type: 'string', default: '50' },
    'per-effect': { type: 'string', default: '20' },
    'per-fault': { type: 'string', default: '5' },
    only: { type: 'string' },
  },
});
const only = values.only?.split(',');
const want = (name: string) => !only || only.includes(name);
const say = (m: string) => process.stderr.write(`${m}\n`);

const work = mkdtempSync(join(tmpdir(), 'perfgate-eval-'));
const cache = mkdtempSync(join(tmpdir(), 'perfgate-eval-cache-'));
const git = (...args: string[]) =>
  execFileSync('git', args, {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'eval', GIT_AUTHOR_EMAIL: 'e@e', GIT_COMMITTER_NAME: 'eval', GIT_COMMITTER_EMAIL: 'e@e' },
  }).trim();
execFileSync('sh', ['-c', `git -C "${ROOT}" archive HEAD | tar -x -C "${work}"`]);
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-q', '-m', 'base');
const base = git('rev-parse', 'HEAD');

/** A commit on top of base that prepends `defines` to inject.h (or edits README for A/A). */
function variant(name: string, defines: string[]): string {
  git('checkout', '-q', base);
  const file = defines.length ? join(work, 'native', 'src', 'inject.h') : join(work, 'README.md');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, defines.length ? `${defines.map((d) => `#define ${d}`).join('\n')}\n${text}` : `${text}\n`);
  git('commit', '-q', '-am', name);
  return git('rev-parse', 'HEAD');
}

/** Median slowdown (%) of random_mixed under a spin injected every `every` mallocs, from interleaved pinned pairs. */
async function measureSlowdown(every: number, pairs = 100): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'perfgate-eval-lib-'));
  git('checkout', '-q', base); // variants edit inject.h in the work tree: build from the unmodified sources
  const build = (d: string, flags: string) =>
    execFileSync('make', ['-s', '-C', join(work, 'native'), `B=${d}`, `CFLAGS=-O2 -g ${flags}`, `${d}/libpgalloc.so`, `${d}/random_mixed`]);
  build(join(dir, 'a'), '');
  build(join(dir, 'b'), `-DPG_INJECT_SPIN_EVERY=${every}`);
  const spec = configFromObject('eval', { benchmarks: [{ name: 'random_mixed', argv: ['x'] }] }).benchmarks[0]!;
  const ctx = {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    cpu: cpus().length - 1,
    tools: { taskset: which('taskset'), gnuTime: findGnuTime() },
  };
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const t: Record<string, number> = {};
    for (const side of i % 2 ? ['a', 'b'] : ['b', 'a']) {
      const r = await runBenchmark(
        spec,
        [join(dir, side, 'random_mixed'), '2000000', '400', '1'],
        join(dir, side, 'libpgalloc.so'),
        'head',
        ctx,
        { kind: 'pair' },
      );
      t[side] = r.metrics.ops_per_sec!;
    }
    ratios.push(t.a! / t.b!);
  }
  return (median(ratios) - 1) * 100;
}

interface Row {
  /** random_mixed's measured change in each comparison, % (negative = slower). */
  changes: number[];
  scenario: string;
  expect: string;
  injected: string;
  detected: number;
  total: number;
  pairs: number[];
  seconds: number[];
}
const rows: Row[] = [];

let runIndex = 0;
/** One real comparison; every result is kept in the work directory (result-N.json). */
function compareOnce(head: string, config?: string): { result: ComparisonResult; seconds: number } {
  const out = join(work, `result-${++runIndex}.json`);
  const args = [join(ROOT, 'dist', 'cli.js'), 'compare', '--base', base, '--head', head, '--json', out, '--quiet'];
  if (config) args.push('--config', config);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: work, encoding: 'utf8', env: { ...process.env, PERFGATE_CACHE_DIR: cache } });
  if (![0, 1, 4].includes(r.status ?? -1)) throw new Error(`perfgate compare failed (${r.status}): ${r.stderr}`);
  return { result: JSON.parse(readFileSync(out, 'utf8')) as ComparisonResult, seconds: (Date.now() - t0) / 1000 };
}

/** Runs `n` comparisons and counts those where `hit` holds. */
function evaluate(
  scenario: string,
  expect: string,
  injected: string,
  head: string,
  n: number,
  hit: (r: ComparisonResult) => boolean,
  config?: string,
): void {
  const row: Row = { scenario, expect, injected, detected: 0, total: 0, pairs: [], seconds: [], changes: [] };
  for (let i = 0; i < n; i++) {
    const { result, seconds } = compareOnce(head, config);
    row.total++;
    for (const b of result.benchmarks)
      if (b.verdict !== 'UNCHANGED')
        say(
          `  ${b.name}: ${b.verdict}: ${b.metrics.find((m) => m.verdict === b.verdict)?.reason ?? b.budgets.find((x) => x.status === 'exceeded')?.reason ?? ''}`,
        );
    if (hit(result)) row.detected++;
    const pairs = result.benchmarks.flatMap((b) =>
      b.metrics.map((m) => m.comparison?.pairs).filter((p): p is number => p !== undefined && p > 1),
    );
    if (pairs.length) row.pairs.push(pairs.reduce((a, b) => a + b, 0) / pairs.length);
    row.seconds.push(seconds);
    const change = result.benchmarks.find((b) => b.name === 'random_mixed')?.metrics[0]?.comparison?.changePct;
    if (change !== undefined && Number.isFinite(change)) row.changes.push(change);
    say(`${scenario}: ${i + 1}/${n}, ${row.detected} detected (${seconds.toFixed(0)} s)`);
  }
  rows.push(row);
  say(`ROW ${formatRow(row)}`);
}

function formatRow(r: Row): string {
  const pairs = r.pairs.length ? (r.pairs.reduce((a, b) => a + b, 0) / r.pairs.length).toFixed(1) : '–';
  const change = r.changes.length ? `${median(r.changes).toFixed(2)} %` : '–';
  return `| ${r.scenario} | ${r.injected} | ${change} | ${r.expect} | ${r.detected} / ${r.total} | ${((100 * r.detected) / r.total).toFixed(0)} % | ${pairs} | ${median(r.seconds).toFixed(0)} |`;
}

/** A/A: any benchmark not UNCHANGED (a change, a budget breach, or no decision) counts against perfgate. */
const falseAlarm = (r: ComparisonResult) => r.benchmarks.some((b) => b.verdict !== 'UNCHANGED');
const randomMixed = (r: ComparisonResult) => r.benchmarks.find((b) => b.name === 'random_mixed')!;

say(`eval:detection in ${work}`);
execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], { cwd: ROOT });

if (want('aa')) evaluate('A/A (no change)', 'any benchmark not UNCHANGED', 'README edit', variant('aa', []), Number(values.aa), falseAlarm);

const targets = [1, 2, 3, 5].filter((t) => want(`slow${t}`) || (t === 1 && want('instr')));
if (targets.length) {
  // The cost of a spin every N mallocs is a + b / N, where a is the
  // countdown's own cost on every malloc: measure a (N huge) and one point,
  // pick N for each target, then measure what was picked. Each measurement is
  // 100 interleaved pinned pairs; the table also gives the change perfgate
  // itself measured over all pairs of the row, the better estimate.
  const [nLo, nOff] = [50, 1_000_000];
  say(`calibrating the injected slowdown: spins every ${nLo} and every ${nOff} mallocs`);
  const a = await measureSlowdown(nOff);
  const b = ((await measureSlowdown(nLo)) - a) * nLo;
  say(`  cost = ${a.toFixed(2)} % + ${b.toFixed(0)} % / N`);
  for (const t of targets) {
    const every = t > a ? Math.max(1, Math.round(b / (t - a))) : nOff;
    const measured = await measureSlowdown(every);
    say(`  target ${t} %: spin every ${every} mallocs, measured ${measured.toFixed(2)} %`);
    const head = variant(`slow${t}`, [`PG_INJECT_SPIN_EVERY ${every}`]);
    const injected = `${measured.toFixed(1)} % (spin every ${every} mallocs)`;
    if (want(`slow${t}`))
      evaluate(
        `slowdown ${t} %`,
        'random_mixed REGRESSED',
        injected,
        head,
        Number(values['per-effect']),
        (r) => randomMixed(r).metrics[0]!.verdict === 'REGRESSED',
      );
    if (t === 1 && want('instr')) {
      const cfg = join(work, 'instr.yml');
      const shipped = readFileSync(join(work, 'perfgate.yml'), 'utf8');
      writeFileSync(
        cfg,
        shipped.replace(
          '    argv: ["{build}/random_mixed", "2000000", "400", "1"]\n    preload: "{build}/libpgalloc.so"\n',
          '    argv: ["{build}/random_mixed", "2000000", "400", "1"]\n    preload: "{build}/libpgalloc.so"\n    instructions: { argv: ["{build}/random_mixed", "200000", "400", "1"], threshold_pct: 0.5 }\n',
        ),
      );
      evaluate(
        'instruction gate, slowdown 1 %',
        'instructions_per_op REGRESSED',
        injected,
        head,
        Number(values['per-fault']),
        (r) => randomMixed(r).metrics.some((m) => m.metric === 'instructions_per_op' && m.verdict === 'REGRESSED'),
        cfg,
      );
    }
  }
}

const n = Number(values['per-fault']);
const faults: [string, string, string, string[], (r: ComparisonResult) => boolean][] = [
  [
    'storm',
    'madvise storm',
    'BUDGET_EXCEEDED',
    ['PG_INJECT_MADVISE_EVERY 1000'],
    (r) => r.benchmarks.some((b) => b.verdict === 'BUDGET_EXCEEDED'),
  ],
  [
    'leak',
    'leak (1 free in 100 dropped)',
    'BUDGET_EXCEEDED',
    ['PG_INJECT_LEAK_EVERY 100'],
    (r) => r.benchmarks.some((b) => b.budgets.some((x) => x.budget === 'peak RSS' && x.status === 'exceeded')),
  ],
  [
    'crash',
    'crash beyond 3 live segments',
    'CRASH',
    ['PG_INJECT_CRASH_SEGMENTS 3'],
    (r) => r.benchmarks.some((b) => b.verdict === 'CRASH'),
  ],
  [
    'hang',
    'hang beyond 3 live segments',
    'TIMEOUT',
    ['PG_INJECT_HANG_SEGMENTS 3'],
    (r) => r.benchmarks.some((b) => b.verdict === 'TIMEOUT'),
  ],
];
for (const [key, scenario, expect, defines, hit] of faults)
  if (want(key)) evaluate(scenario, expect, defines.join(', '), variant(key, defines), n, hit);

console.log(`Measured ${new Date().toISOString().slice(0, 10)} on ${thisMachineName()}, with the shipped perfgate.yml and defaults.`);
console.log(
  `Command: npm run eval:detection -- --aa ${values.aa} --per-effect ${values['per-effect']} --per-fault ${values['per-fault']}${values.only ? ` --only ${values.only}` : ''}\n`,
);
console.log(
  '| scenario | injected (calibration) | random_mixed change seen (median) | counted as detected | detected / comparisons | rate | mean pairs | median s per comparison |',
);
console.log('|---|---|--:|---|--:|--:|--:|--:|');
for (const r of rows) console.log(formatRow(r));
