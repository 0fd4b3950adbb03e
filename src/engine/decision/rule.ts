/** The verdict rule for one metric, given its evidence and its p-value after
 * the corrections (see index.ts for the whole rule, steps 1-7):
 *
 *  2. If the CV of either side exceeds max_cv_pct: UNSTABLE.
 *  5. If p < alpha and |change| > band: IMPROVED or REGRESSED.
 *  6. Otherwise, if the band exceeds max_band_pct, the comparison cannot
 *     resolve a change that matters: UNSTABLE, with the number of pairs that
 *     would shrink the band to max_band_pct (SE falls as 1/sqrt(n)).
 *  7. Otherwise UNCHANGED: "unchanged within ±band".
 *
 * A change must pass both a significance test and an effect-size threshold:
 * significance alone flags tiny shifts on a quiet machine, size alone flags
 * noise on a busy one. */
import type { DecisionSpec } from '../config';
import { fmtNum } from '../format';
import type { PairedComparison, RunRecord } from '../types';
import type { Verdict } from '../verdicts';
import type { Evidence } from './evidence';

export interface MetricDecision {
  comparison: PairedComparison;
  verdict: Verdict;
  reason: string;
}

function fmt(x: number, digits = 2): string {
  return x.toFixed(digits);
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

/** A comparison row with nothing measured yet: every statistic NaN. */
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

/** The rule without corrections: one metric judged on its own p-value (an
 * A/A comparison in calibration, where no family of decisions exists). */
export function judgeAlone(ev: Evidence, knobs: DecisionSpec): MetricDecision {
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
