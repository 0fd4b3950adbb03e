/** The REST calls the action makes, with retries for transient failures
 * (5xx, rate limits) and a plain-language diagnosis of permission errors. */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';

export interface Repo {
  owner: string;
  repo: string;
}

export type Conclusion = 'success' | 'failure' | 'neutral';

/** A write that failed for lack of permission, or for good after retries. */
export class PostingError extends Error {}

const RetryingOctokit = Octokit.plugin(retry, throttling);

export function makeOctokit(token: string, baseUrl: string): InstanceType<typeof RetryingOctokit> {
  return new RetryingOctokit({
    auth: token || undefined,
    baseUrl,
    userAgent: 'perfgate-action',
    // Per-process base for the retry plugin's back-off, so that two jobs retrying
    // the same failure do not retry in lockstep; conflicts (409) are retried by withBackoff.
    retry: { retries: 3, retryAfterBaseValue: 500 + Math.random() * 1000, doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] },
    throttle: {
      // Retry twice on primary and secondary rate limits, then give up.
      onRateLimit: (_after: number, _opts: object, _o: unknown, retryCount: number) => retryCount < 2,
      onSecondaryRateLimit: (_after: number, _opts: object, _o: unknown, retryCount: number) => retryCount < 2,
    },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

/** Runs `step`, retrying it while `retryable` says so, up to `attempts`
 * times, after exponential back-off with full jitter (0 to 0.5 s x 2^i):
 * concurrent writers spread out instead of colliding again. */
export async function withBackoff<T>(step: () => Promise<T>, retryable: (e: unknown) => boolean, attempts = 6): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await step();
    } catch (e) {
      if (i + 1 >= attempts || !retryable(e)) throw e;
      await new Promise((ok) => setTimeout(ok, Math.random() * 500 * 2 ** i));
    }
  }
}

function statusOf(e: unknown): number | undefined {
  const s = (e as { status?: unknown }).status;
  return typeof s === 'number' ? s : undefined;
}

/** Turns an API error into a sentence that names the missing permission. */
export function explain(e: unknown, what: string, permission: string): PostingError {
  const status = statusOf(e);
  const msg = ((e as Error).message ?? String(e)).split('\n')[0] ?? '';
  if (status === 403 || status === 404 || status === 401) {
    return new PostingError(
      `could not ${what}: HTTP ${status} (${msg}). The token needs '${permission}' permission ` +
        `(add \`permissions: ${permission}\` to the workflow; tokens of pull requests from forks are read-only)`,
    );
  }
  return new PostingError(`could not ${what}: ${status ? `HTTP ${status} ` : ''}${msg}`);
}

/** A pull request as the API says it is now. */
export interface PullState {
  number: number;
  headSha: string;
  /** owner/name, or null when the head repository was deleted. */
  headRepo: string | null;
  labels: string[];
}

export class GitHubApi {
  private login?: string;

  constructor(
    private readonly octokit: ReturnType<typeof makeOctokit>,
    private readonly repo: Repo,
  ) {}

  /** The login the token acts as. GraphQL's viewer answers for user tokens
   * and for installation tokens (GITHUB_TOKEN, GitHub Apps) alike; REST's
   * GET /user refuses the latter. */
  async identity(): Promise<string> {
    if (this.login === undefined) {
      try {
        const r = await this.octokit.graphql<{ viewer: { login: string } }>('query { viewer { login } }');
        this.login = r.viewer.login;
      } catch (e) {
        throw explain(e, "find the token's own login", 'the default GITHUB_TOKEN or any token');
      }
    }
    return this.login;
  }

  /** The pull request now: head commit, head repository and labels, never from the event payload. */
  async pull(number: number): Promise<PullState> {
    try {
      const { data } = await this.octokit.rest.pulls.get({ ...this.repo, pull_number: number });
      return {
        number,
        headSha: data.head.sha,
        headRepo: data.head.repo?.full_name ?? null,
        labels: data.labels.map((l) => l.name ?? '').filter((n) => n !== ''),
      };
    } catch (e) {
      throw explain(e, `read pull request #${number}`, 'pull-requests: read');
    }
  }

  /** Open pull requests whose head is `sha` (a workflow_run names no PR for a fork). */
  async pullsWithHead(sha: string): Promise<PullState[]> {
    try {
      const pulls = await this.octokit.paginate(this.octokit.rest.pulls.list, { ...this.repo, state: 'open', per_page: 100 });
      return pulls
        .filter((p) => p.head.sha === sha)
        .map((p) => ({
          number: p.number,
          headSha: p.head.sha,
          headRepo: p.head.repo?.full_name ?? null,
          labels: p.labels.map((l) => l.name ?? '').filter((n) => n !== ''),
        }));
    } catch (e) {
      throw explain(e, `find the pull request of ${sha.slice(0, 12)}`, 'pull-requests: read');
    }
  }

