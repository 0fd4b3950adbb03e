/** Measuring one benchmark on both sides: the timed pairs (warm-ups, random
 * order, adaptive sampling), the untimed syscall pass under strace, and the
 * instruction count. Every run's outcome is recorded, failures included. */
import { realpathSync } from 'node:fs';
import { cpus } from 'node:os';

import { runBenchmark, type RunContext } from './bench-run';
import type { BuiltTree } from './build';
import type { BenchmarkSpec, Config } from './config';
import { countInstructions, type CounterProbe, type CounterTool } from './counters';
import { opsOf } from './parse';
import type { Rng } from './random';
import { scrubEnv } from './env';
import { straceRun } from './syscalls';
import { findGnuTime, which } from './tools';
import type { RunRecord, Side, SyscallPass } from './types';
import { pairedEvidence, worthMorePairs } from './verdict';

/** Floor of a metric's noise band at n pairs, from a calibration. */
export type BandFloor = (benchmark: BenchmarkSpec, metric: string, n: number) => number;

export type ProgressEvent =
  | { type: 'build'; side: Side; state: 'start' | 'cached' | 'done' | 'failed'; seconds?: number }
  | { type: 'run'; benchmark: string; kind: 'warmup' | 'pair'; index: number; of: number; side: Side; etaSeconds?: number }
  | { type: 'preflight' }
  | { type: 'syscalls'; benchmark: string; side: Side }
  | { type: 'counters'; benchmark: string; side: Side; tool: CounterTool };

/** Instructions per op of each side, or why they are missing. */
export interface InstructionCounts {
  tool?: CounterTool;
  base?: number;
  head?: number;
  error?: string;
}

/** Expands `{build}` and `{root}` in a configured argument. */
export function expand(arg: string, tree: BuiltTree): string {
  return arg.replaceAll('{build}', tree.buildDir).replaceAll('{root}', tree.dir);
}

/** What every measuring command (compare, rebase, calibrate) sets up once:
 * the tools found, the scrubbed environment, the CPU to pin to. */
export interface MeasureSetup {
  tools: { strace?: string; taskset?: string; gnuTime?: string };
  env: Record<string, string>;
  cpu?: number;
}

export function measureSetup(config: Config): MeasureSetup {
  const tools = { strace: which('strace'), taskset: which('taskset'), gnuTime: findGnuTime() };
  return { tools, env: scrubEnv(process.env, config.env.allow, config.env.set), cpu: pinCpu(config, tools.taskset) };
}

/** The context of one run of `spec` in `dir`: pinned only if the benchmark asks for it. */
export function runContext(setup: MeasureSetup, spec: BenchmarkSpec, dir: string): RunContext {
  return { cwd: dir, env: setup.env, cpu: spec.pin ? setup.cpu : undefined, tools: setup.tools };
}

/** The CPU single-threaded benchmarks are pinned to, if any. */
export function pinCpu(config: Config, taskset: string | undefined): number | undefined {
  if (!taskset || config.runs.pinCpu === 'none') return undefined;
  if (typeof config.runs.pinCpu === 'number') return config.runs.pinCpu;
  const n = cpus().length;
  return n > 1 ? n - 1 : undefined; // leave CPU 0, where most interrupts land
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return a === b;
  }
}

/** Why a run's numbers are not the allocator's under test, if they are not:
 * the benchmark reported which library served malloc, and it is not `lib`
 * (e.g. a preload path with a typo, which ld.so ignores with a warning). */
export function providerMismatch(run: RunRecord, lib: string | undefined): string | undefined {
  if (run.status !== 'ok' || !run.mallocProvider) return undefined;
  if (lib === undefined) {
    return /\/libc\.so/.test(run.mallocProvider) ? undefined : `expected glibc's malloc, but ${run.mallocProvider} served it`;
  }
  return sameFile(run.mallocProvider, lib)
    ? undefined
    : `the allocator under test was not active: malloc was served by ${run.mallocProvider}, not ${lib}`;
}

/** Pair samples of one metric, in pair order. */
export function samples(runs: readonly RunRecord[], side: Side, metric: string): number[] {
  return runs
    .filter((r) => r.kind === 'pair' && r.status === 'ok' && r.side === side)
    .sort((a, b) => (a.pair ?? 0) - (b.pair ?? 0))
    .map((r) => r.metrics[metric] as number);
}

export interface Sampling {
  /** Pairs before the first look. */
  pairs: number;
  maxPairs: number;
  step: number;
  /** Planned looks K: every look's p is multiplied by K. */
  looks: number;
}

/** Runs one benchmark on both sides: warm-ups, then pairs in random order.
 * Adaptive sampling: at each look (pairs, pairs + step, ... max_pairs) the
 * primary metric is judged with its p multiplied by the number of planned
 * looks; sampling stops as soon as more pairs could not change the answer. */
