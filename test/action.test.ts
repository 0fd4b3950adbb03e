/** The action as a runner runs it: `node dist/index.js` with the runner's
 * environment (event payload, INPUT_* from action.yml's defaults, output and
 * summary files) against a fake GitHub REST API on 127.0.0.1, on a shallow
 * clone of a real repository whose PR branches change nothing, slow down,
 * loosen their own gate or go looking for the token; forks approved or not;
 * and the report mode that posts a fork's result. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { parse as parseYaml } from 'yaml';

import type { ComparisonResult } from '../src/engine/compare';
import { cpuIdentity } from '../src/engine/host/machine';

import { FakeGitHub } from './fake-github';
import { baseFiles, scenario, TINY_CONFIG } from './fixtures';
import { commit, git, newRepo, ROOT, tempDir } from './helpers';

const TOKEN = 'ghs_test_token_never_in_benchmarks';
const BOT = 'github-actions[bot]';

/** A build that reads every process's environment it can see, looking for the token. */
const SNOOP_MAKEFILE =
  'bench: bench.c scenario.h\n' +
  '\t@n=0; k=0; for f in /proc/[0-9]*/environ; do n=$$((n+1)); ' +
  'if { tr "\\0" "\\n" < $$f; } 2>/dev/null | grep -q ghs_test_token; then k=$$((k+1)); fi; done; ' +
  'echo "snoop: found the token in $$k of $$n environ files"\n' +
  '\tgcc -O1 -o bench bench.c\n';

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
    // Slower, and in the same commit the config that would hide it.
    git(work, 'checkout', '-q', '-b', 'weaken');
    shas.weaken = commit(work, 'slower, and a looser gate', {
      'scenario.h': scenario(150),
      'perfgate.yml': TINY_CONFIG.replace('min_effect_pct: 5', 'min_effect_pct: 60').replace(
        'metric: { json: ops_per_sec }',
        'metric: { json: ops_per_sec, higher_is_better: false }',
      ),
    });
    git(work, 'checkout', '-q', 'main');
    git(work, 'checkout', '-q', '-b', 'snoop');
    shas.snoop = commit(work, 'a build that looks for secrets', { Makefile: SNOOP_MAKEFILE, 'scenario.h': scenario(100, 'abort();') });
    git(work, 'checkout', '-q', 'main');
    // main moves on after the branches were cut: the merge-base, not main's tip, is the base.
    shas.mainTip = commit(work, 'later work on main', { 'CHANGES.md': 'later\n' });
    origin = tempDir('perfgate-origin-');
    git(origin, 'clone', '-q', '--bare', work, '.');
    git(origin, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
    sharedCache = tempDir('perfgate-action-cache-');
    gh.logins.set(TOKEN, BOT);
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

  interface PrOpts {
    fork?: boolean;
    /** The head repository was deleted: head.repo is null. */
    deletedRepo?: boolean;
    labels?: string[];
    /** The event's action; 'labeled' adds `label` to the payload. */
    action?: string;
    label?: string;
  }

  function prPayload(number: number, head: string, branch: string, opts: PrOpts = {}): object {
    const repo = opts.deletedRepo ? null : { full_name: opts.fork ? 'mallory/r' : 'o/r' };
    return {
      action: opts.action ?? 'synchronize',
      ...(opts.label ? { label: { name: opts.label } } : {}),
      number,
      pull_request: {
        number,
        title: `PR ${branch} <script>`,
        head: { sha: head, ref: branch, repo },
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
      GITHUB_SERVER_URL: 'https://github.com', // links only; every request goes to GITHUB_API_URL
      GITHUB_RUN_ID: '4242',
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

  /** The JSON result a run wrote. */
  const resultOf = (r: ActionRun): ComparisonResult => JSON.parse(readFileSync(r.outputs['report-json']!, 'utf8')) as ComparisonResult;

  /** Asserts that a run built and ran nothing and wrote no shared state. */
  function assertNothingBuilt(r: ActionRun): void {
    assert.deepEqual(readdirSync(r.cache), [], `something was built or written for an untrusted run:\n${r.stdout}`);
  }

  /** A fork PR as the API reports it now. */
  function forkPull(number: number, head: string, labels: string[], repo: string | null = 'mallory/r'): void {
    gh.pulls.set(number, {
      number,
      head: { sha: head, ref: 'feature', repo: repo ? { full_name: repo } : null },
      labels: labels.map((name) => ({ name })),
    });
  }

  it('first run: creates the comment and a check run on the PR head, writes outputs and the summary; retries a 500', async () => {
    gh.faults = [{ method: 'POST', path: /\/check-runs$/, status: 500, times: 1 }];
    const r = await runAction('pull_request', prPayload(1, shas.same!, 'same'), checkout('same'));
    assert.equal(r.code, 0, r.stdout);
    // An A/A: UNCHANGED, unless this host's CPU steal makes the pre-flight probe or the noise leave it undecided.
    const outcome = resultOf(r).outcome;
    assert.ok(outcome === 'pass' || outcome === 'inconclusive', r.stdout);
    assert.equal(r.outputs.verdict, outcome);
    assert.equal(r.outputs.regressions, '0');
    assert.ok(existsSync(r.outputs['report-json']!) && existsSync(r.outputs['report-markdown']!));
    const result = resultOf(r);
    assert.equal(result.refs.base.sha, shas.base, 'base must be the merge-base, not the tip of main');
    assert.deepEqual(result.sandbox, { mode: 'require', active: true }, 'bubblewrap must be installed and working (scripts/setup.sh)');
    assert.deepEqual(result.configOrigin, { source: 'base', path: 'perfgate.yml', changes: [] });
    assert.ok(existsSync(join(sharedCache, 'untrusted', 'builds')), "a PR's builds must be cached apart");
    assert.ok(!existsSync(join(sharedCache, 'builds')), "a PR's build landed in the trusted cache");

    assert.equal(gh.comments.length, 1);
    const body = gh.comments[0]!.body;
    assert.match(body.split('\n')[0]!, outcome === 'pass' ? /perfgate: PASS/ : /perfgate: INCONCLUSIVE/);
    assert.match(body, /<!-- perfgate:perfgate -->/);
    assert.equal(gh.count('POST', /\/check-runs$/), 2, 'the 500 was not retried');
    assert.equal(gh.checkRuns.length, 1);
    assert.equal(gh.checkRuns[0]!.conclusion, outcome === 'pass' ? 'success' : 'neutral');
    assert.equal(gh.checkRuns[0]!.head_sha, shas.same);
    assert.match(r.summary, outcome === 'pass' ? /perfgate: PASS/ : /perfgate: INCONCLUSIVE/);
    assert.ok(gh.requests.every((q) => q.authorization === `token ${TOKEN}`));
    assert.ok(!r.summary.includes(TOKEN) && !body.includes(TOKEN));
    const tails = result.benchmarks.flatMap((b) => b.runs.flatMap((x) => x.stderrTail));
    assert.ok(tails.length > 0 && tails.every((l) => !l.includes('ghs_') && l !== `token=${TOKEN}`), 'a benchmark saw the token');
  });

  it('rebase on workflow_dispatch: scores the allocators, appends to the data branch retrying a conflict, publishes the dashboard', async () => {
    gh.faults = [{ method: 'PUT', path: /\/contents\/scorecards\//, status: 409, times: 1 }];
    const r = await runAction('workflow_dispatch', { repository: { full_name: 'o/r', default_branch: 'main' } }, checkout('main'), {
      allocators: 'ours,glibc,mimalloc,nosuch',
      runs: '2',
      'pages-branch': 'perfgate-pages',
    });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.outputs.verdict, 'rebased');
    assert.match(r.summary, /perfgate rebase/);
    assert.match(r.summary, /Calibration refreshed/);
    assert.ok(existsSync(join(sharedCache, 'perfgate-calibration.json')), 'rebase did not refresh the calibration');
    assert.match(r.summary, /nosuch not measured: unknown allocator/);
    assert.ok(gh.refs.has('perfgate-data'), 'data branch not created');
    assert.equal(gh.count('PUT', /\/contents\/scorecards\/.+\.json$/), 2, 'the conflict was not retried');
    const records = gh.list('perfgate-data', 'scorecards');
    assert.equal(records.length, 1);
    const card = JSON.parse(gh.fileText('perfgate-data', records[0]!)!) as {
      sha: string;
      machine: { cpuModel: string; cpuId?: string };
      benchmarks: { entries: { allocator: string; medianOpsPerSec?: number }[] }[];
    };
    assert.equal(card.sha, shas.mainTip);
    // The record names the processor under its name, as this machine's /proc/cpuinfo has it.
    assert.equal(card.machine.cpuId, cpuIdentity(readFileSync('/proc/cpuinfo', 'utf8')));
    assert.ok(card.machine.cpuId, 'no processor identity recorded');
    assert.deepEqual(
      card.benchmarks[0]!.entries.map((e) => e.allocator),
      ['ours', 'glibc', 'mimalloc'],
    );
    assert.ok(card.benchmarks[0]!.entries.every((e) => (e.medianOpsPerSec ?? 0) > 0));
    // The dashboard, from the data branch's records, on the Pages branch.
    assert.match(r.stdout, /dashboard: 1 record\(s\), 0 step\(s\)/);
    assert.match(gh.fileText('perfgate-pages', 'index.html') ?? '', /<title>perfgate history<\/title>/);
    const site = JSON.parse(gh.fileText('perfgate-pages', 'dashboard.json')!) as {
      records: number;
      repoUrl: string;
      machines: { charts: { series: unknown[] }[] }[];
    };
    assert.equal(site.records, 1);
    assert.equal(site.repoUrl, 'https://github.com/o/r');
    assert.equal(site.machines[0]!.charts[0]!.series.length, 3, 'ours, glibc and mimalloc');
    assert.equal(gh.fileText('perfgate-pages', '.nojekyll'), '');
  });

  it('second run on the same PR updates the one comment (on-change still updates), with the last rebase, the job and the dashboard', async () => {
    gh.faults = [];
    const r = await runAction('pull_request', prPayload(1, shas.same!, 'same'), checkout('same'), {
      'dashboard-url': 'https://o.github.io/r/',
      comment: 'on-change',
    });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(gh.comments.length, 1, 'a second comment was created');
    assert.equal(gh.count('PATCH', /\/issues\/comments\/\d+$/), 1, 'on-change left the comment stale');
    const body = gh.comments[0]!.body;
    assert.match(body, /Last rebase \(\d{4}-\d\d-\d\d/);
    assert.match(body, /\[job log\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/4242\)/);
    assert.match(body, /\[history dashboard\]\(https:\/\/o\.github\.io\/r\/\)/);
  });

  it('shards of a matrix post nothing; merge mode posts their one result: one comment, one check run', async () => {
    const before = { checks: gh.checkRuns.length, comments: gh.comments.length };
    const results = tempDir('perfgate-shards-');
    for (const s of ['1/2', '2/2']) {
      const r = await runAction('pull_request', prPayload(9, shas.slow!, 'slow'), checkout('slow'), { shard: s });
      assert.equal(r.outputs.verdict === 'error', false, r.stdout);
      mkdirSync(join(results, `perfgate-report-shard-${s[0]}`));
      copyFileSync(r.outputs['report-json']!, join(results, `perfgate-report-shard-${s[0]}`, 'perfgate-report.json'));
    }
    assert.deepEqual({ checks: gh.checkRuns.length, comments: gh.comments.length }, before, 'a shard posted');
    const merged = await runAction('pull_request', prPayload(9, shas.slow!, 'slow'), checkout('slow'), { mode: 'merge', results });
    assert.equal(merged.code, 1, merged.stdout);
    assert.equal(merged.outputs.verdict, 'fail');
    assert.equal(gh.checkRuns.length, before.checks + 1);
    assert.equal(gh.checkRuns.at(-1)!.conclusion, 'failure');
    const comment = gh.comments.filter((c) => c.issue === 9);
    assert.equal(comment.length, 1);
    assert.match(comment[0]!.body, /perfgate: FAIL\*\* — tiny REGRESSED/);
  });

  it('comment: on-change creates no comment while every verdict is UNCHANGED, and one when something is not', async () => {
    const r = await runAction('pull_request', prPayload(8, shas.same!, 'same'), checkout('same'), { comment: 'on-change' });
    assert.equal(r.code, 0, r.stdout);
    const quiet = resultOf(r).benchmarks.every((b) => b.verdict === 'UNCHANGED'); // an A/A on a busy host may be UNSTABLE
    assert.equal(gh.comments.filter((c) => c.issue === 8).length, quiet ? 0 : 1);
    assert.equal(gh.checkRuns.at(-1)!.head_sha, shas.same, 'the check run is posted either way');
  });

  it('a regression fails the check run and the step; a marker planted in a comment by someone else is not ours', async () => {
    const planted = { id: 1, issue: 2, login: 'mallory', body: 'looks fine to me <!-- perfgate:perfgate -->' };
    gh.comments.push({ ...planted });
    const r = await runAction('pull_request', prPayload(2, shas.slow!, 'slow'), checkout('slow'));
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.outputs.verdict, 'fail');
    assert.equal(r.outputs.regressions, '1');
    const check = gh.checkRuns.at(-1)!;
    assert.equal(check.conclusion, 'failure');
    assert.equal(check.head_sha, shas.slow);
    assert.match(r.stdout, /::error::perfgate: 1 benchmark\(s\) failed: tiny/);
    const onPr = gh.comments.filter((c) => c.issue === 2);
    assert.deepEqual(
      onPr.find((c) => c.id === 1),
      planted,
      "perfgate edited someone else's comment",
    );
    assert.equal(onPr.filter((c) => c.login === BOT).length, 1);
    assert.match(onPr.find((c) => c.login === BOT)!.body, /perfgate: FAIL/);
    assert.ok(
      onPr.find((c) => c.login === BOT)!.body.includes(`\`/perfgate accept ${shas.slow!.slice(0, 12)} tiny REASON\``),
      'no hint how to accept',
    );
  });

  it("a maintainer's acceptance for this head makes the regression ACCEPTED; a reader's, or one for another commit, is ignored", async () => {
    gh.permissions.set('maint', 'write');
    gh.permissions.set('mallory', 'read');
    let id = 500;
    const say = (login: string, body: string) => gh.comments.push({ id: id++, issue: 2, login, body });
    say('mallory', `/perfgate accept ${shas.slow!.slice(0, 7)} all it is fine`);
    say('maint', `/perfgate accept ${shas.base!.slice(0, 10)} tiny for the old head`);
    say('maint', `thanks!\n/perfgate accept ${shas.slow!.slice(0, 9)} tiny the new bounds check costs this, by design`);
    const r = await runAction('pull_request', prPayload(2, shas.slow!, 'slow'), checkout('slow'));
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.outputs.verdict, 'pass');
    assert.equal(gh.checkRuns.at(-1)!.conclusion, 'success');
    const b = resultOf(r).benchmarks[0]!;
    assert.equal(b.verdict, 'ACCEPTED');
    assert.equal(b.metrics[0]!.verdict, 'REGRESSED', 'the evidence keeps its verdict');
    assert.deepEqual(b.acceptance, {
      benchmark: 'tiny',
      by: 'maint',
      reason: 'the new bounds check costs this, by design',
      sha: shas.slow,
      via: 'comment',
      accepted: 'REGRESSED',
    });
    const body = gh.comments.find((c) => c.issue === 2 && c.login === BOT)!.body;
    assert.match(body, /tiny\*\* ACCEPTED \(was REGRESSED\) by maint for `[0-9a-f]{12}` \(comment\): the new bounds check/);
    assert.match(body, /Ignored: mallory cannot write to this repository/);
    assert.match(body, /Ignored: maint's acceptance of tiny is for [0-9a-f]+, not this head/);
    gh.comments.splice(
      gh.comments.findIndex((c) => c.id === 500),
      3,
    );
  });

  it('a PR that slows down and loosens its own gate in the same commit fails by the base config, and the comment shows the change', async () => {
    const r = await runAction('pull_request', prPayload(6, shas.weaken!, 'weaken'), checkout('weaken'));
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.outputs.verdict, 'fail');
    assert.equal(gh.checkRuns.at(-1)!.conclusion, 'failure');
    const result = resultOf(r);
    assert.equal(result.config.decision.minEffectPct, 5);
    assert.equal(result.benchmarks[0]!.metrics[0]!.higherIsBetter, true);
    assert.equal(result.benchmarks[0]!.verdict, 'REGRESSED');
    assert.deepEqual(result.configOrigin?.changes, [
      'benchmarks[tiny].metric.higher_is_better: (absent) → false',
      'decision.min_effect_pct: 5 → 60',
    ]);
    const body = gh.comments.find((c) => c.issue === 6)!.body;
    assert.match(body, /This pull request changes `perfgate\.yml`\. The gate used the base's config; the change takes effect after merge/);
    assert.match(body, /decision\.min_effect_pct: 5 → 60/);
  });

  it("with config-source: head, the PR's own config governs (the documented opt-in)", async () => {
    const r = await runAction('pull_request', prPayload(6, shas.weaken!, 'weaken'), checkout('weaken'), { 'config-source': 'head' });
    assert.equal(resultOf(r).config.decision.minEffectPct, 60, r.stdout);
    assert.match(gh.comments.find((c) => c.issue === 6)!.body, /The gate used the head's `perfgate\.yml` \(config-source: head\)/);
  });

  it("a build that searches every process's environment for the token finds nothing in the sandbox, and finds it without one", async () => {
    const jailed = await runAction('pull_request', prPayload(7, shas.snoop!, 'snoop'), checkout('snoop'), {}, tempDir('perfgate-snoop-'));
    const log = resultOf(jailed).build.head.logTail.join('\n');
    const seen = /snoop: found the token in (\d+) of (\d+) environ files/.exec(log);
    assert.ok(seen, `the snooping build did not run:\n${log}\n${jailed.stdout}`);
    assert.equal(seen[1], '0', `a sandboxed build read the token:\n${log}`);
    assert.equal(resultOf(jailed).benchmarks[0]!.verdict, 'CRASH', 'the head aborts: a crash is a verdict');

    const open = await runAction(
      'pull_request',
      prPayload(7, shas.snoop!, 'snoop'),
      checkout('snoop'),
      { sandbox: 'off' },
      tempDir('perfgate-snoop-'),
    );
    const openLog = resultOf(open).build.head.logTail.join('\n');
    assert.match(
      openLog,
      /snoop: found the token in [1-9]\d* of/,
      `without the sandbox the search should succeed, or this test proves nothing:\n${openLog}`,
    );
  });

  it('an unlabelled fork builds nothing; its rebase-mode run builds nothing and writes no calibration', async () => {
    forkPull(3, shas.same!, []);
    const r = await runAction(
      'pull_request',
      prPayload(3, shas.same!, 'same', { fork: true }),
      checkout('same'),
      {},
      tempDir('perfgate-fork-'),
    );
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.outputs.verdict, 'skipped');
    assertNothingBuilt(r);
    assert.match(r.stdout, /does not carry the 'perf-safe' label now/);
    assert.equal(gh.checkRuns.at(-1)!.conclusion, 'neutral');
    assert.equal(gh.comments.filter((c) => c.issue === 3).length, 0);

    // The accept label on a fork runs nothing and posts no check run that could stand over a verdict.
    forkPull(3, shas.same!, ['perf-accepted']);
    const checks = gh.checkRuns.length;
    const accept = await runAction(
      'pull_request',
      prPayload(3, shas.same!, 'same', { fork: true, action: 'labeled', label: 'perf-accepted', labels: ['perf-accepted'] }),
      checkout('same'),
      {},
      tempDir('perfgate-fork-'),
    );
    assert.equal(accept.outputs.verdict, 'skipped', accept.stdout);
    assertNothingBuilt(accept);
    assert.equal(gh.checkRuns.length, checks, 'a check run was posted for an accept label on a fork');
    assert.match(accept.stdout, /accepts regressions of same-repository pull requests only/);

    const rebase = await runAction(
      'pull_request',
      prPayload(3, shas.same!, 'same', { fork: true }),
      checkout('same'),
      { mode: 'rebase' },
      tempDir('perfgate-fork-'),
    );
    assert.equal(rebase.code, 1, rebase.stdout);
    assert.equal(rebase.outputs.verdict, 'error');
    assert.match(rebase.stdout, /mode 'rebase' runs only on workflow_dispatch or push events/);
    assertNothingBuilt(rebase);
  });

  it('stale or missing approval facts build nothing: a label in a replayed payload, a push after labelling, a deleted head repository, pull_request_target', async () => {
    const refused = async (payload: object, pattern: RegExp, eventName = 'pull_request', inputs: Record<string, string> = {}) => {
      const r = await runAction(eventName, payload, checkout('same'), inputs, tempDir('perfgate-fork-'));
      assert.equal(r.outputs.verdict, 'skipped', r.stdout);
      assert.match(r.stdout, pattern);
      assertNothingBuilt(r);
    };
    // The payload still lists the label; it was removed since.
    forkPull(8, shas.same!, []);
    await refused(
      prPayload(8, shas.same!, 'same', { fork: true, labels: ['perf-safe'], action: 'labeled', label: 'perf-safe' }),
      /does not carry the 'perf-safe' label now/,
    );
    // The label is there, but this event is a push, not the approval.
    forkPull(8, shas.same!, ['perf-safe']);
    await refused(
      prPayload(8, shas.same!, 'same', { fork: true, labels: ['perf-safe'] }),
      /covers only the commit that was the head when .* and this is a 'synchronize' event/,
    );
    // Approved at one commit; the head moved on since.
    forkPull(8, shas.slow!, ['perf-safe']);
    await refused(
      prPayload(8, shas.same!, 'same', { fork: true, labels: ['perf-safe'], action: 'labeled', label: 'perf-safe' }),
      /the head is now [0-9a-f]{12}, which nobody approved/,
    );
    // The head repository was deleted: a fork, and unapproved.
    forkPull(9, shas.same!, [], null);
    await refused(prPayload(9, shas.same!, 'same', { deletedRepo: true }), /comes from a fork \(a deleted repository\)/);
    // pull_request_target, even approved, needs the opt-in.
    forkPull(8, shas.same!, ['perf-safe']);
    await refused(
      prPayload(8, shas.same!, 'same', { fork: true, labels: ['perf-safe'], action: 'labeled', label: 'perf-safe' }),
      /pull_request_target event.*allow-pull-request-target/,
      'pull_request_target',
    );
  });

  it("an approved fork's commit runs once: the label is used up, and report mode posts its JSON result on the PR found by head SHA", async () => {
    // The slow branch: a regression is a verdict noise cannot turn into another.
    forkPull(5, shas.slow!, ['perf-safe']);
    const cache = tempDir('perfgate-fork-');
    const r = await runAction(
      'pull_request',
      prPayload(5, shas.slow!, 'slow', { fork: true, action: 'labeled', label: 'perf-safe' }),
      checkout('slow'),
      {},
      cache,
    );
    assert.equal(r.outputs.verdict, 'fail', r.stdout);
    assert.deepEqual(readdirSync(cache), ['untrusted'], 'a fork build went into the trusted cache');
    assert.deepEqual(gh.pulls.get(5)!.labels, [], 'the approval was not used up');

    // The report workflow: artifact of run 77, the PR found by the run's head SHA.
    const zip = (json: string, dir = tempDir('perfgate-zip-')): Buffer => {
      writeFileSync(join(dir, 'perfgate-report.json'), json);
      const made = spawnSync('python3', [
        '-c',
        'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z: z.write(sys.argv[2], "perfgate-report.json")',
        join(dir, 'a.zip'),
        join(dir, 'perfgate-report.json'),
      ]);
      assert.equal(made.status, 0, String(made.stderr));
      return readFileSync(join(dir, 'a.zip'));
    };
    const json = readFileSync(r.outputs['report-json']!, 'utf8');
    gh.artifacts.set(77, [{ id: 501, name: 'perfgate-report', zip: zip(json) }]);
    const runPayload = (id: number) => ({
      workflow_run: { id, event: 'pull_request', head_sha: shas.slow, head_repository: { full_name: 'mallory/r' }, conclusion: 'success' },
      repository: { full_name: 'o/r', default_branch: 'main' },
    });
    const checks = gh.checkRuns.length;
    const report = await runAction('workflow_run', runPayload(77), checkout('main'), {}, tempDir('perfgate-report-'));
    assert.equal(report.code, 1, report.stdout);
    assert.equal(report.outputs.verdict, 'fail');
    assertNothingBuilt(report);
    const comment = gh.comments.find((c) => c.issue === 5 && c.login === BOT);
    assert.ok(comment, `no comment on #5:\n${report.stdout}`);
    assert.match(comment.body, /perfgate: FAIL/);
    assert.match(comment.body, /Measured by workflow run 77/);
    assert.equal(gh.checkRuns.length, checks + 1);
    assert.equal(gh.checkRuns.at(-1)!.head_sha, shas.slow);
    assert.equal(gh.checkRuns.at(-1)!.conclusion, 'failure');

    // A tampered artifact: a made-up verdict, and a result about another commit.
    const bad = JSON.parse(json) as { benchmarks: { verdict: string }[]; refs: { head: { sha: string } } };
    bad.benchmarks[0]!.verdict = 'TOTALLY_FINE <img src=x>';
    gh.artifacts.set(78, [{ id: 502, name: 'perfgate-report', zip: zip(JSON.stringify(bad)) }]);
    const tampered = await runAction('workflow_run', runPayload(78), checkout('main'), {}, tempDir('perfgate-report-'));
    assert.equal(tampered.code, 1, tampered.stdout);
    assert.match(tampered.stdout, /::error::perfgate: the result does not match perfgate\/result@2: benchmarks\.0\.verdict/);
    assert.equal(gh.checkRuns.at(-1)!.conclusion, 'failure');
    assert.match(gh.checkRuns.at(-1)!.output.title, /could not report/);
    assert.ok(!gh.checkRuns.at(-1)!.output.summary.includes('<img'));

    const other = JSON.parse(json) as { refs: { head: { sha: string } } };
    other.refs.head.sha = shas.same!;
    gh.artifacts.set(79, [{ id: 503, name: 'perfgate-report', zip: zip(JSON.stringify(other)) }]);
    const moved = await runAction('workflow_run', runPayload(79), checkout('main'), {}, tempDir('perfgate-report-'));
    assert.equal(moved.code, 1, moved.stdout);
    assert.match(moved.stdout, /refusing a result that is not this run's/);
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

  // Last: a failed rebase must not disturb the state the tests above build on.
  it('rebase: an allocator that aborts, or that ld.so cannot load, fails the job, and its row says why', async () => {
    // An allocator that aborts as it loads, saying why: its row shows the signal and the message.
    const broken = join(tempDir('perfgate-broken-'), 'broken.so');
    const cc = spawnSync('gcc', ['-shared', '-fPIC', '-o', broken, '-x', 'c', '-'], {
      input:
        '#include <stdio.h>\n#include <stdlib.h>\n' +
        '__attribute__((constructor)) static void refuse(void) { fputs("broken allocator refuses to load\\n", stderr); abort(); }\n',
      encoding: 'utf8',
    });
    assert.equal(cc.status, 0, `gcc failed (install the Debian package 'gcc'): ${cc.stderr}`);
    // One ld.so cannot load: it would skip it and run glibc under its name.
    const ghost = join(dirname(broken), 'ghost.so');
    writeFileSync(ghost, 'not a shared object\n');
    const r = await runAction('workflow_dispatch', { repository: { full_name: 'o/r', default_branch: 'main' } }, checkout('main'), {
      allocators: `ours,broken=${broken},ghost=${ghost}`,
      runs: '2',
    });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /runs failed for tiny\/broken, tiny\/ghost/);
    assert.match(r.summary, /\| tiny \| ours \| [\d.]+[kM]? ops\/s \|/);
    assert.match(r.summary, /\| broken \| failed: killed by SIGABRT: broken allocator refuses to load \|/);
    assert.match(
      r.summary,
      /\| ghost \| failed: \S+ghost\.so was not preloaded, nothing of it was measured \\\(ERROR: ld\.so: [^|]*ignored\.\\\) \|/,
    );
  });
});
