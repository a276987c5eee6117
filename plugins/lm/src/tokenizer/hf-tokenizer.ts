/**
 * Hugging Face tokenizer folders: `tokenizer.json` run by `@huggingface/tokenizers` (the pure
 * TypeScript port of the `tokenizers` library), with the special tokens, BOS/EOS rules and chat
 * template of `tokenizer_config.json` (and `special_tokens_map.json`, `chat_template.jinja`).
 * The project's own byte-level BPE (byte-bpe.ts) writes the same tokenizer.json format and loads
 * through here too. docs/hf-models.md ("Tokenizers and chat templates") describes the rules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError, type ChatMessage, type Tokenizer } from '@rlhfjs/core';
import type { Tokenizer as LibTokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import { ChatTemplate, type ChatTemplateOptions } from './chat-template';

// the package is ESM with a CommonJS build that node's `require` condition selects
const { Tokenizer: HfLibTokenizer } = require('@huggingface/tokenizers') as { Tokenizer: new (json: object, config: object) => LibTokenizer };

const PLUGIN = 'tokenizer/hf';
export const TOKENIZER_JSON = 'tokenizer.json';
export const TOKENIZER_CONFIG = 'tokenizer_config.json';
export const SPECIAL_TOKENS_MAP = 'special_tokens_map.json';
export const CHAT_TEMPLATE_JINJA = 'chat_template.jinja';
export const CHAT_TEMPLATE_JSON = 'chat_template.json';
/** The files of a tokenizer, read from its folder and copied as they are into a saved checkpoint. */
export const TOKENIZER_FILES = [TOKENIZER_JSON, TOKENIZER_CONFIG, SPECIAL_TOKENS_MAP, CHAT_TEMPLATE_JINJA, CHAT_TEMPLATE_JSON] as const;
/** Read for the end-of-sequence ids generation stops at (`eos_token_id`); not a tokenizer file. */
export const GENERATION_CONFIG = 'generation_config.json';
/** The end-of-text token of GPT-2 and of the project's own tokenizers: eos, pad and bos at once when no config says otherwise. */
const END_OF_TEXT = '<|endoftext|>';
/** `transformers` writes model_max_length = int(1e30) when a tokenizer sets no limit. */
const NO_LENGTH_LIMIT = 1e18;
/** Pre-tokens whose BPE result the library keeps (see the constructor). */
const MEMO_ENTRIES = 100_000;
/** Model types `tokenizer.json` may name. */
export const SUPPORTED_TOKENIZER_MODELS = ['BPE'] as const;

export interface EncodeOptions {
  /** Add the special tokens the model expects around a text: BOS when {@link HfTokenizer.addBos}, EOS when {@link HfTokenizer.addEos} (Hugging Face's `add_special_tokens=True`). Default false. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave special tokens (BOS, EOS, chat markers, ...) out of the text. Default false. */
  skipSpecialTokens?: boolean;
}

export interface LoadHfTokenizerOptions {
  /** Override whether BOS is put before every prompt (default: see {@link HfTokenizer.addBos}). */
  addBos?: boolean;
}

type Json = Record<string, unknown>;

function diag(code: string, message: string, file: string, fix: string, pointer?: string): DiagnosticError {
  return new DiagnosticError({ code, message, file, fix, plugin: PLUGIN, ...(pointer === undefined ? {} : { pointer }) });
}

function parseJsonObject(file: string, bytes: Uint8Array, code: string, fix: string): Json {
  const text = Buffer.from(bytes).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split('\n').length : undefined;
    throw new DiagnosticError({ code, message: `${file} is not valid JSON (${(e as Error).message})`, file, ...(line === undefined ? {} : { line }), plugin: PLUGIN, fix });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw diag(code, `${file} holds ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}, not a JSON object`, file, fix);
  }
  return value as Json;
}

