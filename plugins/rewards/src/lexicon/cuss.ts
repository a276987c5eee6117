import * as fs from 'node:fs';

/**
 * The `cuss` word list (English words and phrases rated 0 = maybe, 1 = likely, 2 = sure profane).
 * `cuss` ships as an ES module only; it is read as text here so that CommonJS code and jest can use
 * it without a dynamic import. The format is checked, so a changed upstream file fails loudly.
 */
let cached: ReadonlyMap<string, number> | undefined;

export function cussWords(): ReadonlyMap<string, number> {
  if (cached) return cached;
  const file = require.resolve('cuss');
  const text = fs.readFileSync(file, 'utf8');
  const map = new Map<string, number>();
  let inObject = false;
  for (const line of text.split('\n')) {
    if (/^export const cuss = \{/.test(line)) {
      inObject = true;
      continue;
    }
    if (!inObject) continue;
    if (/^\}/.test(line)) break;
    const m = /^\s*(?:'((?:[^'\\]|\\.)+)'|"((?:[^"\\]|\\.)+)"|([A-Za-z0-9_$]+)):\s*([0-9]+),?\s*$/.exec(line);
    if (!m) throw new Error(`cannot read the cuss word list at ${file}: unexpected line ${JSON.stringify(line)}; the package format may have changed (expected cuss 2.x)`);
    const word = (m[1] ?? m[2] ?? m[3]).replace(/\\(.)/g, '$1');
    map.set(word.toLowerCase(), Number(m[4]));
  }
  if (map.size < 1000) throw new Error(`cannot read the cuss word list at ${file}: found ${map.size} words, expected about 1,800 (cuss 2.x)`);
  cached = map;
  return map;
}

export interface LexiconMatch {
  /** The matched word or phrase, as listed. */
  word: string;
  /** Index of the first character in the text. */
  index: number;
}

/** Words as a matcher sees them: runs of letters, digits and inner apostrophes, lowercased. */
export function words(text: string): Array<{ word: string; index: number; end: number }> {
  const out: Array<{ word: string; index: number; end: number }> = [];
  const re = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out.push({ word: m[0].toLowerCase().replace(/’/g, "'"), index: m.index, end: m.index + m[0].length });
  return out;
}

export interface CussMatcherOptions {
  /** Flag words rated at least this (0, 1 or 2). Default 2 ("sure"). */
  minRating?: number;
  /** Listed words never flagged. */
  allow?: readonly string[];
}

/**
 * Whole-word matching against `cuss`. Very short listed strings ("ho", "fu") only match as whole
 * words, never inside other words; multi-word phrases match consecutive words.
 */
export class CussMatcher {
  readonly minRating: number;
  private readonly words: Map<string, number>;
  private readonly maxPhrase: number;

  constructor(options: CussMatcherOptions = {}) {
    this.minRating = options.minRating ?? 2;
    const allow = new Set((options.allow ?? []).map((w) => w.toLowerCase()));
    this.words = new Map();
    let maxPhrase = 1;
    for (const [w, r] of cussWords()) {
      if (r < this.minRating || allow.has(w)) continue;
      this.words.set(w, r);
      maxPhrase = Math.max(maxPhrase, w.split(' ').length);
    }
    this.maxPhrase = maxPhrase;
  }

  get size(): number {
    return this.words.size;
  }

  matches(text: string): LexiconMatch[] {
    const ws = words(text);
    const out: LexiconMatch[] = [];
    for (let i = 0; i < ws.length; i++) {
      for (let n = this.maxPhrase; n >= 1; n--) {
        if (i + n > ws.length) continue;
        const phrase = ws
          .slice(i, i + n)
          .map((w) => w.word)
          .join(' ');
        if (this.words.has(phrase)) {
          out.push({ word: phrase, index: ws[i].index });
          break;
        }
      }
    }
    return out;
  }

  isToxic(text: string): boolean {
    return this.matches(text).length > 0;
  }
}
