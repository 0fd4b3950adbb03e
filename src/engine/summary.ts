/** Descriptive statistics of one side's samples, for reports and probes. */
import { max, mean, median, min, sampleStandardDeviation } from 'simple-statistics';

import type { SampleSummary } from './types';

export function summarize(samples: readonly number[]): SampleSummary {
  const n = samples.length;
  if (n === 0) throw new Error('summarize: no samples');
  const m = mean(samples);
  const sd = n > 1 ? sampleStandardDeviation(samples) : 0;
  return {
    n,
    mean: m,
    median: median(samples),
    stdev: sd,
    cvPct: m !== 0 ? (100 * sd) / Math.abs(m) : 0,
    min: min(samples),
    max: max(samples),
  };
}
