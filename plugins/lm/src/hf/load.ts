/**
 * Load a Hugging Face model folder (config.json, tokenizer.json, model.safetensors or shards).
 * Everything is checked first (config, every tensor's name, shape and dtype in the headers, the
 * tokenizer against the embedding); only then are tensors read, one at a time, so a bad folder
 * loads nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { DiagnosticError, type Diagnostic, type Rng, type TF } from '@rlhfjs/core';
import { embeddingName, isBuffer, parseHFConfig, tensorSpecs, type HFArch, type TensorSpec } from './config';
import { HFCausalLM, VALUE_HEAD, type HFSource } from './model';
import { INDEX_FILE, readHeader, readTensorF32, readWeightsLayout, SINGLE_FILE, type TensorEntry } from './safetensors-io';
import { loadHfTokenizer } from '../tokenizer';
import { transpose2d, VALUE_HEAD_FILE } from './export';
import { LoraAdapters } from '../lora/adapters';
import { ADAPTER_WEIGHTS_FILE, hasAdapter, readAdapter } from '../lora/peft-format';
import type { LoraLoadOptions } from '../model/checkpoint-io';
import { hfLoraModules, normaliseAdapterNames } from './lora';

/** Files copied verbatim from the source folder on export (those that exist). */
export const COPIED_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'added_tokens.json', 'tokenizer.model', 'generation_config.json', 'chat_template.jinja', 'chat_template.json'];

export interface LoadHFOptions {
  /** Give the model a value head: the saved one (value_head.safetensors), else a fresh one drawn from `rng`. A saved head is always kept. */
  valueHead?: boolean;
  rng?: Rng;
  trainable?: boolean;
  /** Keep embedding rows beyond the tokenizer's vocabulary in the distribution (as transformers does); default false: they get logit −1e9. */
  fullVocabulary?: boolean;
  /** Write the weights back in the dtypes they were read in ("original", the default), or all in float32. */
  saveDtype?: 'original' | 'float32';
  /** Put LoRA adapters on the model: fresh ones drawn from `lora.rng`, or those of the adapter folder `lora.from`. */
  lora?: LoraLoadOptions;
  /** An adapter folder to put on the loaded model (LoadModelOptions.adapter); its adapter_config.json gives the settings. */
  adapter?: string;
}

function readConfig(dir: string): { raw: Record<string, unknown>; file: string } {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir);
  } catch {
    stat = undefined;
  }
  if (!stat?.isDirectory()) {
    throw new DiagnosticError({ code: 'hf/missing-dir', file: dir, message: `${dir} is not a folder`, fix: 'Point `path` at a Hugging Face model folder (config.json, tokenizer.json, model.safetensors), e.g. one downloaded with `huggingface-cli download gpt2 --local-dir models/gpt2`.' });
  }
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) {
    throw new DiagnosticError({ code: 'hf/no-config', file, message: `${dir} has no config.json, so its architecture is unknown`, fix: 'Download config.json with the model (it ships beside model.safetensors on the Hugging Face Hub).' });
  }
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not a JSON object');
    return { raw: raw as Record<string, unknown>, file };
  } catch (e) {
    throw new DiagnosticError({ code: 'hf/bad-json', file, message: `${file} is not a valid JSON object (${(e as Error).message})`, fix: 'Download config.json again.' });
  }
}

/** The trunk's name prefix: "transformer." (GPT2LMHeadModel, GPTNeoForCausalLM) or "" (a bare GPT2Model checkpoint such as the Hub's gpt2); "" for the llama family. */
function detectPrefix(arch: HFArch, entries: Map<string, TensorEntry>): string {
  if (arch.family === 'llama') return '';
  if (entries.has('transformer.wte.weight')) return 'transformer.';
  if (entries.has('wte.weight')) return '';
  return 'transformer.';
}

