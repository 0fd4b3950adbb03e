/** Statistics against textbook values, brute force and simulation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { robustSd, shiftInterval, signedRankCdf, signedRankK, signedRankP, walshAverages } from '../src/engine/decision/ranks';
import { normalCdf, normalQuantile } from '../src/engine/decision/stats';
import { summarize } from '../src/engine/summary';
import { renderScorecard } from '../src/scorecard/markdown';
import type { ScoreEntry, Scorecard } from '../src/scorecard/rebase';
import { speedRatio, standingAmong } from '../src/scorecard/versus';
import { seededRng } from '../src/engine/random';
import { normal } from './synthetic';

/** P(T+ <= t) by enumerating all 2^n sign patterns. */
function bruteCdf(t: number, n: number): number {
  let hits = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let s = 0;
    for (let r = 1; r <= n; r++) if (mask & (1 << (r - 1))) s += r;
    if (s <= t) hits++;
  }
  return hits / (1 << n);
}

describe('statistics', () => {
  it('normal distribution: textbook values, tails to relative accuracy', () => {
    assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-7);
    assert.ok(Math.abs(normalCdf(-3) - 0.001349898) / 0.001349898 < 1e-6);
    assert.ok(Math.abs(normalCdf(-6) - 9.8658765e-10) / 9.8658765e-10 < 1e-5);
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
    assert.ok(Math.abs(normalQuantile(1e-6) + 4.753424) < 1e-5);
  });
  it('signed-rank null distribution: exact recursion equals brute force; normal approximation close at n = 100', () => {
    for (const n of [1, 5, 10, 14])
      for (let t = -1; t <= (n * (n + 1)) / 2; t++) assert.ok(Math.abs(signedRankCdf(t, n) - bruteCdf(t, n)) < 1e-12, `n ${n} t ${t}`);
    // Hollander & Wolfe's table: n = 10, P(T+ <= 8) = 25/1024.
    assert.equal(signedRankCdf(8, 10), 25 / 1024);
    assert.equal(signedRankK(10, 0.05), 9);
    // n > 100 uses the normal approximation: k is the first t with P(T+ <= t) > alpha / 2, and it
    // grows with n as the exact k does (k(101) - k(100) is about the mean's step, 50.5).
    const k101 = signedRankK(101, 0.01);
    assert.ok(signedRankCdf(k101 - 1, 101) <= 0.005 && signedRankCdf(k101, 101) > 0.005);
    assert.ok(Math.abs(k101 - signedRankK(100, 0.01) - 40) < 15, `k(101) ${k101}, k(100) ${signedRankK(100, 0.01)}`);
  });
  it('Hodges-Lehmann: median of the Walsh averages; the interval inverts the signed-rank test', () => {
    assert.equal(shiftInterval([1, 2, 3, 4, 5], 0.5).estimate, 3);
    assert.deepEqual([...walshAverages([3, 1])], [1, 2, 3]);
    const rng = seededRng(3);
    const d = Array.from({ length: 15 }, () => 0.01 + 0.02 * normal(rng));
    const { low, high } = shiftInterval(d, 0.05);
    // theta inside the interval is not rejected at 5 %, just outside it is.
    const p = (theta: number) => signedRankP(d.map((x) => x - theta));
    assert.ok(p((low + high) / 2) > 0.05);
    assert.ok(p(low - 1e-9) <= 0.05 && p(high + 1e-9) <= 0.05, `${p(low - 1e-9)} ${p(high + 1e-9)}`);
    assert.ok(p(low + 1e-9) > 0.05 && p(high - 1e-9) > 0.05);
  });
  it('the interval covers the true shift at its level even with Cauchy tails', () => {
    const rng = seededRng(11);
    let misses = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const d = Array.from({ length: 20 }, () => 0.02 + 0.01 * Math.tan(Math.PI * (rng() - 0.5)));
      const { low, high } = shiftInterval(d, 0.05);
      if (!(low <= 0.02 && 0.02 <= high)) misses++;
    }
    // Exact level: at most 5 % (discreteness makes it a little less); binomial sd ~ 0.5 %.
    assert.ok(misses / trials <= 0.06, `${misses} of ${trials} intervals missed`);
  });
  it('robust SD: the SD for normal data, unmoved by a few wild values', () => {
    const rng = seededRng(5);
    const xs = Array.from({ length: 4000 }, () => 2 * normal(rng));
    assert.ok(Math.abs(robustSd(xs) - 2) < 0.1);
    const wild = [...xs.slice(0, 400), ...Array.from({ length: 20 }, () => 1000)];
    assert.ok(robustSd(wild) < 2.5);
  });
  it('summaries', () => {
    const s = summarize([1, 2, 3, 4]);
    assert.equal(s.mean, 2.5);
    assert.equal(s.median, 2.5);
    assert.ok(Math.abs(s.cvPct - (100 * 1.2909944) / 2.5) < 1e-4);
    assert.equal(s.min, 1);
    assert.equal(s.max, 4);
  });
});

