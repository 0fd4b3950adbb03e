/** A stand-in for the GitHub REST API on 127.0.0.1: the endpoints the action
 * uses, with state, a log of every request, and injectable faults. The only
 * test double in the suite, at the network edge. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
  authorization?: string;
}

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  /** How many matching requests fail; Infinity for all. */
  times: number;
  message?: string;
}

export interface CheckRun {
  name: string;
  head_sha: string;
  status: string;
  conclusion: string;
  output: { title: string; summary: string };
}

export interface Pull {
  number: number;
  head: { sha: string; ref: string; repo: { full_name: string } | null };
  labels: { name: string }[];
}

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly comments: { id: number; issue: number; body: string; login: string }[] = [];
  /** Pull requests as the API reports them now (the payload may say otherwise). */
  readonly pulls = new Map<number, Pull>();
  /** Artifacts by workflow run: name and zip bytes. */
  readonly artifacts = new Map<number, { id: number; name: string; zip: Buffer }[]>();
  /** Who each token is (GraphQL viewer, comment authors). */
  readonly logins = new Map<string, string>();
  readonly checkRuns: CheckRun[] = [];
  /** Repository permission by login (admin, maintain, write, triage, read); others are not collaborators (404). */
  readonly permissions = new Map<string, string>();
  readonly refs = new Map<string, string>();
  /** The branch each commit made here belongs to. */
  private readonly commitBranch = new Map<string, string>();
  readonly files = new Map<string, { content: string; sha: string }>(); // key: branch:path
  faults: Fault[] = [];
  private server?: Server;
  private nextId = 1000;

  constructor(private readonly repo = 'o/r') {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((ok) => this.server?.close(() => ok()));
  }

  count(method: string, path: RegExp): number {
    return this.requests.filter((r) => r.method === method && path.test(r.path)).length;
  }

  private sha(): string {
    return (this.nextId++).toString(16).padStart(40, '0');
  }

  private base = '';

  private login(authorization: string | undefined): string {
    return this.logins.get((authorization ?? '').replace(/^(token|bearer) /i, '')) ?? 'anonymous';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    // Octokit percent-encodes slashes inside a parameter (heads%2Fmain, dir%2Ffile); GitHub reads them as paths.
    const pathname = decodeURIComponent(url.pathname);
    this.requests.push({ method, path: pathname, body, authorization: req.headers.authorization });
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(data));
    };
    const fault = this.faults.find((f) => f.method === method && f.path.test(pathname) && f.times > 0);
    if (fault) {
      fault.times--;
      send(fault.status, { message: fault.message ?? `injected ${fault.status}` });
      return;
    }
    this.base = `http://${req.headers.host}`;
    if (url.pathname === '/graphql' && method === 'POST') {
      const login = this.login(req.headers.authorization);
      return send(200, { data: { viewer: { login } } });
    }
    let m: RegExpExecArray | null;
    if ((m = /^\/blob\/(\d+)\.zip$/.exec(url.pathname)) && method === 'GET') {
      const a = [...this.artifacts.values()].flat().find((x) => x.id === Number(m![1]));
      if (!a) return send(404, { message: 'BlobNotFound' });
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': a.zip.length });
      res.end(a.zip);
      return;
    }
    const base = `/repos/${this.repo}`;
    const p = pathname.startsWith(base) ? pathname.slice(base.length) : undefined;
    if (p === undefined) return send(404, { message: 'Not Found' });

    if ((m = /^\/pulls\/(\d+)$/.exec(p)) && method === 'GET') {
      const pr = this.pulls.get(Number(m[1]));
      return pr ? send(200, pr) : send(404, { message: 'Not Found' });
    }
    if (p === '/pulls' && method === 'GET') return send(200, [...this.pulls.values()]);
    if ((m = /^\/issues\/(\d+)\/labels\/(.+)$/.exec(p)) && method === 'DELETE') {
      const pr = this.pulls.get(Number(m[1]));
      const name = m[2]!;
      if (!pr || !pr.labels.some((l) => l.name === name)) return send(404, { message: 'Label does not exist' });
      pr.labels = pr.labels.filter((l) => l.name !== name);
      return send(200, pr.labels);
    }
    if ((m = /^\/actions\/runs\/(\d+)\/artifacts$/.exec(p)) && method === 'GET') {
      const name = url.searchParams.get('name');
      const list = (this.artifacts.get(Number(m[1])) ?? []).filter((a) => !name || a.name === name);
      const artifacts = list.map((a) => ({ id: a.id, name: a.name, size_in_bytes: a.zip.length, created_at: '2026-11-22T00:00:00Z' }));
      return send(200, { total_count: artifacts.length, artifacts });
    }
    if ((m = /^\/actions\/artifacts\/(\d+)\/zip$/.exec(p)) && method === 'GET') {
      res.writeHead(302, { location: `${this.base}/blob/${m[1]}.zip` });
      res.end();
      return;
    }

    if ((m = /^\/issues\/(\d+)\/comments$/.exec(p))) {
      const issue = Number(m[1]);
      if (method === 'GET')
        return send(
          200,
          this.comments.filter((c) => c.issue === issue).map((c) => ({ id: c.id, body: c.body, user: { login: c.login } })),
        );
      if (method === 'POST') {
        const c = { id: this.nextId++, issue, body: String(body.body), login: this.login(req.headers.authorization) };
        this.comments.push(c);
        return send(201, { id: c.id, body: c.body });
      }
    }
    if ((m = /^\/collaborators\/([^/]+)\/permission$/.exec(p)) && method === 'GET') {
      const permission = this.permissions.get(m[1]!);
      return permission ? send(200, { permission, user: { login: m[1] } }) : send(404, { message: 'Not a collaborator' });
    }
    if ((m = /^\/issues\/comments\/(\d+)$/.exec(p)) && method === 'PATCH') {
      const c = this.comments.find((x) => x.id === Number(m![1]));
      if (!c) return send(404, { message: 'Not Found' });
      c.body = String(body.body);
      return send(200, { id: c.id, body: c.body });
    }
    if (p === '/check-runs' && method === 'POST') {
      this.checkRuns.push(body as unknown as CheckRun);
      return send(201, { id: this.nextId++ });
    }
    if ((m = /^\/git\/ref\/(.+)$/.exec(p)) && method === 'GET') {
      const name = m[1]!.replace(/^heads\//, '');
      const sha = this.refs.get(name);
      return sha ? send(200, { ref: `refs/heads/${name}`, object: { sha } }) : send(404, { message: 'Not Found' });
    }
    if (p === '/git/trees' && method === 'POST') return send(201, { sha: this.sha() });
    if (p === '/git/commits' && method === 'POST') return send(201, { sha: this.sha() });
    if (p === '/git/refs' && method === 'POST') {
      const name = String(body.ref).replace('refs/heads/', '');
      if (this.refs.has(name)) return send(422, { message: 'Reference already exists' });
      this.refs.set(name, String(body.sha));
      this.commitBranch.set(String(body.sha), name);
      return send(201, { ref: body.ref, object: { sha: body.sha } });
    }
    // The git data API over the files of a branch: a commit's tree, trees by directory, blobs.
    if ((m = /^\/git\/commits\/([^/]+)$/.exec(p)) && method === 'GET') {
      const branch = this.commitBranch.get(m[1]!);
      return branch === undefined ? send(404, { message: 'Not Found' }) : send(200, { sha: m[1], tree: { sha: enc('tree', branch, '') } });
    }
    if ((m = /^\/git\/trees\/([^/]+)$/.exec(p)) && method === 'GET') {
      const [kind, branch, dir] = dec(m[1]!);
      if (kind !== 'tree') return send(404, { message: 'Not Found' });
      const prefix = dir ? `${dir}/` : '';
      const entries = new Map<string, { path: string; type: string; sha: string }>();
      for (const key of this.files.keys()) {
        if (!key.startsWith(`${branch}:${prefix}`)) continue;
        const rest = key.slice(branch.length + 1 + prefix.length);
        const [first, ...more] = rest.split('/');
        const type = more.length ? 'tree' : 'blob';
        entries.set(first!, { path: first!, type, sha: enc(type, branch, `${prefix}${first}`) });
      }
      return send(200, { sha: m[1], tree: [...entries.values()], truncated: false });
    }
    if ((m = /^\/git\/blobs\/([^/]+)$/.exec(p)) && method === 'GET') {
      const [kind, branch, path] = dec(m[1]!);
      const file = kind === 'blob' ? this.files.get(`${branch}:${path}`) : undefined;
      return file ? send(200, { sha: m[1], content: file.content, encoding: 'base64' }) : send(404, { message: 'Not Found' });
    }
    if ((m = /^\/contents\/(.+)$/.exec(p))) {
      const path = m[1]!;
      const branch = method === 'GET' ? (url.searchParams.get('ref') ?? 'main') : String(body.branch);
      if (!this.refs.has(branch)) return send(404, { message: 'No commit found for the ref' });
      const key = `${branch}:${path}`;
      const file = this.files.get(key);
      if (method === 'GET')
        return file
          ? send(200, { type: 'file', content: file.content, sha: file.sha, encoding: 'base64' })
          : send(404, { message: 'Not Found' });
      if (method === 'PUT') {
        if (file && body.sha === undefined) return send(422, { message: '"sha" wasn\'t supplied.' });
        if ((file?.sha ?? undefined) !== (body.sha ?? undefined)) return send(409, { message: 'sha does not match' });
        const next = { content: String(body.content), sha: this.sha() };
        this.files.set(key, next);
        const commit = this.sha();
        this.refs.set(branch, commit);
        this.commitBranch.set(commit, branch);
        return send(file ? 200 : 201, { content: { sha: next.sha }, commit: { sha: commit } });
      }
    }
    send(404, { message: `Not Found: ${method} ${url.pathname}` });
  }

  /** Puts a file on a branch directly (test set-up), creating the branch. */
  putFile(branch: string, path: string, text: string): void {
    if (!this.refs.has(branch)) {
      const commit = this.sha();
      this.refs.set(branch, commit);
      this.commitBranch.set(commit, branch);
    }
    this.files.set(`${branch}:${path}`, { content: Buffer.from(text).toString('base64'), sha: this.sha() });
  }

  /** Paths of the files on a branch under `dir`. */
  list(branch: string, dir: string): string[] {
    return [...this.files.keys()].filter((k) => k.startsWith(`${branch}:${dir}/`)).map((k) => k.slice(branch.length + 1));
  }

  /** The text of a data-branch file. */
  fileText(branch: string, path: string): string | undefined {
    const f = this.files.get(`${branch}:${path}`);
    return f ? Buffer.from(f.content, 'base64').toString('utf8') : undefined;
  }
}

/** Opaque object names that say which branch and path they stand for. */
function enc(kind: string, branch: string, path: string): string {
  return `${kind}-${Buffer.from(JSON.stringify([branch, path])).toString('hex')}`;
}

function dec(name: string): [string, string, string] {
  const [kind, hex] = name.split('-');
  try {
    const [branch, path] = JSON.parse(Buffer.from(hex ?? '', 'hex').toString('utf8')) as [string, string];
    return [kind ?? '', branch, path];
  } catch {
    return ['', '', ''];
  }
}
