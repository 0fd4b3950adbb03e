/// <reference lib="dom" />
/** The dashboard in a real browser: Debian's Chromium, headless, driven by
 * puppeteer-core (no browser download), loading the page perfgate dashboard
 * writes from file://, with the bundled CLI run from a directory without
 * node_modules (so the page cannot lean on them). A screenshot is saved in
 * test-output/. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';

import puppeteer, { type Browser, type Page } from 'puppeteer-core';

import { seededRng } from '../src/engine/random';
import { webUrlOfRemote } from '../src/engine/repo/git';
import { writeRecord } from '../src/history/store';
import type { Scorecard, ScoreEntry } from '../src/scorecard/rebase';
import { newRepo, ROOT, tempDir } from './helpers';

const REPO_URL = 'https://github.com/acme/alloc';
const HOSTILE = '</script><img src=x onerror="window.pwned=1">';

function chromium(): string {
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  throw new Error('chromium is not installed (apt-get install chromium; scripts/setup.sh installs it)');
}

/** A history of `n` commits on one machine: ours and mimalloc on two benchmarks; ours slows 12 % at commit `stepAt`. */
function history(dir: string, machine: string, n: number, stepAt: number, seed: number): string[] {
  const rng = seededRng(seed);
  const jitter = (v: number) => v * (1 + (rng() - 0.5) * 0.01);
  const shas: string[] = [];
  for (let i = 0; i < n; i++) {
    const sha = `${machine === 'Xeon' ? 'a' : 'b'}${i.toString(16).padStart(39, '0')}`;
    shas.push(sha);
    const ours = (bench: number): ScoreEntry => ({
      allocator: 'ours',
      medianOpsPerSec: jitter(bench * (i >= stepAt ? 0.88 : 1)),
      cvPct: 1.5,
      maxRssKb: jitter(4096),
      ratioToMimalloc: i >= stepAt ? 0.88 : 1,
    });
    const mi = (bench: number): ScoreEntry => ({
      allocator: 'mimalloc',
      medianOpsPerSec: jitter(bench),
      cvPct: 1.2,
      maxRssKb: jitter(5000),
      ratioToMimalloc: 1,
    });
    const when = new Date(Date.UTC(2026, 10, 1, i)).toISOString();
    const card: Scorecard = {
      schema: 'perfgate/scorecard@1',
      createdAt: when,
      committedAt: when,
      ref: sha,
      sha,
      subject: i === 3 ? HOSTILE : `commit ${i}`,
      rounds: 10,
      machine: { cpuModel: machine, cores: 2, kernel: '6.1', loadAverage: [0, 0, 0], node: 'v20' },
      allocators: [],
      benchmarks: [
        { name: 'random_mixed', metric: 'ops_per_sec', higherIsBetter: true, entries: [ours(50e6), mi(50e6)] },
        {
          name: 'larson',
          metric: 'ops_per_sec',
          higherIsBetter: true,
          entries: [{ ...ours(30e6), medianOpsPerSec: jitter(30e6) }, mi(30e6)],
        },
      ],
    };
    writeRecord(dir, card);
  }
  return shas;
}

