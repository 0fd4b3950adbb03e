/** Sharding a comparison across runners: shard I of N measures every N-th
 * benchmark of the config (I, I+N, ...), both sides on its own machine, and
 * splits alpha over every benchmark of the config, not only its own; so the
 * results of all N shards, put together by mergeResults, hold family-wise
 * exactly as one comparison of the whole suite would. */
import type { ComparisonResult } from './compare';
import type { BenchmarkSpec, Config } from './config';
import { countVerdicts, overallOutcome } from './decision';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export class ShardError extends Error {}

/** "I/N" with 1 <= I <= N. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count || count > 1000)
    throw new ShardError(`a shard is I/N with 1 <= I <= N (e.g. 1/2), got '${text}'`);
  return { index, count };
}

/** The benchmarks shard `s` measures: every count-th of the config, from the index-th. */
export function shardOf(benchmarks: readonly BenchmarkSpec[], s: Shard): BenchmarkSpec[] {
  return benchmarks.filter((_, i) => i % s.count === s.index - 1);
}

const configKey = (c: Config): string => JSON.stringify({ ...c, file: '' }); // runners check out to different paths

/** One result of the shards' results; refuses results that do not belong together. */
export function mergeResults(results: readonly ComparisonResult[]): ComparisonResult {
  if (results.length === 0) throw new ShardError('no results to merge');
  const [first] = results as [ComparisonResult, ...ComparisonResult[]];
  const count = first.shard?.count;
  for (const [i, r] of results.entries()) {
    if (!r.shard) throw new ShardError(`result ${i + 1} is not a shard (compare it with --shard I/N)`);
    if (r.shard.count !== count) throw new ShardError(`result ${i + 1} is shard ${r.shard.index}/${r.shard.count}, the first of ${count}`);
    for (const side of ['base', 'head'] as const)
      if (r.refs[side].treeId !== first.refs[side].treeId)
        throw new ShardError(
          `the shards compared different commits: ${side} ${(first.refs[side].sha ?? first.refs[side].treeId).slice(0, 12)} in shard ${first.shard!.index}, ${(r.refs[side].sha ?? r.refs[side].treeId).slice(0, 12)} in shard ${r.shard.index}`,
        );
    if (configKey(r.config) !== configKey(first.config))
      throw new ShardError(
        `shards ${first.shard!.index} and ${r.shard.index} ran with different configs: merge only shards of one comparison`,
      );
  }
  const indices = results.map((r) => r.shard!.index).sort((a, b) => a - b);
  const missing = Array.from({ length: count! }, (_, i) => i + 1).filter((i) => !indices.includes(i));
  const twice = indices.filter((x, i) => indices[i - 1] === x);
  if (missing.length || twice.length)
    throw new ShardError(
      `the shards of 1..${count} must each be there once:${missing.length ? ` missing ${missing.join(', ')}` : ''}${twice.length ? ` twice ${twice.join(', ')}` : ''}`,
    );
  const byName = new Map(results.flatMap((r) => r.benchmarks.map((b) => [b.name, b] as const)));
  const benchmarks = first.config.benchmarks.flatMap((spec) => {
    const b = byName.get(spec.name);
    return b ? [b] : [];
  });
  const verdicts = benchmarks.map((b) => b.verdict);
  const cancelled = results.find((r) => r.cancelled)?.cancelled;
  return {
    ...first,
    shard: undefined,
    shards: [...results]
      .sort((a, b) => a.shard!.index - b.shard!.index)
      .map((r) => ({ index: r.shard!.index, count: r.shard!.count, seed: r.seed, machine: r.machine, samplingSeconds: r.samplingSeconds })),
    samplingSeconds: Math.max(...results.map((r) => r.samplingSeconds ?? 0)),
    build: {
      base: results.find((r) => !r.build.base.ok)?.build.base ?? first.build.base,
      head: results.find((r) => !r.build.head.ok)?.build.head ?? first.build.head,
    },
    benchmarks,
    verdictCounts: countVerdicts(verdicts),
    outcome: overallOutcome(verdicts),
    ...(cancelled ? { cancelled } : {}),
  };
}
