/** The action's inputs, validated. Names match action.yml. */
import type { ConfigSource } from '../engine/config-source';
import { SANDBOX_MODES, type SandboxMode } from '../engine/host/sandbox';
import { FAILING_VERDICTS, VERDICTS, isVerdict, type Verdict } from '../engine/verdicts';
import { DEFAULT_ALLOCATORS } from '../scorecard/allocators';
import { parseShard, type Shard } from '../engine/shard';

export const MODES = ['pr', 'rebase', 'report', 'merge', 'auto'] as const;
/** When the sticky comment is posted: always; on-change (only when a verdict is not UNCHANGED, but an existing comment is always updated); never. */
export const COMMENT_MODES = ['always', 'on-change', 'never'] as const;
export type CommentMode = (typeof COMMENT_MODES)[number];
export type Mode = (typeof MODES)[number];
const CONFIG_SOURCES: readonly ConfigSource[] = ['base', 'head'];

export interface ActionInputs {
  mode: Mode;
  config: string;
  runs?: number;
  token: string;
  comment: CommentMode;
  checkName: string;
  failOn: Verdict[];
  trustedLabel: string;
  allocators: string[];
  dataBranch: string;
  rebaseOnPush: boolean;
  /** Whose perfgate.yml governs a PR's comparison. */
  configSource: ConfigSource;
  sandbox: SandboxMode;
  /** Build a fork's head on pull_request_target (still only when approved). */
  allowPullRequestTarget: boolean;
  /** Rebase mode publishes the dashboard here too, when set. */
  pagesBranch?: string;
  /** Where the dashboard is served; the comment links to it. */
  dashboardUrl?: string;
  /** The label a maintainer adds to accept this head's regressions (on its `labeled` event). */
  acceptLabel: string;
  /** PR mode: measure only this shard (its result is an artifact for merge mode, nothing is posted). */
  shard?: Shard;
  /** Merge mode: the directory holding the shards' results. */
  results?: string;
}

export class InputError extends Error {}

function list(raw: string): string[] {
  return raw
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[], def: T): T {
  if (raw === '') return def;
  if (!(allowed as readonly string[]).includes(raw)) throw new InputError(`input '${name}' must be ${allowed.join(', ')}; got '${raw}'`);
  return raw as T;
}

function bool(name: string, raw: string, def: boolean): boolean {
  if (raw === '') return def;
  if (/^(true|on|yes)$/i.test(raw)) return true;
  if (/^(false|off|no)$/i.test(raw)) return false;
  throw new InputError(`input '${name}' must be true or false, got '${raw}'`);
}

/** true and false (perfgate 0.2's values) mean always and never. */
function commentMode(raw: string): CommentMode {
  if (/^(true|on|yes)$/i.test(raw)) return 'always';
  if (/^(false|off|no)$/i.test(raw)) return 'never';
  return oneOf('comment', raw, COMMENT_MODES, 'always');
}

function shardInput(raw: string): Shard | undefined {
  if (raw === '') return undefined;
  try {
    return parseShard(raw);
  } catch (e) {
    throw new InputError(`input 'shard': ${(e as Error).message}`);
  }
}

function branchName(name: string, raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(raw) || raw.includes('..')) throw new InputError(`input '${name}' must be a branch name, got '${raw}'`);
  return raw;
}

function httpUrl(name: string, raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/^https?:\/\/[^\s"'<>()[\]]+$/.test(raw)) throw new InputError(`input '${name}' must be an http(s) address, got '${raw}'`);
  return raw;
}

/** `get` returns the raw input ('' when unset), like core.getInput. */
export function parseInputs(get: (name: string) => string): ActionInputs {
  const mode = oneOf('mode', get('mode'), MODES, 'auto');
  const runsRaw = get('runs');
  if (runsRaw !== '' && (!/^\d+$/.test(runsRaw) || Number(runsRaw) < 2))
    throw new InputError(`input 'runs' must be a whole number of at least 2, got '${runsRaw}'`);
  const failOnRaw = get('fail-on');
  const failOn = failOnRaw === '' ? [...FAILING_VERDICTS] : list(failOnRaw);
  for (const v of failOn)
    if (!isVerdict(v)) throw new InputError(`input 'fail-on': '${v}' is not a verdict (verdicts: ${VERDICTS.join(', ')})`);
  const checkName = get('check-name') || 'perfgate';
  return {
    mode,
    config: get('config') || 'perfgate.yml',
    runs: runsRaw === '' ? undefined : Number(runsRaw),
    token: get('github-token'),
    comment: commentMode(get('comment')),
    checkName,
    failOn: failOn as Verdict[],
    trustedLabel: get('trusted-label') || 'perf-safe',
    allocators: get('allocators') ? list(get('allocators')) : [...DEFAULT_ALLOCATORS],
    dataBranch: get('data-branch') || 'perfgate-data',
    rebaseOnPush: bool('rebase-on-push', get('rebase-on-push'), false),
    configSource: oneOf('config-source', get('config-source'), CONFIG_SOURCES, 'base'),
    sandbox: oneOf('sandbox', get('sandbox'), SANDBOX_MODES, 'require'),
    allowPullRequestTarget: bool('allow-pull-request-target', get('allow-pull-request-target'), false),
    pagesBranch: branchName('pages-branch', get('pages-branch')),
    dashboardUrl: httpUrl('dashboard-url', get('dashboard-url')),
    shard: shardInput(get('shard')),
    acceptLabel: get('accept-label') || 'perf-accepted',
    results: get('results') || undefined,
  };
}
