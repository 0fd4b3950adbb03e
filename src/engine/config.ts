/** perfgate.yml: load, validate, apply defaults.
 *
 * Validation is strict: an unknown key, a wrong type or an impossible value
 * is a ConfigError naming the file, the key path and what is allowed, so a
 * typo never silently falls back to a default. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';

import type { PreflightSpec } from './measure/preflight';
import { SYSCALLS, type SyscallName } from './types';

export const METRIC_TIMES = ['wall', 'cpu'] as const;
export type MetricTime = (typeof METRIC_TIMES)[number];

export interface MetricSpec {
  name: string;
  /** Field of the benchmark's JSON output, or a regex whose first group is the number, or the
   * process's own time as perfgate measured it (for commands that print nothing): `wall` (seconds,
   * perfgate's monotonic clock around the process), `cpu` (user + system seconds, GNU time). */
  json?: string;
  regex?: string;
  time?: MetricTime;
  higherIsBetter: boolean;
  unit: string;
}

export interface BenchmarkSpec {
  name: string;
  /** Command as an argument array; `{build}` and `{root}` are expanded. */
  argv: string[];
  /** Library to put in LD_PRELOAD (placeholders expanded), if any. */
  preload?: string;
  metric: MetricSpec;
  extraMetrics: MetricSpec[];
  /** JSON field with the number of operations (for per-op budgets). */
  opsField?: string;
  /** Fixed number of operations, when the output does not say. */
  ops?: number;
  /** Pin to one CPU (single-threaded benchmarks); false for threaded ones. */
  pin: boolean;
  timeoutSeconds: number;
  /** Gate on instructions per op, counted once per side (perf or valgrind). */
  instructions?: { argv?: string[]; thresholdPct: number };
  /** This benchmark's band, when it differs from decision.min_effect_pct. */
  minEffectPct?: number;
}

export interface DecisionSpec {
  /** Split alpha over the comparison's metric decisions (Bonferroni), or not. */
  correction: 'bonferroni' | 'none';
  /** The band: a change inside ±this is "unchanged". */
  minEffectPct: number;
  /** Family-wise error: every interval of a comparison holds together with probability >= 1 - alpha. */
  alpha: number;
}

export interface BudgetSpec {
  syscalls: SyscallName[];
  syscallsPerOpMax?: number;
  syscallsGrowthPct: number;
  syscallsSlackPerOp: number;
  rssGrowthPct: number;
  rssSlackKb: number;
  faultsGrowthPct: number;
  faultsSlackPerOp: number;
}

export interface Config {
  /** File the config came from ('' for built-in defaults). */
  file: string;
  build: { command: string[]; output: string; timeoutSeconds: number };
  runs: {
    /** Pairs at the first look. */
    pairs: number;
    /** The ceiling: the last look. */
    maxPairs: number;
    /** Seconds all benchmarks' sampling may take together. */
    budgetSeconds: number;
    warmup: number;
    seed?: number;
    pinCpu: 'auto' | 'none' | number;
    /** A run that leaves processes running: they are killed, and the run is noted or failed. */
    leftoverProcesses: 'note' | 'fail';
  };
  decision: DecisionSpec;
  budgets: BudgetSpec;
  syscallPass: { enabled: boolean; require: boolean };
  preflight: PreflightSpec;
  /** Calibration file; default: perfgate-calibration.json in the cache directory. */
  calibrationFile?: string;
  /** An older calibration floors no band. */
  calibrationMaxAgeDays: number;
  env: { allow: string[]; set: Record<string, string> };
  benchmarks: BenchmarkSpec[];
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${file || 'config'}: ${path ? `${path}: ` : ''}${problem}`);
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;

/** NUL and the other C0 control characters, and DEL: never meaningful in a
 * command, path or environment value, and NUL cannot reach exec at all. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function describeControl(v: string): string {
  const i = v.search(CONTROL);
  return `contains the control character U+${v.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')} at position ${i} (allowed: printable text)`;
}

/** The longest timeout or wait perfgate accepts: one day. */
export const MAX_SECONDS = 86400;

/** Reads typed values out of a parsed YAML mapping, tracking the key path. */
class Reader {
  constructor(
    private readonly file: string,
    private readonly path: string,
    private readonly obj: Obj,
    /** Told what each read expects, to derive the JSON Schema from this very code (config-schema.ts). */
    private readonly rec?: SchemaRecorder,
  ) {}

