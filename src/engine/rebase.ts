/** Rebase: one build, the whole suite under every allocator (the same
 * binaries, the allocator chosen by LD_PRELOAD), interleaved round by round
 * under identical conditions, then a scorecard. Comparing against numbers
 * stored from another day is unsound (machines drift by several percent), so
 * every allocator is measured again, here, together. */
import { existsSync } from 'node:fs';

import { median } from 'simple-statistics';

import { runBenchmark } from './bench-run';
import { buildSide, cacheRoot } from './build';
import { InfrastructureError } from './compare';
import { measureSetup, providerMismatch, runContext, straceProblem } from './measure';
import type { BenchmarkSpec, Config } from './config';
import { repoRoot, resolveCommit, shortLog, workingTreeId } from './git';
import { describeMachine, type MachineInfo } from './machine';
import { opsOf } from './parse';
import { summarize } from './stats';
import { straceRun } from './syscalls';
import type { Kibibytes, OpsPerSec, Percent, Ratio, RunRecord } from './types';

export const SCORECARD_SCHEMA = 'perfgate/scorecard@1';

/** An allocator to measure: `lib` is the LD_PRELOAD library; undefined is glibc's malloc. */
export interface AllocatorSpec {
  name: string;
  lib?: string;
}

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
const KNOWN: Record<string, { file: string; pkg: string }> = {
  mimalloc: { file: 'libmimalloc.so.2', pkg: 'libmimalloc2.0' },
  jemalloc: { file: 'libjemalloc.so.2', pkg: 'libjemalloc2' },
  tcmalloc: { file: 'libtcmalloc_minimal.so.4', pkg: 'libtcmalloc-minimal4' },
};

export const DEFAULT_ALLOCATORS = ['ours', 'glibc', 'mimalloc', 'jemalloc', 'tcmalloc'];

export interface ResolvedAllocator extends AllocatorSpec {
  /** 'ours' means: each benchmark's configured preload. */
  ours: boolean;
  available: boolean;
  reason?: string;
}

/** Resolves names (ours, glibc, mimalloc, jemalloc, tcmalloc) or NAME=/path/lib.so. */
export function resolveAllocators(names: readonly string[]): ResolvedAllocator[] {
  return names.map((raw) => {
    const [name, path] = raw.includes('=') ? (raw.split('=', 2) as [string, string]) : [raw, undefined];
    if (name === 'ours') return { name, ours: true, available: true };
    if (name === 'glibc') return { name, ours: false, available: true };
    if (path !== undefined)
      return existsSync(path)
        ? { name, lib: path, ours: false, available: true }
        : { name, lib: path, ours: false, available: false, reason: `${path} does not exist` };
    const known = KNOWN[name];
    if (!known)
      return {
        name,
        ours: false,
        available: false,
        reason: `unknown allocator '${name}': use ours, glibc, ${Object.keys(KNOWN).join(', ')}, or NAME=/path/to/lib.so`,
      };
    const lib = LIB_DIRS.map((d) => `${d}/${known.file}`).find((p) => existsSync(p));
    return lib
      ? { name, lib, ours: false, available: true }
      : { name, ours: false, available: false, reason: `${known.file} not found: install the Debian package '${known.pkg}'` };
  });
}

export interface ScoreEntry {
  allocator: string;
  medianOpsPerSec?: OpsPerSec;
  cvPct?: Percent;
  ratioToMimalloc?: Ratio;
  maxRssKb?: Kibibytes;
  syscallsPerOp?: number;
  /** 1 = fastest among the allocators that ran. */
  rank?: number;
  failure?: string;
}

export interface Scorecard {
  schema: typeof SCORECARD_SCHEMA;
  createdAt: string;
  ref: string;
  sha: string;
  subject?: string;
  rounds: number;
  machine: MachineInfo;
  allocators: ResolvedAllocator[];
  benchmarks: { name: string; entries: ScoreEntry[] }[];
}

export interface RebaseOptions {
  cwd: string;
  config: Config;
  /** Commit to measure; undefined measures the working tree. */
  ref?: string;
  allocators: readonly string[];
  rounds?: number;
  onProgress?: (message: string) => void;
}

