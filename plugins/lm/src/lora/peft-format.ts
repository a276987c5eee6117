/**
 * PEFT's on-disk LoRA format: `adapter_config.json` (a LoraConfig) and
 * `adapter_model.safetensors` (float32 lora_A [r, in] and lora_B [out, r] under
 * `base_model.model.<module path>.lora_{A,B}.weight`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError, encodeSafetensors, readSafetensors, type NamedTensor } from '@rlhfjs/core';
import type { LoraAdapters, LoraSettings } from './adapters';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** The adapter_config.json fields written and read here (PEFT LoraConfig names). */
export interface PeftLoraConfig {
  peft_type: 'LORA';
  task_type: 'CAUSAL_LM';
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[];
  base_model_name_or_path: string | null;
  bias: 'none';
  /** True where the base stores weights as [in, out] (GPT-2's Conv1D, and the project GPT). */
  fan_in_fan_out: boolean;
  inference_mode: boolean;
  init_lora_weights: boolean;
  use_rslora: false;
  use_dora: false;
  modules_to_save: string[] | null;
  [extra: string]: unknown;
}

export function toPeftConfig(settings: LoraSettings, o: { base: string | null; fanInFanOut: boolean; modulesToSave?: string[] }): PeftLoraConfig {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: settings.rank,
    lora_alpha: settings.alpha,
    lora_dropout: settings.dropout,
    target_modules: [...settings.targetModules],
    base_model_name_or_path: o.base,
    bias: 'none',
    fan_in_fan_out: o.fanInFanOut,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: o.modulesToSave?.length ? o.modulesToSave : null,
  };
}

/** The two files of an adapter folder, as bytes/text for a checkpoint writer. */
export async function adapterFiles(adapters: LoraAdapters, config: PeftLoraConfig): Promise<Record<string, string | Uint8Array>> {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, v] of adapters.namedTensors()) tensors.set(name, { dtype: 'F32', shape: [...v.shape], data: new Float32Array(await v.data()) });
  return {
    [ADAPTER_CONFIG_FILE]: JSON.stringify(config, null, 2) + '\n',
    [ADAPTER_WEIGHTS_FILE]: encodeSafetensors(tensors, { format: 'pt' }),
  };
}

/** Whether a folder holds a PEFT adapter. */
export function hasAdapter(dir: string): boolean {
  return fs.existsSync(path.join(dir, ADAPTER_CONFIG_FILE));
}

export interface LoadedAdapter {
  dir: string;
  config: PeftLoraConfig;
  settings: LoraSettings;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

/** Read and check an adapter folder (adapter_config.json + adapter_model.safetensors). */
export function readAdapter(dir: string, where: { pointer?: string; plugin?: string } = {}): LoadedAdapter {
  const cfgFile = path.join(dir, ADAPTER_CONFIG_FILE);
  const wFile = path.join(dir, ADAPTER_WEIGHTS_FILE);
  if (!fs.existsSync(cfgFile)) {
    throw new DiagnosticError({ code: 'lm/lora-missing', ...where, file: cfgFile, message: `${dir} holds no ${ADAPTER_CONFIG_FILE}`, fix: 'point at a folder written with lora on (a run\'s final/ or checkpoints/step-N/policy) or a PEFT adapter folder' });
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new DiagnosticError({ code: 'lm/lora-bad-config', ...where, file: cfgFile, message: `not valid JSON: ${(e as Error).message}`, fix: 'write the adapter again' });
  }
  const bad = (pointer: string, message: string, fix: string) => new DiagnosticError({ code: 'lm/lora-bad-config', plugin: where.plugin, file: cfgFile, pointer, message, fix });
  if (raw.peft_type !== 'LORA') throw bad('/peft_type', `peft_type is ${JSON.stringify(raw.peft_type)}; only "LORA" adapters are read`, 'use a LoRA adapter');
  if (raw.use_dora === true || raw.use_rslora === true) throw bad(raw.use_dora === true ? '/use_dora' : '/use_rslora', 'DoRA and rank-stabilised LoRA are not supported', 'use a plain LoRA adapter (use_dora and use_rslora false)');
  if (raw.bias !== undefined && raw.bias !== 'none') throw bad('/bias', `bias ${JSON.stringify(raw.bias)} is not supported`, 'train the adapter with bias "none"');
  let targets = raw.target_modules;
  if (typeof targets === 'string') throw bad('/target_modules', 'target_modules given as a regular expression is not supported', 'list the module names');
  if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string')) throw bad('/target_modules', 'target_modules must be a list of module names', 'list the module names');
  targets = [...(targets as string[])].sort();
  if (typeof raw.r !== 'number' || typeof raw.lora_alpha !== 'number') throw bad('/r', 'r and lora_alpha must be numbers', 'write the adapter again');
  if (!fs.existsSync(wFile)) {
    throw new DiagnosticError({ code: 'lm/lora-missing', ...where, file: wFile, message: `${dir} has ${ADAPTER_CONFIG_FILE} but no ${ADAPTER_WEIGHTS_FILE}`, fix: 'copy the adapter folder whole (adapter_model.bin is not read: convert it with safetensors.torch.save_file)' });
  }
  const { tensors } = readSafetensors(wFile);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of tensors) {
    if (t.dtype !== 'F32') throw new DiagnosticError({ code: 'lm/lora-bad-adapter', file: wFile, plugin: where.plugin, message: `adapter tensor "${name}" is ${t.dtype}, expected F32`, fix: 'save the adapter as float32' });
    // PEFT saves the adapter name "default" left out; a name with it is accepted too
    out.set(name.replace('.lora_A.default.weight', '.lora_A.weight').replace('.lora_B.default.weight', '.lora_B.weight'), { shape: t.shape, data: t.data as Float32Array });
  }
  const config = raw as unknown as PeftLoraConfig;
  return {
    dir,
    config,
    settings: { rank: raw.r, alpha: raw.lora_alpha, dropout: typeof raw.lora_dropout === 'number' ? raw.lora_dropout : 0, targetModules: raw.target_modules as string[] },
    tensors: out,
  };
}
