/** `perfgate calibrate`: learn this machine's noise. One build; for every
 * benchmark, K A/A comparisons (the same binaries on both sides, a fixed
 * number of pairs each), which estimate the null distribution of the paired
 * change. From them: run-to-run CV, the SD and robust SD of the paired log
 * ratios, the band floor and the minimum detectable effect (MDE) at the
 * configured ceiling, and how many A/A comparisons raised a false alarm.
 * `compare` floors bands with it (decision/floor.ts). */
import { benchmarkDefinition, CALIBRATION_SCHEMA, type Calibration } from './calibration';
import type { Config } from './config';
import type { SandboxMode } from './host/sandbox';
import { aaCalibration, samplingPlan } from './decision';
import { samplePairs, runChecked } from './measure/pairs';
import { runContext, sideCommand } from './measure/setup';
import { randomSeed, seededRng } from './random';
import { InfrastructureError, buildRef, openWorkbench, requireBuilt, resolveTree } from './workbench';

export interface CalibrateOptions {
  cwd: string;
  config: Config;
  /** Commit to calibrate with; undefined: the working tree. */
  ref?: string;
  /** Build and run in a sandbox (host/sandbox.ts); default 'off'. */
  sandbox?: SandboxMode;
  comparisons: number;
  pairs?: number;
  seed?: number;
  onProgress?: (message: string) => void;
}

export async function calibrate(opts: CalibrateOptions): Promise<Calibration> {
  const { config } = opts;
  const say = opts.onProgress ?? (() => {});
  const wb = await openWorkbench(opts.cwd, config, { sandbox: opts.sandbox });
  const ref = await resolveTree(wb.root, opts.ref);
  const t = requireBuilt(await buildRef(wb, ref, 'head'), `the tree to calibrate with (${ref.ref})`);
  const plan = samplingPlan(config);
  const pairs = opts.pairs ?? Math.max(config.runs.pairs, 30);
  const alpha = config.decision.alpha;
  const seed = opts.seed ?? randomSeed();
  const rng = seededRng(seed);
  const cal: Calibration = {
    schema: CALIBRATION_SCHEMA,
    createdAt: new Date().toISOString(),
    machine: wb.machine,
    tree: ref.treeId,
    pairs,
    comparisons: opts.comparisons,
    alpha,
    benchmarks: {},
  };
  for (const spec of config.benchmarks) {
    const cmd = sideCommand(spec, t);
    const ctx = runContext(wb.setup, spec, t.dir);
    const comparisons = [];
    for (let k = 0; k < opts.comparisons; k++) {
      say(`[${spec.name}] A/A comparison ${k + 1}/${opts.comparisons}`);
      const runs = await samplePairs(
        { benchmark: spec.name, warmup: config.runs.warmup, to: pairs, rng, progress: () => {} },
        (side, label) => runChecked(spec, cmd, side, ctx, label),
      );
      const bad = runs.find((r) => r.status !== 'ok');
      if (bad) throw new InfrastructureError(`calibration: ${spec.name} ${bad.error ?? bad.status}`);
      comparisons.push(runs);
    }
    cal.benchmarks[spec.name] = {
      argv: spec.argv,
      definition: benchmarkDefinition(spec, config),
      metrics: aaCalibration(spec, comparisons, config, plan),
    };
  }
  return cal;
}
