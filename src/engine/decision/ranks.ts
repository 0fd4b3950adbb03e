/** Rank statistics for paired differences: the Wilcoxon signed-rank test,
 * the Hodges-Lehmann estimate of the shift and its distribution-free
 * confidence interval. Pure functions, no I/O.
 *
 * For n paired differences d_i, the Walsh averages are (d_i + d_j) / 2 for
 * i <= j, M = n (n + 1) / 2 of them. The Hodges-Lehmann estimate is their
 * median; the 1 - alpha confidence interval for the centre of symmetry is
 * [W_(k), W_(M + 1 - k)], where k is the largest integer with
 * P(T+ <= k - 1) <= alpha / 2 under the null distribution of the signed-rank
 * statistic T+ (Hollander & Wolfe, Nonparametric Statistical Methods, 2nd ed.,
 * sec. 3.2-3.3). The interval is exact whenever the differences are
 * symmetric about their centre, whatever their tails: in an A/B pair whose
 * order is random and whose noise is the same on both sides, d = shift +
 * (noise_head - noise_base) is symmetric by construction.
 *
 * The null distribution is computed exactly for n <= EXACT_MAX (a recursion
 * over the ranks, in probabilities) and by its normal approximation beyond
 * (mean n (n + 1) / 4, variance n (n + 1) (2n + 1) / 24). */
import { normalCdf, normalQuantile } from './stats';

const EXACT_MAX = 100;

/** P(T+ <= t) for t = 0 .. M, exactly (n <= EXACT_MAX). Cached per n. */
const exactCache = new Map<number, Float64Array>();
function exactCdf(n: number): Float64Array {
  let cdf = exactCache.get(n);
  if (cdf) return cdf;
  const m = (n * (n + 1)) / 2;
  let p = new Float64Array(m + 1);
  p[0] = 1;
  let top = 0;
  for (let r = 1; r <= n; r++) {
    const next = new Float64Array(m + 1);
    for (let s = 0; s <= top; s++) {
      const v = p[s]! / 2;
      next[s]! += v;
      next[s + r]! += v;
    }
    top += r;
    p = next;
  }
  cdf = new Float64Array(m + 1);
  let acc = 0;
  for (let s = 0; s <= m; s++) cdf[s] = acc += p[s]!;
  exactCache.set(n, cdf);
  return cdf;
}

/** P(T+ <= t) under the null, for n differences. */
export function signedRankCdf(t: number, n: number): number {
  if (t < 0) return 0;
  const m = (n * (n + 1)) / 2;
  if (t >= m) return 1;
  if (n <= EXACT_MAX) return exactCdf(n)[Math.floor(t)]!;
  const mean = m / 2;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24);
  return normalCdf((Math.floor(t) + 0.5 - mean) / sd);
}

/** The largest k >= 0 with P(T+ <= k - 1) <= alpha / 2: the interval's order statistic. */
export function signedRankK(n: number, alpha: number): number {
  const m = (n * (n + 1)) / 2;
  if (n > EXACT_MAX) {
    const mean = m / 2;
    const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24);
    let k = Math.max(0, Math.floor(mean - normalQuantile(1 - alpha / 2) * sd));
    while (k > 0 && signedRankCdf(k - 1, n) > alpha / 2) k--;
    while (signedRankCdf(k, n) <= alpha / 2) k++;
    return k;
  }
  const cdf = exactCdf(n);
  let k = 0;
  while (k <= m && cdf[k]! <= alpha / 2) k++;
  return k;
}

/** The sorted Walsh averages of d. */
export function walshAverages(d: readonly number[]): Float64Array {
  const n = d.length;
  const w = new Float64Array((n * (n + 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) w[k++] = ((d[i] as number) + (d[j] as number)) / 2;
  return w.sort();
}

export interface ShiftEstimate {
  /** Hodges-Lehmann estimate of the shift. */
  estimate: number;
  /** The 1 - alpha interval; infinite ends when n is too small to reach that level. */
  low: number;
  high: number;
  /** Two-sided p-value of the signed-rank test of a zero shift. */
  p: number;
}

function medianOf(sorted: Float64Array): number {
  const m = sorted.length;
  return m % 2 ? sorted[(m - 1) / 2]! : (sorted[m / 2 - 1]! + sorted[m / 2]!) / 2;
}

/** Two-sided signed-rank p-value of H0: shift 0 (zeros dropped, ties by mid-ranks). */
export function signedRankP(d: readonly number[]): number {
  const nz = d.filter((x) => x !== 0);
  const n = nz.length;
  if (n === 0) return 1;
  const order = nz.map((x, i) => [Math.abs(x), i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let tPlus = 0;
  nz.forEach((x, i) => {
    if (x > 0) tPlus += ranks[i]!;
  });
  const m = (n * (n + 1)) / 2;
  const tail = Math.min(signedRankCdf(Math.floor(tPlus), n), signedRankCdf(Math.floor(m - tPlus), n));
  return Math.min(1, 2 * tail);
}

/** The Hodges-Lehmann shift of d with its 1 - alpha signed-rank interval. */
export function shiftInterval(d: readonly number[], alpha: number): ShiftEstimate {
  const n = d.length;
  if (n === 0) return { estimate: NaN, low: -Infinity, high: Infinity, p: 1 };
  const w = walshAverages(d);
  const k = signedRankK(n, alpha);
  const m = w.length;
  return {
    estimate: medianOf(w),
    low: k >= 1 ? w[k - 1]! : -Infinity,
    high: k >= 1 ? w[m - k]! : Infinity,
    p: signedRankP(d),
  };
}

/** 1.4826 x the median absolute deviation: the SD for normal data, and far
 * less moved by the occasional disturbed run. */
export function robustSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const med = medianOf(Float64Array.from(s));
  return 1.4826 * medianOf(Float64Array.from(s.map((x) => Math.abs(x - med)).sort((a, b) => a - b)));
}
