/** What `perfgate init` can tell about a repository from its files: the
 * Makefile targets that look like benchmarks, and Google Benchmark sources
 * with the benchmarks they register. Reads, never runs, anything. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';

export interface GoogleBenchmarkSource {
  /** Path of the source, relative to the root. */
  file: string;
  /** The binary it likely builds: the source's name without extension. */
  binary: string;
  names: string[];
}

export interface Detected {
  makefile: boolean;
  /** Makefile targets whose name contains "bench". */
  makeTargets: string[];
  googleBenchmarks: GoogleBenchmarkSource[];
}

const SKIP = new Set(['.git', 'node_modules', 'build', 'dist', '.perfgate', 'vendor', 'third_party']);
const CXX = new Set(['.cc', '.cpp', '.cxx', '.c++']);

function sources(dir: string, depth: number): string[] {
  if (depth < 0) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry) || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) out.push(...sources(path, depth - 1));
    else if (st?.isFile() && CXX.has(extname(entry)) && st.size < 1 << 20) out.push(path);
  }
  return out;
}

/** Benchmarks a source registers with BENCHMARK(name); parameterised ones get more names at run time. */
export function registeredBenchmarks(text: string): string[] {
  return [...new Set([...text.matchAll(/^\s*BENCHMARK\(\s*([A-Za-z_]\w*)\s*\)/gm)].map((m) => m[1]!))];
}

export function makeTargets(makefile: string): string[] {
  const targets = [...makefile.matchAll(/^([A-Za-z0-9_./-]*bench[A-Za-z0-9_./-]*)\s*:(?!=)/gim)].map((m) => m[1]!);
  return [...new Set(targets)].filter((t) => !t.startsWith('.') && !t.includes('%'));
}

export function detect(root: string): Detected {
  const mk = ['Makefile', 'makefile', 'GNUmakefile'].map((f) => join(root, f)).find((f) => existsSync(f));
  const googleBenchmarks = sources(root, 3).flatMap((path) => {
    const text = readFileSync(path, 'utf8');
    if (!text.includes('benchmark/benchmark.h')) return [];
    const names = registeredBenchmarks(text);
    return names.length ? [{ file: relative(root, path), binary: basename(path, extname(path)), names }] : [];
  });
  const binaries = new Set(googleBenchmarks.map((g) => g.binary));
  return {
    makefile: mk !== undefined,
    makeTargets: mk ? makeTargets(readFileSync(mk, 'utf8')).filter((t) => !binaries.has(t)) : [],
    googleBenchmarks,
  };
}
