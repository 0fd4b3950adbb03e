/** Getting results out: the report files, the artifact, the job summary, and
 * the comment and check run of a comparison. Posting can fail (permissions,
 * outages); the verdict never changes because of it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';

import type { ComparisonResult } from '../engine/compare';
import type { Verdict } from '../engine/verdicts';
import { escapeMarkdown as esc } from '../report/escape';
import { renderMarkdown } from '../report/markdown';
import { GitHubApi, makeOctokit, PostingError, type Conclusion } from './api';
import type { ActionContext, ActionResult } from './context';

export function api(ctx: ActionContext): GitHubApi | undefined {
  if (!ctx.inputs.token) {
    core.warning('no github-token: the comment, the check run and the data branch are skipped');
    return undefined;
  }
  return new GitHubApi(makeOctokit(ctx.inputs.token, ctx.apiUrl), ctx.repo);
}

/** Runs a posting step; a failure becomes a warning, never an exception. */
export async function post(what: string, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (e) {
    core.warning(e instanceof PostingError ? e.message : `could not ${what}: ${(e as Error).message}`);
  }
}

/** The comparison's files and the artifact that carries them (report mode reads it back). */
export const REPORT_NAME = 'perfgate-report';
export const reportArtifact = (checkName: string): string => `${checkName}-report`;

export function reportDir(ctx: ActionContext): string {
  return join(ctx.tempDir, 'perfgate');
}

export function writeReports(
  ctx: ActionContext,
  name: string,
  json: unknown,
  markdown: string,
): { jsonPath: string; markdownPath: string } {
  const dir = reportDir(ctx);
  mkdirSync(dir, { recursive: true });
  const jsonPath = join(dir, `${name}.json`);
  const markdownPath = join(dir, `${name}.md`);
  writeFileSync(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(markdownPath, `${markdown}\n`);
  return { jsonPath, markdownPath };
}

export async function uploadArtifact(name: string, files: string[], rootDir: string): Promise<void> {
  if (!process.env.ACTIONS_RUNTIME_TOKEN || !process.env.ACTIONS_RESULTS_URL) {
    core.info('artifact upload skipped: not running inside GitHub Actions (no ACTIONS_RUNTIME_TOKEN)');
    return;
  }
  await post('upload the report artifact', () => new DefaultArtifactClient().uploadArtifact(name, files, rootDir));
}

export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary.addRaw(markdown).write();
}

/** A step that did nothing on purpose: a notice, the summary, a neutral check run. */
export async function skip(
  ctx: ActionContext,
  gh: GitHubApi | undefined,
  headSha: string,
  title: string,
  msg: string,
): Promise<ActionResult> {
  core.notice(msg);
  await writeSummary(`⚪ **perfgate: SKIPPED**\n\n${esc(msg)}`);
  if (gh) await post('create the check run', () => gh.createCheckRun(ctx.inputs.checkName, headSha, 'neutral', title, esc(msg)));
  return { verdict: 'skipped', regressions: 0 };
}

/** Benchmarks whose verdict, or a metric's, is in fail-on; an ACCEPTED benchmark's metrics keep REGRESSED but it does not fail. */
function failingBenchmarks(r: ComparisonResult, failOn: readonly Verdict[]): string[] {
  return r.benchmarks
    .filter((b) => failOn.includes(b.verdict) || (b.verdict !== 'ACCEPTED' && b.metrics.some((m) => failOn.includes(m.verdict))))
    .map((b) => b.name);
}

/** The comparison's Markdown on every channel: report files and artifact,
 * job summary, the sticky comment on each PR of `prs` and one check run on `headSha`. */
export async function publishComparison(
  ctx: ActionContext,
  gh: GitHubApi | undefined,
  target: { prs: readonly number[]; headSha: string },
  result: ComparisonResult,
  extra?: string,
): Promise<ActionResult> {
  const { inputs } = ctx;
  const marker = `<!-- perfgate:${inputs.checkName} -->`;
  const links = { job: ctx.runUrl, artifacts: ctx.runUrl && `${ctx.runUrl}#artifacts`, dashboard: inputs.dashboardUrl };
  const markdown = renderMarkdown(result, { extra, links });
  const failing = failingBenchmarks(result, inputs.failOn);
  const { jsonPath, markdownPath } = writeReports(ctx, REPORT_NAME, result, markdown);
  await writeSummary(markdown);
  if (result.shard) {
    // One shard of several: the merge job posts the comment and the check run for all of them.
    await uploadArtifact(`${reportArtifact(inputs.checkName)}-shard-${result.shard.index}`, [jsonPath, markdownPath], reportDir(ctx));
    return { verdict: result.outcome, regressions: 0, jsonPath, markdownPath };
  }
  if (result.cancelled)
    // The job is being cancelled: no check run (a required check stays missing, so the PR waits for a real run).
    return { verdict: 'error', regressions: 0, jsonPath, markdownPath, failure: `perfgate was cancelled (${result.cancelled})` };
  const conclusion: Conclusion = failing.length ? 'failure' : result.outcome === 'pass' ? 'success' : 'neutral';
  const title = markdown.split('\n')[0]!.replace(/\*\*/g, '');
  if (gh) {
    // on-change: quiet while everything is UNCHANGED, but a comment already there is updated, so it never goes stale.
    const create = inputs.comment === 'always' || result.benchmarks.some((b) => b.verdict !== 'UNCHANGED');
    if (inputs.comment !== 'never')
      for (const pr of target.prs) await post('post the comment', () => gh.upsertComment(pr, marker, `${markdown}\n\n${marker}`, create));
    await post('create the check run', () => gh.createCheckRun(inputs.checkName, target.headSha, conclusion, title, markdown));
  }
  await uploadArtifact(reportArtifact(inputs.checkName), [jsonPath, markdownPath], reportDir(ctx));
  return {
    verdict: result.outcome,
    regressions: failing.length,
    jsonPath,
    markdownPath,
    failure: failing.length ? `perfgate: ${failing.length} benchmark(s) failed: ${failing.join(', ')}` : undefined,
  };
}
