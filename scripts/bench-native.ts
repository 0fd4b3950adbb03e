/** `npm run bench:native`: the bundled suite with its default (long)
 * parameters under pgalloc, glibc, mimalloc, jemalloc and tcmalloc, the same
 * binaries with LD_PRELOAD, interleaved round by round, through the engine's
 * rebase. Prints the scorecard as Markdown. A benchmark, not a test.
 *
 *   npm run bench:native -- [--rounds N] [--only random_mixed,larson]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { configFromObject } from '../src/engine/config';
import { DEFAULT_ALLOCATORS } from '../src/scorecard/allocators';
import { renderScorecard } from '../src/scorecard/markdown';
import { rebase } from '../src/scorecard/rebase';

const SUITE = [
  { name: 'random_mixed', argv: ['{build}/random_mixed'] },
  { name: 'mid_mixed', argv: ['{build}/random_mixed', '10000000', '400', '1', '2048', '32768'] },
  { name: 'larson', argv: ['{build}/larson'], pin: false },
  { name: 'xthread', argv: ['{build}/xthread'], pin: false },
  { name: 'burst', argv: ['{build}/burst'] },
  { name: 'large', argv: ['{build}/large'] },
];

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, only: { type: 'string' } } });
const only = values.only?.split(',');
const config = configFromObject('bench:native', {
  runs: { pairs: Number(values.rounds), warmup: 1, timeout_s: 600 },
  benchmarks: SUITE.filter((b) => !only || only.includes(b.name)).map((b) => ({ ...b, preload: '{build}/libpgalloc.so' })),
});
const card = await rebase({
  cwd: join(import.meta.dirname, '..'),
  config,
  allocators: DEFAULT_ALLOCATORS,
  onProgress: (m) => process.stderr.write(`${m}\n`),
});
console.log(renderScorecard(card).replace('## perfgate rebase', '## bench:native'));
console.log(`\nCommand: npm run bench:native -- --rounds ${values.rounds}${values.only ? ` --only ${values.only}` : ''}`);
