/** The decision module: from measurements to verdicts. Measuring and
 * reporting call only what this file exports; replacing the rule means
 * changing this folder and nothing else.
 *
 * The rule for one metric of one benchmark, over n pairs (b_i, h_i):
 *
 *  1. d_i = s * ln(h_i / b_i), with s = +1 when higher is better, else -1,
 *     so d > 0 always means "head is better" (evidence.ts).
 *  2. If the CV of either side exceeds max_cv_pct: UNSTABLE (rule.ts).
 *  3. change = exp(median(d)) - 1 with a seeded bootstrap 95 % interval;
 *     p = two-sided paired t-test on d (Student 1908; stats.ts);
 *     SE = sd(d) / sqrt(n).
 *  4. noise band = max(min_effect_pct, calibrated floor, cv_multiplier * SE):
 *     it scales with the measured noise and never drops below the minimum
 *     effect (floor.ts: the floor from `perfgate calibrate`).
 *  5. p is corrected twice: x K for the K planned looks of sequential
 *     sampling (Bonferroni over looks; sequential.ts), then Holm's step-down
 *     procedure over every benchmark x metric decision of the comparison
 *     (Holm 1979, family-wise error <= alpha; decide.ts). If p' < alpha and
 *     |change| > band: IMPROVED or REGRESSED.
 *  6. Otherwise, if the band exceeds max_band_pct: UNSTABLE, with the number
 *     of pairs that would resolve it.
 *  7. Otherwise UNCHANGED: "unchanged within ±band".
 *
 * Instructions per op are deterministic: beyond ±threshold_pct they are
 * REGRESSED or IMPROVED, no statistics (rule.ts). Budgets are hard limits on
 * counts (budgets.ts). A benchmark shows its worst verdict; the comparison's
 * outcome is fail, inconclusive or pass (outcome.ts). */
export { NO_FLOOR, samples, type BandFloor } from './evidence';
export { calibratedFloor } from './floor';
export { decideAll, gatherEvidence, type Measured } from './decide';
export { countVerdicts, overallOutcome } from './outcome';
export { samplingPlan, stoppingRule, type NextTarget, type SamplingPlan } from './sequential';
export { metricEvidence } from './evidence';
export { judgeAlone } from './rule';
export { minimumDetectableLog } from './stats';
