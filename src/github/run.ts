/** The action's work, given parsed inputs and the event: pick the mode, gate
 * fork PRs, call the engine, and translate its result into a comment, a check
 * run, a job summary, outputs and an artifact. Posting can fail (permissions,
 * outages); the verdict never changes because of it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { DefaultArtifactClient } from '@actions/artifact';
import * as core from '@actions/core';

import { calibrate } from '../engine/calibrate';
import { defaultCalibrationFile, saveCalibration } from '../engine/calibration';
import { compare, type ComparisonResult } from '../engine/compare';
import { loadConfig } from '../engine/config';
import { mergeBase, repoRoot, resolveCommit } from '../engine/repo/git';
import type { Verdict } from '../engine/verdicts';
import { InfrastructureError, resolveTree } from '../engine/workbench';
import { renderCalibration } from '../report/calibration';
import { codeBlock, escapeMarkdown as esc } from '../report/escape';
import { renderMarkdown } from '../report/markdown';
import { renderScorecard, scorecardContext } from '../scorecard/markdown';
import { rebase } from '../scorecard/rebase';
import { GitHubApi, makeOctokit, PostingError, type Conclusion, type Repo } from './api';
import type { ActionEvent, PrEvent } from './event';
import type { ActionInputs } from './inputs';

export interface ActionContext {
  inputs: ActionInputs;
  event: ActionEvent;
  repo: Repo;
  apiUrl: string;
  workspace: string;
  tempDir: string;
}

export interface ActionResult {
  /** pass, fail, inconclusive, skipped or rebased. */
  verdict: string;
  regressions: number;
  markdownPath?: string;
  jsonPath?: string;
  /** Set when the step must fail, with the reason. */
  failure?: string;
}

const HISTORY_FILE = 'scorecards.jsonl';

function api(ctx: ActionContext): GitHubApi | undefined {
  if (!ctx.inputs.token) {
    core.warning('no github-token: the comment, the check run and the data branch are skipped');
    return undefined;
  }
  return new GitHubApi(makeOctokit(ctx.inputs.token, ctx.apiUrl), ctx.repo);
}

/** Runs a posting step; a failure becomes a warning, never an exception. */
async function post(what: string, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (e) {
    core.warning(e instanceof PostingError ? e.message : `could not ${what}: ${(e as Error).message}`);
  }
}

function writeReports(ctx: ActionContext, name: string, json: unknown, markdown: string): { jsonPath: string; markdownPath: string } {
  const dir = join(ctx.tempDir, 'perfgate');
  mkdirSync(dir, { recursive: true });
  const jsonPath = join(dir, `${name}.json`);
  const markdownPath = join(dir, `${name}.md`);
  writeFileSync(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(markdownPath, `${markdown}\n`);
  return { jsonPath, markdownPath };
}

async function uploadArtifact(name: string, files: string[], rootDir: string): Promise<void> {
  if (!process.env.ACTIONS_RUNTIME_TOKEN || !process.env.ACTIONS_RESULTS_URL) {
    core.info('artifact upload skipped: not running inside GitHub Actions (no ACTIONS_RUNTIME_TOKEN)');
    return;
  }
  await post('upload the report artifact', () => new DefaultArtifactClient().uploadArtifact(name, files, rootDir));
}

async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary.addRaw(markdown).write();
}

function failingBenchmarks(r: ComparisonResult, failOn: readonly Verdict[]): string[] {
  return r.benchmarks.filter((b) => failOn.includes(b.verdict) || b.metrics.some((m) => failOn.includes(m.verdict))).map((b) => b.name);
}

