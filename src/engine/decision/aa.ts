/** What A/A comparisons (the same binaries on both sides) say about a
 * machine's noise: the statistics `perfgate calibrate` records and floor.ts
 * reads back. */
import { median } from 'simple-statistics';

import type { MetricCalibration } from '../calibration';
import type { BenchmarkSpec, Config } from '../config';
import type { RunRecord } from '../types';
import { summarize } from '../summary';
import { evidenceOf, intervalSd, metricRatios, samples } from './evidence';
import { bandFloors, floorPct } from './floor';
import { robustSd } from './ranks';
import { judge } from './rule';
import { atCeilingPct, type SamplingPlan } from './sequential';

/** Per metric of `spec`, from the runs of each A/A comparison. The interval
 * SD (evidence.ts) is what floors bands: median over the comparisons, so one
 * disturbed comparison does not move it, and real tails count. */
export function aaCalibration(
  spec: BenchmarkSpec,
  comparisons: readonly (readonly RunRecord[])[],
  config: Config,
  plan: SamplingPlan,
): Record<string, MetricCalibration> {
  const alpha = config.decision.alpha;
  const noFloor = bandFloors(undefined, config, plan);
  const out: Record<string, MetricCalibration> = {};
  for (const m of [spec.metric, ...spec.extraMetrics]) {
    const cvs: number[] = [];
    const vars: number[] = [];
    const all: number[] = [];
    const widths: number[] = [];
    const changes: number[] = [];
    let alarms = 0;
    for (const runs of comparisons) {
      const d = metricRatios(runs, m);
      if (!d) continue;
      const ev = evidenceOf(d, alpha);
      cvs.push(summarize(samples(runs, 'base', m.name)).cvPct, summarize(samples(runs, 'head', m.name)).cvPct);
      vars.push(ev.sd ** 2);
      all.push(...d);
      const w = intervalSd(ev);
      if (w !== undefined) widths.push(w);
      changes.push(100 * (Math.exp(ev.shift) - 1));
      const v = judge(ev, noFloor.bandOf(spec, m.name), alpha, NaN, true)?.verdict;
      if (v === 'REGRESSED' || v === 'IMPROVED') alarms++;
    }
    if (!changes.length) continue;
    const sigma = widths.length ? median(widths) : robustSd(all) * Math.sqrt(Math.PI / 3);
    out[m.name] = {
      cvPct: median(cvs),
      pairSdPct: 100 * Math.sqrt(vars.reduce((a, v) => a + v, 0) / vars.length),
      robustSdPct: 100 * robustSd(all),
      intervalSdPct: 100 * sigma,
      aaChangesPct: changes,
      falseAlarms: alarms,
      noiseBandPct: floorPct(plan, sigma),
      mde80Pct: atCeilingPct(plan, sigma, 0.8),
      mde95Pct: atCeilingPct(plan, sigma, 0.95),
    };
  }
  return out;
}
