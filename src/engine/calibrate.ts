/** `perfgate calibrate`: learn this machine's noise. One build; for every
 * benchmark, K A/A comparisons (the same binaries on both sides, in the
 * configured number of pairs), which estimate the null distribution of the
 * paired change. From them: run-to-run CV, the paired log-ratio SD, the
 * noise band and the minimum detectable effect (MDE) at the configured pairs
 * and alpha, and how many A/A comparisons raised a false alarm.
 * `compare` then uses the calibrated SD as the floor of each noise band. */
import { median } from 'simple-statistics';

import { CALIBRATION_SCHEMA, type Calibration, type MetricCalibration } from './calibration';
import type { Config } from './config';
import { judgeAlone, metricEvidence, minimumDetectableLog, NO_FLOOR } from './decision';
import { measurePairs } from './measure/pairs';
import { runContext } from './measure/setup';
import { randomSeed, seededRng } from './random';
import { InfrastructureError, buildRef, openWorkbench, requireBuilt, resolveTree } from './workbench';

export interface CalibrateOptions {
  cwd: string;
  config: Config;
  /** Commit to calibrate with; undefined: the working tree. */
  ref?: string;
  comparisons: number;
  pairs?: number;
  seed?: number;
  onProgress?: (message: string) => void;
}

export async function calibrate(opts: CalibrateOptions): Promise<Calibration> {
  const { config } = opts;
  const say = opts.onProgress ?? (() => {});
  const wb = await openWorkbench(opts.cwd, config);
  const ref = await resolveTree(wb.root, opts.ref);
  const t = requireBuilt(await buildRef(wb, ref, 'head'), `the tree to calibrate with (${ref.ref})`);
  const pairs = opts.pairs ?? config.runs.pairs;
  const seed = opts.seed ?? randomSeed();
  const rng = seededRng(seed);
  const cal: Calibration = {
    schema: CALIBRATION_SCHEMA,
    createdAt: new Date().toISOString(),
    machine: wb.machine,
    tree: ref.treeId,
    pairs,
    comparisons: opts.comparisons,
    alpha: config.decision.alpha,
    benchmarks: {},
  };
  for (const spec of config.benchmarks) {
    const perMetric = new Map<string, { cvs: number[]; sds: number[]; changes: number[]; alarms: number }>();
    for (let k = 0; k < opts.comparisons; k++) {
      say(`[${spec.name}] A/A comparison ${k + 1}/${opts.comparisons}`);
      // A fixed number of pairs: the stopping rule never asks for more.
      const runs = await measurePairs(spec, { base: t, head: t }, () => runContext(wb.setup, spec, t.dir), {
        warmup: config.runs.warmup,
        pairs,
        next: (_, target) => target,
        rng,
        progress: () => {},
      });
      const bad = runs.find((r) => r.status !== 'ok');
      if (bad) throw new InfrastructureError(`calibration: ${spec.name} ${bad.error ?? bad.status}`);
      for (const m of [spec.metric, ...spec.extraMetrics]) {
        const ev = metricEvidence(runs, spec, m, config.decision, seed + k, NO_FLOOR);
        if (!ev) continue;
        const acc = perMetric.get(m.name) ?? { cvs: [], sds: [], changes: [], alarms: 0 };
        acc.cvs.push(ev.cvBasePct, ev.cvHeadPct);
        acc.sds.push(ev.comparison.pairSdPct);
        acc.changes.push(ev.comparison.changePct);
        if (judgeAlone(ev, config.decision).verdict !== 'UNCHANGED') acc.alarms++;
        perMetric.set(m.name, acc);
      }
    }
    const metrics: Record<string, MetricCalibration> = {};
    for (const [name, acc] of perMetric) {
      const sd = Math.sqrt(acc.sds.reduce((a, s) => a + s * s, 0) / acc.sds.length); // pooled
      metrics[name] = {
        cvPct: median(acc.cvs),
        pairSdPct: sd,
        aaChangesPct: acc.changes,
        falseAlarms: acc.alarms,
        noiseBandPct: Math.max(config.decision.minEffectPct, (config.decision.cvMultiplier * sd) / Math.sqrt(pairs)),
        mde80Pct: minimumDetectableLog(sd, pairs, config.decision.alpha, 0.8),
        mde95Pct: minimumDetectableLog(sd, pairs, config.decision.alpha, 0.95),
      };
    }
    cal.benchmarks[spec.name] = { argv: spec.argv, metrics };
  }
  return cal;
}
