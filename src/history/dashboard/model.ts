/** What the dashboard shows, computed from the history: per machine (never
 * mixing machines), one chart per benchmark and metric with a line per
 * allocator over the records in commit order, the change points that
 * `perfgate history` reports marked at their commits, and the latest
 * scorecard. Pure: the page (page.ts) only draws this. */
import type { Scorecard } from '../../scorecard/rebase';
import { HISTORY_METRICS, machineOf, seriesOf, type HistoryMetric, type Step } from '../steps';

export interface ChartPoint {
  sha: string;
  subject?: string;
  /** Committer date, else when it was recorded. */
  date: string;
}

export interface Chart {
  machine: string;
  benchmark: string;
  kind: HistoryMetric;
  metric: string;
  unit: string;
  higherIsBetter?: boolean;
  /** The x axis: this machine's records of this benchmark, oldest first. */
  commits: ChartPoint[];
  /** One line per allocator; null where a record has no value. `cvPct`: the spread of the result's rounds. */
  series: { allocator: string; values: (number | null)[]; cvPct: (number | null)[] }[];
  /** Where a step starts (index into `commits`), as `perfgate history` finds it. */
  changePoints: { allocator: string; index: number; commit: string; changePct: number; confidence: number }[];
}

export interface MachineView {
  machine: string;
  records: number;
  lastRecordedAt: string;
  charts: Chart[];
  /** The newest record's scorecard: per benchmark, each allocator's ratio to the reference allocator. */
  latest: { sha: string; subject?: string; date: string; rows: { benchmark: string; ratios: Record<string, number | null> }[] };
}

export interface Dashboard {
  generatedAt: string;
  /** Base of commit links (`${repoUrl}/commit/SHA`), when known. */
  repoUrl?: string;
  records: number;
  unreadable: number;
  /** Newest-measured machine first. */
  machines: MachineView[];
}

const dateOf = (c: Scorecard): string => c.committedAt ?? c.createdAt;

function chartsOf(cards: readonly Scorecard[], steps: readonly Step[]): Chart[] {
  const charts = new Map<string, Chart>();
  const benchmarks = [...new Set(cards.flatMap((c) => c.benchmarks.map((b) => b.name)))];
  // The x axis of a benchmark's charts: the records that have it.
  const rowsOf = new Map(benchmarks.map((name) => [name, cards.filter((c) => c.benchmarks.some((b) => b.name === name))]));
  for (const s of seriesOf(cards)) {
    const key = JSON.stringify([s.benchmark, s.kind]);
    const rows = rowsOf.get(s.benchmark)!;
    let chart = charts.get(key);
    if (!chart) {
      const spec = rows.at(-1)!.benchmarks.find((b) => b.name === s.benchmark)!;
      chart = {
        machine: s.machine,
        benchmark: s.benchmark,
        kind: s.kind,
        metric: s.metric,
        unit: HISTORY_METRICS.find((m) => m.key === s.kind)!.unit,
        higherIsBetter: s.kind === 'result' ? spec.higherIsBetter : false,
        commits: rows.map((c) => ({ sha: c.sha, subject: c.subject, date: dateOf(c) })),
        series: [],
        changePoints: [],
      };
      charts.set(key, chart);
    }
    const at = new Map(s.points.map((p) => [p.card, p] as const));
    chart.series.push({
      allocator: s.allocator,
      values: rows.map((c) => at.get(c)?.value ?? null),
      cvPct: rows.map((c) => at.get(c)?.cvPct ?? null),
    });
    for (const st of steps)
      if (st.machine === s.machine && st.benchmark === s.benchmark && st.metric === s.metric && st.allocator === s.allocator)
        chart.changePoints.push({
          allocator: st.allocator,
          index: rows.findIndex((c) => c.sha === st.commit),
          commit: st.commit,
          changePct: st.changePct,
          confidence: st.confidence,
        });
  }
  const order = (c: Chart) => benchmarks.indexOf(c.benchmark) * HISTORY_METRICS.length + HISTORY_METRICS.findIndex((m) => m.key === c.kind);
  return [...charts.values()].sort((a, b) => order(a) - order(b));
}

function latestOf(cards: readonly Scorecard[]): MachineView['latest'] {
  const last = cards.at(-1)!;
  return {
    sha: last.sha,
    subject: last.subject,
    date: dateOf(last),
    rows: last.benchmarks.map((b) => ({
      benchmark: b.name,
      ratios: Object.fromEntries(b.entries.map((e) => [e.allocator, e.ratioToMimalloc ?? null])),
    })),
  };
}

/** The dashboard of a history (`cards` oldest first, as readRecords gives them) and its steps (findSteps). */
export function buildDashboard(
  cards: readonly Scorecard[],
  steps: readonly Step[],
  opts: { repoUrl?: string; unreadable?: number; now?: Date } = {},
): Dashboard {
  const byMachine = new Map<string, Scorecard[]>();
  for (const c of cards) byMachine.set(machineOf(c), [...(byMachine.get(machineOf(c)) ?? []), c]);
  const machines = [...byMachine.entries()].map(([machine, mine]) => ({
    machine,
    records: mine.length,
    lastRecordedAt: mine.reduce((t, c) => (c.createdAt > t ? c.createdAt : t), ''),
    charts: chartsOf(mine, steps),
    latest: latestOf(mine),
  }));
  machines.sort((a, b) => b.lastRecordedAt.localeCompare(a.lastRecordedAt));
  return {
    generatedAt: (opts.now ?? new Date()).toISOString(),
    repoUrl: opts.repoUrl,
    records: cards.length,
    unreadable: opts.unreadable ?? 0,
    machines,
  };
}
