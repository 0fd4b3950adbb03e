/** The JSON result (docs/result-schema.md) as a runtime schema, for results
 * that come from somewhere perfgate does not trust: the artifact of a fork's
 * run, read by the action's report mode. Every field the renderers read is
 * checked for type and size, verdicts must be verdicts, unknown keys are
 * dropped. The schema is typed against ComparisonResult, so the compiler
 * keeps it and the engine's types from drifting apart. */
import { z } from 'zod';

import { RESULT_SCHEMA, type ComparisonResult } from '../engine/compare';
import { VERDICTS } from '../engine/verdicts';
import { SYSCALLS } from '../engine/types';

/** An artifact larger than this is not a perfgate result. */
export const MAX_RESULT_BYTES = 32 * 1024 * 1024;

export class ResultSchemaError extends Error {}

const text = (max = 4000) => z.string().max(max);
const name = text(200);
/** JSON has no Infinity: an unbounded interval end or MDE arrives as null. */
const real = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);
const count = z.number().int().nonnegative();
const verdict = z.enum(VERDICTS);
const lines = z.array(text()).max(200);

const sampleSummary = z.object({
  n: count,
  mean: real,
  median: real,
  stdev: real,
  cvPct: real,
  min: real,
  max: real,
});

const comparison = z.object({
  pairs: count,
  medianRatio: real,
  changePct: real,
  ciLowPct: real,
  ciHighPct: real,
  pValue: real,
  pAdjusted: real,
  level: real.optional(),
  pairSdPct: real,
  robustSdPct: real.optional(),
  noiseBandPct: real,
  bandSource: z.enum(['min_effect', 'calibration']).optional(),
  mdePct: real,
});

const metricResult = z.object({
  benchmark: name,
  metric: name,
  unit: name,
  higherIsBetter: z.boolean(),
  base: sampleSummary.optional(),
  head: sampleSummary.optional(),
  comparison: comparison.optional(),
  verdict,
  reason: text(),
});

const syscallCount = z.object({
  calls: z.partialRecord(z.enum(SYSCALLS), count),
  ops: real.optional(),
});

const budgetCheck = z.object({
  benchmark: name,
  budget: name,
  base: real.optional(),
  head: real.optional(),
  limit: real.optional(),
  unit: name,
  status: z.enum(['ok', 'exceeded', 'not_measured']),
  reason: text(),
});

const runRecord = z.object({
  benchmark: name,
  side: z.enum(['base', 'head']),
  kind: z.enum(['warmup', 'pair']),
  pair: count.optional(),
  position: z.union([z.literal(0), z.literal(1)]).optional(),
  status: z.enum(['ok', 'crash', 'timeout', 'bad_output']),
  exitCode: z.number().int().optional(),
  signal: name.optional(),
  error: text().optional(),
  metrics: z.record(name, real),
  wallSeconds: real,
  userSeconds: real.optional(),
  sysSeconds: real.optional(),
  maxRssKb: real.optional(),
  minorFaults: real.optional(),
  majorFaults: real.optional(),
  voluntaryCtxSwitches: real.optional(),
  involuntaryCtxSwitches: real.optional(),
  ops: real.optional(),
  mallocProvider: text().optional(),
  checksum: text().optional(),
  leftoverProcesses: count.optional(),
  stderrTail: lines,
});

const benchmarkResult = z.object({
  name,
  verdict,
  metrics: z.array(metricResult).max(100),
  budgets: z.array(budgetCheck).max(100),
  syscalls: z.object({
    measured: z.boolean(),
    reason: text().optional(),
    base: syscallCount.optional(),
    head: syscallCount.optional(),
  }),
  runs: z.array(runRecord).max(20000),
  acceptance: z
    .object({
      benchmark: text(200),
      by: text(100),
      reason: text(),
      sha: z.string().regex(/^[0-9a-f]{40}$/),
      via: z.enum(['comment', 'label']),
      accepted: verdict,
    })
    .optional(),
});

const machine = z.object({
  cpuModel: text(200),
  cpuId: text(200).optional(),
  cores: count,
  kernel: text(200),
  compiler: text(200).optional(),
  loadAverage: z.tuple([real, real, real]),
  cpuGovernor: text(200).optional(),
  node: text(200),
});

const shard = z.object({ index: count, count });

const metricSpec = z.object({
  name,
  json: text().optional(),
  regex: text().optional(),
  time: z.enum(['wall', 'cpu']).optional(),
  higherIsBetter: z.boolean(),
  unit: name,
});

