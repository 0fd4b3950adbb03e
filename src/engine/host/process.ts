/** Spawning a command: argument array (never a shell), a given environment,
 * its own process group, in the sandbox when one is given. Everything it
 * starts dies with it: when the main process exits or times out, its group
 * is killed, and so is every process still carrying the run's marker in its
 * environment (a daemon that left the group with setsid); in the sandbox the
 * PID namespace does this, and a small wrapper counts what was left. Output
 * is bounded: stdout up to a cap (beyond it the run is killed and flagged),
 * stderr as a tail. A cancelled perfgate (cancel.ts) kills every live run. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

import { CancelledError, isCancelled, onCancel } from './cancel';
import { sandboxArgv, type Sandbox } from './sandbox';

export interface ProcessRequest {
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  /** Run inside this sandbox, with `cwd` and `writable` the only writable directories. */
  sandbox?: Sandbox;
  writable?: readonly string[];
  /** Files the sandboxed process may read wherever they are (a preloaded allocator). */
  readable?: readonly string[];
  /** 'capture': stdout whole, up to STDOUT_CAP (a benchmark's result);
   * 'tail': only its last bytes (a build log). Default 'capture'. */
  stdout?: 'capture' | 'tail';
  /** The executable of a tracer in argv that waits for every descendant of
   * the command it runs (strace -f): once that command has exited, what it
   * left behind is killed, or the tracer would wait for it. */
  tracer?: string;
}

export interface ProcessResult {
  exitCode?: number;
  signal?: string;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  /** Set when the command could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
  /** stdout passed STDOUT_CAP: the run was killed and stdout cut there. */
  outputOverflow?: boolean;
  /** Processes the command left running when it exited (all killed). */
  strays: number;
}

/** What a benchmark may print to stdout; far beyond any result line. */
export const STDOUT_CAP = 16 * 1024 * 1024;
/** What is kept of stderr (and of a build's stdout): the end. */
export const TAIL_BYTES = 256 * 1024;
/** A line of a tail longer than this is cut. */
export const TAIL_LINE_CHARS = 500;
/** The variable that marks every process of one run. */
export const RUN_MARKER = 'PERFGATE_RUN_ID';
const STRAYS_TAG = 'perfgate-strays:';

/** Bytes kept either from the start up to a cap, or as the last `max`. */
class Bounded {
  private chunks: Buffer[] = [];
  private size = 0;
  overflow = false;

  constructor(
    private readonly max: number,
    private readonly keep: 'head' | 'tail',
  ) {}

  /** False once a head buffer is full. */
  push(b: Buffer): boolean {
    if (this.keep === 'head') {
      if (this.size + b.length > this.max) {
        this.chunks.push(b.subarray(0, this.max - this.size));
        this.size = this.max;
        this.overflow = true;
        return false;
      }
    }
    this.chunks.push(b);
    this.size += b.length;
    while (this.keep === 'tail' && this.size - this.chunks[0]!.length >= this.max) this.size -= this.chunks.shift()!.length;
    return true;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

const live = new Set<ChildProcess>();

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

onCancel(() => {
  for (const c of live) killGroup(c.pid);
});

/** Kills every process whose environment carries `marker`, except those in
 * `spare`; returns how many. */
export function reapMarked(marker: string, spare: ReadonlySet<number> = new Set()): number {
  const needle = `${RUN_MARKER}=${marker}`;
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || spare.has(Number(entry))) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue; // gone, or not ours to read
    }
    if (!env.split('\0').includes(needle)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      n++;
    } catch {
      /* exited meanwhile */
    }
  }
  return n;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const childrenOf = (pid: number): number[] => readOr(`/proc/${pid}/task/${pid}/children`).split(' ').filter(Boolean).map(Number);
/** Gone, or a zombie (a traced process stays one until its tracer reaps it). */
const ended = (pid: number): boolean => /^\d+ \(.*\) Z/.test(readOr(`/proc/${pid}/stat`)) || readOr(`/proc/${pid}/stat`) === '';

/** Watches the descendants of `root` for the process running `tracer`; once
 * the tracer has no live child (the traced command, its only direct child,
 * has ended), kills the marked processes other than the tracer and its
 * ancestors. Returns a stop function that reports how many it killed. */
