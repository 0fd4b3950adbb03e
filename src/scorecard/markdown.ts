/** The rebase scorecard as Markdown: per benchmark, every allocator's median,
 * noise, ratio to the reference allocator, peak RSS, page faults, user and
 * system time, syscalls per op and rank, then ours against its peers with intervals; and the one line a PR comment quotes from the last scorecard. */
import { escapeMarkdown as esc } from '../report/escape';
import { machineName } from '../engine/host/machine';
import { fmtValue } from '../report/format';
import { REFERENCE_ALLOCATOR } from './allocators';
import type { Scorecard } from './rebase';
import { versusTable, type Hardened } from './versus';

/** `hardened`: hardened builds measured (ours, and a peer's), compared with their release builds and each other. */
export function renderScorecard(card: Scorecard, hardened?: Hardened): string {
  const lines = [
    `## perfgate rebase: ${esc(card.ref)} \`${card.sha.slice(0, 12)}\``,
    '',
    `${card.rounds} interleaved rounds per allocator, the same binaries with LD_PRELOAD · ${esc(machineName(card.machine))} · ${card.createdAt.slice(0, 10)}`,
    '',
  ];
  const skipped = card.allocators.filter((a) => !a.available);
  for (const a of skipped) lines.push(`- ${esc(a.name)} not measured: ${esc(a.reason ?? '')}`);
  if (skipped.length) lines.push('');
  lines.push(
    `| benchmark | allocator | median | CV | ratio to ${REFERENCE_ALLOCATOR} | peak RSS | page faults | user / sys s | syscalls/op | rank |`,
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  const secs = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(2));
  for (const b of card.benchmarks) {
    // Records before perfgate 0.3 have no unit; their metric was ops/s.
    const unit = b.unit ?? 'ops/s';
    for (const e of b.entries) {
      if (e.failure) {
        lines.push(`| ${esc(b.name)} | ${esc(e.allocator)} | failed: ${esc(e.failure)} | | | | | | | |`);
        continue;
      }
      lines.push(
        `| ${esc(b.name)} | ${esc(e.allocator)} | ${fmtValue(e.medianOpsPerSec)} ${esc(unit)} | ${e.cvPct?.toFixed(1) ?? '–'} % | ${e.ratioToMimalloc?.toFixed(3) ?? '–'} | ${e.maxRssKb !== undefined ? `${(e.maxRssKb / 1024).toFixed(1)} MiB` : '–'} | ${fmtValue(e.faults)} | ${secs(e.userSeconds)} / ${secs(e.sysSeconds)} | ${e.syscallsPerOp !== undefined ? e.syscallsPerOp.toExponential(2) : '–'} | ${e.rank ?? '–'} |`,
      );
    }
  }
  const versus = versusTable(card, hardened);
  if (versus) lines.push('', versus);
  return lines.join('\n');
}

/** Context for a PR comment from the last scorecard (a JSON line): our
 * ratio to the reference allocator per benchmark; undefined if unreadable. */
export function scorecardContext(line: string | undefined): string | undefined {
  if (!line) return undefined;
  let card: Scorecard;
  try {
    card = JSON.parse(line) as Scorecard;
  } catch {
    return undefined;
  }
  const ratios = card.benchmarks
    .map((b) => ({ name: b.name, r: b.entries.find((e) => e.allocator === 'ours')?.ratioToMimalloc }))
    .filter((x): x is { name: string; r: number } => x.r !== undefined)
    .map((x) => `${esc(x.name)} ${x.r.toFixed(2)}×`);
  if (ratios.length === 0) return undefined;
  return `Last rebase (${card.createdAt.slice(0, 10)}, \`${card.sha.slice(0, 12)}\`), ours vs ${REFERENCE_ALLOCATOR}: ${ratios.join(', ')}`;
}
