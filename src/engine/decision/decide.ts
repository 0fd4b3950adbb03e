/** From a benchmark's measurements to its verdicts: per-metric evidence, the
 * family-wide corrections (looks, then Holm over every decision), the
 * instruction-count gate, the budgets, and each benchmark's worst verdict. */
import type { BenchmarkSpec, Config, MetricSpec } from '../config';
import type { InstructionCounts } from '../measure/counters';
import type { BenchmarkResult, MetricResult, RunRecord, SyscallPass } from '../types';
import { worstVerdict, type Verdict } from '../verdicts';
import { checkBudgets } from './budgets';
import { metricEvidence, samples, type BandFloor, type Evidence } from './evidence';
import { decideCounter, failedRunVerdict, judge } from './rule';
import { lookAdjusted, type SamplingPlan } from './sequential';
import { holmAdjust, summarize } from './stats';

/** A benchmark measured, before the family-wide correction. */
export interface Measured {
  spec: BenchmarkSpec;
  runs: RunRecord[];
  syscalls: SyscallPass;
  instructions?: InstructionCounts;
  /** Per metric: evidence, or a verdict that needs no statistics. */
  metrics: { metric: MetricSpec; evidence?: Evidence; fixed?: { verdict: Verdict; reason: string } }[];
}

export function gatherEvidence(
  spec: BenchmarkSpec,
  runs: RunRecord[],
  syscalls: SyscallPass,
  config: Config,
  seed: number,
  floor: BandFloor,
): Measured {
  const headFailure = failedRunVerdict(runs);
  const baseFailure = runs.find((r) => r.side === 'base' && r.status !== 'ok');
  const metrics = [spec.metric, ...spec.extraMetrics].map((metric): Measured['metrics'][number] => {
    if (headFailure) {
      const r = headFailure.run;
      return { metric, fixed: { verdict: headFailure.verdict, reason: `head ${r.kind} run ${r.error ?? r.status}` } };
    }
    if (baseFailure) {
      return {
        metric,
        fixed: {
          verdict: 'BASE_FAILED',
          reason: `base ${baseFailure.kind} run ${baseFailure.error ?? baseFailure.status}: nothing to compare against`,
        },
      };
    }
    const ev = metricEvidence(runs, spec, metric, config.decision, seed, floor);
    return ev
      ? { metric, evidence: ev }
      : {
          metric,
          fixed: { verdict: 'NOT_MEASURED', reason: 'the metric has zero or negative values, so ratios are undefined' },
        };
  });
  return { spec, runs, syscalls, metrics };
}

/** Final verdicts: p corrected for the looks, then Holm over every decision. */
export function decideAll(measured: readonly Measured[], config: Config, plan: SamplingPlan): BenchmarkResult[] {
  const all = measured.flatMap((m) => m.metrics);
  const lookP = all.map((x) => (x.evidence ? lookAdjusted(x.evidence.comparison.pValue, plan) : NaN));
  const adjusted = config.decision.correction === 'holm' ? holmAdjust(lookP) : lookP;
  let k = 0;
  return measured.map(({ spec, runs, syscalls, metrics, instructions }) => {
    const results: MetricResult[] = metrics.map(({ metric, evidence, fixed }) => {
      const p = adjusted[k++] as number;
      const row = { benchmark: spec.name, metric: metric.name, unit: metric.unit, higherIsBetter: metric.higherIsBetter };
      if (!evidence) return { ...row, ...fixed! };
      return {
        ...row,
        base: summarize(samples(runs, 'base', metric.name)),
        head: summarize(samples(runs, 'head', metric.name)),
        ...judge(evidence, config.decision, p),
      };
    });
    if (instructions && spec.instructions) {
      const row = { benchmark: spec.name, metric: 'instructions_per_op', unit: 'instr/op', higherIsBetter: false };
      if (instructions.base !== undefined && instructions.head !== undefined) {
        const d = decideCounter(instructions.base, instructions.head, spec.instructions.thresholdPct);
        results.push({ ...row, ...d, reason: `${d.reason} (counted with ${instructions.tool})` });
      } else {
        results.push({ ...row, verdict: 'NOT_MEASURED', reason: instructions.error ?? 'not counted' });
      }
    }
    const failed = runs.some((r) => r.status !== 'ok');
    const budgets = failed ? [] : checkBudgets(spec.name, runs, syscalls, config.budgets);
    const verdicts: Verdict[] = results.map((m) => m.verdict);
    if (budgets.some((b) => b.status === 'exceeded')) verdicts.push('BUDGET_EXCEEDED');
    return { name: spec.name, verdict: worstVerdict(verdicts), metrics: results, budgets, syscalls, runs };
  });
}
