/** What every command shares: exit codes, I/O, argument checks, the config. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

import { ConfigError, loadConfig, type Config } from '../engine/config';
import { SANDBOX_MODES, type SandboxMode } from '../engine/host/sandbox';
import { repoRoot } from '../engine/repo/git';

export const EXIT = { pass: 0, fail: 1, usage: 2, infra: 3, inconclusive: 4 } as const;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
  isTty: boolean;
}

/** The options of every command that builds and runs benchmarks: --config FILE, --sandbox MODE, --quiet. */
export const RUN_OPTIONS = {
  config: { type: 'string' },
  sandbox: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

/** A mistake in the command line: exit 2 with the message. */
export class UsageError extends Error {}

export function writeOut(cwd: string, file: string, text: string): void {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export async function readConfig(io: Io, file: string | undefined): Promise<Config> {
  const root = await repoRoot(io.cwd);
  const configFile = file ? resolve(io.cwd, file) : join(root, 'perfgate.yml');
  if (!existsSync(configFile))
    throw new ConfigError(configFile, '', 'not found: create it (see the configuration reference in README.md) or pass --config FILE');
  return loadConfig(configFile);
}

export function intArg(name: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(
      `--${name} takes a whole number of at least ${min}${max < Number.MAX_SAFE_INTEGER ? ` and at most ${max}` : ''}, got '${v}'`,
    );
  return Number(v);
}

export function sandboxArg(v: string | undefined): SandboxMode | undefined {
  if (v === undefined) return undefined;
  if (!(SANDBOX_MODES as readonly string[]).includes(v)) throw new UsageError(`--sandbox takes ${SANDBOX_MODES.join(', ')}, got '${v}'`);
  return v as SandboxMode;
}
