/**
 * Word-list matching for corpus filters (e.g. "oversample sentences that hold a surely-profane word").
 * The `cuss` package rates 1,795 English words and phrases 0 (maybe), 1 (likely) or 2 (surely
 * profane). It ships as an ES module only, so the list is read from its source text.
 */
import * as fs from 'node:fs';
import { DiagnosticError } from '@rlhfjs/core';

let cussCache: ReadonlyMap<string, number> | undefined;

/** The `cuss` ratings, word or phrase (lower case) → 0 | 1 | 2. */
export function cussRatings(): ReadonlyMap<string, number> {
  if (cussCache) return cussCache;
  let file: string;
  try {
    file = require.resolve('cuss');
  } catch {
    throw new DiagnosticError({ code: 'corpus/package-missing', message: 'the word list package "cuss" is not installed', fix: 'npm install cuss@2.2.0 next to @rlhfjs/plugin-lm.' });
  }
  const map = new Map<string, number>();
  const entry = /^\s*(?:'([^'\\]*)'|([A-Za-z_$][\w$]*)):\s*([012]),?\s*$/;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = entry.exec(line);
    if (m) map.set((m[1] ?? m[2]).toLowerCase(), Number(m[3]));
  }
  if (map.size < 1000) {
    throw new DiagnosticError({ code: 'corpus/package-layout', message: `read only ${map.size} entries from ${file}; expected about 1,800 (cuss 2.x)`, file, fix: 'Install cuss@2.2.0, the version @rlhfjs/plugin-lm pins.' });
  }
  cussCache = map;
  return map;
}

const WORD = /\p{L}+(?:['’]\p{L}+)*/gu;

/**
 * Whole-word (and whole-phrase) matching against a set of lower-case words and phrases. Matching
 * whole words keeps short entries ("ho") from firing inside longer words ("house").
 */
export class WordListMatcher {
  private readonly entries: ReadonlySet<string>;
  private readonly maxWords: number;

  constructor(entries: Iterable<string>) {
    const set = new Set<string>();
    let maxWords = 1;
    for (const e of entries) {
      const norm = (e.toLowerCase().match(WORD) ?? []).join(' ');
      if (norm.length === 0) continue;
      set.add(norm);
      maxWords = Math.max(maxWords, norm.split(' ').length);
    }
    this.entries = set;
    this.maxWords = maxWords;
  }

  /** `cuss` words and phrases rated at least `minRating`. */
  static cuss(minRating: number): WordListMatcher {
    return new WordListMatcher([...cussRatings()].filter(([, r]) => r >= minRating).map(([w]) => w));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The first listed word or phrase in `text`, or undefined. */
  find(text: string): string | undefined {
    const words = (text.toLowerCase().match(WORD) ?? []).map((w) => w.replace(/’/g, "'"));
    for (let i = 0; i < words.length; i++) {
      let phrase = '';
      for (let n = 1; n <= this.maxWords && i + n <= words.length; n++) {
        phrase = n === 1 ? words[i] : `${phrase} ${words[i + n - 1]}`;
        if (this.entries.has(phrase)) return phrase;
      }
    }
    return undefined;
  }

  matches(text: string): boolean {
    return this.find(text) !== undefined;
  }
}