/** Check every tensor against the architecture; one error listing every problem. */
function checkTensors(dir: string, arch: HFArch, prefix: string, entries: Map<string, TensorEntry>, specs: TensorSpec[], sharded: boolean): { tiedHead?: TensorEntry } {
  const problems: Diagnostic[] = [];
  const fileOf = (name: string) => entries.get(name)?.file ?? path.join(dir, sharded ? INDEX_FILE : SINGLE_FILE);
  const expected = new Set(specs.map((s) => s.name));
  const fix = 'The weights do not match config.json: use the config.json that was saved with these weights (check num_hidden_layers / n_layer, hidden_size / n_embd, vocab_size, num_key_value_heads, tie_word_embeddings).';
  for (const s of specs) {
    const e = entries.get(s.name);
    if (!e) problems.push({ code: 'hf/missing-tensor', file: fileOf(s.name), message: `${fileOf(s.name)}: tensor "${s.name}" [${s.shape}] is missing (config.json's ${arch.modelType} architecture needs it)`, fix });
    else if (e.shape.length !== s.shape.length || e.shape.some((d, i) => d !== s.shape[i])) {
      problems.push({ code: 'hf/shape-mismatch', file: e.file, message: `${e.file}: tensor "${s.name}" has shape [${e.shape}], config.json implies [${s.shape}]`, fix });
    }
  }
  let tiedHead: TensorEntry | undefined;
  for (const [name, e] of entries) {
    if (expected.has(name) || isBuffer(name)) continue;
    if (name === 'lm_head.weight' && arch.tieEmbeddings) {
      const want = [arch.vocabSize, arch.hidden];
      if (e.shape.length === 2 && e.shape[0] === want[0] && e.shape[1] === want[1]) {
        tiedHead = e;
        continue;
      }
    }
    problems.push({ code: 'hf/unexpected-tensor', file: e.file, message: `${e.file}: tensor "${name}" [${e.shape}] is not part of config.json's ${arch.modelType} architecture${prefix ? ` (names start with "${prefix}")` : ''}`, fix });
  }
  if (problems.length > 0) throw new DiagnosticError(problems);
  return { tiedHead };
}

/** Load a Hugging Face model folder as a policy. */
export function loadHF(dir: string, tf: TF, opts: LoadHFOptions = {}): HFCausalLM {
  const { raw, file } = readConfig(dir);
  const arch = parseHFConfig(raw, file);
  const layout = readWeightsLayout(dir);
  const prefix = detectPrefix(arch, layout.entries);
  const specs = tensorSpecs(arch, prefix);
  const { tiedHead } = checkTensors(dir, arch, prefix, layout.entries, specs, layout.weightMap !== undefined);
  const tokenizer = loadHfTokenizer(dir);
  if (tokenizer.vocabSize > arch.vocabSize) {
    const emb = layout.entries.get(embeddingName(arch, prefix))!;
    throw new DiagnosticError({
      code: 'hf/tokenizer-larger-than-embedding',
      file: path.join(dir, 'tokenizer.json'),
      message: `${path.join(dir, 'tokenizer.json')} has ${tokenizer.vocabSize} tokens, but the embedding "${emb.name}" in ${emb.file} has only ${arch.vocabSize} rows: token ids ≥ ${arch.vocabSize} would have no embedding`,
      fix: 'Use the tokenizer that ships with these weights, or resize the embedding (e.g. `model.resize_token_embeddings(len(tokenizer))` in transformers) and save again.',
    });
  }
  const vhFile = path.join(dir, VALUE_HEAD_FILE);
  let vh: Map<string, TensorEntry> | undefined;
  if (fs.existsSync(vhFile)) {
    vh = readHeader(vhFile);
    const want: Array<[string, number[]]> = [[VALUE_HEAD.weight, [arch.hidden, 1]], [VALUE_HEAD.bias, [1]]];
    for (const [name, shape] of want) {
      const e = vh.get(name);
      if (!e || e.shape.join() !== shape.join()) {
        throw new DiagnosticError({ code: 'hf/bad-value-head', file: vhFile, message: `${vhFile}: tensor "${name}" should have shape [${shape}]${e ? `, it has [${e.shape}]` : ' and is missing'}`, fix: `Delete ${VALUE_HEAD_FILE} to start from a fresh value head, or restore the file written with these weights.` });
      }
    }
  }
  if (opts.valueHead && !vh && !opts.rng) throw new Error('loadHF: adding a value head needs an rng');
  const files = new Map<string, Uint8Array>();
  for (const name of COPIED_FILES) {
    const f = path.join(dir, name);
    if (fs.existsSync(f)) files.set(name, fs.readFileSync(f));
  }
  const source: HFSource = {
    rawConfig: Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'rlhfjs')),
    prefix,
    tensors: specs.map((s) => ({ name: s.name, dtype: layout.entries.get(s.name)!.dtype, shape: s.shape, linear: s.linear })),
    tiedHeadStored: tiedHead?.dtype,
    weightMap: layout.weightMap,
    indexMetadata: layout.indexMetadata,
    files,
  };
  const trainable = opts.trainable ?? true;
  const weights = new Map<string, tfc.Variable>();
  const fds = new Map<string, number>();
  try {
    const load = (e: TensorEntry, linear: boolean) => {
      let fd = fds.get(e.file);
      if (fd === undefined) {
        fd = fs.openSync(e.file, 'r');
        fds.set(e.file, fd);
      }
      let data = readTensorF32(e, fd);
      let shape = e.shape;
      if (linear) {
        data = transpose2d(data, e.shape[0], e.shape[1]);
        shape = [e.shape[1], e.shape[0]];
      }
      const t = tf.tensor(data, shape, 'float32');
      weights.set(e.name, tf.variable(t, trainable, undefined, 'float32'));
      t.dispose();
    };
    for (const s of specs) load(layout.entries.get(s.name)!, s.linear);
    if (vh) for (const e of vh.values()) if (e.name === VALUE_HEAD.weight || e.name === VALUE_HEAD.bias) load(e, false);
  } catch (e) {
    weights.forEach((v) => v.dispose());
    throw e;
  } finally {
    fds.forEach((fd) => fs.closeSync(fd));
  }
  let model = new HFCausalLM(tf, arch, tokenizer, weights, source, trainable, opts.fullVocabulary ?? false, opts.saveDtype ?? 'original');
  if (opts.valueHead && !vh) model = model.withValueHead(opts.rng!);
  return withAdapters(model, dir, opts);
}

