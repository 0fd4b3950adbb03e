/** `npm run bench:native`: the bundled benchmark suite under every allocator,
 * the same binaries with LD_PRELOAD, interleaved round by round, then one
 * strace run per allocator and benchmark for syscalls per op. Prints a
 * Markdown table. A benchmark command, not a test: it asserts nothing.
 *
 *   npm run bench:native -- [--rounds N] [--only NAME,...]
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { execa } from 'execa';
import { median } from 'simple-statistics';

import { runBenchmark, type RunContext } from '../src/engine/bench-run';
import type { BenchmarkSpec } from '../src/engine/config';
import { scrubEnv } from '../src/engine/env';
import { straceRun } from '../src/engine/syscalls';
import { findGnuTime, which } from '../src/engine/tools';
import type { RunRecord } from '../src/engine/types';

const ROOT = join(import.meta.dirname, '..');
const BUILD = join(ROOT, 'native', 'build');
const LIBDIR = '/usr/lib/x86_64-linux-gnu';

const ALLOCATORS: Record<string, string | undefined> = {
  glibc: undefined,
  mimalloc: join(LIBDIR, 'libmimalloc.so.2'),
  jemalloc: join(LIBDIR, 'libjemalloc.so.2'),
  tcmalloc: join(LIBDIR, 'libtcmalloc_minimal.so.4'),
  pgalloc: join(BUILD, 'libpgalloc.so'),
};

const SUITE: { name: string; argv: string[]; pin: boolean }[] = [
  { name: 'random_mixed', argv: ['random_mixed'], pin: true },
  { name: 'mid (2-32 KiB)', argv: ['random_mixed', '10000000', '400', '1', '2048', '32768'], pin: true },
  { name: 'larson 2T', argv: ['larson'], pin: false },
  { name: 'xthread 1P1C', argv: ['xthread'], pin: false },
  { name: 'burst', argv: ['burst'], pin: true },
  { name: 'large', argv: ['large'], pin: true },
];

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, only: { type: 'string' } } });
const rounds = Number(values.rounds);
const suite = values.only ? SUITE.filter((b) => values.only!.split(',').includes(b.name.split(' ')[0]!)) : SUITE;

await execa('make', ['-C', join(ROOT, 'native'), '-s'], { stdio: 'inherit' });
const allocators = Object.entries(ALLOCATORS).filter(([name, lib]) => {
  if (lib && !existsSync(lib)) console.error(`bench:native: ${name} not found at ${lib} (install it: see README), skipped`);
  return !lib || existsSync(lib);
});
const tools = { taskset: which('taskset'), gnuTime: findGnuTime() };
const env = scrubEnv(process.env, ['PATH', 'HOME', 'LANG']);
const cpu = cpus().length - 1;

function spec(name: string): BenchmarkSpec {
  return {
    name,
    argv: [],
    metric: { name: 'ops_per_sec', json: 'ops_per_sec', higherIsBetter: true, unit: 'ops/s' },
    extraMetrics: [],
    opsField: 'ops',
    pin: true,
    timeoutSeconds: 600,
  };
}

const rows: string[] = [];
for (const b of suite) {
  const runs: Record<string, RunRecord[]> = {};
  for (let r = 0; r < rounds; r++) {
    // A different order each round, so drift does not favour one allocator.
    const order = allocators.map((a, i) => allocators[(i + r) % allocators.length]!);
    for (const [name, lib] of order) {
      const ctx: RunContext = { cwd: BUILD, env, cpu: b.pin ? cpu : undefined, tools };
      const argv = [join(BUILD, b.argv[0]!), ...b.argv.slice(1)];
      const rec = await runBenchmark(spec(b.name), argv, lib, 'head', ctx, { kind: 'pair', pair: r });
      if (rec.status !== 'ok') console.error(`${b.name} ${name}: ${rec.error}\n${rec.stderrTail.join('\n')}`);
      (runs[name] ??= []).push(rec);
      process.stderr.write(`\r${b.name}: round ${r + 1}/${rounds} ${name}            `);
    }
  }
  const med = (name: string) => {
    const ok = (runs[name] ?? []).filter((x) => x.status === 'ok').map((x) => x.metrics.ops_per_sec as number);
    return ok.length ? median(ok) : NaN;
  };
  const mi = med('mimalloc');
  for (const [name, lib] of allocators) {
    const ok = (runs[name] ?? []).filter((x) => x.status === 'ok');
    const rss = ok.length ? Math.max(...ok.map((x) => x.maxRssKb ?? 0)) : NaN;
    const strace = which('strace');
    let perOp = 'n/a';
    if (strace) {
      const s = await straceRun(strace, [join(BUILD, b.argv[0]!), ...b.argv.slice(1)], {
        cwd: BUILD,
        env,
        preload: lib,
        timeoutSeconds: 1200,
      });
      const ops = ok[0]?.ops;
      if (s.ok && s.counts && ops)
        perOp = (((s.counts.mmap ?? 0) + (s.counts.munmap ?? 0) + (s.counts.madvise ?? 0)) / ops).toExponential(2);
    }
    const cv = ok.length > 1 ? (100 * stdev(ok.map((x) => x.metrics.ops_per_sec as number))) / med(name) : NaN;
    rows.push(
      `| ${b.name} | ${name} | ${(med(name) / 1e6).toFixed(2)} M | ${cv.toFixed(1)} % | ${(med(name) / mi).toFixed(3)} | ${(rss / 1024).toFixed(1)} MiB | ${perOp} |`,
    );
  }
}
process.stderr.write('\n');

function stdev(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

const { stdout: cpuModel } = await execa('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]);
console.log(
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpuModel.trim()}, ${cpus().length} cores; ${rounds} interleaved rounds; single-threaded benchmarks pinned to CPU ${cpu}.`,
);
console.log(`Command: npm run bench:native -- --rounds ${rounds}\n`);
console.log('| benchmark | allocator | median ops/s | CV | ratio to mimalloc | peak RSS | mmap+munmap+madvise per op |');
console.log('|---|---|--:|--:|--:|--:|--:|');
for (const r of rows) console.log(r);
