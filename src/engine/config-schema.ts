/** The JSON Schema of perfgate.yml, for editors (completion, checking as
 * you type), derived from the validator itself: config.ts reads example
 * configs that take every branch while a recorder notes what each read
 * expects (keys, types, bounds, choices, defaults). So the schema cannot
 * drift from the code; `docs/perfgate.schema.json` is this function's output
 * (a test keeps them equal). What a schema cannot say (exactly one of
 * json/regex/time; names used once) the validator still checks. */
import { configFromObject, type JsonSchema, type SchemaRecorder } from './config';

export const CONFIG_SCHEMA_URL = 'https://raw.githubusercontent.com/perfgate/perfgate/v0/docs/perfgate.schema.json';

/** Configs that between them take every branch of the validator. */
const EXAMPLES: readonly unknown[] = [
  {
    version: 1,
    benchmarks: [
      {
        name: 'a',
        argv: ['x'],
        metric: { json: 'ops_per_sec' },
        extra_metrics: [{ name: 'r', regex: 'r=(\\d+)' }, { time: 'cpu' }],
        instructions: { argv: ['x'] },
        ops: 10,
      },
      { name: 'b', argv: ['x'], metric: { time: 'wall' } },
      { name: 'c', argv: ['x'], google_benchmark: { names: ['BM_x'] } },
    ],
  },
];

interface Node {
  allowed: string[];
  keys: Map<string, JsonSchema>;
}

function merge(a: JsonSchema, b: JsonSchema): JsonSchema {
  if (JSON.stringify(a) === JSON.stringify(b)) return a;
  const withoutDefault = (x: JsonSchema): JsonSchema => Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'default'));
  const [ra, rb] = [withoutDefault(a), withoutDefault(b)];
  if (JSON.stringify(ra) === JSON.stringify(rb)) return ra; // read with different defaults in different places
  return { anyOf: [a, b] };
}

export function configSchema(): JsonSchema {
  const nodes = new Map<string, Node>();
  const node = (path: string): Node => {
    const p = path.replace(/\[\d+\]/g, '[]');
    if (!nodes.has(p)) nodes.set(p, { allowed: [], keys: new Map() });
    return nodes.get(p)!;
  };
  const rec: SchemaRecorder = {
    only: (path, allowed) => {
      const n = node(path);
      for (const k of allowed) if (!n.allowed.includes(k)) n.allowed.push(k);
    },
    key: (path, key, schema) => {
      const n = node(path);
      if (schema.default === '') delete schema.default; // absent means empty; given, it must not be
      const had = n.keys.get(key);
      n.keys.set(key, had ? merge(had, schema) : schema);
    },
  };
  for (const example of EXAMPLES) configFromObject('perfgate.yml', example, rec);
  const objectAt = (path: string): JsonSchema => {
    const n = nodes.get(path) ?? { allowed: [], keys: new Map<string, JsonSchema>() };
    const properties: Record<string, JsonSchema> = {};
    for (const key of n.allowed) {
      const s = n.keys.get(key) ?? {};
      const child = path ? `${path}.${key}` : key;
      if (s.type === 'object' && nodes.has(child) && !('additionalProperties' in s)) properties[key] = objectAt(child);
      else if (s.type === 'array' && (s.items as JsonSchema | undefined)?.type === 'object')
        properties[key] = { ...s, items: objectAt(`${child}[]`) };
      else properties[key] = s;
    }
    return { type: 'object', additionalProperties: false, properties };
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: CONFIG_SCHEMA_URL,
    title: 'perfgate.yml',
    description: 'What perfgate builds and measures, and how it decides. Reference: README.md, "Configuration".',
    ...objectAt(''),
    required: ['benchmarks'],
  };
}
