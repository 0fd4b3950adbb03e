/** Rebase: one build, the whole suite under every allocator (the same
 * binaries, the allocator chosen by LD_PRELOAD), interleaved round by round
 * under identical conditions, then a scorecard. Comparing against numbers
 * stored from another day is unsound (machines drift by several percent), so
 * every allocator is measured again, here, together. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { median } from 'simple-statistics';

import type { BenchmarkSpec, Config } from '../engine/config';
import { summarize } from '../engine/summary';
import type { MachineInfo } from '../engine/host/machine';
import type { SandboxMode } from '../engine/host/sandbox';
import { defaultCalibrationFile } from '../engine/calibration';
import { instructionsPerOp, probeCounters, type CounterProbe } from '../engine/measure/counters';
import { runChecked } from '../engine/measure/pairs';
import { runContext, sideCommand, type SideCommand } from '../engine/measure/setup';
import { countSyscalls, syscallsPerOp } from '../engine/measure/syscalls';
import type { Kibibytes, OpsPerSec, Percent, Ratio, RunRecord, Seconds } from '../engine/types';
import { commitFacts } from '../engine/repo/git';
import { buildRef, openWorkbench, requireBuilt, resolveTree, syscallProblem } from '../engine/workbench';
import { REFERENCE_ALLOCATOR, resolveAllocators, type ResolvedAllocator } from './allocators';

export const SCORECARD_SCHEMA = 'perfgate/scorecard@1';

export interface ScoreEntry {
  allocator: string;
  medianOpsPerSec?: OpsPerSec;
  cvPct?: Percent;
  /** The primary metric of each round, in round order: rounds run every allocator once, so round i
   * of two entries is a pair (scorecard/versus.ts). Absent in older records. */
  values?: number[];
  /** Median relative to the reference allocator's (REFERENCE_ALLOCATOR). */
  ratioToMimalloc?: Ratio;
  maxRssKb?: Kibibytes;
  syscallsPerOp?: number;
  /** Minor + major page faults per operation (median run), when the benchmark reports its operations. */
  faultsPerOp?: number;
  /** Minor + major page faults of a run (median), user and system CPU seconds of a run (medians). */
  faults?: number;
  userSeconds?: Seconds;
  sysSeconds?: Seconds;
  /** User-space instructions per operation of one counted run, when the benchmark configures `instructions`. */
  instructionsPerOp?: number;
  /** 1 = fastest among the allocators that ran. */
  rank?: number;
  failure?: string;
}

export interface Scorecard {
  schema: typeof SCORECARD_SCHEMA;
  createdAt: string;
  ref: string;
  sha: string;
  subject?: string;
  /** The commit's first parent and committer date, when a commit was measured (history order). */
  parent?: string;
  committedAt?: string;
  rounds: number;
  machine: MachineInfo;
  /** The calibration in effect when measured (sha256 of its file, 12 hex digits), if any. */
  calibration?: string;
  allocators: ResolvedAllocator[];
  /** `metric`: the name of the primary metric, `higherIsBetter` its direction (absent before perfgate 0.3). */
  benchmarks: { name: string; metric?: string; higherIsBetter?: boolean; unit?: string; entries: ScoreEntry[] }[];
}

export interface RebaseOptions {
  cwd: string;
  config: Config;
  /** Commit to measure; undefined measures the working tree. */
  ref?: string;
  allocators: readonly string[];
  rounds?: number;
  /** Build and run in a sandbox (engine/host/sandbox.ts); default 'off'. */
  sandbox?: SandboxMode;
  onProgress?: (message: string) => void;
}

/** A short id of the calibration file's content: which calibration a record was measured under. */
function calibrationId(file: string): string | undefined {
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12) : undefined;
}

const medianOr = (xs: number[]): number | undefined => (xs.length ? median(xs) : undefined);
const medianOf = (rs: RunRecord[], f: (r: RunRecord) => number | undefined): number | undefined =>
  medianOr(rs.flatMap((r) => (f(r) === undefined ? [] : [f(r)!])));

/** A failed run as the scorecard shows it: what happened and, for a process that died or hung,
 * the last line it wrote to stderr (an allocator's abort message says more than the signal). */
function describeFailure(r: RunRecord): string {
  const what = r.error ?? r.status;
  const last = r.status === 'crash' || r.status === 'timeout' ? r.stderrTail.filter((l) => l.trim() !== '').at(-1) : undefined;
  return last === undefined ? what : `${what}: ${last.trim()}`;
}

