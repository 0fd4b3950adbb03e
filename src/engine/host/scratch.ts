/** Temporary directories. Each is named for the perfgate process that made
 * it, so that one left by a perfgate killed outright (SIGKILL, no clean-up)
 * is recognised and removed by the next run. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NAME = /^perfgate-(\d+)-/;

export function scratchDir(purpose: string): string {
  return mkdtempSync(join(tmpdir(), `perfgate-${process.pid}-${purpose}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // someone else's, and running
  }
}

/** Removes the scratch directories of perfgate processes that no longer run; returns how many. */
export function sweepStaleScratch(dir = tmpdir()): number {
  let n = 0;
  for (const entry of readdirSync(dir)) {
    const m = NAME.exec(entry);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    rmSync(join(dir, entry), { recursive: true, force: true });
    n++;
  }
  return n;
}
