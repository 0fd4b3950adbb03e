/** `npm run bench:native`: the bundled suite with its default (long)
 * parameters, and real programs, under pgalloc, glibc, mimalloc, jemalloc and
 * tcmalloc: the same binaries with LD_PRELOAD, interleaved round by round,
 * through the engine's rebase. Then the instructions of one malloc+free pair
 * per allocator (cachegrind). Prints Markdown. A benchmark, not a test.
 *
 *   npm run bench:native -- [--rounds N] [--only random_mixed,larson] [--secure] [--no-real] [--no-pairs]
 *
 * --secure also measures the hardened build (make -C native SECURE=1) as
 * allocator `pgalloc-secure`, and mimalloc's secure mode as `mimalloc-secure`,
 * built from the Debian source of the installed mimalloc with Debian's own
 * flags (scripts/build-mimalloc-secure.sh): each against its release build,
 * and the two against each other.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { configFromObject } from '../src/engine/config';
import { DEFAULT_ALLOCATORS, resolveAllocators } from '../src/scorecard/allocators';
import { renderScorecard } from '../src/scorecard/markdown';
import type { Hardened } from '../src/scorecard/versus';
import { rebase, type Scorecard } from '../src/scorecard/rebase';

const ROOT = join(import.meta.dirname, '..');
/** The hardened builds on the scorecard (--secure): ours, and mimalloc's secure mode against Debian's release build. */
const HARDENED = { ours: 'pgalloc-secure', peer: { name: 'mimalloc-secure', release: 'mimalloc' } } satisfies Hardened;

/** The synthetic suite: ours, and workloads after mimalloc-bench's. */
const SUITE = [
  { name: 'random_mixed', argv: ['{build}/random_mixed'] },
  { name: 'mid_mixed', argv: ['{build}/random_mixed', '10000000', '400', '1', '2048', '32768'] },
  { name: 'larson', argv: ['{build}/larson'], pin: false },
  { name: 'xthread', argv: ['{build}/xthread'], pin: false },
  { name: 'xmalloc', argv: ['{build}/xmalloc'], pin: false },
  { name: 'mstress', argv: ['{build}/mstress'], pin: false },
  { name: 'cache_scratch', argv: ['{build}/cache_scratch'], pin: false },
  { name: 'burst', argv: ['{build}/burst'] },
  { name: 'fragment', argv: ['{build}/fragment'] },
  { name: 'large', argv: ['{build}/large'] },
];

/** Real programs, timed (wall seconds, lower is better) on inputs made once
 * here: python3 building dicts and JSON, gcc -O2 on 1,500 functions, sort of
 * 500k lines, git log -p of this repository's last 300 commits, perl hashes. */
