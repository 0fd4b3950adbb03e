/** Git plumbing. perfgate reads the user's repository (and fetches into it
 * what a shallow clone lacks); it never changes the working tree, the index,
 * the stash, any branch, or the list of worktrees. */
import { createHash } from 'node:crypto';
import { copyFileSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { execa } from 'execa';

import { scratchDir } from '../host/scratch';

export class GitError extends Error {}

async function git(cwd: string, args: string[], allowFail = false): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await execa('git', args, { cwd, reject: false, stdin: 'ignore', encoding: 'utf8' });
  const ok = r.exitCode === 0;
  if (!ok && !allowFail) throw new GitError(`git ${args.join(' ')} failed: ${String(r.stderr).trim() || r.shortMessage}`);
  return { ok, out: String(r.stdout).trim(), err: String(r.stderr).trim() };
}

export async function repoRoot(cwd: string): Promise<string> {
  const r = await git(cwd, ['rev-parse', '--show-toplevel'], true);
  if (!r.ok) throw new GitError(`${cwd} is not inside a git repository (perfgate compares commits): ${r.err}`);
  return r.out;
}

/** The commit a ref names, or undefined when this clone does not have it. */
export async function tryResolve(root: string, ref: string): Promise<string | undefined> {
  const r = await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], true);
  return r.ok ? r.out : undefined;
}

async function hasRemote(root: string): Promise<boolean> {
  const r = await git(root, ['remote'], true);
  return r.ok && r.out.split('\n').includes('origin');
}

/** Resolves `ref`, fetching it from origin when the clone lacks it (shallow
 * clones in CI); otherwise explains how to fix it. */
export async function resolveCommit(root: string, ref: string): Promise<string> {
  const sha = await tryResolve(root, ref);
  if (sha) return sha;
  if (await hasRemote(root)) {
    await git(root, ['fetch', '--no-tags', '--quiet', 'origin', ref], true);
    const fetched = (await tryResolve(root, ref)) ?? (await tryResolve(root, 'FETCH_HEAD'));
    if (fetched) return fetched;
  }
  throw new GitError(
    `cannot find '${ref}' in this clone. If it is a shallow clone, fetch more history ` +
      `(git fetch --unshallow, or actions/checkout with fetch-depth: 0), or pass --base with a ref that exists`,
  );
}

/** The default branch: origin's HEAD if known, else main or master. */
export async function defaultBranch(root: string): Promise<string | undefined> {
  const head = await git(root, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], true);
  if (head.ok && head.out) return head.out;
  for (const name of ['origin/main', 'origin/master', 'main', 'master']) if (await tryResolve(root, name)) return name;
  return undefined;
}

/** The URL of the `origin` remote, if there is one. */
export async function originUrl(root: string): Promise<string | undefined> {
  const r = await git(root, ['remote', 'get-url', 'origin'], true);
  return r.ok && r.out ? r.out : undefined;
}

/** The https address of a repository from a git remote URL (scp-like or URL, credentials dropped), for commit links. */
export function webUrlOfRemote(remote: string): string | undefined {
  const scp = /^[\w.-]+@([\w.-]+):([\w./-]+?)(?:\.git)?\/?$/.exec(remote.trim());
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  try {
    const u = new URL(remote.trim());
    if (!['https:', 'http:', 'ssh:', 'git:'].includes(u.protocol) || !u.hostname) return undefined;
    const host = u.protocol.startsWith('http') ? u.host : u.hostname; // an ssh port is not the web server's
    return `https://${host}${u.pathname.replace(/\.git$/, '').replace(/\/$/, '')}`;
  } catch {
    return undefined;
  }
}

/** Merge-base of a and b; deepens a shallow clone once when it is missing. */
export async function mergeBase(root: string, a: string, b: string): Promise<string | undefined> {
  let r = await git(root, ['merge-base', a, b], true);
  if (!r.ok && (await git(root, ['rev-parse', '--is-shallow-repository'], true)).out === 'true' && (await hasRemote(root))) {
    await git(root, ['fetch', '--no-tags', '--quiet', '--deepen=200', 'origin'], true);
    r = await git(root, ['merge-base', a, b], true);
  }
  return r.ok ? r.out : undefined;
}