function scoreBenchmark(
  spec: BenchmarkSpec,
  runs: Map<string, RunRecord[]>,
  syscalls: Map<string, number | undefined>,
  allocators: ResolvedAllocator[],
): ScoreEntry[] {
  const entries: ScoreEntry[] = allocators
    .filter((a) => a.available)
    .map((a) => {
      const rs = runs.get(a.name) ?? [];
      const failed = rs.find((r) => r.status !== 'ok');
      if (failed) return { allocator: a.name, failure: failed.error ?? failed.status };
      const values = rs.map((r) => r.metrics[spec.metric.name] as number);
      const s = summarize(values);
      return {
        allocator: a.name,
        medianOpsPerSec: s.median,
        cvPct: s.cvPct,
        maxRssKb: median(rs.map((r) => r.maxRssKb ?? 0)),
        syscallsPerOp: syscalls.get(a.name),
      };
    });
  const mi = entries.find((e) => e.allocator === 'mimalloc')?.medianOpsPerSec;
  const sign = spec.metric.higherIsBetter ? -1 : 1;
  const ranked = entries.filter((e) => e.medianOpsPerSec !== undefined).sort((a, b) => sign * (a.medianOpsPerSec! - b.medianOpsPerSec!));
  ranked.forEach((e, i) => (e.rank = i + 1));
  for (const e of entries) if (mi && e.medianOpsPerSec !== undefined) e.ratioToMimalloc = e.medianOpsPerSec / mi;
  return entries;
}

export async function rebase(opts: RebaseOptions): Promise<Scorecard> {
  const { config } = opts;
  const say = opts.onProgress ?? (() => {});
  const root = await repoRoot(opts.cwd);
  const ref = opts.ref ?? 'working tree';
  const sha = opts.ref === undefined ? await workingTreeId(root) : await resolveCommit(root, opts.ref);
  const rounds = opts.rounds ?? config.runs.pairs;
  const allocators = resolveAllocators(opts.allocators);
  for (const a of allocators) if (!a.available) say(`allocator ${a.name} skipped: ${a.reason}`);

  say(`building ${ref} (${sha.slice(0, 12)})`);
  const built = await buildSide({
    repo: root,
    treeId: sha,
    fromWorkingTree: opts.ref === undefined,
    config,
    cacheDir: cacheRoot(),
    useCache: true,
  });
  if (!built.ok || !built.tree) throw new InfrastructureError(`${ref} failed to build:\n${built.logTail.join('\n')}`);
  const tree = built.tree;
  const setup = measureSetup(config);
  const { tools, env } = setup;
  const straceIssue = config.syscallPass.enabled ? await straceProblem(tools.strace) : 'disabled in the config';
  const expand = (s: string) => s.replaceAll('{build}', tree.buildDir).replaceAll('{root}', tree.dir);
  const active = allocators.filter((a) => a.available);

  const card: Scorecard = {
    schema: SCORECARD_SCHEMA,
    createdAt: new Date().toISOString(),
    ref,
    sha,
    subject: opts.ref === undefined ? undefined : await shortLog(root, sha),
    rounds,
    machine: await describeMachine(),
    allocators,
    benchmarks: [],
  };
  for (const spec of config.benchmarks) {
    const argv = spec.argv.map(expand);
    const libOf = (a: ResolvedAllocator) => (a.ours ? (spec.preload ? expand(spec.preload) : undefined) : a.lib);
    const ctx = runContext(setup, spec, tree.dir);
    const runs = new Map<string, RunRecord[]>();
    for (let r = 0; r < config.runs.warmup + rounds; r++) {
      // Rotate the order every round so slow drift favours no allocator.
      const order = active.map((_, i) => active[(i + r) % active.length]!);
      for (const a of order) {
        say(`[${spec.name}] round ${r + 1}/${config.runs.warmup + rounds} ${a.name}`);
        const lib = libOf(a);
        let rec = await runBenchmark(spec, argv, lib, 'head', ctx, { kind: r < config.runs.warmup ? 'warmup' : 'pair', pair: r });
        const mismatch = providerMismatch(rec, lib);
        if (mismatch) rec = { ...rec, status: 'bad_output', error: mismatch };
        if (rec.kind === 'pair' || rec.status !== 'ok') runs.set(a.name, [...(runs.get(a.name) ?? []), rec]);
      }
    }
    const syscalls = new Map<string, number | undefined>();
    if (!straceIssue && tools.strace) {
      for (const a of active) {
        if ((runs.get(a.name) ?? []).some((x) => x.status !== 'ok')) continue;
        say(`[${spec.name}] syscall pass ${a.name}`);
        const s = await straceRun(tools.strace, argv, { cwd: tree.dir, env, preload: libOf(a), timeoutSeconds: spec.timeoutSeconds * 10 });
        const ops = s.ok ? opsOf(s.stdout, spec) : undefined;
        if (s.ok && s.counts && ops) syscalls.set(a.name, config.budgets.syscalls.reduce((n, c) => n + (s.counts![c] ?? 0), 0) / ops);
      }
    }
    card.benchmarks.push({ name: spec.name, entries: scoreBenchmark(spec, runs, syscalls, allocators) });
  }
  return card;
}