function realPrograms(dir: string): { name: string; argv: string[]; metric: { time: 'wall' } }[] {
  writeFileSync(
    join(dir, 'dicts.py'),
    [
      'import collections, json',
      'd = {}',
      'for i in range(600000):',
      '    d[("k%d" % i) * (1 + i % 5)] = [i] * (i % 17)',
      'c = collections.Counter(len(v) for v in d.values())',
      'blob = json.dumps({k: v for k, v in list(d.items())[:50000]})',
      'print(len(d), sorted(c.items())[:5], len(json.loads(blob)))',
    ].join('\n'),
  );
  const fns = Array.from(
    { length: 1500 },
    (_, i) =>
      `int f${i}(int *a, int n) { int s = ${i}; for (int j = 0; j < n; j++) { s += a[j] * ${i % 7} + (s >> 3); if (s > ${1000 + i}) s ^= a[(j + ${i}) % n]; } return s; }`,
  );
  writeFileSync(join(dir, 'many.c'), fns.join('\n') + '\n');
  let seed = 7;
  const lines: string[] = [];
  for (let i = 0; i < 500000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    lines.push(`${String(seed % 100000000).padStart(8, '0')} ${'abcdefghij'.slice(0, 1 + (i % 10))}`);
  }
  writeFileSync(join(dir, 'lines.txt'), lines.join('\n') + '\n');
  writeFileSync(
    join(dir, 'hashes.pl'),
    'my %h; for my $i (0..400000) { $h{"key$i" x (1 + $i % 4)} = [($i) x ($i % 9)]; } my $n = 0; for my $k (sort keys %h) { $n += @{$h{$k}}; } print scalar(keys %h), " $n\\n";\n',
  );
  return [
    { name: 'real.python3', argv: ['python3', join(dir, 'dicts.py')], metric: { time: 'wall' } },
    { name: 'real.gcc', argv: ['gcc', '-O2', '-c', join(dir, 'many.c'), '-o', '/dev/null'], metric: { time: 'wall' } },
    { name: 'real.sort', argv: ['sort', '-k2,2', '-k1,1n', join(dir, 'lines.txt'), '-o', '/dev/null'], metric: { time: 'wall' } },
    { name: 'real.git', argv: ['git', '-C', ROOT, 'log', '-p', '-n', '300', '--output=/dev/null'], metric: { time: 'wall' } },
    { name: 'real.perl', argv: ['perl', join(dir, 'hashes.pl')], metric: { time: 'wall' } },
  ];
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    only: { type: 'string' },
    secure: { type: 'boolean', default: false },
    'no-real': { type: 'boolean', default: false },
    'no-pairs': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 2) {
  process.stderr.write(`bench:native: --rounds must be a whole number of at least 2, got '${values.rounds}'\n`);
  process.exit(2);
}
const only = values.only?.split(',');
const allocators = [...DEFAULT_ALLOCATORS];
if (values.secure) {
  execFileSync('make', ['-s', '-C', join(ROOT, 'native'), 'SECURE=1', 'build-secure/libpgalloc.so'], { stdio: 'inherit' });
  allocators.push(`${HARDENED.ours}=${join(ROOT, 'native/build-secure/libpgalloc.so')}`);
  const peer = spawnSync('bash', [join(ROOT, 'scripts/build-mimalloc-secure.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (peer.status === 0) allocators.push(`${HARDENED.peer.name}=${peer.stdout.trim()}`);
  else process.stderr.write(`bench:native: ${HARDENED.peer.name} not measured (above)\n`);
}
const inputs = mkdtempSync(join(tmpdir(), 'bench-native-'));
let card: Scorecard;
try {
  const benchmarks = [...SUITE, ...(values['no-real'] ? [] : realPrograms(inputs))]
    .filter((b) => !only || only.includes(b.name))
    .map((b) => ({ ...b, preload: '{build}/libpgalloc.so' }));
  const config = configFromObject('bench:native', { runs: { pairs: rounds, warmup: 1, timeout_s: 600 }, benchmarks });
  card = await rebase({ cwd: ROOT, config, allocators, onProgress: (m) => process.stderr.write(`${m}\n`) });
} finally {
  rmSync(inputs, { recursive: true, force: true });
}
console.log(renderScorecard(card, values.secure ? HARDENED : undefined).replace('## perfgate rebase', '## bench:native'));
if (!values['no-pairs']) {
  execFileSync('make', ['-s', '-C', join(ROOT, 'native'), 'build/pair', 'build/libpgalloc.so'], { stdio: 'inherit' });
  console.log(`\n${pairInstructions(allocators)}`);
}
const flags = (['secure', 'no-real', 'no-pairs'] as const).filter((f) => values[f]).map((f) => ` --${f}`);
console.log(`\nCommand: npm run bench:native -- --rounds ${values.rounds}${values.only ? ` --only ${values.only}` : ''}${flags.join('')}`);

/** Instructions per malloc+free pair (loop and PLT included) in native/build/pair:
 * cachegrind at two iteration counts, the difference divided by the extra pairs,
 * so start-up and exit cancel out. */
function pairInstructions(names: string[]): string {
  const SIZES = [32, 256, 4096, 65536];
  const count = (lib: string | undefined, size: number, iters: number): number => {
    const r = spawnSync(
      'valgrind',
      [
        '--tool=cachegrind',
        '--cache-sim=no',
        '--cachegrind-out-file=/dev/null',
        join(ROOT, 'native/build/pair'),
        String(size),
        String(iters),
      ],
      { env: { ...process.env, ...(lib ? { LD_PRELOAD: lib } : {}) }, encoding: 'utf8' },
    );
    const refs = /I\s+refs:\s+([\d,]+)/.exec(r.stderr)?.[1];
    if (r.status !== 0 || refs === undefined)
      throw new Error(`valgrind failed (install the Debian package 'valgrind'): ${r.stderr.slice(-500)}`);
    return Number(refs.replaceAll(',', ''));
  };
  const rows = [`| allocator | ${SIZES.map((s) => `${s} B`).join(' | ')} |`, `|---|${SIZES.map(() => '--:').join('|')}|`];
  for (const a of resolveAllocators(names.filter((n) => n !== 'ours').concat(`pgalloc=${join(ROOT, 'native/build/libpgalloc.so')}`))) {
    if (!a.available) continue;
    const per = SIZES.map((s) => (count(a.lib, s, 200000) - count(a.lib, s, 100000)) / 100000);
    rows.push(`| ${a.name} | ${per.map((x) => x.toFixed(1)).join(' | ')} |`);
  }
  return `Instructions per malloc+free pair (cachegrind, one block of the size kept live, loop and PLT included):\n\n${rows.join('\n')}`;
}