describe('scorecard: ours against its peers, round by round', () => {
  /** `rounds` values of `speed`, each round's machine state (drift) shared by every allocator. */
  const rng = seededRng(21);
  const drift = Array.from({ length: 11 }, () => Math.exp(0.4 * normal(rng)));
  const entry = (allocator: string, speed: number, noise = 0.02): ScoreEntry => {
    const values = drift.map((m) => speed * m * Math.exp(noise * normal(rng)));
    return { allocator, values, medianOpsPerSec: summarize(values).median };
  };

  it('pairs the rounds: a 3 % lead under 40 % round-to-round drift is ahead, its interval around 1.03', () => {
    const r = speedRatio(entry('ours', 1.03e6), entry('tcmalloc', 1e6), true)!;
    assert.equal(r.standing, 'ahead');
    assert.equal(r.rounds, 11);
    assert.ok(r.low > 1 && r.low < 1.03 && r.high > 1.03 && r.high < 1.07, `${r.low} – ${r.high}`);
    assert.equal(speedRatio(entry('ours', 1e6), entry('tcmalloc', 1.03e6), true)!.standing, 'behind');
    assert.equal(speedRatio(entry('ours', 1e6), entry('tcmalloc', 1e6), true)!.standing, 'within noise');
  });

  it('a time (lower is better) is turned into speed; too few rounds or no values claim nothing', () => {
    const slow = entry('ours', 2.0);
    const fast = entry('mimalloc', 1.0);
    const r = speedRatio(fast, slow, false)!;
    assert.ok(r.ratio > 1.9 && r.ratio < 2.1 && r.standing === 'ahead', `${r.ratio}`);
    const two = speedRatio({ allocator: 'a', values: [2, 2.1] }, { allocator: 'b', values: [1, 1.1] }, true)!;
    assert.equal(two.standing, 'within noise');
    assert.equal(two.high, Infinity);
    assert.equal(speedRatio({ allocator: 'a', medianOpsPerSec: 2 }, fast, true), undefined);
  });

  it('renders the standing, the intervals and the hardened columns; an older record gets its median ratio', () => {
    const card: Scorecard = {
      schema: 'perfgate/scorecard@1',
      createdAt: '2026-11-22T20:00:00Z',
      ref: 'main',
      sha: 'a'.repeat(40),
      rounds: 11,
      machine: { cpuModel: 'test', cores: 2 } as Scorecard['machine'],
      allocators: [],
      benchmarks: [
        {
          name: 'xmalloc|x',
          higherIsBetter: true,
          entries: [
            entry('ours', 1.1e6),
            entry('mimalloc', 1e6),
            entry('tcmalloc', 1.05e6),
            entry('secure', 0.5e6),
            entry('mimalloc-secure', 0.7e6),
          ],
        },
        {
          name: 'old',
          entries: [
            { allocator: 'ours', medianOpsPerSec: 3 },
            { allocator: 'mimalloc', medianOpsPerSec: 2 },
          ],
        },
      ],
    };
    const md = renderScorecard(card, { ours: 'secure', peer: { name: 'mimalloc-secure', release: 'mimalloc' } });
    assert.match(
      md,
      /\| peak RSS vs mimalloc \| secure vs ours \| mimalloc-secure vs mimalloc \| secure vs mimalloc-secure \|\n\|---\|--:\|---\|---\|(--:\|){5}\n/,
    );
    const row = md.split('\n').find((l) => l.startsWith('| xmalloc\\|x | 1.0'))!;
    assert.ok(row, md);
    assert.match(row, /^\| xmalloc\\\|x \| 1\.0\d\d \(1\.\d\d–1\.\d\d\) \| tcmalloc \| ahead of all 2 \| 1\.1\d\d \(/);
    // 0.5 / 1.1, 0.7 / 1.0 and 0.5 / 0.7, each with its interval
    assert.match(row, /\| 0\.4[45]\d \(0\.\d\d–0\.\d\d\) \| 0\.[67]\d\d \(0\.\d\d–0\.\d\d\) \| 0\.7[0-3]\d \(0\.\d\d–0\.\d\d\) \|$/);
    assert.match(md, /\| old \| 1\.500 \| mimalloc \| – \| 1\.500 \| – \| – \| – \|/);
    // Without the peer's hardened build measured, only ours against ours.
    const alone = renderScorecard(card, { ours: 'secure', peer: { name: 'absent', release: 'mimalloc' } });
    assert.match(alone, /\| peak RSS vs mimalloc \| secure vs ours \|\n/);
  });

  it('is ahead only of every peer: a noisy peer behind the best by median keeps it within noise', () => {
    const ours = entry('ours', 1.05e6);
    const tcmalloc = entry('tcmalloc', 1e6);
    const glibc = entry('glibc', 0.99e6, 0.3);
    assert.equal(speedRatio(ours, tcmalloc, true)!.standing, 'ahead');
    assert.deepEqual(standingAmong(ours, [tcmalloc], true), { standing: 'ahead', peers: ['tcmalloc'] });
    assert.equal(speedRatio(ours, glibc, true)!.standing, 'within noise');
    assert.deepEqual(standingAmong(ours, [tcmalloc, glibc], true), { standing: 'within noise', peers: ['glibc'] });
    assert.deepEqual(standingAmong(ours, [tcmalloc, entry('jemalloc', 1.1e6)], true), { standing: 'behind', peers: ['jemalloc'] });
    assert.equal(standingAmong(ours, [tcmalloc, { allocator: 'old', medianOpsPerSec: 1 }], true), undefined);
  });

  it('behind one of k peers needs its interval at alpha / k (Bonferroni)', () => {
    // 7 rounds, ours slower in each: exact two-sided p = 2/128 = 0.016, below 0.05 / 2 but not 0.05 / 4.
    const slow = { allocator: 'ours', values: [1, 2, 3, 4, 5, 6, 7].map((i) => 1 - i / 100) };
    const peer = (allocator: string, speed: number): ScoreEntry => ({ allocator, values: Array.from({ length: 7 }, () => speed) });
    assert.deepEqual(standingAmong(slow, [peer('tcmalloc', 1), peer('glibc', 0.5)], true), { standing: 'behind', peers: ['tcmalloc'] });
    const four = [peer('tcmalloc', 1), peer('glibc', 0.5), peer('jemalloc', 0.5), peer('mimalloc', 0.5)];
    assert.deepEqual(standingAmong(slow, four, true), { standing: 'within noise', peers: ['tcmalloc'] });
  });
});
