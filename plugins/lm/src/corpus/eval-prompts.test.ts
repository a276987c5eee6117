import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildEvalPrompts, countByKind, writeEvalPrompts } from './eval-prompts';
import { WordListMatcher } from './lexicon';
import { promptsFromFile } from '../environment/prompt-sources';

describe('evaluation prompts', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-eval-'));
  // mild made-up informal sentences; "crap" and "idiot" are rated 2 by cuss
  const informal = Array.from({ length: 120 }, (_, i) =>
    i % 4 === 0 ? `${i} honestly dude that movie was total crap and boring` : i % 4 === 1 ? `${i} lol you are such an idiot sometimes friend` : `${i} we went out for pizza after school today ok`,
  );
  const file = path.join(dir, 'informal.txt');
  fs.writeFileSync(file, informal.join('\n'));

  it('cuts informal sentences before a lexicon word and before their last words', () => {
    const prompts = buildEvalPrompts({ corpus: { sources: [{ name: 'file', path: file }], heldOutFraction: 0.9, seed: 1 }, count: 60, lexiconShare: 0.3, brownShare: 0 });
    expect(prompts).toHaveLength(60);
    const counts = countByKind(prompts);
    expect(counts['before-lexicon-word']).toBe(18);
    expect(counts['informal-tail']).toBe(42);
    const cuss = WordListMatcher.cuss(2);
    for (const p of prompts) {
      // the prompt and its continuation rebuild the original sentence
      expect(informal).toContain(p.prompt + p.continuation);
      expect(p.prompt.split(' ').length).toBeGreaterThanOrEqual(3);
      if (p.kind === 'before-lexicon-word') {
        expect(cuss.matches(p.prompt)).toBe(false);
        expect(cuss.find(p.continuation.trim().split(' ')[0])).toBeDefined();
      } else {
        const dropped = p.continuation.trim().split(' ').length;
        expect(dropped).toBeGreaterThanOrEqual(1);
        expect(dropped).toBeLessThanOrEqual(3);
      }
    }
    expect(new Set(prompts.map((p) => p.prompt)).size).toBe(60);
    // deterministic
    expect(buildEvalPrompts({ corpus: { sources: [{ name: 'file', path: file }], heldOutFraction: 0.9, seed: 1 }, count: 60, lexiconShare: 0.3, brownShare: 0 })).toEqual(prompts);
  });

  it('uses the spec\'s held-out split, including sentences an oversample rule holds out', () => {
    const base = { sources: [{ name: 'file' as const, path: file }], heldOutFraction: 0.1, seed: 3 };
    const plain = countByKind(buildEvalPrompts({ corpus: base, count: 200, lexiconShare: 1, brownShare: 0 }));
    const boosted = countByKind(buildEvalPrompts({ corpus: { ...base, oversample: [{ words: ['crap', 'idiot'], times: 3, heldOutFraction: 0.9 }] }, count: 200, lexiconShare: 1, brownShare: 0 }));
    expect(plain['before-lexicon-word']).toBeLessThan(12);
    expect(boosted['before-lexicon-word']).toBeGreaterThan(40);
  });

  it('cuts training sentences instead when asked, never overlapping the held-out prompts', () => {
    const corpus = { sources: [{ name: 'file' as const, path: file }], heldOutFraction: 0.5, seed: 8 };
    const evalSet = buildEvalPrompts({ corpus, count: 30, brownShare: 0 });
    const trainSet = buildEvalPrompts({ corpus, count: 30, brownShare: 0, split: 'train' });
    expect(trainSet.length).toBeGreaterThan(10);
    const evalSentences = new Set(evalSet.map((p) => p.prompt + p.continuation));
    expect(trainSet.filter((p) => evalSentences.has(p.prompt + p.continuation))).toEqual([]);
  });

  it('writes JSONL that the prompts environment reads', () => {
    const prompts = buildEvalPrompts({ corpus: { sources: [{ name: 'file', path: file }], heldOutFraction: 0.5, seed: 2 }, count: 10, brownShare: 0 });
    const out = path.join(dir, 'eval.jsonl');
    writeEvalPrompts(out, prompts, { corpus: { sources: [{ name: 'file', path: file }] }, count: 10 });
    const back = promptsFromFile({ path: 'eval.jsonl', resolved: out, format: 'auto', field: 'prompt' });
    expect(back.map((p) => p.text)).toEqual(prompts.map((p) => p.prompt));
    const meta = JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8'));
    expect(meta.total).toBe(prompts.length);
  });

  it('builds about 2,000 prompts from the held-out Brown and nlp-corpus sentences', () => {
    const prompts = buildEvalPrompts({ corpus: { sources: [{ name: 'brown' }, { name: 'nlp-corpus' }], heldOutFraction: 0.05, seed: 1234 } });
    const counts = countByKind(prompts);
    expect(prompts).toHaveLength(2000);
    expect(counts['brown-head']).toBeGreaterThan(300);
    expect(counts['before-lexicon-word']).toBeGreaterThan(40); // ~1.4% of ~5k held-out informal sentences
    expect(counts['informal-tail']).toBeGreaterThan(1000);
  });
});
