/** The allocator catalogue: which allocators the scorecard knows by name,
 * where their libraries live, which Debian package provides each, and the
 * reference every ratio is taken against. Add an allocator here. */
import { existsSync } from 'node:fs';

/** The allocator scores are quoted against. */
export const REFERENCE_ALLOCATOR = 'mimalloc';

/** Scored by default (the action's `allocators` input and `bench:native`).
 * `ours` is each benchmark's configured preload; `glibc` is the C library's malloc. */
export const DEFAULT_ALLOCATORS: readonly string[] = ['ours', 'glibc', 'mimalloc', 'jemalloc', 'tcmalloc'];

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];

/** Libraries found by file name in the usual library directories. */
const KNOWN: Readonly<Record<string, { file: string; pkg: string }>> = {
  mimalloc: { file: 'libmimalloc.so.2', pkg: 'libmimalloc2.0' },
  jemalloc: { file: 'libjemalloc.so.2', pkg: 'libjemalloc2' },
  tcmalloc: { file: 'libtcmalloc_minimal.so.4', pkg: 'libtcmalloc-minimal4' },
};

/** An allocator to measure: `lib` is the LD_PRELOAD library; undefined is the C library's malloc. */
export interface ResolvedAllocator {
  name: string;
  lib?: string;
  /** 'ours' means: each benchmark's configured preload. */
  ours: boolean;
  available: boolean;
  reason?: string;
}

/** Resolves names (ours, glibc, a catalogue name) or NAME=/path/lib.so. */
export function resolveAllocators(names: readonly string[]): ResolvedAllocator[] {
  return names.map((raw) => {
    const [name, path] = raw.includes('=') ? (raw.split('=', 2) as [string, string]) : [raw, undefined];
    if (name === 'ours') return { name, ours: true, available: true };
    if (name === 'glibc') return { name, ours: false, available: true };
    if (path !== undefined)
      return existsSync(path)
        ? { name, lib: path, ours: false, available: true }
        : { name, lib: path, ours: false, available: false, reason: `${path} does not exist` };
    const known = KNOWN[name];
    if (!known)
      return {
        name,
        ours: false,
        available: false,
        reason: `unknown allocator '${name}': use ours, glibc, ${Object.keys(KNOWN).join(', ')}, or NAME=/path/to/lib.so`,
      };
    const lib = LIB_DIRS.map((d) => `${d}/${known.file}`).find((p) => existsSync(p));
    return lib
      ? { name, lib, ours: false, available: true }
      : { name, ours: false, available: false, reason: `${known.file} not found: install the Debian package '${known.pkg}'` };
  });
}
