/** `compare`: build base and head, run paired interleaved benchmarks, count
 * syscalls, decide. Knows nothing of GitHub; the CLI and the action call it. */
import { buildSide, cacheRoot, type BuildOutcome } from './build';
import { calibratedSdPct, calibrationAgeDays, defaultCalibrationFile, loadCalibration } from './calibration';
import type { Config } from './config';
import { probeCounters, type CounterProbe } from './counters';
import { decideAll, gatherEvidence, type Measured } from './decide';
import { defaultBranch, mergeBase, repoRoot, resolveCommit, shortLog, tryResolve, workingTreeId } from './git';
import { describeMachine, type MachineInfo } from './machine';
import {
  type BandFloor,
  type ProgressEvent,
  type Sampling,
  instructionPass,
  measurePairs,
  measureSetup,
  runContext,
  straceProblem,
  syscallPass,
} from './measure';
import { preflight, type PreflightResult } from './preflight';
import { randomSeed, seededRng } from './random';
import { plannedLooks } from './stats';
import type { BenchmarkResult, Outcome, Side, SyscallPass, Verdict } from './types';
import { overallOutcome } from './verdict';

export type { ProgressEvent, Sampling } from './measure';

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

function summarizeBuild(b: BuildOutcome): BuildSummary {
  return { ok: b.ok, cached: b.tree?.cached ?? false, seconds: b.seconds, logTail: b.logTail, logFile: b.logFile };
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

/** Every benchmark with one verdict and no runs: nothing could be measured. */
function undecided(config: Config, verdict: Verdict, reason: string, syscallsReason: string): BenchmarkResult[] {
  return config.benchmarks.map((spec) => ({
    name: spec.name,
    verdict,
    metrics: [
      {
        benchmark: spec.name,
        metric: spec.metric.name,
        unit: spec.metric.unit,
        higherIsBetter: spec.metric.higherIsBetter,
        verdict,
        reason,
      },
    ],
    budgets: [],
    syscalls: { measured: false, reason: syscallsReason },
    runs: [],
  }));
}

export async function compare(opts: CompareOptions): Promise<ComparisonResult> {
  const { config } = opts;
  const progress = opts.onProgress ?? (() => {});
  const root = await repoRoot(opts.cwd);
  const refs = await resolveRefs(root, opts);
  const seed = opts.seed ?? config.runs.seed ?? randomSeed();
  const pairs = opts.pairs ?? config.runs.pairs;
  const cacheDir = cacheRoot();
  const setup = measureSetup(config);
  const { tools, env, cpu } = setup;
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
    result.benchmarks = undecided(config, 'BUILD_FAILED', 'the head failed to build', 'not built');
    result.verdictCounts = countVerdicts(result.benchmarks);
    return result;
  }

  const trees = { base: builds.base.tree, head: builds.head.tree };
  if (config.preflight.enabled) {
    progress({ type: 'preflight' });
    result.preflight = await preflight(config.preflight);
    if (!result.preflight.ok) {
      const reason = result.preflight.reason ?? 'the machine is too noisy';
      result.benchmarks = undecided(config, 'UNSTABLE', reason, 'not run: pre-flight probe failed');
      result.verdictCounts = countVerdicts(result.benchmarks);
      result.outcome = 'inconclusive';
      return result;
    }
  }
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
    const ctx = (side: Side) => runContext(setup, spec, trees[side].dir);
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

function countVerdicts(benchmarks: readonly BenchmarkResult[]): Partial<Record<Verdict, number>> {
  const counts: Partial<Record<Verdict, number>> = {};
  for (const b of benchmarks) counts[b.verdict] = (counts[b.verdict] ?? 0) + 1;
  return counts;
}

export function exitCodeFor(outcome: Outcome): number {
  return outcome === 'pass' ? 0 : outcome === 'fail' ? 1 : 4;
}
