/** The overall outcome of a comparison from its benchmarks' verdicts:
 * fail on any failing verdict; otherwise inconclusive if any decision could
 * not be made; pass only when everything was measured and nothing failed. */
import type { Outcome } from '../types';
import { FAILING_VERDICTS, INCONCLUSIVE_VERDICTS, type Verdict } from '../verdicts';

export function overallOutcome(verdicts: readonly Verdict[]): Outcome {
  if (verdicts.some((v) => FAILING_VERDICTS.includes(v))) return 'fail';
  if (verdicts.length === 0 || verdicts.some((v) => INCONCLUSIVE_VERDICTS.includes(v))) return 'inconclusive';
  return 'pass';
}

/** How many benchmarks ended with each verdict. */
export function countVerdicts(verdicts: readonly Verdict[]): Partial<Record<Verdict, number>> {
  const counts: Partial<Record<Verdict, number>> = {};
  for (const v of verdicts) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
