/** One allocator against another on a scorecard, as a speed ratio with the
 * interval the rounds support: whether ours is ahead of a peer, behind it,
 * or not told apart from it by this many rounds on this machine. */
import { escapeMarkdown as esc } from '../report/escape';
import { logRatios } from '../engine/decision/evidence';
import { shiftInterval } from '../engine/decision/ranks';
import type { Ratio } from '../engine/types';
import { DEFAULT_ALLOCATORS, REFERENCE_ALLOCATOR } from './allocators';
import type { ScoreEntry, Scorecard } from './rebase';

/** Two-sided level of the intervals the scorecard quotes. */
export const VERSUS_ALPHA = 0.05;

export type Standing = 'ahead' | 'behind' | 'within noise';

export interface SpeedRatio {
  /** exp of the Hodges-Lehmann estimate of the rounds' log speed ratios. */
  ratio: Ratio;
  low: Ratio;
  high: Ratio;
  rounds: number;
  standing: Standing;
}

/** `a`'s speed over `b`'s (above 1: a is faster, whatever the metric's
 * direction), paired round by round: in a scorecard every round runs each
 * allocator once, in an order that rotates, so round i of `a` and of `b`
 * ran minutes apart on the same machine. The log ratios of the rounds are
 * summarised as the verdicts summarise an A/B's pairs: their Hodges-Lehmann
 * estimate and its distribution-free signed-rank interval at `alpha`
 * (Hollander & Wolfe, Nonparametric Statistical Methods, 2nd ed., sec.
 * 3.2-3.3; exact for symmetric differences), exponentiated. `ahead` or
 * `behind` only when the whole interval is on that side of 1. Undefined
 * when either entry lacks per-round values (older records) or a value is
 * not positive. */
export function speedRatio(a: ScoreEntry, b: ScoreEntry, higherIsBetter: boolean, alpha = VERSUS_ALPHA): SpeedRatio | undefined {
  if (!a.values || !b.values) return undefined;
  const d = logRatios(b.values, a.values, higherIsBetter);
  if (d === undefined) return undefined;
  const est = shiftInterval(d, alpha);
  const low = Math.exp(est.low);
  const high = Math.exp(est.high);
  const standing: Standing = low > 1 ? 'ahead' : high < 1 ? 'behind' : 'within noise';
  return { ratio: Math.exp(est.estimate), low, high, rounds: d.length, standing };
}

/** "ratio (low–high)"; an older record without per-round values gives the median ratio alone. */
function ratioCell(a: ScoreEntry, b: ScoreEntry, higherIsBetter: boolean, r = speedRatio(a, b, higherIsBetter)): string {
  if (r === undefined) {
    const m = a.medianOpsPerSec! / b.medianOpsPerSec!;
    return (higherIsBetter ? m : 1 / m).toFixed(3);
  }
  const end = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '∞');
  return `${r.ratio.toFixed(3)} (${end(r.low)}–${end(r.high)})`;
}

/** The scorecard's own allocator (`ours`) against the best peer by median
 * speed, against the reference allocator, and `hardened` (if measured)
 * against ours, each with its interval; and peak RSS against the reference
 * (median over median); undefined when no benchmark has ours and a peer. The best peer is picked
 * by its median and the standing is against that peer alone: *ahead* of it is not an interval
 * against every peer. */
export function versusTable(card: Scorecard, hardened?: string): string | undefined {
  const withHardened = hardened !== undefined && card.benchmarks.some((b) => b.entries.some((e) => e.allocator === hardened));
  const pct = `${Math.round((1 - VERSUS_ALPHA) * 100)} %`;
  const head = [
    `Speed ratios (above 1 is faster), with ${pct} intervals over the rounds; *ahead* and *behind* only where the whole interval is.`,
    '',
    `| benchmark | ours vs best peer | best peer | standing | ours vs ${REFERENCE_ALLOCATOR} | peak RSS vs ${REFERENCE_ALLOCATOR} |${withHardened ? ` ${esc(hardened)} vs ours |` : ''}`,
    `|---|--:|---|---|--:|--:|${withHardened ? '--:|' : ''}`,
  ];
  const rows: string[] = [];
  for (const b of card.benchmarks) {
    const up = b.higherIsBetter ?? true;
    const ours = b.entries.find((e) => e.allocator === 'ours');
    const peers = b.entries.filter((e) => e.allocator !== 'ours' && DEFAULT_ALLOCATORS.includes(e.allocator) && e.medianOpsPerSec);
    if (!ours?.medianOpsPerSec || peers.length === 0) continue;
    const speed = (e: ScoreEntry): number => (up ? e.medianOpsPerSec! : 1 / e.medianOpsPerSec!);
    const best = peers.reduce((x, e) => (speed(e) > speed(x) ? e : x));
    const ref = peers.find((e) => e.allocator === REFERENCE_ALLOCATOR);
    const vsBest = speedRatio(ours, best, up);
    const sec = withHardened ? b.entries.find((e) => e.allocator === hardened && e.medianOpsPerSec) : undefined;
    const rss = ref?.maxRssKb && ours.maxRssKb ? (ours.maxRssKb / ref.maxRssKb).toFixed(3) : '–';
    rows.push(
      `| ${esc(b.name)} | ${ratioCell(ours, best, up, vsBest)} | ${esc(best.allocator)} | ${vsBest?.standing ?? '–'} | ${ref ? ratioCell(ours, ref, up) : '–'} | ${rss} |${withHardened ? ` ${sec ? ratioCell(sec, ours, up) : '–'} |` : ''}`,
    );
  }
  return rows.length ? [...head, ...rows].join('\n') : undefined;
}
