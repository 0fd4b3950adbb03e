/** The CLI's table: plain text, aligned columns. */
import type { ComparisonResult } from '../engine/compare';
import { fmtValue } from './format';
import { calibrationNote, headline, leftoverNotes, metricCells } from './markdown';
import { textTable } from './text-table';

export function renderTerminal(r: ComparisonResult): string {
  const rows: string[][] = [['benchmark', 'metric', 'base', 'head', 'change', 'interval', 'band', 'pairs', 'noise', 'verdict']];
  for (const b of r.benchmarks) {
    for (const m of b.metrics) {
      const x = metricCells(m);
      rows.push([
        b.name,
        m.metric,
        fmtValue(m.base?.median),
        fmtValue(m.head?.median),
        x.change,
        x.interval,
        x.band,
        x.pairs,
        x.noise,
        m.verdict,
      ]);
    }
    for (const x of b.budgets)
      if (x.status === 'exceeded') rows.push([b.name, x.budget, fmtValue(x.base), fmtValue(x.head), '', '', '', '', '', 'BUDGET_EXCEEDED']);
  }
  const lines = textTable(rows);
  const notes: string[] = leftoverNotes(r.benchmarks).map((n) => `  ${n.name}: ${n.text}`);
  for (const b of r.benchmarks) {
    for (const m of b.metrics) if (m.verdict !== 'UNCHANGED') notes.push(`  ${b.name} ${m.metric}: ${m.reason}`);
    for (const x of b.budgets) if (x.status === 'exceeded') notes.push(`  ${b.name}: ${x.reason}`);
    for (const run of b.runs.filter((x) => x.status !== 'ok')) {
      notes.push(`  ${b.name} ${run.side} ${run.kind}: ${run.error ?? run.status}`);
      for (const l of run.stderrTail.slice(-5)) notes.push(`    | ${l}`);
    }
  }
  if (!r.build.head.ok) notes.push('  head build failed:', ...r.build.head.logTail.slice(-10).map((l) => `    | ${l}`));
  const ref = (side: 'base' | 'head') => `${r.refs[side].ref} ${(r.refs[side].sha ?? r.refs[side].treeId).slice(0, 12)}`;
  const took =
    r.samplingSeconds !== undefined ? `, sampling took ${Math.round(r.samplingSeconds)} s of ${r.sampling?.budgetSeconds} s` : '';
  const context = `base ${ref('base')} vs head ${ref('head')}; seed ${r.seed}${took}`;
  const cal = calibrationNote(r);
  const sandbox = r.sandbox.mode !== 'off' && !r.sandbox.active ? [`without a sandbox: ${r.sandbox.problem ?? 'unavailable'}`] : [];
  return [
    headline(r).replace(/\*\*/g, ''),
    context,
    ...(cal ? [cal] : []),
    ...sandbox,
    '',
    ...lines,
    ...(notes.length ? ['', ...notes] : []),
  ].join('\n');
}
