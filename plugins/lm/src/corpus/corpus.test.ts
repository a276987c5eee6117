import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diagnosticThrownBy } from '@rlhfjs/core/testing';
import { brownLineToText, detokenize, loadBrown, stripTag } from './brown';
import { cussRatings, WordListMatcher } from './lexicon';
import { loadCorpus } from './load';
import { loadNlpCorpus } from './nlp-corpus';
import { corpusSpecSchema } from './spec';
import { unitHash } from './hash';

function tmpFile(name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-corpus-'));
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
}

describe('Brown corpus', () => {
  it('strips tags and rebuilds spacing, quotes and punctuation', () => {
    expect(stripTag('1-1/2/cd')).toBe('1-1/2');
    expect(stripTag("Atlanta's/np$")).toBe("Atlanta's");
    expect(
      brownLineToText("\tThe/at jury/nn said/vbd ,/, ``/`` no/at evidence/nn ''/'' (/( really/rb )/) ;/. the/at boys'/nns$ '/' end/nn ./."),
    ).toBe('The jury said, "no evidence" (really); the boys\'\' end.');
    expect(detokenize(['Why', '?', '--', 'he', 'said', '!'])).toBe('Why? -- he said!');
  });

  it('loads the 500 documents of the package, first sentence as expected', () => {
    const docs = loadBrown();
    expect(docs).toHaveLength(500);
    expect(docs[0].id).toBe('ca01');
    expect(docs[0].sentences[0]).toBe(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
    const all = docs.flatMap((d) => d.sentences);
    expect(all.length).toBeGreaterThan(50_000);
    // no POS tag survives ("word/nn", "the/at", "said/vbd", ",/,")
    expect(all.filter((s) => /\S\/(at|nn|nns|vbd|in|jj|np|cc|rb)(-tl|-hl)?(\s|$)|,\/,/.test(s))).toEqual([]);
    expect(all.filter((s) => /(^|\s)(``|'')(\s|$)/.test(s))).toEqual([]);
  });
});

describe('nlp-corpus', () => {
  it('reads all 100k sentences from the package JSON files with stable ids', () => {
    const s = loadNlpCorpus();
    expect(s.length).toBeGreaterThan(99_000);
    expect(s[0]).toEqual({ id: 'nlp-corpus:0:0', text: 'Creakiness and atmosphere this film has, but so unfortunately does the print I just viewed.' });
    expect(s.every((x) => x.text === x.text.trim() && !/\s\s/.test(x.text))).toBe(true);
  });
});

describe('word lists', () => {
  it('reads the cuss ratings', () => {
    const r = cussRatings();
    expect(r.size).toBeGreaterThan(1700);
    expect(r.get('crap')).toBe(2);
    expect(r.get('damn')).toBe(1);
  });

  it('matches whole words and phrases only', () => {
    const m = new WordListMatcher(['poop', 'silly goose']);
    expect(m.find('What a POOP day')).toBe('poop');
    expect(m.matches('nincompoops and poopdeck')).toBe(false);
    expect(m.find('you Silly   goose!')).toBe('silly goose');
    expect(m.matches('silly geese')).toBe(false);
    const cuss2 = WordListMatcher.cuss(2);
    expect(cuss2.matches('this is crap')).toBe(true);
    expect(cuss2.matches('damn it')).toBe(false); // rated 1
    expect(WordListMatcher.cuss(1).matches('damn it')).toBe(true);
  });
});

describe('loadCorpus', () => {
  const lines = Array.from({ length: 400 }, (_, i) => `sentence number ${i} is here`);
  lines[10] = 'what a load of poop this is';
  lines[20] = 'the poop deck of the ship';
  const file = tmpFile('mine.txt', lines.join('\n') + '\n\n');

  it('splits by a stable hash of the text, reproducibly', () => {
    const spec = { sources: [{ name: 'file' as const, path: file }], heldOutFraction: 0.2, seed: 5 };
    const a = loadCorpus(spec);
    const b = loadCorpus(spec);
    expect(a).toEqual(b);
    expect(a.train.length + a.heldOut.length).toBe(400);
    // the rule, worked by hand: held out ⇔ unitHash(seed, text) < fraction
    const expectedHeld = lines.filter((l) => unitHash(5, l) < 0.2);
    expect(a.heldOut).toEqual(expectedHeld);
    expect(a.heldOut.length).toBeGreaterThan(50);
    expect(a.heldOut.length).toBeLessThan(110);
    expect(new Set(a.train)).toEqual(new Set(lines.filter((l) => unitHash(5, l) >= 0.2)));
    // another seed, another split and order
    expect(loadCorpus({ ...spec, seed: 6 }).heldOut).not.toEqual(a.heldOut);
    expect(a.train).not.toEqual(lines.filter((l) => !expectedHeld.includes(l))); // shuffled
  });

  it('keeps a split stable when the file grows', () => {
    const bigger = tmpFile('more.txt', [...lines, ...Array.from({ length: 100 }, (_, i) => `extra line ${i}`)].join('\n'));
    const a = loadCorpus({ sources: [{ name: 'file', path: file }], heldOutFraction: 0.2, seed: 5 });
    const b = loadCorpus({ sources: [{ name: 'file', path: bigger }], heldOutFraction: 0.2, seed: 5 });
    expect(b.heldOut.slice(0, a.heldOut.length)).toEqual(a.heldOut);
  });

  it('applies weights and oversampling rules to training sentences only', () => {
    const base = loadCorpus({ sources: [{ name: 'file', path: file }], heldOutFraction: 0, seed: 1 });
    expect(base.train).toHaveLength(400);
    const doubled = loadCorpus({ sources: [{ name: 'file', path: file, weight: 2 }], heldOutFraction: 0, seed: 1 });
    expect(doubled.train).toHaveLength(800);
    const half = loadCorpus({ sources: [{ name: 'file', path: file, weight: 0.5 }], heldOutFraction: 0, seed: 1 });
    expect(half.train.length).toBeGreaterThan(160);
    expect(half.train.length).toBeLessThan(240);
    const over = loadCorpus({ sources: [{ name: 'file', path: file }], heldOutFraction: 0, seed: 1, oversample: [{ words: ['poop'], times: 3 }] });
    expect(over.train).toHaveLength(400 + 2 * 2);
    expect(over.train.filter((s) => s === 'what a load of poop this is')).toHaveLength(3);
    expect(over.stats[0]).toMatchObject({ sentences: 400, train: 400, heldOut: 0, trainRows: 404, oversampled: 2 });
    const hook = loadCorpus({ sources: [{ name: 'file', path: file }], heldOutFraction: 0, seed: 1 }, { oversample: (it) => (it.text.includes('ship') ? 4 : 1), filter: (it) => !it.text.includes('number 3') });
    expect(hook.train.filter((s) => s.includes('ship'))).toHaveLength(4);
    expect(hook.train.some((s) => s.includes('number 3'))).toBe(false);
    // a rule can hold out more of the sentences it matches (here: all of them), without touching the rest
    const held = loadCorpus({ sources: [{ name: 'file', path: file }], heldOutFraction: 0, seed: 1, oversample: [{ words: ['poop'], times: 3, heldOutFraction: 0.9 }] });
    const poopHeld = ['what a load of poop this is', 'the poop deck of the ship'].filter((t) => unitHash(1, t) < 0.9);
    expect(held.heldOut).toEqual(poopHeld);
    expect(held.train).toHaveLength(400 - poopHeld.length + 2 * (2 - poopHeld.length));
    // a rule limited to other sources does nothing here
    const other = loadCorpus({ sources: [{ name: 'file', path: file }], heldOutFraction: 0, seed: 1, oversample: [{ words: ['poop'], times: 3, sources: ['nlp-corpus'] }] });
    expect(other.train).toHaveLength(400);
  });

  it('splits Brown by document so no document straddles the split', () => {
    const c = loadCorpus({ sources: [{ name: 'brown', limit: 3000 }], heldOutFraction: 0.3, seed: 2 });
    // worked by hand: every sentence of a document whose key hashes below the fraction is held out
    const first: { doc: string; text: string }[] = [];
    for (const d of loadBrown()) for (const text of d.sentences) if (first.length < 3000) first.push({ doc: d.id, text });
    const expectedHeld = first.filter((x) => unitHash(2, `brown:${x.doc}`) < 0.3);
    expect(c.heldOut).toEqual(expectedHeld.map((x) => x.text));
    expect(new Set(expectedHeld.map((x) => x.doc)).size).toBeGreaterThan(1);
    expect(expectedHeld.length).toBeLessThan(3000);
    expect(c.heldOutItems.every((it) => it.source === 'brown' && it.id.startsWith('brown:'))).toBe(true);
    expect(c.train.length + c.heldOut.length).toBe(3000);
  });

  it('explains a file source without a path, a missing file and an empty rule', () => {
    let e = diagnosticThrownBy(() => loadCorpus({ sources: [{ name: 'file' }] }, { pointer: '/job/options/corpus', plugin: 'job/pretrain' }));
    expect(e.diagnostics[0]).toMatchObject({ code: 'corpus/missing-path', pointer: '/job/options/corpus/sources/0/path', plugin: 'job/pretrain' });
    e = diagnosticThrownBy(() => loadCorpus({ sources: [{ name: 'file', path: 'nope.txt' }] }, { resolvePath: (p) => path.join('/nonexistent-dir', p), pointer: '/c' }));
    expect(e.message).toBe('nope.txt does not exist');
    expect(e.diagnostics[0].pointer).toBe('/c/sources/0/path');
    e = diagnosticThrownBy(() => loadCorpus({ sources: [{ name: 'file', path: file }], oversample: [{ times: 2 }] }));
    expect(e.diagnostics[0].code).toBe('corpus/empty-oversample-rule');
  });

  it('has a schema fragment with a description on every property', () => {
    const walk = (s: Record<string, any>, at: string): void => {
      if (s.type === 'object') {
        expect({ at, additionalProperties: s.additionalProperties }).toEqual({ at, additionalProperties: false });
        for (const [k, p] of Object.entries(s.properties as Record<string, any>)) {
          expect({ at: `${at}/${k}`, d: typeof p.description }).toEqual({ at: `${at}/${k}`, d: 'string' });
          walk(p, `${at}/${k}`);
        }
      }
      if (s.type === 'array' && s.items) walk(s.items, `${at}/items`);
    };
    walk(corpusSpecSchema as unknown as Record<string, any>, '');
  });
});
