/** Verdicts: pure functions from measurements and the decision knobs.
 *
 * The rule for one metric of one benchmark, over n pairs (b_i, h_i):
 *
 *  1. d_i = s * ln(h_i / b_i), with s = +1 when higher is better, else -1,
 *     so d > 0 always means "head is better".
 *  2. If the CV of either side exceeds max_cv_pct: UNSTABLE.
 *  3. change = exp(median(d)) - 1; p = paired t-test on d (see stats.ts);
 *     SE = sd(d) / sqrt(n).
 *  4. noise band = max(min_effect_pct, cv_multiplier * 100 * SE): the band
 *     scales with the measured noise and never drops below the minimum effect.
 *  5. If p < alpha and |change| > band: IMPROVED or REGRESSED.
 *  6. Otherwise, if the band exceeds max_band_pct, the comparison cannot
 *     resolve a change that matters: UNSTABLE, with the number of pairs that
 *     would shrink the band to max_band_pct (SE falls as 1/sqrt(n)).
 *  7. Otherwise UNCHANGED: "unchanged within ±band".
 *
 * A change must pass both a significance test and an effect-size threshold:
 * significance alone flags tiny shifts on a quiet machine, size alone flags
 * noise on a busy one.
 *
 * The p of step 5 is corrected twice before use (see compare.ts):
 *  - adaptive sampling looks at the data up to K times (n0, n0 + step, ...,
 *    max_pairs); each look's p is multiplied by K (Bonferroni over looks), so
 *    peeking cannot raise the false-alarm rate above alpha;
 *  - Holm's step-down procedure over all benchmark x metric decisions of one
 *    comparison, so adding benchmarks does not add false alarms. */
import type { BudgetSpec, DecisionSpec } from './config';
import { bootstrapMedianCi, logToPct, minimumDetectableLog, pairedTTestP, summarize } from './stats';
import type { BudgetCheck, MetricResult, Outcome, PairedComparison, RunRecord, SyscallPass, Verdict } from './types';
import { sampleStandardDeviation, median } from 'simple-statistics';

export interface MetricDecision {
  comparison: PairedComparison;
  verdict: Verdict;
  reason: string;
}

/** What the pairs say about one metric, before any verdict. */
export interface Evidence {
  comparison: PairedComparison;
  cvBasePct: number;
  cvHeadPct: number;
  /** Standard error of the mean log ratio, in percent. */
  sePct: number;
}

function fmt(x: number, digits = 2): string {
  return x.toFixed(digits);
}

/** Paired statistics of one metric (base[i] and head[i] ran as pair i);
 * undefined when ratios are undefined (no pairs, or non-positive values).
 * `bandFloorPct` raises the noise band's floor above min_effect_pct (a
 * calibrated A/A band). */
export function pairedEvidence(
  base: readonly number[],
  head: readonly number[],
  higherIsBetter: boolean,
  knobs: DecisionSpec,
  seed: number,
  bandFloorPct = 0,
): Evidence | undefined {
  const n = Math.min(base.length, head.length);
  const positive = (xs: readonly number[]) => xs.every((x) => Number.isFinite(x) && x > 0);
  if (n === 0 || !positive(base) || !positive(head)) return undefined;
  const sign = higherIsBetter ? 1 : -1;
  const d: number[] = [];
  for (let i = 0; i < n; i++) d.push(sign * Math.log((head[i] as number) / (base[i] as number)));
  const sd = n > 1 ? sampleStandardDeviation(d) : 0;
  const sePct = (100 * sd) / Math.sqrt(n);
  const med = median(d);
  const [lo, hi] = bootstrapMedianCi(d, seed);
  const p = pairedTTestP(d);
  return {
    comparison: {
      pairs: n,
      medianRatio: Math.exp(sign * med),
      changePct: logToPct(med),
      ciLowPct: logToPct(lo),
      ciHighPct: logToPct(hi),
      pValue: p,
      pAdjusted: p,
      pairSdPct: 100 * sd,
      noiseBandPct: Math.max(knobs.minEffectPct, bandFloorPct, knobs.cvMultiplier * sePct),
      mdePct: 100 * minimumDetectableLog(sd, n, knobs.alpha),
    },
    cvBasePct: summarize(base).cvPct,
    cvHeadPct: summarize(head).cvPct,
    sePct,
  };
}

