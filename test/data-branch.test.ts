/** The data branch's history against the loopback API: one file per record,
 * nothing rewritten, read through the git data API whatever its size. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { GitHubApi, makeOctokit, withBackoff } from '../src/github/api';
import { recordName } from '../src/history/store';
import { FakeGitHub } from './fake-github';

describe('the history on the data branch', () => {
  const gh = new FakeGitHub('o/r');
  let api: GitHubApi;

  before(async () => {
    api = new GitHubApi(makeOctokit('t', await gh.start()), { owner: 'o', repo: 'r' });
  });
  after(() => gh.stop());

  const card = (i: number, pad = 0) => `${JSON.stringify({ i, pad: 'x'.repeat(pad) })}\n`;

  it('with 2 MB of history (a 0.2 single file and 300 records), adding one rewrites nothing and reads back as the newest', async () => {
    const legacy = Array.from({ length: 1000 }, (_, i) => card(i, 1000)).join('');
    gh.putFile('data', 'scorecards.jsonl', legacy);
    for (let i = 0; i < 300; i++)
      gh.putFile(
        'data',
        `scorecards/${recordName(new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), `${i}`.padStart(40, 'a'))}`,
        card(i, 3000),
      );
    const before = new Map([...gh.files].map(([k, v]) => [k, v.sha]));
    assert.ok([...gh.files.values()].reduce((sum, f) => sum + f.content.length, 0) > 2 * 1024 * 1024);

    const name = recordName('2026-11-22T07:30:00.123Z', 'f'.repeat(40));
    assert.equal(name, '20261122T073000Z-ffffffffffff.json');
    await api.addDataRecord('data', 'scorecards', name, card(9999));
    for (const [k, sha] of before) assert.equal(gh.files.get(k)?.sha, sha, `${k} was rewritten`);
    assert.equal(gh.list('data', 'scorecards').length, 301);
    assert.equal(gh.fileText('data', 'scorecards.jsonl'), legacy);
    assert.deepEqual(JSON.parse((await api.latestRecord('data', 'scorecards', 'scorecards.jsonl'))!), { i: 9999, pad: '' });
  });

  it('before any record, the last line of the 0.2 file; no branch, nothing', async () => {
    gh.putFile('old', 'scorecards.jsonl', card(1) + card(2));
    assert.deepEqual(JSON.parse((await api.latestRecord('old', 'scorecards', 'scorecards.jsonl'))!), { i: 2, pad: '' });
    assert.equal(await api.latestRecord('none', 'scorecards', 'scorecards.jsonl'), undefined);
  });

  it('two writers at once, both meeting a conflict, both land', async () => {
    gh.faults = [{ method: 'PUT', path: /\/contents\/scorecards\//, status: 409, times: 2 }];
    await Promise.all([
      api.addDataRecord('data', 'scorecards', recordName('2026-11-23T00:00:00.000Z', 'b'.repeat(40)), card(1)),
      api.addDataRecord('data', 'scorecards', recordName('2026-11-23T00:00:01.000Z', 'c'.repeat(40)), card(2)),
    ]);
    assert.equal(gh.list('data', 'scorecards').length, 303);
    assert.equal(gh.faults[0]!.times, 0);
  });

  it('withBackoff retries up to its attempts, and gives up at once on what is not retryable', async () => {
    let calls = 0;
    const conflict = () => {
      calls++;
      return Promise.reject(Object.assign(new Error('conflict'), { status: 409 }));
    };
    await assert.rejects(
      withBackoff(conflict, () => true, 4),
      /conflict/,
    );
    assert.equal(calls, 4);
    calls = 0;
    await assert.rejects(withBackoff(conflict, () => false));
    assert.equal(calls, 1);
  });
});
