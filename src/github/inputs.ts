/** The action's inputs, validated. Names match action.yml. */
import { FAILING_VERDICTS, VERDICTS, isVerdict, type Verdict } from '../engine/verdicts';
import { DEFAULT_ALLOCATORS } from '../scorecard/allocators';

export type Mode = 'pr' | 'rebase' | 'auto';

export interface ActionInputs {
  mode: Mode;
  config: string;
  runs?: number;
  token: string;
  comment: boolean;
  checkName: string;
  failOn: Verdict[];
  trustedLabel: string;
  allocators: string[];
  dataBranch: string;
  rebaseOnPush: boolean;
}

export class InputError extends Error {}

function list(raw: string): string[] {
  return raw
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function bool(name: string, raw: string, def: boolean): boolean {
  if (raw === '') return def;
  if (/^(true|on|yes)$/i.test(raw)) return true;
  if (/^(false|off|no)$/i.test(raw)) return false;
  throw new InputError(`input '${name}' must be true or false, got '${raw}'`);
}

/** `get` returns the raw input ('' when unset), like core.getInput. */
export function parseInputs(get: (name: string) => string): ActionInputs {
  const mode = get('mode') || 'auto';
  if (!['pr', 'rebase', 'auto'].includes(mode)) throw new InputError(`input 'mode' must be pr, rebase or auto, got '${mode}'`);
  const runsRaw = get('runs');
  if (runsRaw !== '' && (!/^\d+$/.test(runsRaw) || Number(runsRaw) < 2))
    throw new InputError(`input 'runs' must be a whole number of at least 2, got '${runsRaw}'`);
  const failOnRaw = get('fail-on');
  const failOn = failOnRaw === '' ? [...FAILING_VERDICTS] : list(failOnRaw);
  for (const v of failOn)
    if (!isVerdict(v)) throw new InputError(`input 'fail-on': '${v}' is not a verdict (verdicts: ${VERDICTS.join(', ')})`);
  const checkName = get('check-name') || 'perfgate';
  return {
    mode: mode as Mode,
    config: get('config') || 'perfgate.yml',
    runs: runsRaw === '' ? undefined : Number(runsRaw),
    token: get('github-token'),
    comment: bool('comment', get('comment'), true),
    checkName,
    failOn: failOn as Verdict[],
    trustedLabel: get('trusted-label') || 'perf-safe',
    allocators: get('allocators') ? list(get('allocators')) : [...DEFAULT_ALLOCATORS],
    dataBranch: get('data-branch') || 'perfgate-data',
    rebaseOnPush: bool('rebase-on-push', get('rebase-on-push'), false),
  };
}
