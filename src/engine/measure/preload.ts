/** A preload library meeting the sandbox and ld.so, for every kind of run
 * (timed, strace, instruction count): the same two rules each time. */

/** Files a sandboxed run must be able to read: the preload, wherever it lives
 * (an allocator given by path under /tmp, which the sandbox hides). */
export function preloadFiles(preload: string | undefined): string[] {
  return preload ? [preload] : [];
}

/** ld.so's line saying it skipped `preload` (it then runs the program on
 * glibc, which measured would be glibc under the allocator's name), or
 * undefined when it loaded. */
export function preloadIgnored(stderr: string, preload: string | undefined): string | undefined {
  if (!preload) return undefined;
  const line = /^.*from LD_PRELOAD cannot be preloaded.*$/m.exec(stderr)?.[0];
  return line === undefined ? undefined : `${preload} was not preloaded, nothing of it was measured (${line.trim()})`;
}
