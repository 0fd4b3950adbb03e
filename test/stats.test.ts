/** Statistics and the verdict rule on synthetic samples with known noise and shift. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { DecisionSpec } from '../src/engine/config';
import { seededRng } from '../src/engine/random';
import {
  bootstrapMedianCi,
  holmAdjust,
  incompleteBeta,
  pairedTTestP,
  plannedLooks,
  studentTCdf,
  studentTQuantile,
  summarize,
} from '../src/engine/stats';
import { decideMetric, judge, overallOutcome, pairedEvidence, worstVerdict, worthMorePairs } from '../src/engine/verdict';

const KNOBS: DecisionSpec = { correction: 'holm', minEffectPct: 1, cvMultiplier: 2, maxCvPct: 30, maxBandPct: 5, alpha: 0.01 };

/** n pairs: base ~ 100 * (1 + cv * z), head = base-like * (1 + shift), independent noise. */
function pairs(n: number, cvPct: number, shiftPct: number, seed: number): { base: number[]; head: number[] } {
  const rng = seededRng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const base: number[] = [];
  const head: number[] = [];
  for (let i = 0; i < n; i++) {
    base.push(100 * (1 + (cvPct / 100) * normal()));
    head.push(100 * (1 + shiftPct / 100) * (1 + (cvPct / 100) * normal()));
  }
  return { base, head };
}

describe('textbook values', () => {
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
});

describe('verdict rule', () => {
  it('0 % shift with 2 % noise is UNCHANGED, with false alarms near alpha (1 %)', () => {
    let falseAlarms = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const { base, head } = pairs(10, 2, 0, seed);
      if (decideMetric(base, head, true, KNOBS, seed).verdict !== 'UNCHANGED') falseAlarms++;
    }
    // Binomial(1000, 0.01): mean 10, sd 3.1; 15 leaves room for the t-test's
    // approximation, while a rule at alpha = 0.05 or without the band fails.
    assert.ok(falseAlarms <= 15, `${falseAlarms} of 1000 A/A comparisons were not UNCHANGED`);
  });
  it('a known 10 % slowdown with 2 % noise is REGRESSED', () => {
    const { base, head } = pairs(10, 2, -10, 3);
    const d = decideMetric(base, head, true, KNOBS, 3);
    assert.equal(d.verdict, 'REGRESSED');
    assert.ok(Math.abs(d.comparison.changePct + 10) < 3, `change ${d.comparison.changePct}`);
  });
  it('a known 10 % speed-up is IMPROVED; lower-is-better flips the sign', () => {
    const { base, head } = pairs(10, 2, 10, 4);
    assert.equal(decideMetric(base, head, true, KNOBS, 4).verdict, 'IMPROVED');
    assert.equal(decideMetric(base, head, false, KNOBS, 4).verdict, 'REGRESSED');
  });
  it('a 0.5 % shift on a quiet machine is UNCHANGED: below the minimum effect', () => {
    const { base, head } = pairs(30, 0.1, -0.5, 5);
    const d = decideMetric(base, head, true, KNOBS, 5);
    assert.ok(d.comparison.pValue < 0.01, 'significant but small');
    assert.equal(d.verdict, 'UNCHANGED');
  });
  it('CV beyond the maximum is UNSTABLE', () => {
    const { base, head } = pairs(10, 40, 0, 6);
    const d = decideMetric(base, head, true, KNOBS, 6);
    assert.equal(d.verdict, 'UNSTABLE');
    assert.match(d.reason, /CV/);
  });
  it('a noise band wider than the maximum is UNSTABLE and says how many pairs would do', () => {
    const { base, head } = pairs(10, 12, 0, 8);
    const d = decideMetric(base, head, true, KNOBS, 8);
    assert.equal(d.verdict, 'UNSTABLE');
    assert.match(d.reason, /about \d+ pairs/);
  });
  it('the noise band scales with noise and never drops below the minimum effect', () => {
    const quiet = decideMetric(...(Object.values(pairs(10, 0.1, 0, 9)) as [number[], number[]]), true, KNOBS, 9);
    const noisy = decideMetric(...(Object.values(pairs(10, 4, 0, 9)) as [number[], number[]]), true, KNOBS, 9);
    assert.equal(quiet.comparison.noiseBandPct, 1);
    assert.ok(noisy.comparison.noiseBandPct > 2, `band ${noisy.comparison.noiseBandPct}`);
  });
  it('overall outcome: failures fail, undecidable is inconclusive, never a pass', () => {
    assert.equal(overallOutcome(['UNCHANGED', 'IMPROVED']), 'pass');
    assert.equal(overallOutcome(['UNCHANGED', 'UNSTABLE']), 'inconclusive');
    assert.equal(overallOutcome(['UNSTABLE', 'CRASH']), 'fail');
    assert.equal(overallOutcome(['BUDGET_EXCEEDED']), 'fail');
    assert.equal(overallOutcome([]), 'inconclusive');
    assert.equal(worstVerdict(['UNCHANGED', 'REGRESSED', 'BUDGET_EXCEEDED']), 'BUDGET_EXCEEDED');
  });
});

