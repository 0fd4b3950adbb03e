/** The action as a runner runs it: `node dist/index.js` with the runner's
 * environment (event payload, INPUT_* from action.yml's defaults, output and
 * summary files) against a fake GitHub REST API on 127.0.0.1, on a shallow
 * clone of a real repository whose PR branches change nothing or slow down. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { parse as parseYaml } from 'yaml';

import { FakeGitHub } from './fake-github';
import { baseFiles, scenario } from './fixtures';
import { commit, git, newRepo, ROOT, tempDir } from './helpers';

const TOKEN = 'ghs_test_token_never_in_benchmarks';

interface ActionRun {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
  cache: string;
}

/** Parses a GITHUB_OUTPUT file (name<<delimiter ... delimiter). */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(file)) return out;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}

/** INPUT_* as the runner sets them: action.yml's defaults, then overrides. */
function inputEnv(overrides: Record<string, string>): Record<string, string> {
  const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { default?: string }> };
  const env: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    const value = overrides[name] ?? String(spec.default ?? '').replace('${{ github.token }}', TOKEN);
    env[`INPUT_${name.toUpperCase()}`] = value;
  }
  return env;
}

describe('the action, run as a runner runs it', () => {
  const gh = new FakeGitHub('o/r');
  let api = '';
  let origin = '';
  const shas: Record<string, string> = {};
  let sharedCache = '';

  before(async () => {
    api = await gh.start();
    const work = newRepo();
    shas.base = commit(work, 'base', baseFiles());
    git(work, 'checkout', '-q', '-b', 'same');
    shas.same = commit(work, 'docs only', { 'README.md': 'tiny, documented\n' });
    git(work, 'checkout', '-q', 'main');
    git(work, 'checkout', '-q', '-b', 'slow');
    shas.slow = commit(work, 'slower', { 'scenario.h': scenario(150) });
    git(work, 'checkout', '-q', 'main');
    // main moves on after the branches were cut: the merge-base, not main's tip, is the base.
    shas.mainTip = commit(work, 'later work on main', { 'CHANGES.md': 'later\n' });
    origin = tempDir('perfgate-origin-');
    git(origin, 'clone', '-q', '--bare', work, '.');
    git(origin, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
    sharedCache = tempDir('perfgate-action-cache-');
  });

  after(async () => {
    await gh.stop();
  });

  /** A fresh shallow checkout of `branch`, like actions/checkout's default. */
  function checkout(branch: string): string {
    const ws = tempDir('perfgate-ws-');
    git(ws, 'clone', '-q', '--depth', '1', '--branch', branch, `file://${origin}`, '.');
    return ws;
  }

  function prPayload(number: number, head: string, branch: string, opts: { fork?: boolean; labels?: string[] } = {}): object {
    return {
      action: 'synchronize',
      number,
      pull_request: {
        number,
        title: `PR ${branch} <script>`,
        head: { sha: head, ref: branch, repo: { full_name: opts.fork ? 'mallory/r' : 'o/r' } },
        base: { sha: shas.mainTip, ref: 'main', repo: { full_name: 'o/r' } },
        labels: (opts.labels ?? []).map((name) => ({ name })),
      },
      repository: { full_name: 'o/r', default_branch: 'main' },
    };
  }

  async function runAction(
    eventName: string,
    payload: object,
    workspace: string,
    inputs: Record<string, string> = {},
    cache = sharedCache,
  ): Promise<ActionRun> {
    const dir = tempDir('perfgate-runner-');
    const files = { event: join(dir, 'event.json'), output: join(dir, 'output'), summary: join(dir, 'summary.md') };
    writeFileSync(files.event, JSON.stringify(payload));
    writeFileSync(files.output, '');
    writeFileSync(files.summary, '');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: eventName,
      GITHUB_EVENT_PATH: files.event,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_SHA: git(workspace, 'rev-parse', 'HEAD'),
      GITHUB_REF: eventName.startsWith('pull_request') ? 'refs/pull/1/merge' : 'refs/heads/main',
      GITHUB_API_URL: api,
      GITHUB_SERVER_URL: 'http://127.0.0.1',
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_TOKEN: TOKEN,
      RUNNER_TEMP: dir,
      PERFGATE_CACHE_DIR: cache,
      ...inputEnv(inputs),
    };
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'index.js')], { cwd: workspace, env });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number>((ok) => child.on('close', (c) => ok(c ?? -1)));
    return { code, stdout, outputs: readOutputs(files.output), summary: readFileSync(files.summary, 'utf8'), cache };
  }

  it('first run: creates the comment and a check run on the PR head, writes outputs and the summary; retries a 500', async () => {
    gh.faults = [{ method: 'POST', path: /\/check-runs$/, status: 500, times: 1 }];
    const r = await runAction('pull_request', prPayload(1, shas.same!, 'same'), checkout('same'));
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.outputs.verdict, 'pass', r.stdout);
    assert.equal(r.outputs.regressions, '0');
    assert.ok(existsSync(r.outputs['report-json']!) && existsSync(r.outputs['report-markdown']!));
    const result = JSON.parse(readFileSync(r.outputs['report-json']!, 'utf8')) as { refs: { base: { sha: string } } };
    assert.equal(result.refs.base.sha, shas.base, 'base must be the merge-base, not the tip of main');

    assert.equal(gh.comments.length, 1);
    const body = gh.comments[0]!.body;
    assert.match(body.split('\n')[0]!, /perfgate: PASS/);
    assert.match(body, /<!-- perfgate:perfgate -->/);
    assert.equal(gh.count('POST', /\/check-runs$/), 2, 'the 500 was not retried');
    assert.equal(gh.checkRuns.length, 1);
    assert.equal(gh.checkRuns[0]!.conclusion, 'success');
    assert.equal(gh.checkRuns[0]!.head_sha, shas.same);
    assert.match(r.summary, /perfgate: PASS/);
    assert.ok(gh.requests.every((q) => q.authorization === `token ${TOKEN}`));
    assert.ok(!r.summary.includes(TOKEN) && !body.includes(TOKEN));
    const runs = JSON.parse(readFileSync(r.outputs['report-json']!, 'utf8')) as { benchmarks: { runs: { stderrTail: string[] }[] }[] };
    const tails = runs.benchmarks.flatMap((b) => b.runs.flatMap((x) => x.stderrTail));
    assert.ok(tails.length > 0 && tails.every((l) => !l.includes('ghs_') && l !== `token=${TOKEN}`), 'a benchmark saw the token');
  });

  it('rebase on workflow_dispatch: scores the allocators and appends to the data branch, retrying a conflict', async () => {
    gh.faults = [{ method: 'PUT', path: /\/contents\//, status: 409, times: 1 }];
    const r = await runAction('workflow_dispatch', { repository: { full_name: 'o/r', default_branch: 'main' } }, checkout('main'), {
      allocators: 'ours,glibc,mimalloc,nosuch',
      runs: '2',
    });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.outputs.verdict, 'rebased');
    assert.match(r.summary, /perfgate rebase/);
    assert.match(r.summary, /Calibration refreshed/);
    assert.ok(existsSync(join(sharedCache, 'perfgate-calibration.json')), 'rebase did not refresh the calibration');
    assert.match(r.summary, /nosuch not measured: unknown allocator/);
    assert.ok(gh.refs.has('perfgate-data'), 'data branch not created');
    assert.equal(gh.count('PUT', /\/contents\/scorecards\.jsonl$/), 2, 'the conflict was not retried');
    const history = gh.fileText('perfgate-data', 'scorecards.jsonl')!.trim().split('\n');
    assert.equal(history.length, 1);
    const card = JSON.parse(history[0]!) as { sha: string; benchmarks: { entries: { allocator: string; medianOpsPerSec?: number }[] }[] };
    assert.equal(card.sha, shas.mainTip);
    assert.deepEqual(
      card.benchmarks[0]!.entries.map((e) => e.allocator),
      ['ours', 'glibc', 'mimalloc'],
    );
    assert.ok(card.benchmarks[0]!.entries.every((e) => (e.medianOpsPerSec ?? 0) > 0));
  });

  it('second run on the same PR updates the one comment, now with the last rebase for context', async () => {
    gh.faults = [];
    const r = await runAction('pull_request', prPayload(1, shas.same!, 'same'), checkout('same'));
    assert.equal(r.code, 0, r.stdout);
    assert.equal(gh.comments.length, 1, 'a second comment was created');
    assert.equal(gh.count('PATCH', /\/issues\/comments\/\d+$/), 1);
    assert.match(gh.comments[0]!.body, /Last rebase \(\d{4}-\d\d-\d\d/);
  });

  it('a regression fails the check run and the step', async () => {
    const r = await runAction('pull_request', prPayload(2, shas.slow!, 'slow'), checkout('slow'));
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.outputs.verdict, 'fail');
    assert.equal(r.outputs.regressions, '1');
    const check = gh.checkRuns.at(-1)!;
    assert.equal(check.conclusion, 'failure');
    assert.equal(check.head_sha, shas.slow);
    assert.match(r.stdout, /::error::perfgate: 1 benchmark\(s\) failed: tiny/);
  });

  it('a fork PR without the trusted label builds and runs nothing', async () => {
    const cache = tempDir('perfgate-fork-cache-');
    const r = await runAction('pull_request', prPayload(3, shas.same!, 'same', { fork: true }), checkout('same'), {}, cache);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.outputs.verdict, 'skipped');
    assert.ok(!existsSync(join(cache, 'builds')), 'something was built for an untrusted fork');
    assert.match(r.stdout, /add the label|'perf-safe' label/);
    assert.equal(gh.checkRuns.at(-1)!.conclusion, 'neutral');
    assert.equal(gh.comments.filter((c) => c.issue === 3).length, 0);
  });

  it('a read-only token: a warning names the missing permission, and the verdict stands', async () => {
    gh.faults = [
      { method: 'GET', path: /\/issues\/4\/comments$/, status: 403, times: Infinity, message: 'Resource not accessible by integration' },
    ];
    const r = await runAction('pull_request', prPayload(4, shas.slow!, 'slow'), checkout('slow'));
    assert.equal(r.code, 1, `posting failures must not turn a regression into success:\n${r.stdout}`);
    assert.equal(r.outputs.verdict, 'fail');
    assert.match(r.stdout, /::warning::could not post the pull-request comment: HTTP 403.*pull-requests: write/);
    assert.match(r.summary, /perfgate: FAIL/);
    assert.equal(gh.checkRuns.at(-1)!.conclusion, 'failure');
    gh.faults = [];
  });
});
