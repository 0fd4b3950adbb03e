/** The Markdown report: verdict first, then the table, budgets, and the
 * details of failures. Everything that came from a benchmark or a ref is
 * escaped. Stays under a size limit by dropping details, never verdicts. */
import type { ComparisonResult } from '../engine/compare';
import type { BenchmarkResult, Outcome } from '../engine/types';
import { fmtNum } from '../engine/format';
import { codeBlock, escapeMarkdown as esc } from './escape';
import { fmtP, fmtPct, fmtValue } from './format';

export const MARKDOWN_LIMIT = 60000;

const OUTCOME_LINE: Record<Outcome, string> = {
  pass: '✅ **perfgate: PASS**',
  fail: '❌ **perfgate: FAIL**',
  inconclusive: '⚠️ **perfgate: INCONCLUSIVE**',
};

export function headline(r: ComparisonResult): string {
  const counts = Object.entries(r.verdictCounts)
    .map(([v, n]) => `${n} ${v}`)
    .join(', ');
  return `${OUTCOME_LINE[r.outcome]} — ${r.benchmarks.length} benchmark${r.benchmarks.length === 1 ? '' : 's'}: ${counts}`;
}

function refLine(r: ComparisonResult): string {
  const side = (s: 'base' | 'head') => {
    const ref = r.refs[s];
    return `${esc(ref.ref)} \`${(ref.sha ?? ref.treeId).slice(0, 12)}\``;
  };
  return `base ${side('base')} vs head ${side('head')} · ${r.pairs} pairs, random order (seed ${r.seed}) · ${esc(r.machine.cpuModel)}, ${r.machine.cores} cores${r.pinnedCpu !== undefined ? `, pinned to CPU ${r.pinnedCpu}` : ''}`;
}

/** Which calibration floored the noise bands, and how old it is. */
export function calibrationNote(r: ComparisonResult): string | undefined {
  const c = r.calibration;
  if (!c) return undefined;
  const age = c.ageDays < 1 ? 'less than a day' : `${Math.round(c.ageDays)} day${Math.round(c.ageDays) === 1 ? '' : 's'}`;
  return `Noise bands floored by the calibration of ${c.createdAt.slice(0, 10)} (${age} old) for ${c.benchmarks.join(', ')}.`;
}

function verdictTable(benchmarks: readonly BenchmarkResult[]): string[] {
  const lines = [
    '| benchmark | metric | base median | head median | change | noise band | MDE | pairs | CV base / head | p | 95 % CI | verdict |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const b of benchmarks) {
    for (const m of b.metrics) {
      const c = m.comparison;
      lines.push(
        `| ${esc(b.name)} | ${esc(m.metric)} | ${fmtValue(m.base?.median)} | ${fmtValue(m.head?.median)} | ${fmtPct(c?.changePct)} | ${c ? `±${c.noiseBandPct.toFixed(2)} %` : '–'} | ${c ? `${c.mdePct.toFixed(2)} %` : '–'} | ${c?.pairs ?? '–'} | ${m.base ? `${m.base.cvPct.toFixed(1)} / ${m.head?.cvPct.toFixed(1)} %` : '–'} | ${fmtP(c?.pAdjusted)} | ${c ? `${fmtPct(c.ciLowPct)} … ${fmtPct(c.ciHighPct)}` : '–'} | **${m.verdict}** |`,
      );
    }
    if (b.verdict === 'BUDGET_EXCEEDED') lines.push(`| ${esc(b.name)} | budgets | | | | | | | | | | **BUDGET_EXCEEDED** |`);
  }
  return lines;
}

function budgetTable(benchmarks: readonly BenchmarkResult[]): string[] {
  const rows = benchmarks.flatMap((b) => b.budgets);
  if (rows.length === 0) return [];
  const lines = ['### Budgets', '', '| benchmark | budget | base | head | limit | status |', '|---|---|--:|--:|--:|---|'];
  for (const c of rows) {
    const v = (x: number | undefined) => (x === undefined ? '–' : fmtNum(x));
    lines.push(
      `| ${esc(c.benchmark)} | ${esc(c.budget)} | ${v(c.base)} | ${v(c.head)} | ${v(c.limit)} | ${c.status === 'exceeded' ? '**exceeded**' : c.status === 'ok' ? 'ok' : `not measured: ${esc(c.reason)}`} |`,
    );
  }
  return lines;
}

