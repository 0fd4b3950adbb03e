/** The calibration file (`perfgate/calibration@1`): what `perfgate
 * calibrate` learnt about this machine's noise, and the lookups `compare`
 * makes in it. Schema: docs/calibration-schema.md. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { cacheRoot } from './repo/build';
import type { Config } from './config';
import type { MachineInfo } from './host/machine';
import type { Percent } from './types';

export const CALIBRATION_SCHEMA = 'perfgate/calibration@1';

export interface MetricCalibration {
  /** Median run-to-run CV of one side, in percent. */
  cvPct: Percent;
  /** Pooled SD of the paired log ratios, in percent. */
  pairSdPct: Percent;
  /** Change of each A/A comparison, in percent. */
  aaChangesPct: Percent[];
  /** A/A comparisons whose verdict was not UNCHANGED. */
  falseAlarms: number;
  /** Noise band at the calibrated pairs: cv_multiplier x SD / sqrt(pairs). */
  noiseBandPct: Percent;
  /** Smallest change detectable at the calibrated pairs and alpha. */
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
  /** Per benchmark: its argv (a changed command invalidates the entry) and metrics. */
  benchmarks: Record<string, { argv: string[]; metrics: Record<string, MetricCalibration> }>;
}

export function defaultCalibrationFile(config: Config): string {
  return config.calibrationFile ?? join(cacheRoot(), 'perfgate-calibration.json');
}

/** The calibration at `file`, or undefined when absent or unreadable. */
export function loadCalibration(file: string): Calibration | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as Calibration;
    return c.schema === CALIBRATION_SCHEMA ? c : undefined;
  } catch {
    return undefined;
  }
}

/** The calibrated SD for a benchmark's metric, when the entry still matches its command. */
export function calibratedSdPct(
  cal: Calibration | undefined,
  benchmark: string,
  argv: readonly string[],
  metric: string,
): number | undefined {
  const b = cal?.benchmarks[benchmark];
  if (!b || JSON.stringify(b.argv) !== JSON.stringify(argv)) return undefined;
  return b.metrics[metric]?.pairSdPct;
}

export function saveCalibration(file: string, cal: Calibration): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(cal, null, 2)}\n`);
}

/** Age of a calibration in days, for the report. */
export function calibrationAgeDays(cal: Calibration, now = Date.now()): number {
  return (now - Date.parse(cal.createdAt)) / 86400000;
}
