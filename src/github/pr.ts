/** PR mode: admit the PR (trust.ts), read the gate from the base commit,
 * compare the head with its merge-base, publish. PR code is untrusted: its
 * builds are cached apart and run in the sandbox, and nothing it could have
 * touched is used by a trusted job. */
import * as core from '@actions/core';

import { compare } from '../engine/compare';
import { gateConfig, MissingConfigError } from '../engine/config-source';
import { mergeBase, repoRoot, resolveCommit } from '../engine/repo/git';
import { InfrastructureError, resolveTree } from '../engine/workbench';
import { progressPrinter } from '../report/progress';
import { scorecardContext } from '../scorecard/markdown';
import type { ActionContext, ActionResult } from './context';
import type { PrEvent } from './event';
import { HISTORY_DIR, LEGACY_HISTORY_FILE } from '../history/store';
import { api, post, publishComparison, skip } from './publish';
import { admitPr } from './trust';

export async function runPr(ctx: ActionContext, event: PrEvent): Promise<ActionResult> {
  const { inputs } = ctx;
  const gh = api(ctx);
  const admission = await admitPr(inputs, event, gh);
  if (!admission.run)
    return skip(
      ctx,
      gh,
      event.headSha,
      'skipped: fork pull request not approved for this commit',
      `perfgate did not run: ${admission.reason}.`,
    );

  const root = await repoRoot(ctx.workspace);
  const head = await resolveCommit(root, event.headSha);
  const prBase = await resolveCommit(root, event.baseSha);
  const base = await mergeBase(root, head, prBase);
  if (!base)
    throw new InfrastructureError(
      `cannot find the merge-base of ${head.slice(0, 12)} and ${prBase.slice(0, 12)} in this clone; use actions/checkout with fetch-depth: 0`,
    );
  core.info(`perfgate: base ${base} (merge-base with ${event.baseRef || prBase}), head ${head}`);

  let gate;
  try {
    gate = await gateConfig(root, base, head, inputs.config, inputs.configSource);
  } catch (e) {
    if (!(e instanceof MissingConfigError)) throw e;
    return skip(ctx, gh, event.headSha, 'skipped: no config in the base', `perfgate did not run: ${e.message}.`);
  }
  const { config, ...configOrigin } = gate;
  if (configOrigin.changes.length)
    core.notice(`this pull request changes ${inputs.config}; the gate uses the ${configOrigin.source}'s config (see the report)`);

  const refs = {
    base: await resolveTree(root, base, `merge-base(${event.baseRef || 'base'})`),
    head: await resolveTree(root, head, event.headRef ? `#${event.number} ${event.headRef}` : `#${event.number}`),
  };
  // The job log: two lines a benchmark, in a group each.
  const progress = progressPrinter({ write: (s) => process.stdout.write(s), tty: false, groups: true });
  const result = await compare({
    cwd: root,
    config,
    configOrigin,
    refs,
    pairs: inputs.runs,
    sandbox: inputs.sandbox,
    untrusted: true,
    shard: inputs.shard,
    onProgress: progress.onProgress,
  }).finally(progress.done);
  if (admission.fork && gh && !result.cancelled)
    // The approval is used up; a token that may not remove labels (a fork's) leaves it, and it still covers only this commit.
    await gh
      .removeLabel(event.number, inputs.trustedLabel)
      .catch((e: Error) => core.info(`the '${inputs.trustedLabel}' label stays: ${e.message}`));

  let context: string | undefined;
  if (gh)
    await post('read the last rebase scorecard', async () => {
      context = scorecardContext(await gh.latestRecord(inputs.dataBranch, HISTORY_DIR, LEGACY_HISTORY_FILE));
    });
  return publishComparison(ctx, gh, { prs: [event.number], headSha: event.headSha }, result, context);
}
