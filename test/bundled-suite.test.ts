/** perfgate compare on the bundled native/ suite, with tiny parameters: the
 * shipped benchmarks build, run under the allocator under test (the provider
 * check passes), and produce a decision for every benchmark. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

import { parse as parseYaml, stringify } from 'yaml';

import type { ComparisonResult } from '../src/engine/compare';
import { ROOT, runCli, tempDir, writeFiles } from './helpers';

it('compares the bundled allocator suite end to end', () => {
  const dir = tempDir('perfgate-suite-');
  const config = join(dir, 'tiny.yml');
  // The shipped config with every benchmark shrunk: same binaries, less work.
  const SMALL: Record<string, string[]> = {
    random_mixed: ['{build}/random_mixed', '200000', '400', '1'],
    mid_mixed: ['{build}/random_mixed', '100000', '400', '1', '2048', '32768'],
    larson: ['{build}/larson', '2', '8', '1000', '500', '2', '1', '5000'],
    xthread: ['{build}/xthread', '1', '1', '50', '500'],
    burst: ['{build}/burst', '5000', '2'],
    large: ['{build}/large', '30', '4'],
    xmalloc: ['{build}/xmalloc', '2', '30', '100'],
    fragment: ['{build}/fragment', '2', '2000', '50'],
  };
  const shipped = parseYaml(readFileSync(join(ROOT, 'perfgate.yml'), 'utf8')) as {
    benchmarks: { name: string; argv: string[] }[];
    preflight?: { enabled: boolean };
    budgets?: Record<string, unknown>;
  };
  // The suite, not the machine, is under test: a CI host's CPU steal must not leave it unrun.
  shipped.preflight = { enabled: false };
  // Runs this small are mostly start-up: xthread's page faults swing by 1.6x and its peak RSS
  // between 2 and 6 MB with scheduling, which at 5,000 operations no per-op slack covers. Budgets
  // have their own tests; here they must not turn an A/A into a false alarm.
  shipped.budgets = { ...shipped.budgets, faults_slack_per_op: 0.1, rss_slack_kb: 8192 };
  assert.deepEqual(shipped.benchmarks.map((b) => b.name).sort(), Object.keys(SMALL).sort(), 'a shipped benchmark has no small size here');
  for (const b of shipped.benchmarks) b.argv = SMALL[b.name]!;
  const tiny = stringify(shipped);
  writeFiles(dir, { 'tiny.yml': tiny });
  const out = join(dir, 'result.json');
  const r = runCli(
    ROOT,
    ['compare', '--config', config, '--runs', '3', '--max-runs', '3', '--json', out, '--markdown', join(dir, 'report.md'), '--quiet'],
    {
      PERFGATE_CACHE_DIR: join(dir, 'cache'),
    },
  );
  const result = JSON.parse(readFileSync(out, 'utf8')) as ComparisonResult;
  assert.equal(result.benchmarks.length, Object.keys(SMALL).length, r.stderr);
  for (const b of result.benchmarks) {
    const bad = b.runs.find((x) => x.status !== 'ok');
    assert.equal(bad, undefined, `${b.name}: ${bad?.error} ${bad?.stderrTail.join('\n')}`);
    assert.ok(
      b.runs.every((x) => x.mallocProvider?.endsWith('libpgalloc.so')),
      `${b.name} did not run on pgalloc`,
    );
    assert.ok(['UNCHANGED', 'IMPROVED', 'REGRESSED', 'UNSTABLE'].includes(b.verdict), `${b.name}: ${b.verdict}`);
    assert.ok(b.syscalls.measured, `${b.name}: ${b.syscalls.reason}`);
  }
  assert.ok([0, 1, 4].includes(r.code), `exit ${r.code}: ${r.stderr}`);
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /^(✅|❌|⚠️) \*\*perfgate: /);
  assert.match(md, /\| random\\_mixed \| ops\\_per\\_sec \|/);

  // A preload that does not load (a typo in the path) leaves glibc serving
  // malloc: perfgate must refuse to report those numbers as the allocator's.
  writeFiles(dir, {
    'typo.yml': stringify({ ...shipped, benchmarks: [{ ...shipped.benchmarks[0], preload: '{build}/libpgaloc.so' }] }),
  });
  const typo = runCli(ROOT, ['compare', '--config', join(dir, 'typo.yml'), '--runs', '2', '--max-runs', '2', '--json', out, '--quiet'], {
    PERFGATE_CACHE_DIR: join(dir, 'cache'),
  });
  const bad = JSON.parse(readFileSync(out, 'utf8')) as ComparisonResult;
  assert.equal(typo.code, 1);
  assert.equal(bad.benchmarks[0]?.verdict, 'BAD_OUTPUT');
  assert.match(
    bad.benchmarks[0]?.runs[0]?.error ?? '',
    /libpgaloc\.so was not preloaded, nothing of it was measured \(ERROR: ld\.so: .*cannot be preloaded/,
  );

  // A preload that loads but does not define malloc: the benchmark says glibc served it.
  const inert = join(dir, 'inert.so');
  const cc = spawnSync('gcc', ['-shared', '-fPIC', '-o', inert, '-x', 'c', '-'], { input: 'int perfgate_inert;\n', encoding: 'utf8' });
  assert.equal(cc.status, 0, `gcc failed (install the Debian package 'gcc'): ${cc.stderr}`);
  writeFiles(dir, { 'inert.yml': stringify({ ...shipped, benchmarks: [{ ...shipped.benchmarks[0], preload: inert }] }) });
  runCli(ROOT, ['compare', '--config', join(dir, 'inert.yml'), '--runs', '2', '--max-runs', '2', '--json', out, '--quiet'], {
    PERFGATE_CACHE_DIR: join(dir, 'cache'),
  });
  const inactive = JSON.parse(readFileSync(out, 'utf8')) as ComparisonResult;
  assert.equal(inactive.benchmarks[0]?.verdict, 'BAD_OUTPUT');
  assert.match(inactive.benchmarks[0]?.runs[0]?.error ?? '', /the allocator under test was not active: malloc was served by .*libc/);
});
