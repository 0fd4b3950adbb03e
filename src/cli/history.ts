/** The history commands: record a commit, find its steps, bisect one, draw it. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { compare } from '../engine/compare';
import { loadConfig, MAX_PAIRS, type Config } from '../engine/config';
import { seededRng } from '../engine/random';
import { originUrl, repoRoot, webUrlOfRemote } from '../engine/repo/git';
import type { Verdict } from '../engine/verdicts';
import { bisect } from '../history/bisect';
import { buildDashboard } from '../history/dashboard/model';
import { writeDashboard } from '../history/dashboard/page';
import { DEFAULT_STEP_SEED, findSteps, machineOf, type Step } from '../history/steps';
import { readRecords, writeRecord } from '../history/store';
import { fmtPct } from '../report/format';
import { renderTerminal } from '../report/terminal';
import { textTable } from '../report/text-table';
import { DEFAULT_ALLOCATORS } from '../scorecard/allocators';
import { renderScorecard } from '../scorecard/markdown';
import { rebase, type Scorecard } from '../scorecard/rebase';
import { EXIT, intArg, readConfig, RUN_OPTIONS, sandboxArg, UsageError, type Io } from './args';

function historyDir(root: string, dir: string | undefined, cwd: string): string {
  return dir ? resolve(cwd, dir) : join(root, '.perfgate', 'history');
}

/** A history's records, its steps, and the config whose bands bound them (when there is one). */
async function openHistory(
  io: Io,
  values: { history?: string; config?: string; seed?: string },
): Promise<{ dir: string; root: string; config?: Config; configFile: string; cards: Scorecard[]; unreadable: number; steps: Step[] }> {
  const root = await repoRoot(io.cwd).catch(() => io.cwd);
  const dir = historyDir(root, values.history, io.cwd);
  if (!existsSync(dir)) throw new UsageError(`no history at ${dir}: perfgate record writes one, or pass --history DIR`);
  const configFile = values.config ? resolve(io.cwd, values.config) : join(root, 'perfgate.yml');
  const config = values.config || existsSync(configFile) ? loadConfig(configFile) : undefined;
  const { cards, unreadable } = readRecords(dir);
  const steps = findSteps(cards, { config, rng: seededRng(intArg('seed', values.seed, 0) ?? DEFAULT_STEP_SEED) });
  return { dir, root, config, configFile, cards, unreadable, steps };
}

export async function cmdRecord(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...RUN_OPTIONS,
      ref: { type: 'string' },
      history: { type: 'string' },
      allocators: { type: 'string' },
      rounds: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const config = await readConfig(io, values.config);
  const card = await rebase({
    cwd: io.cwd,
    config,
    ref: values.ref ?? 'HEAD',
    allocators: values.allocators ? values.allocators.split(',').filter(Boolean) : [...DEFAULT_ALLOCATORS],
    rounds: intArg('rounds', values.rounds, 2, MAX_PAIRS),
    sandbox: sandboxArg(values.sandbox),
    onProgress: values.quiet ? undefined : (m) => io.err(`${m}\n`),
  });
  const path = writeRecord(historyDir(await repoRoot(io.cwd), values.history, io.cwd), card);
  io.out(`${renderScorecard(card)}\n\nrecorded ${card.sha.slice(0, 12)} in ${path}\n`);
  return EXIT.pass;
}

