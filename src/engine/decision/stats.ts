/** Percent changes and the normal distribution. Pure functions, no I/O.
 * The rank statistics the verdicts rest on are in ranks.ts. */
import type { Percent } from '../types';

/** ln ratio to percent change: 0.01 -> +1.005 %. */
export function logToPct(x: number): Percent {
  return (Math.exp(x) - 1) * 100;
}

/** The complementary error function, with fractional error below 1.2e-7
 * everywhere, tails included (Numerical Recipes in C, 2nd ed., erfcc, a
 * Chebyshev fit); the tails matter here: a look may spend alpha = 1e-6. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal distribution function. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal quantile, by bisection on normalCdf (accurate to 1e-10 in z). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
