/** The config loader on mutated and random input: every one of them either
 * loads or fails with a ConfigError naming the file (never a TypeError, a
 * RangeError or a stack trace), and a loaded config holds no control
 * character in anything that reaches a command, a path or an environment. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

import { parse as parseYaml } from 'yaml';

import { ConfigError, configFromObject, loadConfig, type Config } from '../src/engine/config';
import { seededRng, type Rng } from '../src/engine/random';
import { ROOT, tempDir } from './helpers';

const SHIPPED = parseYaml(readFileSync(join(ROOT, 'perfgate.yml'), 'utf8')) as Record<string, unknown>;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

/** A random value of a random kind, hostile ones over-represented. */
function randomValue(rng: Rng, depth = 0): unknown {
  const kinds = [
    () => null,
    () => rng() < 0.5,
    () => pick(rng, [0, -1, 1, 2, 0.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity, 2 ** 31, 1e-320]),
    () =>
      pick(rng, [
        '',
        ' ',
        'x',
        'ops_per_sec',
        '{build}/bench',
        'a\u0000b',
        'line\nbreak',
        '\u00e9\u4e2d\ud83d\ude00',
        '\u007f',
        'holm',
        'auto',
        '../../etc/passwd',
        'x'.repeat(10000),
      ]),
    () => String.fromCharCode(...Array.from({ length: 1 + Math.floor(rng() * 20) }, () => Math.floor(rng() * 256))),
    () => (depth > 4 ? [] : Array.from({ length: Math.floor(rng() * 4) }, () => randomValue(rng, depth + 1))),
    () =>
      depth > 4
        ? {}
        : Object.fromEntries(
            Array.from({ length: Math.floor(rng() * 4) }, (_, i) => [
              pick(rng, ['name', 'argv', 'json', `k${i}`, 'pairs']),
              randomValue(rng, depth + 1),
            ]),
          ),
    () => {
      let v: unknown = 1;
      for (let i = 0; i < 2000; i++) v = [v]; // deep nesting
      return v;
    },
  ];
  return pick(rng, kinds)();
}

/** The shipped config with 1-4 random mutations: a value replaced, a key deleted or added, a list entry duplicated. */
function mutate(rng: Rng): unknown {
  const root = structuredClone<Record<string, unknown>>(SHIPPED);
  for (let m = 0, n = 1 + Math.floor(rng() * 4); m < n; m++) {
    // Walk to a random container.
    let node: Record<string, unknown> | unknown[] = root;
    for (let d = 0; d < 3; d++) {
      const keys = Object.keys(node);
      if (!keys.length) break;
      const child = node[pick(rng, keys)];
      if (child === null || typeof child !== 'object' || rng() < 0.3) break;
      node = child as Record<string, unknown>;
    }
    const keys = Object.keys(node);
    const key = keys.length && rng() < 0.8 ? pick(rng, keys) : pick(rng, ['timeout_s', 'argv', 'unknown_key', 'preload', 'min_effect_pct']);
    const r = rng();
    if (Array.isArray(node) && r < 0.2 && node.length) node.push(structuredClone(node[0]));
    else if (r < 0.35) delete node[key];
    else node[key] = randomValue(rng);
  }
  return root;
}

function textOf(c: Config): string[] {
  return [
    ...c.build.command,
    c.build.output,
    c.calibrationFile ?? '',
    ...c.env.allow,
    ...Object.entries(c.env.set).flat(),
    ...c.benchmarks.flatMap((b) => [...b.argv, b.preload ?? '', b.name, ...(b.instructions?.argv ?? [])]),
  ];
}

it('1,500 mutated and random configs: each loads cleanly or is a ConfigError, never anything else', () => {
  const rng = seededRng(20261122);
  let loaded = 0;
  let rejected = 0;
  const dir = tempDir('perfgate-fuzz-');
  for (let i = 0; i < 1500; i++) {
    const file = join(dir, `c${i}.yml`);
    let input: unknown;
    // Most are structured mutations; some are random YAML text, read through loadConfig.
    const asText = i % 5 === 0;
    try {
      if (asText) {
        const text =
          i % 10 === 0
            ? String.fromCharCode(...Array.from({ length: 200 }, () => Math.floor(rng() * 128)))
            : JSON.stringify(mutate(rng)).replace(/,/g, rng() < 0.5 ? ',' : ',\n');
        writeFileSync(file, text);
        input = text;
        const c = loadConfig(file);
        for (const t of textOf(c)) assert.ok(!CONTROL.test(t), `control character passed validation: ${JSON.stringify(t)}`);
      } else {
        input = mutate(rng);
        const c = configFromObject(file, input);
        for (const t of textOf(c)) assert.ok(!CONTROL.test(t), `control character passed validation: ${JSON.stringify(t)}`);
      }
      loaded++;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      assert.ok(
        e instanceof ConfigError,
        `input ${i} threw ${(e as Error).name}: ${(e as Error).message}\n${JSON.stringify(input)?.slice(0, 500)}`,
      );
      assert.ok(e.message.startsWith(file), e.message);
      rejected++;
    }
  }
  assert.equal(loaded + rejected, 1500);
  assert.ok(loaded > 50 && rejected > 500, `${loaded} loaded, ${rejected} rejected: the mutations are not exercising both outcomes`);
});

it('a NUL in an argument, a newline in a path and a timeout beyond a day are rejected by key', () => {
  const bench = { name: 'b', argv: ['{build}/b'] };
  const fails = (value: unknown, path: string, pattern: RegExp) =>
    assert.throws(
      () => configFromObject('perfgate.yml', value),
      (e: unknown) => e instanceof ConfigError && e.path === path && pattern.test(e.problem),
    );
  fails({ benchmarks: [{ ...bench, argv: ['a\u0000b'] }] }, 'benchmarks[0].argv[0]', /control character U\+0000 at position 1/);
  fails({ benchmarks: [{ ...bench, preload: 'lib\n.so' }] }, 'benchmarks[0].preload', /U\+000A/);
  fails({ benchmarks: [bench], env: { set: { X: 'a\u0007' } } }, 'env.set.X', /U\+0007/);
  fails({ benchmarks: [bench], runs: { timeout_s: 1e9 } }, 'runs.timeout_s', /at most 86400/);
  fails({ benchmarks: [bench], build: { timeout_s: 100000 } }, 'build.timeout_s', /at most 86400/);
  fails({ benchmarks: [bench], preflight: { wait_s: 1e6 } }, 'preflight.wait_s', /at most 86400/);
});
