/** The Markdown report, for the people on the pull request: the verdict
 * and what changed on the first line, then only the rows that are not
 * UNCHANGED and why, links, and everything else (the full table, budgets,
 * syscall counts, failure logs) folded in <details>. Everything that came
 * from a benchmark or a ref is escaped. Stays under a size limit by folding
 * and then dropping details, never verdicts. */
import type { ComparisonResult } from '../engine/compare';
import type { BenchmarkResult, MetricResult, Outcome } from '../engine/types';
import { shownChanges } from '../engine/config-source';
import { fmtNum } from '../engine/format';
import { machineName } from '../engine/host/machine';
import { codeBlock, escapeMarkdown as esc } from './escape';
import { fmtBand, fmtPct, fmtValue } from './format';

export const MARKDOWN_LIMIT = 60000;

const OUTCOME_LINE: Record<Outcome, string> = {
  pass: '✅ **perfgate: PASS**',
  fail: '❌ **perfgate: FAIL**',
  inconclusive: '⚠️ **perfgate: INCONCLUSIVE**',
};

/** How many changed benchmarks the first line names before "and N more". */
const HEADLINE_NAMES = 3;

/** A benchmark's verdict with its primary change and interval: "REGRESSED −3.10 % (−3.90 … −2.30 %)". */
function verdictChange(b: BenchmarkResult): string {
  const c = b.metrics.find((m) => m.verdict === b.verdict)?.comparison ?? b.metrics[0]?.comparison;
  const moved = c && (b.verdict === 'REGRESSED' || b.verdict === 'IMPROVED' || b.acceptance?.accepted === 'REGRESSED');
  return moved ? `${b.verdict} ${fmtPct(c.changePct)} (${fmtPct(c.ciLowPct)} … ${fmtPct(c.ciHighPct)})` : b.verdict;
}

const verdictPhrase = (b: BenchmarkResult): string => `${esc(b.name)} ${verdictChange(b)}`;

/** The first line: the outcome, then what changed (or that nothing did). */
export function headline(r: ComparisonResult): string {
  if (r.cancelled) return `⚠️ **perfgate: CANCELLED** (${esc(r.cancelled)}) — nothing was decided`;
  const changed = r.benchmarks.filter((b) => b.verdict !== 'UNCHANGED');
  const unchanged = r.benchmarks.length - changed.length;
  const named = changed.slice(0, HEADLINE_NAMES).map(verdictPhrase);
  if (changed.length > HEADLINE_NAMES) named.push(`and ${changed.length - HEADLINE_NAMES} more`);
  const rest = unchanged
    ? `${named.length ? '; ' : ''}${unchanged} ${named.length ? 'other' : `benchmark${unchanged === 1 ? '' : 's'}`} UNCHANGED`
    : '';
  return `${OUTCOME_LINE[r.outcome]} — ${named.join(', ')}${rest}`;
}

function refLine(r: ComparisonResult): string {
  const side = (s: 'base' | 'head') => {
    const ref = r.refs[s];
    return `${esc(ref.ref)} \`${(ref.sha ?? ref.treeId).slice(0, 12)}\``;
  };
  const s = r.sampling;
  const plan = s
    ? ` · sequential, up to ${s.maxPairs} pairs in ${s.budgetSeconds} s${r.samplingSeconds !== undefined ? ` (took ${Math.round(r.samplingSeconds)} s)` : ''}`
    : '';
  return `base ${side('base')} vs head ${side('head')} · random order (seed ${r.seed})${plan} · ${esc(machineName(r.machine))}${r.pinnedCpu !== undefined ? `, pinned to CPU ${r.pinnedCpu}` : ''}`;
}

/** Which calibration floored bands, or why a calibration was ignored. */
export function calibrationNote(r: ComparisonResult): string | undefined {
  const c = r.calibration;
  if (!c) return undefined;
  if (c.ignored) return `Calibration ignored: ${c.ignored}.`;
  if (c.ageDays === undefined || c.createdAt === undefined) return undefined;
  const days = Math.round(c.ageDays);
  const age = c.ageDays < 1 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`;
  const what = c.benchmarks.length
    ? `floored the bands of ${c.benchmarks.join(', ')}`
    : 'floored no band (every min_effect_pct is resolvable here)';
  return `The calibration of ${c.createdAt.slice(0, 10)} (${age} old) ${what}.`;
}

/** Which commit's config governed, and what the PR's own change to it would do. */
export function configNote(r: ComparisonResult): string[] {
  const o = r.configOrigin;
  if (!o) return [];
  const file = `\`${esc(o.path)}\``;
  if (o.source === 'head') return [`The gate used the head's ${file} (config-source: head).`];
  const out: string[] = [];
  if (o.headProblem) out.push(`The head's ${file} does not load (${esc(o.headProblem)}); the gate used the base's.`);
  if (o.changes.length)
    out.push(
      `⚙️ This pull request changes ${file}. The gate used the base's config; the change takes effect after merge. It would change:`,
      '',
      codeBlock(shownChanges(o.changes)),
    );
  return out;
}

