/** Rebase mode: score the allocator of a trusted commit (the default branch
 * or a manual run) against the others, refresh this runner's calibration,
 * and append the scorecard to the data branch. It writes state that every
 * later comparison trusts, so it never runs on a pull request's code. */
import * as core from '@actions/core';
import { resolve } from 'node:path';

import { calibrate } from '../engine/calibrate';
import { defaultCalibrationFile, saveCalibration } from '../engine/calibration';
import { loadConfig } from '../engine/config';
import { repoRoot } from '../engine/repo/git';
import { renderCalibration } from '../report/calibration';
import { codeBlock } from '../report/escape';
import { renderScorecard } from '../scorecard/markdown';
import { rebase } from '../scorecard/rebase';
import { HISTORY_DIR, recordName } from '../history/store';
import type { ActionContext, ActionResult } from './context';
import { api, post, reportDir, uploadArtifact, writeReports, writeSummary } from './publish';

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
  const failed = card.benchmarks.flatMap((b) => b.entries.filter((e) => e.failure).map((e) => `${b.name}/${e.allocator}`));
  return {
    verdict: 'rebased',
    regressions: 0,
    jsonPath,
    markdownPath,
    failure: failed.length ? `perfgate rebase: runs failed for ${failed.join(', ')}` : undefined,
  };
}
