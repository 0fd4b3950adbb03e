/** Deterministic counters: user-space instructions of one run, from
 * hardware counters (`perf stat -e instructions:u`) where the machine has
 * them, else from valgrind (cachegrind without cache simulation), which counts
 * instructions exactly and repeatably on any machine. A 1 % change in
 * instructions per op is visible where wall-clock noise is 5 %. */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { BenchmarkSpec } from '../config';
import { which } from '../host/tools';
import type { BuiltTree } from '../repo/build';
import type { Side } from '../types';
import { opsOf } from './parse';
import { preloadFiles, preloadIgnored } from './preload';
import { runProcess, tail } from '../host/process';
import { scratchDir } from '../host/scratch';
import type { Progress } from './progress';
import { sideCommand, type Launch, type PassRunOptions } from './setup';

export type CounterTool = 'perf' | 'valgrind';

export interface CounterProbe {
  tool?: CounterTool;
  /** Why perf was not used (and valgrind, if neither). */
  note: string;
}

/** Whether `perf stat -e instructions:u` counts on this machine: 'missing'
 * (no perf), 'unsupported' (no hardware counters, common on VMs) or 'ok'. */
export async function probePerf(env: Record<string, string>): Promise<'ok' | 'missing' | 'unsupported'> {
  const perf = which('perf');
  if (!perf) return 'missing';
  const r = await runProcess({ argv: [perf, 'stat', '-x,', '-e', 'instructions:u', 'true'], cwd: tmpdir(), env, timeoutSeconds: 30 });
  const count = /^(\d+),/m.exec(r.stderr);
  return r.exitCode === 0 && count && Number(count[1]) > 0 ? 'ok' : 'unsupported';
}

const PERF_MISSING = "perf is not installed (Debian package 'linux-perf')";
const PERF_UNSUPPORTED = 'hardware counters are not available here (perf: instructions:u <not supported>)';

/** Which counter works here: perf if it counts instructions:u, else valgrind. */
export async function probeCounters(env: Record<string, string>): Promise<CounterProbe> {
  const perf = await probePerf(env);
  if (perf === 'ok') return { tool: 'perf', note: 'perf stat -e instructions:u' };
  const note = perf === 'missing' ? PERF_MISSING : PERF_UNSUPPORTED;
  if (which('valgrind')) return { tool: 'valgrind', note: `${note}; using valgrind (cachegrind) instead` };
  return { note: `${note}, and valgrind is not installed (Debian package 'valgrind')` };
}

export interface CountResult {
  ok: boolean;
  instructions?: number;
  stdout: string;
  error?: string;
}

/** Counts the user-space instructions of one run of argv. */
export async function countInstructions(tool: CounterTool, argv: readonly string[], opts: PassRunOptions): Promise<CountResult> {
  const dir = scratchDir('count');
  const out = join(dir, 'counts.txt');
  const target = opts.preload ? ['env', `LD_PRELOAD=${opts.preload}`, ...argv] : [...argv];
  const cmd =
    tool === 'perf'
      ? ['perf', 'stat', '-x,', '-e', 'instructions:u', '-o', out, '--', ...target]
      : [
          'valgrind',
          '--tool=cachegrind',
          '--cache-sim=no',
          '--cachegrind-out-file=/dev/null',
          '--trace-children=yes',
          `--log-file=${out}`,
          ...target,
        ];
  try {
    const r = await runProcess({ ...opts, argv: cmd, writable: [dir], readable: preloadFiles(opts.preload) });
    if (r.timedOut) return { ok: false, stdout: r.stdout, error: `the counted run did not finish within ${opts.timeoutSeconds} s` };
    if (r.exitCode !== 0 || r.signal)
      return {
        ok: false,
        stdout: r.stdout,
        error: `the counted run failed (${r.signal ?? `exit ${r.exitCode}`}): ${tail(r.stderr, 2).join(' | ')}`,
      };
    const ignored = preloadIgnored(r.stderr, opts.preload);
    if (ignored) return { ok: false, stdout: r.stdout, error: ignored };
    let text = '';
    try {
      text = readFileSync(out, 'utf8');
    } catch {
      return { ok: false, stdout: r.stdout, error: `${tool} wrote no counts` };
    }
    const m = tool === 'perf' ? /^(\d+),[^,]*,instructions:u/m.exec(text) : [...text.matchAll(/I\s+refs:\s+([\d,]+)/g)].pop();
    const n = m ? Number(m[1]!.replaceAll(',', '')) : NaN;
    return Number.isFinite(n) && n > 0
      ? { ok: true, instructions: n, stdout: r.stdout }
      : { ok: false, stdout: r.stdout, error: `${tool} reported no instruction count` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Instructions per op of each side, or why they are missing. */
export interface InstructionCounts {
  tool?: CounterTool;
  base?: number;
  head?: number;
  error?: string;
}

/** Instructions per op of one counted run of the benchmark's reduced command (`instructions.argv`,
 * else its argv) in `tree` with `preload` (the benchmark's own, or an allocator's; none for glibc), or why not. */
export async function instructionsPerOp(
  tool: CounterTool,
  spec: BenchmarkSpec,
  tree: BuiltTree,
  where: Launch,
  preload: string | undefined,
): Promise<{ perOp?: number; error?: string }> {
  const cmd = sideCommand(spec, tree, spec.instructions?.argv ?? spec.argv);
  const r = await countInstructions(tool, cmd.argv, {
    cwd: tree.dir,
    env: where.env,
    sandbox: where.sandbox,
    preload,
    timeoutSeconds: spec.timeoutSeconds * 100,
  });
  const ops = r.ok ? opsOf(r.stdout, spec) : undefined;
  return r.ok && r.instructions && ops
    ? { perOp: r.instructions / ops }
    : { error: r.error ?? 'the counted run reported no operation count' };
}

/** One counted run per side of the benchmark's reduced command. */
export async function instructionPass(
  spec: BenchmarkSpec,
  trees: Record<Side, BuiltTree>,
  where: Launch,
  probe: CounterProbe,
  progress: Progress,
): Promise<InstructionCounts> {
  if (!probe.tool) return { error: probe.note };
  const out: InstructionCounts = { tool: probe.tool };
  for (const side of ['base', 'head'] as const) {
    progress({ type: 'counters', benchmark: spec.name, side, tool: probe.tool });
    const r = await instructionsPerOp(probe.tool, spec, trees[side], where, sideCommand(spec, trees[side]).preload);
    if (r.perOp === undefined) return { tool: probe.tool, error: `${side}: ${r.error}` };
    out[side] = r.perOp;
  }
  return out;
}
