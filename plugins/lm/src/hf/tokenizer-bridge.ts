/**
 * The tokenizer of a Hugging Face model folder: `tokenizer.json` read by `@huggingface/tokenizers`,
 * with BOS/EOS/PAD taken from `tokenizer_config.json` (falling back to `special_tokens_map.json`).
 * Kept in this one file behind {@link HFTokenizerLike} so that a fuller loader can replace it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError, type Tokenizer } from '@rlhfjs/core';

/** The part of `@huggingface/tokenizers`' Tokenizer used here (the package is ESM-typed; its CommonJS build is loaded with require). */
interface HFTokenizerApi {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean | null }): string;
  token_to_id(token: string): number | undefined;
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
}
const { Tokenizer: HFTokenizer } = require('@huggingface/tokenizers') as { Tokenizer: new (tokenizerJson: object, tokenizerConfig: object) => HFTokenizerApi };

/** What the Hugging Face models need of a tokenizer: core's {@link Tokenizer}. */
export type HFTokenizerLike = Tokenizer;

export const TOKENIZER_JSON = 'tokenizer.json';
export const TOKENIZER_CONFIG = 'tokenizer_config.json';
const SPECIAL_TOKENS_MAP = 'special_tokens_map.json';

function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DiagnosticError({ code: 'hf/missing-file', file, message: `${file} cannot be read (${(e as Error).message})`, fix: 'Download the complete model folder (config.json, tokenizer.json, model.safetensors).' });
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new DiagnosticError({ code: 'hf/bad-json', file, message: `${file} is not a valid JSON object (${(e as Error).message})`, fix: 'Download the file again.' });
  }
}

/** A special token of tokenizer_config.json: a string or an AddedToken object `{ content }`. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/** A Hugging Face tokenizer.json (+ tokenizer_config.json) as core's {@link Tokenizer}. */
export class HFTokenizerBridge implements HFTokenizerLike {
  readonly vocabSize: number;
  readonly eosId: number;
  readonly padId: number;
  readonly bosId?: number;
  private readonly tok: HFTokenizerApi;

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>, where = TOKENIZER_JSON) {
    try {
      this.tok = new HFTokenizer(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw new DiagnosticError({ code: 'hf/bad-tokenizer', file: where, message: `${where} cannot be read as a tokenizer (${(e as Error).message})`, fix: 'Use the tokenizer.json that ships with the model.' });
    }
    let max = -1;
    for (const id of this.tok.get_vocab(true).values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    const idOf = (field: string): number | undefined => {
      const text = tokenText(tokenizerConfig[field]);
      if (text === undefined) return undefined;
      const id = this.tok.token_to_id(text);
      if (id === undefined) {
        throw new DiagnosticError({ code: 'hf/unknown-special-token', file: where, pointer: `/${field}`, message: `${field} ${JSON.stringify(text)} is not in the vocabulary of ${where}`, fix: `Correct ${field} in ${TOKENIZER_CONFIG}.` });
      }
      return id;
    };
    const eos = idOf('eos_token');
    if (eos === undefined) {
      throw new DiagnosticError({ code: 'hf/no-eos', file: where, pointer: '/eos_token', message: `${where}: no eos_token is named in ${TOKENIZER_CONFIG} or ${SPECIAL_TOKENS_MAP}`, fix: `Add "eos_token": "<the end-of-text token>" to ${TOKENIZER_CONFIG}.` });
    }
    this.eosId = eos;
    this.bosId = idOf('bos_token');
    this.padId = idOf('pad_token') ?? eos;
  }

  /** The tokenizer of a model folder: tokenizer.json, tokenizer_config.json and special_tokens_map.json. */
  static fromDir(dir: string): HFTokenizerBridge {
    const file = path.join(dir, TOKENIZER_JSON);
    if (!fs.existsSync(file)) {
      throw new DiagnosticError({ code: 'hf/no-tokenizer', file, message: `${dir} has no ${TOKENIZER_JSON}`, fix: 'Download tokenizer.json with the model (a folder with only vocab.json/merges.txt can be converted by saving it once with a "fast" tokenizer in transformers).' });
    }
    const cfgFile = path.join(dir, TOKENIZER_CONFIG);
    const mapFile = path.join(dir, SPECIAL_TOKENS_MAP);
    const map = fs.existsSync(mapFile) ? readJsonObject(mapFile) : {};
    const cfg = fs.existsSync(cfgFile) ? readJsonObject(cfgFile) : {};
    const merged: Record<string, unknown> = { ...cfg };
    for (const k of ['bos_token', 'eos_token', 'pad_token']) if (merged[k] === undefined || merged[k] === null) merged[k] = map[k];
    return new HFTokenizerBridge(readJsonObject(file), merged, file);
  }

  /** Token ids of a text, without special tokens added (callers add BOS themselves). */
  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[]): string {
    return this.tok.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** The text of one token id (for `rlhf logprobs`). */
  tokenText(id: number): string {
    return this.decode([id]);
  }
}
