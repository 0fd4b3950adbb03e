/** Noise-band floors from a calibration: cv_multiplier x (the machine's A/A
 * pair SD) / sqrt(n), for entries whose benchmark command is unchanged. */
import { calibratedSdPct, type Calibration } from '../calibration';
import type { DecisionSpec } from '../config';
import type { BandFloor } from './evidence';

export interface CalibratedFloor {
  floor: BandFloor;
  /** Benchmarks whose bands the calibration floored so far. */
  used: ReadonlySet<string>;
}

export function calibratedFloor(cal: Calibration | undefined, knobs: DecisionSpec): CalibratedFloor {
  const used = new Set<string>();
  const floor: BandFloor = (spec, metric, n) => {
    const sd = calibratedSdPct(cal, spec.name, spec.argv, metric);
    if (sd === undefined || n < 1) return 0;
    used.add(spec.name);
    return (knobs.cvMultiplier * sd) / Math.sqrt(n);
  };
  return { floor, used };
}