const config = z.object({
  file: text(),
  build: z.object({ command: z.array(text()).max(1000), output: text(), timeoutSeconds: real }),
  runs: z.object({
    pairs: count,
    maxPairs: count,
    budgetSeconds: real,
    warmup: count,
    seed: count.optional(),
    pinCpu: z.union([z.literal('auto'), z.literal('none'), count]),
    leftoverProcesses: z.enum(['note', 'fail']),
  }),
  decision: z.object({
    correction: z.enum(['bonferroni', 'none']),
    minEffectPct: real,
    alpha: z.number().gt(0).lt(1),
  }),
  budgets: z.object({
    syscalls: z.array(z.enum(SYSCALLS)).max(SYSCALLS.length),
    syscallsPerOpMax: real.optional(),
    syscallsGrowthPct: real,
    syscallsSlackPerOp: real,
    rssGrowthPct: real,
    rssSlackKb: real,
    faultsGrowthPct: real,
    faultsSlackPerOp: real,
  }),
  syscallPass: z.object({ enabled: z.boolean(), require: z.boolean() }),
  preflight: z.object({
    enabled: z.boolean(),
    maxCvPct: real,
    maxStealPct: real,
    maxBusyPerCore: real,
    retries: count,
    waitSeconds: real,
  }),
  calibrationFile: text().optional(),
  calibrationMaxAgeDays: real,
  env: z.object({ allow: z.array(name).max(1000), set: z.record(name, text()) }),
  benchmarks: z
    .array(
      z.object({
        name,
        argv: z.array(text()).max(1000),
        preload: text().optional(),
        metric: metricSpec,
        extraMetrics: z.array(metricSpec).max(100),
        opsField: text().optional(),
        ops: real.optional(),
        pin: z.boolean(),
        timeoutSeconds: real,
        instructions: z.object({ argv: z.array(text()).max(1000).optional(), thresholdPct: real }).optional(),
        minEffectPct: real.optional(),
      }),
    )
    .max(1000),
});

const refInfo = z.object({
  ref: text(),
  sha: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .optional(),
  treeId: text(100),
  subject: text().optional(),
});
const buildSummary = z.object({
  ok: z.boolean(),
  cached: z.boolean(),
  seconds: real,
  logTail: lines,
  logFile: text().optional(),
});

const resultSchema = z.object({
  schema: z.literal(RESULT_SCHEMA),
  createdAt: text(40),
  seed: count,
  pairs: count,
  sampling: z.object({ looks: z.array(count).max(1000), maxPairs: count, budgetSeconds: real, alpha: real, decisions: count }).optional(),
  samplingSeconds: real.optional(),
  preflight: z
    .object({ ok: z.boolean(), stealPct: real, busyPerCore: real, probeCvPct: real, attempts: count, reason: text().optional() })
    .optional(),
  calibration: z
    .object({
      file: text(),
      createdAt: text(40).optional(),
      ageDays: real.optional(),
      benchmarks: z.array(name).max(1000),
      ignored: text().optional(),
    })
    .optional(),
  config,
  configOrigin: z
    .object({
      source: z.enum(['base', 'head']),
      path: text(),
      changes: z.array(text()).max(1000),
      headProblem: text().optional(),
    })
    .optional(),
  sandbox: z.object({ mode: z.enum(['auto', 'require', 'off']), active: z.boolean(), problem: text().optional() }),
  refs: z.object({ base: refInfo, head: refInfo }),
  machine,
  pinnedCpu: count.optional(),
  tools: z.object({ strace: text().optional(), taskset: text().optional(), gnuTime: text().optional() }),
  build: z.object({ base: buildSummary, head: buildSummary }),
  benchmarks: z.array(benchmarkResult).max(1000),
  outcome: z.enum(['pass', 'fail', 'inconclusive']),
  verdictCounts: z.partialRecord(verdict, count),
  cancelled: text(40).optional(),
  shard: shard.optional(),
  shards: z
    .array(z.object({ index: count, count, seed: count, machine, samplingSeconds: real.optional() }))
    .max(1000)
    .optional(),
}) satisfies z.ZodType<ComparisonResult, unknown>;

/** Parses and validates a result; the error names the first bad fields. */
export function parseResult(json: string): ComparisonResult {
  if (Buffer.byteLength(json) > MAX_RESULT_BYTES) throw new ResultSchemaError(`the result is larger than ${MAX_RESULT_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new ResultSchemaError(`the result is not JSON: ${(e as Error).message}`);
  }
  const r = resultSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ResultSchemaError(`the result does not match ${RESULT_SCHEMA}: ${issues.join('; ')}`);
  }
  return r.data;
}
