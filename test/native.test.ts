/** The native suite's own tests (C API tests, threads, fork, real programs
 * under LD_PRELOAD, benchmark smoke runs), built with the real toolchain:
 * once as released, once as a debug build with pgalloc's internal
 * assertions on the invariants of pages, segments and free lists. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';

import { ROOT } from './helpers';

function makeTest(...vars: string[]): string {
  const r = spawnSync('make', ['-C', join(ROOT, 'native'), ...vars, 'test'], { encoding: 'utf8', timeout: 10 * 60 * 1000 });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, out.slice(-4000));
  // Each part must have run, not been skipped.
  for (const part of [
    'test_api:',
    'test_stress:',
    'test_fork:',
    'test_thread_exit:',
    'real_programs: 4 passed, 0 failed',
    'bench_smoke: 12 passed, 0 failed',
  ])
    assert.ok(out.includes(part), `missing from the output: ${part}`);
  return out;
}

it('make -C native test passes (release build)', () => {
  assert.match(makeTest(), /test_debug: release build, internal assertions compiled out/);
});

it('make -C native DEBUG=1 test passes, and the assertions catch corrupting frees', () => {
  const out = makeTest('DEBUG=1');
  for (const what of ['interior free', 'small double free', 'huge double free'])
    assert.match(out, new RegExp(`test_debug: ${what} caught: pgalloc: assertion failed: `));
});
