/** Config validation: every mistake names the file, the key path and what is allowed. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { ConfigError, configFromObject, loadConfig } from '../src/engine/config';
import { tempDir } from './helpers';

const bench = { name: 'b', argv: ['{build}/b'] };

function expectError(value: unknown, path: string, pattern: RegExp): void {
  assert.throws(
    () => configFromObject('perfgate.yml', value),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.path, path);
      assert.match(e.message, /^perfgate\.yml: /);
      assert.match(e.problem, pattern);
      return true;
    },
  );
}

describe('config', () => {
  it('applies documented defaults', () => {
    const c = configFromObject('perfgate.yml', { benchmarks: [bench] });
    assert.deepEqual(c.build.command, ['make', '-C', 'native']);
    assert.equal(c.runs.pairs, 10);
    assert.equal(c.runs.warmup, 1);
    assert.equal(c.decision.minEffectPct, 1);
    assert.equal(c.decision.correction, 'bonferroni');
    assert.equal(c.runs.maxPairs, 400);
    assert.equal(c.runs.budgetSeconds, 240);
    assert.equal(c.calibrationMaxAgeDays, 14);
    assert.equal(c.benchmarks[0]?.metric.json, 'ops_per_sec');
    assert.ok(c.env.allow.includes('PATH'));
  });
  it('rejects unknown keys and lists the allowed ones', () => {
    expectError({ benchmarks: [bench], runz: {} }, 'runz', /unknown key.*allowed here: version, build, runs/);
    expectError({ benchmarks: [{ ...bench, metirc: {} }] }, 'benchmarks[0].metirc', /unknown key/);
  });
  it('rejects wrong types and impossible values', () => {
    expectError({ benchmarks: [bench], runs: { pairs: 'ten' } }, 'runs.pairs', /whole number at least 2/);
    expectError({ benchmarks: [bench], runs: { pairs: 1 } }, 'runs.pairs', /at least 2.*got 1/);
    expectError({ benchmarks: [bench], decision: { alpha: 0.9 } }, 'decision.alpha', /at most 0\.5/);
    expectError({ benchmarks: [bench], runs: { pin_cpu: 'fast' } }, 'runs.pin_cpu', /one of auto, none/);
    expectError({ benchmarks: [bench], budgets: { syscalls: ['mmap', 'open'] } }, 'budgets.syscalls[1]', /one of mmap, munmap/);
    expectError({ benchmarks: [{ name: 'b' }] }, 'benchmarks[0].argv', /required/);
    expectError({ benchmarks: [{ ...bench, metric: { json: 'x', regex: 'y(1)' } }] }, 'benchmarks[0].metric.json', /exactly one/);
    expectError({ benchmarks: [bench, bench] }, 'benchmarks[1].name', /used twice/);
    expectError({}, 'benchmarks', /at least one benchmark/);
    expectError(
      { benchmarks: [{ ...bench, metric: { json: 'x', time: 'wall' } }] },
      'benchmarks[0].metric.json',
      /exactly one.*time \(wall or cpu\)/,
    );
    expectError({ benchmarks: [{ ...bench, metric: { time: 'user' } }] }, 'benchmarks[0].metric.time', /one of wall, cpu/);
    const gb = { name: 'micro', argv: ['{build}/micro'] };
    expectError(
      { benchmarks: [{ ...gb, google_benchmark: { names: [] } }] },
      'benchmarks[0].google_benchmark.names',
      /--benchmark_list_tests/,
    );
    expectError(
      { benchmarks: [{ ...gb, google_benchmark: { names: ['BM_a'] }, metric: { json: 'x' } }] },
      'benchmarks[0].google_benchmark',
      /drop metric/,
    );
    expectError(
      { benchmarks: [{ ...gb, google_benchmark: { names: ['BM_a'], field: 'wall' } }] },
      'benchmarks[0].google_benchmark.field',
      /one of real_time/,
    );
    expectError(
      { benchmarks: [{ ...gb, google_benchmark: { names: ['BM_a', 'BM_a'] } }] },
      'benchmarks[0].name',
      /'micro\.BM_a' is used twice/,
    );
  });
  it('a Google Benchmark entry is one benchmark per name, each running only its own (names are regex-escaped)', () => {
    const c = configFromObject('perfgate.yml', {
      benchmarks: [
        { name: 'micro', argv: ['{build}/micro', '--x'], google_benchmark: { names: ['BM_a', 'BM_b/8'], field: 'items_per_second' } },
      ],
    });
    assert.deepEqual(
      c.benchmarks.map((b) => [b.name, b.argv, b.metric.json, b.metric.higherIsBetter, b.metric.unit, b.opsField]),
      [
        [
          'micro.BM_a',
          ['{build}/micro', '--x', '--benchmark_filter=^BM_a$', '--benchmark_format=json'],
          'benchmarks.0.items_per_second',
          true,
          'items/s',
          'benchmarks.0.iterations',
        ],
        [
          'micro.BM_b_8',
          ['{build}/micro', '--x', '--benchmark_filter=^BM_b/8$', '--benchmark_format=json'],
          'benchmarks.0.items_per_second',
          true,
          'items/s',
          'benchmarks.0.iterations',
        ],
      ],
    );
  });
  it('keys the 0.2 rule retired say what replaced them', () => {
    expectError(
      { benchmarks: [bench], decision: { max_band_pct: 8 } },
      'decision.max_band_pct',
      /removed in perfgate 0\.2: .*min_effect_pct/,
    );
    expectError({ benchmarks: [bench], decision: { cv_multiplier: 2 } }, 'decision.cv_multiplier', /removed in perfgate 0\.2/);
    expectError({ benchmarks: [bench], decision: { max_cv_pct: 30 } }, 'decision.max_cv_pct', /removed in perfgate 0\.2/);
    expectError({ benchmarks: [bench], runs: { step: 10 } }, 'runs.step', /removed in perfgate 0\.2: looks are planned/);
    expectError({ benchmarks: [bench], decision: { correction: 'holm' } }, 'decision.correction', /replaced by bonferroni/);
    expectError({ benchmarks: [bench], runs: { max_pairs: 5000 } }, 'runs.max_pairs', /at most 2000/);
    expectError({ benchmarks: [bench], runs: { budget_s: 0 } }, 'runs.budget_s', /greater than 0/);
    expectError({ benchmarks: [{ ...bench, min_effect_pct: 0 }] }, 'benchmarks[0].min_effect_pct', /at least 0\.01/);
  });
  it('reports YAML syntax errors with the file and line', () => {
    const dir = tempDir('pg-cfg-');
    const file = join(dir, 'perfgate.yml');
    writeFileSync(file, 'benchmarks:\n  - name: [unclosed\n');
    assert.throws(
      () => loadConfig(file),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith(file) && /line/.test(e.message),
    );
    assert.throws(() => loadConfig(join(dir, 'missing.yml')), /cannot read the file: ENOENT/);
  });
  it('the shipped perfgate.yml is valid', () => {
    const c = loadConfig(join(import.meta.dirname, '..', 'perfgate.yml'));
    assert.ok(c.benchmarks.length >= 5);
    assert.ok(c.benchmarks.every((b) => b.preload === '{build}/libpgalloc.so'));
  });
});