function watchTracer(root: number, tracer: string, marker: string): () => number {
  let chain: number[] | undefined;
  let killed = 0;
  const since = Date.now();
  const find = (pid: number, path: number[]): number[] | undefined => {
    if (readOr(`/proc/${pid}/cmdline`).split('\0')[0] === tracer) return [...path, pid];
    for (const c of childrenOf(pid)) {
      const hit = find(c, [...path, pid]);
      if (hit) return hit;
    }
    return undefined;
  };
  const timer = setInterval(() => {
    chain ??= find(root, []);
    // The tracer forks the command at once: 200 ms in, no live child means it has ended.
    if (!chain || Date.now() - since < 200 || !childrenOf(chain.at(-1)!).every(ended)) return;
    killed += reapMarked(marker, new Set(chain));
  }, 100);
  return () => {
    clearInterval(timer);
    return killed;
  };
}

/** In the sandbox: run the command, then count the processes left in the
 * PID namespace besides its init (1) and this shell (2), with builtins only. */
function countingWrapper(argv: readonly string[]): string[] {
  const script = `"$@"; s=$?; n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo "${STRAYS_TAG} $((n-2))" >&2; exit $s`;
  return ['/bin/sh', '-c', script, 'perfgate-run', ...argv];
}

export async function runProcess(req: ProcessRequest): Promise<ProcessResult> {
  if (req.argv.length === 0) throw new Error('runProcess: empty argv');
  if (isCancelled()) throw new CancelledError();
  const marker = randomUUID();
  const [file, ...args] = req.sandbox
    ? sandboxArgv(req.sandbox, countingWrapper(req.argv), req.cwd, req.writable ?? [], req.readable)
    : req.argv;
  const start = process.hrtime.bigint();
  const child = spawn(file!, args, {
    cwd: req.cwd,
    env: { ...req.env, [RUN_MARKER]: marker },
    detached: true, // its own process group, killed whole
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const out = new Bounded(req.stdout === 'tail' ? TAIL_BYTES : STDOUT_CAP, req.stdout === 'tail' ? 'tail' : 'head');
  const err = new Bounded(TAIL_BYTES, 'tail');
  child.stdout.on('data', (d: Buffer) => {
    if (!out.push(d)) killGroup(child.pid);
  });
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const closed = new Promise<void>((ok) => child.on('close', () => ok()));

  const stopWatching = req.tracer && child.pid !== undefined ? watchTracer(child.pid, req.tracer, marker) : () => 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, req.timeoutSeconds * 1000);
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: Error }>((ok) => {
    child.once('exit', (code, signal) => ok({ code, signal }));
    child.once('error', (error) => ok({ error }));
  });
  clearTimeout(timer);
  const traced = stopWatching();
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  // The main process is gone: whatever it left behind dies now, so its pipes
  // close. The marker finds them in its group and out of it (setsid).
  const marked = reapMarked(marker);
  killGroup(child.pid);
  await Promise.race([closed, new Promise((ok) => setTimeout(ok, 2000))]);
  child.stdout.destroy();
  child.stderr.destroy();
  live.delete(child);
  if (isCancelled()) throw new CancelledError();

  let stderr = err.text();
  let strays = marked + traced;
  const counted = new RegExp(`^${STRAYS_TAG} (\\d+)\\n?`, 'm').exec(stderr);
  if (req.sandbox && counted) {
    strays = traced + Number(counted[1]);
    stderr = stderr.slice(0, counted.index) + stderr.slice(counted.index + counted[0].length);
  }
  if ('error' in ended) return { timedOut, stdout: '', stderr, wallSeconds, spawnError: ended.error.message, strays };
  // In the sandbox the wrapper shell reports a command it could not start (126, 127).
  const jailed = req.sandbox && (ended.code === 126 || ended.code === 127) ? /^perfgate-run: \d+: (.*)$/m.exec(stderr) : null;
  return {
    exitCode: ended.code ?? undefined,
    signal: ended.signal ?? undefined,
    timedOut,
    stdout: out.text(),
    stderr,
    wallSeconds,
    spawnError: jailed ? jailed[1] : undefined,
    outputOverflow: out.overflow || undefined,
    strays,
  };
}

/** The last `n` non-empty lines of a text, each cut to TAIL_LINE_CHARS. */
export function tail(text: string, n = 20): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l !== '')
    .slice(-n)
    .map((l) => (l.length > TAIL_LINE_CHARS ? `${l.slice(0, TAIL_LINE_CHARS)}… (${l.length} characters)` : l));
}
