/** The parts that keep a pull request's code from setting its own gate or
 * reaching anything else: the config read from the base, the result schema
 * an artifact must pass, the event facts, and the sandbox, with real git,
 * real bwrap and real processes. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { configChanges, gateConfig, MissingConfigError } from '../src/engine/config-source';
import { ConfigError } from '../src/engine/config';
import { runProcess } from '../src/engine/host/process';
import { hiddenDirs, probeSandbox } from '../src/engine/host/sandbox';
import { readEvent } from '../src/github/event';
import { parseResult, ResultSchemaError } from '../src/report/result-schema';
import { baseFiles, TINY_CONFIG } from './fixtures';
import { commit, git, newRepo, tempDir } from './helpers';
import { syntheticResult } from './synthetic';

describe('the gate comes from the base', () => {
  it('configChanges lists every changed leaf, named lists by name', () => {
    const a = { decision: { alpha: 0.01 }, benchmarks: [{ name: 'x', pin: true }, { name: 'y' }] };
    const b = { decision: { alpha: 0.5, min_effect_pct: 50 }, benchmarks: [{ name: 'x', pin: false }, { name: 'z' }] };
    assert.deepEqual(configChanges(a, b), [
      'benchmarks[x].pin: true → false',
      'benchmarks[y]: removed',
      'benchmarks[z]: added',
      'decision.alpha: 0.01 → 0.5',
      'decision.min_effect_pct: (absent) → 50',
    ]);
    assert.deepEqual(configChanges(a, structuredClone(a)), []);
  });

  it("gateConfig reads the base commit's file; the head's only feeds the change list", async () => {
    const repo = newRepo();
    const base = commit(repo, 'base', baseFiles());
    const head = commit(repo, 'loosen', { 'perfgate.yml': TINY_CONFIG.replace('min_effect_pct: 5', 'min_effect_pct: 60') });
    writeFileSync(join(repo, 'perfgate.yml'), 'not: [valid'); // the working tree is never read
    const gate = await gateConfig(repo, base, head, 'perfgate.yml', 'base');
    assert.equal(gate.config.decision.minEffectPct, 5);
    assert.deepEqual(gate.changes, ['decision.min_effect_pct: 5 → 60']);
    assert.equal((await gateConfig(repo, base, head, 'perfgate.yml', 'head')).config.decision.minEffectPct, 60);

    const broken = commit(repo, 'broken', { 'perfgate.yml': TINY_CONFIG.replace('min_effect_pct: 5', 'min_effect_pct: lots') });
    const g2 = await gateConfig(repo, base, broken, 'perfgate.yml', 'base');
    assert.equal(g2.config.decision.minEffectPct, 5);
    assert.match(g2.headProblem ?? '', /min_effect_pct/);
    await assert.rejects(gateConfig(repo, base, broken, 'perfgate.yml', 'head'), ConfigError);

    git(repo, 'checkout', '-q', '--orphan', 'fresh');
    git(repo, 'rm', '-rqf', '.');
    const empty = commit(repo, 'no config yet', { 'README.md': 'x\n' });
    await assert.rejects(
      gateConfig(repo, empty, head, 'perfgate.yml', 'base'),
      (e) => e instanceof MissingConfigError && /merge the config first/.test(e.message),
    );
  });
});

describe('event facts', () => {
  const pr = (repo: unknown) => ({
    action: 'labeled',
    label: { name: 'perf-safe' },
    pull_request: { number: 1, head: { sha: 'a', repo }, base: { sha: 'b' } },
  });
  it('a deleted head repository (null) is a fork; the same repository, in any case, is not', () => {
    const ev = (repo: unknown) => {
      const e = readEvent('pull_request', pr(repo), 'o/r', '', '');
      assert.ok(e.kind === 'pr');
      return e;
    };
    assert.equal(ev(null).isFork, true);
    assert.equal(ev({ full_name: 'O/R' }).isFork, false);
    const labeled = ev({ full_name: 'm/r' });
    assert.ok(labeled.isFork && labeled.action === 'labeled' && labeled.label === 'perf-safe');
  });
  it('workflow_run: the run id, what triggered it and its head commit', () => {
    const ev = readEvent(
      'workflow_run',
      { workflow_run: { id: 7, event: 'pull_request', head_sha: 'c', head_repository: null, conclusion: 'success' } },
      'o/r',
      '',
      '',
    );
    assert.deepEqual(ev, {
      kind: 'workflow_run',
      runId: 7,
      triggeredBy: 'pull_request',
      headSha: 'c',
      headRepo: null,
      conclusion: 'success',
    });
    assert.throws(() => readEvent('workflow_run', {}, 'o/r', '', ''), /workflow_run\.id/);
  });
});

describe('a result from an untrusted run', () => {
  const good = JSON.stringify(syntheticResult(2));
  it('a result perfgate wrote passes, infinite interval ends included', () => {
    const r = syntheticResult(1);
    r.benchmarks[0]!.metrics[0]!.comparison = {
      pairs: 8,
      medianRatio: 1,
      changePct: 0,
      ciLowPct: -3,
      ciHighPct: Infinity,
      pValue: 1,
      pAdjusted: 1,
      pairSdPct: 2,
      noiseBandPct: 5,
      mdePct: Infinity,
    };
    const back = parseResult(JSON.stringify(r));
    assert.equal(back.benchmarks.length, 1);
    assert.ok(Number.isNaN(back.benchmarks[0]!.metrics[0]!.comparison!.ciHighPct));
    assert.equal(parseResult(good).benchmarks.length, 2);
  });
  it('made-up verdicts, wrong types, another schema, oversized text and non-JSON are refused, naming the field', () => {
    /** The good result with the value at a dotted path replaced. */
    const edit = (path: string, value: unknown): string => {
      const r = JSON.parse(good) as Record<string, unknown>;
      const keys = path.split('.');
      const parent = keys.slice(0, -1).reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, r);
      parent[keys.at(-1)!] = value;
      return JSON.stringify(r);
    };
    const refused = (text: string, re: RegExp) =>
      assert.throws(
        () => parseResult(text),
        (e) => e instanceof ResultSchemaError && re.test(e.message),
      );
    refused(edit('benchmarks.0.verdict', 'FINE'), /benchmarks\.0\.verdict/);
    refused(edit('verdictCounts', { '<img>': 1 }), /verdictCounts/);
    refused(edit('machine.cores', '2'), /machine\.cores/);
    refused(edit('schema', 'perfgate/result@1'), /schema/);
    refused(edit('benchmarks.0.metrics.0.reason', 'x'.repeat(5000)), /reason/);
    refused(edit('refs.head.sha', 'not a sha'), /refs\.head\.sha/);
    refused('{"schema":', /not JSON/);
  });
});

