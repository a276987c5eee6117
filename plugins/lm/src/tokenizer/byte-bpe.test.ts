import { DiagnosticError, Rng } from '@rlhfjs/core';
import { ByteBPETokenizer, END_OF_TEXT } from './byte-bpe';
import { BYTE_TO_CHAR, preTokenize } from './byte-level';

const SAMPLE = [
  "The quick brown fox jumps over the lazy dog. It's 2026 and the dog's still lazy!",
  "I'll be there at 10:30, won't you? We've got 3 tickets, they're $12.50 each.",
  'Ünïcödé wörds: naïve café, façade; Straße — “quoted” text… and 東京 is big.',
  'Emoji 😀🎉 mixed with text 👍🏽 and a flag 🇺🇸 plus ZWJ 👩‍👩‍👧.',
  '    indented   line\twith\ttabs\nand\r\nnewlines\n\n\nend  ',
  'code: if (x <= 10) { return f(x) * 2; } // comment #42 @user https://example.org/a?b=c',
  'lol idk what ur doing tmrw haha... omg!!! so coool',
  'Numbers 1234567890 3.14159 -42 1e10 and 1,000,000 people.',
];

function corpus(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 40; i++) for (const s of SAMPLE) out.push(s);
  return out;
}

function randomString(rng: Rng, len: number): string {
  const pieces: string[] = [];
  for (let i = 0; i < len; i++) {
    const r = rng.next();
    if (r < 0.4) pieces.push(String.fromCharCode(32 + rng.int(95)));
    else if (r < 0.55) pieces.push(String.fromCharCode(rng.int(32)));
    else if (r < 0.7) pieces.push(String.fromCharCode(0xa0 + rng.int(0x2000)));
    else if (r < 0.8) pieces.push(String.fromCodePoint(0x1f300 + rng.int(0x300)));
    else if (r < 0.9) pieces.push(String.fromCharCode(0x3000 + rng.int(0x6000)));
    else pieces.push(' ');
  }
  return pieces.join('');
}

describe('byte-level pre-tokenizer', () => {
  it('maps the 256 bytes to 256 distinct printable characters, GPT-2 style', () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    expect(BYTE_TO_CHAR[0x41]).toBe('A');
    expect(BYTE_TO_CHAR[0x20]).toBe('Ġ'); // space
    expect(BYTE_TO_CHAR[0x0a]).toBe('Ċ'); // newline
    expect(BYTE_TO_CHAR[0]).toBe('Ā');
  });

  it('splits words with their leading space, contractions and whitespace runs', () => {
    expect(preTokenize("Hello world, it's  me!\n")).toEqual(['Hello', ' world', ',', ' it', "'s", ' ', ' me', '!', '\n']);
    expect(preTokenize('a   b')).toEqual(['a', '  ', ' b']);
  });
});