export async function cmdHistory(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      history: { type: 'string' },
      config: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      confirm: { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const h = await openHistory(io, values);
  const steps: (Step & { paired?: Verdict })[] = h.steps;
  if (values.confirm) {
    if (!h.config) throw new UsageError(`--confirm compares commits, which needs a config: ${h.configFile} not found (pass --config FILE)`);
    const done = new Map<string, Verdict>();
    for (const s of steps) {
      const spec = h.config.benchmarks.find((b) => b.name === s.benchmark);
      if (!spec) continue;
      // One comparison per commit pair and benchmark answers for all its metrics and allocators.
      const key = `${s.benchmark} ${s.previous} ${s.commit}`;
      if (!done.has(key)) {
        if (!values.quiet) io.err(`[history] comparing ${s.previous.slice(0, 12)} with ${s.commit.slice(0, 12)} (${s.benchmark})\n`);
        const r = await compare({ cwd: io.cwd, config: { ...h.config, benchmarks: [spec] }, base: s.previous, head: s.commit });
        done.set(key, r.benchmarks[0]!.verdict);
      }
      s.paired = done.get(key);
    }
  }
  if (values.json) {
    io.out(`${JSON.stringify({ records: h.cards.length, unreadable: h.unreadable, changePoints: steps }, null, 2)}\n`);
    return EXIT.pass;
  }
  const machines = new Set(h.cards.map(machineOf));
  io.out(
    `${h.dir}: ${h.cards.length} record(s) on ${machines.size} machine(s)${h.unreadable ? `, ${h.unreadable} unreadable` : ''}; ${steps.length} step(s)\n`,
  );
  if (steps.length) {
    const rows = steps.map((s) => [
      s.benchmark,
      s.metric,
      s.allocator,
      fmtPct(s.changePct),
      `${s.previous.slice(0, 12)}..${s.commit.slice(0, 12)}`,
      (s.subject ?? '').slice(0, 50),
      `${s.pointsBefore} | ${s.pointsAfter}`,
      s.confidence.toFixed(3),
      ...(values.confirm ? [s.paired ?? 'not in config'] : []),
      s.machine,
    ]);
    const header = [
      'benchmark',
      'metric',
      'allocator',
      'change',
      'commits',
      'first at the new level',
      'records',
      'confidence',
      ...(values.confirm ? ['paired'] : []),
      'machine',
    ];
    io.out(`${textTable([header, ...rows]).join('\n')}\n`);
  }
  return EXIT.pass;
}

export async function cmdBisect(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...RUN_OPTIONS,
      good: { type: 'string' },
      bad: { type: 'string' },
      benchmark: { type: 'string' },
      budget: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.good || !values.bad) throw new UsageError('perfgate bisect needs --good REF and --bad REF');
  const r = await bisect({
    cwd: io.cwd,
    config: await readConfig(io, values.config),
    good: values.good,
    bad: values.bad,
    benchmark: values.benchmark,
    budgetSeconds: intArg('budget', values.budget, 1, 86400),
    sandbox: sandboxArg(values.sandbox),
    say: values.quiet ? undefined : (line) => io.err(`[bisect] ${line}\n`),
  });
  const code = r.culprit && r.confirmed ? EXIT.pass : EXIT.inconclusive;
  if (values.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`);
    return code;
  }
  const probes = r.probes.map((p) => [
    p.sha.slice(0, 12),
    (p.subject ?? '').slice(0, 50),
    p.verdict,
    p.changePct === undefined ? '–' : fmtPct(p.changePct),
  ]);
  io.out(`${r.benchmark}: good ${r.good.slice(0, 12)}, bad ${r.bad.slice(0, 12)} (${r.change})\n`);
  io.out(`${textTable([['compared with good', 'subject', 'verdict', 'change'], ...probes]).join('\n')}\n`);
  if (!r.culprit || !r.confirmation) {
    io.out(`\nundecided: ${r.reason}\n`);
    return code;
  }
  io.out(
    `\nfirst commit with the change: ${r.culprit} ${r.subject ?? ''}\n` +
      `${r.confirmed ? 'its comparison with its parent shows it too:' : `its comparison with its parent does not show ${r.change} (a gradual change, or noise misled a step):`}\n\n` +
      `${renderTerminal(r.confirmation)}\n`,
  );
  return code;
}

export async function cmdDashboard(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      history: { type: 'string' },
      out: { type: 'string' },
      config: { type: 'string' },
      seed: { type: 'string' },
      'repo-url': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.out) throw new UsageError('perfgate dashboard needs --out DIR (where index.html goes)');
  const h = await openHistory(io, values);
  if (values['repo-url'] !== undefined && !/^https?:\/\/[^\s"'<>]+$/.test(values['repo-url']))
    throw new UsageError(`--repo-url takes an http(s) address, got '${values['repo-url']}'`);
  const origin = await originUrl(h.root).catch(() => undefined);
  const repoUrl = values['repo-url']?.replace(/\/$/, '') ?? (origin ? webUrlOfRemote(origin) : undefined);
  const index = writeDashboard(resolve(io.cwd, values.out), buildDashboard(h.cards, h.steps, { repoUrl, unreadable: h.unreadable }));
  io.out(`${h.cards.length} record(s), ${h.steps.length} step(s): ${index}\n`);
  return EXIT.pass;
}
