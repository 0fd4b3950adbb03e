/** `compare`: build base and head, run paired interleaved benchmarks, count
 * syscalls, decide. Knows nothing of GitHub; the CLI and the action call it. */
import { calibrationAgeDays, defaultCalibrationFile, loadCalibration } from './calibration';
import type { BenchmarkSpec, Config } from './config';
import {
  bandFloors,
  countVerdicts,
  decideBenchmark,
  overallOutcome,
  samplingPlan,
  SequentialDecider,
  type BandOf,
  type Measured,
  type SamplingPlan,
} from './decision';
import type { ConfigOrigin } from './config-source';
import { cancelReason, CancelledError } from './host/cancel';
import type { MachineInfo } from './host/machine';
import type { SandboxMode, SandboxState } from './host/sandbox';
import { instructionPass, probeCounters, type CounterProbe } from './measure/counters';
import { runChecked, sampleJobs, type Job, type RunOne } from './measure/pairs';
import { preflight, type PreflightResult } from './measure/preflight';
import type { ProgressEvent } from './measure/progress';
import { runContext, sideCommand } from './measure/setup';
import { syscallPass } from './measure/syscalls';
import { randomSeed, seededRng, type Rng } from './random';
import { shardOf, type Shard } from './shard';
import type { BuildOutcome } from './repo/build';
import type { BenchmarkResult, Outcome, RunRecord, Side, SyscallPass, Verdict } from './types';
import {
  InfrastructureError,
  buildRef,
  openWorkbench,
  requireBuilt,
  resolveRefs,
  syscallProblem,
  type RefInfo,
  type Refs,
} from './workbench';

export type { ProgressEvent } from './measure/progress';
export type { RefInfo } from './workbench';

export const RESULT_SCHEMA = 'perfgate/result@2';

export interface CompareOptions {
  cwd: string;
  config: Config;
  /** Base ref; default: merge-base of HEAD and the default branch. */
  base?: string;
  /** Head ref; undefined means the working tree, uncommitted changes included. */
  head?: string;
  /** Refs already resolved (the action resolves them from the event); overrides base and head. */
  refs?: Refs;
  /** Overrides config.runs.pairs (pairs before the first look). */
  pairs?: number;
  /** Overrides config.runs.max_pairs (the ceiling of sequential sampling). */
  maxPairs?: number;
  /** Overrides config.runs.budget_s (seconds for all benchmarks' sampling). */
  budgetSeconds?: number;
  seed?: number;
  /** Fail (infrastructure error) when syscalls cannot be counted; default: syscall_pass.require. */
  requireSyscalls?: boolean;
  useCache?: boolean;
  /** Calibration file to floor noise bands with; default: the cache's; null: none. */
  calibrationFile?: string | null;
  /** Build and run in a sandbox (host/sandbox.ts); default 'off'. */
  sandbox?: SandboxMode;
  /** The head is untrusted code: builds are cached apart from trusted ones. */
  untrusted?: boolean;
  /** Where `config` came from, when a caller chose it between base and head (config-source.ts). */
  configOrigin?: ConfigOrigin;
  /** Measure only this shard's benchmarks (shard.ts), with alpha split over the whole config's. */
  shard?: Shard;
  onProgress?: (event: ProgressEvent) => void;
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
  /** The sequential plan: looks, ceiling, budget, alpha and its split (absent when the head did not build). */
  sampling?: SamplingPlan;
  /** Seconds the sampling took. */
  samplingSeconds?: number;
  /** The pre-flight noise probe, when enabled. */
  preflight?: PreflightResult;
  /** The calibration found: which bands it floored, or why it was ignored. */
  calibration?: { file: string; createdAt?: string; ageDays?: number; benchmarks: string[]; ignored?: string };
  config: Config;
  /** Which commit's config governed, and what the other's would change. */
  configOrigin?: ConfigOrigin;
  /** Whether builds and runs were sandboxed, and why not. */
  sandbox: SandboxState;
  refs: { base: RefInfo; head: RefInfo };
  machine: MachineInfo;
  pinnedCpu?: number;
  tools: { strace?: string; taskset?: string; gnuTime?: string };
  build: { base: BuildSummary; head: BuildSummary };
  benchmarks: BenchmarkResult[];
  outcome: Outcome;
  verdictCounts: Partial<Record<Verdict, number>>;
  /** Set when perfgate was cancelled: the signal. Nothing was decided. */
  cancelled?: string;
  /** Which shard this result is (compare --shard); its benchmarks are only that shard's. */
  shard?: Shard;
  /** A merged result: the shards it was made of, each measured on its own machine. */
  shards?: { index: number; count: number; seed: number; machine: MachineInfo; samplingSeconds?: number }[];
}

