/** What the action needs from the workflow event, read from the payload. */
export interface PrEvent {
  kind: 'pr';
  number: number;
  headSha: string;
  baseSha: string;
  headRef: string;
  baseRef: string;
  isFork: boolean;
  labels: string[];
  title: string;
}

export interface OtherEvent {
  kind: 'dispatch' | 'push' | 'other';
  sha: string;
  ref: string;
  defaultBranch?: string;
}

export type ActionEvent = PrEvent | OtherEvent;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function readEvent(eventName: string, payload: Json, repository: string, sha: string, ref: string): ActionEvent {
  if (eventName === 'pull_request' || eventName === 'pull_request_target') {
    const pr = obj(payload.pull_request);
    const head = obj(pr.head);
    const base = obj(pr.base);
    const headRepo = str(obj(head.repo).full_name);
    const labels = Array.isArray(pr.labels) ? pr.labels.map((l) => str(obj(l).name)).filter((n) => n !== '') : [];
    if (!str(head.sha) || !str(base.sha) || typeof pr.number !== 'number')
      throw new Error(`the ${eventName} payload has no pull_request.head.sha, base.sha or number`);
    return {
      kind: 'pr',
      number: pr.number,
      headSha: str(head.sha),
      baseSha: str(base.sha),
      headRef: str(head.ref),
      baseRef: str(base.ref),
      isFork: headRepo !== '' && headRepo !== repository,
      labels,
      title: str(pr.title),
    };
  }
  const defaultBranch = str(obj(payload.repository).default_branch) || undefined;
  if (eventName === 'workflow_dispatch') return { kind: 'dispatch', sha, ref, defaultBranch };
  if (eventName === 'push') return { kind: 'push', sha, ref, defaultBranch };
  return { kind: 'other', sha, ref, defaultBranch };
}
