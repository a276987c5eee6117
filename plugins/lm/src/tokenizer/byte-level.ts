/**
 * The GPT-2 byte-level alphabet and pre-tokenizer, as Hugging Face `tokenizers` implements them
 * (`ByteLevel` with `use_regex: true`, `add_prefix_space: false`).
 */

/**
 * GPT-2's reversible map from the 256 byte values to printable unicode characters: printable
 * Latin-1 bytes map to themselves, the others (control characters, space, ...) to U+0100 onwards.
 * Index = byte value.
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n += 1;
    }
  }
  const out = new Array<string>(256);
  for (let i = 0; i < bs.length; i++) out[bs[i]] = String.fromCharCode(cs[i]);
  return out;
})();

/** Inverse of {@link BYTE_TO_CHAR}. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/**
 * GPT-2's pre-tokenization pattern: contractions, optional-space + letters, optional-space + digits,
 * optional-space + other symbols, whitespace runs (a run before a word leaves its last space to the word).
 */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Split text into pre-tokens (words with their leading space). Concatenating them gives `text` back. */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_PATTERN) ?? [];
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a pre-token written in the byte-level alphabet. Lone surrogates become U+FFFD. */
export function toByteLevel(piece: string): string {
  const bytes = encoder.encode(piece);
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}
