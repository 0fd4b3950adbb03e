/** Deterministic counters: user-space instructions of one run, from
 * hardware counters (`perf stat -e instructions:u`) where the machine has
 * them, else from valgrind (cachegrind without cache simulation), which counts
 * instructions exactly and repeatably on any machine. A 1 % change in
 * instructions per op is visible where wall-clock noise is 5 %. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runProcess, tail } from './process';
import { which } from './tools';

export type CounterTool = 'perf' | 'valgrind';

export interface CounterProbe {
  tool?: CounterTool;
  /** Why perf was not used (and valgrind, if neither). */
  note: string;
}

/** Which counter works here: perf if it counts instructions:u, else valgrind. */
export async function probeCounters(env: Record<string, string>): Promise<CounterProbe> {
  const perf = which('perf');
  let note = "perf is not installed (Debian package 'linux-perf')";
  if (perf) {
    const r = await runProcess({ argv: [perf, 'stat', '-x,', '-e', 'instructions:u', 'true'], cwd: tmpdir(), env, timeoutSeconds: 30 });
    const count = /^(\d+),/m.exec(r.stderr);
    if (r.exitCode === 0 && count && Number(count[1]) > 0) return { tool: 'perf', note: 'perf stat -e instructions:u' };
    note = 'hardware counters are not available here (perf: instructions:u <not supported>)';
  }
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
export async function countInstructions(
  tool: CounterTool,
  argv: readonly string[],
  opts: { cwd: string; env: Record<string, string>; preload?: string; timeoutSeconds: number },
): Promise<CountResult> {
  const dir = mkdtempSync(join(tmpdir(), 'perfgate-count-'));
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
    const r = await runProcess({ argv: cmd, cwd: opts.cwd, env: opts.env, timeoutSeconds: opts.timeoutSeconds });
    if (r.timedOut) return { ok: false, stdout: r.stdout, error: `the counted run did not finish within ${opts.timeoutSeconds} s` };
    if (r.exitCode !== 0 || r.signal)
      return {
        ok: false,
        stdout: r.stdout,
        error: `the counted run failed (${r.signal ?? `exit ${r.exitCode}`}): ${tail(r.stderr, 2).join(' | ')}`,
      };
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
