/** The workflows `perfgate init` writes: the ones documented in
 * docs/workflows/, read from there (scripts/bundle.mjs inlines them). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOCS = join(import.meta.dirname, '..', '..', '..', 'docs', 'workflows');

export interface Assets {
  perfYml: string;
  perfReportYml: string;
}

export function assets(): Assets {
  return { perfYml: readFileSync(join(DOCS, 'perf.yml'), 'utf8'), perfReportYml: readFileSync(join(DOCS, 'perf-report.yml'), 'utf8') };
}
