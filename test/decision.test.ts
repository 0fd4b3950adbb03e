/** The decision module on synthetic measurements with known noise and shift:
 * the verdict rule, the sequential loop that measuring really runs, the
 * corrections, budgets and the overall outcome. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decideAll, gatherEvidence, NO_FLOOR, overallOutcome, samplingPlan, stoppingRule } from '../src/engine/decision';
import { checkBudgets } from '../src/engine/decision/budgets';
import { pairedEvidence } from '../src/engine/decision/evidence';
import { decideCounter, judgeAlone } from '../src/engine/decision/rule';
import { plannedLooks } from '../src/engine/decision/sequential';
import { samplePairs } from '../src/engine/measure/pairs';
import { seededRng } from '../src/engine/random';
import type { BudgetSpec } from '../src/engine/config';
import type { RunRecord, SyscallPass } from '../src/engine/types';
import { worstVerdict } from '../src/engine/verdicts';
import { pairs, syntheticConfig, syntheticRun, syntheticRunner } from './synthetic';

const CONFIG = syntheticConfig();
const KNOBS = CONFIG.decision;
const SPEC = CONFIG.benchmarks[0]!;

function decide(base: number[], head: number[], higherIsBetter: boolean, seed: number) {
  return judgeAlone(pairedEvidence(base, head, higherIsBetter, KNOBS, seed)!, KNOBS);
}

/** One comparison as compare runs it: the real loop and stopping rule, then the final decision. */
async function sequentialComparison(cvPct: number, shiftPct: number, seed: number, maxPairs = 30) {
  const plan = samplingPlan(10, maxPairs, 10);
  const runs = await samplePairs(
    {
      benchmark: 'b',
      warmup: 1,
      pairs: plan.pairs,
      next: stoppingRule(plan, SPEC, KNOBS, seed, NO_FLOOR),
      rng: seededRng(seed),
      progress: () => {},
    },
    syntheticRunner(cvPct, shiftPct, seed),
  );
  const [result] = decideAll([gatherEvidence(SPEC, runs, { measured: false, reason: 'synthetic' }, CONFIG, seed, NO_FLOOR)], CONFIG, plan);
  return { runs, metric: result!.metrics[0]! };
}

