/** Statistics for paired A/B runs. Pure functions, no I/O.
 *
 * Descriptive statistics come from simple-statistics. The paired test is a
 * one-sample Student t-test on the log ratios ln(head_i / base_i) of the
 * pairs (equivalently, a paired t-test on log-transformed samples):
 *
 *   t = mean(d) / (sd(d) / sqrt(n)),  df = n - 1,  p = 2 * (1 - F_t(|t|; df))
 *
 * where F_t is the Student t distribution function, computed from the
 * regularised incomplete beta function:
 *   F_t(t; v) = 1 - I_{v / (v + t^2)}(v / 2, 1 / 2) / 2  for t >= 0.
 * Logs make the test symmetric in ratio (x1.05 and /1.05 are equally far)
 * and absorb the multiplicative noise of timing. Unlike the exact Wilcoxon
 * signed-rank test, whose smallest two-sided p for 10 pairs is 2/1024 ≈ 0.002,
 * the t-test can resolve small alpha with few pairs. */
import { gammaln, max, mean, median, min, quantileSorted, sampleStandardDeviation } from 'simple-statistics';

import { seededRng } from '../random';
import type { Percent, SampleSummary } from '../types';

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

/** Continued fraction for the incomplete beta function (Numerical Recipes, betacf). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** Regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Student t distribution function F(t; df). */
export function studentTCdf(t: number, df: number): number {
  const tail = incompleteBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of the Student t distribution, by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Two-sided p-value of the one-sample t-test of H0: mean(d) = 0. */
export function pairedTTestP(d: readonly number[]): number {
  const n = d.length;
  if (n < 2) return 1;
  const m = mean(d);
  const sd = sampleStandardDeviation(d);
  if (sd === 0) return m === 0 ? 1 : 0;
  const t = m / (sd / Math.sqrt(n));
  return Math.min(1, 2 * (1 - studentTCdf(Math.abs(t), n - 1)));
}

/** Percentile bootstrap interval of the median of `d`, reproducible from `seed`. */
export function bootstrapMedianCi(d: readonly number[], seed: number, level = 0.95, resamples = 2000): [number, number] {
  const rng = seededRng(seed);
  const n = d.length;
  const medians: number[] = new Array<number>(resamples);
  const buf: number[] = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) buf[i] = d[Math.floor(rng() * n)] as number;
    medians[r] = median(buf);
  }
  medians.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return [quantileSorted(medians, tail), quantileSorted(medians, 1 - tail)];
}

/** ln ratio to percent change: 0.01 -> +1.005 %. */
export function logToPct(x: number): Percent {
  return (Math.exp(x) - 1) * 100;
}

/** Minimum detectable effect of a two-sided paired t-test, in log units:
 *  (t_{1-alpha/2} + t_{power}) * sd / sqrt(n). */
export function minimumDetectableLog(sd: number, n: number, alpha: number, power = 0.8): number {
  if (n < 2) return Infinity;
  const df = n - 1;
  return ((studentTQuantile(1 - alpha / 2, df) + studentTQuantile(power, df)) * sd) / Math.sqrt(n);
}

/** Holm's step-down adjustment (Holm 1979). With the m p-values sorted
 * ascending, p_(1) <= ... <= p_(m):
 *   adj_(i) = max over j <= i of min(1, (m - j + 1) * p_(j)).
 * Rejecting every hypothesis with adj < alpha keeps the family-wise error
 * rate (any false alarm among all m decisions) at most alpha. NaN stays NaN
 * and does not count towards m. */
export function holmAdjust(ps: readonly number[]): number[] {
  const idx = ps.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p));
  idx.sort((a, b) => a[0] - b[0]);
  const m = idx.length;
  const out = ps.map(() => NaN);
  let running = 0;
  idx.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