/** The verdict rule (steps 2 and 5-7 of the module comment), given the
 * p-value after corrections for multiple looks and multiple tests. */
export function judge(ev: Evidence, knobs: DecisionSpec, pAdjusted: number): MetricDecision {
  const comparison = { ...ev.comparison, pAdjusted };
  const band = comparison.noiseBandPct;
  const cv = Math.max(ev.cvBasePct, ev.cvHeadPct);
  if (cv > knobs.maxCvPct) {
    return {
      comparison,
      verdict: 'UNSTABLE',
      reason: `run-to-run CV ${fmt(cv, 1)} % exceeds max_cv_pct ${knobs.maxCvPct} %: the machine or benchmark is too noisy to decide; quiet the machine, pin the benchmark, or lengthen each run`,
    };
  }
  const change = comparison.changePct;
  if (pAdjusted < knobs.alpha && Math.abs(change) > band) {
    const better = change > 0;
    return {
      comparison,
      verdict: better ? 'IMPROVED' : 'REGRESSED',
      reason: `${better ? '+' : ''}${fmt(change)} % (${better ? 'better' : 'worse'}), beyond the ±${fmt(band)} % noise band, p = ${pAdjusted.toExponential(1)}`,
    };
  }
  if (band > knobs.maxBandPct) {
    const needed = Math.ceil(comparison.pairs * ((knobs.cvMultiplier * ev.sePct) / knobs.maxBandPct) ** 2);
    return {
      comparison,
      verdict: 'UNSTABLE',
      reason: `noise band ±${fmt(band)} % is wider than max_band_pct ${knobs.maxBandPct} %: about ${needed} pairs (now ${comparison.pairs}) would resolve it`,
    };
  }
  return {
    comparison,
    verdict: 'UNCHANGED',
    reason: `unchanged within ±${fmt(band)} % (${change >= 0 ? '+' : ''}${fmt(change)} %, p = ${pAdjusted.toFixed(3)})`,
  };
}

/** Whether more pairs could still change the answer: the band is too wide,
 * or nothing was detected yet the interval still reaches beyond the band. */
export function worthMorePairs(ev: Evidence, knobs: DecisionSpec, pAdjusted: number): boolean {
  const d = judge(ev, knobs, pAdjusted);
  const c = d.comparison;
  if (d.verdict === 'UNSTABLE') return c.noiseBandPct > knobs.maxBandPct;
  if (d.verdict === 'UNCHANGED') return c.ciLowPct < -c.noiseBandPct || c.ciHighPct > c.noiseBandPct;
  return false;
}

const NOT_MEASURED_COMPARISON = (n: number): PairedComparison => ({
  pairs: n,
  medianRatio: NaN,
  changePct: NaN,
  ciLowPct: NaN,
  ciHighPct: NaN,
  pValue: NaN,
  pAdjusted: NaN,
  pairSdPct: NaN,
  noiseBandPct: NaN,
  mdePct: NaN,
});

/** Deterministic counts (instructions per op) need no statistics: one count
 * per side, and a change beyond `thresholdPct` either way is the verdict.
 * Lower is better; change is signed so that + is better. */
export function decideCounter(base: number, head: number, thresholdPct: number): MetricDecision {
  const changePct = (base / head - 1) * 100;
  const comparison: PairedComparison = {
    ...NOT_MEASURED_COMPARISON(1),
    medianRatio: head / base,
    changePct,
    ciLowPct: changePct,
    ciHighPct: changePct,
    pairSdPct: 0,
    noiseBandPct: thresholdPct,
    mdePct: thresholdPct,
  };
  const what = `${fmtNum(base)} -> ${fmtNum(head)} instructions/op (${changePct >= 0 ? '+' : ''}${fmt(changePct)} %)`;
  if (Math.abs(changePct) <= thresholdPct) return { comparison, verdict: 'UNCHANGED', reason: `${what}, within ±${thresholdPct} %` };
  return { comparison, verdict: changePct > 0 ? 'IMPROVED' : 'REGRESSED', reason: `${what}, beyond the ±${thresholdPct} % threshold` };
}

