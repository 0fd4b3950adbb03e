/** Statistics against textbook values and hand computations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  bootstrapMedianCi,
  holmAdjust,
  incompleteBeta,
  minimumDetectableLog,
  pairedTTestP,
  studentTCdf,
  studentTQuantile,
  summarize,
} from '../src/engine/decision/stats';

describe('statistics: textbook values', () => {
  it('Student t CDF and quantiles match tables', () => {
    // t_{0.975, 9} = 2.262, t_{0.995, 9} = 3.250, t_{0.975, 30} = 2.042 (standard tables)
    assert.ok(Math.abs(studentTQuantile(0.975, 9) - 2.262) < 1e-3);
    assert.ok(Math.abs(studentTQuantile(0.995, 9) - 3.25) < 1e-3);
    assert.ok(Math.abs(studentTQuantile(0.975, 30) - 2.042) < 1e-3);
    assert.ok(Math.abs(studentTCdf(0, 5) - 0.5) < 1e-12);
    assert.ok(Math.abs(studentTCdf(1, 1) - 0.75) < 1e-9); // Cauchy: 1/2 + atan(1)/pi
  });
  it('incomplete beta matches closed forms', () => {
    assert.ok(Math.abs(incompleteBeta(0.3, 1, 1) - 0.3) < 1e-12); // uniform
    assert.ok(Math.abs(incompleteBeta(0.5, 2, 2) - 0.5) < 1e-12); // symmetric
    assert.ok(Math.abs(incompleteBeta(0.2, 2, 1) - 0.04) < 1e-12); // x^2
  });
  it('paired t-test p-value matches a hand computation', () => {
    // d = [1,2,3,4,5]: mean 3, sd 1.5811, t = 4.2426, df 4 -> two-sided p = 0.01324
    assert.ok(Math.abs(pairedTTestP([1, 2, 3, 4, 5]) - 0.01324) < 1e-4);
    assert.equal(pairedTTestP([0, 0, 0]), 1);
  });
  it('summaries', () => {
    const s = summarize([1, 2, 3, 4]);
    assert.equal(s.mean, 2.5);
    assert.equal(s.median, 2.5);
    assert.ok(Math.abs(s.cvPct - (100 * 1.2909944) / 2.5) < 1e-4);
    assert.equal(s.min, 1);
    assert.equal(s.max, 4);
  });
  it('bootstrap is reproducible from its seed and brackets the median', () => {
    const d = [0.01, -0.02, 0.03, 0.0, 0.015, -0.005, 0.02, 0.01];
    assert.deepEqual(bootstrapMedianCi(d, 7), bootstrapMedianCi(d, 7));
    const [lo, hi] = bootstrapMedianCi(d, 7);
    assert.ok(lo <= 0.01 && 0.01 <= hi);
  });
  it("Holm's adjustment matches a hand computation", () => {
    // sorted 0.005 x4 = 0.02, 0.01 x3 = 0.03, 0.03 x2 = 0.06, 0.04 x1 -> max(0.04, 0.06) = 0.06
    const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    const want = [0.03, 0.06, 0.06, 0.02];
    adj.forEach((a, i) => assert.ok(Math.abs(a - want[i]!) < 1e-12, `${a} vs ${want[i]}`));
    assert.deepEqual(holmAdjust([NaN, 0.2]), [NaN, 0.2]);
  });
  it('minimum detectable effect: (t_{1-a/2} + t_power) sd / sqrt(n)', () => {
    // n = 10, df 9: t_{0.995} = 3.250, t_{0.8} = 0.883 -> 4.133 * 0.02 / sqrt(10) = 0.02614
    assert.ok(Math.abs(minimumDetectableLog(0.02, 10, 0.01) - 0.02614) < 1e-4);
    assert.equal(minimumDetectableLog(0.02, 1, 0.01), Infinity);
  });
});
