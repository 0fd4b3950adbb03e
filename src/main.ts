/** The action's entry point: read inputs and context, run, set outputs.
 * All decisions are made in runAction and the engine. */
import { tmpdir } from 'node:os';

import * as core from '@actions/core';
import * as github from '@actions/github';

import { cancelOnSignals } from './engine/host/cancel';
import { readEvent } from './github/event';
import { parseInputs } from './github/inputs';
import { runAction } from './github/run';

export async function run(): Promise<void> {
  cancelOnSignals(); // the runner sends SIGINT, then SIGTERM, when the job is cancelled
  try {
    const inputs = parseInputs((name) => core.getInput(name));
    if (inputs.token) core.setSecret(inputs.token);
    const { context } = github;
    const repository = `${context.repo.owner}/${context.repo.repo}`;
    const event = readEvent(context.eventName, context.payload, repository, context.sha, context.ref);
    const result = await runAction({
      inputs,
      event,
      repo: context.repo,
      apiUrl: context.apiUrl,
      serverUrl: context.serverUrl,
      runUrl: context.runId ? `${context.serverUrl}/${repository}/actions/runs/${context.runId}` : undefined,
      workspace: process.env.GITHUB_WORKSPACE ?? process.cwd(),
      tempDir: process.env.RUNNER_TEMP ?? tmpdir(),
    });
    core.setOutput('verdict', result.verdict);
    core.setOutput('regressions', String(result.regressions));
    core.setOutput('report-markdown', result.markdownPath ?? '');
    core.setOutput('report-json', result.jsonPath ?? '');
    if (result.failure) core.setFailed(result.failure);
  } catch (e) {
    core.setOutput('verdict', 'error');
    core.setFailed(`perfgate: ${(e as Error).message}`);
  }
}
