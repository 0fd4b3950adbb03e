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
    retry: { retries: 3 },
    throttle: {
      // Retry twice on primary and secondary rate limits, then give up.
      onRateLimit: (_after: number, _opts: object, _o: unknown, retryCount: number) => retryCount < 2,
      onSecondaryRateLimit: (_after: number, _opts: object, _o: unknown, retryCount: number) => retryCount < 2,
    },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
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

  /** Creates the PR comment carrying `marker`, or updates it if it exists.
   * Only a comment written by this token's own identity counts: anyone can
   * write the marker into a comment of their own. */
  async upsertComment(issue: number, marker: string, body: string): Promise<'created' | 'updated'> {
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
      await this.octokit.rest.issues.createComment({ ...this.repo, issue_number: issue, body });
      return 'created';
    } catch (e) {
      throw explain(e, 'post the pull-request comment', 'pull-requests: write');
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

  /** A file of the data branch, or undefined when the branch or file is absent. */
  async readDataFile(branch: string, path: string): Promise<{ text: string; sha: string } | undefined> {
    try {
      const r = await this.octokit.rest.repos.getContent({ ...this.repo, path, ref: branch });
      const d = r.data as { content?: string; sha?: string };
      if (typeof d.content !== 'string' || typeof d.sha !== 'string') return undefined;
      return { text: Buffer.from(d.content, 'base64').toString('utf8'), sha: d.sha };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw explain(e, `read ${path} on branch ${branch}`, 'contents: read');
    }
  }

  /** Creates `branch` as an orphan branch with a README, unless it exists. */
  private async ensureBranch(branch: string): Promise<void> {
    try {
      await this.octokit.rest.git.getRef({ ...this.repo, ref: `heads/${branch}` });
      return;
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
    const readme = `# ${branch}\n\nperfgate's rebase history: one JSON scorecard per line in scorecards.jsonl.\nWritten by the perfgate action; do not merge this branch.\n`;
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

  /** Appends a line to a file on the data branch; a concurrent writer makes
   * the update non-fast-forward (409/422), so re-read and try again. */
  async appendToDataBranch(branch: string, path: string, line: string, attempts = 5): Promise<void> {
    try {
      await this.ensureBranch(branch);
      for (let i = 1; ; i++) {
        const current = await this.readDataFile(branch, path);
        const text = `${current?.text ?? ''}${line.endsWith('\n') ? line : `${line}\n`}`;
        try {
          await this.octokit.rest.repos.createOrUpdateFileContents({
            ...this.repo,
            path,
            branch,
            message: `perfgate: append to ${path}`,
            content: Buffer.from(text).toString('base64'),
            sha: current?.sha,
          });
          return;
        } catch (e) {
          const s = statusOf(e);
          if ((s === 409 || s === 422) && i < attempts) continue;
          throw e;
        }
      }
    } catch (e) {
      if (e instanceof PostingError) throw e;
      throw explain(e, `append to ${path} on branch ${branch}`, 'contents: write');
    }
  }
}
