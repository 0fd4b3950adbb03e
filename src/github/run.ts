/** The action's work, given parsed inputs and the event: pick the mode and
 * run it (pr.ts, rebase.ts, report.ts). A mode that cannot run still leaves a
 * failing check run, so a required check never stays pending or passes. */
import * as core from '@actions/core';

import { escapeMarkdown as esc } from '../report/escape';
import type { ActionContext, ActionResult } from './context';
import { InputError, type Mode } from './inputs';
import { runMerge } from './merge';
import { runPr } from './pr';
import { api, post, writeSummary } from './publish';
import { runRebase } from './rebase';
import { reportRejected, runReport } from './report';

export type { ActionContext, ActionResult } from './context';

function modeFor(ctx: ActionContext): Exclude<Mode, 'auto'> | undefined {
  const { inputs, event } = ctx;
  if (inputs.mode !== 'auto') return inputs.mode;
  if (event.kind === 'pr') return 'pr';
  if (event.kind === 'workflow_run') return 'report';
  if (event.kind === 'dispatch') return 'rebase';
  if (event.kind === 'push' && inputs.rebaseOnPush && event.ref === `refs/heads/${event.defaultBranch}`) return 'rebase';
  return undefined;
}

export async function runAction(ctx: ActionContext): Promise<ActionResult> {
  const { inputs, event } = ctx;
  const mode = modeFor(ctx);
  if (mode === undefined) {
    const why =
      event.kind === 'push'
        ? 'push events rebase only on the default branch and with rebase-on-push: true'
        : 'run it on pull_request, workflow_run or workflow_dispatch, or set mode';
    core.notice(`perfgate: nothing to do for this event (${why})`);
    return { verdict: 'skipped', regressions: 0 };
  }
  if (mode === 'rebase') {
    // Rebase writes the calibration and the history every later comparison trusts.
    if (event.kind !== 'dispatch' && event.kind !== 'push')
      throw new InputError(
        `mode 'rebase' runs only on workflow_dispatch or push events (trusted code), not on '${event.kind === 'pr' ? event.eventName : event.kind}': nothing was built`,
      );
    return runRebase(ctx, event.sha || 'HEAD');
  }
  if (mode === 'report') {
    if (event.kind !== 'workflow_run') throw new InputError("mode 'report' needs a workflow_run event");
    try {
      return await runReport(ctx, event);
    } catch (e) {
      await reportRejected(ctx, event, e as Error);
      throw e;
    }
  }
  if (event.kind !== 'pr') throw new InputError(`mode '${mode}' needs a pull_request or pull_request_target event`);
  if (mode === 'merge') return runMerge(ctx, event);
  try {
    return await runPr(ctx, event);
  } catch (e) {
    const msg = `perfgate could not run: ${(e as Error).message}`;
    const gh = api(ctx);
    if (gh)
      await post('create the check run', () =>
        gh.createCheckRun(inputs.checkName, event.headSha, 'failure', 'perfgate could not run', esc(msg)),
      );
    await writeSummary(`❌ **perfgate: ERROR**\n\n${esc(msg)}`);
    throw e;
  }
}