function scoreBenchmark(
  spec: BenchmarkSpec,
  runs: Map<string, RunRecord[]>,
  syscalls: Map<string, number | undefined>,
  allocators: ResolvedAllocator[],
): ScoreEntry[] {
  const entries: ScoreEntry[] = allocators
    .filter((a) => a.available)
    .map((a) => {
      const rs = runs.get(a.name) ?? [];
      const failed = rs.find((r) => r.status !== 'ok');
      if (failed) return { allocator: a.name, failure: describeFailure(failed) };
      const values = rs.map((r) => r.metrics[spec.metric.name] as number);
      const s = summarize(values);
      return {
        allocator: a.name,
        medianOpsPerSec: s.median,
        cvPct: s.cvPct,
        values,
        maxRssKb: median(rs.map((r) => r.maxRssKb ?? 0)),
        syscallsPerOp: syscalls.get(a.name),
        faultsPerOp: medianOf(rs, (r) =>
          r.minorFaults !== undefined && r.ops ? (r.minorFaults + (r.majorFaults ?? 0)) / r.ops : undefined,
        ),
        faults: medianOf(rs, (r) => (r.minorFaults !== undefined ? r.minorFaults + (r.majorFaults ?? 0) : undefined)),
        userSeconds: medianOf(rs, (r) => r.userSeconds),
        sysSeconds: medianOf(rs, (r) => r.sysSeconds),
      };
    });
  const ref = entries.find((e) => e.allocator === REFERENCE_ALLOCATOR)?.medianOpsPerSec;
  const sign = spec.metric.higherIsBetter ? -1 : 1;
  const ranked = entries.filter((e) => e.medianOpsPerSec !== undefined).sort((a, b) => sign * (a.medianOpsPerSec! - b.medianOpsPerSec!));
  ranked.forEach((e, i) => (e.rank = i + 1));
  for (const e of entries) if (ref && e.medianOpsPerSec !== undefined) e.ratioToMimalloc = e.medianOpsPerSec / ref;
  return entries;
}

export async function rebase(opts: RebaseOptions): Promise<Scorecard> {
  const { config } = opts;
  const say = opts.onProgress ?? (() => {});
  const wb = await openWorkbench(opts.cwd, config, { sandbox: opts.sandbox });
  const ref = await resolveTree(wb.root, opts.ref);
  const rounds = opts.rounds ?? config.runs.pairs;
  const allocators = resolveAllocators(opts.allocators);
  for (const a of allocators) if (!a.available) say(`allocator ${a.name} skipped: ${a.reason}`);

  say(`building ${ref.ref} (${ref.treeId.slice(0, 12)})`);
  const tree = requireBuilt(await buildRef(wb, ref, 'head'), ref.ref);
  const straceIssue = await syscallProblem(wb);
  const active = allocators.filter((a) => a.available);
  let counters: CounterProbe | undefined;

  const card: Scorecard = {
    schema: SCORECARD_SCHEMA,
    createdAt: new Date().toISOString(),
    ref: ref.ref,
    sha: ref.treeId,
    subject: opts.ref === undefined ? undefined : ref.subject,
    ...(opts.ref === undefined ? {} : await commitFacts(wb.root, ref.treeId)),
    rounds,
    machine: wb.machine,
    calibration: calibrationId(defaultCalibrationFile(config)),
    allocators,
    benchmarks: [],
  };
  for (const spec of config.benchmarks) {
    const ours = sideCommand(spec, tree);
    const cmdOf = (a: ResolvedAllocator): SideCommand => ({ argv: ours.argv, preload: a.ours ? ours.preload : a.lib });
    const ctx = runContext(wb.setup, spec, tree.dir);
    const runs = new Map<string, RunRecord[]>();
    for (let r = 0; r < config.runs.warmup + rounds; r++) {
      // Rotate the order every round so slow drift favours no allocator.
      const order = active.map((_, i) => active[(i + r) % active.length]!);
      for (const a of order) {
        say(`[${spec.name}] round ${r + 1}/${config.runs.warmup + rounds} ${a.name}`);
        const label = { kind: r < config.runs.warmup ? ('warmup' as const) : ('pair' as const), pair: r };
        const rec = await runChecked(spec, cmdOf(a), 'head', ctx, label, true);
        if (rec.kind === 'pair' || rec.status !== 'ok') runs.set(a.name, [...(runs.get(a.name) ?? []), rec]);
      }
    }
    const syscalls = new Map<string, number | undefined>();
    if (!straceIssue && wb.setup.tools.strace) {
      for (const a of active) {
        if ((runs.get(a.name) ?? []).some((x) => x.status !== 'ok')) continue;
        say(`[${spec.name}] syscall pass ${a.name}`);
        const s = await countSyscalls(wb.setup.tools.strace, spec, cmdOf(a), tree.dir, wb.setup);
        if (s.count) syscalls.set(a.name, syscallsPerOp(s.count, config.budgets.syscalls));
      }
    }
    const entries = scoreBenchmark(spec, runs, syscalls, allocators);
    if (spec.instructions) {
      counters ??= await probeCounters(wb.setup.env);
      if (!counters.tool) say(`[${spec.name}] instructions not counted: ${counters.note}`);
      for (const e of entries) {
        if (!counters.tool || e.failure) continue;
        say(`[${spec.name}] counting instructions (${counters.tool}) ${e.allocator}`);
        const a = active.find((x) => x.name === e.allocator)!;
        const r = await instructionsPerOp(counters.tool, spec, tree, wb.setup, cmdOf(a).preload);
        if (r.perOp !== undefined) e.instructionsPerOp = r.perOp;
        else say(`[${spec.name}] ${e.allocator}: instructions not counted: ${r.error}`);
      }
    }
    card.benchmarks.push({
      name: spec.name,
      metric: spec.metric.name,
      higherIsBetter: spec.metric.higherIsBetter,
      unit: spec.metric.unit,
      entries,
    });
  }
  return card;
}
