/** The sandbox builds and benchmarks run in, with bubblewrap: a PID
 * namespace of their own (they cannot see, signal or read the environment of
 * perfgate or the runner, and everything they start dies with them), a
 * private /tmp, the whole file system read-only, and the user's home and the
 * runner's directories (credentials, the checkout's git config, the event
 * file) hidden. Only the tree being built or run, and the run's own scratch
 * directory, are writable. Timing is unaffected: the namespaces are set up
 * before the command starts, and resource figures come from GNU time inside. */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';

import { PACKAGE_OF, which } from './tools';

export type SandboxMode = 'auto' | 'require' | 'off';
export const SANDBOX_MODES: readonly SandboxMode[] = ['auto', 'require', 'off'];

/** A working sandbox: the bwrap binary and the directories it hides. */
export interface Sandbox {
  bwrap: string;
  hidden: string[];
}

/** What the report says about the sandbox. */
export interface SandboxState {
  mode: SandboxMode;
  active: boolean;
  /** Why it is not active, and how to make it so, when mode is not 'off'. */
  problem?: string;
}

const USERNS_FIX =
  'allow unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1; on Ubuntu 23.10 and later ' +
  'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap), or run the runner as root';

/** Directories a build must not read: the home directory and the runner's
 * work, temp and tool directories, from the environment perfgate runs in. */
export function hiddenDirs(env: NodeJS.ProcessEnv): string[] {
  const candidates = [
    env.HOME,
    env.GITHUB_WORKSPACE,
    env.RUNNER_WORKSPACE && dirname(env.RUNNER_WORKSPACE), // the runner's _work: every checkout, _temp, _actions
    env.RUNNER_TEMP,
    env.RUNNER_TOOL_CACHE,
  ];
  const dirs = candidates
    .filter((d): d is string => typeof d === 'string' && isAbsolute(d))
    .map((d) => resolve(d))
    .filter((d) => d !== '/' && existsSync(d) && statSync(d).isDirectory());
  // An ancestor hides its descendants already; mounting both would undo nothing but cost a mount.
  const unique = [...new Set(dirs)].sort();
  return unique.filter((d) => !unique.some((o) => o !== d && d.startsWith(`${o}/`)));
}

/** The object to bind for `file`, if it may be bound into the sandbox on request: an ELF object
 * (all ld.so could preload), outside every hidden directory, symlinks resolved; the resolved path
 * is the one checked and the one bound. The request is a path from a config, which with
 * `config-source: head` a pull request writes: it must not open a token file, the checkout's git
 * config or the runner's directories to the code it runs. */
function bindable(file: string, hidden: readonly string[]): string | undefined {
  let fd: number | undefined;
  try {
    const path = realpathSync(file); // a link out of /tmp into a hidden directory is inside it
    if (hidden.some((d) => path === d || path.startsWith(`${d}/`))) return undefined;
    fd = openSync(path, 'r');
    if (!fstatSync(fd).isFile()) return undefined;
    const magic = Buffer.alloc(4);
    return readSync(fd, magic, 0, 4, 0) === 4 && magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) ? path : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The command line that runs `argv` in the sandbox, with `cwd` and `writable` bound read-write and
 * the files `readable` (an allocator given by path under /tmp, which the sandbox replaces) read-only
 * where `bindable`. */
export function sandboxArgv(
  sb: Sandbox,
  argv: readonly string[],
  cwd: string,
  writable: readonly string[],
  readable: readonly string[] = [],
): string[] {
  const args = [sb.bwrap, '--die-with-parent', '--new-session', '--unshare-pid', '--unshare-ipc'];
  args.push('--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp');
  for (const d of sb.hidden) args.push('--tmpfs', d);
  for (const f of new Set(readable)) {
    const object = bindable(f, sb.hidden);
    if (object !== undefined) args.push('--ro-bind', object, f);
  }
  for (const d of new Set([cwd, ...writable])) args.push('--bind', d, d);
  args.push('--chdir', cwd, '--', ...argv);
  return args;
}

/** Whether a sandbox can be set up here; `active` when it works and was asked for. */
export function probeSandbox(mode: SandboxMode, env: NodeJS.ProcessEnv = process.env): { sandbox?: Sandbox; state: SandboxState } {
  if (mode === 'off') return { state: { mode, active: false } };
  const bwrap = which('bwrap');
  if (!bwrap)
    return {
      state: { mode, active: false, problem: `bubblewrap is not installed (apt-get install ${PACKAGE_OF.bwrap})` },
    };
  const sandbox = { bwrap, hidden: hiddenDirs(env) };
  const [file, ...args] = sandboxArgv(sandbox, ['true'], tmpdir(), []);
  const r = spawnSync(file!, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().split('\n')[0];
    return { state: { mode, active: false, problem: `bwrap cannot create namespaces here (${why}): ${USERNS_FIX}` } };
  }
  return { sandbox, state: { mode, active: true } };
}
