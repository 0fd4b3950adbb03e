/** What the action needs from the workflow event, read from the payload.
 * The payload is what GitHub wrote when the event happened, and a re-run
 * replays it unchanged: facts that can change since (labels, the head
 * commit) are read again from the API before they decide anything (trust.ts). */
export interface PrEvent {
  kind: 'pr';
  eventName: 'pull_request' | 'pull_request_target';
  /** opened, synchronize, labeled, ... */
  action: string;
  /** The label just added, on a `labeled` event, and who added it. */
  label?: string;
  sender?: string;
  number: number;
  headSha: string;
  baseSha: string;
  headRef: string;
  baseRef: string;
  /** owner/name of the head repository; null when it was deleted. */
  headRepo: string | null;
  isFork: boolean;
  labels: string[];
  title: string;
}

/** A `workflow_run` event: another workflow's run finished (report mode). */
export interface WorkflowRunEvent {
  kind: 'workflow_run';
  runId: number;
  /** The event that triggered that run (pull_request for a PR comparison). */
  triggeredBy: string;
  headSha: string;
  headRepo: string | null;
  conclusion: string;
}

export interface OtherEvent {
  kind: 'dispatch' | 'push' | 'other';
  sha: string;
  ref: string;
  defaultBranch?: string;
}

export type ActionEvent = PrEvent | WorkflowRunEvent | OtherEvent;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The full name of a payload's repository object, or null when it is missing (deleted). */
function repoName(v: unknown): string | null {
  return str(obj(v).full_name) || null;
}

/** A PR comes from a fork unless its head repository is, by name, this one:
 * a deleted head repository (null) counts as a fork. */
export function isForkOf(headRepo: string | null, repository: string): boolean {
  return headRepo === null || headRepo.toLowerCase() !== repository.toLowerCase();
}

export function readEvent(eventName: string, payload: Json, repository: string, sha: string, ref: string): ActionEvent {
  if (eventName === 'pull_request' || eventName === 'pull_request_target') {
    const pr = obj(payload.pull_request);
    const head = obj(pr.head);
    const base = obj(pr.base);
    const headRepo = repoName(head.repo);
    const labels = Array.isArray(pr.labels) ? pr.labels.map((l) => str(obj(l).name)).filter((n) => n !== '') : [];
    if (!str(head.sha) || !str(base.sha) || typeof pr.number !== 'number')
      throw new Error(`the ${eventName} payload has no pull_request.head.sha, base.sha or number`);
    return {
      kind: 'pr',
      eventName,
      action: str(payload.action),
      label: str(obj(payload.label).name) || undefined,
      sender: str(obj(payload.sender).login) || undefined,
      number: pr.number,
      headSha: str(head.sha),
      baseSha: str(base.sha),
      headRef: str(head.ref),
      baseRef: str(base.ref),
      headRepo,
      isFork: isForkOf(headRepo, repository),
      labels,
      title: str(pr.title),
    };
  }
  if (eventName === 'workflow_run') {
    const run = obj(payload.workflow_run);
    if (typeof run.id !== 'number' || !str(run.head_sha)) throw new Error('the workflow_run payload has no workflow_run.id or head_sha');
    return {
      kind: 'workflow_run',
      runId: run.id,
      triggeredBy: str(run.event),
      headSha: str(run.head_sha),
      headRepo: repoName(run.head_repository),
      conclusion: str(run.conclusion),
    };
  }
  const defaultBranch = str(obj(payload.repository).default_branch) || undefined;
  if (eventName === 'workflow_dispatch') return { kind: 'dispatch', sha, ref, defaultBranch };
  if (eventName === 'push') return { kind: 'push', sha, ref, defaultBranch };
  return { kind: 'other', sha, ref, defaultBranch };
}
