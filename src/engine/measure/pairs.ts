/** The timed pairs of one benchmark: warm-ups, then pairs whose order inside
 * each pair is random, for as many pairs as the decision module's stopping
 * rule asks. Every run's outcome is recorded, failures included. */
import { realpathSync } from 'node:fs';

import type { BenchmarkSpec } from '../config';
import type { Rng } from '../random';
import type { BuiltTree } from '../repo/build';
import type { RunRecord, Side } from '../types';
import { runBenchmark, type RunContext } from './bench-run';
import type { Progress } from './progress';
import { sideCommand, type SideCommand } from './setup';

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
    return /\/libc\.so/.test(run.mallocProvider) ? undefined : `expected the C library's malloc, but ${run.mallocProvider} served it`;
  }
  return sameFile(run.mallocProvider, lib)
    ? undefined
    : `the allocator under test was not active: malloc was served by ${run.mallocProvider}, not ${lib}`;
}

/** One run of `cmd`, with the provider check applied when `checkProvider`
 * (by default: when a preload library is configured). */
export async function runChecked(
  spec: BenchmarkSpec,
  cmd: SideCommand,
  side: Side,
  ctx: RunContext,
  label: Pick<RunRecord, 'kind' | 'pair' | 'position'>,
  checkProvider = cmd.preload !== undefined,
): Promise<RunRecord> {
  const r = await runBenchmark(spec, cmd.argv, cmd.preload, side, ctx, label);
  const mismatch = checkProvider ? providerMismatch(r, cmd.preload) : undefined;
  return mismatch ? { ...r, status: 'bad_output', error: mismatch } : r;
}

/** One run of one side, labelled. */
export type RunOne = (side: Side, label: Pick<RunRecord, 'kind' | 'pair' | 'position'>) => Promise<RunRecord>;

export interface PairLoop {
  benchmark: string;
  warmup: number;
  /** Pairs before the first look. */
  pairs: number;
  /** After `target` pairs: the new target (the stopping rule); `target` stops. */
  next: (runs: readonly RunRecord[], target: number) => number;
  rng: Rng;
  progress: Progress;
}

/** The loop itself, independent of how a run is made: warm-ups, then pairs
 * in random order until the stopping rule says enough. The first failed run
 * ends it (a failure is deterministic often enough that repeating it only
 * costs time). */
export async function samplePairs(loop: PairLoop, runOne: RunOne): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  const failed = () => runs.some((r) => r.status !== 'ok');
  let target = loop.pairs;
  const started = Date.now();
  const eta = () => {
    const total = 2 * (loop.warmup + target);
    return runs.length ? ((Date.now() - started) / 1000 / runs.length) * (total - runs.length) : undefined;
  };
  for (let i = 0; i < loop.warmup && !failed(); i++) {
    for (const side of ['base', 'head'] as const) {
      loop.progress({ type: 'run', benchmark: loop.benchmark, kind: 'warmup', index: i + 1, of: loop.warmup, side, etaSeconds: eta() });
      runs.push(await runOne(side, { kind: 'warmup' }));
    }
  }
  for (let i = 0; i < target && !failed(); i++) {
    const order: Side[] = loop.rng() < 0.5 ? ['base', 'head'] : ['head', 'base'];
    for (const [position, side] of order.entries()) {
      loop.progress({ type: 'run', benchmark: loop.benchmark, kind: 'pair', index: i + 1, of: target, side, etaSeconds: eta() });
      runs.push(await runOne(side, { kind: 'pair', pair: i, position: position as 0 | 1 }));
    }
    if (i + 1 === target && !failed()) target = loop.next(runs, target);
  }
  return runs;
}

/** Runs one benchmark on both sides of `trees`. */
export function measurePairs(
  spec: BenchmarkSpec,
  trees: Record<Side, BuiltTree>,
  ctx: (side: Side) => RunContext,
  loop: Omit<PairLoop, 'benchmark'>,
): Promise<RunRecord[]> {
  const cmd = { base: sideCommand(spec, trees.base), head: sideCommand(spec, trees.head) };
  return samplePairs({ ...loop, benchmark: spec.name }, (side, label) => runChecked(spec, cmd[side], side, ctx(side), label));
}
