/** Building one side (base or head) in its own copy of the tree, with a
 * cache keyed by the tree's identity plus the build settings. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import type { Config } from '../config';
import { BUILD_ENV_ALLOW, scrubEnv } from '../host/env';
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

/** `$PERFGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/perfgate`, else `~/.cache/perfgate`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PERFGATE_CACHE_DIR) return env.PERFGATE_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'perfgate');
}

export function buildKey(treeId: string, config: Config): string {
  const settings = JSON.stringify({ command: config.build.command, output: config.build.output });
  return createHash('sha256').update(treeId).update('\0').update(settings).digest('hex').slice(0, 24);
}

/** Materialises `treeId` (a commit SHA, or a working-tree id with `fromWorkingTree`)
 * and builds it, reusing a cached build when one exists. */
export async function buildSide(opts: {
  repo: string;
  treeId: string;
  fromWorkingTree: boolean;
  config: Config;
  cacheDir: string;
  useCache: boolean;
  sandbox?: Sandbox;
}): Promise<BuildOutcome> {
  const { repo, treeId, config } = opts;
  const key = buildKey(treeId, config);
  const final = join(opts.cacheDir, 'builds', key);
  const marker = join(final, '.perfgate-built');
  const tree = (dir: string, cached: boolean): BuiltTree => ({ dir, buildDir: join(dir, config.build.output), cached });
  if (opts.useCache && existsSync(marker)) {
    return { ok: true, tree: tree(final, true), logTail: tail(readFileSync(marker, 'utf8')), seconds: 0 };
  }
  // Build in place under the final name (builds may embed absolute paths);
  // the marker, written last, is what makes it a cache hit.
  rmSync(final, { recursive: true, force: true });
  mkdirSync(final, { recursive: true });
  if (opts.fromWorkingTree) await materializeWorkingTree(repo, final);
  else await materializeCommit(repo, treeId, final);

  const r = await runProcess({
    argv: config.build.command,
    cwd: final,
    env: scrubEnv(process.env, [...config.env.allow, ...BUILD_ENV_ALLOW], config.env.set),
    timeoutSeconds: config.build.timeoutSeconds,
    sandbox: opts.sandbox,
  });
  const log = `${r.stdout}\n${r.stderr}`;
  const logFile = join(opts.cacheDir, 'logs', `${key}.log`);
  mkdirSync(join(opts.cacheDir, 'logs'), { recursive: true });
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
  writeFileSync(marker, tail(log).join('\n'));
  return { ok: true, tree: tree(final, false), logTail: tail(log), logFile, seconds: r.wallSeconds };
}
