/** The rebase scorecard as Markdown: per benchmark, every allocator's median,
 * noise, ratio to mimalloc, peak RSS, syscalls per op and rank. */
import type { Scorecard } from '../engine/rebase';
import { escapeMarkdown as esc } from './escape';
import { fmtValue } from './format';

export function renderScorecard(card: Scorecard): string {
  const lines = [
    `## perfgate rebase: ${esc(card.ref)} \`${card.sha.slice(0, 12)}\``,
    '',
    `${card.rounds} interleaved rounds per allocator, the same binaries with LD_PRELOAD · ${esc(card.machine.cpuModel)}, ${card.machine.cores} cores · ${card.createdAt.slice(0, 10)}`,
    '',
  ];
  const skipped = card.allocators.filter((a) => !a.available);
  for (const a of skipped) lines.push(`- ${esc(a.name)} not measured: ${esc(a.reason ?? '')}`);
  if (skipped.length) lines.push('');
  lines.push(
    '| benchmark | allocator | median ops/s | CV | ratio to mimalloc | peak RSS | syscalls/op | rank |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  );
  for (const b of card.benchmarks) {
    for (const e of b.entries) {
      if (e.failure) {
        lines.push(`| ${esc(b.name)} | ${esc(e.allocator)} | failed: ${esc(e.failure)} | | | | | |`);
        continue;
      }
      lines.push(
        `| ${esc(b.name)} | ${esc(e.allocator)} | ${fmtValue(e.medianOpsPerSec)} | ${e.cvPct?.toFixed(1) ?? '–'} % | ${e.ratioToMimalloc?.toFixed(3) ?? '–'} | ${e.maxRssKb !== undefined ? `${(e.maxRssKb / 1024).toFixed(1)} MiB` : '–'} | ${e.syscallsPerOp !== undefined ? e.syscallsPerOp.toExponential(2) : '–'} | ${e.rank ?? '–'} |`,
      );
    }
  }
  return lines.join('\n');
}
