/** perfgate init: a starter config from what the repository holds, the workflows, and nothing overwritten. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { parseConfigText } from '../src/engine/config';
import { commit, newRepo, ROOT, runCli } from './helpers';

describe('perfgate init', () => {
  it('finds Makefile benchmarks and Google Benchmark sources, writes a config that loads and the workflows, and never overwrites', () => {
    const repo = newRepo();
    commit(repo, 'code', {
      Makefile: 'all: lib\n\nbench_alloc: bench_alloc.c\n\tcc -O2 -o $@ $<\n\nclean:\n\trm -f bench_alloc\n.PHONY: all clean\n',
      'bench_alloc.c': 'int main(void) { return 0; }\n',
      'bench/micro.cc':
        '#include <benchmark/benchmark.h>\nstatic void BM_malloc_32(benchmark::State &s) { for (auto _ : s) {} }\nBENCHMARK(BM_malloc_32);\nBENCHMARK(BM_free)->Arg(8);\nBENCHMARK_MAIN();\n',
    });
    const first = runCli(repo, ['init']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /wrote perfgate\.yml: 2 benchmark entries/);
    assert.match(first.stdout, /wrote \.github\/workflows\/perf\.yml/);
    const text = readFileSync(join(repo, 'perfgate.yml'), 'utf8');
    const config = parseConfigText('perfgate.yml', text);
    assert.deepEqual(
      config.benchmarks.map((b) => [b.name, b.metric.name]),
      [
        ['bench_alloc', 'wall_seconds'],
        ['micro.BM_malloc_32', 'real_time'],
        ['micro.BM_free', 'real_time'],
      ],
    );
    assert.deepEqual(config.build.command, ['make', 'bench_alloc', 'micro']);
    assert.match(text, /# Google Benchmark in bench\/micro\.cc/);
    assert.equal(
      readFileSync(join(repo, '.github', 'workflows', 'perf.yml'), 'utf8'),
      readFileSync(join(ROOT, 'docs', 'workflows', 'perf.yml'), 'utf8'),
    );

    writeFileSync(join(repo, 'perfgate.yml'), '# mine\n');
    const again = runCli(repo, ['init']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /kept perfgate\.yml \(it exists; perfgate init never overwrites\)/);
    assert.match(again.stdout, /kept \.github\/workflows\/perf-report\.yml/);
    assert.equal(readFileSync(join(repo, 'perfgate.yml'), 'utf8'), '# mine\n');
  });

  it('with no benchmark to find, writes an example to edit, and says so', () => {
    const repo = newRepo();
    commit(repo, 'docs', { 'README.md': 'nothing to measure yet\n' });
    const r = runCli(repo, ['init']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no benchmark found: edit the example in perfgate\.yml/);
    assert.equal(parseConfigText('perfgate.yml', readFileSync(join(repo, 'perfgate.yml'), 'utf8')).benchmarks[0]!.name, 'example');
  });
});