  async removeLabel(issue: number, label: string): Promise<void> {
    try {
      await this.octokit.rest.issues.removeLabel({ ...this.repo, issue_number: issue, name: label });
    } catch (e) {
      if (statusOf(e) === 404) return; // removed meanwhile
      throw explain(e, `remove the label '${label}' from #${issue}`, 'pull-requests: write');
    }
  }

  /** Creates the PR comment carrying `marker` (unless `create` is false), or updates it if it exists.
   * Only a comment written by this token's own identity counts: anyone can
   * write the marker into a comment of their own. */
  async upsertComment(issue: number, marker: string, body: string, create = true): Promise<'created' | 'updated' | 'none'> {
    const me = await this.identity();
    try {
      const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
        ...this.repo,
        issue_number: issue,
        per_page: 100,
      });
      const mine = comments.find((c) => c.user?.login === me && typeof c.body === 'string' && c.body.includes(marker));
      if (mine) {
        await this.octokit.rest.issues.updateComment({ ...this.repo, comment_id: mine.id, body });
        return 'updated';
      }
      if (!create) return 'none';
      await this.octokit.rest.issues.createComment({ ...this.repo, issue_number: issue, body });
      return 'created';
    } catch (e) {
      throw explain(e, 'post the pull-request comment', 'pull-requests: write');
    }
  }

  /** The comments of an issue or pull request, oldest first, with their authors. */
  async comments(issue: number): Promise<{ login: string; body: string }[]> {
    try {
      const all = await this.octokit.paginate(this.octokit.rest.issues.listComments, { ...this.repo, issue_number: issue, per_page: 100 });
      return all.map((c) => ({ login: c.user?.login ?? '', body: c.body ?? '' }));
    } catch (e) {
      throw explain(e, 'read the pull-request comments', 'pull-requests: read');
    }
  }

  /** Whether `login` may push to this repository (admin, maintain or write), as the API says now. */
  async canWrite(login: string): Promise<boolean> {
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ ...this.repo, username: login });
      return ['admin', 'maintain', 'write'].includes(data.permission);
    } catch (e) {
      if (statusOf(e) === 404) return false; // not a collaborator
      throw explain(e, `read ${login}'s permission`, 'metadata: read');
    }
  }

  async createCheckRun(name: string, headSha: string, conclusion: Conclusion, title: string, summary: string): Promise<void> {
    try {
      await this.octokit.rest.checks.create({
        ...this.repo,
        name,
        head_sha: headSha,
        status: 'completed',
        conclusion,
        completed_at: new Date().toISOString(),
        output: { title: title.slice(0, 250), summary: summary.slice(0, 65535) },
      });
    } catch (e) {
      throw explain(e, 'create the check run', 'checks: write');
    }
  }

  /** Creates `branch` as an orphan branch with a README, unless it exists. */
  private async ensureBranch(branch: string, readme: string): Promise<void> {
    try {
      await this.octokit.rest.git.getRef({ ...this.repo, ref: `heads/${branch}` });
      return;
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
    const tree = await this.octokit.rest.git.createTree({
      ...this.repo,
      tree: [{ path: 'README.md', mode: '100644', type: 'blob', content: readme }],
    });
    const commit = await this.octokit.rest.git.createCommit({
      ...this.repo,
      message: `perfgate: create ${branch}`,
      tree: tree.data.sha,
      parents: [],
    });
    try {
      await this.octokit.rest.git.createRef({ ...this.repo, ref: `refs/heads/${branch}`, sha: commit.data.sha });
    } catch (e) {
      if (statusOf(e) !== 422) throw e; // created meanwhile by another run
    }
  }

  /** Adds one record as a new file `dir/name` on the data branch. Records are
   * never rewritten, so nothing can be lost or truncated; a concurrent
   * writer moving the branch (409) is retried with jittered back-off. */
  async addDataRecord(branch: string, dir: string, name: string, text: string): Promise<void> {
    try {
      await this.ensureBranch(
        branch,
        `# ${branch}\n\nperfgate's history: one JSON file per record under ${dir}/, never rewritten.\nWritten by the perfgate action; do not merge this branch.\n`,
      );
      await withBackoff(
        () =>
          this.octokit.rest.repos.createOrUpdateFileContents({
            ...this.repo,
            path: `${dir}/${name}`,
            branch,
            message: `perfgate: add ${dir}/${name}`,
            content: Buffer.from(text).toString('base64'),
          }),
        (e) => statusOf(e) === 409,
      );
    } catch (e) {
      throw explain(e, `add ${dir}/${name} to branch ${branch}`, 'contents: write');
    }
  }

  /** The text of the newest record in `dir` on the data branch (by name:
   * records are named by date), else the last line of `legacyFile` (the
   * single-file history of perfgate 0.2), else undefined. Reads through the
   * git data API: no size limit on the directory or the file. */
  async latestRecord(branch: string, dir: string, legacyFile: string): Promise<string | undefined> {
    try {
      const h = await this.historyTree(branch, dir, legacyFile);
      if (!h) return undefined;
      const newest = h.records.at(-1);
      if (newest) return await this.blob(newest.sha);
      return h.legacy ? (await this.blob(h.legacy)).trim().split('\n').at(-1) : undefined;
    } catch (e) {
      throw explain(e, `read the history on branch ${branch}`, 'contents: read');
    }
  }

  /** Every record on the data branch: `dir/NAME` → text, and the 0.2 file's text. */
  async allRecords(branch: string, dir: string, legacyFile: string): Promise<{ records: Map<string, string>; legacy?: string }> {
    try {
      const h = await this.historyTree(branch, dir, legacyFile);
      const records = new Map<string, string>();
      if (!h) return { records };
      // A few blobs at a time: a long history is many requests, and the API limits concurrency.
      for (let i = 0; i < h.records.length; i += 8)
        await Promise.all(h.records.slice(i, i + 8).map(async (r) => records.set(r.name, await this.blob(r.sha))));
      return { records, legacy: h.legacy ? await this.blob(h.legacy) : undefined };
    } catch (e) {
      throw explain(e, `read the history on branch ${branch}`, 'contents: read');
    }
  }

  /** The record files of the data branch, by name (oldest first), and the 0.2 file's blob; undefined without the branch. */
  private async historyTree(
    branch: string,
    dir: string,
    legacyFile: string,
  ): Promise<{ records: { name: string; sha: string }[]; legacy?: string } | undefined> {
    const ref = await this.octokit.rest.git.getRef({ ...this.repo, ref: `heads/${branch}` }).catch((e: unknown) => {
      if (statusOf(e) === 404) return undefined;
      throw e;
    });
    if (!ref) return undefined;
    const commit = await this.octokit.rest.git.getCommit({ ...this.repo, commit_sha: ref.data.object.sha });
    const root = await this.octokit.rest.git.getTree({ ...this.repo, tree_sha: commit.data.tree.sha });
    const dirEntry = root.data.tree.find((e) => e.path === dir && e.type === 'tree');
    const records = dirEntry?.sha
      ? (await this.octokit.rest.git.getTree({ ...this.repo, tree_sha: dirEntry.sha })).data.tree
          .filter((e) => e.type === 'blob' && e.path?.endsWith('.json') && e.sha)
          .map((e) => ({ name: e.path, sha: e.sha }))
          .sort((a, b) => a.name.localeCompare(b.name))
      : [];
    return { records, legacy: root.data.tree.find((e) => e.path === legacyFile && e.type === 'blob')?.sha };
  }

  /** Writes generated files (the dashboard) to `branch`, each replacing what is there; creates the branch if absent. */
  async putSiteFiles(branch: string, files: { path: string; text: string }[]): Promise<void> {
    try {
      await this.ensureBranch(
        branch,
        `# ${branch}\n\nThe perfgate history dashboard, rewritten by the perfgate action after each record.\n`,
      );
      for (const f of files)
        await withBackoff(
          async () => {
            const current = await this.octokit.rest.repos.getContent({ ...this.repo, path: f.path, ref: branch }).catch((e: unknown) => {
              if (statusOf(e) === 404) return undefined;
              throw e;
            });
            const sha = current && !Array.isArray(current.data) ? current.data.sha : undefined;
            await this.octokit.rest.repos.createOrUpdateFileContents({
              ...this.repo,
              path: f.path,
              branch,
              sha,
              message: `perfgate: update ${f.path}`,
              content: Buffer.from(f.text).toString('base64'),
            });
          },
          (e) => statusOf(e) === 409,
        );
    } catch (e) {
      throw explain(e, `publish the dashboard to branch ${branch}`, 'contents: write');
    }
  }

  private async blob(sha: string): Promise<string> {
    const { data } = await this.octokit.rest.git.getBlob({ ...this.repo, file_sha: sha });
    return Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
  }
}
