/** Escaping and report limits: text from benchmarks cannot inject Markdown. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isDenied, scrubEnv } from '../src/engine/host/env';
import { codeBlock, escapeMarkdown } from '../src/report/escape';
import type { ProgressEvent } from '../src/engine/measure/progress';
import { MARKDOWN_LIMIT, renderMarkdown } from '../src/report/markdown';
import { progressPrinter } from '../src/report/progress';
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
  it('200 benchmarks with failures stay under the limit by folding and dropping details, never verdicts', () => {
    const r = syntheticResult(200);
    const full = renderMarkdown(r, { limit: 10_000_000 });
    assert.ok(full.length > MARKDOWN_LIMIT, `the fixture is too small to test the limit (${full.length})`);
    const md = renderMarkdown(r);
    assert.ok(md.length <= MARKDOWN_LIMIT, `${md.length} characters`);
    for (const b of r.benchmarks)
      assert.ok(
        new RegExp(`\\| ${escapeMarkdown(b.name).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} \\|.*\\b${b.verdict}\\b`).test(md),
        `${b.name} lost its verdict`,
      );
    assert.match(md, /details left out to stay within the size limit/);
    // A tighter limit folds the tables to two columns and still keeps every verdict.
    const tight = renderMarkdown(r, { limit: 20_000 });
    assert.ok(tight.length <= 20_000, `${tight.length} characters`);
    for (const b of r.benchmarks)
      assert.ok(tight.includes(`| ${escapeMarkdown(b.name)} | ${b.verdict}`), `${b.name} lost its verdict at 20,000`);
  });

  it('puts the verdict and what changed first, shows only changed rows unfolded, and folds the rest', () => {
    const r = syntheticResult(6);
    const md = renderMarkdown(r, { links: { job: 'https://github.com/o/r/actions/runs/7', dashboard: 'https://o.github.io/r/' } });
    const first = md.split('\n')[0]!;
    const changed = r.benchmarks.filter((b) => b.verdict !== 'UNCHANGED');
    assert.ok(changed.length > 0 && changed.length < 6, 'the fixture needs changed and unchanged benchmarks');
    for (const b of changed.slice(0, 3)) assert.ok(first.includes(`${escapeMarkdown(b.name)} ${b.verdict}`), first);
    const [open] = md.split('<details>');
    for (const b of r.benchmarks)
      assert.equal(open!.includes(`| ${escapeMarkdown(b.name)} |`), b.verdict !== 'UNCHANGED', `${b.name} (${b.verdict}) above the fold`);
    assert.match(md, /<summary>All 6 benchmarks: /);
    assert.match(
      md,
      /\[job log\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/7\) · \[history dashboard\]\(https:\/\/o\.github\.io\/r\/\)/,
    );
    assert.match(
      md,
      /<summary>Budgets: 6 checks, 0 exceeded<\/summary>[^]*\| 1\.00 KiB \| 1\.00 KiB \| 2\.00 KiB \| ok \|/,
      'budgets folded, with units',
    );
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

describe('progress', () => {
  const events = (): ProgressEvent[] => {
    const out: ProgressEvent[] = [
      { type: 'build', side: 'base', state: 'start' },
      { type: 'build', side: 'base', state: 'done', seconds: 1.24 },
      { type: 'build', side: 'head', state: 'cached' },
    ];
    // Round robin, as sampleSuite runs them: a stretch of each benchmark per look.
    for (const [from, state] of [
      [1, 'continue'],
      [51, 'decided'],
    ] as const)
      for (const benchmark of ['larson', 'xthread']) {
        for (let i = from; i < from + 50; i++)
          for (const side of ['base', 'head'] as const)
            out.push({ type: 'run', benchmark, kind: 'pair', index: i, of: 400, side, budgetLeftSeconds: 300 - i });
        out.push({ type: 'look', benchmark, pairs: from + 49, state });
        if (state === 'decided') out.push({ type: 'syscalls', benchmark, side: 'base' });
      }
    return out;
  };

  it('in a log: two lines a benchmark (started, decided), grouped for GitHub Actions, however many runs and looks', () => {
    let text = '';
    const p = progressPrinter({ write: (s) => (text += s), tty: false, groups: true });
    for (const e of events()) p.onProgress(e);
    p.done();
    assert.deepEqual(text.split('\n'), [
      '[build] base: done (1.2 s)',
      '[build] head: cached',
      '::group::larson',
      '[larson] measuring',
      '::endgroup::',
      '::group::xthread',
      '[xthread] measuring',
      '::endgroup::',
      '::group::larson',
      '[larson] decided at 100 pairs',
      '::endgroup::',
      '::group::xthread',
      '[xthread] decided at 100 pairs',
      '::endgroup::',
      '',
    ]);
  });

  it('at a terminal: one status line redrawn in place, permanent lines for what is done, cleared at the end', () => {
    let text = '';
    const p = progressPrinter({ write: (s) => (text += s), tty: true, groups: false });
    for (const e of events()) p.onProgress(e);
    p.done();
    const permanent = text.split('\n').map((l) => l.split('\r\x1b[2K').at(-1));
    assert.deepEqual(permanent.slice(0, -1), [
      '[build] base: done (1.2 s)',
      '[build] head: cached',
      '[larson] measuring',
      '[xthread] measuring',
      '[larson] decided at 100 pairs',
      '[xthread] decided at 100 pairs',
    ]);
    assert.ok(text.includes('\r\x1b[2K[xthread] pair 100/400 head · budget left 200 s'), 'no status line');
    assert.ok(text.endsWith('\r\x1b[2K'), 'the status line was left on screen');
  });
});
