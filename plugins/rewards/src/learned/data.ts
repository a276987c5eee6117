import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError, type Rng } from '@rlhfjs/core';
import { readLabels } from '../labels/reader';

/** One labelled text for a classifier: `label` is a class index. */
export interface TextExample {
  text: string;
  label: number;
}

/**
 * The human-labelled sentiment sentences that ship inside the `sentiment` npm package
 * (test/fixtures/{amazon,imdb,yelp}.json, the UCI "sentiment labelled sentences" set):
 * class 1 = positive, 0 = negative.
 */
export function loadSentimentSentences(): TextExample[] {
  let dir: string;
  try {
    dir = path.join(path.dirname(require.resolve('sentiment/package.json')), 'test', 'fixtures');
  } catch {
    throw new DiagnosticError({ code: 'classifier/no-sentiment-package', message: 'the `sentiment` npm package is not installed', fix: 'npm install sentiment@5.0.2 (a dependency of @rlhfjs/plugin-rewards)' });
  }
  const out: TextExample[] = [];
  for (const name of ['amazon', 'imdb', 'yelp']) {
    const file = path.join(dir, `${name}.json`);
    if (!fs.existsSync(file)) throw new DiagnosticError({ code: 'classifier/no-sentiment-data', message: `${file} is missing from the sentiment package`, file, fix: 'reinstall sentiment@5.0.2, whose package includes test/fixtures' });
    const rows = JSON.parse(fs.readFileSync(file, 'utf8')) as Array<{ text: string; class: number }>;
    for (const r of rows) out.push({ text: r.text, label: r.class === 1 ? 1 : 0 });
  }
  return out;
}

/** Pointwise 0/1 labels from a labels file (skips dropped), as class indices. */
export function loadPointwiseLabels(file: string, field: 'completion' | 'prompt-and-completion' = 'completion'): TextExample[] {
  const { labels } = readLabels(file, { strict: true, mustExist: true });
  const out: TextExample[] = [];
  for (const l of labels) {
    if (l.type !== 'pointwise' || l.label === null) continue;
    out.push({ text: field === 'completion' ? l.completion : l.prompt + l.completion, label: l.label });
  }
  if (!out.length) throw new DiagnosticError({ code: 'classifier/no-labels', message: `${file} holds no pointwise 0/1 labels`, file, fix: 'collect labels with the `label` job (mode: pointwise)' });
  return out;
}

/** Seeded shuffle, then the last `test` fraction is held out for the final figures and the `validation` fraction before it picks the best epoch. */
export function splitExamples<T>(rows: readonly T[], rng: Rng, fractions: { validation: number; test: number }): { train: T[]; validation: T[]; test: T[] } {
  const shuffled = rng.shuffle([...rows]);
  const nTest = Math.round(shuffled.length * fractions.test);
  const nVal = Math.round(shuffled.length * fractions.validation);
  const nTrain = shuffled.length - nTest - nVal;
  if (nTrain < 1) throw new Error(`split: no training rows left out of ${rows.length}`);
  return { train: shuffled.slice(0, nTrain), validation: shuffled.slice(nTrain, nTrain + nVal), test: shuffled.slice(nTrain + nVal) };
}