/** Writes commit `sha`'s files into `dest` through a private index file:
 * nothing is registered in the repository (no worktree to go stale if
 * perfgate is killed), and checkout filters and line endings apply as in a
 * checkout. */
export async function materializeCommit(root: string, sha: string, dest: string): Promise<void> {
  const tmp = scratchDir('index');
  try {
    const env = { ...process.env, GIT_INDEX_FILE: join(tmp, 'index') };
    for (const args of [
      ['read-tree', sha],
      ['checkout-index', '--all', `--prefix=${dest.endsWith('/') ? dest : `${dest}/`}`],
    ]) {
      const r = await execa('git', args, { cwd: root, env, reject: false, stdin: 'ignore', encoding: 'utf8' });
      if (r.exitCode !== 0) throw new GitError(`git ${args.join(' ')} failed: ${String(r.stderr).trim() || r.shortMessage}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Files of the working tree as git sees them: tracked and untracked-but-not-ignored. */
async function workingTreeFiles(root: string): Promise<string[]> {
  const r = await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  const files = [...new Set(r.out.split('\0').filter((f) => f !== ''))];
  return files.filter((f) => {
    try {
      const st = lstatSync(join(root, f));
      return st.isFile() || st.isSymbolicLink();
    } catch {
      return false; // deleted in the working tree
    }
  });
}

/** A content hash of the working tree (with uncommitted changes). */
export async function workingTreeId(root: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of (await workingTreeFiles(root)).sort()) {
    const p = join(root, f);
    const st = lstatSync(p);
    h.update(f)
      .update('\0')
      .update(String(st.mode & 0o111))
      .update('\0');
    h.update(st.isSymbolicLink() ? readlinkSync(p) : readFileSync(p)).update('\0');
  }
  return `worktree-${h.digest('hex').slice(0, 16)}`;
}

/** Copies the working tree (uncommitted changes included) into `dest`. */
export async function materializeWorkingTree(root: string, dest: string): Promise<void> {
  for (const f of await workingTreeFiles(root)) {
    const src = join(root, f);
    const to = join(dest, f);
    mkdirSync(dirname(to), { recursive: true });
    if (lstatSync(src).isSymbolicLink()) symlinkSync(readlinkSync(src), to);
    else copyFileSync(src, to);
  }
}

/** The text of `path` in commit `sha`, or undefined when the commit has no such file. */
export async function readFileAt(root: string, sha: string, path: string): Promise<string | undefined> {
  const r = await execa('git', ['show', `${sha}:${path.replace(/^\.\//, '')}`], {
    cwd: root,
    reject: false,
    stdin: 'ignore',
    encoding: 'utf8',
    stripFinalNewline: false,
  });
  return r.exitCode === 0 ? String(r.stdout) : undefined;
}

/** The commits after `from` up to and including `to` on `to`'s first-parent
 * chain, oldest first; empty when `from` is not an ancestor of `to`. */
export async function firstParentChain(root: string, from: string, to: string): Promise<string[]> {
  if (!(await git(root, ['merge-base', '--is-ancestor', from, to], true)).ok) return [];
  const r = await git(root, ['rev-list', '--first-parent', '--reverse', `${from}..${to}`]);
  const chain = r.out.split('\n').filter(Boolean);
  // A first-parent walk from `to` may step past `from` over a merge; keep it only if it passes through `from`.
  const parent = chain.length ? (await git(root, ['rev-parse', `${chain[0]}^`], true)).out : '';
  return parent === (await git(root, ['rev-parse', from])).out ? chain : [];
}

/** A commit's first parent (none for a root commit) and committer date (ISO 8601, UTC, as createdAt). */
export async function commitFacts(root: string, sha: string): Promise<{ parent?: string; committedAt?: string }> {
  const r = await git(root, ['log', '-1', '--format=%ct %P', sha], true);
  const [seconds = '', parent] = r.out.split(' ');
  return { parent: parent || undefined, committedAt: /^\d+$/.test(seconds) ? new Date(Number(seconds) * 1000).toISOString() : undefined };
}

export async function shortLog(root: string, sha: string): Promise<string> {
  return (await git(root, ['log', '-1', '--format=%s', sha], true)).out;
}
