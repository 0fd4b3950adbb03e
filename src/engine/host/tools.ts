/** Finding the external tools perfgate uses, and which package provides each. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** GNU time is /usr/bin/time; `time` on PATH may be something else. */
export function findGnuTime(): string | undefined {
  return isExecutable('/usr/bin/time') ? '/usr/bin/time' : undefined;
}

/** Debian package that provides each tool. */
export const PACKAGE_OF: Readonly<Record<string, string>> = {
  git: 'git',
  make: 'make',
  gcc: 'gcc',
  strace: 'strace',
  time: 'time',
  taskset: 'util-linux',
  valgrind: 'valgrind',
  perf: 'linux-perf',
  bwrap: 'bubblewrap',
};