describe('the sandbox', () => {
  const probe = probeSandbox('require');
  it('is available here (bubblewrap installed by scripts/setup.sh)', () => {
    assert.ok(probe.state.active, `no sandbox: ${probe.state.problem}`);
  });
  it("a sandboxed process sees no process of perfgate's, writes only its own tree, and finds home and runner directories empty", async () => {
    const sandbox = { ...probe.sandbox!, hidden: hiddenDirs({ HOME: tempDir('perfgate-home-') }) };
    const home = sandbox.hidden[0]!;
    writeFileSync(join(home, 'secret'), 'ssh key');
    const tree = tempDir('perfgate-tree-');
    const outside = tempDir('perfgate-outside-');
    const script = [
      `ls /proc | grep -c '^[0-9]'`,
      `test -e /proc/${process.pid} && echo "sees perfgate" || echo "perfgate not visible"`,
      `ls -A ${home} | wc -l`,
      `echo hi > ${tree}/made && echo "tree writable"`,
      `(echo x > ${outside}/made) 2>/dev/null || echo "outside read-only"`,
    ].join('; ');
    const r = await runProcess({ argv: ['sh', '-c', script], cwd: tree, env: { PATH: '/usr/bin:/bin' }, timeoutSeconds: 30, sandbox });
    const lines = r.stdout.trim().split('\n');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(Number(lines[0]) < 10, `the sandbox sees ${lines[0]} processes`);
    assert.deepEqual(lines.slice(1), ['perfgate not visible', '0', 'tree writable', 'outside read-only']);
    assert.ok(existsSync(join(tree, 'made')) && !existsSync(join(outside, 'made')));
    assert.equal(readFileSync(join(home, 'secret'), 'utf8'), 'ssh key');
  });
  it('a file asked to be readable (a preload) is bound only if it is an ELF object outside the hidden directories', async () => {
    const sandbox = { ...probe.sandbox!, hidden: hiddenDirs({ HOME: tempDir('perfgate-home-') }) };
    const home = sandbox.hidden[0]!;
    const elf = readFileSync('/bin/true');
    const outside = tempDir('perfgate-preloads-'); // under /tmp, which the sandbox replaces
    const files = {
      lib: join(outside, 'lib.so'),
      token: join(outside, 'token'),
      hiddenLib: join(home, 'lib.so'),
      hiddenToken: join(home, 'token'),
      link: join(outside, 'link.so'),
      linkOut: join(outside, 'link-out.so'),
    };
    const elsewhere = join(tempDir('perfgate-libs-'), 'lib.so');
    writeFileSync(files.lib, elf);
    writeFileSync(files.hiddenLib, elf);
    writeFileSync(files.token, 'ghp_secret\n');
    writeFileSync(files.hiddenToken, 'ghp_secret\n');
    symlinkSync(files.hiddenLib, files.link);
    writeFileSync(elsewhere, elf);
    symlinkSync(elsewhere, files.linkOut); // the object it resolves to is what is checked and bound
    const tree = tempDir('perfgate-tree-');
    const r = await runProcess({
      argv: [
        'sh',
        '-c',
        Object.values(files)
          .map((f) => `test -r ${f} && echo yes || echo no`)
          .join('; '),
      ],
      cwd: tree,
      env: { PATH: '/usr/bin:/bin' },
      timeoutSeconds: 30,
      sandbox,
      readable: Object.values(files),
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(
      r.stdout.trim().split('\n'),
      ['yes', 'no', 'no', 'no', 'no', 'yes'],
      `lib, token, hidden lib, hidden token, link into home, link to a lib`,
    );
  });
  it('a command that cannot start is a spawn error; a background process dies with the command', async () => {
    const tree = tempDir('perfgate-tree-');
    const gone = await runProcess({ argv: ['/no/such/bench'], cwd: tree, env: {}, timeoutSeconds: 10, sandbox: probe.sandbox });
    assert.match(gone.spawnError ?? '', /not found/);
    mkdirSync(join(tree, 'd'));
    const t0 = Date.now();
    const r = await runProcess({
      argv: ['sh', '-c', 'sleep 30 & echo started'],
      cwd: tree,
      env: { PATH: '/usr/bin:/bin' },
      timeoutSeconds: 20,
      sandbox: probe.sandbox,
    });
    assert.equal(r.stdout.trim(), 'started');
    assert.ok(Date.now() - t0 < 10_000, `waited ${Date.now() - t0} ms for a background process`);
  });
  it("'off' is off, and hiddenDirs never hides the root", () => {
    assert.deepEqual(probeSandbox('off').state, { mode: 'off', active: false });
    assert.deepEqual(hiddenDirs({ HOME: '/', RUNNER_TEMP: 'relative' }), []);
  });
});