  static root(file: string, value: unknown, rec?: SchemaRecorder): Reader {
    if (value === null || value === undefined) return new Reader(file, '', {}, rec);
    if (typeof value !== 'object' || Array.isArray(value))
      throw new ConfigError(file, '', 'the top level must be a mapping of keys to values');
    return new Reader(file, '', value as Obj, rec);
  }

  private note(key: string, schema: JsonSchema): void {
    this.rec?.key(this.path, key, schema);
  }

  private at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  fail(key: string, problem: string): never {
    throw new ConfigError(this.file, this.at(key), problem);
  }

  /** Rejects keys outside `allowed`; a key in `retired` gets its own explanation. */
  only(allowed: string[], retired: Readonly<Record<string, string>> = {}): void {
    this.rec?.only(this.path, allowed);
    for (const key of Object.keys(this.obj)) {
      if (retired[key] !== undefined) this.fail(key, `was removed in perfgate 0.2: ${retired[key]}`);
      if (!allowed.includes(key)) this.fail(key, `unknown key (allowed here: ${allowed.join(', ')})`);
    }
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  section(key: string): Reader {
    this.note(key, { type: 'object' });
    return this.sub(key);
  }

  private sub(key: string): Reader {
    const v = this.obj[key];
    if (v === undefined || v === null) return new Reader(this.file, this.at(key), {}, this.rec);
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(key, 'expected a mapping of keys to values');
    return new Reader(this.file, this.at(key), v as Obj, this.rec);
  }

  number(key: string, def: number, opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {}): number {
    this.note(key, {
      type: opts.integer ? 'integer' : 'number',
      ...(opts.min === undefined ? {} : opts.exclusiveMin ? { exclusiveMinimum: opts.min } : { minimum: opts.min }),
      ...(opts.max === undefined ? {} : { maximum: opts.max }),
      default: def,
    });
    const v = this.obj[key];
    if (v === undefined || v === null) return def;
    const { min, max, integer, exclusiveMin } = opts;
    const range = `${exclusiveMin ? `greater than ${min}` : min !== undefined ? `at least ${min}` : ''}${
      max !== undefined ? `${min !== undefined ? ' and ' : ''}at most ${max}` : ''
    }`;
    const want = `${integer ? 'a whole number' : 'a number'}${range ? ` ${range}` : ''}`;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, `expected ${want}, got ${JSON.stringify(v)}`);
    if (integer && !Number.isInteger(v)) this.fail(key, `expected ${want}, got ${v}`);
    if (min !== undefined && (exclusiveMin ? v <= min : v < min)) this.fail(key, `expected ${want}, got ${v}`);
    if (max !== undefined && v > max) this.fail(key, `expected ${want}, got ${v}`);
    return v;
  }

  optionalNumber(key: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
    this.note(key, {
      type: opts.integer ? 'integer' : 'number',
      ...(opts.min === undefined ? {} : { minimum: opts.min }),
      ...(opts.max === undefined ? {} : { maximum: opts.max }),
    });
    return this.has(key) ? this.number(key, 0, opts) : undefined;
  }

  string(key: string, def?: string): string {
    this.note(key, { type: 'string', minLength: 1, ...(def === undefined ? {} : { default: def }) });
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (def === undefined) this.fail(key, 'is required (a string)');
      return def;
    }
    if (typeof v !== 'string' || v === '') this.fail(key, `expected a non-empty string, got ${JSON.stringify(v)}`);
    if (v.includes('\u0000')) this.fail(key, describeControl(v));
    return v;
  }

  /** A string that becomes part of a command, a path or an environment: no control characters. */
  text(key: string, def?: string): string {
    const v = this.string(key, def);
    if (CONTROL.test(v)) this.fail(key, describeControl(v));
    return v;
  }

  optionalText(key: string): string | undefined {
    this.note(key, { type: 'string', minLength: 1 });
    return this.has(key) ? this.text(key) : undefined;
  }

  /** Seconds for a timeout or a wait: positive (or >= 0 with `zero`), at most a day. */
  seconds(key: string, def: number, zero = false): number {
    return this.number(key, def, { min: 0, exclusiveMin: !zero, max: MAX_SECONDS });
  }

