/** The sequential sampling plan: how many pairs to run, and when to look.
 *
 * Each benchmark starts with `pairs` pairs. At each look (pairs, pairs +
 * step, ..., max_pairs) the primary metric is judged with its p-value
 * multiplied by K, the number of planned looks (Bonferroni over looks), so
 * peeking cannot raise the false-alarm rate above alpha. More pairs are
 * added only while they could still change the answer: the band is wider
 * than max_band_pct, or nothing was detected yet the bootstrap interval
 * still reaches beyond the band. */
import type { BenchmarkSpec, DecisionSpec } from '../config';
import type { RunRecord } from '../types';
import { metricEvidence, type BandFloor, type Evidence } from './evidence';
import { judge } from './rule';

export interface SamplingPlan {
  /** Pairs before the first look. */
  pairs: number;
  maxPairs: number;
  step: number;
  /** Planned looks K: every look's p is multiplied by K. */
  looks: number;
}

/** Looks of a group-sequential design: n0, n0 + step, ..., up to nMax. */
export function plannedLooks(n0: number, nMax: number, step: number): number {
  return nMax <= n0 ? 1 : 1 + Math.ceil((nMax - n0) / step);
}

export function samplingPlan(pairs: number, maxPairs: number, step: number): SamplingPlan {
  const max = Math.max(pairs, maxPairs);
  return { pairs, maxPairs: max, step, looks: plannedLooks(pairs, max, step) };
}

/** p corrected for the plan's looks. */
export function lookAdjusted(p: number, plan: SamplingPlan): number {
  return Math.min(1, p * plan.looks);
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

/** After `target` pairs of `runs`: the new target, equal to `target` to stop. */
export type NextTarget = (runs: readonly RunRecord[], target: number) => number;

/** The stopping rule of the module comment for one benchmark's primary metric. */
export function stoppingRule(plan: SamplingPlan, spec: BenchmarkSpec, knobs: DecisionSpec, seed: number, floor: BandFloor): NextTarget {
  return (runs, target) => {
    if (target >= plan.maxPairs) return target;
    const ev = metricEvidence(runs, spec, spec.metric, knobs, seed, floor);
    return ev && worthMorePairs(ev, knobs, lookAdjusted(ev.comparison.pValue, plan)) ? Math.min(plan.maxPairs, target + plan.step) : target;
  };
}