describe('ByteBPETokenizer', () => {
  const tok = ByteBPETokenizer.train(corpus(), { vocabSize: 600 });

  it('puts <|endoftext|> at id 0 as eos, pad and bos, then the 256 bytes', () => {
    expect(tok.eosId).toBe(0);
    expect(tok.padId).toBe(0);
    expect(tok.bosId).toBe(0);
    expect(tok.idToTokenString(0)).toBe(END_OF_TEXT);
    expect(tok.idToTokenString(1 + 0x41)).toBe('A');
    expect(tok.vocabSize).toBeLessThanOrEqual(600);
    expect(tok.vocabSize).toBeGreaterThan(400);
  });

  it('learns frequent words as single tokens', () => {
    expect(tok.encode(' quick')).toHaveLength(1);
    expect(tok.encode('The')).toHaveLength(1);
    expect(tok.decode(tok.encode(' quick'))).toBe(' quick');
  });

  it('round-trips the sample and random unicode', () => {
    for (const s of SAMPLE) expect(tok.decode(tok.encode(s))).toBe(s);
    const rng = new Rng(7);
    for (let i = 0; i < 300; i++) {
      const s = randomString(rng, 1 + rng.int(60));
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    expect(tok.decode(tok.encode('\uFEFFbom first'))).toBe('\uFEFFbom first');
    expect(tok.encode('')).toEqual([]);
  });

  it('never fails on arbitrary bytes decoded leniently, and on lone surrogates (documented loss)', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 100; i++) {
      const bytes = Uint8Array.from({ length: 1 + rng.int(40) }, () => rng.int(256));
      const s = new TextDecoder().decode(bytes);
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
    expect(tok.decode(tok.encode('a\uD800b'))).toBe('a\uFFFDb');
  });

  it('decodes a cut multi-byte character without throwing', () => {
    const ids = tok.encode('😀');
    expect(ids.length).toBeGreaterThan(1); // 4 bytes, not all merged in this small vocabulary
    expect(() => tok.decode(ids.slice(0, 1))).not.toThrow();
    expect(tok.decode(ids.slice(0, 1))).toContain('\uFFFD');
    expect(Array.from(tok.decodeBytes(ids))).toEqual([0xf0, 0x9f, 0x98, 0x80]);
  });

  it('encodes a literal special token as its id and can skip it when decoding', () => {
    const ids = tok.encode(`hi${END_OF_TEXT}there`);
    expect(ids).toContain(0);
    expect(tok.decode(ids)).toBe(`hi${END_OF_TEXT}there`);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('hithere');
  });

  it('encodes a very long word (no spaces) correctly, with work linear in its length', () => {
    // One pre-token of n bytes. Each merge removes a symbol, so there are at most n - 1 merges; the
    // merge table is read once per adjacent pair at the start (n - 1), once per heap entry popped
    // (entries pushed: at most n - 1 at the start plus 2 per merge), and at most twice per merge for
    // the new neighbours: at most (n - 1) + 3(n - 1) + 2(n - 1) = 6(n - 1) reads. Re-scanning the
    // word for the best pair after every merge would read about n^2 / 2 times.
    const long = 'ab'.repeat(5_000);
    const n = long.length;
    const table = (tok as unknown as { mergeTable: Map<number, number> }).mergeTable;
    const reads = jest.spyOn(table, 'get');
    let ids: number[];
    try {
      ids = tok.encode(long);
      expect(reads.mock.calls.length).toBeGreaterThanOrEqual(n - 1);
      expect(reads.mock.calls.length).toBeLessThanOrEqual(6 * (n - 1));
    } finally {
      reads.mockRestore();
    }
    expect(ids.length).toBeLessThan(n); // merges happened: fewer tokens than bytes
    expect(tok.decode(ids)).toBe(long);
  });

  it('trains deterministically', () => {
    const again = ByteBPETokenizer.train(corpus(), { vocabSize: 600 });
    expect(again.toJSON()).toEqual(tok.toJSON());
  });

  it('respects minFrequency', () => {
    // pre-tokens "ab" ×1, " ab" ×2, " cd" ×1: pair counts (a,b) 3, (Ġ,a) 2, (Ġ,c) 1, (c,d) 1.
    // After merging a+b, (Ġ,ab) counts 2.
    expect(ByteBPETokenizer.train(['ab ab ab cd'], { vocabSize: 400, minFrequency: 3 }).mergeCount).toBe(1);
    expect(ByteBPETokenizer.train(['ab ab ab cd'], { vocabSize: 400, minFrequency: 2 }).mergeCount).toBe(2);
    expect(ByteBPETokenizer.train(['ab ab ab cd'], { vocabSize: 400, minFrequency: 1 }).mergeCount).toBe(4);
  });

  it('merges by hand-worked counts on a tiny corpus', () => {
    // words: "aaab" ×1 → pairs aa:2, ab:1. First merge: a+a. word becomes [aa, a, b]: pairs (aa,a):1, (a,b):1
    const t = ByteBPETokenizer.train(['aaab'], { vocabSize: 257 + 2, minFrequency: 1 });
    const json = t.toJSON();
    expect(json.model.merges[0]).toBe('a a');
    // ties at count 1 go to the smaller (left id, right id): (a, b) has a byte id < aa's id
    expect(json.model.merges[1]).toBe('a b');
    expect(t.encode('aaab')).toEqual([t.tokenStringToId('aa'), t.tokenStringToId('ab')]);
  });

  it('round-trips through tokenizer.json', () => {
    const json = JSON.parse(JSON.stringify(tok.toJSON()));
    const back = ByteBPETokenizer.fromJSON(json);
    for (const s of SAMPLE) expect(back.encode(s)).toEqual(tok.encode(s));
    expect(back.vocabSize).toBe(tok.vocabSize);
  });

  it('rejects a broken tokenizer.json with the field named', () => {
    const json = JSON.parse(JSON.stringify(tok.toJSON()));
    json.model.merges[3] = 'zz9 qq8';
    expect(() => ByteBPETokenizer.fromJSON(json)).toThrow(DiagnosticError);
    try {
      ByteBPETokenizer.fromJSON(json);
    } catch (e) {
      expect((e as DiagnosticError).diagnostics[0].pointer).toBe('/model/merges/3');
    }
    expect(() => ByteBPETokenizer.fromJSON({ model: { type: 'WordPiece' } })).toThrow(/expected "BPE"/);
  });

  it('rejects a vocabulary smaller than the byte alphabet', () => {
    expect(() => ByteBPETokenizer.train(['x'], { vocabSize: 100 })).toThrow(/smaller than the 257 entries/);
  });
});
