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
function ratioCell(a: ScoreEntry, b: ScoreEntry, higherIsBetter: boolean): string {
  const r = speedRatio(a, b, higherIsBetter);
  if (r === undefined) {
    const m = a.medianOpsPerSec! / b.medianOpsPerSec!;
    return (higherIsBetter ? m : 1 / m).toFixed(3);
  }
  const end = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '∞');
  return `${r.ratio.toFixed(3)} (${end(r.low)}–${end(r.high)})`;
}

/** Ours against every peer of a benchmark: *ahead* only when its
 * interval at `alpha` is wholly above 1 against each of them. That is an
 * intersection-union test: "ahead of all" is rejected-null only if every
 * per-peer null is, so each at `alpha` keeps the whole at `alpha` with no
 * multiplicity correction (Berger, "Multiparameter hypothesis testing and
 * acceptance sampling", Technometrics 24(4), 1982). *Behind* when some
 * peer's interval at `alpha / k` (Bonferroni over the k peers) is wholly
 * below 1: that claim is a union, which needs the correction. Otherwise
 * *within noise* of the peers ours is not ahead of. Undefined when a peer
 * lacks per-round values: no claim from an older record. */
export function standingAmong(
  ours: ScoreEntry,
  peers: readonly ScoreEntry[],
  higherIsBetter: boolean,
  alpha = VERSUS_ALPHA,
): { standing: Standing; peers: string[] } | undefined {
  const each = peers.map((p) => ({
    name: p.allocator,
    r: speedRatio(ours, p, higherIsBetter, alpha),
    strict: speedRatio(ours, p, higherIsBetter, alpha / peers.length),
  }));
  if (peers.length === 0 || each.some((e) => e.r === undefined || e.strict === undefined)) return undefined;
  const behind = each.filter((e) => e.strict!.high < 1).map((e) => e.name);
  if (behind.length) return { standing: 'behind', peers: behind };
  const open = each.filter((e) => e.r!.low <= 1).map((e) => e.name);
  return open.length ? { standing: 'within noise', peers: open } : { standing: 'ahead', peers: each.map((e) => e.name) };
}

/** "ahead of all 4", "behind tcmalloc", "within noise of tcmalloc, glibc". */
function standingCell(s: { standing: Standing; peers: string[] } | undefined): string {
  if (s === undefined) return '–';
  const names = s.peers.map(esc).join(', ');
  if (s.standing === 'behind') return `behind ${names}`;
  if (s.standing === 'within noise') return `within noise of ${names}`;
  return s.peers.length === 1 ? `ahead of ${names}` : `ahead of all ${s.peers.length}`;
}

/** Hardened builds on a scorecard: `ours`, a hardened build of ours; `peer`,
 * a peer's hardened build (`name`) and the release build it is a mode of
 * (`release`). */
export interface Hardened {
  ours: string;
  peer?: { name: string; release: string };
}

/** The scorecard's own allocator (`ours`) against the best peer by median
 * speed (its ratio and interval), its standing among all peers
 * (`standingAmong`), against the reference allocator, and the hardened
 * builds (if measured): ours against ours, the peer's against its release
 * build, and ours against the peer's, each with its interval; and peak
 * RSS against the reference (median over median); undefined when no
 * benchmark has ours and a peer. */
export function versusTable(card: Scorecard, hardened?: Hardened): string | undefined {
  const measured = (name: string | undefined): boolean =>
    name !== undefined && card.benchmarks.some((b) => b.entries.some((e) => e.allocator === name));
  /** Extra columns, a speed ratio each: [hardened, what it is compared with]. */
  const extra: [string, string][] = [];
  const ours = hardened && measured(hardened.ours) ? hardened.ours : undefined;
  const peer = hardened?.peer && measured(hardened.peer.name) ? hardened.peer : undefined;
  if (ours) extra.push([ours, 'ours']);
  if (peer) extra.push([peer.name, peer.release]);
  if (ours && peer) extra.push([ours, peer.name]);
  const pct = `${Math.round((1 - VERSUS_ALPHA) * 100)} %`;
  const head = [
    `Speed ratios (above 1 is faster), with ${pct} intervals over the rounds. *ahead* only where ours is ahead of every peer, each interval wholly above 1; *behind* where a peer's interval, widened for the number of peers (Bonferroni), is wholly below 1; otherwise *within noise* of the peers named.`,
    '',
    `| benchmark | ours vs best peer | best peer | standing among peers | ours vs ${REFERENCE_ALLOCATOR} | peak RSS vs ${REFERENCE_ALLOCATOR} |${extra.map(([a, b]) => ` ${esc(a)} vs ${esc(b)} |`).join('')}`,
    `|---|--:|---|---|--:|--:|${'--:|'.repeat(extra.length)}`,
  ];
  const rows: string[] = [];
  for (const b of card.benchmarks) {
    const up = b.higherIsBetter ?? true;
    const entry = (name: string): ScoreEntry | undefined => b.entries.find((e) => e.allocator === name && e.medianOpsPerSec);
    const mine = entry('ours');
    const peers = b.entries.filter((e) => e.allocator !== 'ours' && DEFAULT_ALLOCATORS.includes(e.allocator) && e.medianOpsPerSec);
    if (!mine || peers.length === 0) continue;
    const speed = (e: ScoreEntry): number => (up ? e.medianOpsPerSec! : 1 / e.medianOpsPerSec!);
    const best = peers.reduce((x, e) => (speed(e) > speed(x) ? e : x));
    const ref = peers.find((e) => e.allocator === REFERENCE_ALLOCATOR);
    const rss = ref?.maxRssKb && mine.maxRssKb ? (mine.maxRssKb / ref.maxRssKb).toFixed(3) : '–';
    const cell = ([x, y]: [string, string]): string => {
      const a = entry(x);
      const c = entry(y);
      return a && c ? ratioCell(a, c, up) : '–';
    };
    rows.push(
      `| ${esc(b.name)} | ${ratioCell(mine, best, up)} | ${esc(best.allocator)} | ${standingCell(standingAmong(mine, peers, up))} | ${ref ? ratioCell(mine, ref, up) : '–'} | ${rss} |${extra.map((p) => ` ${cell(p)} |`).join('')}`,
    );
  }
  return rows.length ? [...head, ...rows].join('\n') : undefined;
}
