/** The verdicts, written once. Every other list (the action's `fail-on`
 * default, the docs, the reports) is derived from these or checked against
 * them by a test. */

/** Every verdict, worst first: a benchmark shows the worst of its metrics'
 * and budgets' verdicts. */
export const VERDICTS = [
  'BUILD_FAILED',
  'CRASH',
  'TIMEOUT',
  'BAD_OUTPUT',
  'BUDGET_EXCEEDED',
  'REGRESSED',
  'BASE_FAILED',
  'UNSTABLE',
  'NOT_MEASURED',
  'ACCEPTED',
  'IMPROVED',
  'UNCHANGED',
] as const;

export type Verdict = (typeof VERDICTS)[number];

/** Verdicts that fail a comparison (exit 1; the action's default `fail-on`). */
export const FAILING_VERDICTS: readonly Verdict[] = ['REGRESSED', 'CRASH', 'TIMEOUT', 'BAD_OUTPUT', 'BUDGET_EXCEEDED', 'BUILD_FAILED'];

/** Verdicts a maintainer can accept for one commit (the change is intended); the benchmark is then ACCEPTED.
 * A crash, a hang or unreadable output is never accepted: those are bugs, not costs. */
export const ACCEPTABLE_VERDICTS: readonly Verdict[] = ['REGRESSED', 'BUDGET_EXCEEDED'];

/** Verdicts that leave a comparison undecided (exit 4): never a pass. */
export const INCONCLUSIVE_VERDICTS: readonly Verdict[] = ['UNSTABLE', 'BASE_FAILED', 'NOT_MEASURED'];

export function isVerdict(s: string): s is Verdict {
  return (VERDICTS as readonly string[]).includes(s);
}

/** The worst of `verdicts` (UNCHANGED for none). */
export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  let worst: Verdict = 'UNCHANGED';
  for (const v of verdicts) if (VERDICTS.indexOf(v) < VERDICTS.indexOf(worst)) worst = v;
  return worst;
}
