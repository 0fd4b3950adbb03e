/** The timed pairs of one benchmark: warm-ups, then pairs whose order inside
 * each pair is random, for as many pairs as the decision module's stopping
 * rule asks. Every run's outcome is recorded, failures included. */
import { realpathSync } from 'node:fs';

import type { BenchmarkSpec } from '../config';
import type { Rng } from '../random';
import type { RunRecord, Side } from '../types';
import { runBenchmark, type RunContext } from './bench-run';
import type { Progress } from './progress';
import type { SideCommand } from './setup';

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

export interface Batch {
  benchmark: string;
  warmup: number;
  /** Pairs to reach, counting those already in `runs`. */
  to: number;
  rng: Rng;
  progress: Progress;
  /** Seconds the comparison may still take, for the progress display. */
  budgetLeft?: () => number | undefined;
}

/** Pairs started so far (each has a run at position 0). */
export function pairCount(runs: readonly RunRecord[]): number {
  return runs.filter((r) => r.kind === 'pair' && r.position === 0).length;
}

/** Warm-ups, then pairs in random order until `to` pairs exist, appended to
 * `runs`. A failed run ends the batch once its pair is complete (a failure
 * is deterministic often enough that repeating it only costs time). */
export async function samplePairs(batch: Batch, runOne: RunOne, runs: RunRecord[] = []): Promise<RunRecord[]> {
  let failed = runs.some((r) => r.status !== 'ok');
  const run = async (side: Side, label: Pick<RunRecord, 'kind' | 'pair' | 'position'>) => {
    const r = await runOne(side, label);
    runs.push(r);
    failed ||= r.status !== 'ok';
  };
  for (let i = 0; i < batch.warmup && !failed; i++) {
    for (const side of ['base', 'head'] as const) {
      batch.progress({
        type: 'run',
        benchmark: batch.benchmark,
        kind: 'warmup',
        index: i + 1,
        of: batch.warmup,
        side,
        budgetLeftSeconds: batch.budgetLeft?.(),
      });
      await run(side, { kind: 'warmup' });
    }
  }
  for (let i = pairCount(runs); i < batch.to && !failed; i++) {
    const order: Side[] = batch.rng() < 0.5 ? ['base', 'head'] : ['head', 'base'];
    for (const [position, side] of order.entries()) {
      batch.progress({
        type: 'run',
        benchmark: batch.benchmark,
        kind: 'pair',
        index: i + 1,
        of: batch.to,
        side,
        budgetLeftSeconds: batch.budgetLeft?.(),
      });
      await run(side, { kind: 'pair', pair: i, position: position as 0 | 1 });
    }
  }
  return runs;
}

/** One benchmark to sample: how to run it, and the decision module's verdict after each look. */
export interface Job {
  benchmark: string;
  runOne: RunOne;
  /** After look `k` (0-based) over `runs`: true to stop. `final`: no further look will come. */
  assess: (runs: readonly RunRecord[], k: number, final: boolean) => boolean;
}

/** Samples every job look by look, round robin, within a time budget.
 * Each job always gets its first look; a later look runs only if its pairs,
 * at the job's own pace so far, fit in what is left of the budget. A job
 * that cannot go on is assessed as final at its last look. Looks happen at
 * the planned pair counts only, never at a time the data chose. */
export async function sampleJobs(
  jobs: readonly Job[],
  looks: readonly number[],
  opts: { budgetSeconds: number; warmup: number; rng: Rng; progress: Progress; now?: () => number },
): Promise<RunRecord[][]> {
  const now = opts.now ?? (() => Date.now() / 1000);
  const deadline = now() + opts.budgetSeconds;
  const state = jobs.map(() => ({ runs: [] as RunRecord[], look: -1, seconds: 0, done: false }));
  while (state.some((s) => !s.done)) {
    for (const [j, job] of jobs.entries()) {
      const s = state[j]!;
      if (s.done) continue;
      const k = s.look + 1;
      const have = pairCount(s.runs);
      const pace = have ? s.seconds / have : 0;
      if (s.look >= 0 && now() + pace * (looks[k]! - have) > deadline) {
        job.assess(s.runs, s.look, true);
        s.done = true;
        opts.progress({ type: 'look', benchmark: job.benchmark, pairs: have, state: 'budget' });
        continue;
      }
      const t0 = now();
      await samplePairs(
        {
          benchmark: job.benchmark,
          warmup: opts.warmup,
          to: looks[k]!,
          rng: opts.rng,
          progress: opts.progress,
          budgetLeft: () => Math.max(0, deadline - now()),
        },
        job.runOne,
        s.runs,
      );
      s.seconds += now() - t0;
      s.look = k;
      if (s.runs.some((r) => r.status !== 'ok')) {
        s.done = true;
        continue;
      }
      const final = k === looks.length - 1;
      const decided = job.assess(s.runs, k, final);
      s.done = decided || final;
      opts.progress({
        type: 'look',
        benchmark: job.benchmark,
        pairs: pairCount(s.runs),
        state: decided ? 'decided' : final ? 'ceiling' : 'continue',
      });
    }
  }
  return state.map((s) => s.runs);
}
