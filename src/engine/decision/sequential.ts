/** The sequential design: when to look, and at what level.
 *
 * Looks are at fixed numbers of pairs: n_1 = runs.pairs, then x1.5 each
 * time, up to runs.max_pairs (the ceiling N). Alpha is spent over the looks
 * with the Hwang-Shih-DeCani function (Hwang, Shih & DeCani 1990),
 *
 *   g(t) = (1 - exp(-gamma t)) / (1 - exp(-gamma)),  t = n / N,  gamma = -4,
 *
 * an O'Brien-Fleming-like shape: little alpha early, almost all of it at the
 * end, so sampling to the ceiling loses almost nothing to the looks. Each
 * metric decision gets alpha / m (Bonferroni over the m decisions of the
 * comparison), and look k gets the increment
 *
 *   alpha_k = (alpha / m) (g(t_k) - g(t_{k-1})).
 *
 * The interval at look k is the signed-rank interval at level alpha_k
 * (ranks.ts). By the union bound, with probability at least 1 - alpha every
 * interval of every look of every metric covers its true change at once, so
 * each verdict read off an interval (rule.ts) is wrong with probability at
 * most alpha overall, however many looks were taken and whichever look
 * stopped it. Stopping early because the time budget ran out only leaves
 * alpha unspent. Looks never depend on the data: a benchmark stops at a
 * planned look or not at all. */
import type { BenchmarkSpec, Config } from '../config';
import type { RunRecord } from '../types';
import type { Verdict } from '../verdicts';
import { evidenceOf, intervalSd, metricRatios, type BandOf, type Evidence } from './evidence';
import { judge, type MetricDecision } from './rule';
import { logToPct, normalQuantile } from './stats';

export const LOOK_GROWTH = 1.5;
export const SPENDING_GAMMA = -4;

export interface SamplingPlan {
  /** Pairs at each look; the last is the ceiling. */
  looks: number[];
  maxPairs: number;
  /** Seconds the comparison's sampling may take (each benchmark gets its first look regardless). */
  budgetSeconds: number;
  /** Family-wise alpha, split over `decisions` metric decisions. */
  alpha: number;
  decisions: number;
}

/** n_1, n_1 x 1.5, ... up to and including the ceiling. */
export function planLooks(first: number, max: number): number[] {
  const looks = [Math.min(first, max)];
  while (looks.at(-1)! < max) looks.push(Math.min(max, Math.ceil(looks.at(-1)! * LOOK_GROWTH)));
  return looks;
}

/** Fraction of alpha spent by information fraction t (Hwang-Shih-DeCani, gamma = -4). */
export function spent(t: number): number {
  if (t >= 1) return 1;
  return (1 - Math.exp(-SPENDING_GAMMA * t)) / (1 - Math.exp(-SPENDING_GAMMA));
}

/** The two-sided level of look `k` (0-based) for one decision. */
export function lookLevel(plan: SamplingPlan, k: number): number {
  const n = plan.looks[k]!;
  const prev = k > 0 ? plan.looks[k - 1]! : 0;
  return (plan.alpha / plan.decisions) * (spent(n / plan.maxPairs) - spent(prev / plan.maxPairs));
}

export function samplingPlan(config: Config, overrides: { pairs?: number; maxPairs?: number; budgetSeconds?: number } = {}): SamplingPlan {
  const first = overrides.pairs ?? config.runs.pairs;
  const maxPairs = Math.max(first, overrides.maxPairs ?? config.runs.maxPairs);
  const statistical = config.benchmarks.reduce((n, b) => n + 1 + b.extraMetrics.length, 0);
  return {
    looks: planLooks(first, maxPairs),
    maxPairs,
    budgetSeconds: overrides.budgetSeconds ?? config.runs.budgetSeconds,
    alpha: config.decision.alpha,
    decisions: config.decision.correction === 'bonferroni' ? statistical : 1,
  };
}

/** (z_{1 - alpha_K / 2} + z_q) sigma / sqrt(N) as a percent change: at the
 * ceiling N and its last look's level, the change detected with probability
 * q (the MDE at that power), or, for an unchanged benchmark, the narrowest
 * band its interval fits in with probability q (the calibration floor). */
export function atCeilingPct(plan: SamplingPlan, sigma: number, q: number): number {
  const z = normalQuantile(1 - lookLevel(plan, plan.looks.length - 1) / 2) + normalQuantile(q);
  return logToPct((z * sigma) / Math.sqrt(plan.maxPairs));
}

/** The MDE (80 % power at the ceiling) for this evidence's own noise: its
 * interval SD, or while the interval is unbounded, the robust SD scaled by
 * the Hodges-Lehmann variance for normal data (pi / 3). */
export function mdeAtCeiling(plan: SamplingPlan, ev: Evidence): number {
  return atCeilingPct(plan, intervalSd(ev) ?? ev.robustSd * Math.sqrt(Math.PI / 3), 0.8);
}

/** Per metric of one benchmark: its decision, or why none could be made. */
export type MetricOutcome = { decision: MetricDecision } | { fixed: { verdict: Verdict; reason: string } };

/** Decides one benchmark's metrics look by look; the measuring loop asks it
 * after each look whether to go on. A metric keeps the verdict of the first
 * look that decided it. */
export class SequentialDecider {
  private readonly outcomes = new Map<string, MetricOutcome>();

  constructor(
    private readonly spec: BenchmarkSpec,
    private readonly plan: SamplingPlan,
    private readonly bandOf: BandOf,
  ) {}

  /** After look `k` over `runs`: true to stop. `final`: no further look will come. */
  assess(runs: readonly RunRecord[], k: number, final: boolean): boolean {
    const level = lookLevel(this.plan, k);
    for (const metric of [this.spec.metric, ...this.spec.extraMetrics]) {
      if (this.outcomes.has(metric.name)) continue;
      const d = metricRatios(runs, metric);
      if (!d) {
        this.outcomes.set(metric.name, {
          fixed: { verdict: 'NOT_MEASURED', reason: 'the metric has zero or negative values, so ratios are undefined' },
        });
        continue;
      }
      const ev = evidenceOf(d, level);
      const decision = judge(ev, this.bandOf(this.spec, metric.name), this.plan.alpha, mdeAtCeiling(this.plan, ev), final);
      if (decision) this.outcomes.set(metric.name, { decision });
    }
    return this.outcomes.size === 1 + this.spec.extraMetrics.length;
  }

  outcome(metric: string): MetricOutcome | undefined {
    return this.outcomes.get(metric);
  }
}
