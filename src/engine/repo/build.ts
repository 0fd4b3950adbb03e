/** Building one side (base or head) in its own copy of the tree, with a
 * cache (cache.ts) keyed by the tree's identity plus the build settings. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { Config } from '../config';
import { BUILD_ENV_ALLOW, scrubEnv } from '../host/env';
import { buildKey, isBuilt, MARKER, pruneBuilds, touch, withBuildLock } from './cache';
import { materializeCommit, materializeWorkingTree } from './git';
import { runProcess, tail } from '../host/process';
import type { Sandbox } from '../host/sandbox';
import type { Seconds } from '../types';

export interface BuiltTree {
  /** Root of the built copy of the tree. */
  dir: string;
  /** `{build}`: the build output directory inside it. */
  buildDir: string;
  cached: boolean;
}

export interface BuildOutcome {
  ok: boolean;
  tree?: BuiltTree;
  logTail: string[];
  logFile?: string;
  seconds: Seconds;
}

/** Materialises `treeId` (a commit SHA, or a working-tree id with `fromWorkingTree`)
 * and builds it, reusing a cached build when one exists. Another perfgate
 * building the same key is waited for, then its build is used. */
export async function buildSide(opts: {
  repo: string;
  treeId: string;
  fromWorkingTree: boolean;
  config: Config;
  /** The cache root (cache.ts); untrusted builds go to its `untrusted/` part. */
  cacheRoot: string;
  untrusted: boolean;
  useCache: boolean;
  /** The compiler's version line: part of the cache key. */
  compiler?: string;
  sandbox?: Sandbox;
}): Promise<BuildOutcome> {
  const { config } = opts;
  const key = buildKey(opts.treeId, config, opts.compiler);
  const cacheDir = opts.untrusted ? join(opts.cacheRoot, 'untrusted') : opts.cacheRoot;
  const final = join(cacheDir, 'builds', key);
  const tree = (dir: string, cached: boolean): BuiltTree => ({ dir, buildDir: join(dir, config.build.output), cached });
  const hit = (): BuildOutcome => {
    touch(final);
    return { ok: true, tree: tree(final, true), logTail: tail(readFileSync(join(final, MARKER), 'utf8')), seconds: 0 };
  };
  if (opts.useCache && isBuilt(final)) return hit();
  mkdirSync(join(cacheDir, 'builds'), { recursive: true });
  const outcome = await withBuildLock(final, config.build.timeoutSeconds + 60, async () => {
    if (opts.useCache && isBuilt(final)) return hit(); // built by the perfgate we waited for
    return buildInPlace(opts, join(cacheDir, 'logs', `${key}.log`), final, tree);
  });
  if (!outcome.tree?.cached) await pruneBuilds(opts.cacheRoot);
  return outcome;
}

async function buildInPlace(
  opts: Parameters<typeof buildSide>[0],
  logFile: string,
  final: string,
  tree: (dir: string, cached: boolean) => BuiltTree,
): Promise<BuildOutcome> {
  const { config } = opts;
  // Build in place under the final name (builds may embed absolute paths);
  // the marker, written last, is what makes it a cache hit.
  rmSync(final, { recursive: true, force: true });
  mkdirSync(final, { recursive: true });
  if (opts.fromWorkingTree) await materializeWorkingTree(opts.repo, final);
  else await materializeCommit(opts.repo, opts.treeId, final);

  const r = await runProcess({
    argv: config.build.command,
    cwd: final,
    env: scrubEnv(process.env, [...config.env.allow, ...BUILD_ENV_ALLOW], config.env.set),
    timeoutSeconds: config.build.timeoutSeconds,
    sandbox: opts.sandbox,
    stdout: 'tail',
  });
  const strays = r.strays ? `\nperfgate: the build left ${r.strays} process(es) running; they were killed` : '';
  const log = `${r.stdout}\n${r.stderr}${strays}`;
  mkdirSync(dirname(logFile), { recursive: true });
  writeFileSync(logFile, log);
  const failure = r.timedOut
    ? `build timed out after ${config.build.timeoutSeconds} s`
    : r.spawnError
      ? `could not start ${config.build.command[0]}: ${r.spawnError}`
      : r.signal
        ? `build killed by ${r.signal}`
        : r.exitCode !== 0
          ? `build exited with status ${r.exitCode}`
          : undefined;
  if (failure) {
    rmSync(final, { recursive: true, force: true });
    return { ok: false, logTail: [...tail(log), failure], logFile, seconds: r.wallSeconds };
  }
  writeFileSync(join(final, MARKER), tail(log).join('\n'));
  return { ok: true, tree: tree(final, false), logTail: tail(log), logFile, seconds: r.wallSeconds };
}
