/** The workbench: what every command that measures (compare, calibrate,
 * rebase) does before its first run, done once and the same way: find the
 * repository, resolve refs to trees, build them (cached), set up the
 * measuring environment and describe the machine. It owns the
 * infrastructure error: the thing to compare against could not be had. */
import type { Config } from './config';
import { probeSandbox, type SandboxMode, type SandboxState } from './host/sandbox';
import { sweepStaleScratch } from './host/scratch';
import { describeMachine, type MachineInfo } from './host/machine';
import { measureSetup, type MeasureSetup } from './measure/setup';
import type { Progress } from './measure/progress';
import { straceProblem } from './measure/syscalls';
import { buildSide, type BuildOutcome, type BuiltTree } from './repo/build';
import { cacheRoot } from './repo/cache';
import { defaultBranch, mergeBase, repoRoot, resolveCommit, shortLog, tryResolve, workingTreeId } from './repo/git';
import type { Side } from './types';

/** The base, or the one tree to measure, could not be built or resolved. */
export class InfrastructureError extends Error {}

/** A side of a comparison. For a commit, `treeId` is its SHA; for the
 * working tree (uncommitted changes included) a content hash, and `sha` is
 * HEAD's commit, if any. */
export interface RefInfo {
  ref: string;
  sha?: string;
  treeId: string;
  subject?: string;
}

export interface Refs {
  base: RefInfo;
  head: RefInfo;
}

export function isWorkingTree(ref: RefInfo): boolean {
  return ref.treeId !== ref.sha;
}

export interface Workbench {
  root: string;
  config: Config;
  cacheRoot: string;
  /** Untrusted code (pull requests): built and cached apart from trusted. */
  untrusted: boolean;
  setup: MeasureSetup;
  sandbox: SandboxState;
  machine: MachineInfo;
}

export interface WorkbenchOptions {
  /** Builds and runs in a sandbox: 'auto' when one works here (default: 'off'). */
  sandbox?: SandboxMode;
  /** The code is untrusted (a pull request): its builds are cached apart, so
   * no trusted run ever executes a binary an untrusted job built or could touch. */
  untrusted?: boolean;
}

export async function openWorkbench(cwd: string, config: Config, opts: WorkbenchOptions = {}): Promise<Workbench> {
  const root = await repoRoot(cwd);
  sweepStaleScratch(); // left by a perfgate that was killed outright
  const { sandbox, state } = probeSandbox(opts.sandbox ?? 'off');
  if (state.mode === 'require' && !state.active) throw new InfrastructureError(`the sandbox is required but unavailable: ${state.problem}`);
  return {
    root,
    config,
    cacheRoot: cacheRoot(),
    untrusted: opts.untrusted ?? false,
    setup: measureSetup(config, sandbox),
    sandbox: state,
    machine: await describeMachine(),
  };
}

/** `ref` as a commit, or the working tree when `ref` is undefined. `label`
 * names it in reports (default: the ref as given). */
export async function resolveTree(root: string, ref: string | undefined, label?: string): Promise<RefInfo> {
  if (ref === undefined) {
    const sha = await tryResolve(root, 'HEAD');
    return { ref: label ?? 'working tree', sha, treeId: await workingTreeId(root), subject: sha ? await shortLog(root, sha) : undefined };
  }
  const sha = await resolveCommit(root, ref);
  return { ref: label ?? ref, sha, treeId: sha, subject: await shortLog(root, sha) };
}

/** Base and head as the CLI names them: head defaults to the working tree,
 * base to the merge-base of head and the default branch (else HEAD). */
export async function resolveRefs(root: string, base: string | undefined, head: string | undefined): Promise<Refs> {
  const h = await resolveTree(root, head);
  if (base !== undefined) return { base: await resolveTree(root, base), head: h };
  const branch = await defaultBranch(root);
  const mb = branch ? await mergeBase(root, h.sha ?? 'HEAD', branch) : undefined;
  return { base: await resolveTree(root, mb ?? 'HEAD', branch && mb ? `merge-base(${branch})` : 'HEAD'), head: h };
}

/** Builds one ref in its own copy of the tree, reporting progress as `side`. */
export async function buildRef(
  wb: Workbench,
  ref: RefInfo,
  side: Side,
  opts: { useCache?: boolean; progress?: Progress } = {},
): Promise<BuildOutcome> {
  const progress = opts.progress ?? (() => {});
  progress({ type: 'build', side, state: 'start' });
  const b = await buildSide({
    repo: wb.root,
    treeId: ref.treeId,
    fromWorkingTree: isWorkingTree(ref),
    config: wb.config,
    cacheRoot: wb.cacheRoot,
    untrusted: wb.untrusted,
    compiler: wb.machine.compiler,
    sandbox: wb.setup.sandbox,
    useCache: opts.useCache ?? true,
  });
  progress({ type: 'build', side, state: b.ok ? (b.tree?.cached ? 'cached' : 'done') : 'failed', seconds: b.seconds });
  return b;
}

/** The built tree, or an infrastructure error saying what failed to build. */
export function requireBuilt(b: BuildOutcome, what: string): BuiltTree {
  if (b.ok && b.tree) return b.tree;
  throw new InfrastructureError(`${what} failed to build, so there is nothing to measure against:\n${b.logTail.join('\n')}`);
}

/** Why syscalls cannot be counted here (disabled, strace missing, ptrace denied), if so. */
export async function syscallProblem(wb: Workbench): Promise<string | undefined> {
  return wb.config.syscallPass.enabled ? straceProblem(wb.setup.tools.strace) : 'the syscall pass is disabled in the config';
}
