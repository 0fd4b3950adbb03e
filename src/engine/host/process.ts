/** Spawning a command: argument array (never a shell), a given environment,
 * its own process group, and a timeout that kills the whole group; in the
 * sandbox when one is given. */
import { execa } from 'execa';

import { sandboxArgv, type Sandbox } from './sandbox';

export interface ProcessRequest {
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  /** Run inside this sandbox, with `cwd` and `writable` the only writable directories. */
  sandbox?: Sandbox;
  writable?: readonly string[];
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
}

const MAX_OUTPUT = 64 * 1024 * 1024;

export async function runProcess(req: ProcessRequest): Promise<ProcessResult> {
  if (req.argv.length === 0) throw new Error('runProcess: empty argv');
  const [file, ...args] = req.sandbox ? sandboxArgv(req.sandbox, req.argv, req.cwd, req.writable ?? []) : req.argv;
  const start = process.hrtime.bigint();
  const child = execa(file!, args, {
    cwd: req.cwd,
    env: req.env,
    extendEnv: false,
    reject: false,
    detached: true, // own process group, so a timeout kills grandchildren too
    stdin: 'ignore',
    stripFinalNewline: false,
    maxBuffer: MAX_OUTPUT,
    encoding: 'utf8',
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }, req.timeoutSeconds * 1000);
  const r = await child;
  clearTimeout(timer);
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  // bwrap reports a command it could not start on stderr, with status 1.
  const jailed = req.sandbox && r.exitCode === 1 ? /^bwrap: execvp [^\n]*: (.*)$/m.exec(stderr) : null;
  const spawnFailed = r.failed && r.exitCode === undefined && r.signal === undefined && !timedOut;
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr,
    wallSeconds,
    spawnError: jailed ? jailed[1] : spawnFailed ? (r.originalMessage ?? r.shortMessage) : undefined,
  };
}

/** The last `n` non-empty lines of a text. */
export function tail(text: string, n = 20): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l !== '')
    .slice(-n);
}
