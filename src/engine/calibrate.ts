/** `perfgate calibrate`: learn this machine's noise. One build; for every
 * benchmark, K A/A comparisons (the same binaries on both sides, in the
 * configured number of pairs), which estimate the null distribution of the
 * paired change. From them: run-to-run CV, the paired log-ratio SD, the
 * noise band and the minimum detectable effect (MDE) at the configured pairs
 * and alpha, and how many A/A comparisons raised a false alarm.
 * `compare` then uses the calibrated SD as the floor of each noise band. */
import { median } from 'simple-statistics';

import { buildSide, cacheRoot } from './build';
import { CALIBRATION_SCHEMA, type Calibration, type MetricCalibration } from './calibration';
import { InfrastructureError } from './compare';
import { type Sampling, measurePairs, measureSetup, runContext } from './measure';
import type { Config } from './config';
import { repoRoot, resolveCommit, workingTreeId } from './git';
import { describeMachine } from './machine';
import { randomSeed, seededRng } from './random';
import { minimumDetectableLog } from './stats';
import type { RunRecord } from './types';
import { judge, pairedEvidence } from './verdict';

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
  const root = await repoRoot(opts.cwd);
  const tree = opts.ref === undefined ? await workingTreeId(root) : await resolveCommit(root, opts.ref);
  const built = await buildSide({
    repo: root,
    treeId: tree,
    fromWorkingTree: opts.ref === undefined,
    config,
    cacheDir: cacheRoot(),
    useCache: true,
  });
  if (!built.ok || !built.tree) throw new InfrastructureError(`the tree to calibrate with failed to build:\n${built.logTail.join('\n')}`);
  const t = built.tree;
  const pairs = opts.pairs ?? config.runs.pairs;
  const sampling: Sampling = { pairs, maxPairs: pairs, step: config.runs.step, looks: 1 };
  const setup = measureSetup(config);
  const seed = opts.seed ?? randomSeed();
  const rng = seededRng(seed);
  const cal: Calibration = {
    schema: CALIBRATION_SCHEMA,
    createdAt: new Date().toISOString(),
    machine: await describeMachine(),
    tree,
    pairs,
    comparisons: opts.comparisons,
    alpha: config.decision.alpha,
    benchmarks: {},
  };
  for (const spec of config.benchmarks) {
    const perMetric = new Map<string, { cvs: number[]; sds: number[]; changes: number[]; alarms: number }>();
    for (let k = 0; k < opts.comparisons; k++) {
      say(`[${spec.name}] A/A comparison ${k + 1}/${opts.comparisons}`);
      const runs: RunRecord[] = await measurePairs(
        spec,
        { base: t, head: t },
        () => runContext(setup, spec, t.dir),
        sampling,
        config,
        seed,
        rng,
        () => {},
      );
      const bad = runs.find((r) => r.status !== 'ok');
      if (bad) throw new InfrastructureError(`calibration: ${spec.name} ${bad.error ?? bad.status}`);
      for (const m of [spec.metric, ...spec.extraMetrics]) {
        const side = (s: 'base' | 'head') => runs.filter((r) => r.kind === 'pair' && r.side === s).map((r) => r.metrics[m.name] as number);
        const ev = pairedEvidence(side('base'), side('head'), m.higherIsBetter, config.decision, seed + k);
        if (!ev) continue;
        const acc = perMetric.get(m.name) ?? { cvs: [], sds: [], changes: [], alarms: 0 };
        acc.cvs.push(ev.cvBasePct, ev.cvHeadPct);
        acc.sds.push(ev.comparison.pairSdPct);
        acc.changes.push(ev.comparison.changePct);
        if (judge(ev, config.decision, ev.comparison.pValue).verdict !== 'UNCHANGED') acc.alarms++;
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
