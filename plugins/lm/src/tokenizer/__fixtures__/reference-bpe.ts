/**
 * An independent, deliberately plain byte-level BPE encoder, written from the published algorithm
 * (GPT-2's encoder: split off added tokens, optional NFC, pre-tokenize with a regex, map UTF-8 bytes
 * to the byte-level alphabet, then repeatedly merge the adjacent pair of lowest rank, every
 * non-overlapping occurrence left to right). It shares no code with @huggingface/tokenizers nor
 * with byte-bpe.ts: a test reference only (slow, O(n²) per word).
 */

/** GPT-2's bytes_to_unicode table, built again here: printable bytes map to themselves, the rest to U+0100 onwards in byte order. */
function byteAlphabet(): string[] {
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = printable(b) ? String.fromCharCode(b) : String.fromCharCode(256 + extra++);
  return table;
}
const ALPHABET = byteAlphabet();

export interface ReferenceOptions {
  /** The pre-tokenizer regex (flags g and u). */
  split: RegExp;
  /** Apply NFC to the text between added tokens (Qwen2's normalizer). */
  nfc?: boolean;
  /** A pre-token that is a vocabulary entry as a whole is one token (BPE `ignore_merges`, Llama-3). */
  ignoreMerges?: boolean;
}

interface TokenizerJsonLike {
  added_tokens: { id: number; content: string }[];
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
}

export class ReferenceBpe {
  private readonly vocab = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly added: { content: string; id: number }[];

  constructor(
    json: TokenizerJsonLike,
    private readonly opts: ReferenceOptions,
  ) {
    for (const [tok, id] of Object.entries(json.model.vocab)) this.vocab.set(tok, id);
    json.model.merges.forEach((m, rank) => {
      const [a, b] = typeof m === 'string' ? (m.split(' ') as [string, string]) : m;
      const key = `${a}\n${b}`; // "\n" never occurs in byte-level symbols (it is written "Ċ")
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
    // longest first, so that at one position the longest added token wins
    this.added = json.added_tokens.map((a) => ({ content: a.content, id: a.id })).sort((x, y) => y.content.length - x.content.length);
  }

  encode(text: string): number[] {
    const out: number[] = [];
    let plain = '';
    const flush = (): void => {
      const seg = this.opts.nfc ? plain.normalize('NFC') : plain;
      for (const piece of seg.match(this.opts.split) ?? []) out.push(...this.word(piece));
      plain = '';
    };
    for (let i = 0; i < text.length; ) {
      const hit = this.added.find((a) => text.startsWith(a.content, i));
      if (hit) {
        flush();
        out.push(hit.id);
        i += hit.content.length;
      } else {
        plain += text[i];
        i += 1;
      }
    }
    flush();
    return out;
  }

  private word(piece: string): number[] {
    let symbols = Array.from(Buffer.from(piece, 'utf8'), (b) => ALPHABET[b]);
    if (this.opts.ignoreMerges && this.vocab.has(symbols.join(''))) return [this.vocab.get(symbols.join('')) as number];
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.ranks.get(`${symbols[i]}\n${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = symbols[best];
      const b = symbols[best + 1];
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(symbols[i]);
      }
      symbols = merged;
    }
    return symbols.map((s) => {
      const id = this.vocab.get(s);
      if (id === undefined) throw new Error(`reference BPE: symbol ${JSON.stringify(s)} is not in the vocabulary`);
      return id;
    });
  }
}

/** GPT-2's pre-tokenizer pattern with JavaScript's `\s` (what @huggingface/tokenizers' ByteLevel pre-tokenizer runs). */
export const GPT2_SPLIT_JS = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
/** The same pattern with `\s` as the Unicode White_Space property, as Rust's regex engine (Oniguruma) reads it. */
export const GPT2_SPLIT_UNICODE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** The pattern Llama-3's tokenizer.json holds, as written there (a test checks the file still says this). */
export const LLAMA3_PATTERN_SOURCE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Qwen2's (and Qwen3's): Llama-3's with single digits. */
export const QWEN2_PATTERN_SOURCE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/**
 * Hand translation of {@link LLAMA3_PATTERN_SOURCE} (`digits` "{1,3}") and {@link QWEN2_PATTERN_SOURCE}
 * (`digits` "") to a JavaScript regex: `(?i:...)` spelled out; `\s` as the Unicode White_Space
 * property (Rust's reading) or, with `jsSpace`, as JavaScript's `\s` (which adds U+FEFF and lacks U+0085).
 */
export function splitRegex(digits: '{1,3}' | '', jsSpace = false): RegExp {
  const contractions = "'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])";
  const ws = jsSpace ? '\\s' : '\\p{White_Space}';
  const notWs = jsSpace ? '\\S' : '\\P{White_Space}';
  return new RegExp(`${contractions}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}${digits}| ?[^${ws}\\p{L}\\p{N}]+[\\r\\n]*|${ws}*[\\r\\n]+|${ws}+(?!${notWs})|${ws}+`, 'gu');
}
export const LLAMA3_SPLIT = splitRegex('{1,3}');
export const QWEN2_SPLIT = splitRegex('');
