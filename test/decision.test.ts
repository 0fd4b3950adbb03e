/** The decision module on synthetic measurements with known noise and shift:
 * the verdict rule, the sequential plan, the loop measuring really runs (with
 * a fake clock for the budget), budgets and the overall outcome. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { sampleSuite } from '../src/engine/compare';
import { applyAcceptances, decideBenchmark, overallOutcome, samplingPlan, type SamplingPlan } from '../src/engine/decision';
import { checkBudgets } from '../src/engine/decision/budgets';
import { evidenceOf, type Band } from '../src/engine/decision/evidence';
import { bandFloors } from '../src/engine/decision/floor';
import { decideCounter, judge } from '../src/engine/decision/rule';
import { lookLevel, planLooks, spent } from '../src/engine/decision/sequential';
import { samplePairs } from '../src/engine/measure/pairs';
import { seededRng } from '../src/engine/random';
import type { BudgetSpec, Config } from '../src/engine/config';
import type { Calibration } from '../src/engine/calibration';
import { benchmarkDefinition } from '../src/engine/calibration';
import type { MetricResult, RunRecord, SyscallPass } from '../src/engine/types';
import { worstVerdict } from '../src/engine/verdicts';
import { normal, syntheticConfig, syntheticResult, syntheticRun, syntheticRunner } from './synthetic';

const CONFIG = syntheticConfig();
const BAND: Band = { pct: 1, source: 'min_effect' };

/** One comparison as compare runs it: its own sampleSuite and decideBenchmark, on synthetic runs, with a clock that advances 0.05 s a run. */
async function comparison(
  cvPct: number,
  shiftPct: number,
  seed: number,
  config: Config = CONFIG,
): Promise<{ runs: RunRecord[]; metric: MetricResult; plan: SamplingPlan }> {
  const plan = samplingPlan(config);
  const spec = config.benchmarks[0]!;
  let clock = 0;
  const runner = syntheticRunner(cvPct, shiftPct, seed);
  const { runs, deciders } = await sampleSuite(
    config,
    plan,
    bandFloors(undefined, config, plan).bandOf,
    () => (side, label) => ((clock += 0.05), runner(side, label)),
    {
      rng: seededRng(seed),
      progress: () => {},
      now: () => clock,
    },
  );
  const result = decideBenchmark(
    { spec, runs: runs[0]!, syscalls: { measured: false, reason: 'synthetic' }, decider: deciders[0]! },
    config,
  );
  return { runs: runs[0]!, metric: result.metrics[0]!, plan };
}

