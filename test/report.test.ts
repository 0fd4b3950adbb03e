/** Escaping and report limits: text from benchmarks cannot inject Markdown. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isDenied, scrubEnv } from '../src/engine/host/env';
import { codeBlock, escapeMarkdown } from '../src/report/escape';
import { MARKDOWN_LIMIT, renderMarkdown } from '../src/report/markdown';
import { syntheticResult } from './synthetic';

describe('escaping', () => {
  it('neutralises links, images, HTML, mentions and table breaks', () => {
    const evil = '![x](http://e.vil) <img src=x> @octocat | `code` **b**\nnext';
    const out = escapeMarkdown(evil);
    assert.ok(!out.includes('<img'));
    assert.ok(!out.includes('@octocat'));
    assert.ok(!/(^|[^\\])\|/.test(out), 'unescaped pipe');
    assert.ok(!/(^|[^\\])\[/.test(out), 'unescaped bracket');
    assert.ok(!out.includes('\n'));
    assert.match(out, /&#64;octocat/);
  });
  it('code blocks use a fence longer than any backtick run inside', () => {
    const block = codeBlock(['a ``` b', 'c']);
    assert.ok(block.startsWith('````text\n'));
    assert.ok(block.endsWith('\n````'));
  });
});

describe('environment scrubbing', () => {
  it('keeps only allowlisted variables and drops credentials even if allowlisted', () => {
    const env = scrubEnv(
      {
        PATH: '/bin',
        HOME: '/h',
        GITHUB_TOKEN: 't',
        MY_API_KEY: 'k',
        AWS_SECRET_ACCESS_KEY: 's',
        LD_PRELOAD: 'x',
        ACTIONS_RUNTIME_TOKEN: 'r',
        RANDOM: '1',
      },
      ['PATH', 'HOME', 'GITHUB_TOKEN', 'MY_API_KEY', 'LD_PRELOAD'],
      { PGALLOC_STATS: '1' },
    );
    assert.deepEqual(env, { PATH: '/bin', HOME: '/h', PGALLOC_STATS: '1' });
    assert.ok(isDenied('GITHUB_SHA') && isDenied('NPM_TOKEN') && !isDenied('LANG'));
  });
});

describe('report size', () => {
  it('200 benchmarks with failures stay under the limit by dropping details, never verdicts', () => {
    const r = syntheticResult(200);
    const full = renderMarkdown(r, { limit: 10_000_000 });
    assert.ok(full.length > MARKDOWN_LIMIT, `the fixture is too small to test the limit (${full.length})`);
    const md = renderMarkdown(r);
    assert.ok(md.length <= MARKDOWN_LIMIT, `${md.length} characters`);
    for (const b of r.benchmarks) assert.ok(md.includes(`| ${escapeMarkdown(b.name)} | ops\\_per\\_sec |`), `${b.name} lost its row`);
    assert.match(md, /details truncated to stay within the size limit/);
  });
});

describe('what the report claims about its intervals', () => {
  it('says "all intervals hold together" only when alpha is split over every decision', () => {
    const r = syntheticResult(2);
    assert.match(renderMarkdown(r), /all intervals of this report hold together with probability ≥ 0\.99/);
    const none = renderMarkdown({ ...r, config: { ...r.config, decision: { ...r.config.decision, correction: 'none' } } });
    assert.doesNotMatch(none, /hold together/);
    assert.match(none, /each metric's intervals hold with probability ≥ 0\.99 .*not split over the metrics/);
  });
});
