/** Bisect: the first commit on the first-parent chain from `good` to `bad`
 * at which a benchmark's change appears, found by binary search where every
 * probe is a real paired comparison (compare.ts, the normal decision rule,
 * builds cached) of `good` with the probed commit: the probe shows the
 * change when its verdict is the one `good` against `bad` gave. An undecided
 * probe (UNSTABLE) stops the search with the range still open: perfgate does
 * not guess. The commit found is then compared with its own parent, and the
 * result says whether that comparison shows the change too. */
import { compare, type CompareOptions, type ComparisonResult } from '../engine/compare';
import type { Config } from '../engine/config';
import { firstParentChain, repoRoot } from '../engine/repo/git';
import type { Verdict } from '../engine/verdicts';
import { InfrastructureError, resolveTree } from '../engine/workbench';

export interface BisectProbe {
  sha: string;
  subject?: string;
  verdict: Verdict;
  changePct?: number;
}

export interface BisectResult {
  benchmark: string;
  /** What `good` against `bad` showed; the search looks for it. */
  change: Verdict;
  good: string;
  bad: string;
  probes: BisectProbe[];
  /** The first commit that shows the change (full SHA), or null with the `reason`. */
  culprit: string | null;
  subject?: string;
  /** The culprit's predecessor on the chain, what its confirmation compared it with. */
  parent?: string;
  /** The culprit compared with its parent. */
  confirmation?: ComparisonResult;
  /** True when that comparison shows the change as well. */
  confirmed?: boolean;
  /** Why there is no culprit: nothing to bisect, or the range an undecided probe left open. */
  reason?: string;
}

/** The changes a bisect can look for. */
const CHANGES: readonly Verdict[] = ['REGRESSED', 'IMPROVED', 'CRASH', 'TIMEOUT', 'BAD_OUTPUT', 'BUDGET_EXCEEDED', 'BUILD_FAILED'];

export async function bisect(
  opts: Pick<CompareOptions, 'cwd' | 'sandbox' | 'budgetSeconds' | 'onProgress'> & {
    config: Config;
    good: string;
    bad: string;
    benchmark?: string;
    say?: (line: string) => void;
  },
): Promise<BisectResult> {
  const say = opts.say ?? (() => {});
  let config = opts.config;
  if (opts.benchmark !== undefined) {
    const spec = config.benchmarks.find((b) => b.name === opts.benchmark);
    if (!spec)
      throw new InfrastructureError(`no benchmark '${opts.benchmark}' in the config (${config.benchmarks.map((b) => b.name).join(', ')})`);
    config = { ...config, benchmarks: [spec] };
  }
  const root = await repoRoot(opts.cwd);
  const good = await resolveTree(root, opts.good);
  const bad = await resolveTree(root, opts.bad);
  const chain = await firstParentChain(root, good.sha!, bad.sha!);
  if (chain.length === 0) throw new InfrastructureError(`${opts.bad} is not a first-parent descendant of ${opts.good}`);

  const run = (head: string, base = good.sha!) =>
    compare({
      cwd: opts.cwd,
      sandbox: opts.sandbox,
      budgetSeconds: opts.budgetSeconds,
      onProgress: opts.onProgress,
      config,
      base,
      head,
      calibrationFile: null,
    });
  const verdictOf = (r: ComparisonResult, name: string): BisectProbe => {
    const b = r.benchmarks.find((x) => x.name === name)!;
    return { sha: r.refs.head.sha!, subject: r.refs.head.subject, verdict: b.verdict, changePct: b.metrics[0]?.comparison?.changePct };
  };

  say(`comparing ${good.sha!.slice(0, 12)} (good) with ${bad.sha!.slice(0, 12)} (bad)`);
  const whole = await run(bad.sha!);
  const shown = whole.benchmarks.find((b) => CHANGES.includes(b.verdict));
  const name = opts.benchmark ?? shown?.name ?? config.benchmarks[0]!.name;
  config = { ...config, benchmarks: config.benchmarks.filter((b) => b.name === name) }; // the probes follow this one only
  const first = verdictOf(whole, name);
  const result: BisectResult = { benchmark: name, change: first.verdict, good: good.sha!, bad: bad.sha!, probes: [first], culprit: null };
  if (!CHANGES.includes(first.verdict)) {
    result.reason = `good against bad shows no change of ${name} (${first.verdict}): nothing to bisect`;
    return result;
  }
  // chain[i] is the i-th commit after good; chain.at(-1) is bad, known to show the change.
  let lo = -1;
  let hi = chain.length - 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    say(`${hi - lo - 1} commit(s) left; comparing good with ${chain[mid]!.slice(0, 12)}`);
    const probe = verdictOf(await run(chain[mid]!), name);
    result.probes.push(probe);
    if (probe.verdict === result.change) hi = mid;
    else if (probe.verdict === 'UNSTABLE') {
      result.reason = `the comparison with ${chain[mid]!.slice(0, 12)} was undecided: the change is after ${lo < 0 ? 'good' : chain[lo]!.slice(0, 12)} and at or before ${chain[hi]!.slice(0, 12)}`;
      return result;
    } else lo = mid;
  }
  const parent = lo < 0 ? good.sha! : chain[lo]!;
  const culprit = await resolveTree(root, chain[hi]);
  Object.assign(result, { culprit: culprit.sha!, subject: culprit.subject, parent });
  say(`first showing the change: ${culprit.sha!.slice(0, 12)}; comparing it with its parent`);
  result.confirmation = await run(culprit.sha!, parent);
  result.confirmed = verdictOf(result.confirmation, name).verdict === result.change;
  return result;
}
