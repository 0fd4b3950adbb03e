/** Rebase mode: score the allocator of a trusted commit (the default branch
 * or a manual run) against the others, refresh this runner's calibration,
 * and append the scorecard to the data branch. It writes state that every
 * later comparison trusts, so it never runs on a pull request's code. */
import * as core from '@actions/core';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { calibrate } from '../engine/calibrate';
import { defaultCalibrationFile, saveCalibration } from '../engine/calibration';
import { loadConfig, type Config } from '../engine/config';
import { seededRng } from '../engine/random';
import { buildDashboard } from '../history/dashboard/model';
import { writeDashboard } from '../history/dashboard/page';
import { DEFAULT_STEP_SEED, findSteps } from '../history/steps';
import { repoRoot } from '../engine/repo/git';
import { renderCalibration } from '../report/calibration';
import { codeBlock } from '../report/escape';
import { renderScorecard } from '../scorecard/markdown';
import { rebase, type Scorecard } from '../scorecard/rebase';
import { HISTORY_DIR, LEGACY_HISTORY_FILE, parseRecords, recordName } from '../history/store';
import type { GitHubApi } from './api';
import type { ActionContext, ActionResult } from './context';
import { api, post, reportDir, uploadArtifact, writeReports, writeSummary } from './publish';

/** The history dashboard after a record: built from every record on the
 * data branch (and this one, should storing it have failed), kept as an
 * artifact and, with pages-branch, published for GitHub Pages. */
async function publishDashboard(ctx: ActionContext, gh: GitHubApi | undefined, card: Scorecard, config: Config): Promise<void> {
  const { inputs } = ctx;
  const stored = gh ? await gh.allRecords(inputs.dataBranch, HISTORY_DIR, LEGACY_HISTORY_FILE) : { records: new Map<string, string>() };
  stored.records.set(recordName(card.createdAt, card.sha), JSON.stringify(card));
  const { cards, unreadable } = parseRecords([...stored.records.values()], stored.legacy);
  const steps = findSteps(cards, { config, rng: seededRng(DEFAULT_STEP_SEED) });
  const repoUrl = `${ctx.serverUrl}/${ctx.repo.owner}/${ctx.repo.repo}`;
  const dir = join(reportDir(ctx), 'dashboard');
  const index = writeDashboard(dir, buildDashboard(cards, steps, { repoUrl, unreadable }));
  core.info(`dashboard: ${cards.length} record(s), ${steps.length} step(s): ${index}`);
  const files = readdirSync(dir);
  await uploadArtifact(
    `${inputs.checkName}-dashboard`,
    files.map((f) => join(dir, f)),
    dir,
  );
  if (inputs.pagesBranch && gh)
    await gh.putSiteFiles(inputs.pagesBranch, [
      ...files.map((f) => ({ path: f, text: readFileSync(join(dir, f), 'utf8') })),
      { path: '.nojekyll', text: '' },
    ]);
}

export async function runRebase(ctx: ActionContext, sha: string): Promise<ActionResult> {
  const { inputs } = ctx;
  const root = await repoRoot(ctx.workspace);
  const config = loadConfig(resolve(root, inputs.config));
  const card = await rebase({
    cwd: root,
    config,
    ref: sha,
    allocators: inputs.allocators,
    rounds: inputs.runs,
    sandbox: inputs.sandbox,
    onProgress: (m) => core.info(m),
  });
  // Refresh this runner's calibration with the same build, for the PRs that follow.
  let markdown = renderScorecard(card);
  await post('refresh the calibration', async () => {
    const cal = await calibrate({ cwd: root, config, ref: sha, comparisons: 3, sandbox: inputs.sandbox, onProgress: (m) => core.info(m) });
    const file = defaultCalibrationFile(config);
    saveCalibration(file, cal);
    markdown += `\n\nCalibration refreshed (${file}):\n\n${codeBlock(renderCalibration(cal).split('\n'))}`;
  });
  const { jsonPath, markdownPath } = writeReports(ctx, 'perfgate-scorecard', card, markdown);
  await writeSummary(markdown);
  const gh = api(ctx);
  if (gh)
    await post(`store the scorecard on ${inputs.dataBranch}`, () =>
      gh.addDataRecord(inputs.dataBranch, HISTORY_DIR, recordName(card.createdAt, card.sha), `${JSON.stringify(card, null, 1)}\n`),
    );
  await uploadArtifact(`${inputs.checkName}-scorecard`, [jsonPath, markdownPath], reportDir(ctx));
  await post('build the dashboard', () => publishDashboard(ctx, gh, card, config));
  const failed = card.benchmarks.flatMap((b) => b.entries.filter((e) => e.failure).map((e) => `${b.name}/${e.allocator}`));
  return {
    verdict: 'rebased',
    regressions: 0,
    jsonPath,
    markdownPath,
    failure: failed.length ? `perfgate rebase: runs failed for ${failed.join(', ')}` : undefined,
  };
}
