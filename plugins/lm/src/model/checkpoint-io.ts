import type * as tfc from '@tensorflow/tfjs-core';
import { DiagnosticError, type Rng, type TF } from '@rlhfjs/core';
import { checkTensorShapes, readCheckpoint, writeCheckpoint, CONFIG_FILE } from '../checkpoint/checkpoint';
import type { NamedTensor } from '../checkpoint/safetensors';
import * as path from 'node:path';
import { MODEL_TYPE, validateConfig, type GPTConfig } from './config';
import { GPTModel, gptLoraModules } from './gpt';
import { LoraAdapters, type LoraSettings } from '../lora/adapters';
import { hasAdapter, readAdapter } from '../lora/peft-format';
import { weightShapes, type WeightArray } from './init';
import { assertVocabFits } from '../tokenizer/hf-tokenizer';

export const PACKAGE_NAME = '@rlhfjs/plugin-lm';

/** config.json of a GPT checkpoint (Hugging Face GPT-2 field names where one exists). */
export interface GPTCheckpointConfig {
  model_type: typeof MODEL_TYPE;
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner: number;
  tie_word_embeddings: boolean;
  value_head: boolean;
  activation_function: 'gelu_new';
  layer_norm_epsilon: number;
  dropout: number;
  torch_dtype: 'float32';
  /** Which plugin loads this checkpoint. */
  rlhfjs: { package: string; agent: 'gpt' };
  [extra: string]: unknown;
}

/** Each architecture field of {@link GPTConfig} and its name in config.json, in the file's order; read and written through this one table. */
const CHECKPOINT_FIELDS = [
  ['vocabSize', 'vocab_size'],
  ['contextSize', 'n_positions'],
  ['dModel', 'n_embd'],
  ['nLayers', 'n_layer'],
  ['nHeads', 'n_head'],
  ['dMlp', 'n_inner'],
  ['tieEmbeddings', 'tie_word_embeddings'],
  ['valueHead', 'value_head'],
] as const satisfies ReadonlyArray<readonly [keyof GPTConfig, keyof GPTCheckpointConfig]>;

export function toCheckpointConfig(c: GPTConfig, extra: Record<string, unknown> = {}): GPTCheckpointConfig {
  return {
    model_type: MODEL_TYPE,
    ...(Object.fromEntries(CHECKPOINT_FIELDS.map(([field, name]) => [name, c[field]])) as Pick<GPTCheckpointConfig, (typeof CHECKPOINT_FIELDS)[number][1]>),
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    dropout: 0,
    torch_dtype: 'float32',
    ...extra,
    rlhfjs: { package: PACKAGE_NAME, agent: 'gpt' },
  };
}

export function fromCheckpointConfig(raw: Record<string, unknown>, file: string): GPTConfig {
  if (raw.model_type !== MODEL_TYPE) {
    throw new DiagnosticError({
      code: 'lm/wrong-model-type',
      message: `${file}: model_type is ${JSON.stringify(raw.model_type)}, but the gpt agent loads "${MODEL_TYPE}" checkpoints`,
      file,
      pointer: '/model_type',
      fix: `Point the agent at a checkpoint written by @rlhfjs/plugin-lm (its config.json says "model_type": "${MODEL_TYPE}").`,
    });
  }
  const fields = Object.fromEntries(CHECKPOINT_FIELDS.map(([field, name]) => [field, raw[name]])) as Partial<GPTConfig>;
  return validateConfig({ ...fields, dropout: (raw.dropout as number) ?? 0 }, { file });
}

/** Write a model as a self-contained checkpoint directory (atomically). */
export async function saveModel(model: GPTModel, dir: string, extra: { config?: Record<string, unknown>; extraFiles?: Record<string, string | Uint8Array> } = {}): Promise<void> {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, w] of await model.weightArrays()) tensors.set(name, { dtype: 'F32', shape: w.shape, data: w.data });
  await writeCheckpoint(dir, {
    config: toCheckpointConfig(model.config, extra.config),
    tokenizer: model.tokenizer as never,
    tensors,
    extraFiles: extra.extraFiles,
  });
}

