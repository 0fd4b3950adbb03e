/** `compare`: build base and head, run paired interleaved benchmarks, count
 * syscalls, decide. Knows nothing of GitHub; the CLI and the action call it. */
import { realpathSync } from 'node:fs';
import { cpus } from 'node:os';

import { runBenchmark, type RunContext } from './bench-run';
import { buildSide, cacheRoot, type BuildOutcome, type BuiltTree } from './build';
import { calibratedSdPct, calibrationAgeDays, defaultCalibrationFile, loadCalibration } from './calibration';
import { countInstructions, probeCounters, type CounterProbe, type CounterTool } from './counters';
import type { BenchmarkSpec, Config, MetricSpec } from './config';
import { scrubEnv } from './env';
import { defaultBranch, mergeBase, repoRoot, resolveCommit, shortLog, tryResolve, workingTreeId } from './git';
import { describeMachine, type MachineInfo } from './machine';
import { opsOf } from './parse';
import { preflight, type PreflightResult } from './preflight';
import { randomSeed, seededRng, type Rng } from './random';
import { holmAdjust, plannedLooks, summarize } from './stats';
import { straceRun } from './syscalls';
import { findGnuTime, which } from './tools';
import type { BenchmarkResult, MetricResult, Outcome, RunRecord, Side, SyscallPass, Verdict } from './types';
import {
  checkBudgets,
  decideCounter,
  failedRunVerdict,
  judge,
  overallOutcome,
  pairedEvidence,
  worstVerdict,
  worthMorePairs,
  type Evidence,
} from './verdict';

export const RESULT_SCHEMA = 'perfgate/result@1';

/** The base side could not be built or measured: nothing to compare against. */
export class InfrastructureError extends Error {}

export interface CompareOptions {
  cwd: string;
  config: Config;
  /** Base ref; default: merge-base of HEAD and the default branch. */
  base?: string;
  /** Head ref; undefined means the working tree, uncommitted changes included. */
  head?: string;
  /** Overrides config.runs.pairs (pairs before the first look). */
  pairs?: number;
  /** Overrides config.runs.max_pairs (adaptive sampling's ceiling). */
  maxPairs?: number;
  seed?: number;
  requireSyscalls?: boolean;
  useCache?: boolean;
  /** Calibration file to floor noise bands with; default: the cache's; null: none. */
  calibrationFile?: string | null;
  onProgress?: (event: ProgressEvent) => void;
}

/** Floor of a metric's noise band at n pairs, from a calibration. */
export type BandFloor = (benchmark: BenchmarkSpec, metric: string, n: number) => number;

export type ProgressEvent =
  | { type: 'build'; side: Side; state: 'start' | 'cached' | 'done' | 'failed'; seconds?: number }
  | { type: 'run'; benchmark: string; kind: 'warmup' | 'pair'; index: number; of: number; side: Side; etaSeconds?: number }
  | { type: 'preflight' }
  | { type: 'syscalls'; benchmark: string; side: Side }
  | { type: 'counters'; benchmark: string; side: Side; tool: CounterTool };

export interface RefInfo {
  ref: string;
  sha?: string;
  treeId: string;
  subject?: string;
}

export interface BuildSummary {
  ok: boolean;
  cached: boolean;
  seconds: number;
  logTail: string[];
  logFile?: string;
}

export interface ComparisonResult {
  schema: typeof RESULT_SCHEMA;
  createdAt: string;
  seed: number;
  pairs: number;
  /** Adaptive sampling plan (absent when the head did not build). */
  sampling?: Sampling;
  /** The pre-flight noise probe, when enabled. */
  preflight?: PreflightResult;
  /** The calibration whose A/A noise floors the noise bands, if one was used. */
  calibration?: { file: string; createdAt: string; ageDays: number; benchmarks: string[] };
  config: Config;
  refs: { base: RefInfo; head: RefInfo };
  machine: MachineInfo;
  pinnedCpu?: number;
  tools: { strace?: string; taskset?: string; gnuTime?: string };
  build: { base: BuildSummary; head: BuildSummary };
  benchmarks: BenchmarkResult[];
  outcome: Outcome;
  verdictCounts: Partial<Record<Verdict, number>>;
}

