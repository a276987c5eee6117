import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelFootprint } from '@rlhfjs/core';
import { CONFIG_FILE } from '../checkpoint/checkpoint';
import { fromCheckpointConfig } from './checkpoint-io';
import { MODEL_TYPE, parameterCount, validateConfig, type GPTConfig } from './config';
import { gptLoraModules } from './gpt';
import { matchesTarget } from '../lora/adapters';
import { ADAPTER_CONFIG_FILE } from '../lora/peft-format';

interface LoraSpec {
  rank: number;
  targetModules: string[];
}

function adapterSpec(dir: string): LoraSpec | undefined {
  const file = path.join(dir, ADAPTER_CONFIG_FILE);
  if (!fs.existsSync(file)) return undefined;
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { r?: number; target_modules?: string[] };
  return { rank: raw.r ?? 0, targetModules: raw.target_modules ?? [] };
}

/** Parameters of the adapters `lora` puts on a model of `config`: r·(in + out) per adapted projection. */
export function loraParameterCount(config: GPTConfig, lora: LoraSpec): number {
  return gptLoraModules(config)
    .filter((m) => matchesTarget(m.name, lora.targetModules))
    .reduce((s, m) => s + lora.rank * (m.inFeatures + m.outFeatures), 0);
}

/**
 * The size of the model the gpt agent's options build, without loading weights: the architecture
 * from the checkpoint's config.json (or `init`), adapters from `lora` (or a saved adapter).
 */
export function gptFootprint(options: Record<string, unknown>, resolvePath: (p: string) => string): ModelFootprint | undefined {
  let config: GPTConfig;
  let saved: LoraSpec | undefined;
  if (typeof options.checkpoint === 'string') {
    const dir = resolvePath(options.checkpoint);
    const file = path.join(dir, CONFIG_FILE);
    if (!fs.existsSync(file)) return undefined;
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    // another architecture's folder: its own loader reports its size (or nothing)
    if (raw.model_type !== MODEL_TYPE) return undefined;
    config = fromCheckpointConfig(raw, file);
    saved = adapterSpec(dir);
  } else if (options.init && typeof options.init === 'object') {
    const init = options.init as Record<string, unknown> & { tokenizer?: { file?: string; vocabSize?: number } };
    let vocabSize = init.tokenizer?.vocabSize ?? 2048;
    if (init.tokenizer?.file) {
      const tf = resolvePath(init.tokenizer.file);
      if (!fs.existsSync(tf)) return undefined;
      const tok = JSON.parse(fs.readFileSync(tf, 'utf8')) as { model?: { vocab?: Record<string, number> }; added_tokens?: { id: number }[] };
      const ids = [...Object.values(tok.model?.vocab ?? {}), ...(tok.added_tokens ?? []).map((t) => t.id)];
      vocabSize = ids.length ? Math.max(...ids) + 1 : vocabSize;
    }
    if (typeof init.vocabSize === 'number') vocabSize = Math.max(vocabSize, init.vocabSize);
    config = validateConfig({ ...(init as Partial<GPTConfig>), vocabSize, valueHead: false, dropout: 0 });
  } else return undefined;
  const head = options.valueHead === true || config.valueHead;
  const cfg = { ...config, valueHead: head };
  const base = parameterCount(cfg);
  const opt = options.lora as { rank?: number; targetModules?: string[]; from?: string } | undefined;
  const lora: LoraSpec | undefined = saved ?? (opt ? (opt.from ? adapterSpec(resolvePath(opt.from)) : { rank: opt.rank ?? 8, targetModules: opt.targetModules ?? ['c_attn'] }) : undefined);
  const adapters = lora ? loraParameterCount(config, lora) : 0;
  return {
    parameters: base + adapters,
    trainableParameters: lora ? adapters + (head ? cfg.dModel + 1 : 0) : base,
    nLayers: cfg.nLayers,
    dModel: cfg.dModel,
    nHeads: cfg.nHeads,
    dMlp: cfg.dMlp,
    vocabSize: cfg.vocabSize,
    contextSize: cfg.contextSize,
    lora: lora !== undefined,
  };
}