/** A special-token entry of tokenizer_config.json / special_tokens_map.json: a string, an AddedToken object, or null. */
function tokenText(v: unknown): string | null | undefined {
  if (typeof v === 'string') return v;
  if (v === null) return null;
  if (typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) behind the framework's
 * {@link Tokenizer} contract. `encode` gives the ids `tokenizers` gives with
 * `add_special_tokens=False`; `decode` is the exact inverse (Hugging Face's
 * `clean_up_tokenization_spaces` is never applied: it rewrites text such as " ," to ",").
 */
export class HfTokenizer implements Tokenizer {
  /** Ids run from 0 to vocabSize - 1 (added tokens included). */
  readonly vocabSize: number;
  readonly eosId: number;
  /** The padding id: tokenizer_config's pad_token, else {@link eosId}. */
  readonly padId: number;
  /** The BOS id put before every prompt, or undefined when the model takes none ({@link addBos} false). */
  readonly bosId?: number;
  /** The BOS token the config declares, whether or not it is put before prompts (the chat template's `bos_token`). */
  readonly bosToken?: string;
  readonly eosToken: string;
  readonly padToken: string;
  /**
   * Whether BOS goes before every prompt: tokenizer_config.json's `add_bos_token` when it sets one
   * (Llama-style configs), else whether tokenizer.json's post-processor adds a token before a text,
   * else, for a tokenizer.json with no config beside it (the project's own tokenizers), true.
   */
  readonly addBos: boolean;
  /** Whether `encode(text, { addSpecialTokens: true })` ends with EOS (`add_eos_token`, else the post-processor). */
  readonly addEos: boolean;
  /** Ids generation may stop at: eosId, then generation_config.json's other `eos_token_id`s. */
  readonly stopIds: readonly number[];
  /** Contents of every special added token (and of tokenizer_config's additional_special_tokens). */
  readonly specialTokens: readonly string[];
  /** tokenizer_config.json's model_max_length when it sets a real limit. */
  readonly modelMaxLength?: number;
  /** The chat template's Jinja source, when the tokenizer has one. */
  readonly chatTemplate?: string;
  /** The folder (or file) it was loaded from, for messages. */
  readonly source: string;

  private readonly lib: LibTokenizer;
  private readonly vocab: readonly (string | undefined)[];
  private readonly json: Json;
  private readonly fileBytes: ReadonlyMap<string, Uint8Array>;
  private readonly template?: ChatTemplate;
  private readonly templateVars: Record<string, unknown>;

  /**
   * Build from the files of a tokenizer folder (name → bytes; tokenizer.json required). `source`
   * is the folder they came from, used in messages. Prefer {@link loadHfTokenizer}.
   */
  constructor(files: ReadonlyMap<string, Uint8Array>, source: string, opts: LoadHfTokenizerOptions = {}) {
    this.source = source;
    const at = (name: string): string => path.join(source, name);
    const jsonBytes = files.get(TOKENIZER_JSON);
    if (jsonBytes === undefined) throw missingTokenizerJson(source);
    this.fileBytes = new Map([...files].filter(([name]) => (TOKENIZER_FILES as readonly string[]).includes(name)));
    const jsonFile = at(TOKENIZER_JSON);
    const json = parseJsonObject(jsonFile, jsonBytes, 'tokenizer/bad-json', 'Restore tokenizer.json from the model\'s original folder (or save the tokenizer again).');
    this.json = json;
    checkTokenizerJson(json, jsonFile);

    const readOptional = (name: string): Json | undefined => {
      const b = files.get(name);
      return b === undefined ? undefined : parseJsonObject(at(name), b, 'tokenizer/bad-config', `Restore ${name} from the model's original folder, or delete it to use the defaults.`);
    };
    const config = readOptional(TOKENIZER_CONFIG);
    const specialMap = readOptional(SPECIAL_TOKENS_MAP);
    const generation = files.has(GENERATION_CONFIG) ? readOptional(GENERATION_CONFIG) : undefined;
    const legacy = config === undefined && specialMap === undefined;

    const extraSpecial = [config?.additional_special_tokens, specialMap?.additional_special_tokens]
      .flatMap((v) => (Array.isArray(v) ? v.map(tokenText) : []))
      .filter((t): t is string => typeof t === 'string');
    try {
      this.lib = new HfLibTokenizer(json, { additional_special_tokens: extraSpecial });
    } catch (e) {
      throw diag('tokenizer/unsupported', `${jsonFile}: @huggingface/tokenizers cannot build this tokenizer (${(e as Error).message})`, jsonFile, `Supported: ${SUPPORTED_TOKENIZER_MODELS.join(', ')} models with the normalizers, pre-tokenizers, post-processors and decoders of @huggingface/tokenizers (byte-level BPE as GPT-2, Llama-3, Qwen2 and SmolLM2 use is tested).`);
    }
    const libModel = (this.lib as unknown as { model: { vocab: (string | undefined)[]; cache?: { capacity?: unknown } } }).model;
    // the library memoises BPE per pre-token in an LRU of 10,000 entries, fewer than a corpus has
    // distinct words; the hand-written encoder keeps 100,000 (memoising changes no id)
    if (typeof libModel.cache?.capacity === 'number') libModel.cache.capacity = Math.max(libModel.cache.capacity, MEMO_ENTRIES);
    this.vocab = libModel.vocab;
    this.vocabSize = this.vocab.length;
    const added = (json.added_tokens as { content: string; special?: boolean }[] | undefined) ?? [];
    this.specialTokens = [...new Set([...added.filter((a) => a.special === true).map((a) => a.content), ...extraSpecial])];

    // special tokens: tokenizer_config.json, else special_tokens_map.json, else the end-of-text convention
    const declared = (name: string): { text: string | null | undefined; file: string } => {
      for (const [obj, file] of [[config, TOKENIZER_CONFIG], [specialMap, SPECIAL_TOKENS_MAP]] as const) {
        if (obj !== undefined && obj[name] !== undefined) return { text: tokenText(obj[name]), file };
      }
      return { text: undefined, file: TOKENIZER_CONFIG };
    };
    const idOf = (name: string): { token: string; id: number } | undefined => {
      const { text, file } = declared(name);
      if (typeof text !== 'string') return undefined;
      const id = this.lib.token_to_id(text);
      if (id === undefined) {
        throw diag('tokenizer/unknown-special-token', `${at(file)}: ${name} is "${text}", which is not in the vocabulary of ${jsonFile}`, at(file), `Set ${name} to a token of tokenizer.json's vocabulary or added_tokens (the two files must come from the same model).`, `/${name}`);
      }
      return { token: text, id };
    };
    const endOfText = this.lib.token_to_id(END_OF_TEXT) !== undefined ? { token: END_OF_TEXT, id: this.lib.token_to_id(END_OF_TEXT) as number } : undefined;

    const eos = idOf('eos_token') ?? endOfText;
    if (eos === undefined) {
      throw diag('tokenizer/no-eos', `${source}: no end-of-sequence token: ${TOKENIZER_CONFIG} names no eos_token and the vocabulary has no "${END_OF_TEXT}"`, at(TOKENIZER_CONFIG), `Add ${TOKENIZER_CONFIG} with "eos_token": "<the model's end token>" (copy it from the model's original folder).`, '/eos_token');
    }
    this.eosId = eos.id;
    this.eosToken = eos.token;
    const pad = idOf('pad_token') ?? eos;
    this.padId = pad.id;
    this.padToken = pad.token;

    // what the post-processor puts around a text
    const probe = 'a';
    const bare: number[] = this.lib.encode(probe, { add_special_tokens: false }).ids;
    const full: number[] = this.lib.encode(probe, { add_special_tokens: true }).ids;
    let k = 0;
    while (k + bare.length <= full.length && !bare.every((id, i) => full[k + i] === id)) k++;
    const postPrefix = k + bare.length <= full.length ? full.slice(0, k) : [];
    const postSuffix = k + bare.length <= full.length ? full.slice(k + bare.length) : [];

    const bosDeclared = declared('bos_token');
    let bos = idOf('bos_token');
    if (bos === undefined && bosDeclared.text === undefined) {
      // undeclared: the token the post-processor puts first, else the end-of-text token (GPT-2's class default)
      bos = postPrefix.length === 1 ? { token: this.vocab[postPrefix[0]] as string, id: postPrefix[0] } : endOfText;
    }
    this.bosToken = bos?.token;
    const cfgAddBos = typeof config?.add_bos_token === 'boolean' ? config.add_bos_token : undefined;
    const cfgAddEos = typeof config?.add_eos_token === 'boolean' ? config.add_eos_token : undefined;
    this.addBos = opts.addBos ?? cfgAddBos ?? (postPrefix.length > 0 ? true : legacy && bos !== undefined);
    this.addEos = cfgAddEos ?? postSuffix.length > 0;
    if (this.addBos) {
      if (bos === undefined) {
        throw diag('tokenizer/no-bos', `${source}: BOS is to be added to every text (add_bos_token), but no bos_token is declared`, at(TOKENIZER_CONFIG), `Set "bos_token" in ${TOKENIZER_CONFIG}, or set "add_bos_token": false.`, '/bos_token');
      }
      this.bosId = bos.id;
    }

    const stops = [this.eosId];
    const genEos = generation?.eos_token_id;
    for (const id of Array.isArray(genEos) ? genEos : [genEos]) {
      if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < this.vocabSize && !stops.includes(id)) stops.push(id);
    }
    this.stopIds = stops;

    const maxLen = config?.model_max_length;
    if (typeof maxLen === 'number' && maxLen > 0 && maxLen < NO_LENGTH_LIMIT) this.modelMaxLength = maxLen;

    // chat template: chat_template.jinja, else chat_template.json, else tokenizer_config.json
    let template: { text: string; file: string; pointer?: string } | undefined;
    const jinja = files.get(CHAT_TEMPLATE_JINJA);
    if (jinja !== undefined) template = { text: Buffer.from(jinja).toString('utf8'), file: at(CHAT_TEMPLATE_JINJA) };
    else {
      const ctJson = readOptional(CHAT_TEMPLATE_JSON);
      const fromObj = (obj: Json | undefined, file: string): typeof template => {
        const v = obj?.chat_template;
        if (typeof v === 'string') return { text: v, file, pointer: '/chat_template' };
        if (Array.isArray(v)) {
          // named templates: [{ name, template }]; the one called "default" is the chat template
          const i = v.findIndex((t) => (t as { name?: unknown })?.name === 'default');
          const t = v[i] as { template?: unknown } | undefined;
          if (typeof t?.template === 'string') return { text: t.template, file, pointer: `/chat_template/${i}/template` };
        }
        return undefined;
      };
      template = fromObj(ctJson, at(CHAT_TEMPLATE_JSON)) ?? fromObj(config, at(TOKENIZER_CONFIG));
    }
    if (template !== undefined) {
      this.chatTemplate = template.text;
      this.template = new ChatTemplate(template.text, { file: template.file, ...(template.pointer === undefined ? {} : { pointer: template.pointer }) });
    }
    // the variables transformers passes to a template: the special-token strings of the config
    const vars: Record<string, unknown> = {};
    for (const name of ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token']) {
      const t = declared(name).text;
      if (typeof t === 'string') vars[name] = t;
    }
    vars.bos_token ??= this.bosToken;
    vars.eos_token ??= this.eosToken;
    vars.additional_special_tokens = extraSpecial;
    this.templateVars = vars;
  }

  /** Token ids of `text` (special-token strings inside it become their ids). */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids = this.lib.encode(text, { add_special_tokens: false }).ids;
    if (!opts.addSpecialTokens) return ids;
    return [...(this.addBos && this.bosId !== undefined ? [this.bosId] : []), ...ids, ...(this.addEos ? [this.eosId] : [])];
  }

  /**
   * Text of `ids`. Bytes that do not form valid UTF-8 (a completion cut inside a character) become
   * U+FFFD. Throws a RangeError for an id outside the vocabulary.
   */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize || this.vocab[id] === undefined) {
        throw new RangeError(`token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
    }
    if (ids.length === 0) return '';
    return this.lib.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false });
  }

  /** The vocabulary entries of `text`'s tokens (e.g. "Ġthe"), as Hugging Face's `tokenize` gives them. */
  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.vocab[id] as string);
  }

  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.vocab[id] : undefined;
  }

  tokenToId(token: string): number | undefined {
    return this.lib.token_to_id(token);
  }

  /**
   * Render a conversation with the chat template, as `transformers`' `apply_chat_template(...,
   * tokenize=False)` does. Throws `tokenizer/no-chat-template` when the tokenizer has none.
   */
  applyChatTemplate(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
    if (this.template === undefined) {
      throw diag('tokenizer/no-chat-template', `${this.source}: the tokenizer has no chat template (no chat_template in ${TOKENIZER_CONFIG}, no ${CHAT_TEMPLATE_JINJA})`, path.join(this.source, TOKENIZER_CONFIG), 'Use an instruct (chat) model, whose tokenizer_config.json holds a chat_template, or turn the chat template option off.', '/chat_template');
    }
    return this.template.render(messages, this.templateVars, opts);
  }

  /** The tokenizer.json object (what `JSON.stringify(tokenizer)` writes). */
  toJSON(): Json {
    return this.json;
  }

  /** The tokenizer's files as they were read (tokenizer.json, tokenizer_config.json, ...): name → bytes. */
  files(): ReadonlyMap<string, Uint8Array> {
    return this.fileBytes;
  }
}

function missingTokenizerJson(dir: string): DiagnosticError {
  const hasSlow = fs.existsSync(path.join(dir, 'vocab.json')) && fs.existsSync(path.join(dir, 'merges.txt'));
  return diag(
    'tokenizer/missing-file',
    `${dir} has no ${TOKENIZER_JSON}${hasSlow ? ' (only the vocab.json + merges.txt of a "slow" tokenizer)' : ''}`,
    path.join(dir, TOKENIZER_JSON),
    hasSlow
      ? `Write tokenizer.json once with Python: AutoTokenizer.from_pretrained("${dir}").save_pretrained("${dir}") (transformers converts the slow files).`
      : 'Point at a model folder downloaded from the Hugging Face Hub (it holds tokenizer.json and tokenizer_config.json), or at a checkpoint written by rlhfjs.',
  );
}

/** The fields of tokenizer.json this loader relies on; throws a DiagnosticError naming the first bad one. */
function checkTokenizerJson(json: Json, file: string): void {
  const model = json.model as Json | undefined;
  const fix = 'Restore tokenizer.json from the model\'s original folder.';
  if (typeof model !== 'object' || model === null) throw diag('tokenizer/bad-json', `${file} has no "model" object`, file, fix, '/model');
  const type = model.type ?? (model.merges !== undefined ? 'BPE' : undefined);
  if (!(SUPPORTED_TOKENIZER_MODELS as readonly unknown[]).includes(type)) {
    throw diag(
      'tokenizer/unsupported-model',
      `${file}: model.type is ${JSON.stringify(type)}; supported: ${SUPPORTED_TOKENIZER_MODELS.map((t) => `"${t}"`).join(', ')}`,
      file,
      'Use a model with a BPE tokenizer (GPT-2, Llama-3, Qwen2, SmolLM2 and most causal language models); WordPiece and Unigram tokenizers (BERT, T5) are not supported.',
      '/model/type',
    );
  }
  if (typeof model.vocab !== 'object' || model.vocab === null || Array.isArray(model.vocab)) throw diag('tokenizer/bad-json', `${file}: model.vocab is missing or not an object`, file, fix, '/model/vocab');
  if (!Array.isArray(model.merges)) throw diag('tokenizer/bad-json', `${file}: model.merges is missing or not an array`, file, fix, '/model/merges');
  if (json.added_tokens !== undefined && !Array.isArray(json.added_tokens)) throw diag('tokenizer/bad-json', `${file}: added_tokens is not an array`, file, fix, '/added_tokens');
  ((json.added_tokens as unknown[] | undefined) ?? []).forEach((t, i) => {
    const a = t as { id?: unknown; content?: unknown };
    if (typeof a?.content !== 'string' || typeof a.id !== 'number' || !Number.isInteger(a.id) || a.id < 0) {
      throw diag('tokenizer/bad-json', `${file}: added_tokens[${i}] needs an integer "id" and a string "content"`, file, fix, `/added_tokens/${i}`);
    }
  });
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
    if (!(key in json)) throw diag('tokenizer/bad-json', `${file} has no "${key}" field (null when unused)`, file, fix, `/${key}`);
  }
}

/**
 * Load a tokenizer from a model folder (tokenizer.json, and tokenizer_config.json,
 * special_tokens_map.json, chat_template.jinja, generation_config.json when present) or from a
 * tokenizer.json file (the other files are read from beside it).
 */
export function loadHfTokenizer(folderOrFile: string, opts: LoadHfTokenizerOptions = {}): HfTokenizer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folderOrFile);
  } catch {
    throw diag('tokenizer/missing', `${folderOrFile} does not exist`, folderOrFile, 'Point at a model folder (with tokenizer.json) or at a tokenizer.json file; relative paths in a recipe are resolved against the recipe file.');
  }
  const dir = stat.isDirectory() ? folderOrFile : path.dirname(folderOrFile);
  const files = new Map<string, Uint8Array>();
  if (!stat.isDirectory()) files.set(TOKENIZER_JSON, fs.readFileSync(folderOrFile));
  for (const name of [...TOKENIZER_FILES, GENERATION_CONFIG]) {
    if (files.has(name)) continue;
    const f = path.join(dir, name);
    if (fs.existsSync(f) && fs.statSync(f).isFile()) files.set(name, fs.readFileSync(f));
  }
  if (!files.has(TOKENIZER_JSON)) throw missingTokenizerJson(dir);
  // a tokenizer.json under another name: its messages name the file itself
  const source = stat.isDirectory() || path.basename(folderOrFile) === TOKENIZER_JSON ? dir : folderOrFile;
  try {
    return new HfTokenizer(files, source, opts);
  } catch (e) {
    if (DiagnosticError.is(e) && source !== dir) for (const d of e.diagnostics) if (d.file === path.join(source, TOKENIZER_JSON)) d.file = folderOrFile;
    throw e;
  }
}

/** Write a tokenizer's files into `dir` (which must exist), byte for byte as they were read. */
export function saveTokenizerFiles(tokenizer: HfTokenizer, dir: string): void {
  for (const [name, bytes] of tokenizer.files()) fs.writeFileSync(path.join(dir, name), bytes);
}

/**
 * Throw unless every token id of `tokenizer` has a row in a model's embedding of `embeddingRows`
 * rows (an embedding may be larger: some models pad it to a round size). `where` names the file
 * (and pointer) the row count comes from.
 */
export function assertVocabFits(tokenizer: { readonly vocabSize: number; readonly source?: string }, embeddingRows: number, where: { file: string; pointer?: string; tensor?: string }): void {
  if (tokenizer.vocabSize <= embeddingRows) return;
  const tok = tokenizer.source === undefined ? 'the tokenizer' : `the tokenizer of ${tokenizer.source}`;
  throw new DiagnosticError({
    code: 'tokenizer/vocab-too-large',
    message: `${where.file}: ${tok} has ${tokenizer.vocabSize} tokens (ids 0..${tokenizer.vocabSize - 1}), but the model's embedding${where.tensor ? ` ${where.tensor}` : ''} has only ${embeddingRows} rows`,
    file: where.file,
    ...(where.pointer === undefined ? {} : { pointer: where.pointer }),
    plugin: PLUGIN,
    fix: 'Use the tokenizer files saved with these weights (the same model folder); a tokenizer with added tokens needs an embedding resized to at least its vocabulary size.',
  });
}
