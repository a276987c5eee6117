import { DiagnosticError, type Tokenizer } from '@rlhfjs/core';
import { BYTE_TO_CHAR, CHAR_TO_BYTE, preTokenize, toByteLevel } from './byte-level';
import { MinHeap } from './min-heap';

/** The end-of-text token: eos, pad and bos at once (GPT-2's convention). */
export const END_OF_TEXT = '<|endoftext|>';

export interface ByteBPETrainOptions {
  /** Size of the final vocabulary: special tokens + 256 bytes + merges. */
  vocabSize: number;
  /** A pair is merged only if it occurs at least this many times in the word table (default 2). */
  minFrequency?: number;
  /** Added tokens, matched literally before pre-tokenization (default `["<|endoftext|>"]`). */
  specialTokens?: string[];
}

/** One entry of a tokenizer.json `added_tokens` list. */
export interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The subset of Hugging Face's tokenizer.json this class writes and reads. */
export interface TokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: AddedToken[];
  normalizer: null;
  pre_tokenizer: { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  post_processor: { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  decoder: { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[];
  };
}

const PAIR_SHIFT = 2 ** 21; // vocabularies stay below two million tokens
const pairKey = (a: number, b: number): number => a * PAIR_SHIFT + b;
const MAX_CACHED_WORD = 256;
const MAX_CACHE_ENTRIES = 100_000;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function invalid(message: string, pointer: string, fix: string): DiagnosticError {
  return new DiagnosticError({ code: 'tokenizer/invalid-json', message, pointer, fix, plugin: 'tokenizer/byte-bpe' });
}

/**
 * Byte-level BPE exactly as GPT-2 and Hugging Face `tokenizers` define it: text is split on the
 * special tokens, then into pre-tokens by GPT-2's regex, each pre-token's UTF-8 bytes are written in
 * the byte-level alphabet, and BPE merges are applied by rank. Every byte is in the base vocabulary,
 * so `encode` never meets an unknown symbol.
 *
 * `decode(encode(x)) === x` holds for every well-formed string. A lone (unpaired) UTF-16 surrogate has
 * no UTF-8 encoding: `encode` writes it as U+FFFD, as `TextEncoder` does. A literal special-token string
 * inside the text (e.g. `"<|endoftext|>"`) is encoded as that special token, as in Hugging Face.
 */
export class ByteBPETokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosId: number;
  readonly padId: number;
  readonly bosId: number;

  private readonly tokenOf: string[];
  private readonly tokenToId: Map<string, number>;
  /** Merges in rank order, as token strings. */
  private readonly mergeList: [string, string][];
  /** pairKey(left id, right id) → rank * PAIR_SHIFT + merged id. */
  private readonly mergeTable: Map<number, number>;
  private readonly specials: { id: number; content: string }[];
  private readonly specialById: Map<number, string>;
  private readonly specialSplit: RegExp | null;
  /** Base-alphabet id of each byte value. */
  private readonly byteIds: Int32Array;
  /** Bytes of each non-special token. */
  private readonly tokenBytes: (Uint8Array | null)[];
  private readonly cache = new Map<string, number[]>();
  private readonly utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  private constructor(vocab: string[], merges: [string, string][], specials: { id: number; content: string }[]) {
    this.tokenOf = vocab;
    this.tokenToId = new Map();
    vocab.forEach((t, i) => {
      if (t !== undefined) this.tokenToId.set(t, i);
    });
    this.vocabSize = vocab.length;
    this.specials = specials;
    this.specialById = new Map(specials.map((s) => [s.id, s.content]));

    this.byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = this.tokenToId.get(BYTE_TO_CHAR[b]);
      if (id === undefined) {
        throw invalid(`the vocabulary lacks the byte-level symbol for byte ${b} ("${BYTE_TO_CHAR[b]}")`, '/model/vocab', 'A byte-level BPE vocabulary must hold all 256 byte symbols; retrain the tokenizer.');
      }
      this.byteIds[b] = id;
    }

    this.mergeList = merges;
    this.mergeTable = new Map();
    merges.forEach(([l, r], rank) => {
      const a = this.tokenToId.get(l);
      const b = this.tokenToId.get(r);
      const c = this.tokenToId.get(l + r);
      if (a === undefined || b === undefined || c === undefined) {
        throw invalid(`merge ${rank} ("${l} ${r}") uses a token that is not in the vocabulary`, `/model/merges/${rank}`, 'Every merge and its result must be vocabulary entries; the file may be truncated or edited by hand.');
      }
      const key = pairKey(a, b);
      if (!this.mergeTable.has(key)) this.mergeTable.set(key, rank * PAIR_SHIFT + c);
    });

    this.tokenBytes = vocab.map((tok, id) => {
      if (this.specialById.has(id) || tok === undefined) return null;
      const bytes = new Uint8Array(tok.length);
      for (let i = 0; i < tok.length; i++) {
        const b = CHAR_TO_BYTE.get(tok[i]);
        if (b === undefined) return null; // a non byte-level entry: decoded as its literal text
        bytes[i] = b;
      }
      return bytes;
    });

    const eos = specials.find((s) => s.content === END_OF_TEXT) ?? specials[0];
    if (eos === undefined) {
      throw invalid(`the tokenizer has no special tokens; it needs "${END_OF_TEXT}"`, '/added_tokens', `Train with specialTokens: ["${END_OF_TEXT}"].`);
    }
    this.eosId = eos.id;
    this.padId = eos.id;
    this.bosId = eos.id;

    const sorted = specials.map((s) => s.content).sort((x, y) => y.length - x.length);
    this.specialSplit = sorted.length > 0 ? new RegExp(`(${sorted.map(escapeRegExp).join('|')})`) : null;
  }

  /**
   * Learn merges from texts. Pre-token frequencies are counted first and merges are computed on that
   * word table with incremental pair counts, so cost depends on the number of distinct words. Ties
   * between equally frequent pairs go to the pair with the smaller (left id, right id): deterministic.
   */
  static train(texts: Iterable<string>, opts: ByteBPETrainOptions): ByteBPETokenizer {
    const specialTokens = opts.specialTokens ?? [END_OF_TEXT];
    const minFrequency = opts.minFrequency ?? 2;
    const base = specialTokens.length + 256;
    if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < base) {
      throw new DiagnosticError({
        code: 'tokenizer/vocab-too-small',
        message: `vocabSize ${opts.vocabSize} is smaller than the ${base} entries every byte-level BPE needs (${specialTokens.length} special + 256 bytes)`,
        fix: `Use a vocabSize of at least ${base}; 2048–4096 suits a small model.`,
        plugin: 'tokenizer/byte-bpe',
      });
    }
    if (new Set(specialTokens).size !== specialTokens.length || specialTokens.some((s) => s.length === 0)) {
      throw new DiagnosticError({ code: 'tokenizer/bad-special-tokens', message: 'specialTokens must be distinct, non-empty strings', fix: 'Remove duplicates and empty strings from specialTokens.', plugin: 'tokenizer/byte-bpe' });
    }

    // 1. word table
    const splitter = specialTokens.length > 0 ? new RegExp(specialTokens.map(escapeRegExp).join('|')) : null;
    const rawCounts = new Map<string, number>();
    for (const text of texts) {
      const parts = splitter ? text.split(splitter) : [text];
      for (const part of parts) {
        for (const w of preTokenize(part)) rawCounts.set(w, (rawCounts.get(w) ?? 0) + 1);
      }
    }

    const vocab: string[] = [...specialTokens];
    for (let b = 0; b < 256; b++) vocab.push(BYTE_TO_CHAR[b]);
    const ids = new Map<string, number>(vocab.map((t, i) => [t, i]));

    const words: number[][] = [];
    const counts: number[] = [];
    const byLevel = new Map<string, number>();
    for (const [raw, n] of rawCounts) {
      const bl = toByteLevel(raw);
      const at = byLevel.get(bl);
      if (at !== undefined) {
        counts[at] += n; // two raw pre-tokens can share bytes when lone surrogates became U+FFFD
        continue;
      }
      byLevel.set(bl, words.length);
      words.push(Array.from(bl, (ch) => ids.get(ch) as number));
      counts.push(n);
    }

    // 2. pair statistics
    const pairCounts = new Map<number, number>();
    const where = new Map<number, Set<number>>();
    for (let w = 0; w < words.length; w++) {
      const sym = words[w];
      for (let i = 0; i + 1 < sym.length; i++) {
        const k = pairKey(sym[i], sym[i + 1]);
        pairCounts.set(k, (pairCounts.get(k) ?? 0) + counts[w]);
        let s = where.get(k);
        if (!s) where.set(k, (s = new Set()));
        s.add(w);
      }
    }
    type Entry = { count: number; key: number };
    const heap = new MinHeap<Entry>((x, y) => (x.count !== y.count ? x.count > y.count : x.key < y.key));
    for (const [key, count] of pairCounts) heap.push({ count, key });

    // 3. merges
    const merges: [string, string][] = [];
    while (ids.size < opts.vocabSize) {
      const top = heap.pop();
      if (top === undefined) break;
      const current = pairCounts.get(top.key) ?? 0;
      if (current !== top.count) continue; // stale entry
      if (current < minFrequency || current <= 0) break;
      const a = Math.floor(top.key / PAIR_SHIFT);
      const b = top.key % PAIR_SHIFT;
      const merged = vocab[a] + vocab[b];
      let c = ids.get(merged);
      if (c === undefined) {
        c = vocab.length;
        vocab.push(merged);
        ids.set(merged, c);
      }
      merges.push([vocab[a], vocab[b]]);

      const changed = new Set<number>();
      const bump = (k: number, d: number, w: number): void => {
        pairCounts.set(k, (pairCounts.get(k) ?? 0) + d);
        changed.add(k);
        if (d > 0) {
          let s = where.get(k);
          if (!s) where.set(k, (s = new Set()));
          s.add(w);
        }
      };
      for (const w of where.get(top.key) ?? []) {
        const sym = words[w];
        const n = counts[w];
        let found = false;
        for (let i = 0; i + 1 < sym.length; i++) {
          if (sym[i] === a && sym[i + 1] === b) {
            found = true;
            break;
          }
        }
        if (!found) continue;
        for (let i = 0; i + 1 < sym.length; i++) bump(pairKey(sym[i], sym[i + 1]), -n, w);
        const out: number[] = [];
        for (let i = 0; i < sym.length; i++) {
          if (i + 1 < sym.length && sym[i] === a && sym[i + 1] === b) {
            out.push(c);
            i++;
          } else out.push(sym[i]);
        }
        words[w] = out;
        for (let i = 0; i + 1 < out.length; i++) bump(pairKey(out[i], out[i + 1]), n, w);
      }
      where.delete(top.key);
      for (const k of changed) {
        const v = pairCounts.get(k) ?? 0;
        if (v > 0) heap.push({ count: v, key: k });
        else pairCounts.delete(k);
      }
    }

    return new ByteBPETokenizer(
      vocab,
      merges,
      specialTokens.map((content, id) => ({ id, content })),
    );
  }

  /** Token ids of `text`. Never throws: every byte has a token. */
  encode(text: string): number[] {
    const out: number[] = [];
    const parts = this.specialSplit ? text.split(this.specialSplit) : [text];
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p];
      if (part.length === 0) continue;
      if (p % 2 === 1) {
        out.push(this.tokenToId.get(part) as number);
        continue;
      }
      for (const word of preTokenize(part)) {
        const cached = this.cache.get(word);
        if (cached) {
          for (const id of cached) out.push(id);
          continue;
        }
        const ids = this.bpe(word);
        if (word.length <= MAX_CACHED_WORD) {
          if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
          this.cache.set(word, ids);
        }
        for (const id of ids) out.push(id);
      }
    }
    return out;
  }

  /**
   * Text of `ids`. Bytes that do not form valid UTF-8 (e.g. a completion cut inside a multi-byte
   * character) become U+FFFD; this never throws for ids inside the vocabulary.
   */
  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    let text = '';
    let buf: number[] = [];
    const flush = (): void => {
      if (buf.length > 0) text += this.utf8.decode(Uint8Array.from(buf));
      buf = [];
    };
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new RangeError(`token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
      const bytes = this.tokenBytes[id];
      if (bytes) {
        for (let i = 0; i < bytes.length; i++) buf.push(bytes[i]);
        continue;
      }
      flush();
      if (this.specialById.has(id) && opts.skipSpecialTokens) continue;
      text += this.tokenOf[id] ?? '';
    }
    flush();
    return text;
  }

  /** The UTF-8 bytes that `ids` stand for (special tokens as their literal text). */
  decodeBytes(ids: readonly number[]): Uint8Array {
    const enc = new TextEncoder();
    const chunks: number[] = [];
    for (const id of ids) {
      const bytes = this.tokenBytes[id] ?? enc.encode(this.tokenOf[id] ?? '');
      for (let i = 0; i < bytes.length; i++) chunks.push(bytes[i]);
    }
    return Uint8Array.from(chunks);
  }

  /** Token strings (byte-level alphabet) of `text`, as Hugging Face's `tokenize` returns them. */
  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.tokenOf[id]);
  }

  idToTokenString(id: number): string | undefined {
    return this.tokenOf[id];
  }

  /** The vocabulary entry of an id (the framework's Tokenizer contract name for {@link idToTokenString}). */
  idToToken(id: number): string | undefined {
    return this.tokenOf[id];
  }

  tokenStringToId(token: string): number | undefined {
    return this.tokenToId.get(token);
  }

  get specialTokens(): readonly string[] {
    return this.specials.map((s) => s.content);
  }

  get mergeCount(): number {
    return this.mergeList.length;
  }

  /** Merge the symbols of one pre-token by rank (lowest first, leftmost among equals). */
  private bpe(word: string): number[] {
    const bytes = new TextEncoder().encode(word);
    const n = bytes.length;
    const sym = new Int32Array(n);
    for (let i = 0; i < n; i++) sym[i] = this.byteIds[bytes[i]];
    if (n < 2) return Array.from(sym);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // entries: rank * (n + 1) + position; the smallest is the next merge
    const span = n + 1;
    const heap = new MinHeap<number>((x, y) => x < y);
    const consider = (i: number): void => {
      const j = next[i];
      if (j < 0) return;
      const m = this.mergeTable.get(pairKey(sym[i], sym[j]));
      if (m !== undefined) heap.push(Math.floor(m / PAIR_SHIFT) * span + i);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    while (heap.size > 0) {
      const e = heap.pop() as number;
      const i = e % span;
      const rank = (e - i) / span;
      const j = next[i];
      if (!alive[i] || j < 0) continue;
      const m = this.mergeTable.get(pairKey(sym[i], sym[j]));
      if (m === undefined || Math.floor(m / PAIR_SHIFT) !== rank) continue; // stale
      sym[i] = m % PAIR_SHIFT;
      alive[j] = 0;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) consider(prev[i]);
      consider(i);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
    return out;
  }

  /** A Hugging Face `tokenizer.json` object (loadable by `tokenizers`' `Tokenizer.from_file`). */
  toJSON(): TokenizerJson {
    const vocab: Record<string, number> = {};
    this.tokenOf.forEach((t, i) => {
      vocab[t] = i;
    });
    const byteLevel = { type: 'ByteLevel' as const, add_prefix_space: false, trim_offsets: true, use_regex: true };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.specials.map((s) => ({
        id: s.id,
        content: s.content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: { ...byteLevel },
      post_processor: { ...byteLevel, trim_offsets: false },
      decoder: { ...byteLevel },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        // "left right" strings: both old and new `tokenizers` read them; byte-level symbols hold no space
        merges: this.mergeList.map(([l, r]) => `${l} ${r}`),
      },
    };
  }

  /**
   * Load a tokenizer.json written by {@link toJSON} or by Hugging Face for a byte-level BPE
   * (GPT-2 style, no normalizer, no prefix space). Throws a DiagnosticError naming the bad field.
   */
  static fromJSON(obj: unknown): ByteBPETokenizer {
    if (typeof obj !== 'object' || obj === null) throw invalid('tokenizer.json is not a JSON object', '', 'Write it with ByteBPETokenizer.toJSON().');
    const j = obj as Record<string, any>;
    const model = j.model;
    if (typeof model !== 'object' || model === null || model.type !== 'BPE') {
      throw invalid(`model.type is ${JSON.stringify(model?.type)}, expected "BPE"`, '/model/type', 'Only byte-level BPE tokenizers are supported.');
    }
    if (j.pre_tokenizer?.type !== 'ByteLevel' || j.pre_tokenizer.use_regex === false) {
      throw invalid(`pre_tokenizer is ${JSON.stringify(j.pre_tokenizer?.type)}, expected "ByteLevel" with use_regex`, '/pre_tokenizer', 'Only GPT-2 style byte-level pre-tokenization is supported.');
    }
    if (j.pre_tokenizer.add_prefix_space === true) {
      throw invalid('pre_tokenizer.add_prefix_space is true, which breaks decode(encode(x)) === x', '/pre_tokenizer/add_prefix_space', 'Set add_prefix_space to false.');
    }
    if (j.normalizer != null) {
      throw invalid('a normalizer is set; this tokenizer applies none', '/normalizer', 'Set "normalizer": null.');
    }
    if (typeof model.vocab !== 'object' || model.vocab === null) throw invalid('model.vocab is missing', '/model/vocab', 'Write the file with ByteBPETokenizer.toJSON().');
    if (!Array.isArray(model.merges)) throw invalid('model.merges is missing', '/model/merges', 'Write the file with ByteBPETokenizer.toJSON().');
    const vocab: string[] = [];
    for (const [tok, id] of Object.entries(model.vocab as Record<string, unknown>)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw invalid(`vocab entry "${tok}" has id ${JSON.stringify(id)}`, `/model/vocab/${tok}`, 'Ids must be non-negative integers.');
      if (vocab[id] !== undefined) throw invalid(`id ${id} is given to both "${vocab[id]}" and "${tok}"`, `/model/vocab/${tok}`, 'Each id must be used once.');
      vocab[id] = tok;
    }
    const added: unknown[] = Array.isArray(j.added_tokens) ? j.added_tokens : [];
    const specials: { id: number; content: string }[] = [];
    added.forEach((t, i) => {
      const a = t as Partial<AddedToken>;
      if (typeof a?.content !== 'string' || typeof a.id !== 'number') throw invalid(`added_tokens[${i}] lacks content or id`, `/added_tokens/${i}`, 'Each added token needs "id" and "content".');
      if (vocab[a.id] !== undefined && vocab[a.id] !== a.content) throw invalid(`added token "${a.content}" has id ${a.id}, which the vocabulary gives to "${vocab[a.id]}"`, `/added_tokens/${i}`, 'Make the ids agree.');
      vocab[a.id] = a.content;
      specials.push({ id: a.id, content: a.content });
    });
    for (let i = 0; i < vocab.length; i++) {
      if (vocab[i] === undefined) throw invalid(`the vocabulary has no token with id ${i}`, '/model/vocab', 'Ids must run from 0 to the vocabulary size - 1 without gaps.');
    }
    const merges: [string, string][] = (model.merges as unknown[]).map((m, i) => {
      if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
      if (typeof m === 'string') {
        const sp = m.indexOf(' ');
        if (sp > 0 && m.indexOf(' ', sp + 1) < 0) return [m.slice(0, sp), m.slice(sp + 1)];
      }
      throw invalid(`merge ${i} is ${JSON.stringify(m)}, expected "left right" or ["left", "right"]`, `/model/merges/${i}`, 'Write the file with ByteBPETokenizer.toJSON().');
    });
    return new ByteBPETokenizer(vocab, merges, specials);
  }
}
