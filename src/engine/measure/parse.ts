/** Reading numbers out of what a benchmark printed. */
import type { MetricSpec } from '../config';

export interface ParsedOutput {
  json?: Record<string, unknown>;
  values: Record<string, number>;
}

export class OutputError extends Error {}

/** The benchmark's JSON object: all of stdout, or its last non-empty line. */
function findJson(stdout: string): Record<string, unknown> | undefined {
  const candidates = [stdout.trim(), stdout.trim().split('\n').pop() ?? ''];
  for (const text of candidates) {
    if (!text.startsWith('{')) continue;
    try {
      const v: unknown = JSON.parse(text);
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* not JSON: try the next candidate */
    }
  }
  return undefined;
}

/** Dotted path lookup: "a.b" reads obj.a.b. */
export function jsonField(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function numberOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The process's own times, as perfgate measured them. */
export interface ProcessTimes {
  wallSeconds: number;
  /** User + system, when GNU time measured them. */
  cpuSeconds?: number;
}

/** Extracts every metric; throws OutputError naming what was missing. */
export function parseOutput(stdout: string, metrics: readonly MetricSpec[], times?: ProcessTimes): ParsedOutput {
  const json = findJson(stdout);
  const values: Record<string, number> = {};
  for (const m of metrics) {
    if (m.time !== undefined) {
      const v = m.time === 'wall' ? times?.wallSeconds : times?.cpuSeconds;
      if (v === undefined)
        throw new OutputError(`metric '${m.name}' needs the ${m.time} time of the run, which GNU time did not give (apt-get install time)`);
      values[m.name] = v;
    } else if (m.json !== undefined) {
      if (json === undefined) throw new OutputError(`expected a JSON object on stdout for metric '${m.name}'`);
      const v = numberOf(jsonField(json, m.json));
      if (v === undefined) throw new OutputError(`JSON field '${m.json}' is missing or not a finite number`);
      values[m.name] = v;
    } else if (m.regex !== undefined) {
      const match = new RegExp(m.regex, 'm').exec(stdout);
      const v = numberOf(match?.[1]);
      if (v === undefined) throw new OutputError(`regex /${m.regex}/ found no number in the output`);
      values[m.name] = v;
    }
  }
  return { json, values };
}

/** The operation count of a run: the config's fixed `ops`, else the JSON
 * field `opsField` of its output; undefined when neither is available. */
export function opsOf(stdout: string, spec: { ops?: number; opsField?: string }): number | undefined {
  if (spec.ops !== undefined) return spec.ops;
  if (!spec.opsField) return undefined;
  const json = findJson(stdout);
  const v = json ? numberOf(jsonField(json, spec.opsField)) : undefined;
  return v !== undefined && v > 0 ? v : undefined;
}
