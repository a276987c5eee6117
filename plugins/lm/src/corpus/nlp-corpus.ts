/**
 * `nlp-corpus`: 100,000 English sentences of mixed register (lyrics, Reddit, SMS, TV transcripts,
 * fiction, UN documents, …) in `builds/doc-0.json` … `doc-99.json`, each a JSON array of strings.
 * The package's own entry point is an ES module; the JSON files are read directly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError } from '@rlhfjs/core';
import { packageDir } from './packages';

export interface CorpusSentence {
  /** Stable id: `nlp-corpus:<file>:<index>`. */
  id: string;
  text: string;
}

/** Collapse whitespace runs (tabs, newlines, non-breaking spaces) to one space and trim. */
export function normalizeSpace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Every sentence, file by file in numeric order; empty ones dropped. */
export function loadNlpCorpus(): CorpusSentence[] {
  const dir = path.join(packageDir('nlp-corpus', 'builds'), 'builds');
  const files = fs
    .readdirSync(dir)
    .map((n) => /^doc-(\d+)\.json$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  const out: CorpusSentence[] = [];
  for (const m of files) {
    const file = path.join(dir, m[0]);
    const arr = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(arr)) {
      throw new DiagnosticError({ code: 'corpus/package-layout', message: `${file} is not a JSON array of sentences`, file, fix: 'Reinstall nlp-corpus at the version @rlhfjs/plugin-lm pins.' });
    }
    arr.forEach((s, i) => {
      if (typeof s !== 'string') return;
      const text = normalizeSpace(s);
      if (text.length > 0) out.push({ id: `nlp-corpus:${m[1]}:${i}`, text });
    });
  }
  return out;
}
