/** dist/ is generated: it must match a fresh build of src/, or the action and
 * the published CLI would run old code. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

import { VERSION } from '../src/version';
import { ROOT, tempDir } from './helpers';

it('dist/ is up to date with src/ (run `npm run build` and commit dist/ if not)', () => {
  const fresh = tempDir('perfgate-dist-');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), fresh], { cwd: ROOT });
  const files = readdirSync(fresh).sort();
  assert.deepEqual(readdirSync(join(ROOT, 'dist')).sort(), files);
  for (const f of files) {
    const same = readFileSync(join(fresh, f)).equals(readFileSync(join(ROOT, 'dist', f)));
    assert.ok(same, `dist/${f} is stale: run \`npm run build\` and commit dist/`);
  }
});

it('the bundled CLI runs and reports the package version', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version, 'src/version.ts and package.json disagree');
  assert.equal(execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), '--version'], { encoding: 'utf8' }).trim(), pkg.version);
});
