/** Bands: a benchmark's min_effect_pct (or the config's), floored by a
 * calibration only when the calibration can be trusted and says this
 * machine cannot show the minimum effect by the ceiling.
 *
 * With sigma the calibrated interval SD (an A/A interval's half-width x
 * sqrt(n) / z, median over the A/A comparisons: it carries the real tails)
 * and N the ceiling, an unchanged benchmark's final interval has half-width
 * h = z_K sigma / sqrt(N) around an estimate within z_0.98 sigma / sqrt(N) of
 * zero 98 % of the time. The floor is their sum,
 *
 *   floor = (z_{1 - alpha_K / 2} + z_0.98) sigma / sqrt(N),
 *
 * the narrowest band in which an unchanged benchmark is shown UNCHANGED by
 * the ceiling with 98 % probability. It widens the band only (fewer and
 * larger claims of change; UNCHANGED claims still true of their interval),
 * never narrows it, and applies only when the calibration is at most
 * calibration_max_age_days old, was recorded from the same benchmark
 * definition, and pools at least MIN_COMPARISONS A/A comparisons. */
import { calibrationAgeDays, calibrationEntry, type Calibration } from '../calibration';
import type { BenchmarkSpec, Config } from '../config';
import type { Percent } from '../types';
import type { Band, BandOf } from './evidence';
import { atCeilingPct, type SamplingPlan } from './sequential';

export const MIN_COMPARISONS = 3;

/** The floor for interval SD `sigma` (log units), in percent. */
export function floorPct(plan: SamplingPlan, sigma: number): Percent {
  return atCeilingPct(plan, sigma, 0.98);
}

export interface BandFloors {
  bandOf: BandOf;
  /** Benchmarks whose band the calibration set. */
  floored: ReadonlySet<string>;
  /** Why the calibration was not used, if it was not. */
  ignored?: string;
}

export function bandFloors(cal: Calibration | undefined, config: Config, plan: SamplingPlan, now = Date.now()): BandFloors {
  const floored = new Set<string>();
  const minEffect = (spec: BenchmarkSpec): Percent => spec.minEffectPct ?? config.decision.minEffectPct;
  let ignored: string | undefined;
  let usable = cal;
  if (cal && calibrationAgeDays(cal, now) > config.calibrationMaxAgeDays) {
    ignored = `the calibration is ${Math.round(calibrationAgeDays(cal, now))} days old (calibration_max_age_days: ${config.calibrationMaxAgeDays})`;
    usable = undefined;
  } else if (cal && cal.comparisons < MIN_COMPARISONS) {
    ignored = `the calibration pools only ${cal.comparisons} A/A comparisons (at least ${MIN_COMPARISONS} needed)`;
    usable = undefined;
  }
  const bandOf = (spec: BenchmarkSpec, metric: string): Band => {
    const own: Band = { pct: minEffect(spec), source: 'min_effect' };
    const sigma = usable ? calibrationEntry(usable, spec, config)?.metrics[metric]?.intervalSdPct : undefined;
    if (sigma === undefined) return own;
    const floor = floorPct(plan, sigma / 100);
    if (floor <= own.pct) return own;
    floored.add(spec.name);
    return { pct: floor, source: 'calibration' };
  };
  return { bandOf, floored, ignored };
}
