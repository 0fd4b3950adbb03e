/** Acknowledged regressions: a benchmark whose verdict is REGRESSED or
 * BUDGET_EXCEEDED, covered by an acceptance given for this very head commit,
 * becomes ACCEPTED (not failing, not inconclusive); its metrics keep their
 * verdicts and evidence, and the acceptance says who, why and for which
 * commit. Who may accept is the caller's business (github/accept.ts checks
 * write access). Pure. */
import type { ComparisonResult } from '../compare';
import type { Acceptance } from '../types';
import { ACCEPTABLE_VERDICTS } from '../verdicts';
import { countVerdicts, overallOutcome } from './outcome';

export function applyAcceptances(result: ComparisonResult, acceptances: readonly Acceptance[]): ComparisonResult {
  const head = result.refs.head.sha;
  const valid = acceptances.filter((a) => head !== undefined && a.sha === head);
  const benchmarks = result.benchmarks.map((b) => {
    const a = valid.find((x) => x.benchmark === b.name) ?? valid.find((x) => x.benchmark === 'all');
    return a && ACCEPTABLE_VERDICTS.includes(b.verdict)
      ? { ...b, verdict: 'ACCEPTED' as const, acceptance: { ...a, accepted: b.verdict } }
      : b;
  });
  const verdicts = benchmarks.map((b) => b.verdict);
  return { ...result, benchmarks, verdictCounts: countVerdicts(verdicts), outcome: overallOutcome(verdicts) };
}
