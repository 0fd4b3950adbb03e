/** Whether a pull request's code may be built and run on this runner.
 *
 * A same-repository PR runs: its author can push to the repository anyway.
 * A fork's PR runs only on the `labeled` event of the trusted label, for the
 * head commit that was current when the label was added, and only while the
 * API still shows that label and that head: the approval is bound to one
 * commit. A push after labelling is a new, unapproved commit (its
 * `synchronize` event is refused); a re-run of an old event is checked
 * against the PR as it is now; a deleted head repository counts as a fork;
 * `pull_request_target` (the base's workflow with a write token, building a
 * fork's head) needs an explicit opt-in besides. perfgate removes the label
 * once it has run the commit (when the token may), so each approval is
 * visibly used up.
 *
 * Defence in depth: a fork PR can edit the workflow itself, so the real
 * controls are GitHub's "require approval for all outside collaborators" and
 * runner groups (README, "Pull requests from forks"). */
import type { GitHubApi } from './api';
import type { PrEvent } from './event';
import type { ActionInputs } from './inputs';

export type Admission = { run: true; fork: boolean } | { run: false; reason: string };

export async function admitPr(
  inputs: Pick<ActionInputs, 'trustedLabel' | 'allowPullRequestTarget'>,
  event: PrEvent,
  gh: GitHubApi | undefined,
): Promise<Admission> {
  const label = inputs.trustedLabel;
  const approveHint = `review the head commit, then add the '${label}' label (remove it first if it is there): that runs this commit once`;
  // A PR's head repository never turns from this one into another, so the
  // payload settles same-repository PRs; for a fork, the API says what is true now.
  if (!event.isFork) return { run: true, fork: false };
  const now = gh ? await gh.pull(event.number) : undefined;

  const origin = now?.headRepo ?? event.headRepo ?? 'a deleted repository';
  const who = `pull request #${event.number} comes from a fork (${origin})`;
  if (event.eventName === 'pull_request_target' && !inputs.allowPullRequestTarget)
    return {
      run: false,
      reason:
        `${who}, and this is a pull_request_target event: the base's workflow with a write token would build the fork's code. ` +
        `perfgate refuses unless the input allow-pull-request-target is true (and the commit is still approved); ` +
        `prefer pull_request plus a workflow_run report (README, "Pull requests from forks")`,
    };
  if (!now) return { run: false, reason: `${who}, and without a github-token perfgate cannot check its approval with the API` };
  if (!now.labels.includes(label))
    return { run: false, reason: `${who} and does not carry the '${label}' label now; to run it, ${approveHint}` };
  if (event.action !== 'labeled' || event.label !== label)
    return {
      run: false,
      reason: `${who}; an approval covers only the commit that was the head when the '${label}' label was added, and this is a '${event.action || 'other'}' event. To run this commit, ${approveHint}`,
    };
  if (now.headSha !== event.headSha)
    return {
      run: false,
      reason: `${who}; the '${label}' label was added at ${event.headSha.slice(0, 12)}, but the head is now ${now.headSha.slice(0, 12)}, which nobody approved. To run it, ${approveHint}`,
    };
  return { run: true, fork: true };
}
