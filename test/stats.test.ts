/** Statistics against textbook values, brute force and simulation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { robustSd, shiftInterval, signedRankCdf, signedRankK, signedRankP, walshAverages } from '../src/engine/decision/ranks';
import { normalCdf, normalQuantile } from '../src/engine/decision/stats';
import { summarize } from '../src/engine/summary';
import { seededRng } from '../src/engine/random';
import { normal } from './synthetic';

/** P(T+ <= t) by enumerating all 2^n sign patterns. */
function bruteCdf(t: number, n: number): number {
  let hits = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let s = 0;
    for (let r = 1; r <= n; r++) if (mask & (1 << (r - 1))) s += r;
    if (s <= t) hits++;
  }
  return hits / (1 << n);
}

describe('statistics', () => {
  it('normal distribution: textbook values, tails to relative accuracy', () => {
    assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-7);
    assert.ok(Math.abs(normalCdf(-3) - 0.001349898) / 0.001349898 < 1e-6);
    assert.ok(Math.abs(normalCdf(-6) - 9.8658765e-10) / 9.8658765e-10 < 1e-5);
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
    assert.ok(Math.abs(normalQuantile(1e-6) + 4.753424) < 1e-5);
  });
  it('signed-rank null distribution: exact recursion equals brute force; normal approximation close at n = 100', () => {
    for (const n of [1, 5, 10, 14])
      for (let t = -1; t <= (n * (n + 1)) / 2; t++) assert.ok(Math.abs(signedRankCdf(t, n) - bruteCdf(t, n)) < 1e-12, `n ${n} t ${t}`);
    // Hollander & Wolfe's table: n = 10, P(T+ <= 8) = 25/1024.
    assert.equal(signedRankCdf(8, 10), 25 / 1024);
    assert.equal(signedRankK(10, 0.05), 9);
    // n > 100 uses the normal approximation: k is the first t with P(T+ <= t) > alpha / 2, and it
    // grows with n as the exact k does (k(101) - k(100) is about the mean's step, 50.5).
    const k101 = signedRankK(101, 0.01);
    assert.ok(signedRankCdf(k101 - 1, 101) <= 0.005 && signedRankCdf(k101, 101) > 0.005);
    assert.ok(Math.abs(k101 - signedRankK(100, 0.01) - 40) < 15, `k(101) ${k101}, k(100) ${signedRankK(100, 0.01)}`);
  });
  it('Hodges-Lehmann: median of the Walsh averages; the interval inverts the signed-rank test', () => {
    assert.equal(shiftInterval([1, 2, 3, 4, 5], 0.5).estimate, 3);
    assert.deepEqual([...walshAverages([3, 1])], [1, 2, 3]);
    const rng = seededRng(3);
    const d = Array.from({ length: 15 }, () => 0.01 + 0.02 * normal(rng));
    const { low, high } = shiftInterval(d, 0.05);
    // theta inside the interval is not rejected at 5 %, just outside it is.
    const p = (theta: number) => signedRankP(d.map((x) => x - theta));
    assert.ok(p((low + high) / 2) > 0.05);
    assert.ok(p(low - 1e-9) <= 0.05 && p(high + 1e-9) <= 0.05, `${p(low - 1e-9)} ${p(high + 1e-9)}`);
    assert.ok(p(low + 1e-9) > 0.05 && p(high - 1e-9) > 0.05);
  });
  it('the interval covers the true shift at its level even with Cauchy tails', () => {
    const rng = seededRng(11);
    let misses = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const d = Array.from({ length: 20 }, () => 0.02 + 0.01 * Math.tan(Math.PI * (rng() - 0.5)));
      const { low, high } = shiftInterval(d, 0.05);
      if (!(low <= 0.02 && 0.02 <= high)) misses++;
    }
    // Exact level: at most 5 % (discreteness makes it a little less); binomial sd ~ 0.5 %.
    assert.ok(misses / trials <= 0.06, `${misses} of ${trials} intervals missed`);
  });
  it('robust SD: the SD for normal data, unmoved by a few wild values', () => {
    const rng = seededRng(5);
    const xs = Array.from({ length: 4000 }, () => 2 * normal(rng));
    assert.ok(Math.abs(robustSd(xs) - 2) < 0.1);
    const wild = [...xs.slice(0, 400), ...Array.from({ length: 20 }, () => 1000)];
    assert.ok(robustSd(wild) < 2.5);
  });
  it('summaries', () => {
    const s = summarize([1, 2, 3, 4]);
    assert.equal(s.mean, 2.5);
    assert.equal(s.median, 2.5);
    assert.ok(Math.abs(s.cvPct - (100 * 1.2909944) / 2.5) < 1e-4);
    assert.equal(s.min, 1);
    assert.equal(s.max, 4);
  });
});
