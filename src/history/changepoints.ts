/** Change points in a series of per-commit measurements: E-divisive with a
 * permutation test (Matteson & James, "A Nonparametric Approach for
 * Multiple Change Point Analysis of Multivariate Data", JASA 109(505), 2014;
 * the method MongoDB's and Apache Otava's performance tracking use, Daly et
 * al., ICPE 2020; Fleming et al., ICPE 2023).
 *
 * For a split of x_1..x_n at τ into A = x_1..x_τ and B = x_τ+1..x_n the
 * divergence (energy distance, exponent 1) is
 *
 *   Q(τ) = m·k/(m+k) · [ 2/(m·k) Σ|a-b| − 1/C(m,2) Σ|a-a'| − 1/C(k,2) Σ|b-b'| ]
 *
 * with m = |A|, k = |B|. The best split maximises Q; it is significant when
 * the maximum of Q over the series, recomputed on random permutations of
 * it, reaches the observed maximum in at most a fraction `alpha` of them
 * ((hits + 1) / (R + 1), an exact-level permutation p-value). Segments are
 * split recursively (binary segmentation) while splits stay significant.
 * No distribution is assumed, and one outlier moves Q little: what this VM's
 * heavy-tailed noise needs.
 *
 * A segment too short for any permutation test to reach α (3 records either
 * side have C(6,3) = 20 arrangements, so p ≥ 0.1) is tested parametrically
 * instead: the split with the largest two-sample Student t (pooled
 * variance; the likelihood-ratio test for one shift in a normal mean,
 * Worsley, Biometrika 66(1), 1979), its p-value times the number of
 * candidate splits (Bonferroni, conservative for the maximum). Which test
 * applies depends on the segment's length only, never on the data. Pure;
 * the caller gives the random source. */
import { studentTwoSidedP } from '../engine/decision/stats';
import type { Rng } from '../engine/random';

export interface ChangePoint {
  /** First index of the new level. */
  index: number;
  /** Permutation p-value of the split, in its segment. */
  pValue: number;
}

export interface ChangePointOptions {
  alpha: number;
  permutations: number;
  /** Fewest points on either side of a split. */
  minSize: number;
  rng: Rng;
}

export const DEFAULT_CHANGEPOINTS = { alpha: 0.01, permutations: 199, minSize: 3 } as const;

/** max over τ of Q(τ) for xs, and the τ (first index of B) that attains it.
 * O(n²): moving x_t from B to A changes the three sums by its distances to
 * the points before it (left_t) and after it (right_t). */
export function bestSplit(xs: readonly number[], minSize: number): { index: number; q: number } {
  const n = xs.length;
  const left = new Array<number>(n).fill(0);
  const right = new Array<number>(n).fill(0);
  let bb = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const d = Math.abs(xs[i]! - xs[j]!);
      left[j]! += d;
      right[i]! += d;
      bb += d;
    }
  let aa = 0;
  let ab = 0;
  let best = { index: -1, q: -Infinity };
  for (let t = 0; t < n - minSize; t++) {
    // x_t joins A: its pairs with A become A-A, its pairs with B become A-B.
    aa += left[t]!;
    ab += right[t]! - left[t]!;
    bb -= right[t]!;
    const m = t + 1;
    const k = n - m;
    if (m < minSize) continue;
    const e = (2 * ab) / (m * k) - (m > 1 ? aa / ((m * (m - 1)) / 2) : 0) - (k > 1 ? bb / ((k * (k - 1)) / 2) : 0);
    const q = ((m * k) / (m + k)) * e;
    if (q > best.q) best = { index: m, q };
  }
  return best;
}

function shuffled(xs: readonly number[], rng: Rng): number[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Whether a permutation test on n points can give p <= alpha at all: its
 * smallest p is about 2 / C(n, n/2) (the two labellings of the best balanced split). */
export function permutationCanReach(n: number, alpha: number): boolean {
  let c = 1;
  for (let i = 1; i <= Math.floor(n / 2); i++) c = (c * (n - i + 1)) / i;
  return 2 / c <= alpha;
}

function permutationSplit(seg: readonly number[], opts: ChangePointOptions): ChangePoint {
  const best = bestSplit(seg, opts.minSize);
  if (best.index < 0) return { index: -1, pValue: 1 };
  let hits = 0;
  for (let r = 0; r < opts.permutations; r++) if (bestSplit(shuffled(seg, opts.rng), opts.minSize).q >= best.q) hits++;
  return { index: best.index, pValue: (hits + 1) / (opts.permutations + 1) };
}

/** The split of largest |t| (pooled two-sample Student t), with its Bonferroni p over the candidate splits. */
export function tSplit(seg: readonly number[], minSize: number): ChangePoint {
  const n = seg.length;
  const candidates = n - 2 * minSize + 1;
  let best: ChangePoint = { index: -1, pValue: 1 };
  for (let m = minSize; m <= n - minSize; m++) {
    const a = seg.slice(0, m);
    const b = seg.slice(m);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const ss = (xs: number[], mu: number) => xs.reduce((s, x) => s + (x - mu) ** 2, 0);
    const ma = mean(a);
    const mb = mean(b);
    const df = n - 2;
    const se = Math.sqrt(((ss(a, ma) + ss(b, mb)) / df) * (1 / a.length + 1 / b.length));
    const p = ma === mb ? 1 : se === 0 ? 0 : studentTwoSidedP((ma - mb) / se, df);
    const pValue = Math.min(1, p * candidates);
    if (pValue < best.pValue) best = { index: m, pValue };
  }
  return best;
}

/** The significant change points of `xs`, in order of position. */
export function changePoints(xs: readonly number[], opts: ChangePointOptions): ChangePoint[] {
  const found: ChangePoint[] = [];
  const segment = (from: number, to: number): void => {
    const seg = xs.slice(from, to);
    if (seg.length < 2 * opts.minSize) return;
    const best = permutationCanReach(seg.length, opts.alpha) ? permutationSplit(seg, opts) : tSplit(seg, opts.minSize);
    if (best.index < 0 || best.pValue > opts.alpha) return;
    found.push({ index: from + best.index, pValue: best.pValue });
    segment(from, from + best.index);
    segment(from + best.index, to);
  };
  segment(0, xs.length);
  return found.sort((a, b) => a.index - b.index);
}
