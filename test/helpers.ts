/** Test helpers: temporary git repositories and running the real CLI. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');

/** What tempDir made, removed when the test file's process exits: a
 * self-hosted runner outlives the job, and one run of the suite left
 * about 150 directories and 50 MB in /tmp. */
const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Left for the OS to clear: a failed cleanup must not fail the tests.
    }
  }
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  }).trim();
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** Writes `files`, commits them, returns the commit SHA. */
export function commit(dir: string, message: string, files: Record<string, string>): string {
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--no-gpg-sign', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

export function newRepo(): string {
  const dir = tempDir('perfgate-repo-');
  git(dir, 'init', '-q', '-b', 'main');
  return dir;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `perfgate ARGS` from source, as a user would, in `cwd`. */
export function runCli(cwd: string, args: string[], env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src', 'cli.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 10 * 60 * 1000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