function syscallTable(benchmarks: readonly BenchmarkResult[]): string[] {
  const measured = benchmarks.filter((b) => b.syscalls.measured);
  const lines: string[] = [];
  if (measured.length) {
    lines.push(
      '### Syscalls (one untimed run per side under strace)',
      '',
      '| benchmark | side | ops | mmap | munmap | madvise | mprotect | mremap | brk |',
      '|---|---|--:|--:|--:|--:|--:|--:|--:|',
    );
    for (const b of measured) {
      for (const side of ['base', 'head'] as const) {
        const c = b.syscalls[side];
        if (!c) continue;
        const k = c.calls;
        lines.push(
          `| ${esc(b.name)} | ${side} | ${fmtValue(c.ops)} | ${k.mmap ?? 0} | ${k.munmap ?? 0} | ${k.madvise ?? 0} | ${k.mprotect ?? 0} | ${k.mremap ?? 0} | ${k.brk ?? 0} |`,
        );
      }
    }
  }
  const missing = benchmarks.find((b) => !b.syscalls.measured && b.runs.every((r) => r.status === 'ok'));
  if (missing) lines.push('', `Syscalls not measured: ${esc(missing.syscalls.reason ?? '')}`);
  return lines;
}

function failureDetails(r: ComparisonResult): string[] {
  const out: string[] = [];
  if (!r.build.head.ok) {
    out.push('<details><summary>head build log (last lines)</summary>', '', codeBlock(r.build.head.logTail), '', '</details>');
  }
  for (const b of r.benchmarks) {
    const failed = b.runs.filter((x) => x.status !== 'ok');
    for (const run of failed) {
      out.push(
        `<details><summary>${esc(b.name)}: ${run.side} ${run.kind} run ${esc(run.error ?? run.status)}</summary>`,
        '',
        codeBlock(run.stderrTail.length ? run.stderrTail : ['(no stderr)']),
        '',
        '</details>',
      );
    }
  }
  return out;
}

function reasons(benchmarks: readonly BenchmarkResult[]): string[] {
  const lines: string[] = [];
  for (const b of benchmarks)
    for (const m of b.metrics) if (m.verdict !== 'UNCHANGED') lines.push(`- **${esc(b.name)}** ${esc(m.metric)}: ${esc(m.reason)}`);
  for (const b of benchmarks)
    for (const c of b.budgets) if (c.status === 'exceeded') lines.push(`- **${esc(b.name)}** budget: ${esc(c.reason)}`);
  return lines;
}

/** Renders the report; `extra` (e.g. the last rebase's context, already
 * escaped) follows the verdicts, before the details. */
export function renderMarkdown(r: ComparisonResult, opts: { limit?: number; extra?: string } = {}): string {
  const limit = opts.limit ?? MARKDOWN_LIMIT;
  const essential = [
    headline(r),
    '',
    refLine(r),
    ...(calibrationNote(r) ? [esc(calibrationNote(r)!)] : []),
    '',
    ...verdictTable(r.benchmarks),
    '',
    ...reasons(r.benchmarks),
    '',
    'A change counts only when it is significant (paired t-test on log ratios, p < ' +
      `${r.config.decision.alpha} after corrections for ${r.sampling && r.sampling.looks > 1 ? `${r.sampling.looks} looks and ` : ''}` +
      `${r.config.decision.correction === 'holm' ? 'all decisions (Holm)' : 'nothing'}) and larger than the noise band ` +
      `(never below ${r.config.decision.minEffectPct} %). MDE: the smallest change this comparison could detect (80 % power). ` +
      'Change is signed so that + is better.',
    ...(opts.extra ? ['', opts.extra] : []),
  ].join('\n');
  const sections = [budgetTable(r.benchmarks).join('\n'), syscallTable(r.benchmarks).join('\n'), failureDetails(r).join('\n')];
  let text = essential;
  for (const s of sections) {
    if (!s) continue;
    const note = '\n\n_(details truncated to stay within the size limit; see the JSON result)_';
    if (text.length + s.length + 2 + note.length > limit) {
      text += note;
      break;
    }
    text += `\n\n${s}`;
  }
  return text.length > limit ? `${text.slice(0, limit - 20)}\n\n_(truncated)_` : text;
}