/** Says so when builds and benchmarks ran outside the sandbox that was asked for. */
export function sandboxNote(r: ComparisonResult): string[] {
  const s = r.sandbox;
  return s.mode !== 'off' && !s.active ? [`⚠️ Builds and benchmarks ran without a sandbox: ${esc(s.problem ?? 'unavailable')}.`] : [];
}

/** One sentence per benchmark whose runs left processes running (they were killed). */
export function leftoverNotes(benchmarks: readonly BenchmarkResult[]): { name: string; text: string }[] {
  return benchmarks.flatMap((b) => {
    const runs = b.runs.filter((r) => r.status === 'ok' && r.leftoverProcesses);
    if (!runs.length) return [];
    const most = Math.max(...runs.map((r) => r.leftoverProcesses!));
    return [
      {
        name: b.name,
        text: `${runs.length} run(s) left up to ${most} process(es) running after exiting; perfgate killed them (runs.leftover_processes: fail makes this a failure)`,
      },
    ];
  });
}

/** The cells every report shows for one metric: change, interval, band, pairs, noise. */
export function metricCells(m: MetricResult): {
  change: string;
  interval: string;
  band: string;
  pairs: string;
  noise: string;
  mde: string;
} {
  const c = m.comparison;
  if (!c) return { change: '–', interval: '–', band: '–', pairs: '–', noise: '–', mde: '–' };
  return {
    change: fmtPct(c.changePct),
    interval: c.pairs > 1 ? `${fmtPct(c.ciLowPct)} … ${fmtPct(c.ciHighPct)}` : '–',
    band: fmtBand(c.noiseBandPct, c.bandSource),
    pairs: String(c.pairs),
    noise: c.robustSdPct !== undefined ? `${c.robustSdPct.toFixed(2)} %` : '–',
    mde: Number.isFinite(c.mdePct) ? `${c.mdePct.toFixed(2)} %` : '–',
  };
}

const withUnit = (x: number | undefined, unit: string): string => (x === undefined ? '–' : `${fmtValue(x)}${unit ? ` ${esc(unit)}` : ''}`);

function metricRow(b: BenchmarkResult, m: MetricResult): string {
  const x = metricCells(m);
  return `| ${esc(b.name)} | ${esc(m.metric)} | ${withUnit(m.base?.median, m.unit)} | ${withUnit(m.head?.median, m.unit)} | ${x.change} | ${x.interval} | ${x.band} | ${x.pairs} | ${x.noise} | ${x.mde} | **${m.verdict}** |`;
}

const TABLE_HEAD = [
  '| benchmark | metric | base median | head median | change | interval | band | pairs | noise (robust SD) | MDE | verdict |',
  '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|',
];

/** Every metric of `benchmarks` (and a row for an exceeded budget), or of only the rows that are not UNCHANGED. */
function verdictTable(benchmarks: readonly BenchmarkResult[], onlyChanged: boolean): string[] {
  const rows: string[] = [];
  for (const b of benchmarks) {
    for (const m of b.metrics) if (!onlyChanged || m.verdict !== 'UNCHANGED') rows.push(metricRow(b, m));
    if (b.verdict === 'BUDGET_EXCEEDED') rows.push(`| ${esc(b.name)} | budgets | | | | | | | | | **BUDGET_EXCEEDED** |`);
  }
  return rows.length ? [...TABLE_HEAD, ...rows] : [];
}

/** The same verdicts in two columns: what the full table folds to when it does not fit. */
function compactTable(benchmarks: readonly BenchmarkResult[]): string[] {
  return ['| benchmark | verdict |', '|---|---|', ...benchmarks.map((b) => `| ${esc(b.name)} | ${verdictChange(b)} |`)];
}

const folded = (summary: string, body: readonly string[]): string =>
  body.length ? ['<details>', `<summary>${summary}</summary>`, '', ...body, '', '</details>'].join('\n') : '';

function budgetTable(benchmarks: readonly BenchmarkResult[]): string {
  const rows = benchmarks.flatMap((b) => b.budgets);
  if (rows.length === 0) return '';
  const exceeded = rows.filter((c) => c.status === 'exceeded').length;
  const unmeasured = rows.filter((c) => c.status === 'not_measured').length;
  const lines = ['| benchmark | budget | base | head | limit | status |', '|---|---|--:|--:|--:|---|'];
  for (const c of rows) {
    const v = (x: number | undefined) => (x === undefined ? '–' : `${fmtNum(x)} ${esc(c.unit)}`);
    lines.push(
      `| ${esc(c.benchmark)} | ${esc(c.budget)} | ${v(c.base)} | ${v(c.head)} | ${v(c.limit)} | ${c.status === 'exceeded' ? '**exceeded**' : c.status === 'ok' ? 'ok' : `not measured: ${esc(c.reason)}`} |`,
    );
  }
  return folded(`Budgets: ${rows.length} checks, ${exceeded} exceeded${unmeasured ? `, ${unmeasured} not measured` : ''}`, lines);
}