function summarizeBuild(b: BuildOutcome): BuildSummary {
  return { ok: b.ok, cached: b.tree?.cached ?? false, seconds: b.seconds, logTail: b.logTail, logFile: b.logFile };
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

function finish(result: ComparisonResult, benchmarks: BenchmarkResult[]): ComparisonResult {
  const verdicts = benchmarks.map((b) => b.verdict);
  return { ...result, benchmarks, verdictCounts: countVerdicts(verdicts), outcome: overallOutcome(verdicts) };
}

/** Compares; when perfgate is cancelled (SIGINT, SIGTERM) after the refs
 * are known, returns what it has, marked `cancelled`, every benchmark
 * UNSTABLE (runs of a cancelled comparison are not kept). */
export async function compare(opts: CompareOptions): Promise<ComparisonResult> {
  let partial: ComparisonResult | undefined;
  try {
    return await runComparison(opts, (r) => (partial = r));
  } catch (e) {
    if (!(e instanceof CancelledError) || !partial) throw e;
    const why = 'cancelled before it was decided';
    const measured = partial.shard ? { ...partial.config, benchmarks: shardOf(partial.config.benchmarks, partial.shard) } : partial.config;
    return finish({ ...partial, cancelled: cancelReason() }, undecided(measured, 'UNSTABLE', why, `not run: ${why}`));
  }
}

const NOT_BUILT: BuildSummary = { ok: false, cached: false, seconds: 0, logTail: ['not built'] };

async function runComparison(opts: CompareOptions, seen: (partial: ComparisonResult) => void): Promise<ComparisonResult> {
  // A shard measures its part of the suite; the result keeps the whole config, and alpha is split over all of it.
  const config = opts.shard ? { ...opts.config, benchmarks: shardOf(opts.config.benchmarks, opts.shard) } : opts.config;
  const progress = opts.onProgress ?? (() => {});
  const wb = await openWorkbench(opts.cwd, config, { sandbox: opts.sandbox, untrusted: opts.untrusted });
  const refs = opts.refs ?? (await resolveRefs(wb.root, opts.base, opts.head));
  const seed = opts.seed ?? config.runs.seed ?? randomSeed();
  const pairs = opts.pairs ?? config.runs.pairs;
  const result: ComparisonResult = {
    schema: RESULT_SCHEMA,
    createdAt: new Date().toISOString(),
    seed,
    pairs,
    config: opts.config,
    configOrigin: opts.configOrigin,
    shard: opts.shard,
    sandbox: wb.sandbox,
    refs,
    machine: wb.machine,
    tools: wb.setup.tools,
    build: { base: NOT_BUILT, head: NOT_BUILT },
    benchmarks: [],
    outcome: 'fail',
    verdictCounts: {},
  };
  seen(result);

  const builds = {} as Record<Side, BuildOutcome>;
  for (const side of ['base', 'head'] as const) {
    builds[side] = await buildRef(wb, refs[side], side, { useCache: opts.useCache, progress });
    result.build[side] = summarizeBuild(builds[side]);
    if (side === 'base') requireBuilt(builds.base, `the base (${refs.base.ref} ${refs.base.sha?.slice(0, 12)})`);
  }

  if (!builds.head.ok || !builds.head.tree || !builds.base.tree)
    return finish(result, undecided(config, 'BUILD_FAILED', 'the head failed to build', 'not built'));

  const trees = { base: builds.base.tree, head: builds.head.tree };
  if (config.preflight.enabled) {
    progress({ type: 'preflight' });
    result.preflight = await preflight(config.preflight);
    if (!result.preflight.ok) {
      const reason = result.preflight.reason ?? 'the machine is too noisy';
      return finish(result, undecided(config, 'UNSTABLE', reason, 'not run: pre-flight probe failed'));
    }
  }
  result.pinnedCpu = wb.setup.cpu;
  const rng = seededRng(seed);
  const straceIssue = await syscallProblem(wb);
  if (straceIssue && (opts.requireSyscalls ?? config.syscallPass.require))
    throw new InfrastructureError(
      `syscalls must be counted (${opts.requireSyscalls ? '--require-syscalls' : 'syscall_pass.require'}): ${straceIssue}`,
    );

  const plan = samplingPlan(opts.config, { pairs, maxPairs: opts.maxPairs, budgetSeconds: opts.budgetSeconds });
  result.sampling = plan;
  const calFile = opts.calibrationFile === null ? undefined : (opts.calibrationFile ?? defaultCalibrationFile(config));
  const loaded = calFile ? loadCalibration(calFile) : {};
  const cal = loaded.calibration;
  const floors = bandFloors(cal, config, plan);
  const t0 = Date.now();
  const { runs: allRuns, deciders } = await sampleSuite(
    config,
    plan,
    floors.bandOf,
    (spec) => {
      const cmd = { base: sideCommand(spec, trees.base), head: sideCommand(spec, trees.head) };
      const ctx = { base: runContext(wb.setup, spec, trees.base.dir), head: runContext(wb.setup, spec, trees.head.dir) };
      return (side, label) => runChecked(spec, cmd[side], side, ctx[side], label);
    },
    { rng, progress },
  );
  result.samplingSeconds = (Date.now() - t0) / 1000;
  const benchmarks: BenchmarkResult[] = [];
  let counters: CounterProbe | undefined;
  for (const [i, spec] of config.benchmarks.entries()) {
    const runs = allRuns[i]!;
    const failed = runs.some((r) => r.status !== 'ok');
    const syscalls: SyscallPass = failed
      ? { measured: false, reason: 'skipped: a run failed' }
      : await syscallPass(spec, trees, wb.setup, wb.setup.tools.strace, straceIssue, progress);
    const m: Measured = { spec, runs, syscalls, decider: deciders[i]! };
    if (spec.instructions && !failed) {
      counters ??= await probeCounters(wb.setup.env);
      m.instructions = await instructionPass(spec, trees, wb.setup, counters, progress);
    }
    benchmarks.push(decideBenchmark(m, config));
  }
  const ignored = loaded.ignored ?? floors.ignored;
  if (calFile && (cal || ignored))
    result.calibration = {
      file: calFile,
      createdAt: cal?.createdAt,
      ageDays: cal ? calibrationAgeDays(cal) : undefined,
      benchmarks: [...floors.floored],
      ignored,
    };
  return finish(result, benchmarks);
}

/** Every benchmark of `config`, sampled round robin look by look within the
 * plan's budget (measure/pairs.ts), each decided by its own sequential
 * decider (decision/). `runOneOf` says how one run of a benchmark is made:
 * real processes in compare, recorded or synthetic runs in eval:replay and
 * the tests, which so exercise this very composition. */
export async function sampleSuite(
  config: Config,
  plan: SamplingPlan,
  bandOf: BandOf,
  runOneOf: (spec: BenchmarkSpec) => RunOne,
  opts: { rng: Rng; progress: (e: ProgressEvent) => void; now?: () => number },
): Promise<{ runs: RunRecord[][]; deciders: SequentialDecider[] }> {
  const deciders = config.benchmarks.map((spec) => new SequentialDecider(spec, plan, bandOf));
  const jobs: Job[] = config.benchmarks.map((spec, i) => ({
    benchmark: spec.name,
    runOne: runOneOf(spec),
    assess: (runs, k, final) => deciders[i]!.assess(runs, k, final),
  }));
  const runs = await sampleJobs(jobs, plan.looks, { budgetSeconds: plan.budgetSeconds, warmup: config.runs.warmup, ...opts });
  return { runs, deciders };
}

export function exitCodeFor(outcome: Outcome): number {
  return outcome === 'pass' ? 0 : outcome === 'fail' ? 1 : 4;
}
