/** Change points in the history: per machine (never mixing machines), per
 * benchmark, metric and allocator, the steps of the recorded medians over
 * commits (changepoints.ts, on log values so a step is a ratio), each with
 * the commit where the new level starts and its size. A step smaller than
 * the metric's band is not reported: the band is the one a pull request is
 * judged by (min_effect_pct for the result, the budgets' growth allowances
 * for RSS, faults and syscalls, the instruction threshold), because the VM's
 * run-to-run spread moves medians by about that much. */
import { median } from 'simple-statistics';

import type { Config } from '../engine/config';
import { machineName } from '../engine/host/machine';
import type { Rng } from '../engine/random';
import type { ScoreEntry, Scorecard } from '../scorecard/rebase';
import { changePoints, DEFAULT_CHANGEPOINTS } from './changepoints';

/** The recorded quantities a history follows, and where a record keeps them. */
export const HISTORY_METRICS = [
  { key: 'result', field: 'medianOpsPerSec', unit: '' },
  { key: 'max_rss_kb', field: 'maxRssKb', unit: 'KiB' },
  { key: 'faults_per_op', field: 'faultsPerOp', unit: 'faults/op' },
  { key: 'syscalls_per_op', field: 'syscallsPerOp', unit: 'syscalls/op' },
  { key: 'instructions_per_op', field: 'instructionsPerOp', unit: 'instructions/op' },
] as const satisfies readonly { key: string; field: keyof ScoreEntry; unit: string }[];

export type HistoryMetric = (typeof HISTORY_METRICS)[number]['key'];

export interface Step {
  machine: string;
  benchmark: string;
  /** The benchmark's primary metric by name (as recorded; 'result' in older records), or one of HISTORY_METRICS. */
  metric: string;
  allocator: string;
  /** The first commit at the new level (full SHA), and the last one before it. */
  commit: string;
  subject?: string;
  previous: string;
  previousSubject?: string;
  /** Median of the segment after over the segment before, in percent (+: higher values). */
  changePct: number;
  /** 1 − the permutation p-value of the split. */
  confidence: number;
  pValue: number;
  /** Records in the segments either side. */
  pointsBefore: number;
  pointsAfter: number;
}

/** The permutation test's seed unless one is given: the same history gives the same steps, in every command and the action. */
export const DEFAULT_STEP_SEED = 1;

/** What identifies a machine in the history: results from different ones are never compared. */
export function machineOf(card: Scorecard): string {
  const m = card.machine;
  return `${machineName(m)}, kernel ${m.kernel}${m.compiler ? `, ${m.compiler}` : ''}`;
}

/** The band of a benchmark's metric, in percent: what a pull request's gate would let pass. */
export function bandOf(config: Config | undefined, benchmark: string, metric: HistoryMetric): number {
  const spec = config?.benchmarks.find((b) => b.name === benchmark);
  const minEffect = spec?.minEffectPct ?? config?.decision.minEffectPct ?? 1;
  const b = config?.budgets;
  switch (metric) {
    case 'result':
      return minEffect;
    case 'max_rss_kb':
      return b?.rssGrowthPct ?? 10;
    case 'faults_per_op':
      return b?.faultsGrowthPct ?? 10;
    case 'syscalls_per_op':
      return b?.syscallsGrowthPct ?? 10;
    case 'instructions_per_op':
      return spec?.instructions?.thresholdPct ?? 1;
  }
}

export interface Series {
  machine: string;
  benchmark: string;
  kind: HistoryMetric;
  /** As in Step. */
  metric: string;
  allocator: string;
  points: { card: Scorecard; value: number; cvPct?: number }[];
}

/** Every series of the history (oldest record first), one per machine, benchmark, metric and allocator. */
export function seriesOf(cards: readonly Scorecard[]): Series[] {
  const series = new Map<string, Series>();
  for (const card of cards) {
    const machine = machineOf(card);
    for (const b of card.benchmarks)
      for (const e of b.entries)
        for (const m of HISTORY_METRICS) {
          const value = e[m.field];
          if (value === undefined || !(value > 0)) continue;
          const key = JSON.stringify([machine, b.name, m.key, e.allocator]);
          const metric = m.key === 'result' ? (b.metric ?? m.key) : m.key;
          if (!series.has(key)) series.set(key, { machine, benchmark: b.name, kind: m.key, metric, allocator: e.allocator, points: [] });
          series.get(key)!.points.push({ card, value, cvPct: m.key === 'result' ? e.cvPct : undefined });
        }
  }
  return [...series.values()];
}

/** The steps of every series in `cards` (oldest first). */
export function findSteps(cards: readonly Scorecard[], opts: { config?: Config; rng: Rng }): Step[] {
  const steps: Step[] = [];
  for (const s of seriesOf(cards)) {
    const logs = s.points.map((p) => Math.log(p.value));
    const cps = changePoints(logs, { ...DEFAULT_CHANGEPOINTS, rng: opts.rng });
    const bounds = [0, ...cps.map((c) => c.index), logs.length];
    cps.forEach((cp, i) => {
      const before = logs.slice(bounds[i], cp.index);
      const after = logs.slice(cp.index, bounds[i + 2]);
      const changePct = (Math.exp(median(after) - median(before)) - 1) * 100;
      if (Math.abs(changePct) < bandOf(opts.config, s.benchmark, s.kind)) return;
      const at = s.points[cp.index]!.card;
      const prev = s.points[cp.index - 1]!.card;
      steps.push({
        machine: s.machine,
        benchmark: s.benchmark,
        metric: s.metric,
        allocator: s.allocator,
        commit: at.sha,
        subject: at.subject,
        previous: prev.sha,
        previousSubject: prev.subject,
        changePct,
        confidence: 1 - cp.pValue,
        pValue: cp.pValue,
        pointsBefore: before.length,
        pointsAfter: after.length,
      });
    });
  }
  return steps;
}
