import type * as tfc from '@tensorflow/tfjs-core';
import { GPTModel, gptWeightOfModule } from '../model/gpt';
import { mergedWeight } from './adapters';

/**
 * A plain (adapter-free) copy of a LoRA GPT with every adapter merged into its base weight:
 * W[in, out] + (Aᵀ·Bᵀ)·(α/r). Its forward pass equals the adapted model's up to float32 rounding.
 */
export function mergeGptLora(model: GPTModel): GPTModel {
  const lora = model.lora;
  if (!lora) throw new Error('mergeGptLora: the model has no adapters');
  const tf = model.tf;
  const base = model.baseView();
  const weights = new Map<string, tfc.Tensor>(base.namedWeights());
  const made: tfc.Tensor[] = [];
  for (const name of lora.moduleNames()) {
    const wName = gptWeightOfModule(name);
    const merged = mergedWeight(tf, weights.get(wName)!, lora.pair(name)!, lora.scaling, true);
    made.push(merged);
    weights.set(wName, merged);
  }
  const out = new GPTModel(tf, model.config, model.tokenizer, weights, true).suppressTokens(model.suppressedTokens);
  base.dispose();
  tf.dispose(made);
  return out;
}
