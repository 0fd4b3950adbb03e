/** The build cache: one directory per key under CACHE/builds (and
 * CACHE/untrusted/builds for pull requests), a marker written last that
 * makes it a hit and whose mtime is its last use, a lock per key so that two
 * perfgate processes never build into the same directory, and pruning of the
 * least recently used. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import lockfile from 'proper-lockfile';

import type { Config } from '../config';
import { BUILD_ENV_ALLOW } from '../host/env';

export const MARKER = '.perfgate-built';
/** Builds kept by automatic pruning. */
export const KEEP_BUILDS = 30;
/** A build used more recently than this is never pruned: a running compare may be using it. */
const IN_USE_SECONDS = 3600;
/** A lock not refreshed for this long belongs to a perfgate that died. */
const STALE_LOCK_MS = 30_000;

/** `$PERFGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/perfgate`, else `~/.cache/perfgate`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PERFGATE_CACHE_DIR) return env.PERFGATE_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'perfgate');
}

/** Everything that can change what a build produces: the tree, the build
 * command and output, the variables set for it, the compiler variables it
 * inherits, and the compiler's version. */
export function buildKey(treeId: string, config: Config, compiler: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const inherited = Object.fromEntries(BUILD_ENV_ALLOW.map((n) => [n, env[n] ?? null]));
  const settings = JSON.stringify({
    command: config.build.command,
    output: config.build.output,
    set: config.env.set,
    inherited,
    compiler: compiler ?? null,
  });
  return createHash('sha256').update(treeId).update('\0').update(settings).digest('hex').slice(0, 24);
}

export function isBuilt(dir: string): boolean {
  return existsSync(join(dir, MARKER));
}

/** Marks a cached build as used now (its marker's mtime orders pruning). */
export function touch(dir: string): void {
  const now = new Date();
  try {
    utimesSync(join(dir, MARKER), now, now);
  } catch {
    /* pruned meanwhile: the caller already holds its files */
  }
}

/** Runs `fn` holding the lock of build directory `dir`, waiting up to
 * `waitSeconds` for another perfgate that builds it. */
export async function withBuildLock<T>(dir: string, waitSeconds: number, fn: () => Promise<T>): Promise<T> {
  const release = await lockfile.lock(dir, {
    lockfilePath: `${dir}.lock`,
    realpath: false,
    stale: STALE_LOCK_MS,
    retries: { retries: Math.ceil(waitSeconds * 2), factor: 1, minTimeout: 500, maxTimeout: 500 },
    onCompromised: () => {
      /* another process took a lock it judged stale; the marker check after the build still holds */
    },
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}

export interface CachedBuild {
  key: string;
  dir: string;
  /** Seconds since last use; undefined for an unfinished build. */
  ageSeconds?: number;
  bytes: number;
  untrusted: boolean;
}

function sizeOf(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, e) => sum + sizeOf(join(path, e)), 0);
}

/** Every build directory in the cache, newest use first. */
export function listBuilds(root = cacheRoot()): CachedBuild[] {
  const out: CachedBuild[] = [];
  for (const untrusted of [false, true]) {
    const builds = join(root, ...(untrusted ? ['untrusted'] : []), 'builds');
    if (!existsSync(builds)) continue;
    for (const key of readdirSync(builds)) {
      if (key.endsWith('.lock')) continue;
      const dir = join(builds, key);
      const marker = statSync(join(dir, MARKER), { throwIfNoEntry: false });
      out.push({
        key,
        dir,
        ageSeconds: marker ? (Date.now() - marker.mtimeMs) / 1000 : undefined,
        bytes: sizeOf(dir),
        untrusted,
      });
    }
  }
  return out.sort((a, b) => (a.ageSeconds ?? Infinity) - (b.ageSeconds ?? Infinity));
}

/** Removes all but the `keep` most recently used builds of each kind,
 * never one used within the last hour nor one being built (locked).
 * `keep` 0 with `all` removes everything not locked. */
export async function pruneBuilds(root = cacheRoot(), keep = KEEP_BUILDS, all = false): Promise<CachedBuild[]> {
  const removed: CachedBuild[] = [];
  for (const untrusted of [false, true]) {
    const builds = listBuilds(root).filter((b) => b.untrusted === untrusted);
    for (const b of builds.slice(all ? 0 : keep)) {
      if (!all && b.ageSeconds !== undefined && b.ageSeconds < IN_USE_SECONDS) continue;
      if (await lockfile.check(b.dir, { lockfilePath: `${b.dir}.lock`, realpath: false, stale: STALE_LOCK_MS })) continue;
      rmSync(b.dir, { recursive: true, force: true });
      rmSync(join(root, ...(untrusted ? ['untrusted'] : []), 'logs', `${b.key}.log`), { force: true });
      removed.push(b);
    }
  }
  return removed;
}