export interface LoadPolicyOptions {
  /** Add a freshly initialised value head (drawn from `rng`) when the checkpoint has none. */
  valueHead?: boolean;
  rng?: Rng;
  trainable?: boolean;
  /** Put LoRA adapters on the policy (fresh ones drawn from `lora.rng`, or those of the adapter folder `lora.from`). */
  lora?: LoraLoadOptions;
}

export interface LoraLoadOptions {
  settings: LoraSettings;
  /** An adapter folder (adapter_config.json + adapter_model.safetensors) to start from; its settings replace `settings`. */
  from?: string;
  rng: Rng;
  /** Where errors point (the recipe's lora options). */
  pointer?: string;
  plugin?: string;
}

/** Load a GPT policy from a checkpoint directory written by {@link saveModel}. */
export function loadPolicy(dir: string, tf: TF, opts: LoadPolicyOptions = {}): GPTModel {
  const ck = readCheckpoint(dir);
  const file = path.join(dir, CONFIG_FILE);
  const config = fromCheckpointConfig(ck.config, file);
  assertVocabFits(ck.tokenizer, config.vocabSize, { file, pointer: '/vocab_size' });
  const expected = new Map<string, readonly number[]>(weightShapes(config));
  checkTensorShapes(path.join(dir, 'model.safetensors'), ck.tensors, expected);
  const weights = new Map<string, WeightArray | tfc.Tensor>();
  for (const [name, t] of ck.tensors) {
    if (t.dtype !== 'F32') throw new DiagnosticError({ code: 'lm/bad-dtype', message: `${dir}: weight "${name}" is ${t.dtype}, expected F32`, file: dir, fix: 'Weights are stored as float32.' });
    weights.set(name, { shape: t.shape, data: t.data as Float32Array });
  }
  let model = new GPTModel(tf, config, ck.tokenizer, weights, opts.trainable ?? true);
  if (opts.valueHead && !config.valueHead) {
    if (!opts.rng) throw new Error('loadPolicy: adding a value head needs an rng');
    const withHead = model.withValueHead(opts.rng);
    model.dispose();
    model = withHead;
  }
  if (hasAdapter(dir)) {
    if (opts.lora) {
      model.dispose();
      throw new DiagnosticError({
        code: 'lm/lora-twice',
        file: dir,
        pointer: opts.lora.pointer,
        plugin: opts.lora.plugin,
        message: `${dir} already carries a LoRA adapter (adapter_config.json), and the agent's lora options would add another`,
        fix: 'drop `lora` to keep training the saved adapter, or merge it first (rlhf merge-lora <dir> --out <merged>) and put new adapters on the merged model',
      });
    }
    // a saved LoRA policy: its base (model.safetensors) with its adapter on; the reference keeps that adapter
    return attachAdapter(model, dir, { pointer: undefined, plugin: undefined }, 'copy');
  }
  if (opts.lora) {
    const l = opts.lora;
    const where = { pointer: l.pointer, plugin: l.plugin };
    if (l.from) return attachAdapter(model, l.from, where, 'copy', dir);
    let adapters: LoraAdapters;
    try {
      adapters = LoraAdapters.create(tf, l.settings, gptLoraModules(model.config), l.rng, where);
    } catch (e) {
      model.dispose();
      throw e;
    }
    const withLora = model.withLora(adapters, { referenceAdapters: 'off', adapterBase: dir });
    model.dispose();
    return withLora;
  }
  return model;
}

/** The model with the adapter of folder `adapterDir` on (it takes over and disposes `model`). */
function attachAdapter(model: GPTModel, adapterDir: string, where: { pointer?: string; plugin?: string }, referenceAdapters: 'off' | 'copy', base?: string): GPTModel {
  let adapters: LoraAdapters;
  let adapterBase: string | undefined;
  try {
    const a = readAdapter(adapterDir, where);
    adapterBase = base ?? a.config.base_model_name_or_path ?? undefined;
    // dropout only acts while training a PEFT model; here the adapter runs without it (see adapters.ts)
    adapters = LoraAdapters.fromTensors(model.tf, { ...a.settings, dropout: 0 }, gptLoraModules(model.config), a.tensors, { ...where, file: path.join(adapterDir, 'adapter_model.safetensors') }, model.trainable);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const withLora = model.withLora(adapters, { referenceAdapters, adapterBase });
  model.dispose();
  return withLora;
}
