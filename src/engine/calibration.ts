/** The calibration file (`perfgate/calibration@2`): what `perfgate
 * calibrate` learnt about this machine's noise, and the lookups `compare`
 * makes in it. Schema: docs/calibration-schema.md. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { BenchmarkSpec, Config } from './config';
import type { MachineInfo } from './host/machine';
import { cacheRoot } from './repo/cache';
import type { Percent } from './types';

export const CALIBRATION_SCHEMA = 'perfgate/calibration@2';

export interface MetricCalibration {
  /** Median run-to-run CV of one side, in percent. */
  cvPct: Percent;
  /** Pooled SD of the paired log ratios, in percent. */
  pairSdPct: Percent;
  /** Robust SD (1.4826 x MAD) of all A/A log ratios pooled, in percent. */
  robustSdPct: Percent;
  /** The SD that reproduces the signed-rank intervals' width: half-width x
   * sqrt(n) / z, median over the A/A comparisons, in percent. What floors bands. */
  intervalSdPct: Percent;
  /** Hodges-Lehmann change of each A/A comparison, in percent. */
  aaChangesPct: Percent[];
  /** A/A comparisons whose verdict was IMPROVED or REGRESSED. */
  falseAlarms: number;
  /** The band floor this calibration implies with the config's plan (decision/floor.ts). */
  noiseBandPct: Percent;
  /** Smallest change detectable at the ceiling (80 % and 95 % power). */
  mde80Pct: Percent;
  mde95Pct: Percent;
}

export interface Calibration {
  schema: typeof CALIBRATION_SCHEMA;
  createdAt: string;
  machine: MachineInfo;
  tree: string;
  pairs: number;
  comparisons: number;
  alpha: number;
  /** Per benchmark: its definition (a changed one invalidates the entry) and metrics. */
  benchmarks: Record<string, { argv: string[]; definition: string; metrics: Record<string, MetricCalibration> }>;
}

export function defaultCalibrationFile(config: Config): string {
  return config.calibrationFile ?? join(cacheRoot(), 'perfgate-calibration.json');
}

/** Everything that changes what a benchmark measures: its command, preload,
 * pinning, metrics, and the build that made it. */
export function benchmarkDefinition(spec: BenchmarkSpec, config: Config): string {
  const def = {
    argv: spec.argv,
    preload: spec.preload,
    pin: spec.pin,
    metrics: [spec.metric, ...spec.extraMetrics],
    build: config.build,
    env: config.env.set,
    pinCpu: config.runs.pinCpu,
  };
  return createHash('sha256').update(JSON.stringify(def)).digest('hex').slice(0, 16);
}

/** The calibration at `file`, or why it cannot be used; nothing when absent. */
export function loadCalibration(file: string): { calibration?: Calibration; ignored?: string } {
  if (!existsSync(file)) return {};
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { schema?: unknown };
    if (c.schema === CALIBRATION_SCHEMA) return { calibration: c as Calibration };
    return { ignored: `${file} has schema ${JSON.stringify(c.schema)}, not ${CALIBRATION_SCHEMA}: run perfgate calibrate again` };
  } catch (e) {
    return { ignored: `${file} is not readable JSON (${(e as Error).message})` };
  }
}

/** The entry for `spec`, when it was recorded from the same definition. */
export function calibrationEntry(cal: Calibration, spec: BenchmarkSpec, config: Config): Calibration['benchmarks'][string] | undefined {
  const b = cal.benchmarks[spec.name];
  return b && b.definition === benchmarkDefinition(spec, config) ? b : undefined;
}

/** Writes atomically: a reader never sees half a file. */
export function saveCalibration(file: string, cal: Calibration): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cal, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Age of a calibration in days, for the report. */
export function calibrationAgeDays(cal: Calibration, now = Date.now()): number {
  return (now - Date.parse(cal.createdAt)) / 86400000;
}
