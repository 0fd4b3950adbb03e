/** From a benchmark's measurements to its result: the metric verdicts the
 * sequential decider reached (or the failure that pre-empted them), the
 * instruction-count gate, the budgets, and the benchmark's worst verdict. */
import type { BenchmarkSpec, Config } from '../config';
import type { InstructionCounts } from '../measure/counters';
import type { BenchmarkResult, MetricResult, RunRecord, SyscallPass } from '../types';
import { worstVerdict, type Verdict } from '../verdicts';
import { checkBudgets } from './budgets';
import { samples } from './evidence';
import { decideCounter, failedRunVerdict } from './rule';
import type { SequentialDecider } from './sequential';
import { summarize } from '../summary';

/** A benchmark measured. */
export interface Measured {
  spec: BenchmarkSpec;
  runs: RunRecord[];
  syscalls: SyscallPass;
  decider: SequentialDecider;
  instructions?: InstructionCounts;
}

function metricVerdicts(m: Measured): MetricResult[] {
  const { spec, runs, decider } = m;
  const headFailure = failedRunVerdict(runs);
  const baseFailure = runs.find((r) => r.side === 'base' && r.status !== 'ok');
  return [spec.metric, ...spec.extraMetrics].map((metric): MetricResult => {
    const row = { benchmark: spec.name, metric: metric.name, unit: metric.unit, higherIsBetter: metric.higherIsBetter };
    if (headFailure) {
      const r = headFailure.run;
      return { ...row, verdict: headFailure.verdict, reason: `head ${r.kind} run ${r.error ?? r.status}` };
    }
    if (baseFailure)
      return {
        ...row,
        verdict: 'BASE_FAILED',
        reason: `base ${baseFailure.kind} run ${baseFailure.error ?? baseFailure.status}: nothing to compare against`,
      };
    const o = decider.outcome(metric.name);
    if (!o) return { ...row, verdict: 'NOT_MEASURED', reason: 'no look was taken' };
    if ('fixed' in o) return { ...row, ...o.fixed };
    const base = samples(runs, 'base', metric.name);
    const head = samples(runs, 'head', metric.name);
    return { ...row, base: summarize(base), head: summarize(head), ...o.decision };
  });
}

/** The result of one measured benchmark. */
export function decideBenchmark(m: Measured, config: Config): BenchmarkResult {
  const { spec, runs, syscalls, instructions } = m;
  const results = metricVerdicts(m);
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
  const verdicts: Verdict[] = results.map((x) => x.verdict);
  if (budgets.some((b) => b.status === 'exceeded')) verdicts.push('BUDGET_EXCEEDED');
  return { name: spec.name, verdict: worstVerdict(verdicts), metrics: results, budgets, syscalls, runs };
}
