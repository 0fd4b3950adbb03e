/** The action's inputs and event payloads as the runner hands them over. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { readEvent } from '../src/github/event';
import { InputError, parseInputs } from '../src/github/inputs';
import { FAILING_VERDICTS } from '../src/engine/verdicts';
import { DEFAULT_ALLOCATORS } from '../src/scorecard/allocators';

const inputs = (values: Record<string, string>) => parseInputs((name) => values[name] ?? '');

describe('action inputs', () => {
  it('empty inputs take the documented defaults', () => {
    const i = inputs({});
    assert.equal(i.mode, 'auto');
    assert.equal(i.config, 'perfgate.yml');
    assert.equal(i.runs, undefined);
    assert.equal(i.comment, 'always');
    assert.equal(i.checkName, 'perfgate');
    assert.deepEqual(i.failOn, FAILING_VERDICTS);
    assert.deepEqual(i.allocators, DEFAULT_ALLOCATORS);
    assert.equal(i.trustedLabel, 'perf-safe');
    assert.equal(i.dataBranch, 'perfgate-data');
    assert.equal(i.rebaseOnPush, false);
  });
  it('lists split on commas and white space; booleans accept true/false, on/off, yes/no', () => {
    const i = inputs({
      'fail-on': 'REGRESSED, UNSTABLE\nCRASH',
      allocators: 'ours,glibc',
      comment: 'off',
      'rebase-on-push': 'YES',
      runs: '12',
    });
    assert.deepEqual(i.failOn, ['REGRESSED', 'UNSTABLE', 'CRASH']);
    assert.deepEqual(i.allocators, ['ours', 'glibc']);
    assert.equal(i.comment, 'never');
    assert.equal(inputs({ comment: 'on-change' }).comment, 'on-change');
    assert.equal(inputs({ comment: 'true' }).comment, 'always');
    assert.equal(i.rebaseOnPush, true);
    assert.equal(i.runs, 12);
  });
  it('bad values are InputErrors naming the input and what is allowed', () => {
    assert.throws(
      () => inputs({ mode: 'fast' }),
      (e) => e instanceof InputError && /'mode' must be pr, rebase, report, merge, auto/.test(e.message),
    );
    assert.throws(() => inputs({ runs: '1' }), /'runs' must be a whole number of at least 2/);
    assert.throws(() => inputs({ 'fail-on': 'REGRESED' }), /'REGRESED' is not a verdict \(verdicts: BUILD_FAILED, /);
    assert.throws(() => inputs({ shard: '3/2' }), /input 'shard': a shard is I\/N with 1 <= I <= N/);
    assert.deepEqual(inputs({ shard: '2/3' }).shard, { index: 2, count: 3 });
    assert.throws(() => inputs({ 'dashboard-url': 'javascript:alert(1)' }), /'dashboard-url' must be an http\(s\) address/);
    assert.throws(() => inputs({ 'pages-branch': '../x' }), /'pages-branch' must be a branch name/);
    assert.throws(() => inputs({ comment: 'maybe' }), /'comment' must be always, on-change, never; got 'maybe'/);
  });
});

describe('event payloads', () => {
  const pr = (headRepo: string | null) => ({
    pull_request: {
      number: 7,
      title: 't',
      head: { sha: 'h'.repeat(40), ref: 'feature', repo: headRepo === null ? null : { full_name: headRepo } },
      base: { sha: 'b'.repeat(40), ref: 'main' },
      labels: [{ name: 'perf-safe' }, { name: '' }],
    },
  });
  it('a pull request: number, SHAs, refs, labels, fork or not', () => {
    const e = readEvent('pull_request', pr('o/r'), 'o/r', 'x', 'refs/pull/7/merge');
    assert.equal(e.kind, 'pr');
    if (e.kind !== 'pr') return;
    assert.equal(e.number, 7);
    assert.equal(e.headSha, 'h'.repeat(40));
    assert.equal(e.baseRef, 'main');
    assert.deepEqual(e.labels, ['perf-safe']);
    assert.equal(e.isFork, false);
    const fork = readEvent('pull_request_target', pr('mallory/r'), 'o/r', 'x', 'y');
    assert.equal(fork.kind === 'pr' && fork.isFork, true);
  });
  it('dispatch and push carry the SHA, the ref and the default branch; a broken payload is an error', () => {
    const d = readEvent('workflow_dispatch', { repository: { default_branch: 'main' } }, 'o/r', 's', 'refs/heads/main');
    assert.deepEqual(d, { kind: 'dispatch', sha: 's', ref: 'refs/heads/main', defaultBranch: 'main' });
    assert.equal(readEvent('push', {}, 'o/r', 's', 'r').kind, 'push');
    assert.equal(readEvent('schedule', {}, 'o/r', 's', 'r').kind, 'other');
    assert.throws(() => readEvent('pull_request', { pull_request: {} }, 'o/r', 's', 'r'), /no pull_request\.head\.sha/);
  });
});