describe('verdict rule', () => {
  const ev = (shiftPct: number, lowPct: number, highPct: number) => ({
    ...evidenceOf([0.01, -0.01, 0.02], 0.01),
    shift: Math.log(1 + shiftPct / 100),
    low: Math.log(1 + lowPct / 100),
    high: Math.log(1 + highPct / 100),
  });
  it('interval excludes 0 and estimate beyond the band: REGRESSED or IMPROVED', () => {
    assert.equal(judge(ev(-3, -4, -2), BAND, 0.01, 1, false)?.verdict, 'REGRESSED');
    assert.equal(judge(ev(3, 0.5, 5), BAND, 0.01, 1, false)?.verdict, 'IMPROVED');
  });
  it('interval inside the band: UNCHANGED, and the reason quotes the interval', () => {
    const d = judge(ev(0.2, -0.6, 0.9), BAND, 0.01, 1, false)!;
    assert.equal(d.verdict, 'UNCHANGED');
    assert.match(d.reason, /unchanged within ±1\.00 %: interval -0\.60 … \+0\.90 %/);
  });
  it('otherwise undecided, and UNSTABLE at the last look with the pairs that would decide it', () => {
    assert.equal(judge(ev(-0.5, -2, 1), BAND, 0.01, 1, false), undefined);
    assert.equal(judge(ev(-3, -5, 1), BAND, 0.01, 1, false), undefined, 'beyond the band but not significant');
    const d = judge(ev(-0.5, -2, 1), BAND, 0.01, 1, true)!;
    assert.equal(d.verdict, 'UNSTABLE');
    assert.match(d.reason, /reaches beyond the ±1\.00 % band; about \d+ pairs would decide it/);
  });
  it('never UNCHANGED with an interval that reaches beyond the band, never a change whose interval holds 0', () => {
    const rng = seededRng(99);
    for (let i = 0; i < 20000; i++) {
      const a = 10 * normal(rng);
      const b = 10 * normal(rng);
      const lo = Math.min(a, b);
      const hi = Math.max(a, b);
      const est = lo + (hi - lo) * rng();
      const band: Band = { pct: 0.1 + 5 * rng(), source: 'min_effect' };
      const d = judge(ev(est, lo, hi), band, 0.01, 1, rng() < 0.5);
      if (d?.verdict === 'UNCHANGED') assert.ok(d.comparison.ciLowPct > -band.pct && d.comparison.ciHighPct < band.pct, d.reason);
      if (d?.verdict === 'REGRESSED') assert.ok(d.comparison.ciHighPct < 0 && d.comparison.changePct < -band.pct, d.reason);
      if (d?.verdict === 'IMPROVED') assert.ok(d.comparison.ciLowPct > 0 && d.comparison.changePct > band.pct, d.reason);
    }
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

describe('sequential plan', () => {
  it('looks grow by half up to the ceiling; spending is monotone and reaches 1', () => {
    assert.deepEqual(planLooks(10, 400), [10, 15, 23, 35, 53, 80, 120, 180, 270, 400]);
    assert.deepEqual(planLooks(8, 8), [8]);
    let prev = 0;
    for (let t = 0.05; t <= 1; t += 0.05) {
      assert.ok(spent(t) > prev);
      prev = spent(t);
    }
    assert.equal(spent(1), 1);
    assert.ok(spent(0.5) < 0.15, 'little alpha early (O-Brien-Fleming-like)');
  });
  it('the looks of one decision spend exactly alpha / m; m counts every metric decision', () => {
    const config = syntheticConfig({ alpha: 0.01 }, {}, 3);
    const plan = samplingPlan(config);
    assert.equal(plan.decisions, 3);
    const total = plan.looks.reduce((a, _, k) => a + lookLevel(plan, k), 0);
    assert.ok(Math.abs(total - 0.01 / 3) < 1e-12, String(total));
    assert.equal(samplingPlan(syntheticConfig({ correction: 'none' }, {}, 3)).decisions, 1);
  });
});

describe('sequential sampling on synthetic, heavy-tailed runs', () => {
  it('a clear regression is decided at an early look; an A/A comparison ends UNCHANGED', async () => {
    const clear = await comparison(2, -10, 11);
    assert.equal(clear.metric.verdict, 'REGRESSED');
    // Early looks spend little alpha (O'Brien-Fleming-like): decided at a look well before the ceiling of 400.
    assert.ok(clear.metric.comparison!.pairs <= 80, `${clear.metric.comparison!.pairs} pairs`);
    const same = await comparison(1, 0, 13);
    assert.equal(same.metric.verdict, 'UNCHANGED', same.metric.reason);
  });
  it('A/A: no false change in 300 comparisons, and every UNCHANGED interval lies inside the band', async () => {
    let alarms = 0;
    let unchanged = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { metric } = await comparison(1, 0, 1000 + seed);
      if (metric.verdict === 'REGRESSED' || metric.verdict === 'IMPROVED') alarms++;
      if (metric.verdict === 'UNCHANGED') {
        unchanged++;
        const c = metric.comparison!;
        assert.ok(c.ciLowPct > -c.noiseBandPct && c.ciHighPct < c.noiseBandPct, metric.reason);
      }
    }
    // alpha = 0.01: 3 expected at most; the union bound makes it fewer.
    assert.ok(alarms <= 3, `${alarms} false alarms in 300 A/A comparisons`);
    assert.ok(unchanged >= 294, `only ${unchanged} of 300 A/A comparisons decided UNCHANGED`);
  });
  it('power: a 3 % change under 2 % noise with disturbances is REGRESSED every time', async () => {
    let hits = 0;
    for (let seed = 1; seed <= 40; seed++) if ((await comparison(2, -3, 2000 + seed)).metric.verdict === 'REGRESSED') hits++;
    assert.equal(hits, 40);
  });
  it('pair order is random: both orders occur, and each pair has one run per side', async () => {
    const { runs } = await comparison(2, 0, 21);
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
  it('the time budget: a look whose pairs do not fit is not started, and what is undecided becomes UNSTABLE', async () => {
    const config = syntheticConfig({}, { budget_s: 2 });
    const { metric, runs } = await comparison(8, 0, 31, config);
    // 0.1 s a pair (two runs of 0.05 s) and a warm-up pair per look: 2 s hold the looks at 10 and 15 pairs
    // (1.7 s), but the next (8 more pairs at that pace, 0.9 s) would end after the budget.
    assert.equal(runs.filter((r) => r.kind === 'pair' && r.position === 0).length, 15);
    assert.equal(metric.verdict, 'UNSTABLE');
    assert.match(metric.reason, /not decided after 15 pairs/);
  });
  it('a failed run ends the batch once its pair is complete', async () => {
    let n = 0;
    const runs = await samplePairs({ benchmark: 'b', warmup: 1, to: 10, rng: seededRng(1), progress: () => {} }, (side, label) =>
      Promise.resolve(++n === 5 ? { ...syntheticRun(side, label, 1), status: 'crash', error: 'boom' } : syntheticRun(side, label, 1)),
    );
    assert.equal(runs.length, 6); // 2 warm-ups, pair 0, and pair 1 whose first run failed
    assert.equal(runs[4]!.status, 'crash');
  });
});

describe('calibrated band floors', () => {
  const config = syntheticConfig();
  const plan = samplingPlan(config);
  const spec = config.benchmarks[0]!;
  const cal = (robustSdPct: number, days: number, comparisons = 5, definition = benchmarkDefinition(spec, config)): Calibration => ({
    schema: 'perfgate/calibration@2',
    createdAt: new Date(Date.now() - days * 86400000).toISOString(),
    machine: { cpuModel: 'x', cores: 2, kernel: 'k', loadAverage: [0, 0, 0], node: 'v' },
    tree: 't',
    pairs: 30,
    comparisons,
    alpha: 0.01,
    benchmarks: {
      b: {
        argv: spec.argv,
        definition,
        metrics: {
          ops_per_sec: {
            cvPct: 1,
            pairSdPct: 1,
            robustSdPct: 1,
            intervalSdPct: robustSdPct,
            aaChangesPct: [],
            falseAlarms: 0,
            noiseBandPct: 0,
            mde80Pct: 0,
            mde95Pct: 0,
          },
        },
      },
    },
  });
  it('a quiet machine floors nothing; a noisy one widens the band to what the ceiling can resolve', () => {
    assert.deepEqual(bandFloors(cal(1, 1), config, plan).bandOf(spec, 'ops_per_sec'), { pct: 1, source: 'min_effect' });
    const wide = bandFloors(cal(20, 1), config, plan).bandOf(spec, 'ops_per_sec');
    assert.equal(wide.source, 'calibration');
    assert.ok(wide.pct > 2 && wide.pct < 6, String(wide.pct));
  });
  it('an old, thin or mismatched calibration floors nothing and says why', () => {
    const old = bandFloors(cal(20, 30), config, plan);
    assert.equal(old.bandOf(spec, 'ops_per_sec').source, 'min_effect');
    assert.match(old.ignored ?? '', /30 days old/);
    assert.match(bandFloors(cal(20, 1, 2), config, plan).ignored ?? '', /only 2 A\/A comparisons/);
    assert.equal(bandFloors(cal(20, 1, 5, 'other'), config, plan).bandOf(spec, 'ops_per_sec').source, 'min_effect');
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
  it("per-op budgets divide by the base's operation count: a head cannot shrink its budget by claiming more operations", () => {
    const inflated: SyscallPass = { ...pass(20, 2020), head: { calls: { mmap: 2020 }, ops: 1000 * 1000 } };
    const checks = checkBudgets('b', [run('base', 10000, 100), run('head', 10000, 300, 1000 * 1000)], inflated, spec);
    assert.equal(status(checks, 'mmap+munmap+madvise per op'), 'exceeded');
    assert.equal(status(checks, 'page faults per op'), 'exceeded');
  });
  it('unmeasured syscalls and missing op counts say why', () => {
    const none = checkBudgets('b', [run('base', 1, 1), run('head', 1, 1)], { measured: false, reason: 'strace is not installed' }, spec);
    assert.equal(none[0]!.status, 'not_measured');
    assert.match(none[0]!.reason, /strace is not installed/);
    const noOps: SyscallPass = { ...pass(1, 1), base: { calls: { mmap: 1 } } };
    assert.match(checkBudgets('b', [run('base', 1, 1), run('head', 1, 1)], noOps, spec)[0]!.reason, /ops_field/);
  });
});

describe('acknowledged regressions', () => {
  it('an acceptance for this head turns REGRESSED and BUDGET_EXCEEDED into ACCEPTED, never a crash, and never for another commit', () => {
    const base = syntheticResult(4);
    const verdicts = ['REGRESSED', 'CRASH', 'BUDGET_EXCEEDED', 'UNCHANGED'] as const;
    const r = { ...base, benchmarks: base.benchmarks.map((b, i) => ({ ...b, verdict: verdicts[i]! })) };
    const sha = r.refs.head.sha!;
    const by = { by: 'maint', reason: 'intended', via: 'comment' as const };
    const all = applyAcceptances(r, [{ ...by, benchmark: 'all', sha }]);
    assert.deepEqual(
      all.benchmarks.map((b) => b.verdict),
      ['ACCEPTED', 'CRASH', 'ACCEPTED', 'UNCHANGED'],
    );
    assert.equal(all.outcome, 'fail', 'the crash still fails');
    assert.equal(all.benchmarks[2]!.acceptance?.accepted, 'BUDGET_EXCEEDED');
    const one = applyAcceptances({ ...r, benchmarks: [r.benchmarks[0]!, r.benchmarks[3]!] }, [{ ...by, benchmark: 'bench_0', sha }]);
    assert.equal(one.outcome, 'pass');
    assert.deepEqual(one.verdictCounts, { ACCEPTED: 1, UNCHANGED: 1 });
    const stale = applyAcceptances(r, [{ ...by, benchmark: 'all', sha: 'f'.repeat(40) }]);
    assert.equal(stale.benchmarks[0]!.verdict, 'REGRESSED', 'an acceptance for another commit counted');
  });
});