function syscallTable(benchmarks: readonly BenchmarkResult[]): string {
  const measured = benchmarks.filter((b) => b.syscalls.measured);
  const lines: string[] = [];
  if (measured.length) {
    lines.push('| benchmark | side | ops | mmap | munmap | madvise | mprotect | mremap | brk |', '|---|---|--:|--:|--:|--:|--:|--:|--:|');
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
  return folded('Syscalls: calls in one untimed run per side under strace', lines);
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
  for (const n of leftoverNotes(benchmarks)) lines.push(`- **${esc(n.name)}**: ${esc(n.text)}`);
  for (const b of benchmarks)
    if (b.acceptance)
      lines.push(
        `- **${esc(b.name)}** ACCEPTED (was ${b.acceptance.accepted}) by ${esc(b.acceptance.by)} for \`${b.acceptance.sha.slice(0, 12)}\` (${b.acceptance.via}): ${esc(b.acceptance.reason)}`,
      );
  return lines;
}

/** Links under the verdicts: the job, its artifacts, the dashboard (trusted addresses, not escaped). */
export interface ReportLinks {
  job?: string;
  artifacts?: string;
  dashboard?: string;
}

function linkLine(links: ReportLinks | undefined): string | undefined {
  if (!links) return undefined;
  const parts = [
    links.job ? `[job log](${links.job})` : '',
    links.artifacts ? `[JSON result (artifacts)](${links.artifacts})` : '',
    links.dashboard ? `[history dashboard](${links.dashboard})` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : undefined;
}

function methodNote(r: ComparisonResult): string {
  return (
    `Change: Hodges-Lehmann shift of the paired log ratios, + is better. Interval: signed-rank interval; ${
      r.config.decision.correction === 'bonferroni'
        ? `all intervals of this report hold together with probability ≥ ${1 - r.config.decision.alpha} (alpha split over every decision and spent over the looks). `
        : `each metric's intervals hold with probability ≥ ${1 - r.config.decision.alpha} (alpha spent over the looks, not split over the metrics: with several, some false alarm is more likely). `
    }` +
    'REGRESSED/IMPROVED: the interval excludes 0 and the change is beyond the band; UNCHANGED: the whole interval lies inside the band; ' +
    'UNSTABLE: neither within the time budget. MDE: the smallest change detectable at the ceiling (80 % power) for the noise seen.'
  );
}

/** Renders the report; `extra` (e.g. the last rebase's context, already
 * escaped) follows the verdicts, before the folded details. */
export function renderMarkdown(r: ComparisonResult, opts: { limit?: number; extra?: string; links?: ReportLinks } = {}): string {
  const limit = opts.limit ?? MARKDOWN_LIMIT;
  const changed = r.benchmarks.filter((b) => b.verdict !== 'UNCHANGED');
  const why = reasons(r.benchmarks);
  const links = linkLine(opts.links);
  const head = [
    headline(r),
    '',
    refLine(r),
    ...(calibrationNote(r) ? [esc(calibrationNote(r)!)] : []),
    ...sandboxNote(r),
    ...(configNote(r).length ? ['', ...configNote(r)] : []),
  ];
  const tail = [...(opts.extra ? ['', opts.extra] : []), ...(links ? ['', links] : [])];
  const counts = Object.entries(r.verdictCounts)
    .map(([v, n]) => `${n} ${v}`)
    .join(', ');
  const summary = `All ${r.benchmarks.length} benchmark${r.benchmarks.length === 1 ? '' : 's'}: ${counts || 'none'}`;
  const fullTable = folded(summary, [...verdictTable(r.benchmarks, false), '', methodNote(r)]);
  const shortTable = folded(summary, [...compactTable(r.benchmarks), '', methodNote(r)]);
  const changedRows = verdictTable(changed, true);
  const block = (lines: readonly string[]) => (lines.length ? ['', ...lines] : []);
  // From most to least detail; every layout keeps every verdict. What the last one leaves out goes below, folded, if it fits.
  const layouts = [
    [...head, ...block(changedRows), ...block(why), ...tail, '', fullTable],
    [...head, ...block(changedRows), ...block(why), ...tail, '', shortTable],
    [...head, ...block(changed.length ? compactTable(changed) : []), ...tail, '', shortTable],
  ].map((lines) => lines.join('\n'));
  const fits = layouts.findIndex((t) => t.length <= limit);
  let text = layouts[fits < 0 ? layouts.length - 1 : fits]!;
  const last = fits < 0 || fits === layouts.length - 1;
  const sections = [last ? folded('Why', why) : '', budgetTable(r.benchmarks), syscallTable(r.benchmarks), failureDetails(r).join('\n')];
  for (const s of sections) {
    if (!s) continue;
    const note = '\n\n_(details left out to stay within the size limit; see the JSON result)_';
    if (text.length + s.length + 2 + note.length > limit) {
      text += note;
      break;
    }
    text += `\n\n${s}`;
  }
  return text;
}
