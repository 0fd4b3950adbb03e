/** Report mode, for a workflow_run-triggered workflow: the pull_request run
 * of a fork's PR measured with a read-only token and uploaded its JSON
 * result as an artifact; this run, holding the write token and running the
 * default branch's code, posts it. It never runs the PR's code and never
 * trusts the artifact: the JSON is validated against the result schema
 * (never its Markdown), must be about the head commit GitHub says the run
 * built, is re-rendered here, and the PR is found from the API by that head
 * commit, not from anything the artifact says. What the artifact cannot
 * prove is that the untrusted run measured honestly; the comment says where
 * the figures come from. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';

import { countVerdicts, overallOutcome } from '../engine/decision';
import { InfrastructureError } from '../engine/workbench';
import { MAX_RESULT_BYTES, parseResult, ResultSchemaError } from '../report/result-schema';
import type { ActionContext, ActionResult } from './context';
import { isForkOf, type WorkflowRunEvent } from './event';
import { api, post, publishComparison, REPORT_NAME, reportArtifact, skip, writeSummary } from './publish';
import { escapeMarkdown as esc } from '../report/escape';

/** Downloads the run's report artifact and returns the JSON text. */
async function downloadResult(ctx: ActionContext, event: WorkflowRunEvent): Promise<string> {
  const client = new DefaultArtifactClient();
  const findBy = { token: ctx.inputs.token, workflowRunId: event.runId, repositoryOwner: ctx.repo.owner, repositoryName: ctx.repo.repo };
  const name = reportArtifact(ctx.inputs.checkName);
  let artifact: { id: number; size: number };
  try {
    artifact = (await client.getArtifact(name, { findBy })).artifact;
  } catch (e) {
    throw new InfrastructureError(`run ${event.runId} has no artifact '${name}' (${(e as Error).message.split('\n')[0]})`);
  }
  if (artifact.size > MAX_RESULT_BYTES)
    throw new ResultSchemaError(`artifact '${name}' is ${artifact.size} bytes, more than a result can be`);
  const dir = mkdtempSync(join(ctx.tempDir, 'perfgate-artifact-'));
  try {
    await client.downloadArtifact(artifact.id, { path: dir, findBy });
    const file = join(dir, `${REPORT_NAME}.json`);
    const entries = readdirSync(dir);
    if (!entries.includes(`${REPORT_NAME}.json`)) throw new ResultSchemaError(`artifact '${name}' holds no ${REPORT_NAME}.json`);
    if (statSync(file).size > MAX_RESULT_BYTES) throw new ResultSchemaError(`${REPORT_NAME}.json is larger than ${MAX_RESULT_BYTES} bytes`);
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runReport(ctx: ActionContext, event: WorkflowRunEvent): Promise<ActionResult> {
  const gh = api(ctx);
  if (!gh) throw new InfrastructureError('report mode needs a github-token to read the artifact and post the report');
  if (event.triggeredBy !== 'pull_request')
    return skip(
      ctx,
      undefined,
      event.headSha,
      'nothing to report',
      `perfgate: run ${event.runId} was a '${event.triggeredBy}' run, not a pull request's; nothing to report`,
    );
  const repository = `${ctx.repo.owner}/${ctx.repo.repo}`;
  const pulls = (await gh.pullsWithHead(event.headSha)).filter(
    (p) => event.headRepo === null || p.headRepo === null || p.headRepo === event.headRepo,
  );
  // A same-repository PR's own run had a write token and posted already.
  if (pulls.length > 0 && pulls.every((p) => !isForkOf(p.headRepo, repository))) {
    core.notice(`perfgate: #${pulls.map((p) => p.number).join(', #')} is not from a fork; its own run posted the report`);
    return { verdict: 'skipped', regressions: 0 };
  }
  if (pulls.length === 0)
    return skip(
      ctx,
      undefined,
      event.headSha,
      'nothing to report',
      `perfgate: no open pull request has head ${event.headSha.slice(0, 12)} (closed, or pushed again since)`,
    );

  let text: string;
  try {
    text = await downloadResult(ctx, event);
  } catch (e) {
    if (!(e instanceof InfrastructureError)) throw e;
    // A run that succeeded without a report skipped on purpose (an unapproved fork) and said why itself.
    if (event.conclusion === 'success')
      return skip(
        ctx,
        gh,
        event.headSha,
        'skipped: no report',
        `perfgate: run ${event.runId} measured nothing (${e.message}); see that run for why`,
      );
    throw new InfrastructureError(`run ${event.runId} ended '${event.conclusion}' without a report: ${e.message}`);
  }
  const parsed = parseResult(text);
  if (parsed.refs.head.sha !== event.headSha)
    throw new ResultSchemaError(
      `the artifact is about head ${String(parsed.refs.head.sha).slice(0, 12)}, but run ${event.runId} built ${event.headSha.slice(0, 12)}: refusing a result that is not this run's`,
    );
  // The overall outcome follows from the verdicts; the artifact does not get to say it.
  const verdicts = parsed.benchmarks.map((b) => b.verdict);
  const result = { ...parsed, verdictCounts: countVerdicts(verdicts), outcome: overallOutcome(verdicts) };
  const provenance = `_Measured by workflow run ${event.runId} on the pull request's own code (read-only token); posted by the report workflow from its JSON result, re-rendered and checked against the result schema._`;
  core.info(`perfgate: reporting run ${event.runId} on ${pulls.map((p) => `#${p.number}`).join(', ')}`);
  const published = await publishComparison(ctx, gh, { prs: pulls.map((p) => p.number), headSha: event.headSha }, result, provenance);
  // The approval of a fork's commit is used up (the fork's own run could not remove the label: read-only token).
  for (const pr of pulls)
    if (pr.labels.includes(ctx.inputs.trustedLabel) && isForkOf(pr.headRepo, repository))
      await post(`remove the '${ctx.inputs.trustedLabel}' label`, () => gh.removeLabel(pr.number, ctx.inputs.trustedLabel));
  return published;
}

/** A rejected artifact still leaves a failing check on the head, with the reason. */
export async function reportRejected(ctx: ActionContext, event: WorkflowRunEvent, e: Error): Promise<void> {
  const msg = `perfgate could not report run ${event.runId}: ${e.message}`;
  const gh = api(ctx);
  if (gh)
    await post('create the check run', () =>
      gh.createCheckRun(ctx.inputs.checkName, event.headSha, 'failure', 'perfgate could not report', esc(msg)),
    );
  await writeSummary(`❌ **perfgate: ERROR**\n\n${esc(msg)}`);
}