/**
 * LoRA on a loaded model (it takes over `model`): the adapter saved in the folder itself (a LoRA
 * run's policy: the reference keeps a frozen copy of it), else `opts.adapter`, else the `lora`
 * options (fresh adapters, reference = the base with adapters off; or `lora.from`'s adapter).
 */
function withAdapters(model: HFCausalLM, dir: string, opts: LoadHFOptions): HFCausalLM {
  const l = opts.lora;
  const where = { pointer: l?.pointer, plugin: l?.plugin };
  try {
    if (hasAdapter(dir)) {
      if (l) {
        throw new DiagnosticError({
          code: 'lm/lora-twice',
          file: dir,
          ...where,
          message: `${dir} already carries a LoRA adapter (adapter_config.json), and the agent's lora options would add another`,
          fix: 'drop `lora` to keep training the saved adapter, or merge it first (rlhf merge-lora <dir> --out <merged>) and put new adapters on the merged model',
        });
      }
      return attach(model, dir, where, undefined);
    }
    if (opts.adapter) return attach(model, opts.adapter, where, dir);
    if (!l) return model;
    if (l.from) return attach(model, l.from, where, dir);
    const adapters = LoraAdapters.create(model.tf, l.settings, hfLoraModules(model.arch), l.rng, where);
    return model.withLora(adapters, { referenceAdapters: 'off', adapterBase: dir });
  } catch (e) {
    model.dispose();
    throw e;
  }
}

function attach(model: HFCausalLM, adapterDir: string, where: { pointer?: string; plugin?: string }, base: string | undefined): HFCausalLM {
  const a = readAdapter(adapterDir, where);
  // dropout only acts while training a PEFT model; here the adapter runs without it (see ../lora/adapters.ts)
  const adapters = LoraAdapters.fromTensors(model.tf, { ...a.settings, dropout: 0 }, hfLoraModules(model.arch), normaliseAdapterNames(model.arch, a.tensors), { ...where, file: path.join(adapterDir, ADAPTER_WEIGHTS_FILE) }, model.trainable);
  return model.withLora(adapters, { referenceAdapters: 'copy', adapterBase: base ?? a.config.base_model_name_or_path ?? undefined });
}
