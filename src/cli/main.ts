/** The perfgate command line: parses arguments, calls the engine, prints.
 * Takes its I/O as a parameter (src/cli.ts passes the process's). Exit codes: 0
 * pass, 1 regression or failure, 2 usage or config error, 3 infrastructure
 * error, 4 inconclusive (a decision could not be made), 130/143 cancelled. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { calibrate } from '../engine/calibrate';
import { defaultCalibrationFile, saveCalibration } from '../engine/calibration';
import { compare, exitCodeFor } from '../engine/compare';
import { ConfigError, MAX_PAIRS } from '../engine/config';
import { runDoctor } from '../engine/doctor';
import { cancelReason, CancelledError, signalExitCode } from '../engine/host/cancel';
import { cacheRoot, KEEP_BUILDS, listBuilds, pruneBuilds } from '../engine/repo/cache';
import { GitError } from '../engine/repo/git';
import { InfrastructureError } from '../engine/workbench';
import { renderCalibration } from '../report/calibration';
import { renderMarkdown } from '../report/markdown';
import { progressPrinter } from '../report/progress';
import { renderTerminal } from '../report/terminal';
import { textTable } from '../report/text-table';
import { parseResult } from '../report/result-schema';
import { mergeResults, parseShard, ShardError, type Shard } from '../engine/shard';
import { EXIT, intArg, readConfig, RUN_OPTIONS, sandboxArg, UsageError, writeOut, type Io } from './args';
import { cmdBisect, cmdDashboard, cmdHistory, cmdRecord } from './history';
import { cmdInit } from './init';
import { VERSION } from '../version';

const HELP = `perfgate ${VERSION}: a performance-regression gate (paired A/B runs, noise-aware verdicts, budgets)

Usage:
  perfgate init                a starter perfgate.yml from the repository's benchmarks, and the
                               workflows (never overwrites a file)
  perfgate compare [options]   build base and head, run paired benchmarks, decide
  perfgate merge RESULT.json...
                               one result of the shards of a comparison (compare --shard I/N)
  perfgate calibrate [options] A/A comparisons to learn this machine's noise (saved for compare)
  perfgate doctor              check the tools perfgate uses and how to install missing ones
  perfgate record [options]    measure one commit (the suite under each allocator) and add it to a history
  perfgate history [options]   the steps in a history: per machine, benchmark, metric and allocator, with commits
  perfgate bisect --good A --bad B [options]
                               the first commit from A to B whose paired comparison shows B's change
  perfgate dashboard --out DIR [options]
                               the history as a static site (index.html; works from file://)
  perfgate cache [list | prune [--keep N] | clear]
                               the build cache: list it (default), drop all but the N most
                               recently used builds (default 30; never one used in the last
                               hour or being built), or drop every build not being built
  perfgate --help | --version

compare options:
  --base REF            base commit (default: merge-base of HEAD and the default branch, else HEAD)
  --head REF            head commit (default: the working tree, uncommitted changes included)
  --worktree            head = the working tree (the default; conflicts with --head)
  --config FILE         config file (default: perfgate.yml at the repository root)
  --runs N              pairs at the first look (default: runs.pairs from the config, 10)
  --max-runs N          the ceiling of sequential sampling (default: runs.max_pairs, 400); equal to --runs: one look
  --budget S            seconds all benchmarks' sampling may take (default: runs.budget_s, 180)
  --seed N              seed for the pair order and the bootstrap (default: random, recorded)
  --json FILE           write the full result as JSON (schema: docs/result-schema.md)
  --markdown FILE       write the Markdown report
  --require-syscalls    fail (exit 3) when syscalls cannot be counted (strace missing or ptrace denied)
  --calibration FILE    calibration to floor noise bands with (default: calibration_file, else
                        perfgate-calibration.json in the cache directory, when present)
  --no-calibration      ignore any calibration
  --no-cache            rebuild both sides even if a cached build exists
  --sandbox MODE        build and run in a bubblewrap sandbox: auto (when it works here), require, or
                        off (the default here; the action defaults to require)
  --shard I/N           measure only shard I of N: every N-th benchmark from the I-th, with alpha split
                        over all of them; perfgate merge puts the N results together
  --quiet               no progress on stderr

calibrate options:
  --config FILE, --seed N, --sandbox MODE   as for compare
  --runs N              pairs per A/A comparison (default: runs.pairs, at least 30)
  --comparisons K       A/A comparisons per benchmark (default 5, at least 3 for compare to use it)
  --ref REF             build this commit (default: the working tree)
  --out FILE            where to save (default: calibration_file, else the cache directory)

record options:
  --ref REF             the commit to measure (default: HEAD)
  --history DIR         where records go, one file each under DIR/scorecards/ (default: .perfgate/history)
  --allocators LIST     ours,glibc,mimalloc,jemalloc,tcmalloc (default), or NAME=/path/lib.so; missing ones skipped
  --rounds N            rounds per allocator (default: runs.pairs)
  --config FILE, --sandbox MODE, --quiet   as for compare

history options:
  --history DIR         a history directory, or a checkout of the data branch (default: .perfgate/history)
  --config FILE         whose bands bound the steps reported: min_effect_pct, the budgets' growth
                        allowances (default: perfgate.yml, if any)
  --seed N              seed of the permutation test (default 1: the same history gives the same steps)
  --json                print { records, unreadable, changePoints: [{ benchmark, metric, allocator,
                        machine, commit, previous, changePct, confidence, ... }] }
  --confirm             compare the commits either side of each step (paired, the normal rule): the
                        'paired' column says whether the comparison shows it

bisect options:
  --good REF, --bad REF the ends: REF B must descend from A along first parents
  --benchmark NAME      the benchmark to follow (default: the first that changed from A to B)
  --budget S            seconds of sampling per comparison (default: runs.budget_s)
  --json                print one object: culprit (full SHA, or null with the reason), every probe,
                        and the culprit's comparison with its parent
  --config FILE, --sandbox MODE, --quiet   as for compare

dashboard options:
  --out DIR             where index.html and dashboard.json go (required)
  --history DIR, --config FILE, --seed N   as for history
  --repo-url URL        commit links go to URL/commit/SHA (default: from the origin remote)

Exit codes: 0 pass, 1 regression or failure (REGRESSED, CRASH, TIMEOUT, BAD_OUTPUT,
BUDGET_EXCEEDED, BUILD_FAILED), 2 usage or config error, 3 infrastructure error
(base does not build, git or tool failure), 4 inconclusive (UNSTABLE: not decided within
the budget, or base failed), 130/143 cancelled by SIGINT/SIGTERM (what was known so far is
still written with --json, marked "cancelled"; running benchmarks and temporary files are
removed).

perfgate never modifies your working tree, index, stash, branches or worktrees. It
builds copies of base and head under its cache ($PERFGATE_CACHE_DIR, else
$XDG_CACHE_HOME/perfgate, else ~/.cache/perfgate); see perfgate cache.`;

async function cmdCompare(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...RUN_OPTIONS,
      base: { type: 'string' },
      head: { type: 'string' },
      worktree: { type: 'boolean' },
      runs: { type: 'string' },
      'max-runs': { type: 'string' },
      budget: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      markdown: { type: 'string' },
      'require-syscalls': { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      calibration: { type: 'string' },
      'no-calibration': { type: 'boolean' },
      shard: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.calibration !== undefined && values['no-calibration'])
    throw new UsageError('--calibration and --no-calibration exclude each other');
  if (values.head !== undefined && values.worktree) throw new UsageError('--head and --worktree exclude each other');
  const pairs = intArg('runs', values.runs, 2, MAX_PAIRS);
  const maxPairs = intArg('max-runs', values['max-runs'], 2, MAX_PAIRS);
  if (pairs !== undefined && maxPairs !== undefined && maxPairs < pairs) throw new UsageError('--max-runs must be at least --runs');
  const seed = intArg('seed', values.seed, 0);
  const budgetSeconds = intArg('budget', values.budget, 1, 86400);
  const config = await readConfig(io, values.config);
  const progress = values.quiet
    ? undefined
    : progressPrinter({ write: io.err, tty: io.isTty, groups: process.env.GITHUB_ACTIONS === 'true' });
  const result = await compare({
    cwd: io.cwd,
    config,
    base: values.base,
    head: values.head,
    pairs,
    maxPairs,
    budgetSeconds,
    seed,
    requireSyscalls: values['require-syscalls'] ? true : undefined, // else syscall_pass.require
    useCache: !values['no-cache'],
    calibrationFile: values['no-calibration'] ? null : values.calibration ? resolve(io.cwd, values.calibration) : undefined,
    sandbox: sandboxArg(values.sandbox),
    shard: values.shard === undefined ? undefined : shardArg(values.shard),
    onProgress: progress?.onProgress,
  }).finally(() => progress?.done());
  if (values.json) writeOut(io.cwd, values.json, `${JSON.stringify(result, null, 2)}\n`);
  if (values.markdown) writeOut(io.cwd, values.markdown, `${renderMarkdown(result)}\n`);
  io.out(`${renderTerminal(result)}\n`);
  return result.cancelled ? signalExitCode(result.cancelled) : exitCodeFor(result.outcome);
}

function shardArg(v: string): Shard {
  try {
    return parseShard(v);
  } catch (e) {
    throw new UsageError(`--shard: ${(e as Error).message}`);
  }
}

function cmdMerge(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'string' }, markdown: { type: 'string' } },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length === 0)
    throw new UsageError('perfgate merge takes the JSON results of every shard: perfgate merge 1.json 2.json ...');
  const results = positionals.map((f) => {
    const path = resolve(io.cwd, f);
    if (!existsSync(path)) throw new UsageError(`${f}: no such file`);
    try {
      return parseResult(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new UsageError(`${f}: ${(e as Error).message}`);
    }
  });
  let merged;
  try {
    merged = mergeResults(results);
  } catch (e) {
    if (e instanceof ShardError) throw new UsageError(`cannot merge: ${e.message}`);
    throw e;
  }
  if (values.json) writeOut(io.cwd, values.json, `${JSON.stringify(merged, null, 2)}\n`);
  if (values.markdown) writeOut(io.cwd, values.markdown, `${renderMarkdown(merged)}\n`);
  io.out(`${renderTerminal(merged)}\n`);
  return merged.cancelled ? signalExitCode(merged.cancelled) : exitCodeFor(merged.outcome);
}

async function cmdCalibrate(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...RUN_OPTIONS,
      runs: { type: 'string' },
      seed: { type: 'string' },
      comparisons: { type: 'string' },
      ref: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const config = await readConfig(io, values.config);
  const cal = await calibrate({
    cwd: io.cwd,
    config,
    ref: values.ref,
    comparisons: intArg('comparisons', values.comparisons, 2) ?? 5,
    pairs: intArg('runs', values.runs, 2, MAX_PAIRS),
    seed: intArg('seed', values.seed, 0),
    sandbox: sandboxArg(values.sandbox),
    onProgress: values.quiet ? undefined : (m) => io.err(`${m}\n`),
  });
  const file = values.out ? resolve(io.cwd, values.out) : defaultCalibrationFile(config);
  saveCalibration(file, cal);
  io.out(`${renderCalibration(cal)}\n\nsaved to ${file}\n`);
  return EXIT.pass;
}

async function cmdDoctor(io: Io): Promise<number> {
  const checks = await runDoctor();
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) io.out(`${c.status.padEnd(7)} ${c.name.padEnd(width)}  ${c.detail}\n`);
  const missingRequired = checks.filter((c) => c.required && c.status !== 'ok');
  if (missingRequired.length) {
    io.out(
      `\nperfgate compare cannot run until ${missingRequired.map((c) => c.name).join(', ')} ${missingRequired.length > 1 ? 'are' : 'is'} installed.\n`,
    );
    return EXIT.infra;
  }
  return EXIT.pass;
}

async function cmdCache(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { keep: { type: 'string' } }, strict: true, allowPositionals: true });
  const [action = 'list', ...extra] = positionals;
  if (extra.length || !['list', 'prune', 'clear'].includes(action))
    throw new UsageError(`perfgate cache takes list, prune [--keep N] or clear, got '${positionals.join(' ')}'`);
  if (values.keep !== undefined && action !== 'prune') throw new UsageError('--keep goes with prune');
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  const root = cacheRoot();
  if (action === 'list') {
    const builds = listBuilds(root);
    const rows = builds.map((b) => [
      b.key,
      b.untrusted ? 'untrusted' : 'trusted',
      b.ageSeconds === undefined ? 'unfinished' : `${Math.round(b.ageSeconds / 60)} min ago`,
      mib(b.bytes),
    ]);
    io.out(`${root}: ${builds.length} build(s), ${mib(builds.reduce((s, b) => s + b.bytes, 0))}\n`);
    if (rows.length) io.out(`${textTable([['build', 'code', 'last used', 'size'], ...rows]).join('\n')}\n`);
    return EXIT.pass;
  }
  const removed = await pruneBuilds(root, action === 'clear' ? 0 : (intArg('keep', values.keep, 0) ?? KEEP_BUILDS), action === 'clear');
  io.out(`removed ${removed.length} build(s), ${mib(removed.reduce((s, b) => s + b.bytes, 0))}, from ${root}\n`);
  return EXIT.pass;
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(`${HELP}\n`);
      return command === undefined ? EXIT.usage : EXIT.pass;
    }
    if (command === '--version') {
      io.out(`${VERSION}\n`);
      return EXIT.pass;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`${HELP}\n`);
      return EXIT.pass;
    }
    if (command === 'compare') return await cmdCompare(rest, io);
    if (command === 'doctor') return await cmdDoctor(io);
    if (command === 'cache') return await cmdCache(rest, io);
    if (command === 'record') return await cmdRecord(rest, io);
    if (command === 'history') return await cmdHistory(rest, io);
    if (command === 'bisect') return await cmdBisect(rest, io);
    if (command === 'dashboard') return await cmdDashboard(rest, io);
    if (command === 'init') return await cmdInit(rest, io);
    if (command === 'merge') return cmdMerge(rest, io);
    if (command === 'calibrate') return await cmdCalibrate(rest, io);
    throw new UsageError(
      `unknown command '${command}' (commands: init, compare, merge, calibrate, doctor, record, history, bisect, dashboard, cache; see perfgate --help)`,
    );
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`perfgate: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof ConfigError) {
      io.err(`perfgate: config error: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof CancelledError) {
      io.err(`perfgate: cancelled (${cancelReason()}); nothing was decided\n`);
      return signalExitCode(cancelReason() ?? 'SIGTERM');
    }
    if (e instanceof InfrastructureError || e instanceof GitError) {
      io.err(`perfgate: ${e.message}\n`);
      return EXIT.infra;
    }
    // A bug in perfgate, not the user's mistake: one line, the stack only on request.
    const err = e instanceof Error ? e : new Error(String(e));
    io.err(
      process.env.PERFGATE_DEBUG
        ? `perfgate: internal error: ${err.stack ?? err.message}\n`
        : `perfgate: internal error: ${err.message.split('\n')[0]} (a bug in perfgate: PERFGATE_DEBUG=1 shows where)\n`,
    );
    return EXIT.infra;
  }
}
