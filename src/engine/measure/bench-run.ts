/** One benchmark run: wrap the command (CPU pinning, GNU time, LD_PRELOAD),
 * run it, and turn what happened into a RunRecord. A crash, a timeout or
 * unreadable output is a result with its reason, never a missing sample. */
import { readFileSync, rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';

import type { BenchmarkSpec } from '../config';
import { OutputError, jsonField, parseOutput } from './parse';
import { preloadFiles, preloadIgnored } from './preload';
import { runProcess, STDOUT_CAP, tail } from '../host/process';
import { scratchDir } from '../host/scratch';
import type { Sandbox } from '../host/sandbox';
import type { RunRecord, Side } from '../types';

export interface RunContext {
  cwd: string;
  env: Record<string, string>;
  sandbox?: Sandbox;
  /** What a run that leaves processes running is: noted (default), or a failed run. */
  leftoverProcesses?: 'note' | 'fail';
  /** CPU to pin to, or undefined. */
  cpu?: number;
  tools: { taskset?: string; gnuTime?: string };
}

const TIME_FORMAT = 'PGTIME %e %U %S %M %R %F %w %c';

interface TimeFile {
  exitCode?: number;
  signal?: string;
  fields?: number[];
}

function signalName(num: number): string {
  const entry = Object.entries(osConstants.signals).find(([, v]) => v === num);
  return entry ? entry[0] : `signal ${num}`;
}

/** GNU time's -o file: optional "Command exited/terminated" line, then ours. */
export function readTimeFile(path: string): TimeFile {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  const out: TimeFile = {};
  const sig = /Command terminated by signal (\d+)/.exec(text);
  if (sig) out.signal = signalName(Number(sig[1]));
  const exit = /Command exited with non-zero status (\d+)/.exec(text);
  if (exit) out.exitCode = Number(exit[1]);
  const line = text.split('\n').find((l) => l.startsWith('PGTIME '));
  if (line) out.fields = line.split(/\s+/).slice(1).map(Number);
  return out;
}

/** The command line actually spawned for `argv`. LD_PRELOAD goes through
 * `env` last, so the wrappers themselves don't run on the allocator under test. */
export function wrapCommand(argv: readonly string[], ctx: RunContext, preload?: string, timeFile?: string): string[] {
  const cmd: string[] = [];
  if (ctx.cpu !== undefined && ctx.tools.taskset) cmd.push(ctx.tools.taskset, '-c', String(ctx.cpu));
  if (timeFile && ctx.tools.gnuTime) cmd.push(ctx.tools.gnuTime, '-o', timeFile, '-f', TIME_FORMAT, '--');
  if (preload) cmd.push('env', `LD_PRELOAD=${preload}`);
  cmd.push(...argv);
  return cmd;
}

function num(json: Record<string, unknown> | undefined, key: string): number | undefined {
  const v = json ? jsonField(json, key) : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export async function runBenchmark(
  spec: BenchmarkSpec,
  argv: readonly string[],
  preload: string | undefined,
  side: Side,
  ctx: RunContext,
  label: Pick<RunRecord, 'kind' | 'pair' | 'position'>,
): Promise<RunRecord> {
  const dir = scratchDir('run');
  const timeFile = ctx.tools.gnuTime ? join(dir, 'time.txt') : undefined;
  try {
    const r = await runProcess({
      argv: wrapCommand(argv, ctx, preload, timeFile),
      cwd: ctx.cwd,
      env: ctx.env,
      timeoutSeconds: spec.timeoutSeconds,
      sandbox: ctx.sandbox,
      writable: [dir],
      readable: preloadFiles(preload),
    });
    const t = timeFile ? readTimeFile(timeFile) : {};
    const f = t.fields ?? [];
    const record: RunRecord = {
      benchmark: spec.name,
      side,
      ...label,
      status: 'ok',
      metrics: {},
      wallSeconds: f[0] ?? r.wallSeconds,
      userSeconds: f[1],
      sysSeconds: f[2],
      maxRssKb: f[3],
      minorFaults: f[4],
      majorFaults: f[5],
      voluntaryCtxSwitches: f[6],
      involuntaryCtxSwitches: f[7],
      leftoverProcesses: r.strays || undefined,
      stderrTail: tail(r.stderr),
    };
    const signal = t.signal ?? r.signal;
    const exitCode = t.exitCode ?? r.exitCode;
    if (r.timedOut) {
      return {
        ...record,
        status: 'timeout',
        signal: 'SIGKILL',
        error: `no result within ${spec.timeoutSeconds} s; the process group was killed`,
      };
    }
    if (r.spawnError) return { ...record, status: 'crash', error: `could not start: ${r.spawnError}` };
    if (r.outputOverflow)
      return { ...record, status: 'bad_output', error: `wrote more than ${STDOUT_CAP / 1024 / 1024} MiB to stdout; killed` };
    if (signal) return { ...record, status: 'crash', signal, error: `killed by ${signal}` };
    if (exitCode !== 0) return { ...record, status: 'crash', exitCode, error: `exited with status ${exitCode}` };
    const ignored = preloadIgnored(r.stderr, preload);
    if (ignored) return { ...record, status: 'bad_output', exitCode, error: ignored };
    if (r.strays && ctx.leftoverProcesses === 'fail')
      return {
        ...record,
        status: 'crash',
        exitCode,
        error: `left ${r.strays} process(es) running after it exited (runs.leftover_processes: fail)`,
      };
    try {
      const cpuSeconds =
        record.userSeconds !== undefined && record.sysSeconds !== undefined ? record.userSeconds + record.sysSeconds : undefined;
      // Wall time from perfgate's own monotonic clock (GNU time's is in 10 ms steps).
      const out = parseOutput(r.stdout, [spec.metric, ...spec.extraMetrics], { wallSeconds: r.wallSeconds, cpuSeconds });
      const j = out.json;
      // Resources come from GNU time, never from what the benchmark says of
      // itself: budgets must not rest on figures the code under test prints.
      return {
        ...record,
        exitCode: 0,
        metrics: out.values,
        ops: spec.ops ?? (spec.opsField ? num(j, spec.opsField) : undefined),
        mallocProvider: typeof j?.malloc_provider === 'string' ? j.malloc_provider : undefined,
        checksum: typeof j?.checksum === 'string' ? j.checksum : undefined,
      };
    } catch (e) {
      if (!(e instanceof OutputError)) throw e;
      const shown = tail(r.stdout, 3).join(' | ').slice(0, 300);
      return { ...record, status: 'bad_output', exitCode: 0, error: `${e.message}; stdout ended with: ${shown || '(nothing)'}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
