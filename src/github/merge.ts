/** Merge mode: the results of a comparison's shards (each job of a matrix
 * ran `shard: I/N` and kept its result as an artifact; this job downloaded
 * them into `results`) become one result, published once: one comment, one
 * check run. Every file is validated against the result schema, and the
 * outcome is recomputed from the verdicts. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import * as core from '@actions/core';

import { mergeResults } from '../engine/shard';
import { MAX_RESULT_BYTES, parseResult } from '../report/result-schema';
import type { ActionContext, ActionResult } from './context';
import type { PrEvent } from './event';
import { InputError } from './inputs';
import { api, publishComparison, REPORT_NAME } from './publish';

/** The shards' result files under `dir` (download-artifact puts each artifact in a folder of its own). */
function resultFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const st = statSync(path);
    if (st.isDirectory()) out.push(...resultFiles(path));
    else if (entry === `${REPORT_NAME}.json` && st.size <= MAX_RESULT_BYTES) out.push(path);
  }
  return out.sort();
}

export async function runMerge(ctx: ActionContext, event: PrEvent): Promise<ActionResult> {
  const { inputs } = ctx;
  if (!inputs.results) throw new InputError("mode 'merge' needs input 'results': the directory the shards' artifacts were downloaded to");
  const dir = resolve(ctx.workspace, inputs.results);
  const files = resultFiles(dir);
  if (files.length === 0) throw new InputError(`no ${REPORT_NAME}.json under ${dir}: download the shards' artifacts there first`);
  const merged = mergeResults(files.map((f) => parseResult(readFileSync(f, 'utf8'))));
  if (merged.refs.head.sha !== event.headSha)
    throw new InputError(
      `the shards measured ${merged.refs.head.sha?.slice(0, 12)}, but this pull request's head is ${event.headSha.slice(0, 12)}`,
    );
  core.info(`perfgate: merged ${files.length} shard(s): ${merged.benchmarks.length} benchmark(s)`);
  return publishComparison(ctx, api(ctx), { prs: [event.number], headSha: event.headSha }, merged);
}
