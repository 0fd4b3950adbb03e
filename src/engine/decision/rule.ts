/** The verdict rule for one metric at one look, given its evidence: an
 * interval I for the change at the look's level (see sequential.ts for the
 * level and index.ts for the whole rule) and the band B.
 *
 *  - IMPROVED / REGRESSED: I excludes 0 (the change is significant) and the
 *    estimate lies beyond ±B.
 *  - UNCHANGED: I lies wholly inside (-B, +B), so "unchanged within ±B" is
 *    true of the interval (an equivalence test in the sense of Schuirmann's
 *    two one-sided tests, 1987, read off the same interval).
 *  - Otherwise undecided: sample on; at the last look, UNSTABLE, saying how
 *    many pairs would decide it.
 *
 * The two decided outcomes cannot both hold (an estimate beyond B puts I's
 * end beyond B too). Instructions per op are deterministic and judged
 * against their threshold without statistics. */
import { fmtNum } from '../format';
import type { PairedComparison, RunRecord } from '../types';
import type { Verdict } from '../verdicts';
import type { Band, Evidence } from './evidence';
import { logToPct } from './stats';

export interface MetricDecision {
  comparison: PairedComparison;
  verdict: Verdict;
  reason: string;
}

function fmt(x: number, digits = 2): string {
  return x.toFixed(digits);
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${fmt(x)}`;
}

/** The comparison row of evidence, with `alpha` the family-wise level. */
export function comparisonOf(ev: Evidence, band: Band, alpha: number, mdePct: number): PairedComparison {
  return {
    pairs: ev.pairs,
    medianRatio: Math.exp(ev.shift),
    changePct: logToPct(ev.shift),
    ciLowPct: logToPct(ev.low),
    ciHighPct: logToPct(ev.high),
    pValue: ev.p,
    pAdjusted: Math.min(1, (ev.p * alpha) / ev.level),
    level: ev.level,
    pairSdPct: 100 * ev.sd,
    robustSdPct: 100 * ev.robustSd,
    noiseBandPct: band.pct,
    bandSource: band.source,
    mdePct,
  };
}

/** Pairs that would bring the interval's half-width to `halfPct`: the width
 * shrinks as 1 / sqrt(n), so n (now / wanted)^2 from the interval at hand
 * (an estimate at this look's level; a later look's level is a little wider). */
export function pairsFor(ev: Evidence, halfPct: number): number {
  const now = (100 * (ev.high - ev.low)) / 2;
  if (!(halfPct > 0) || !Number.isFinite(now)) return Infinity;
  return Math.ceil(ev.pairs * (now / halfPct) ** 2);
}

/** The rule at one look; undefined when undecided and not final. */
export function judge(ev: Evidence, band: Band, alpha: number, mdePct: number, final: boolean): MetricDecision | undefined {
  const comparison = comparisonOf(ev, band, alpha, mdePct);
  const { changePct: change, ciLowPct: lo, ciHighPct: hi } = comparison;
  const b = band.pct;
  const interval = `interval ${signed(lo)} … ${signed(hi)} %`;
  const bandText = `±${fmt(b)} %${band.source === 'calibration' ? ' (floored by the calibration)' : ''}`;
  if ((lo > 0 || hi < 0) && Math.abs(change) > b) {
    const better = change > 0;
    return {
      comparison,
      verdict: better ? 'IMPROVED' : 'REGRESSED',
      reason: `${signed(change)} % (${better ? 'better' : 'worse'}), beyond the ${bandText} band; ${interval}, p = ${ev.p.toExponential(1)}`,
    };
  }
  if (lo > -b && hi < b) {
    return { comparison, verdict: 'UNCHANGED', reason: `unchanged within ${bandText}: ${interval} (${signed(change)} %)` };
  }
  if (!final) return undefined;
  const half = Math.abs(change) < b ? b - Math.abs(change) : Math.abs(change);
  const need = pairsFor(ev, half);
  return {
    comparison,
    verdict: 'UNSTABLE',
    reason: `not decided after ${ev.pairs} pairs: ${interval} ${Math.abs(change) < b ? `reaches beyond the ${bandText} band` : 'includes 0'}; about ${Number.isFinite(need) ? need : 'many more'} pairs would decide it`,
  };
}

/** Deterministic counts (instructions per op) need no statistics: one count
 * per side, and a change beyond `thresholdPct` either way is the verdict.
 * Lower is better; change is signed so that + is better. */
export function decideCounter(base: number, head: number, thresholdPct: number): MetricDecision {
  const changePct = (base / head - 1) * 100;
  const comparison: PairedComparison = {
    pairs: 1,
    medianRatio: head / base,
    changePct,
    ciLowPct: changePct,
    ciHighPct: changePct,
    pValue: NaN,
    pAdjusted: NaN,
    pairSdPct: 0,
    noiseBandPct: thresholdPct,
    mdePct: thresholdPct,
  };
  const what = `${fmtNum(base)} -> ${fmtNum(head)} instructions/op (${signed(changePct)} %)`;
  if (Math.abs(changePct) <= thresholdPct) return { comparison, verdict: 'UNCHANGED', reason: `${what}, within ±${thresholdPct} %` };
  return { comparison, verdict: changePct > 0 ? 'IMPROVED' : 'REGRESSED', reason: `${what}, beyond the ±${thresholdPct} % threshold` };
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
