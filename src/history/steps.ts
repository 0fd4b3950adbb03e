/** Steps in the history: per machine (never mixing machines), per benchmark
 * and allocator, the change points of the median result over commits
 * (changepoints.ts, on log values so a step is a ratio), each with the
 * commit range it lies in and its size. A step smaller than the benchmark's
 * band (min_effect_pct, as in a PR's verdict) is not reported: the VM's
 * run-to-run spread moves medians by about that much. */
import { median } from 'simple-statistics';

import type { Config } from '../engine/config';
import type { Rng } from '../engine/random';
import type { Scorecard } from '../scorecard/rebase';
import { changePoints, DEFAULT_CHANGEPOINTS } from './changepoints';

export interface Step {
  machine: string;
  benchmark: string;
  allocator: string;
  /** The last commit before the step and the first at the new level. */
  before: { sha: string; subject?: string };
  after: { sha: string; subject?: string };
  /** Median of the segment after over the segment before, in percent (+: higher values). */
  changePct: number;
  pValue: number;
  /** Records in the segments either side. */
  pointsBefore: number;
  pointsAfter: number;
}

/** What identifies a machine in the history: results from different ones are never compared. */
export function machineOf(card: Scorecard): string {
  const m = card.machine;
  return `${m.cpuModel}, ${m.cores} cores, kernel ${m.kernel}${m.compiler ? `, ${m.compiler}` : ''}`;
}

/** The band of a benchmark: its min_effect_pct, else the config's, else 1 %. */
function bandOf(config: Config | undefined, benchmark: string): number {
  const spec = config?.benchmarks.find((b) => b.name === benchmark);
  return spec?.minEffectPct ?? config?.decision.minEffectPct ?? 1;
}

/** The steps of every series in `cards` (oldest first). */
export function findSteps(cards: readonly Scorecard[], opts: { config?: Config; rng: Rng }): Step[] {
  const series = new Map<string, { machine: string; benchmark: string; allocator: string; points: { card: Scorecard; value: number }[] }>();
  for (const card of cards)
    for (const b of card.benchmarks)
      for (const e of b.entries) {
        if (e.medianOpsPerSec === undefined || !(e.medianOpsPerSec > 0)) continue;
        const machine = machineOf(card);
        const key = JSON.stringify([machine, b.name, e.allocator]);
        if (!series.has(key)) series.set(key, { machine, benchmark: b.name, allocator: e.allocator, points: [] });
        series.get(key)!.points.push({ card, value: e.medianOpsPerSec });
      }
  const steps: Step[] = [];
  for (const s of series.values()) {
    const logs = s.points.map((p) => Math.log(p.value));
    const cps = changePoints(logs, { ...DEFAULT_CHANGEPOINTS, rng: opts.rng });
    const bounds = [0, ...cps.map((c) => c.index), logs.length];
    cps.forEach((cp, i) => {
      const before = logs.slice(bounds[i], cp.index);
      const after = logs.slice(cp.index, bounds[i + 2]);
      const changePct = (Math.exp(median(after) - median(before)) - 1) * 100;
      if (Math.abs(changePct) < bandOf(opts.config, s.benchmark)) return;
      const at = (k: number) => ({ sha: s.points[k]!.card.sha, subject: s.points[k]!.card.subject });
      steps.push({
        machine: s.machine,
        benchmark: s.benchmark,
        allocator: s.allocator,
        before: at(cp.index - 1),
        after: at(cp.index),
        changePct,
        pValue: cp.pValue,
        pointsBefore: before.length,
        pointsAfter: after.length,
      });
    });
  }
  return steps;
}