describe('verdict rule', () => {
  it('0 % shift with 2 % noise is UNCHANGED, with false alarms near alpha (1 %)', () => {
    let falseAlarms = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const { base, head } = pairs(10, 2, 0, seed);
      if (decide(base, head, true, seed).verdict !== 'UNCHANGED') falseAlarms++;
    }
    // Binomial(1000, 0.01): mean 10, sd 3.1; 15 leaves room for the t-test's
    // approximation, while a rule at alpha = 0.05 or without the band fails.
    assert.ok(falseAlarms <= 15, `${falseAlarms} of 1000 A/A comparisons were not UNCHANGED`);
  });
  it('a known 10 % slowdown with 2 % noise is REGRESSED', () => {
    const { base, head } = pairs(10, 2, -10, 3);
    const d = decide(base, head, true, 3);
    assert.equal(d.verdict, 'REGRESSED');
    assert.ok(Math.abs(d.comparison.changePct + 10) < 3, `change ${d.comparison.changePct}`);
  });
  it('a known 10 % speed-up is IMPROVED; lower-is-better flips the sign', () => {
    const { base, head } = pairs(10, 2, 10, 4);
    assert.equal(decide(base, head, true, 4).verdict, 'IMPROVED');
    assert.equal(decide(base, head, false, 4).verdict, 'REGRESSED');
  });
  it('a 0.5 % shift on a quiet machine is UNCHANGED: below the minimum effect', () => {
    const { base, head } = pairs(30, 0.1, -0.5, 5);
    const d = decide(base, head, true, 5);
    assert.ok(d.comparison.pValue < 0.01, 'significant but small');
    assert.equal(d.verdict, 'UNCHANGED');
  });
  it('CV beyond the maximum is UNSTABLE', () => {
    const { base, head } = pairs(10, 40, 0, 6);
    const d = decide(base, head, true, 6);
    assert.equal(d.verdict, 'UNSTABLE');
    assert.match(d.reason, /CV/);
  });
  it('a noise band wider than the maximum is UNSTABLE and says how many pairs would do', () => {
    const { base, head } = pairs(10, 12, 0, 8);
    const d = decide(base, head, true, 8);
    assert.equal(d.verdict, 'UNSTABLE');
    assert.match(d.reason, /about \d+ pairs/);
  });
  it('the noise band scales with noise and never drops below the minimum effect or a calibrated floor', () => {
    const quiet = pairs(10, 0.1, 0, 9);
    const noisy = pairs(10, 4, 0, 9);
    assert.equal(decide(quiet.base, quiet.head, true, 9).comparison.noiseBandPct, 1);
    assert.ok(decide(noisy.base, noisy.head, true, 9).comparison.noiseBandPct > 2);
    assert.equal(pairedEvidence(quiet.base, quiet.head, true, KNOBS, 9, 3.5)!.comparison.noiseBandPct, 3.5);
  });
  it('instruction counts: a change beyond the threshold either way, no statistics', () => {
    assert.equal(decideCounter(1000, 1010, 0.5).verdict, 'REGRESSED');
    assert.equal(decideCounter(1000, 990, 0.5).verdict, 'IMPROVED');
    assert.equal(decideCounter(1000, 1004, 0.5).verdict, 'UNCHANGED');
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

describe('sequential sampling (the loop measuring runs, with synthetic runs)', () => {
  it('planned looks: n0, n0 + step, ... up to max', () => {
    assert.equal(plannedLooks(10, 30, 10), 3);
    assert.equal(plannedLooks(10, 10, 10), 1);
    assert.equal(plannedLooks(10, 25, 10), 3);
  });
  it('a clear regression stops at the first look; a noisy A/A goes on to the ceiling', async () => {
    const clear = await sequentialComparison(2, -15, 11);
    assert.equal(clear.runs.filter((r) => r.kind === 'pair').length, 20, 'a clear regression needs no more pairs');
    assert.equal(clear.metric.verdict, 'REGRESSED');
    const noisy = await sequentialComparison(12, 0, 8);
    assert.equal(noisy.runs.filter((r) => r.kind === 'pair').length, 60, 'a band wider than max_band_pct needs more pairs');
    const quiet = await sequentialComparison(0.2, 0, 13);
    assert.equal(quiet.runs.filter((r) => r.kind === 'pair').length, 20, 'a tight interval inside the band is final');
    assert.equal(quiet.metric.verdict, 'UNCHANGED');
  });
  it('pair order is random: both orders occur, and each pair has one run per side', async () => {
    const { runs } = await sequentialComparison(2, 0, 21, 10);
    const firsts = runs.filter((r) => r.kind === 'pair' && r.position === 0).map((r) => r.side);
    assert.ok(firsts.includes('base') && firsts.includes('head'), firsts.join(','));
    for (let i = 0; i < 10; i++)
      assert.deepEqual(
        runs
          .filter((r) => r.pair === i)
          .map((r) => r.side)
          .sort(),
        ['base', 'head'],
      );
  });
  it('peeking at 10, 20 and 30 pairs keeps A/A false alarms near alpha', async () => {
    let falseAlarms = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const { metric } = await sequentialComparison(2, 0, 1000 + seed);
      if (metric.verdict === 'REGRESSED' || metric.verdict === 'IMPROVED') falseAlarms++;
    }
    assert.ok(falseAlarms <= 8, `${falseAlarms} of 500 sequential A/A comparisons raised a false alarm`);
  });
  it('a failed run ends the loop once its pair is complete', async () => {
    let n = 0;
    const runs = await samplePairs(
      { benchmark: 'b', warmup: 1, pairs: 10, next: (_, t) => t + 10, rng: seededRng(1), progress: () => {} },
      (side, label) =>
        Promise.resolve(++n === 5 ? { ...syntheticRun(side, label, 1), status: 'crash', error: 'boom' } : syntheticRun(side, label, 1)),
    );
    assert.equal(runs.length, 6); // 2 warm-ups, pair 0, and pair 1 whose first run failed
    assert.equal(runs[4]!.status, 'crash');
  });
});

describe('budgets', () => {
  const spec: BudgetSpec = CONFIG.budgets;
  const run = (side: 'base' | 'head', rss: number, faults: number, ops = 1000): RunRecord => ({
    ...syntheticRun(side, { kind: 'pair', pair: 0 }, 1),
    maxRssKb: rss,
    minorFaults: faults,
    majorFaults: 0,
    ops,
  });
  const pass = (base: number, head: number): SyscallPass => ({
    measured: true,
    base: { calls: { mmap: base, munmap: 0, madvise: 0 }, ops: 1000 },
    head: { calls: { mmap: head, munmap: 0, madvise: 0 }, ops: 1000 },
  });
  const status = (checks: ReturnType<typeof checkBudgets>, name: string) => checks.find((c) => c.budget.startsWith(name))?.status;

  it('growth beyond pct + slack is exceeded; within it is ok', () => {
    const ok = checkBudgets('b', [run('base', 10000, 100), run('head', 10500, 110)], pass(20, 24), spec);
    assert.deepEqual(
      ok.map((c) => c.status),
      ['ok', 'ok', 'ok'],
    );
    const bad = checkBudgets('b', [run('base', 10000, 100), run('head', 20000, 300)], pass(20, 2020), spec);
    assert.equal(status(bad, 'mmap+munmap+madvise per op'), 'exceeded');
    assert.equal(status(bad, 'peak RSS'), 'exceeded');
    assert.equal(status(bad, 'page faults per op'), 'exceeded');
    assert.match(bad[0]!.reason, /grew from .* above the limit/);
  });
  it('a quantity that varies run to run: a head inside the base range is not a breach', () => {
    const runs = [run('base', 10000, 100), run('base', 30000, 100), run('base', 11000, 100), run('head', 29000, 100)];
    assert.equal(status(checkBudgets('b', runs, pass(20, 20), spec), 'peak RSS'), 'ok');
  });
  it('an absolute limit on syscalls per op applies to the head alone', () => {
    const checks = checkBudgets('b', [run('base', 1, 1), run('head', 1, 1)], pass(20, 20), { ...spec, syscallsPerOpMax: 0.01 });
    assert.equal(status(checks, 'mmap+munmap+madvise per op (absolute)'), 'exceeded');
  });
  it('unmeasured syscalls and missing op counts say why', () => {
    const none = checkBudgets('b', [run('base', 1, 1), run('head', 1, 1)], { measured: false, reason: 'strace is not installed' }, spec);
    assert.equal(none[0]!.status, 'not_measured');
    assert.match(none[0]!.reason, /strace is not installed/);
    const noOps: SyscallPass = { ...pass(1, 1), head: { calls: { mmap: 1 } } };
    assert.match(checkBudgets('b', [run('base', 1, 1), run('head', 1, 1)], noOps, spec)[0]!.reason, /ops_field/);
  });
});
