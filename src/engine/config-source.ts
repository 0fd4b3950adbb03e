/** Which config governs a comparison of two commits. The gate (thresholds,
 * budgets, benchmark list, calibration file) is the base commit's, so the
 * change under test cannot loosen its own gate; what the head's config would
 * change is listed so the reader sees it, and it takes effect after merge. */
import { ConfigError, configFromObject, parseConfigYaml, type Config } from './config';
import { readFileAt } from './repo/git';

export type ConfigSource = 'base' | 'head';

export interface GateConfig extends ConfigOrigin {
  config: Config;
}

/** Where a comparison's config came from (recorded in the result). */
export interface ConfigOrigin {
  source: ConfigSource;
  /** The config file's path in the repository. */
  path: string;
  /** Keys whose values differ between the base's and the head's file, as
   * `path: old → new` lines (empty when the file is the same). */
  changes: string[];
  /** Why the head's file could not be read or parsed, when it could not. */
  headProblem?: string;
}

/** The governing commit has no config file at all (a pull request that adds perfgate). */
export class MissingConfigError extends ConfigError {}

/** Lines shown at most; the rest is counted. */
const MAX_CHANGES = 40;

function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A list of mappings each with a string `name` (benchmarks, metrics), compared by name. */
function byName(v: unknown): Map<string, unknown> | undefined {
  if (!Array.isArray(v) || !v.every((x) => isObject(x) && typeof x.name === 'string')) return undefined;
  const names = v.map((x) => (x as { name: string }).name);
  if (new Set(names).size !== names.length) return undefined;
  return new Map(v.map((x) => [(x as { name: string }).name, x]));
}

/** Every leaf where `a` and `b` differ, as `path: a → b`. Plain data from
 * YAML: mappings by key, named lists by name, other lists as values. */
export function configChanges(a: unknown, b: unknown, path = ''): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => configChanges(a[k], b[k], path ? `${path}.${k}` : k));
  }
  const na = byName(a);
  const nb = byName(b);
  if (na && nb) {
    const out: string[] = [];
    for (const [name, x] of na)
      out.push(...(nb.has(name) ? configChanges(x, nb.get(name), `${path}[${name}]`) : [`${path}[${name}]: removed`]));
    for (const name of nb.keys()) if (!na.has(name)) out.push(`${path}[${name}]: added`);
    return out;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path || '(whole file)'}: ${show(a)} → ${show(b)}`];
}

/** Caps a change list for display. */
export function shownChanges(changes: readonly string[]): string[] {
  return changes.length <= MAX_CHANGES ? [...changes] : [...changes.slice(0, MAX_CHANGES), `... and ${changes.length - MAX_CHANGES} more`];
}

/** Reads `path` at `base` and `head` and returns the config that governs:
 * the base's unless `source` is 'head'. The governing file must exist and be
 * valid (a ConfigError otherwise); the other side only feeds the change list. */
export async function gateConfig(root: string, base: string, head: string, path: string, source: ConfigSource): Promise<GateConfig> {
  const label = (sha: string) => `${path} at ${sha.slice(0, 12)}`;
  const [baseText, headText] = await Promise.all([readFileAt(root, base, path), readFileAt(root, head, path)]);
  const governing = source === 'base' ? { sha: base, text: baseText } : { sha: head, text: headText };
  if (governing.text === undefined)
    throw new MissingConfigError(
      label(governing.sha),
      '',
      source === 'base'
        ? 'not found in the base commit: the gate is read from the base, so a pull request cannot set its own; merge the config first'
        : 'not found in the head commit',
    );
  const governingData = parseConfigYaml(label(governing.sha), governing.text);
  const config = configFromObject(label(governing.sha), governingData);
  let headProblem: string | undefined;
  let changes: string[] = [];
  if (source === 'base') {
    if (headText === undefined) headProblem = `the head has no ${path}`;
    else {
      try {
        const headData = parseConfigYaml(label(head), headText);
        configFromObject(label(head), headData);
        changes = configChanges(governingData, headData);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        headProblem = e.message;
      }
    }
  }
  return { config, source, path, changes, headProblem };
}