async function runPr(ctx: ActionContext, event: PrEvent): Promise<ActionResult> {
  const { inputs } = ctx;
  const gh = api(ctx);
  if (event.isFork && !event.labels.includes(inputs.trustedLabel)) {
    const msg =
      `perfgate did not run: pull request #${event.number} comes from a fork, and fork code does not run on this ` +
      `self-hosted runner unless a maintainer has reviewed it and added the '${inputs.trustedLabel}' label. ` +
      `To allow it, add the label and re-run the workflow.`;
    core.notice(msg);
    await writeSummary(`⚪ **perfgate: SKIPPED**\n\n${esc(msg)}`);
    if (gh)
      await post('create the check run', () =>
        gh.createCheckRun(inputs.checkName, event.headSha, 'neutral', 'skipped: fork pull request', msg),
      );
    return { verdict: 'skipped', regressions: 0 };
  }

  const root = await repoRoot(ctx.workspace);
  const config = loadConfig(resolve(root, inputs.config));
  const head = await resolveCommit(root, event.headSha);
  const prBase = await resolveCommit(root, event.baseSha);
  const base = await mergeBase(root, head, prBase);
  if (!base)
    throw new InfrastructureError(
      `cannot find the merge-base of ${head.slice(0, 12)} and ${prBase.slice(0, 12)} in this clone; use actions/checkout with fetch-depth: 0`,
    );
  core.info(`perfgate: base ${base} (merge-base with ${event.baseRef || prBase}), head ${head}`);
  const refs = {
    base: await resolveTree(root, base, `merge-base(${event.baseRef || 'base'})`),
    head: await resolveTree(root, head, event.headRef ? `#${event.number} ${event.headRef}` : `#${event.number}`),
  };
  const result = await compare({
    cwd: root,
    config,
    refs,
    pairs: inputs.runs,
    onProgress: (e) => {
      if (e.type === 'build') core.info(`[build] ${e.side}: ${e.state}`);
      else if (e.type === 'run' && e.index === e.of && e.side === 'head') core.info(`[${e.benchmark}] ${e.kind}s done`);
    },
  });

  let context: string | undefined;
  if (gh) {
    await post('read the last rebase scorecard', async () => {
      const history = await gh.readDataFile(inputs.dataBranch, HISTORY_FILE);
      context = scorecardContext(history?.text.trim().split('\n').pop());
    });
  }
  const marker = `<!-- perfgate:${inputs.checkName} -->`;
  const markdown = renderMarkdown(result, { extra: context });
  const failing = failingBenchmarks(result, inputs.failOn);
  const { jsonPath, markdownPath } = writeReports(ctx, 'perfgate-report', result, markdown);

  const conclusion: Conclusion = failing.length ? 'failure' : result.outcome === 'pass' ? 'success' : 'neutral';
  const title = markdown.split('\n')[0]!.replace(/\*\*/g, '');
  await writeSummary(markdown);
  if (gh) {
    if (inputs.comment) await post('post the comment', () => gh.upsertComment(event.number, marker, `${markdown}\n\n${marker}`));
    await post('create the check run', () => gh.createCheckRun(inputs.checkName, event.headSha, conclusion, title, markdown));
  }
  await uploadArtifact(`${inputs.checkName}-report`, [jsonPath, markdownPath], join(ctx.tempDir, 'perfgate'));
  return {
    verdict: result.outcome,
    regressions: failing.length,
    jsonPath,
    markdownPath,
    failure: failing.length ? `perfgate: ${failing.length} benchmark(s) failed: ${failing.join(', ')}` : undefined,
  };
}

async function runRebase(ctx: ActionContext, sha: string): Promise<ActionResult> {
  const { inputs } = ctx;
  const root = await repoRoot(ctx.workspace);
  const config = loadConfig(resolve(root, inputs.config));
  const card = await rebase({
    cwd: root,
    config,
    ref: sha,
    allocators: inputs.allocators,
    rounds: inputs.runs,
    onProgress: (m) => core.info(m),
  });
  // Refresh this runner's calibration with the same build, for the PRs that follow.
  let markdown = renderScorecard(card);
  await post('refresh the calibration', async () => {
    const cal = await calibrate({ cwd: root, config, ref: sha, comparisons: 3, onProgress: (m) => core.info(m) });
    const file = defaultCalibrationFile(config);
    saveCalibration(file, cal);
    markdown += `\n\nCalibration refreshed (${file}):\n\n${codeBlock(renderCalibration(cal).split('\n'))}`;
  });
  const { jsonPath, markdownPath } = writeReports(ctx, 'perfgate-scorecard', card, markdown);
  await writeSummary(markdown);
  const gh = api(ctx);
  if (gh)
    await post(`store the scorecard on ${inputs.dataBranch}`, () =>
      gh.appendToDataBranch(inputs.dataBranch, HISTORY_FILE, JSON.stringify(card)),
    );
  await uploadArtifact(`${inputs.checkName}-scorecard`, [jsonPath, markdownPath], join(ctx.tempDir, 'perfgate'));
  const failed = card.benchmarks.flatMap((b) => b.entries.filter((e) => e.failure).map((e) => `${b.name}/${e.allocator}`));
  return {
    verdict: 'rebased',
    regressions: 0,
    jsonPath,
    markdownPath,
    failure: failed.length ? `perfgate rebase: runs failed for ${failed.join(', ')}` : undefined,
  };
}

export async function runAction(ctx: ActionContext): Promise<ActionResult> {
  const { inputs, event } = ctx;
  const mode =
    inputs.mode !== 'auto'
      ? inputs.mode
      : event.kind === 'pr'
        ? 'pr'
        : event.kind === 'dispatch' || (event.kind === 'push' && inputs.rebaseOnPush && event.ref === `refs/heads/${event.defaultBranch}`)
          ? 'rebase'
          : undefined;
  if (mode === undefined) {
    const why =
      event.kind === 'push'
        ? 'push events rebase only on the default branch and with rebase-on-push: true'
        : 'run it on pull_request or workflow_dispatch, or set mode';
    core.notice(`perfgate: nothing to do for this event (${why})`);
    return { verdict: 'skipped', regressions: 0 };
  }
  if (mode === 'pr') {
    if (event.kind !== 'pr') throw new InfrastructureError("mode 'pr' needs a pull_request or pull_request_target event");
    try {
      return await runPr(ctx, event);
    } catch (e) {
      // The required check must not stay pending or pass when perfgate could not run.
      const msg = `perfgate could not run: ${(e as Error).message}`;
      const gh = api(ctx);
      if (gh)
        await post('create the check run', () =>
          gh.createCheckRun(inputs.checkName, event.headSha, 'failure', 'perfgate could not run', msg),
        );
      await writeSummary(`❌ **perfgate: ERROR**\n\n${esc(msg)}`);
      throw e;
    }
  }
  return runRebase(ctx, event.kind === 'pr' ? event.headSha : event.sha || 'HEAD');
}