/** Decides one metric on its own (no corrections): evidence, then the rule. */
export function decideMetric(
  base: readonly number[],
  head: readonly number[],
  higherIsBetter: boolean,
  knobs: DecisionSpec,
  seed: number,
): MetricDecision {
  const ev = pairedEvidence(base, head, higherIsBetter, knobs, seed);
  if (!ev) {
    const n = Math.min(base.length, head.length);
    return {
      comparison: NOT_MEASURED_COMPARISON(n),
      verdict: 'NOT_MEASURED',
      reason: n === 0 ? 'no complete pairs' : 'the metric has zero or negative values, so ratios are undefined',
    };
  }
  return judge(ev, knobs, ev.comparison.pValue);
}

const FAILED_RUN_VERDICT: Record<Exclude<RunRecord['status'], 'ok'>, Verdict> = {
  crash: 'CRASH',
  timeout: 'TIMEOUT',
  bad_output: 'BAD_OUTPUT',
};

/** The verdict a failed head run imposes, or undefined when all head runs passed. */
export function failedRunVerdict(runs: readonly RunRecord[]): { verdict: Verdict; run: RunRecord } | undefined {
  const failed = runs.find((r) => r.side === 'head' && r.status !== 'ok');
  return failed && failed.status !== 'ok' ? { verdict: FAILED_RUN_VERDICT[failed.status], run: failed } : undefined;
}

function medianOf(runs: readonly RunRecord[], f: (r: RunRecord) => number | undefined): number | undefined {
  const xs = runs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return xs.length ? median(xs) : undefined;
}

function maxOf(runs: readonly RunRecord[], f: (r: RunRecord) => number | undefined): number | undefined {
  const xs = runs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return xs.length ? Math.max(...xs) : undefined;
}

/** growth rule: head exceeds when head > max(base * (1 + pct / 100), baseMax) + slack.
 * `baseMax`, the largest base run, matters only where the quantity varies
 * from run to run (peak RSS of a threaded benchmark depends on scheduling):
 * a head inside the base's own range is not a breach. For deterministic
 * quantities it equals the base median and the rule is the plain one. */
function growthCheck(
  benchmark: string,
  budget: string,
  unit: string,
  base: number | undefined,
  head: number | undefined,
  pct: number,
  slack: number,
  what: string,
  baseMax = base,
): BudgetCheck {
  if (base === undefined || head === undefined)
    return { benchmark, budget, unit, base, head, status: 'not_measured', reason: `${what} was not measured` };
  const limit = Math.max(base * (1 + pct / 100), baseMax ?? base) + slack;
  const exceeded = head > limit;
  return {
    benchmark,
    budget,
    unit,
    base,
    head,
    limit,
    status: exceeded ? 'exceeded' : 'ok',
    reason: exceeded
      ? `${what} grew from ${fmtNum(base)} to ${fmtNum(head)} ${unit}, above the limit ${fmtNum(limit)} (+${pct} % + ${fmtNum(slack)})`
      : `${what} ${fmtNum(head)} ${unit} within limit ${fmtNum(limit)}`,
  };
}

export function fmtNum(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-2) return x.toExponential(2);
  return a >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

/** Budgets for one benchmark, from the timed runs (RSS, faults) and the
 * syscall pass (calls per op). All inputs are deterministic or nearly so. */