export async function measurePairs(
  spec: BenchmarkSpec,
  trees: Record<Side, BuiltTree>,
  ctx: (side: Side) => RunContext,
  sampling: Sampling,
  config: Config,
  seed: number,
  rng: Rng,
  progress: (e: ProgressEvent) => void,
  floor: BandFloor = () => 0,
): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  const warmup = config.runs.warmup;
  const argv = (side: Side) => spec.argv.map((a) => expand(a, trees[side]));
  const preload = (side: Side) => (spec.preload ? expand(spec.preload, trees[side]) : undefined);
  const check = (r: RunRecord): RunRecord => {
    const want = preload(r.side);
    const mismatch = want ? providerMismatch(r, want) : undefined;
    return mismatch ? { ...r, status: 'bad_output', error: mismatch } : r;
  };
  const failed = () => runs.some((r) => r.status !== 'ok');
  let target = sampling.pairs;
  const started = Date.now();
  const eta = () => {
    const total = 2 * (warmup + target);
    return runs.length ? ((Date.now() - started) / 1000 / runs.length) * (total - runs.length) : undefined;
  };

  for (let i = 0; i < warmup && !failed(); i++) {
    for (const side of ['base', 'head'] as const) {
      progress({ type: 'run', benchmark: spec.name, kind: 'warmup', index: i + 1, of: warmup, side, etaSeconds: eta() });
      runs.push(check(await runBenchmark(spec, argv(side), preload(side), side, ctx(side), { kind: 'warmup' })));
    }
  }
  // A failure is deterministic often enough that repeating it only costs time.
  for (let i = 0; i < target && !failed(); i++) {
    const order: Side[] = rng() < 0.5 ? ['base', 'head'] : ['head', 'base'];
    for (const [position, side] of order.entries()) {
      progress({ type: 'run', benchmark: spec.name, kind: 'pair', index: i + 1, of: target, side, etaSeconds: eta() });
      runs.push(
        check(await runBenchmark(spec, argv(side), preload(side), side, ctx(side), { kind: 'pair', pair: i, position: position as 0 | 1 })),
      );
    }
    if (i + 1 === target && target < sampling.maxPairs && !failed()) {
      const m = spec.metric;
      const ev = pairedEvidence(
        samples(runs, 'base', m.name),
        samples(runs, 'head', m.name),
        m.higherIsBetter,
        config.decision,
        seed,
        floor(spec, m.name, target),
      );
      if (ev && worthMorePairs(ev, config.decision, Math.min(1, ev.comparison.pValue * sampling.looks)))
        target = Math.min(sampling.maxPairs, target + sampling.step);
    }
  }
  return runs;
}

export async function syscallPass(
  spec: BenchmarkSpec,
  trees: Record<Side, BuiltTree>,
  env: Record<string, string>,
  strace: string | undefined,
  straceProblem: string | undefined,
  progress: (e: ProgressEvent) => void,
): Promise<SyscallPass> {
  if (!strace || straceProblem) return { measured: false, reason: straceProblem ?? 'strace is not installed (Debian package: strace)' };
  const pass: SyscallPass = { measured: true };
  for (const side of ['base', 'head'] as const) {
    progress({ type: 'syscalls', benchmark: spec.name, side });
    const tree = trees[side];
    const r = await straceRun(
      strace,
      spec.argv.map((a) => expand(a, tree)),
      {
        cwd: tree.dir,
        env,
        preload: spec.preload ? expand(spec.preload, tree) : undefined,
        timeoutSeconds: spec.timeoutSeconds * 10, // ptrace slows syscall-heavy code a lot
      },
    );
    if (!r.ok || !r.counts) return { measured: false, reason: `${side}: ${r.reason ?? 'no counts'}` };
    pass[side] = { calls: r.counts, ops: opsOf(r.stdout, spec) };
  }
  return pass;
}

/** One counted run per side of the benchmark's reduced command. */
export async function instructionPass(
  spec: BenchmarkSpec,
  trees: Record<Side, BuiltTree>,
  env: Record<string, string>,
  probe: CounterProbe,
  progress: (e: ProgressEvent) => void,
): Promise<InstructionCounts> {
  if (!probe.tool) return { error: probe.note };
  const out: InstructionCounts = { tool: probe.tool };
  for (const side of ['base', 'head'] as const) {
    progress({ type: 'counters', benchmark: spec.name, side, tool: probe.tool });
    const tree = trees[side];
    const argv = (spec.instructions?.argv ?? spec.argv).map((a) => expand(a, tree));
    const preload = spec.preload ? expand(spec.preload, tree) : undefined;
    const r = await countInstructions(probe.tool, argv, { cwd: tree.dir, env, preload, timeoutSeconds: spec.timeoutSeconds * 100 });
    const ops = r.ok ? opsOf(r.stdout, spec) : undefined;
    if (!r.ok || !r.instructions || !ops)
      return { tool: probe.tool, error: `${side}: ${r.error ?? 'the counted run reported no operation count'}` };
    out[side] = r.instructions / ops;
  }
  return out;
}

/** Whether strace can trace here; a reason when it cannot. */
export async function straceProblem(strace: string | undefined): Promise<string | undefined> {
  if (!strace) return 'strace is not installed (Debian package: strace)';
  const r = await straceRun(strace, ['true'], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeoutSeconds: 30,
  });
  return r.ok ? undefined : r.reason;
}
