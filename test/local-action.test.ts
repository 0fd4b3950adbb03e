/** @github/local-action runs src/main.ts against action.yml: proves the
 * declared inputs and outputs and the entry point agree. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

import { ROOT, tempDir } from './helpers';

it('runs through @github/local-action with the inputs action.yml declares', () => {
  const dir = tempDir('perfgate-local-action-');
  writeFileSync(
    join(dir, 'event.json'),
    JSON.stringify({ ref: 'refs/heads/feature', repository: { full_name: 'o/r', default_branch: 'main' } }),
  );
  writeFileSync(
    join(dir, '.env'),
    [
      'INPUT_MODE=auto',
      'INPUT_REBASE-ON-PUSH=true',
      'GITHUB_EVENT_NAME=push',
      `GITHUB_EVENT_PATH=${join(dir, 'event.json')}`,
      'GITHUB_REPOSITORY=o/r',
      'GITHUB_REF=refs/heads/feature',
      'GITHUB_SHA=0000000000000000000000000000000000000000',
      '',
    ].join('\n'),
  );
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'local-action'), ['run', ROOT, 'src/main.ts', join(dir, '.env')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, out);
  // A push to a branch other than the default one is not rebased, even with rebase-on-push.
  assert.match(out, /nothing to do for this event/);
  assert.match(out, /'verdict'\s*│ 'skipped'/);
  for (const output of ['regressions', 'report-markdown', 'report-json']) assert.match(out, new RegExp(`'${output}'`));
});