function expand(arg: string, tree: BuiltTree): string {
  return arg.replaceAll('{build}', tree.buildDir).replaceAll('{root}', tree.dir);
}

function summarizeBuild(b: BuildOutcome): BuildSummary {
  return { ok: b.ok, cached: b.tree?.cached ?? false, seconds: b.seconds, logTail: b.logTail, logFile: b.logFile };
}

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

async function resolveRefs(root: string, opts: CompareOptions): Promise<{ base: RefInfo; head: RefInfo }> {
  let head: RefInfo;
  if (opts.head === undefined) {
    const sha = await tryResolve(root, 'HEAD');
    head = { ref: 'working tree', sha, treeId: await workingTreeId(root), subject: sha ? await shortLog(root, sha) : undefined };
  } else {
    const sha = await resolveCommit(root, opts.head);
    head = { ref: opts.head, sha, treeId: sha, subject: await shortLog(root, sha) };
  }
  let baseRef = opts.base;
  let baseSha: string | undefined;
  if (baseRef !== undefined) {
    baseSha = await resolveCommit(root, baseRef);
  } else {
    const branch = await defaultBranch(root);
    const headCommit = head.sha ?? 'HEAD';
    baseSha = branch ? await mergeBase(root, headCommit, branch) : undefined;
    baseRef = branch && baseSha ? `merge-base(${branch})` : 'HEAD';
    baseSha ??= await resolveCommit(root, 'HEAD');
  }
  return { base: { ref: baseRef, sha: baseSha, treeId: baseSha, subject: await shortLog(root, baseSha) }, head };
}

