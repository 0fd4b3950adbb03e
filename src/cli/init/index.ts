/** `perfgate init`: a commented starter perfgate.yml from what the
 * repository holds (detect.ts), and the workflows of docs/workflows/. It
 * never overwrites a file: an existing one is kept and said so. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { parseConfigText } from '../../engine/config';
import { CONFIG_SCHEMA_URL } from '../../engine/config-schema';
import { repoRoot } from '../../engine/repo/git';
import { EXIT, type Io } from '../args';
import { assets } from './assets';
import { detect, type Detected } from './detect';

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');
const yamlList = (xs: readonly string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;

/** The starter config for what was found; its comments say where each benchmark came from. */
export function starterConfig(found: Detected): string {
  const targets = [...found.makeTargets, ...found.googleBenchmarks.map((g) => g.binary)];
  const lines = [
    `# yaml-language-server: $schema=${CONFIG_SCHEMA_URL}`,
    '# perfgate.yml: what perfgate builds and measures (reference: README.md, "Configuration").',
    '# Written by perfgate init: check every line, then try it with: perfgate compare',
    'build:',
    `  command: ${yamlList(['make', ...targets])}   # run in a copy of each side's tree`,
    '  output: .                # where the built programs are: {build} below',
    'runs:',
    '  pairs: 10                # pairs at the first look; sampling goes on up to max_pairs within budget_s',
    '  max_pairs: 400',
    '  budget_s: 180',
    'decision:',
    '  min_effect_pct: 1        # a change inside ±1 % counts as unchanged',
    'benchmarks:',
  ];
  for (const t of found.makeTargets)
    lines.push(
      `  # Makefile target '${t}'. Judged by its wall time; if it prints a JSON object with a`,
      '  # throughput, use metric: { json: FIELD } (and ops_field) instead, which is steadier.',
      `  - name: ${safeName(t)}`,
      `    argv: ${yamlList([`{build}/${t}`])}`,
      '    metric: { time: wall }',
    );
  for (const g of found.googleBenchmarks)
    lines.push(
      `  # Google Benchmark in ${g.file}, built as '${g.binary}' (check the name). One verdict per`,
      '  # benchmark; parameterised ones are named with their arguments: list them with',
      `  # ${g.binary} --benchmark_list_tests`,
      `  - name: ${safeName(g.binary)}`,
      `    argv: ${yamlList([`{build}/${g.binary}`])}`,
      `    google_benchmark: { names: ${yamlList(g.names)}, field: real_time }`,
    );
  if (!found.makeTargets.length && !found.googleBenchmarks.length)
    lines.push(
      '  # No benchmark found (no Makefile target named *bench*, no Google Benchmark source).',
      '  # Replace this example with yours: a command that prints a JSON object with a',
      '  # number to compare, or any command, judged by its own time.',
      '  - name: example',
      '    argv: ["{build}/bench"]',
      '    metric: { time: wall }',
    );
  return `${lines.join('\n')}\n`;
}

export async function cmdInit(args: string[], io: Io): Promise<number> {
  parseArgs({ args, options: {}, strict: true, allowPositionals: false });
  const root = await repoRoot(io.cwd);
  const found = detect(root);
  const a = assets();
  const files: { path: string; text: string; what: string }[] = [
    {
      path: 'perfgate.yml',
      text: starterConfig(found),
      what: `${found.makeTargets.length + found.googleBenchmarks.length} benchmark entr${found.makeTargets.length + found.googleBenchmarks.length === 1 ? 'y' : 'ies'}`,
    },
    { path: join('.github', 'workflows', 'perf.yml'), text: a.perfYml, what: 'pull requests and rebase on a self-hosted runner' },
    { path: join('.github', 'workflows', 'perf-report.yml'), text: a.perfReportYml, what: "posts results of forks' pull requests" },
  ];
  // The starter must load: a config perfgate itself cannot read would be a poor start.
  parseConfigText(join(root, 'perfgate.yml'), files[0]!.text);
  for (const f of files) {
    const path = join(root, f.path);
    if (existsSync(path)) {
      io.out(`kept ${f.path} (it exists; perfgate init never overwrites)\n`);
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.text, { flag: 'wx' });
    io.out(`wrote ${f.path}: ${f.what}\n`);
  }
  if (!found.makeTargets.length && !found.googleBenchmarks.length) io.out('no benchmark found: edit the example in perfgate.yml\n');
  io.out('next: check perfgate.yml, run perfgate doctor, then perfgate compare\n');
  return EXIT.pass;
}
