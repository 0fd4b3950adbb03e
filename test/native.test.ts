/** The native suite's own tests (C API tests, threads, fork, real programs
 * under LD_PRELOAD, benchmark smoke runs), built with the real toolchain:
 * once as released, once as a debug build with pgalloc's internal
 * assertions on the invariants of pages, segments and free lists, once as
 * the hardened build (SECURE=1). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

import { ROOT } from './helpers';

const MAKEFILE = readFileSync(join(ROOT, 'native', 'Makefile'), 'utf8');

/** A word list assigned in native/Makefile (`NAME := a b c`). */
function makeList(name: string): string[] {
  return new RegExp(`^${name} := (.+)$`, 'm').exec(MAKEFILE)?.[1]?.trim().split(/\s+/) ?? [];
}

function makeTest(...vars: string[]): string {
  const r = spawnSync('make', ['-C', join(ROOT, 'native'), ...vars, 'test'], { encoding: 'utf8', timeout: 10 * 60 * 1000 });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, out.slice(-4000));
  // Each part must have run, not been skipped.
  const tests = makeList('TESTS');
  assert.ok(tests.length >= 8, `TESTS not found in native/Makefile: ${tests.join(' ')}`);
  for (const part of [...tests.map((t) => `${t}:`), 'real_programs: 4 passed, 0 failed', 'bench_smoke: 22 passed, 0 failed'])
    assert.ok(out.includes(part), `missing from the output: ${part}`);
  return out;
}

it('make -C native test passes (release build)', () => {
  const out = makeTest();
  assert.match(out, /test_debug: release build, internal assertions compiled out/);
  assert.match(out, /test_secure: not the hardened build/);
});

it('make -C native DEBUG=1 test passes, and the assertions catch corrupting frees', () => {
  const out = makeTest('DEBUG=1');
  for (const what of ['interior free', 'small double free', 'huge double free'])
    assert.match(out, new RegExp(`\\n${what} caught: pgalloc: assertion failed: `));
});

it('make -C native SECURE=1 test passes, and the hardened build catches double and invalid frees with a message', () => {
  const out = makeTest('SECURE=1');
  const caught: [string, RegExp][] = [
    ['owner double free', /pgalloc: free\(\): double free of 0x[0-9a-f]{16}/],
    ['huge double free', /pgalloc: free\(\): double free of 0x/],
    ['remote double free', /pgalloc: double free \(freed twice by other threads\)/],
    ["owner free while another thread's run holds the block", /pgalloc: free\(\): double free of 0x/],
    ["remote free while another thread's run holds the block", /pgalloc: free\(\): double free or write after free of 0x/],
    ['owner free while a run holds the block, its tag overwritten', /pgalloc: free\(\): double free or write after free of 0x/],
    ['free of a foreign mapping', /pgalloc: free\(\): invalid pointer \(not allocated by pgalloc\) 0x/],
    ['free of a stack address', /pgalloc: free\(\): invalid pointer \(not allocated by pgalloc\) 0x/],
    ['interior free', /pgalloc: free\(\): invalid pointer \(not the start of a block\) 0x/],
    ['write after free', /pgalloc: corrupted free list/],
    ['huge overflow', /\(no message\)/],
  ];
  for (const [what, message] of caught) assert.match(out, new RegExp(`\\n${what} caught: ${message.source}`));
  assert.match(out, /test_secure: \d+ passed, 0 failed/);
});

it('every benchmark the Makefile builds is documented in native/README.md and smoke-run by bench_smoke.sh', () => {
  const benches = makeList('BENCHES');
  assert.ok(benches.length >= 10, `BENCHES not found in native/Makefile: ${benches.join(' ')}`);
  const readme = readFileSync(join(ROOT, 'native', 'README.md'), 'utf8');
  const smoke = readFileSync(join(ROOT, 'native', 'test', 'bench_smoke.sh'), 'utf8');
  for (const b of benches) {
    assert.match(readme, new RegExp(`^\\| \`${b}\` \\|`, 'm'), `${b} has no row in native/README.md's benchmark table`);
    assert.match(smoke, new RegExp(`^smoke ${b} `, 'm'), `${b} is not smoke-run by native/test/bench_smoke.sh`);
  }
});

it('every C test the Makefile runs is described in native/README.md', () => {
  const readme = readFileSync(join(ROOT, 'native', 'README.md'), 'utf8');
  const section = /^## Tests\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  for (const t of makeList('TESTS')) assert.match(section, new RegExp(`\`${t}\``), `${t} is not described under "## Tests"`);
});
