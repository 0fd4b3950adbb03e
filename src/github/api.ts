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

export class GitHubApi {
  constructor(
    private readonly octokit: ReturnType<typeof makeOctokit>,
    private readonly repo: Repo,
  ) {}

  /** Creates the PR comment carrying `marker`, or updates it if it exists. */
  async upsertComment(issue: number, marker: string, body: string): Promise<'created' | 'updated'> {
    try {
      const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
        ...this.repo,
        issue_number: issue,
        per_page: 100,
      });
      const mine = comments.find((c) => typeof c.body === 'string' && c.body.includes(marker));
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
