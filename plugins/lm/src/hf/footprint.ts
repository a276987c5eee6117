import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelFootprint } from '@rlhfjs/core';
import { parseHFConfig, tensorSpecs } from './config';
import { hfLoraModules } from './lora';
import { matchesTarget } from '../lora/adapters';
import { ADAPTER_CONFIG_FILE } from '../lora/peft-format';

function adapterSpec(dir: string): { rank: number; targetModules: string[] } | undefined {
  const file = path.join(dir, ADAPTER_CONFIG_FILE);
  if (!fs.existsSync(file)) return undefined;
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { r?: number; target_modules?: string[] };
  return { rank: raw.r ?? 0, targetModules: raw.target_modules ?? [] };
}

/**
 * The size of the model the hf-causal-lm agent's options load, from the folder's config.json alone
 * (no weights read): every parameter tensor config.json implies (a tied head counted once), the
 * value head (d + 1), and LoRA adapters r·(in + out) per adapted projection (the `lora` options, or
 * the adapter saved in the folder or named by `lora.from`).
 */
export function hfFootprint(options: Record<string, unknown>, resolvePath: (p: string) => string): ModelFootprint | undefined {
  if (typeof options.path !== 'string') return undefined;
  const dir = resolvePath(options.path);
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) return undefined;
  let arch;
  try {
    arch = parseHFConfig(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>, file);
  } catch {
    // the agent reports a bad folder when it loads; the plan leaves it out
    return undefined;
  }
  const head = options.valueHead === true || fs.existsSync(path.join(dir, 'value_head.safetensors'));
  const base = tensorSpecs(arch, '').reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0) + (head ? arch.hidden + 1 : 0);
  const opt = options.lora as { rank?: number; targetModules?: string[]; from?: string } | undefined;
  const lora = adapterSpec(dir) ?? (opt ? (opt.from ? adapterSpec(resolvePath(opt.from)) : { rank: opt.rank ?? 8, targetModules: opt.targetModules ?? ['c_attn'] }) : undefined);
  const adapters = lora ? hfLoraModules(arch).filter((m) => matchesTarget(m.name, lora.targetModules)).reduce((s, m) => s + lora.rank * (m.inFeatures + m.outFeatures), 0) : 0;
  return {
    parameters: base + adapters,
    trainableParameters: lora ? adapters + (head ? arch.hidden + 1 : 0) : base,
    nLayers: arch.layers,
    dModel: arch.hidden,
    nHeads: arch.heads,
    dMlp: arch.intermediate,
    vocabSize: arch.vocabSize,
    contextSize: arch.contextSize,
    lora: lora !== undefined,
  };
}
