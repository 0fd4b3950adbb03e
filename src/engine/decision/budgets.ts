/** Budgets: hard limits on deterministic or nearly deterministic counts
 * (syscalls per op from the strace pass, peak RSS and page faults per op
 * from the timed runs), judged without statistics.
 *
 * Growth rule: head exceeds when head > max(base * (1 + pct / 100), baseMax) + slack,
 * where baseMax, the largest base run, matters only where the quantity
 * varies from run to run (peak RSS of a threaded benchmark depends on
 * scheduling): a head inside the base's own range is not a breach. For
 * deterministic quantities it equals the base median and the rule is the
 * plain one. An optional absolute limit applies to syscalls per op. */
import { median } from 'simple-statistics';

import type { BudgetSpec } from '../config';
import { fmtNum } from '../format';
import type { BudgetCheck, RunRecord, SyscallPass } from '../types';

function medianOf(runs: readonly RunRecord[], f: (r: RunRecord) => number | undefined): number | undefined {
  const xs = runs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return xs.length ? median(xs) : undefined;
}

function maxOf(runs: readonly RunRecord[], f: (r: RunRecord) => number | undefined): number | undefined {
  const xs = runs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return xs.length ? Math.max(...xs) : undefined;
}

/** The growth rule of the module comment for one quantity. */
function growthCheck(
  benchmark: string,
  budget: string,
  unit: string,
  base: number | undefined,
  head: number | undefined,
  pct: number,
  slack: number,
  what: string,
  baseMax = base,
): BudgetCheck {
  if (base === undefined || head === undefined)
    return { benchmark, budget, unit, base, head, status: 'not_measured', reason: `${what} was not measured` };
  const limit = Math.max(base * (1 + pct / 100), baseMax ?? base) + slack;
  const exceeded = head > limit;
  return {
    benchmark,
    budget,
    unit,
    base,
    head,
    limit,
    status: exceeded ? 'exceeded' : 'ok',
    reason: exceeded
      ? `${what} grew from ${fmtNum(base)} to ${fmtNum(head)} ${unit}, above the limit ${fmtNum(limit)} (+${pct} % + ${fmtNum(slack)})`
      : `${what} ${fmtNum(head)} ${unit} within limit ${fmtNum(limit)}`,
  };
}

/** Budgets for one benchmark, from the timed runs (RSS, faults) and the
 * syscall pass (calls per op). All inputs are deterministic or nearly so. */
export function checkBudgets(benchmark: string, runs: readonly RunRecord[], syscalls: SyscallPass, spec: BudgetSpec): BudgetCheck[] {
  const ok = (side: 'base' | 'head') => runs.filter((r) => r.side === side && r.kind === 'pair' && r.status === 'ok');
  const checks: BudgetCheck[] = [];

  // Per-op figures divide by the base's operation count on both sides: the
  // count is what the benchmark prints, and the head's code must not be able
  // to shrink its own budget by claiming more operations for the same command.
  const perOp = (side: 'base' | 'head'): number | undefined => {
    const c = syscalls[side];
    const ops = syscalls.base?.ops;
    if (!syscalls.measured || !c || !ops) return undefined;
    return spec.syscalls.reduce((sum, s) => sum + (c.calls[s] ?? 0), 0) / ops;
  };
  const names = spec.syscalls.join('+');
  if (!syscalls.measured) {
    checks.push({
      benchmark,
      budget: 'syscalls/op',
      unit: 'calls/op',
      status: 'not_measured',
      reason: syscalls.reason ?? 'syscall pass did not run',
    });
  } else {
    const b = perOp('base');
    const h = perOp('head');
    if (b === undefined || h === undefined) {
      checks.push({
        benchmark,
        budget: 'syscalls/op',
        unit: 'calls/op',
        status: 'not_measured',
        reason: 'the benchmark does not report its number of operations (set ops_field or ops)',
      });
    } else {
      checks.push(
        growthCheck(benchmark, `${names} per op`, 'calls/op', b, h, spec.syscallsGrowthPct, spec.syscallsSlackPerOp, `${names} per op`),
      );
      if (spec.syscallsPerOpMax !== undefined) {
        const exceeded = h > spec.syscallsPerOpMax;
        checks.push({
          benchmark,
          budget: `${names} per op (absolute)`,
          unit: 'calls/op',
          base: b,
          head: h,
          limit: spec.syscallsPerOpMax,
          status: exceeded ? 'exceeded' : 'ok',
          reason: exceeded
            ? `${fmtNum(h)} ${names} calls per op exceeds the absolute budget ${fmtNum(spec.syscallsPerOpMax)}`
            : `${fmtNum(h)} calls per op within ${fmtNum(spec.syscallsPerOpMax)}`,
        });
      }
    }
  }
  // Peak RSS and faults per op: the median run of each side, and the base's largest run.
  const perRun = (budget: string, unit: string, of: (r: RunRecord) => number | undefined, pct: number, slack: number) =>
    growthCheck(benchmark, budget, unit, medianOf(ok('base'), of), medianOf(ok('head'), of), pct, slack, budget, maxOf(ok('base'), of));
  checks.push(perRun('peak RSS', 'KiB', (r) => r.maxRssKb, spec.rssGrowthPct, spec.rssSlackKb));
  const baseOps = medianOf(ok('base'), (r) => r.ops);
  checks.push(
    perRun(
      'page faults per op',
      'faults/op',
      (r) => (r.minorFaults !== undefined && baseOps ? (r.minorFaults + (r.majorFaults ?? 0)) / baseOps : undefined),
      spec.faultsGrowthPct,
      spec.faultsSlackPerOp,
    ),
  );
  return checks;
}