export function checkBudgets(benchmark: string, runs: readonly RunRecord[], syscalls: SyscallPass, spec: BudgetSpec): BudgetCheck[] {
  const ok = (side: 'base' | 'head') => runs.filter((r) => r.side === side && r.kind === 'pair' && r.status === 'ok');
  const checks: BudgetCheck[] = [];

  const perOp = (side: 'base' | 'head'): number | undefined => {
    const c = syscalls[side];
    if (!syscalls.measured || !c || !c.ops) return undefined;
    return spec.syscalls.reduce((sum, s) => sum + (c.calls[s] ?? 0), 0) / c.ops;
  };
  const names = spec.syscalls.join('+');
  if (!syscalls.measured) {
    checks.push({
      benchmark,
      budget: 'syscalls/op',
      unit: 'calls/op',
      status: 'not_measured',
      reason: syscalls.reason ?? 'syscall pass did not run',
    });
  } else {
    const b = perOp('base');
    const h = perOp('head');
    if (b === undefined || h === undefined) {
      checks.push({
        benchmark,
        budget: 'syscalls/op',
        unit: 'calls/op',
        status: 'not_measured',
        reason: 'the benchmark does not report its number of operations (set ops_field or ops)',
      });
    } else {
      checks.push(
        growthCheck(benchmark, `${names} per op`, 'calls/op', b, h, spec.syscallsGrowthPct, spec.syscallsSlackPerOp, `${names} per op`),
      );
      if (spec.syscallsPerOpMax !== undefined) {
        const exceeded = h > spec.syscallsPerOpMax;
        checks.push({
          benchmark,
          budget: `${names} per op (absolute)`,
          unit: 'calls/op',
          base: b,
          head: h,
          limit: spec.syscallsPerOpMax,
          status: exceeded ? 'exceeded' : 'ok',
          reason: exceeded
            ? `${fmtNum(h)} ${names} calls per op exceeds the absolute budget ${fmtNum(spec.syscallsPerOpMax)}`
            : `${fmtNum(h)} calls per op within ${fmtNum(spec.syscallsPerOpMax)}`,
        });
      }
    }
  }
  // Peak RSS and faults per op: the median run of each side, and the base's largest run.
  const perRun = (budget: string, unit: string, of: (r: RunRecord) => number | undefined, pct: number, slack: number) =>
    growthCheck(benchmark, budget, unit, medianOf(ok('base'), of), medianOf(ok('head'), of), pct, slack, budget, maxOf(ok('base'), of));
  checks.push(perRun('peak RSS', 'KiB', (r) => r.maxRssKb, spec.rssGrowthPct, spec.rssSlackKb));
  checks.push(
    perRun(
      'page faults per op',
      'faults/op',
      (r) => (r.minorFaults !== undefined && r.ops ? (r.minorFaults + (r.majorFaults ?? 0)) / r.ops : undefined),
      spec.faultsGrowthPct,
      spec.faultsSlackPerOp,
    ),
  );
  return checks;
}

/** Worst-first order of verdicts; a benchmark shows its worst. */
const SEVERITY: readonly Verdict[] = [
  'BUILD_FAILED',
  'CRASH',
  'TIMEOUT',
  'BAD_OUTPUT',
  'BUDGET_EXCEEDED',
  'REGRESSED',
  'BASE_FAILED',
  'UNSTABLE',
  'NOT_MEASURED',
  'IMPROVED',
  'UNCHANGED',
];

export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  let worst: Verdict = 'UNCHANGED';
  for (const v of verdicts) if (SEVERITY.indexOf(v) < SEVERITY.indexOf(worst)) worst = v;
  return worst;
}

const FAILING: ReadonlySet<Verdict> = new Set(['REGRESSED', 'CRASH', 'TIMEOUT', 'BAD_OUTPUT', 'BUDGET_EXCEEDED', 'BUILD_FAILED']);
const INCONCLUSIVE: ReadonlySet<Verdict> = new Set(['UNSTABLE', 'BASE_FAILED', 'NOT_MEASURED']);

/** Overall: fail on any failing verdict; otherwise inconclusive if any
 * decision could not be made; pass only when everything was measured. */
export function overallOutcome(verdicts: readonly Verdict[]): Outcome {
  if (verdicts.some((v) => FAILING.has(v))) return 'fail';
  if (verdicts.length === 0 || verdicts.some((v) => INCONCLUSIVE.has(v))) return 'inconclusive';
  return 'pass';
}

export function isFailing(v: Verdict): boolean {
  return FAILING.has(v);
}

export type { MetricResult };
