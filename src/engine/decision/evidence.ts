/** What the pairs say about one metric, before any verdict: the paired log
 * ratios, their Hodges-Lehmann shift with its signed-rank interval at the
 * look's level, their spread, and the band. */
import { sampleStandardDeviation } from 'simple-statistics';

import type { BenchmarkSpec } from '../config';
import type { BandSource, Percent, RunRecord, Side } from '../types';
import { robustSd, shiftInterval } from './ranks';
import { normalQuantile } from './stats';

/** The band of one metric and what set it. */
export interface Band {
  pct: Percent;
  source: BandSource;
}

export interface Evidence {
  pairs: number;
  /** Hodges-Lehmann shift of d = s ln(head / base), s = +1 when higher is better: + is better. */
  shift: number;
  /** Its two-sided interval at `level`. */
  low: number;
  high: number;
  level: number;
  /** Signed-rank p-value of a zero shift. */
  p: number;
  /** SD and robust SD (1.4826 MAD) of d. */
  sd: number;
  robustSd: number;
}

/** Pair samples of one metric, in pair order: the successful pair runs of one side. */
export function samples(runs: readonly RunRecord[], side: Side, metric: string): number[] {
  return runs
    .filter((r) => r.kind === 'pair' && r.status === 'ok' && r.side === side)
    .sort((a, b) => (a.pair ?? 0) - (b.pair ?? 0))
    .map((r) => r.metrics[metric] as number);
}

/** d_i = s ln(h_i / b_i) over the complete pairs; undefined when a value is not positive. */
export function logRatios(base: readonly number[], head: readonly number[], higherIsBetter: boolean): number[] | undefined {
  const n = Math.min(base.length, head.length);
  const positive = (xs: readonly number[]) => xs.slice(0, n).every((x) => Number.isFinite(x) && x > 0);
  if (n === 0 || !positive(base) || !positive(head)) return undefined;
  const s = higherIsBetter ? 1 : -1;
  return Array.from({ length: n }, (_, i) => s * Math.log((head[i] as number) / (base[i] as number)));
}

/** The evidence of paired log ratios `d` at two-sided level `level`. */
export function evidenceOf(d: readonly number[], level: number): Evidence {
  const est = shiftInterval(d, level);
  return {
    pairs: d.length,
    shift: est.estimate,
    low: est.low,
    high: est.high,
    level,
    p: est.p,
    sd: d.length > 1 ? sampleStandardDeviation([...d]) : 0,
    robustSd: robustSd(d),
  };
}

/** The SD that reproduces this interval's width: half-width x sqrt(n) /
 * z_{1 - level/2}. Under heavy tails it is wider than the robust SD, and it
 * is what the interval will do with more pairs; undefined while the
 * interval is still unbounded (too few pairs for its level). */
export function intervalSd(ev: Evidence): number | undefined {
  const half = (ev.high - ev.low) / 2;
  return Number.isFinite(half) ? (half * Math.sqrt(ev.pairs)) / normalQuantile(1 - ev.level / 2) : undefined;
}

/** The log ratios of one metric of a benchmark's runs. */
export function metricRatios(runs: readonly RunRecord[], metric: { name: string; higherIsBetter: boolean }): number[] | undefined {
  return logRatios(samples(runs, 'base', metric.name), samples(runs, 'head', metric.name), metric.higherIsBetter);
}

/** The band of a benchmark's metric: its min_effect_pct, or the calibration's floor when wider. */
export type BandOf = (spec: BenchmarkSpec, metric: string) => Band;
