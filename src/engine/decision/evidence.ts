/** What the pairs say about one metric, before any verdict: the paired
 * log ratios, their centre, spread, interval and p-value, and the noise band. */
import { median, sampleStandardDeviation } from 'simple-statistics';

import type { BenchmarkSpec, DecisionSpec } from '../config';
import type { PairedComparison, RunRecord, Side } from '../types';
import { bootstrapMedianCi, logToPct, minimumDetectableLog, pairedTTestP, summarize } from './stats';

export interface Evidence {
  comparison: PairedComparison;
  cvBasePct: number;
  cvHeadPct: number;
  /** Standard error of the mean log ratio, in percent. */
  sePct: number;
}

/** Floor of a metric's noise band at n pairs (from a calibration); 0 for none. */
export type BandFloor = (benchmark: BenchmarkSpec, metric: string, n: number) => number;

export const NO_FLOOR: BandFloor = () => 0;

/** Pair samples of one metric, in pair order: the successful pair runs of one side. */
export function samples(runs: readonly RunRecord[], side: Side, metric: string): number[] {
  return runs
    .filter((r) => r.kind === 'pair' && r.status === 'ok' && r.side === side)
    .sort((a, b) => (a.pair ?? 0) - (b.pair ?? 0))
    .map((r) => r.metrics[metric] as number);
}

/** Paired statistics of one metric (base[i] and head[i] ran as pair i);
 * undefined when ratios are undefined (no pairs, or non-positive values).
 * `bandFloorPct` raises the noise band's floor above min_effect_pct. */
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

/** The evidence of one metric of a benchmark's runs. */
export function metricEvidence(
  runs: readonly RunRecord[],
  spec: BenchmarkSpec,
  metric: { name: string; higherIsBetter: boolean },
  knobs: DecisionSpec,
  seed: number,
  floor: BandFloor,
): Evidence | undefined {
  const base = samples(runs, 'base', metric.name);
  return pairedEvidence(
    base,
    samples(runs, 'head', metric.name),
    metric.higherIsBetter,
    knobs,
    seed,
    floor(spec, metric.name, base.length),
  );
}
