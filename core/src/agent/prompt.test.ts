import type { Tokenizer } from '../contract/agent';
import { encodePromptWith, fitToRoom } from './prompt';

/** One character per token: a..z = 3..28, EOS 0, pad 0, BOS 1 (or none). */
function chars(bosId: number | undefined): Tokenizer {
  return {
    vocabSize: 29,
    eosId: 0,
    padId: 0,
    bosId,
    encode: (t) => [...t].map((c) => c.charCodeAt(0) - 94),
    decode: (ids) => ids.filter((i) => i >= 3).map((i) => String.fromCharCode(i + 94)).join(''),
  };
}

describe('fitToRoom', () => {
  it('keeps the last tokens, and a leading BOS', () => {
    expect(fitToRoom([0, 1, 2, 3, 4], 3, 0)).toEqual([0, 3, 4]);
    expect(fitToRoom([5, 1, 2, 3, 4], 3, 0)).toEqual([2, 3, 4]);
    expect(fitToRoom([0, 1, 2], 1, 0)).toEqual([0]);
    expect(fitToRoom([0, 1, 2], 3, 0)).toEqual([0, 1, 2]);
    expect(fitToRoom([], 3, 0)).toEqual([]);
    expect(() => fitToRoom([1, 2], 0, undefined)).toThrow(/room must be a positive integer/);
  });
});

describe('encodePromptWith', () => {
  const tok = chars(1);

  it('is BOS + the prompt when it fits', () => {
    expect(encodePromptWith(tok, 'abc', 10)).toEqual({ ids: [1, 3, 4, 5], promptLength: 4, truncated: false });
    expect(encodePromptWith(tok, '', 10)).toEqual({ ids: [1], promptLength: 1, truncated: false });
  });

  it('cuts a long prompt from the left and keeps BOS', () => {
    // BOS a b c d e, room 4: BOS + the last three letters
    expect(encodePromptWith(tok, 'abcde', 4)).toEqual({ ids: [1, 5, 6, 7], promptLength: 4, truncated: true });
  });

  it('appends a continuation (text or ids) and cuts the prompt first', () => {
    expect(encodePromptWith(tok, 'abc', 10, 'xy')).toEqual({ ids: [1, 3, 4, 5, 26, 27], promptLength: 4, truncated: false });
    expect(encodePromptWith(tok, 'abc', 4, [26, 0])).toEqual({ ids: [1, 5, 26, 0], promptLength: 2, truncated: true });
    // the continuation alone is longer than the room: BOS, then its last two letters (y z)
    expect(encodePromptWith(tok, 'abc', 3, 'wxyz')).toEqual({ ids: [1, 27, 28], promptLength: 1, truncated: true });
  });

  it('without BOS, is the plain tokens cut from the left', () => {
    const noBos = chars(undefined);
    expect(encodePromptWith(noBos, 'abcde', 3)).toEqual({ ids: [5, 6, 7], promptLength: 3, truncated: true });
    expect(encodePromptWith(noBos, 'ab', 3, 'xy')).toEqual({ ids: [4, 26, 27], promptLength: 1, truncated: true });
    expect(encodePromptWith(noBos, '', 3)).toEqual({ ids: [], promptLength: 0, truncated: false });
  });
});
