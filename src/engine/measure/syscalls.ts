/** The syscall pass: one extra, untimed run per side under `strace -f -c`,
 * counting the memory-management syscalls. Counts are deterministic for a
 * deterministic benchmark, so budgets on them are hard gates. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import type { BenchmarkSpec } from '../config';
import type { BuiltTree } from '../repo/build';
import { SYSCALLS, type Side, type SyscallCount, type SyscallName, type SyscallPass } from '../types';
import { opsOf } from './parse';
import { preloadFiles, preloadIgnored } from './preload';
import { runProcess, tail } from '../host/process';
import { scratchDir } from '../host/scratch';
import type { Progress } from './progress';
import { sideCommand, type Launch, type PassRunOptions, type SideCommand } from './setup';

export interface StraceRun {
  ok: boolean;
  counts?: SyscallCount['calls'];
  stdout: string;
  /** Why the counts are missing, with the fix, when not ok. */
  reason?: string;
}

/** Parses `strace -c -U calls,name` output: "calls syscall" rows. */
export function parseStraceSummary(text: string): SyscallCount['calls'] {
  const calls: SyscallCount['calls'] = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+([a-z_0-9]+)\s*$/.exec(line);
    if (!m) continue;
    const name = m[2] as SyscallName;
    if (SYSCALLS.includes(name)) calls[name] = (calls[name] ?? 0) + Number(m[1]);
  }
  for (const s of SYSCALLS) calls[s] ??= 0;
  return calls;
}

/** Runs argv under strace. LD_PRELOAD is handed to the tracee only (-E), so
 * strace itself does not run on the allocator under test. */
export async function straceRun(strace: string, argv: readonly string[], opts: PassRunOptions): Promise<StraceRun> {
  const dir = scratchDir('strace');
  const out = join(dir, 'strace.txt');
  try {
    const cmd = [strace, '-f', '-c', '-U', 'calls,name', '-o', out, '-e', `trace=${SYSCALLS.join(',')}`];
    if (opts.preload) cmd.push('-E', `LD_PRELOAD=${opts.preload}`);
    cmd.push('--', ...argv);
    const r = await runProcess({ ...opts, argv: cmd, writable: [dir], readable: preloadFiles(opts.preload), tracer: strace });
    const err = r.stderr;
    if (/ptrace|Operation not permitted|PTRACE_TRACEME/i.test(err) && r.exitCode !== 0) {
      return {
        ok: false,
        stdout: r.stdout,
        reason: `strace could not trace (ptrace denied: ${tail(err, 1)[0] ?? ''}). Allow ptrace: run as root, set kernel.yama.ptrace_scope=0, or give the container CAP_SYS_PTRACE (docker --cap-add=SYS_PTRACE)`,
      };
    }
    if (r.timedOut) return { ok: false, stdout: r.stdout, reason: `the strace run did not finish within ${opts.timeoutSeconds} s` };
    if (r.exitCode !== 0 || r.signal) {
      return {
        ok: false,
        stdout: r.stdout,
        reason: `the benchmark failed under strace (${r.signal ?? `exit ${r.exitCode}`}): ${tail(err, 2).join(' | ')}`,
      };
    }
    const ignored = preloadIgnored(err, opts.preload);
    if (ignored) return { ok: false, stdout: r.stdout, reason: ignored };
    let text: string;
    try {
      text = readFileSync(out, 'utf8');
    } catch {
      return { ok: false, stdout: r.stdout, reason: 'strace wrote no summary' };
    }
    return { ok: true, counts: parseStraceSummary(text), stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether strace can trace here; a reason (with the fix) when it cannot. */
export async function straceProblem(strace: string | undefined): Promise<string | undefined> {
  if (!strace) return 'strace is not installed (Debian package: strace)';
  const r = await straceRun(strace, ['true'], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeoutSeconds: 30,
  });
  return r.ok ? undefined : r.reason;
}

/** One counted run of `cmd`: the calls and the operation count, or why not. */
export async function countSyscalls(
  strace: string,
  spec: BenchmarkSpec,
  cmd: SideCommand,
  cwd: string,
  where: Launch,
): Promise<{ count?: SyscallCount; reason?: string }> {
  const r = await straceRun(strace, cmd.argv, {
    cwd,
    env: where.env,
    sandbox: where.sandbox,
    preload: cmd.preload,
    // Every traced call stops the process twice: on a KVM guest (AMD EPYC,
    // 2026-11-23) 400k mmap+munmap took 0.86 s alone and 28.5 s under
    // strace, 33x, and a limit of 10x left exactly the benchmarks a
    // syscall budget is for unmeasured. The timed runs finished, so this is
    // a limit on ptrace's cost, not a hang detector.
    timeoutSeconds: spec.timeoutSeconds * 100,
  });
  if (!r.ok || !r.counts) return { reason: r.reason ?? 'no counts' };
  return { count: { calls: r.counts, ops: opsOf(r.stdout, spec) } };
}

/** Calls per operation of the `names` syscalls, when the count has an operation count. */
export function syscallsPerOp(count: SyscallCount, names: readonly SyscallName[]): number | undefined {
  return count.ops ? names.reduce((sum, s) => sum + (count.calls[s] ?? 0), 0) / count.ops : undefined;
}

/** The syscall pass of one benchmark: one counted run per side. `problem`
 * (strace missing, ptrace denied, disabled) makes it "not measured". */
export async function syscallPass(
  spec: BenchmarkSpec,
  trees: Record<Side, BuiltTree>,
  where: Launch,
  strace: string | undefined,
  problem: string | undefined,
  progress: Progress,
): Promise<SyscallPass> {
  if (!strace || problem) return { measured: false, reason: problem ?? 'strace is not installed (Debian package: strace)' };
  const pass: SyscallPass = { measured: true };
  for (const side of ['base', 'head'] as const) {
    progress({ type: 'syscalls', benchmark: spec.name, side });
    const r = await countSyscalls(strace, spec, sideCommand(spec, trees[side]), trees[side].dir, where);
    if (!r.count) return { measured: false, reason: `${side}: ${r.reason}` };
    pass[side] = r.count;
  }
  return pass;
}
