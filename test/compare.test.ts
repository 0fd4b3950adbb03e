/** End to end through the real CLI: a temporary git repository with a tiny C
 * benchmark, and commits that change nothing, slow it down, crash it, hang
 * it, add syscalls, or break the build. Real gcc, make, strace, processes. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';

import type { Calibration } from '../src/engine/calibration';
import type { ComparisonResult } from '../src/engine/compare';
import { BENCH_C, baseFiles, scenario, TINY_CONFIG } from './fixtures';
import { commit, git, newRepo, runCli, tempDir, writeFiles } from './helpers';

describe('perfgate compare on a temporary repository', () => {
  let repo = '';
  let cache = '';
  const shas: Record<string, string> = {};

  before(() => {
    repo = newRepo();
    cache = tempDir('perfgate-cache-');
    shas.base = commit(repo, 'base', baseFiles());
    const variants: Record<string, Record<string, string>> = {
      nothing: { 'README.md': 'tiny, documented\n' },
      slower: { 'scenario.h': scenario(125) },
      segv: { 'scenario.h': scenario(100, 'if (i == ops / 2) *(volatile int *)0 = 1;') },
      hang: { 'scenario.h': scenario(100, 'if (i == ops / 2) for (;;) x++;') },
      mmap: { 'scenario.h': scenario(100, '{ void *p = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); munmap(p, 4096); }') },
      broken: { 'scenario.h': `${scenario(100)}this is not C;\n` },
      garbage: { 'scenario.h': `${scenario(100)}#define GARBAGE 1\n` },
      onepct: { 'scenario.h': scenario(101) },
      // Touches 64 MiB, then tells perfgate its peak RSS was 1 KiB, it had no faults and did 1000x the operations.
      liar: {
        'scenario.h': scenario(100, 'if (i == 0) { char *p = malloc(64 << 20); memset(p, 1, 64 << 20); x += p[4096]; }'),
        'bench.c': BENCH_C.replace('printf("{\\"ops\\":%ld,', 'printf("{\\"maxrss_kb\\":1,\\"minflt\\":0,\\"ops\\":%ld,').replace(
          'ops, ops / (t1 - t0)',
          'ops * 1000, ops / (t1 - t0)',
        ),
      },
    };
    for (const [name, files] of Object.entries(variants)) {
      git(repo, 'checkout', '-q', shas.base);
      shas[name] = commit(repo, name, files);
    }
    git(repo, 'checkout', '-q', 'main');
  });

  function compareTo(name: string, extra: string[] = []): { code: number; result: ComparisonResult; stdout: string; stderr: string } {
    const out = join(tempDir('perfgate-out-'), 'result.json');
    const r = runCli(repo, ['compare', '--base', shas.base as string, '--head', shas[name] as string, '--json', out, '--quiet', ...extra], {
      PERFGATE_CACHE_DIR: cache,
      GITHUB_TOKEN: 'sekrit-token',
    });
    let result: ComparisonResult;
    try {
      result = JSON.parse(readFileSync(out, 'utf8')) as ComparisonResult;
    } catch {
      throw new Error(`no result (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return { ...r, result };
  }

  it('(a) a commit that changes nothing passes, and benchmarks never see the token', () => {
    const { code, result, stdout } = compareTo('nothing');
    assert.equal(result.outcome, 'pass', stdout);
    assert.equal(code, 0);
    assert.equal(result.benchmarks[0]?.verdict, 'UNCHANGED');
    const runs = result.benchmarks[0]?.runs ?? [];
    const pairs = runs.filter((r) => r.kind === 'pair');
    assert.ok(pairs.length >= 16 && pairs.length % 2 === 0, `${pairs.length} pair runs`);
    const c = result.benchmarks[0].metrics[0]!.comparison!;
    assert.ok(c.ciLowPct > -5 && c.ciHighPct < 5, `UNCHANGED with interval ${c.ciLowPct} … ${c.ciHighPct}`);
    assert.ok(
      runs.every((r) => r.stderrTail.includes('token=none')),
      'a benchmark saw GITHUB_TOKEN',
    );
    const syscalls = result.benchmarks[0]?.syscalls;
    assert.ok(syscalls?.measured, syscalls?.reason);
    assert.ok((syscalls?.head?.calls.mmap ?? 0) > 0, 'strace counted no mmap at all');
  });

  it('(b) a 20 % slowdown is REGRESSED and fails', () => {
    const { code, result } = compareTo('slower');
    const m = result.benchmarks[0]?.metrics[0];
    assert.equal(m?.verdict, 'REGRESSED', m?.reason);
    assert.ok((m?.comparison?.changePct ?? 0) < -10, `change ${m?.comparison?.changePct}`);
    assert.equal(result.outcome, 'fail');
    assert.equal(code, 1);
  });

  it("(b') a command that prints nothing is judged by its own time: wall and CPU seconds", () => {
    const cfg = join(tempDir('perfgate-cfg-'), 'time.yml');
    writeFileSync(
      cfg,
      TINY_CONFIG.replace(
        /argv: .*\n {4}metric: .*\n/,
        'argv: ["sh", "-c", "exec {build}/bench 1000000 >/dev/null 2>&1"]\n    metric: { time: wall }\n    extra_metrics: [{ time: cpu }]\n',
      ),
    );
    const { code, result } = compareTo('slower', ['--config', cfg]);
    const [wall, cpu] = result.benchmarks[0]!.metrics;
    assert.deepEqual([wall?.metric, wall?.unit, wall?.higherIsBetter, cpu?.metric], ['wall_seconds', 's', false, 'cpu_seconds']);
    const run = result.benchmarks[0]!.runs.find((r) => r.kind === 'pair' && r.status === 'ok')!;
    assert.ok(run.metrics.wall_seconds! > 0.05 && run.metrics.cpu_seconds! > 0.05, JSON.stringify(run.metrics));
    assert.equal(wall?.verdict, 'REGRESSED', wall?.reason);
    assert.ok((wall?.comparison?.changePct ?? 0) < -10, `change ${wall?.comparison?.changePct}`);
    assert.equal(code, 1);
  });

  it('two shards on their own measure half the suite each, with alpha split over all of it; merge makes one result, and refuses a stranger', () => {
    const cfg = join(tempDir('perfgate-cfg-'), 'two.yml');
    writeFileSync(cfg, `${TINY_CONFIG}  - name: tiny2\n    argv: ["{build}/bench", "150000"]\n    metric: { json: ops_per_sec }\n`);
    const dir = tempDir('perfgate-shards-');
    const shard = (name: string, s: string) => {
      const out = join(dir, `${name}-${s.replace('/', 'of')}.json`);
      const r = runCli(
        repo,
        ['compare', '--base', shas.base!, '--head', shas[name]!, '--config', cfg, '--shard', s, '--json', out, '--quiet'],
        {
          PERFGATE_CACHE_DIR: cache,
        },
      );
      return { ...r, out, result: JSON.parse(readFileSync(out, 'utf8')) as ComparisonResult };
    };
    const one = shard('slower', '1/2');
    const two = shard('slower', '2/2');
    assert.deepEqual(
      one.result.benchmarks.map((b) => b.name),
      ['tiny'],
    );
    assert.deepEqual(
      two.result.benchmarks.map((b) => b.name),
      ['tiny2'],
    );
    assert.equal(one.result.sampling!.decisions, 2, 'alpha must be split over the whole suite');
    const merged = join(dir, 'merged.json');
    const m = runCli(repo, ['merge', two.out, one.out, '--json', merged]);
    const result = JSON.parse(readFileSync(merged, 'utf8')) as ComparisonResult;
    assert.deepEqual(
      result.benchmarks.map((b) => [b.name, b.verdict]),
      [
        ['tiny', 'REGRESSED'],
        ['tiny2', 'REGRESSED'],
      ],
    );
    assert.deepEqual(
      result.shards?.map((s) => s.index),
      [1, 2],
    );
    assert.equal(result.outcome, 'fail');
    assert.equal(m.code, 1, m.stderr);
    // A shard of another comparison, and a missing shard, are refused.
    const stranger = shard('nothing', '2/2');
    const bad = runCli(repo, ['merge', one.out, stranger.out]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cannot merge: the shards compared different commits: head/);
    const alone = runCli(repo, ['merge', one.out]);
    assert.match(alone.stderr, /cannot merge: the shards of 1\.\.2 must each be there once: missing 2/);
  });

  it('(c) a SIGSEGV is CRASH with the signal and the stderr tail', () => {
    const { code, result, stdout } = compareTo('segv');
    const b = result.benchmarks[0];
    assert.equal(b?.verdict, 'CRASH');
    const crashed = b?.runs.find((r) => r.status === 'crash');
    assert.equal(crashed?.signal, 'SIGSEGV');
    assert.ok(crashed?.stderrTail.some((l) => l.startsWith('token=')));
    assert.match(stdout, /SIGSEGV/);
    assert.equal(code, 1);
  });

  it('(d) a hang is TIMEOUT and the process group is killed', () => {
    const started = Date.now();
    const { code, result } = compareTo('hang');
    assert.equal(result.benchmarks[0]?.verdict, 'TIMEOUT');
    assert.equal(code, 1);
    assert.ok(Date.now() - started < 60000, 'hung runs were not cut short');
  });

  it('(e) an mmap+munmap per operation breaks the syscall budget', () => {
    const { code, result } = compareTo('mmap');
    const b = result.benchmarks[0];
    assert.equal(b?.verdict, 'BUDGET_EXCEEDED');
    const budget = b?.budgets.find((x) => x.budget.startsWith('mmap+munmap+madvise per op') && x.status === 'exceeded');
    assert.ok(budget, JSON.stringify(b?.budgets));
    assert.ok((budget.head ?? 0) >= 2, `head ${budget.head} calls/op`);
    assert.equal(code, 1);
  });

  it("(e') budgets rest on what perfgate measured, not on what the benchmark says of itself", () => {
    const { result } = compareTo('liar');
    const b = result.benchmarks[0]!;
    assert.equal(b.verdict, 'BUDGET_EXCEEDED', JSON.stringify(b.budgets));
    const rss = b.budgets.find((x) => x.budget === 'peak RSS')!;
    assert.equal(rss.status, 'exceeded');
    assert.ok((rss.head ?? 0) > 60 * 1024, `head peak RSS ${rss.head} KiB: the self-reported 1 KiB was used`);
    assert.equal(b.budgets.find((x) => x.budget === 'page faults per op')!.status, 'exceeded');
  });

  it('(f) a head that does not compile is BUILD_FAILED with the compiler error', () => {
    const { code, result, stdout } = compareTo('broken');
    assert.equal(result.benchmarks[0]?.verdict, 'BUILD_FAILED');
    assert.ok(
      result.build.head.logTail.some((l) => /error/.test(l)),
      result.build.head.logTail.join('\n'),
    );
    assert.match(stdout, /head build failed/);
    assert.equal(code, 1);
  });

  it('the instruction-count gate sees a 1 % change that wall-clock noise hides', () => {
    const cfgDir = tempDir('perfgate-instr-');
    const config = join(cfgDir, 'instr.yml');
    writeFiles(cfgDir, {
      'instr.yml': TINY_CONFIG.replace(
        '    metric: { json: ops_per_sec }',
        '    metric: { json: ops_per_sec }\n    instructions: { argv: ["{build}/bench", "20000"], threshold_pct: 0.5 }',
      ),
    });
    const run = (head: string) => {
      const out = join(cfgDir, `${head}.json`);
      const r = runCli(
        repo,
        ['compare', '--config', config, '--base', shas.base as string, '--head', shas[head] as string, '--json', out, '--quiet'],
        {
          PERFGATE_CACHE_DIR: cache,
        },
      );
      const result = JSON.parse(readFileSync(out, 'utf8')) as ComparisonResult;
      return { r, m: result.benchmarks[0]!.metrics.find((x) => x.metric === 'instructions_per_op')! };
    };
    const same = run('nothing');
    assert.equal(same.m.verdict, 'UNCHANGED', same.m.reason);
    assert.match(same.m.reason, /counted with (perf|valgrind)/);
    const onePct = run('onepct');
    assert.equal(onePct.m.verdict, 'REGRESSED', onePct.m.reason);
    assert.ok(Math.abs(onePct.m.comparison!.changePct + 1) < 0.3, `instructions changed by ${onePct.m.comparison!.changePct} %`);
    assert.equal(onePct.r.code, 1);
  });

  it('a machine too noisy for the pre-flight probe makes the comparison inconclusive, never a pass', () => {
    const cfgDir = tempDir('perfgate-preflight-');
    writeFiles(cfgDir, {
      'noisy.yml': TINY_CONFIG.replace('preflight: { enabled: false }', 'preflight: { max_cv_pct: 0.0001, retries: 1, wait_s: 0 }'),
    });
    const out = join(cfgDir, 'r.json');
    const r = runCli(
      repo,
      [
        'compare',
        '--config',
        join(cfgDir, 'noisy.yml'),
        '--base',
        shas.base as string,
        '--head',
        shas.nothing as string,
        '--json',
        out,
        '--quiet',
      ],
      {
        PERFGATE_CACHE_DIR: cache,
      },
    );
    const result = JSON.parse(readFileSync(out, 'utf8')) as ComparisonResult;
    assert.equal(r.code, 4);
    assert.equal(result.outcome, 'inconclusive');
    assert.equal(result.preflight?.attempts, 2);
    assert.equal(result.benchmarks[0]?.verdict, 'UNSTABLE');
    assert.match(result.benchmarks[0]?.metrics[0]?.reason ?? '', /too noisy to measure: a fixed CPU workload varied by CV/);
    assert.equal(result.benchmarks[0]?.runs.length, 0, 'benchmarks ran on a machine declared too noisy');
  });

  it('calibrate learns the A/A noise; compare floors a band with it only where the ceiling cannot resolve the minimum effect', () => {
    const file = join(tempDir('perfgate-cal-'), 'cal.json');
    const c = runCli(repo, ['calibrate', '--ref', shas.base as string, '--comparisons', '3', '--runs', '10', '--out', file, '--quiet'], {
      PERFGATE_CACHE_DIR: cache,
    });
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /calibration: 3 A\/A comparisons of 10 pairs/);
    const cal = JSON.parse(readFileSync(file, 'utf8')) as Calibration;
    assert.equal(cal.schema, 'perfgate/calibration@2');
    const m = cal.benchmarks.tiny?.metrics.ops_per_sec;
    assert.ok(m && m.aaChangesPct.length === 3 && m.robustSdPct > 0 && m.mde80Pct > 0 && m.cvPct > 0, JSON.stringify(m));
    assert.ok(m.mde95Pct > m.mde80Pct);

    const compareWith = (extra: string[]) => {
      const out = join(dirname(file), 'r.json');
      const r = runCli(
        repo,
        [
          'compare',
          '--base',
          shas.base as string,
          '--head',
          shas.nothing as string,
          '--calibration',
          file,
          '--json',
          out,
          '--quiet',
          ...extra,
        ],
        {
          PERFGATE_CACHE_DIR: cache,
        },
      );
      return { r, result: JSON.parse(readFileSync(out, 'utf8')) as ComparisonResult };
    };
    // A machine whose A/A noise is 60 % cannot resolve ±5 % even at the ceiling: the band is the floor.
    m.intervalSdPct = 60;
    writeFiles('/', { [file]: JSON.stringify(cal) });
    const noisy = compareWith(['--runs', '8', '--max-runs', '8']);
    assert.deepEqual(noisy.result.calibration?.benchmarks, ['tiny']);
    assert.match(noisy.r.stdout, /The calibration of \d{4}-\d\d-\d\d \(less than a day old\) floored the bands of tiny/);
    const band = noisy.result.benchmarks[0]!.metrics[0]!.comparison!;
    assert.equal(band.bandSource, 'calibration');
    assert.ok(band.noiseBandPct > 5, `band ${band.noiseBandPct}`);
    // A quiet one floors nothing.
    m.intervalSdPct = 0.1;
    writeFiles('/', { [file]: JSON.stringify(cal) });
    const quiet = compareWith(['--runs', '8', '--max-runs', '8']);
    assert.deepEqual(quiet.result.calibration?.benchmarks, []);
    assert.match(quiet.r.stdout, /floored no band/);
    // An edited benchmark definition makes the entry stale: no floor, and the band is min_effect_pct.
    const cfgDir = tempDir('perfgate-cal-cfg-');
    writeFiles(cfgDir, { 'edited.yml': TINY_CONFIG.replace('"200000"', '"200001"') });
    m.intervalSdPct = 60;
    writeFiles('/', { [file]: JSON.stringify(cal) });
    const edited = compareWith(['--runs', '8', '--max-runs', '8', '--config', join(cfgDir, 'edited.yml')]);
    assert.equal(edited.result.benchmarks[0]!.metrics[0]!.comparison!.bandSource, 'min_effect');
  });

  it('syscall_pass.require: without strace the comparison stops (exit 3); without it, budgets say "not measured"', () => {
    // A PATH with every tool of this machine except strace.
    const bin = tempDir('perfgate-nostrace-');
    for (const dir of (process.env.PATH ?? '').split(':'))
      for (const name of existsSync(dir) ? readdirSync(dir) : [])
        if (name !== 'strace' && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
    const cfgDir = tempDir('perfgate-require-');
    writeFiles(cfgDir, {
      'require.yml': `${TINY_CONFIG}syscall_pass: { require: true }\n`,
      'lenient.yml': TINY_CONFIG,
    });
    const run = (cfg: string) =>
      runCli(
        repo,
        [
          'compare',
          '--config',
          join(cfgDir, cfg),
          '--base',
          shas.base as string,
          '--head',
          shas.nothing as string,
          '--json',
          join(cfgDir, `${cfg}.json`),
          '--quiet',
        ],
        {
          PERFGATE_CACHE_DIR: cache,
          PATH: bin,
        },
      );
    const strict = run('require.yml');
    assert.equal(strict.code, 3, strict.stderr);
    assert.match(strict.stderr, /syscalls must be counted \(syscall_pass\.require\): strace is not installed \(Debian package: strace\)/);
    const lenient = run('lenient.yml');
    assert.ok(lenient.code === 0 || lenient.code === 4, lenient.stderr);
    const result = JSON.parse(readFileSync(join(cfgDir, 'lenient.yml.json'), 'utf8')) as ComparisonResult;
    assert.equal(result.benchmarks[0]?.budgets[0]?.status, 'not_measured');
  });

  it('output the parser cannot read is BAD_OUTPUT, quoting what was printed', () => {
    const { code, result } = compareTo('garbage');
    const b = result.benchmarks[0];
    assert.equal(b?.verdict, 'BAD_OUTPUT');
    assert.match(b?.runs.find((r) => r.status === 'bad_output')?.error ?? '', /expected a JSON object.*Throughput: lots/);
    assert.equal(code, 1);
  });

  it('a base that does not build is an infrastructure error (exit 3), not a verdict', () => {
    const r = runCli(repo, ['compare', '--base', shas.broken as string, '--head', shas.base as string, '--quiet'], {
      PERFGATE_CACHE_DIR: cache,
    });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /the base .* failed to build/);
    assert.match(r.stderr, /error/);
  });

  it('the working tree is the default head, and perfgate leaves the repository as it was', () => {
    git(repo, 'checkout', '-q', shas.base as string);
    writeFiles(repo, { 'README.md': 'uncommitted edit\n', 'notes.txt': 'untracked\n' });
    const before = {
      status: git(repo, 'status', '--porcelain'),
      branches: git(repo, 'branch', '-a', '-v'),
      worktrees: git(repo, 'worktree', 'list'),
      stash: git(repo, 'stash', 'list'),
      head: git(repo, 'rev-parse', 'HEAD'),
    };
    const r = runCli(repo, ['compare', '--base', shas.base as string, '--quiet', '--runs', '4', '--max-runs', '4'], {
      PERFGATE_CACHE_DIR: cache,
    });
    assert.ok(r.code === 0 || r.code === 4, `exit ${r.code}: ${r.stderr}`);
    assert.match(r.stdout, /working tree/);
    assert.deepEqual(
      {
        status: git(repo, 'status', '--porcelain'),
        branches: git(repo, 'branch', '-a', '-v'),
        worktrees: git(repo, 'worktree', 'list'),
        stash: git(repo, 'stash', 'list'),
        head: git(repo, 'rev-parse', 'HEAD'),
      },
      before,
    );
  });

  it('usage and config errors exit 2 and say what is wrong', () => {
    const bad = runCli(repo, ['compare', '--runs', 'many'], { PERFGATE_CACHE_DIR: cache });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--runs takes a whole number/);
    const cfg = join(tempDir('perfgate-cfg-'), 'bad.yml');
    writeFiles('/', { [cfg]: 'benchmarks:\n  - name: x\n    argv: [a]\n    timeout_s: -1\n' });
    const r = runCli(repo, ['compare', '--config', cfg], { PERFGATE_CACHE_DIR: cache });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yml: benchmarks\[0\]\.timeout_s: expected a number greater than 0/);
    const missing = runCli(repo, ['compare', '--base', 'no-such-ref'], { PERFGATE_CACHE_DIR: cache });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /cannot find 'no-such-ref'/);
  });
});