  optionalString(key: string): string | undefined {
    this.note(key, { type: 'string', minLength: 1 });
    return this.has(key) ? this.string(key) : undefined;
  }

  boolean(key: string, def: boolean): boolean {
    this.note(key, { type: 'boolean', default: def });
    const v = this.obj[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') this.fail(key, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  enumOf<T extends string>(key: string, allowed: readonly T[], def: T): T {
    this.note(key, { enum: [...allowed], default: def });
    const v = this.obj[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string' || !allowed.includes(v as T))
      this.fail(key, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  /** A command: an argument array, or a string split on white space. */
  argv(key: string, def?: string[]): string[] {
    this.note(key, {
      anyOf: [
        { type: 'array', items: { type: ['string', 'number'] }, minItems: 1 },
        { type: 'string', minLength: 1 },
      ],
      ...(def === undefined ? {} : { default: def }),
    });
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (def === undefined) this.fail(key, 'is required (a list of arguments, e.g. ["{build}/bench", "100"])');
      return def;
    }
    if (typeof v === 'string' && v.trim() !== '') {
      const args = v.trim().split(/\s+/);
      const bad = args.find((a) => CONTROL.test(a));
      if (bad !== undefined) this.fail(key, describeControl(bad));
      return args;
    }
    if (!Array.isArray(v) || v.length === 0) this.fail(key, 'expected a non-empty list of arguments');
    return v.map((a, i) => {
      if (typeof a !== 'string' && typeof a !== 'number') this.fail(`${key}[${i}]`, `expected a string, got ${JSON.stringify(a)}`);
      const arg = String(a);
      if (CONTROL.test(arg)) this.fail(`${key}[${i}]`, describeControl(arg));
      return arg;
    });
  }

  stringList(key: string, def: string[]): string[] {
    this.note(key, { type: 'array', items: { type: 'string', minLength: 1 }, default: def });
    const v = this.obj[key];
    if (v === undefined || v === null) return def;
    if (!Array.isArray(v)) this.fail(key, 'expected a list of strings');
    return v.map((a, i) => {
      if (typeof a !== 'string' || a === '') this.fail(`${key}[${i}]`, `expected a non-empty string, got ${JSON.stringify(a)}`);
      if (CONTROL.test(a)) this.fail(`${key}[${i}]`, describeControl(a));
      return a;
    });
  }

  stringMap(key: string): Record<string, string> {
    this.note(key, { type: 'object', additionalProperties: { type: ['string', 'number'] } });
    const r = this.sub(key);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.obj)) {
      if (typeof v !== 'string' && typeof v !== 'number') r.fail(k, `expected a string value, got ${JSON.stringify(v)}`);
      if (CONTROL.test(String(v))) r.fail(k, describeControl(String(v)));
      out[k] = String(v);
    }
    return out;
  }

  list(key: string): Reader[] {
    this.note(key, { type: 'array', items: { type: 'object' } });
    const v = this.obj[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(key, 'expected a list');
    return v.map((item, i) => {
      const p = `${this.at(key)}[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        throw new ConfigError(this.file, p, 'expected a mapping of keys to values');
      return new Reader(this.file, p, item as Obj, this.rec);
    });
  }
}

const ENV_ALLOW_DEFAULT = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER'];

/** A JSON Schema fragment (draft 2020-12), as the Reader's reads describe them. */
export type JsonSchema = { [key: string]: unknown };

/** Receives what each read expects: the keys of each path (`benchmarks[].metric`) and their schemas. */
export interface SchemaRecorder {
  only(path: string, allowed: readonly string[]): void;
  key(path: string, key: string, schema: JsonSchema): void;
}

/** The most pairs a benchmark may take (its signed-rank interval sorts n^2 / 2 Walsh averages). */
export const MAX_PAIRS = 2000;

function readMetric(r: Reader, benchName: string, fallbackName: string): MetricSpec {
  r.only(['name', 'json', 'regex', 'time', 'higher_is_better', 'unit']);
  const json = r.optionalString('json');
  const regex = r.optionalString('regex');
  const time = r.has('time') ? r.enumOf('time', METRIC_TIMES, 'wall') : undefined;
  if ([json, regex, time].filter((x) => x !== undefined).length !== 1)
    r.fail('json', `give exactly one of json (a field name), regex, or time (${METRIC_TIMES.join(' or ')})`);
  if (time !== undefined) {
    const name = r.string('name', `${time}_seconds`);
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) r.fail('name', `use letters, digits, '_', '.' or '-' (benchmark ${benchName})`);
    return { name, time, higherIsBetter: r.boolean('higher_is_better', false), unit: r.string('unit', 's') };
  }
  if (regex !== undefined) {
    try {
      if (new RegExp(regex).exec('') === null && !/\(/.test(regex)) r.fail('regex', 'needs a capture group around the number');
    } catch (e) {
      r.fail('regex', `is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  const name = r.string('name', json ?? fallbackName);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) r.fail('name', `use letters, digits, '_', '.' or '-' (benchmark ${benchName})`);
  return {
    name,
    json,
    regex,
    higherIsBetter: r.boolean('higher_is_better', true),
    unit: r.string('unit', json === 'ops_per_sec' ? 'ops/s' : ''),
  };
}

/** Keys of earlier versions whose meaning the 0.2 decision rule replaced. */
const RETIRED_DECISION: Readonly<Record<string, string>> = {
  cv_multiplier: 'the band no longer scales with the noise; noise now costs pairs instead (see "The decision rule" in README.md)',
  max_cv_pct: 'a noisy benchmark is sampled until its interval decides, and is UNSTABLE only when the budget ends first',
  max_band_pct: 'the band is min_effect_pct (per benchmark if needed); set a wider min_effect_pct for a noisy benchmark',
};
const RETIRED_RUNS: Readonly<Record<string, string>> = {
  step: 'looks are planned at runs.pairs x1.5 each up to runs.max_pairs; runs.budget_s bounds the time',
};

/** What a Google Benchmark row can be judged by: its JSON field, and which way is better. */
export const GOOGLE_BENCHMARK_FIELDS = {
  real_time: { higherIsBetter: false },
  cpu_time: { higherIsBetter: false },
  items_per_second: { higherIsBetter: true },
  bytes_per_second: { higherIsBetter: true },
} as const;
type GoogleBenchmarkField = keyof typeof GOOGLE_BENCHMARK_FIELDS;

/** A benchmark entry: one benchmark, or with `google_benchmark` one per
 * named benchmark of a Google Benchmark binary. Each of those runs the
 * binary alone on its benchmark (`--benchmark_filter=^NAME$`, JSON output),
 * so its pairs interleave base and head of that one benchmark, and each gets
 * its own verdict. */
function readBenchmarks(r: Reader, defaults: { timeoutSeconds: number }): BenchmarkSpec[] {
  if (!r.has('google_benchmark')) return [readBenchmark(r, defaults)];
  if (r.has('metric') || r.has('extra_metrics') || r.has('ops_field') || r.has('ops'))
    r.fail('google_benchmark', 'sets the metric and operation count itself: drop metric, extra_metrics, ops_field and ops');
  const g = r.section('google_benchmark');
  g.only(['names', 'field', 'unit']);
  const field: GoogleBenchmarkField = g.enumOf('field', Object.keys(GOOGLE_BENCHMARK_FIELDS) as GoogleBenchmarkField[], 'real_time');
  const names = g.stringList('names', []);
  if (names.length === 0) g.fail('names', 'list the benchmarks to gate, as the binary names them (run it with --benchmark_list_tests)');
  const unit = g.string('unit', field.endsWith('_time') ? 'ns' : field === 'items_per_second' ? 'items/s' : 'B/s');
  const base = readBenchmark(r, defaults, ['google_benchmark']);
  return names.map((bm) => ({
    ...base,
    name: `${base.name}.${bm.replace(/[^A-Za-z0-9_.-]/g, '_')}`,
    argv: [...base.argv, `--benchmark_filter=^${bm.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`, '--benchmark_format=json'],
    metric: { name: field, json: 'benchmarks.0.' + field, higherIsBetter: GOOGLE_BENCHMARK_FIELDS[field].higherIsBetter, unit },
    extraMetrics: [],
    opsField: 'benchmarks.0.iterations',
    ops: undefined,
  }));
}

function readBenchmark(r: Reader, defaults: { timeoutSeconds: number }, alsoAllowed: string[] = []): BenchmarkSpec {
  r.only([
    'name',
    'argv',
    'preload',
    'metric',
    'extra_metrics',
    'ops_field',
    'ops',
    'pin',
    'timeout_s',
    'instructions',
    'min_effect_pct',
    ...alsoAllowed,
  ]);
  const name = r.string('name');
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) r.fail('name', "use letters, digits, '_', '.' or '-'");
  const metric = r.has('metric') ? readMetric(r.section('metric'), name, 'metric') : defaultMetric();
  const extraMetrics = r.list('extra_metrics').map((m, i) => readMetric(m, name, `extra${i}`));
  const names = new Set([metric.name]);
  for (const m of extraMetrics) {
    if (names.has(m.name)) r.fail('extra_metrics', `metric name '${m.name}' is used twice`);
    names.add(m.name);
  }
  return {
    name,
    argv: r.argv('argv'),
    preload: r.optionalText('preload'),
    metric,
    extraMetrics,
    opsField: r.optionalString('ops_field') ?? (r.has('ops') ? undefined : 'ops'),
    ops: r.optionalNumber('ops', { min: 1, integer: true }),
    pin: r.boolean('pin', true),
    timeoutSeconds: r.seconds('timeout_s', defaults.timeoutSeconds),
    instructions: r.has('instructions') ? readInstructions(r.section('instructions')) : undefined,
    minEffectPct: r.optionalNumber('min_effect_pct', { min: 0.01, max: 100 }),
  };
}

function readInstructions(r: Reader): { argv?: string[]; thresholdPct: number } {
  r.only(['argv', 'threshold_pct']);
  return {
    argv: r.has('argv') ? r.argv('argv') : undefined,
    thresholdPct: r.number('threshold_pct', 0.5, { min: 0, exclusiveMin: true, max: 100 }),
  };
}

function defaultMetric(): MetricSpec {
  return { name: 'ops_per_sec', json: 'ops_per_sec', higherIsBetter: true, unit: 'ops/s' };
}

/** Builds a Config from parsed YAML; `file` is used in error messages. */
export function configFromObject(file: string, value: unknown, rec?: SchemaRecorder): Config {
  const root = Reader.root(file, value, rec);
  root.only([
    'version',
    'build',
    'runs',
    'decision',
    'budgets',
    'syscall_pass',
    'preflight',
    'calibration_file',
    'calibration_max_age_days',
    'env',
    'benchmarks',
  ]);
  if (root.has('version')) root.number('version', 1, { min: 1, max: 1, integer: true });

  const b = root.section('build');
  const runsSection = root.section('runs');
  const pairs = runsSection.number('pairs', 10, { min: 2, max: MAX_PAIRS, integer: true });
  b.only(['command', 'output', 'timeout_s']);
  const runs = root.section('runs');
  runs.only(['pairs', 'max_pairs', 'budget_s', 'warmup', 'timeout_s', 'seed', 'pin_cpu', 'leftover_processes'], RETIRED_RUNS);
  const runTimeout = runs.seconds('timeout_s', 120);
  let pinCpu: 'auto' | 'none' | number = 'auto';
  if (typeof runs.raw('pin_cpu') === 'number') pinCpu = runs.number('pin_cpu', 0, { min: 0, integer: true });
  else pinCpu = runs.enumOf('pin_cpu', ['auto', 'none'] as const, 'auto');

  const d = root.section('decision');
  d.only(['min_effect_pct', 'alpha', 'correction'], RETIRED_DECISION);
  const bu = root.section('budgets');
  bu.only([
    'syscalls',
    'syscalls_per_op_max',
    'syscalls_growth_pct',
    'syscalls_slack_per_op',
    'rss_growth_pct',
    'rss_slack_kb',
    'faults_growth_pct',
    'faults_slack_per_op',
  ]);
  const syscalls = bu.stringList('syscalls', ['mmap', 'munmap', 'madvise']);
  syscalls.forEach((s, i) => {
    if (!SYSCALLS.includes(s as SyscallName)) bu.fail(`syscalls[${i}]`, `expected one of ${SYSCALLS.join(', ')}, got '${s}'`);
  });
  const sp = root.section('syscall_pass');
  sp.only(['enabled', 'require']);
  const pf = root.section('preflight');
  pf.only(['enabled', 'max_cv_pct', 'max_steal_pct', 'max_busy_per_core', 'retries', 'wait_s']);
  const env = root.section('env');
  env.only(['allow', 'set']);
  const set = env.stringMap('set');
  for (const k of Object.keys(set))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) env.section('set').fail(k, 'is not a valid environment variable name');

  const entries = root.list('benchmarks').map((r) => readBenchmarks(r, { timeoutSeconds: runTimeout }));
  const benchmarks = entries.flat();
  if (benchmarks.length === 0) root.fail('benchmarks', 'list at least one benchmark (name, argv, metric)');
  const seen = new Set<string>();
  entries.forEach((specs, i) => {
    for (const bm of specs) {
      if (seen.has(bm.name)) root.fail(`benchmarks[${i}].name`, `'${bm.name}' is used twice`);
      seen.add(bm.name);
    }
  });

  if (d.raw('correction') === 'holm')
    d.fail(
      'correction',
      'holm was replaced by bonferroni in perfgate 0.2: every interval of a comparison must hold at once, so alpha is split evenly',
    );
  const decision: DecisionSpec = {
    correction: d.enumOf('correction', ['bonferroni', 'none'] as const, 'bonferroni'),
    minEffectPct: d.number('min_effect_pct', 1, { min: 0.01, max: 100 }),
    alpha: d.number('alpha', 0.01, { min: 0, max: 0.5, exclusiveMin: true }),
  };

  return {
    file,
    build: {
      command: b.argv('command', ['make', '-C', 'native']),
      output: b.text('output', 'native/build'),
      timeoutSeconds: b.seconds('timeout_s', 900),
    },
    runs: {
      pairs,
      maxPairs: runs.number('max_pairs', Math.max(400, pairs), { min: pairs, max: MAX_PAIRS, integer: true }),
      budgetSeconds: runs.number('budget_s', 240, { min: 0, exclusiveMin: true, max: 86400 }),
      warmup: runs.number('warmup', 1, { min: 0, max: 100, integer: true }),
      seed: runs.optionalNumber('seed', { min: 0, max: 2 ** 32 - 1, integer: true }),
      pinCpu,
      leftoverProcesses: runs.enumOf('leftover_processes', ['note', 'fail'] as const, 'note'),
    },
    decision,
    budgets: {
      syscalls: syscalls as SyscallName[],
      syscallsPerOpMax: bu.optionalNumber('syscalls_per_op_max', { min: 0 }),
      syscallsGrowthPct: bu.number('syscalls_growth_pct', 25, { min: 0 }),
      syscallsSlackPerOp: bu.number('syscalls_slack_per_op', 1e-6, { min: 0 }),
      rssGrowthPct: bu.number('rss_growth_pct', 10, { min: 0 }),
      rssSlackKb: bu.number('rss_slack_kb', 1024, { min: 0 }),
      faultsGrowthPct: bu.number('faults_growth_pct', 25, { min: 0 }),
      faultsSlackPerOp: bu.number('faults_slack_per_op', 1e-4, { min: 0 }),
    },
    syscallPass: { enabled: sp.boolean('enabled', true), require: sp.boolean('require', false) },
    preflight: {
      enabled: pf.boolean('enabled', true),
      maxCvPct: pf.number('max_cv_pct', 10, { min: 0, exclusiveMin: true }),
      maxStealPct: pf.number('max_steal_pct', 10, { min: 0, max: 100 }),
      maxBusyPerCore: pf.number('max_busy_per_core', 1, { min: 0 }),
      retries: pf.number('retries', 2, { min: 0, max: 100, integer: true }),
      waitSeconds: pf.seconds('wait_s', 10, true),
    },
    calibrationFile: root.optionalText('calibration_file'),
    calibrationMaxAgeDays: root.number('calibration_max_age_days', 14, { min: 0 }),
    env: { allow: env.stringList('allow', []).concat(ENV_ALLOW_DEFAULT), set },
    benchmarks,
  };
}

/** Parses the YAML text of a config; `file` names it in errors. */
export function parseConfigText(file: string, text: string): Config {
  return configFromObject(file, parseConfigYaml(file, text));
}

/** The YAML of a config as plain data, before validation. */
export function parseConfigYaml(file: string, text: string): unknown {
  try {
    return parseYaml(text, { uniqueKeys: true, logLevel: 'error' });
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` (line ${e.linePos[0].line})` : '';
    throw new ConfigError(file, '', `is not valid YAML${where}: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, '', `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseConfigText(file, text);
}
