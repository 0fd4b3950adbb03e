/** Who accepted which regression, read from the pull request: a comment
 * `/perfgate accept SHA BENCHMARK|all REASON` (SHA: at least 7 hex digits of
 * the head it accepts, so a new push needs a new acknowledgement), or, on
 * its own `labeled` event, the accept label (while the API still shows the
 * label on that head; it is removed after use). Only users the API says can
 * write count; anyone else's is ignored, and the report says so. */
import type { Acceptance } from '../engine/types';
import type { GitHubApi } from './api';
import type { PrEvent } from './event';
import type { ActionInputs } from './inputs';

const COMMAND = /^\/perfgate accept\s+([0-9a-f]{7,40})\s+(\S+)\s+(\S.*)$/gim;

export interface Acceptances {
  acceptances: Acceptance[];
  /** What was ignored and why (shown in the report). */
  ignored: string[];
  /** The label honoured on this run, to remove afterwards. */
  labelUsed?: string;
}

export async function readAcceptances(gh: GitHubApi, inputs: ActionInputs, event: PrEvent): Promise<Acceptances> {
  const out: Acceptances = { acceptances: [], ignored: [] };
  const writers = new Map<string, boolean>();
  const canWrite = async (login: string) => {
    if (!writers.has(login)) writers.set(login, login !== '' && (await gh.canWrite(login)));
    return writers.get(login)!;
  };
  for (const c of await gh.comments(event.number))
    for (const m of c.body.matchAll(COMMAND)) {
      const [sha, benchmark, reason] = [m[1]!, m[2]!, m[3]!];
      if (!event.headSha.startsWith(sha.toLowerCase())) {
        out.ignored.push(
          `${c.login}'s acceptance of ${benchmark} is for ${sha.slice(0, 12)}, not this head (${event.headSha.slice(0, 12)})`,
        );
        continue;
      }
      if (!(await canWrite(c.login))) {
        out.ignored.push(`${c.login} cannot write to this repository, so cannot accept ${benchmark}`);
        continue;
      }
      out.acceptances.push({ benchmark, by: c.login, reason: reason.trim(), sha: event.headSha, via: 'comment' });
    }
  if (event.action === 'labeled' && event.label === inputs.acceptLabel && event.sender) {
    const now = await gh.pull(event.number);
    if (now.headSha !== event.headSha || !now.labels.includes(inputs.acceptLabel))
      out.ignored.push(`the '${inputs.acceptLabel}' label no longer applies: the head moved or the label was removed`);
    else if (!(await canWrite(event.sender)))
      out.ignored.push(`${event.sender} cannot write to this repository, so cannot accept by label`);
    else {
      out.acceptances.push({
        benchmark: 'all',
        by: event.sender,
        reason: `label '${inputs.acceptLabel}'`,
        sha: event.headSha,
        via: 'label',
      });
      out.labelUsed = inputs.acceptLabel;
    }
  }
  return out;
}