describe('corrections for many looks and many tests', () => {
  it("Holm's adjustment matches a hand computation", () => {
    // sorted 0.005 x4 = 0.02, 0.01 x3 = 0.03, 0.03 x2 = 0.06, 0.04 x1 -> max(0.04, 0.06) = 0.06
    const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    const want = [0.03, 0.06, 0.06, 0.02];
    adj.forEach((a, i) => assert.ok(Math.abs(a - want[i]!) < 1e-12, `${a} vs ${want[i]}`));
    assert.deepEqual(holmAdjust([NaN, 0.2]), [NaN, 0.2]);
  });
  it('planned looks: n0, n0 + step, ... up to max', () => {
    assert.equal(plannedLooks(10, 30, 10), 3);
    assert.equal(plannedLooks(10, 10, 10), 1);
    assert.equal(plannedLooks(10, 25, 10), 3);
  });
  it('adaptive sampling continues only while more pairs could change the answer', () => {
    const clear = pairs(10, 2, -15, 11);
    const ev = pairedEvidence(clear.base, clear.head, true, KNOBS, 11)!;
    assert.equal(worthMorePairs(ev, KNOBS, ev.comparison.pValue * 3), false, 'a clear regression needs no more pairs');
    const noisy = pairs(10, 12, 0, 8);
    const evn = pairedEvidence(noisy.base, noisy.head, true, KNOBS, 8)!;
    assert.ok(evn.comparison.noiseBandPct > KNOBS.maxBandPct);
    assert.equal(worthMorePairs(evn, KNOBS, evn.comparison.pValue * 3), true, 'a band wider than max_band_pct needs more pairs');
    const quiet = pairs(10, 0.2, 0, 13);
    const evq = pairedEvidence(quiet.base, quiet.head, true, KNOBS, 13)!;
    assert.equal(worthMorePairs(evq, KNOBS, evq.comparison.pValue * 3), false, 'a tight interval inside the band is final');
  });
  it('peeking at 10, 20 and 30 pairs with p x 3 keeps A/A false alarms near alpha', () => {
    let falseAlarms = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const all = pairs(30, 2, 0, 1000 + seed);
      for (const n of [10, 20, 30]) {
        const ev = pairedEvidence(all.base.slice(0, n), all.head.slice(0, n), true, KNOBS, seed)!;
        const p = Math.min(1, ev.comparison.pValue * 3);
        const v = judge(ev, KNOBS, p).verdict;
        if (v === 'REGRESSED' || v === 'IMPROVED') {
          falseAlarms++;
          break;
        }
        if (!worthMorePairs(ev, KNOBS, p)) break;
      }
    }
    assert.ok(falseAlarms <= 8, `${falseAlarms} of 500 sequential A/A comparisons raised a false alarm`);
  });
});
