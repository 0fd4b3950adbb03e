/** Shared vocabulary of the engine. Plain data only: everything here is
 * serialised into the JSON result as it is. */
import type { Verdict } from './verdicts';

export type { Verdict };

/** Operations per second reported by a throughput benchmark. */
export type OpsPerSec = number;
/** head / base, for one pair or summarised over pairs. */
export type Ratio = number;
/** A percentage: 1.5 means 1.5 %. */
export type Percent = number;
export type Seconds = number;
export type Kibibytes = number;

export type Side = 'base' | 'head';

export type RunStatus = 'ok' | 'crash' | 'timeout' | 'bad_output';

/** What set a benchmark's band: its min_effect_pct, or a calibration's floor. */
export type BandSource = 'min_effect' | 'calibration';

/** Everything measured about one process run. */
export interface RunRecord {
  benchmark: string;
  side: Side;
  kind: 'warmup' | 'pair';
  /** Pair index for kind 'pair'; position inside the pair (0 = ran first). */
  pair?: number;
  position?: 0 | 1;
  status: RunStatus;
  exitCode?: number;
  signal?: string;
  /** Why the run failed, in one line, when status is not 'ok'. */
  error?: string;
  /** Primary and extra metrics by name. */
  metrics: Record<string, number>;
  wallSeconds: Seconds;
  userSeconds?: Seconds;
  sysSeconds?: Seconds;
  maxRssKb?: Kibibytes;
  minorFaults?: number;
  majorFaults?: number;
  voluntaryCtxSwitches?: number;
  involuntaryCtxSwitches?: number;
  /** Operations performed, when the benchmark reports it. */
  ops?: number;
  /** Shared object that served malloc, when the benchmark reports it. */
  mallocProvider?: string;
  checksum?: string;
  /** Processes the run left running when it exited (perfgate killed them). */
  leftoverProcesses?: number;
  stderrTail: string[];
}

/** Descriptive statistics of one side's samples. */
export interface SampleSummary {
  n: number;
  mean: number;
  median: number;
  stdev: number;
  /** Coefficient of variation, stdev / mean, in percent. */
  cvPct: Percent;
  min: number;
  max: number;
}

/** The paired comparison of one metric. */
export interface PairedComparison {
  pairs: number;
  /** The Hodges-Lehmann shift as a ratio, signed so that > 1 means better. */
  medianRatio: Ratio;
  /** Change in percent (Hodges-Lehmann), signed so that positive means better. */
  changePct: Percent;
  /** The signed-rank interval of the change at `level`, same sign convention;
   * all intervals of a comparison hold together with probability >= 1 - alpha. */
  ciLowPct: Percent;
  ciHighPct: Percent;
  /** Two-sided p-value of the Wilcoxon signed-rank test of no change. */
  pValue: number;
  /** pValue scaled to the family level: significant at the look iff pAdjusted < alpha. */
  pAdjusted: number;
  /** Two-sided level of the look that decided (its share of alpha). */
  level?: number;
  /** Standard deviation of the paired log ratios, in percent. */
  pairSdPct: Percent;
  /** Robust SD (1.4826 x MAD) of the paired log ratios, in percent. */
  robustSdPct?: Percent;
  /** The band: a change inside ±this is "unchanged". */
  noiseBandPct: Percent;
  /** What set the band: min_effect_pct, or a calibration's floor. */
  bandSource?: BandSource;
  /** Smallest change detectable at the ceiling (80 % power) for this noise. */
  mdePct: Percent;
}

export interface MetricResult {
  benchmark: string;
  metric: string;
  unit: string;
  higherIsBetter: boolean;
  base?: SampleSummary;
  head?: SampleSummary;
  comparison?: PairedComparison;
  verdict: Verdict;
  /** One sentence a reader can act on. */
  reason: string;
}

export type SyscallName = 'mmap' | 'munmap' | 'madvise' | 'mprotect' | 'mremap' | 'brk';
export const SYSCALLS: readonly SyscallName[] = ['mmap', 'munmap', 'madvise', 'mprotect', 'mremap', 'brk'];

export interface SyscallCount {
  /** Calls per syscall over one whole run (start-up included). */
  calls: Partial<Record<SyscallName, number>>;
  ops?: number;
}

export interface SyscallPass {
  measured: boolean;
  /** Why not, and how to fix it, when not measured. */
  reason?: string;
  base?: SyscallCount;
  head?: SyscallCount;
}

export interface BudgetCheck {
  benchmark: string;
  budget: string;
  base?: number;
  head?: number;
  limit?: number;
  unit: string;
  status: 'ok' | 'exceeded' | 'not_measured';
  reason: string;
}

/** A maintainer's acknowledgement of an intended regression, for one head commit. */
export interface Acceptance {
  /** The benchmark, or 'all'. */
  benchmark: string;
  /** Login of the user who accepted (write access checked). */
  by: string;
  reason: string;
  /** The head commit it was given for. */
  sha: string;
  via: 'comment' | 'label';
}

export interface BenchmarkResult {
  name: string;
  /** The worst verdict among its metrics and budgets; ACCEPTED when a maintainer accepted it. */
  verdict: Verdict;
  /** Who accepted this benchmark's REGRESSED or BUDGET_EXCEEDED, and why; its metrics keep their verdicts. */
  acceptance?: Acceptance & { accepted: Verdict };
  metrics: MetricResult[];
  budgets: BudgetCheck[];
  syscalls: SyscallPass;
  runs: RunRecord[];
}

export type Outcome = 'pass' | 'fail' | 'inconclusive';
