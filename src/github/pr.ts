/** PR mode: admit the PR (trust.ts), read the gate from the base commit,
 * compare the head with its merge-base, publish. PR code is untrusted: its
 * builds are cached apart and run in the sandbox, and nothing it could have
 * touched is used by a trusted job. */
import * as core from '@actions/core';

import { compare, type ComparisonResult } from '../engine/compare';
import { applyAcceptances } from '../engine/decision';
import { ACCEPTABLE_VERDICTS } from '../engine/verdicts';
import { escapeMarkdown as esc } from '../report/escape';
import { readAcceptances, type Acceptances } from './accept';
import type { GitHubApi } from './api';
import type { ActionInputs } from './inputs';
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

/** Regressions a maintainer accepted for this head become ACCEPTED; what was ignored is said. A used label is removed. */
async function acceptRegressions(
  gh: GitHubApi,
  inputs: ActionInputs,
  event: PrEvent,
  result: ComparisonResult,
): Promise<{ result: ComparisonResult; note?: string }> {
  if (!result.benchmarks.some((b) => ACCEPTABLE_VERDICTS.includes(b.verdict))) return { result };
  let found: Acceptances | undefined;
  await post('read acceptances', async () => {
    found = await readAcceptances(gh, inputs, event);
  });
  if (!found) return { result };
  if (found.labelUsed) await post(`remove the '${found.labelUsed}' label`, () => gh.removeLabel(event.number, found!.labelUsed!));
  const accepted = applyAcceptances(result, found.acceptances);
  const open = accepted.benchmarks.filter((b) => ACCEPTABLE_VERDICTS.includes(b.verdict)).map((b) => b.name);
  const lines = found.ignored.map((i) => `- Ignored: ${esc(i)}.`);
  if (open.length)
    lines.push(
      `If this is intended, a maintainer can accept it for this commit: comment \`/perfgate accept ${event.headSha.slice(0, 12)} ${open.length === 1 ? open[0]! : 'all'} REASON\` and re-run the job, or add the label \`${inputs.acceptLabel}\`.`,
    );
  return { result: accepted, note: lines.length ? lines.join('\n') : undefined };
}

export async function runPr(ctx: ActionContext, event: PrEvent): Promise<ActionResult> {
  const { inputs } = ctx;
  const gh = api(ctx);
  const admission = await admitPr(inputs, event, gh);
  // The accept label on a fork is no approval to run: say so, and post no check run that could stand over the verdict.
  if (!admission.run && event.action === 'labeled' && event.label === inputs.acceptLabel) {
    core.notice(`perfgate: the '${inputs.acceptLabel}' label accepts regressions of same-repository pull requests only; nothing was run`);
    return { verdict: 'skipped', regressions: 0 };
  }
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
  const accepted = gh && !result.cancelled ? await acceptRegressions(gh, inputs, event, result) : { result };
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
  return publishComparison(
    ctx,
    gh,
    { prs: [event.number], headSha: event.headSha },
    accepted.result,
    [accepted.note, context].filter(Boolean).join('\n\n') || undefined,
  );
}
