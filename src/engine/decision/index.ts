/** The decision module: from measurements to verdicts. Measuring and
 * reporting call only what this file exports; replacing the rule means
 * changing this folder and nothing else.
 *
 * The rule for one metric of one benchmark, over n pairs (b_i, h_i) whose
 * order inside each pair is random:
 *
 *  1. d_i = s ln(h_i / b_i), with s = +1 when higher is better, else -1, so
 *     d > 0 always means "head is better" (evidence.ts).
 *  2. The change is the Hodges-Lehmann estimate of d's shift, and its
 *     interval the Wilcoxon signed-rank interval (ranks.ts; Hollander &
 *     Wolfe): exact for symmetric d, which random order makes it under no
 *     change, and robust to the heavy tails of timing noise.
 *  3. Sequential: looks at n_1, x1.5, ... up to max_pairs; alpha is split
 *     over the comparison's metric decisions (Bonferroni) and spent over the
 *     looks (Hwang-Shih-DeCani, gamma = -4). Every interval of every look
 *     holds simultaneously with probability >= 1 - alpha (sequential.ts).
 *  4. The band B: min_effect_pct (per benchmark, else the config's), floored
 *     only by a recent, matching, robust calibration (floor.ts).
 *  5. At each look (rule.ts): the interval excludes 0 and the estimate is
 *     beyond ±B: IMPROVED or REGRESSED; the interval lies inside ±B:
 *     UNCHANGED; otherwise sample on. At the last look (ceiling reached, or
 *     the time budget left no room for the next): UNSTABLE.
 *
 * Instructions per op are deterministic: beyond ±threshold_pct they are
 * REGRESSED or IMPROVED, no statistics (rule.ts). Budgets are hard limits on
 * counts (budgets.ts). A benchmark shows its worst verdict; the comparison's
 * outcome is fail, inconclusive or pass (outcome.ts). */
export { aaCalibration } from './aa';
export { samples, type BandOf } from './evidence';
export { bandFloors } from './floor';
export { decideBenchmark, type Measured } from './decide';
export { countVerdicts, overallOutcome } from './outcome';
export { applyAcceptances } from './accept';
export { SequentialDecider, lookLevel, samplingPlan, type SamplingPlan } from './sequential';