/** Pair samples of one metric, in pair order. */
function samples(runs: readonly RunRecord[], side: Side, metric: string): number[] {
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

async function syscallPass(
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
async function instructionPass(
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

/** Instructions per op of each side, or why they are missing. */
export interface InstructionCounts {
  tool?: CounterTool;
  base?: number;
  head?: number;
  error?: string;
}

/** A benchmark measured, before the family-wide correction. */
interface Measured {
  spec: BenchmarkSpec;
  runs: RunRecord[];
  syscalls: SyscallPass;
  instructions?: InstructionCounts;
  /** Per metric: evidence, or a verdict that needs no statistics. */
  metrics: { metric: MetricSpec; evidence?: Evidence; fixed?: { verdict: Verdict; reason: string } }[];
}

function gatherEvidence(
  spec: BenchmarkSpec,
  runs: RunRecord[],
  syscalls: SyscallPass,
  config: Config,
  seed: number,
  floor: BandFloor,
): Measured {
  const headFailure = failedRunVerdict(runs);
  const baseFailure = runs.find((r) => r.side === 'base' && r.status !== 'ok');
  const metrics = [spec.metric, ...spec.extraMetrics].map((metric): Measured['metrics'][number] => {
    if (headFailure) {
      const r = headFailure.run;
      return { metric, fixed: { verdict: headFailure.verdict, reason: `head ${r.kind} run ${r.error ?? r.status}` } };
    }
    if (baseFailure) {
      return {
        metric,
        fixed: {
          verdict: 'BASE_FAILED',
          reason: `base ${baseFailure.kind} run ${baseFailure.error ?? baseFailure.status}: nothing to compare against`,
        },
      };
    }
    const base = samples(runs, 'base', metric.name);
    const head = samples(runs, 'head', metric.name);
    const ev = pairedEvidence(base, head, metric.higherIsBetter, config.decision, seed, floor(spec, metric.name, base.length));
    return ev
      ? { metric, evidence: ev }
      : {
          metric,
          fixed: { verdict: 'NOT_MEASURED', reason: 'the metric has zero or negative values, so ratios are undefined' },
        };
  });
  return { spec, runs, syscalls, metrics };
}

/** Final verdicts: p corrected for the looks, then Holm over every decision. */
function decideAll(measured: readonly Measured[], config: Config, looks: number): BenchmarkResult[] {
  const all = measured.flatMap((m) => m.metrics);
  const lookP = all.map((x) => (x.evidence ? Math.min(1, x.evidence.comparison.pValue * looks) : NaN));
  const adjusted = config.decision.correction === 'holm' ? holmAdjust(lookP) : lookP;
  let k = 0;
  return measured.map(({ spec, runs, syscalls, metrics, instructions }) => {
    const results: MetricResult[] = metrics.map(({ metric, evidence, fixed }) => {
      const p = adjusted[k++] as number;
      const row = { benchmark: spec.name, metric: metric.name, unit: metric.unit, higherIsBetter: metric.higherIsBetter };
      if (!evidence) return { ...row, ...fixed! };
      return {
        ...row,
        base: summarize(samples(runs, 'base', metric.name)),
        head: summarize(samples(runs, 'head', metric.name)),
        ...judge(evidence, config.decision, p),
      };
    });
    if (instructions && spec.instructions) {
      const row = { benchmark: spec.name, metric: 'instructions_per_op', unit: 'instr/op', higherIsBetter: false };
      if (instructions.base !== undefined && instructions.head !== undefined) {
        const d = decideCounter(instructions.base, instructions.head, spec.instructions.thresholdPct);
        results.push({ ...row, ...d, reason: `${d.reason} (counted with ${instructions.tool})` });
      } else {
        results.push({ ...row, verdict: 'NOT_MEASURED', reason: instructions.error ?? 'not counted' });
      }
    }
    const failed = runs.some((r) => r.status !== 'ok');
    const budgets = failed ? [] : checkBudgets(spec.name, runs, syscalls, config.budgets);
    const verdicts: Verdict[] = results.map((m) => m.verdict);
    if (budgets.some((b) => b.status === 'exceeded')) verdicts.push('BUDGET_EXCEEDED');
    return { name: spec.name, verdict: worstVerdict(verdicts), metrics: results, budgets, syscalls, runs };
  });
}

function countVerdicts(benchmarks: readonly BenchmarkResult[]): Partial<Record<Verdict, number>> {
  const counts: Partial<Record<Verdict, number>> = {};
  for (const b of benchmarks) counts[b.verdict] = (counts[b.verdict] ?? 0) + 1;
  return counts;
}

export async function compare(opts: CompareOptions): Promise<ComparisonResult> {
  const { config } = opts;
  const progress = opts.onProgress ?? (() => {});
  const root = await repoRoot(opts.cwd);
  const refs = await resolveRefs(root, opts);
  const seed = opts.seed ?? config.runs.seed ?? randomSeed();
  const pairs = opts.pairs ?? config.runs.pairs;
  const cacheDir = cacheRoot();
  const tools = { strace: which('strace'), taskset: which('taskset'), gnuTime: findGnuTime() };
  const machine = await describeMachine();

  const builds = {} as Record<Side, BuildOutcome>;
  for (const side of ['base', 'head'] as const) {
    progress({ type: 'build', side, state: 'start' });
    const ref = refs[side];
    builds[side] = await buildSide({
      repo: root,
      treeId: ref.treeId,
      fromWorkingTree: side === 'head' && opts.head === undefined,
      config,
      cacheDir,
      useCache: opts.useCache ?? true,
    });
    const b = builds[side];
    progress({ type: 'build', side, state: b.ok ? (b.tree?.cached ? 'cached' : 'done') : 'failed', seconds: b.seconds });
    if (!b.ok && side === 'base')
      throw new InfrastructureError(
        `the base (${ref.ref} ${ref.sha?.slice(0, 12)}) failed to build, so there is nothing to compare against:\n${b.logTail.join('\n')}`,
      );
  }

  const result: ComparisonResult = {
    schema: RESULT_SCHEMA,
    createdAt: new Date().toISOString(),
    seed,
    pairs,
    config,
    refs,
    machine,
    tools,
    build: { base: summarizeBuild(builds.base), head: summarizeBuild(builds.head) },
    benchmarks: [],
    outcome: 'fail',
    verdictCounts: {},
  };

  if (!builds.head.ok || !builds.head.tree || !builds.base.tree) {
    result.benchmarks = config.benchmarks.map((spec) => ({
      name: spec.name,
      verdict: 'BUILD_FAILED',
      metrics: [
        {
          benchmark: spec.name,
          metric: spec.metric.name,
          unit: spec.metric.unit,
          higherIsBetter: spec.metric.higherIsBetter,
          verdict: 'BUILD_FAILED',
          reason: 'the head failed to build',
        },
      ],
      budgets: [],
      syscalls: { measured: false, reason: 'not built' },
      runs: [],
    }));
    result.verdictCounts = countVerdicts(result.benchmarks);
    return result;
  }

  const trees = { base: builds.base.tree, head: builds.head.tree };
  if (config.preflight.enabled) {
    progress({ type: 'preflight' });
    result.preflight = await preflight(config.preflight);
    if (!result.preflight.ok) {
      const reason = result.preflight.reason ?? 'the machine is too noisy';
      result.benchmarks = config.benchmarks.map((spec) => ({
        name: spec.name,
        verdict: 'UNSTABLE',
        metrics: [
          {
            benchmark: spec.name,
            metric: spec.metric.name,
            unit: spec.metric.unit,
            higherIsBetter: spec.metric.higherIsBetter,
            verdict: 'UNSTABLE',
            reason,
          },
        ],
        budgets: [],
        syscalls: { measured: false, reason: 'not run: pre-flight probe failed' },
        runs: [],
      }));
      result.verdictCounts = countVerdicts(result.benchmarks);
      result.outcome = 'inconclusive';
      return result;
    }
  }
  const env = scrubEnv(process.env, config.env.allow, config.env.set);
  const cpu = pinCpu(config, tools.taskset);
  result.pinnedCpu = cpu;
  const rng = seededRng(seed);
  const straceIssue = config.syscallPass.enabled ? await straceProblem(tools.strace) : 'the syscall pass is disabled in the config';
  if (straceIssue && opts.requireSyscalls) throw new InfrastructureError(`--require-syscalls: ${straceIssue}`);

  const maxPairs = Math.max(pairs, opts.maxPairs ?? config.runs.maxPairs);
  const sampling: Sampling = { pairs, maxPairs, step: config.runs.step, looks: plannedLooks(pairs, maxPairs, config.runs.step) };
  result.sampling = sampling;
  const calFile = opts.calibrationFile === null ? undefined : (opts.calibrationFile ?? defaultCalibrationFile(config));
  const cal = calFile ? loadCalibration(calFile) : undefined;
  const usedCal = new Set<string>();
  const floor: BandFloor = (spec, metric, n) => {
    const sd = calibratedSdPct(cal, spec.name, spec.argv, metric);
    if (sd === undefined || n < 1) return 0;
    usedCal.add(spec.name);
    return (config.decision.cvMultiplier * sd) / Math.sqrt(n);
  };
  const measured: Measured[] = [];
  let counters: CounterProbe | undefined;
  for (const spec of config.benchmarks) {
    const ctx = (side: Side): RunContext => ({ cwd: trees[side].dir, env, cpu: spec.pin ? cpu : undefined, tools });
    const runs = await measurePairs(spec, trees, ctx, sampling, config, seed, rng, progress, floor);
    const failed = runs.some((r) => r.status !== 'ok');
    const syscalls: SyscallPass = failed
      ? { measured: false, reason: 'skipped: a run failed' }
      : await syscallPass(spec, trees, env, tools.strace, straceIssue, progress);
    const m = gatherEvidence(spec, runs, syscalls, config, seed, floor);
    if (spec.instructions && !failed) {
      counters ??= await probeCounters(env);
      m.instructions = await instructionPass(spec, trees, env, counters, progress);
    }
    measured.push(m);
  }
  result.benchmarks = decideAll(measured, config, sampling.looks);
  if (cal && calFile && usedCal.size)
    result.calibration = { file: calFile, createdAt: cal.createdAt, ageDays: calibrationAgeDays(cal), benchmarks: [...usedCal] };
  result.verdictCounts = countVerdicts(result.benchmarks);
  result.outcome = overallOutcome(result.benchmarks.map((b) => b.verdict));
  return result;
}

export function exitCodeFor(outcome: Outcome): number {
  return outcome === 'pass' ? 0 : outcome === 'fail' ? 1 : 4;
}
