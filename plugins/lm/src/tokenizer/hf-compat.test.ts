/**
 * The tokenizer.json we write must give the same ids in Hugging Face's own implementation
 * (`@huggingface/tokenizers`, the JavaScript port of the Rust `tokenizers` library).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '@rlhfjs/core';
import { ByteBPETokenizer, END_OF_TEXT } from './byte-bpe';

// the package is ESM with a CommonJS build that node's `require` condition selects
const { Tokenizer: HfTokenizer } = require('@huggingface/tokenizers') as {
  Tokenizer: new (json: object, config: object) => {
    encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
    decode(ids: number[], opts?: { clean_up_tokenization_spaces?: boolean; skip_special_tokens?: boolean }): string;
  };
};

const TRAIN = [
  'The jury further said in term-end presentments that the City Executive Committee had over-all charge.',
  "It's a nice day, isn't it? I'd say we'll go; they've said you're late and I'm sorry.",
  'lol omg thats sooo funny!!! :) cant wait 4 tmrw, u coming?',
  'Prices rose 3.5% in 1961 to $1,234.56 — a record; “said” the report…',
  'Ça va? Über naïve résumé. 日本語のテキスト。 Ελληνικά κείμενα. Русский текст.',
  'Emoji time 😀😀 🎉🎉 👍🏽 ok.',
  '\tTabs\tand\nnew lines\n\n  double  spaces   triple   ',
];

describe('tokenizer.json compatibility with @huggingface/tokenizers', () => {
  const texts: string[] = [];
  for (let i = 0; i < 30; i++) texts.push(...TRAIN);
  const ours = ByteBPETokenizer.train(texts, { vocabSize: 700 });
  // through a saved tokenizer.json file, as a user of the checkpoint would load it
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-tok-')), 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(ours.toJSON(), null, 2));
  const theirs = new HfTokenizer(JSON.parse(fs.readFileSync(file, 'utf8')), {});

  const check = (s: string): void => {
    const hf = theirs.encode(s, { add_special_tokens: false });
    expect({ s, ids: ours.encode(s) }).toEqual({ s, ids: hf.ids });
  };

  it('gives the same ids on the training sentences and on variations of them', () => {
    for (const s of TRAIN) {
      check(s);
      check(s.toUpperCase());
      check(s.split(' ').reverse().join(' '));
      check(' ' + s + ' ');
    }
  });

  it('gives the same ids on random text and special tokens', () => {
    const rng = new Rng(11);
    const alphabet = "abcdefghijklmnopqrstuvwxyz ABCXYZ 0123456789 .,;:!?'\"-()\n\téüß日本😀";
    const chars = Array.from(alphabet);
    for (let i = 0; i < 200; i++) {
      let s = '';
      const n = 1 + rng.int(80);
      for (let j = 0; j < n; j++) s += chars[rng.int(chars.length)];
      check(s);
    }
    check(`end${END_OF_TEXT}start ${END_OF_TEXT}`);
  });

  it('decodes to the same text', () => {
    for (const s of TRAIN) {
      const ids = ours.encode(s);
      expect(theirs.decode(ids, { clean_up_tokenization_spaces: false })).toBe(ours.decode(ids));
    }
  });
});