describe('the dashboard in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const dir = tempDir('perfgate-dashboard-');
  const shas = history(dir, 'Xeon', 12, 6, 1);
  history(dir, 'EPYC', 4, 99, 2);
  const out = join(tempDir('perfgate-site-'), 'site');

  before(async () => {
    // The bundled CLI alone, far from node_modules: what the action runs.
    const lone = tempDir('perfgate-lone-');
    copyFileSync(join(ROOT, 'dist', 'cli.js'), join(lone, 'cli.js'));
    const printed = execFileSync(
      process.execPath,
      [join(lone, 'cli.js'), 'dashboard', '--history', dir, '--out', out, '--repo-url', REPO_URL],
      {
        cwd: newRepo(),
        encoding: 'utf8',
      },
    );
    assert.match(printed, /16 record\(s\), 1 step\(s\): .*index\.html/);
    browser = await puppeteer.launch({ executablePath: chromium(), headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${String(e)}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) errors.push(`network request: ${r.url()}`);
    });
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(pathToFileURL(join(out, 'index.html')).href, { waitUntil: 'load' });
  });

  after(async () => {
    if (page) {
      mkdirSync(join(ROOT, 'test-output'), { recursive: true });
      const shot = join(ROOT, 'test-output', 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`# dashboard screenshot: ${shot}`);
    }
    await browser?.close();
  });

  it('loads from file:// with no console error and no request off the file', () => {
    assert.deepEqual(errors, []);
  });

  it('draws one chart per benchmark and metric, with every point', async () => {
    const figures = await page.$$eval('figure.chart', (fs) =>
      fs.map((f) => ({
        bench: f.dataset.benchmark,
        metric: f.dataset.metric,
        points: Number(f.dataset.points),
        canvases: f.querySelectorAll('canvas').length,
      })),
    );
    assert.deepEqual(
      figures.map((f) => `${f.bench}/${f.metric}`),
      ['random_mixed/ops_per_sec', 'random_mixed/max_rss_kb', 'larson/ops_per_sec', 'larson/max_rss_kb'],
    );
    for (const f of figures) {
      assert.equal(f.points, 24, `${f.bench}/${f.metric}: 12 commits x 2 allocators`);
      assert.equal(f.canvases, 1);
    }
  });

  it('marks the step at its commit, linked, and draws its line there and nowhere else', async () => {
    const steps = await page.$$eval('figure.chart .step', (ss) =>
      ss.map((s) => ({
        bench: s.closest('figure')!.dataset.benchmark,
        commit: s.getAttribute('data-commit'),
        href: s.querySelector('a')?.href,
        text: s.textContent,
      })),
    );
    assert.equal(steps.length, 1, JSON.stringify(steps));
    assert.equal(steps[0]!.bench, 'random_mixed');
    assert.equal(steps[0]!.commit, shas[6]);
    assert.equal(steps[0]!.href, `${REPO_URL}/commit/${shas[6]}`);
    assert.match(steps[0]!.text, /step -1[0-3]\.\d\d % \(ours/);
    // Red pixels in the canvas column of commit 6, none in commit 3's.
    const redAt = (i: number) =>
      page.$eval(
        'figure.chart[data-metric="ops_per_sec"]',
        (f, i) => {
          const canvas = f.querySelector('canvas')!;
          const over = f.querySelector('.u-over')!.getBoundingClientRect();
          const c = canvas.getBoundingClientRect();
          const scale = canvas.width / c.width;
          const x = Math.round((over.left - c.left + (over.width * i) / 11) * scale);
          const top = Math.round((over.top - c.top) * scale);
          // Read a copy, made for reading (the page's own canvas is not, and Chromium warns on repeated reads).
          const copy = f.ownerDocument.createElement('canvas');
          copy.width = canvas.width;
          copy.height = canvas.height;
          const ctx = copy.getContext('2d', { willReadFrequently: true })!;
          ctx.drawImage(canvas, 0, 0);
          const px = ctx.getImageData(x - 1, top, 3, Math.round(over.height * scale)).data;
          let red = 0;
          for (let k = 0; k < px.length; k += 4) if (px[k]! > 180 && px[k + 1]! < 60 && px[k + 2]! < 60) red++;
          return red;
        },
        i,
      );
    assert.ok((await redAt(6)) > 20, `no step line at commit 6 (${await redAt(6)} red pixels)`);
    assert.equal(await redAt(3), 0, 'a step line where there is no step');
  });

  it('hover shows the SHA, date, value and spread of the commit under the cursor', async () => {
    const over = await page.$('figure.chart[data-metric="ops_per_sec"] .u-over');
    const box = (await over!.boundingBox())!;
    await page.mouse.move(box.x + (box.width * 6) / 11, box.y + box.height / 2);
    const tip = await page.$eval('#tooltip', (t) => ({ hidden: (t as unknown as { hidden: boolean }).hidden, text: t.textContent }));
    assert.equal(tip.hidden, false);
    assert.match(tip.text, new RegExp(shas[6]!));
    assert.match(tip.text, /2026-11-01 06:00:00/);
    assert.match(tip.text, /ours: 4\d\.\d\d M/);
    assert.match(tip.text, /CV 1\.5 %/);
  });

  it('shows a hostile commit subject as text', async () => {
    const over = await page.$('figure.chart[data-metric="ops_per_sec"] .u-over');
    const box = (await over!.boundingBox())!;
    await page.mouse.move(box.x + (box.width * 3) / 11, box.y + box.height / 2);
    assert.equal(await page.$eval('#tooltip .subject', (s) => s.textContent), HOSTILE);
    assert.equal(await page.evaluate(() => (globalThis as { pwned?: number }).pwned), undefined);
    assert.equal(await page.$$eval('img', (is) => is.length), 0);
  });

  it('switches machine: the other machine has its own charts and no step from the first', async () => {
    const options = await page.$$eval('#machine option', (os) => os.map((o) => o.textContent));
    assert.equal(options.length, 2);
    assert.match(options[0]!, /^Xeon, 2 cores, .*\(12\)$/);
    await page.select('#machine', '1');
    const figures = await page.$$eval('figure.chart', (fs) => fs.map((f) => Number(f.dataset.points)));
    assert.deepEqual(figures, [8, 8, 8, 8]);
    assert.equal(await page.$$eval('.step', (s) => s.length), 0);
    assert.match(await page.$eval('.machine', (p) => p.textContent), /4 record\(s\) on EPYC/);
    await page.select('#machine', '0');
    assert.deepEqual(errors, []);
  });

  it('the site carries its data for scripts, and commit links come from the origin remote', () => {
    const data = JSON.parse(readFileSync(join(out, 'dashboard.json'), 'utf8')) as { records: number; machines: { charts: unknown[] }[] };
    assert.equal(data.records, 16);
    assert.equal(webUrlOfRemote('git@github.com:acme/alloc.git'), REPO_URL);
    assert.equal(webUrlOfRemote('https://x-access-token:SECRET@github.com/acme/alloc.git'), REPO_URL);
    assert.equal(webUrlOfRemote('ssh://git@github.com:22/acme/alloc.git'), REPO_URL);
    assert.equal(webUrlOfRemote('/srv/git/alloc'), undefined);
  });
});
