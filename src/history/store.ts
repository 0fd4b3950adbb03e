/** The history: one scorecard per measured commit, one file each under
 * `scorecards/` (on the data branch, or in a local directory), named by date
 * and commit so names sort by time; never rewritten. Schema:
 * docs/history-schema.md. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SCORECARD_SCHEMA, type Scorecard } from '../scorecard/rebase';

/** The directory of records, in a history directory or on the data branch. */
export const HISTORY_DIR = 'scorecards';
/** perfgate 0.2 appended every scorecard to this one file; still read. */
export const LEGACY_HISTORY_FILE = 'scorecards.jsonl';

/** `20261122T073000Z-9bda9eaf4690.json`: names sort by date. */
export function recordName(createdAt: string, sha: string): string {
  return `${createdAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${sha.slice(0, 12)}.json`;
}

export function writeRecord(dir: string, card: Scorecard): string {
  const path = join(dir, HISTORY_DIR, recordName(card.createdAt, card.sha));
  mkdirSync(join(dir, HISTORY_DIR), { recursive: true });
  writeFileSync(path, `${JSON.stringify(card, null, 1)}\n`, { flag: 'wx' }); // never over an existing record
  return path;
}

function parse(text: string): Scorecard | undefined {
  try {
    const card = JSON.parse(text) as Scorecard;
    return card.schema === SCORECARD_SCHEMA && Array.isArray(card.benchmarks) ? card : undefined;
  } catch {
    return undefined;
  }
}

/** Every readable record of a history directory (and its 0.2 file), oldest first; unreadable ones are counted. */
export function readRecords(dir: string): { cards: Scorecard[]; unreadable: number } {
  const legacy = join(dir, LEGACY_HISTORY_FILE);
  const records = join(dir, HISTORY_DIR);
  const names = existsSync(records)
    ? readdirSync(records)
        .filter((n) => n.endsWith('.json'))
        .sort()
    : [];
  return parseRecords(
    names.map((f) => readFileSync(join(records, f), 'utf8')),
    existsSync(legacy) ? readFileSync(legacy, 'utf8') : undefined,
  );
}

/** Records from their texts (files of `scorecards/`, and the 0.2 file's lines), oldest first by commit date. */
export function parseRecords(records: readonly string[], legacy?: string): { cards: Scorecard[]; unreadable: number } {
  const texts = [...(legacy ?? '').split('\n').filter((l) => l.trim() !== ''), ...records];
  const cards = texts.map(parse);
  const ok = cards.filter((c): c is Scorecard => c !== undefined);
  // Commits of one second (scripted, or rebased) are ordered by ancestry: a record after the record of its parent.
  const bySha = new Map(ok.map((c) => [c.sha, c]));
  const depth = new Map<string, number>();
  const depthOf = (c: Scorecard): number => {
    let d = depth.get(c.sha);
    if (d === undefined) {
      depth.set(c.sha, 0); // a cycle (bad data) ends here
      const parent = c.parent ? bySha.get(c.parent) : undefined;
      d = parent ? depthOf(parent) + 1 : 0;
      depth.set(c.sha, d);
    }
    return d;
  };
  const time = (c: Scorecard) => Date.parse(c.committedAt ?? c.createdAt); // by time, not text: 0.2 wrote offsets (+02:00)
  return { cards: ok.sort((a, b) => time(a) - time(b) || depthOf(a) - depthOf(b)), unreadable: cards.length - ok.length };
}
