import type { Rng } from '@rlhfjs/core';
import type { GPTConfig } from './config';

/** A named float32 array with its shape: how weights travel between init, checkpoints and tensors. */
export interface WeightArray {
  shape: number[];
  data: Float32Array;
}

/** Every weight name and shape a config implies, in a fixed order. */
export function weightShapes(c: GPTConfig): Array<[string, number[]]> {
  const d = c.dModel;
  const out: Array<[string, number[]]> = [
    ['wte', [c.vocabSize, d]],
    ['wpe', [c.contextSize, d]],
  ];
  for (let i = 0; i < c.nLayers; i++) {
    const p = `h.${i}.`;
    out.push(
      [p + 'ln_1.weight', [d]],
      [p + 'ln_1.bias', [d]],
      [p + 'attn.c_attn.weight', [d, 3 * d]],
      [p + 'attn.c_attn.bias', [3 * d]],
      [p + 'attn.c_proj.weight', [d, d]],
      [p + 'attn.c_proj.bias', [d]],
      [p + 'ln_2.weight', [d]],
      [p + 'ln_2.bias', [d]],
      [p + 'mlp.c_fc.weight', [d, c.dMlp]],
      [p + 'mlp.c_fc.bias', [c.dMlp]],
      [p + 'mlp.c_proj.weight', [c.dMlp, d]],
      [p + 'mlp.c_proj.bias', [d]],
    );
  }
  out.push(['ln_f.weight', [d]], ['ln_f.bias', [d]]);
  if (!c.tieEmbeddings) out.push(['lm_head.weight', [d, c.vocabSize]]);
  if (c.valueHead) out.push(...valueHeadShapes(c));
  return out;
}

export function valueHeadShapes(c: GPTConfig): Array<[string, number[]]> {
  return [
    ['v_head.weight', [c.dModel, 1]],
    ['v_head.bias', [1]],
  ];
}

function normal(rng: Rng, n: number, std: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * std;
  return a;
}

/**
 * The initial value of one weight, GPT-2 style: matrices ~ N(0, 0.02²), residual output
 * projections (`attn.c_proj`, `mlp.c_proj`) ~ N(0, (0.02/√(2·nLayers))²), biases 0, LayerNorm
 * gains 1. Each weight draws from its own stream `rng.fork(name)`, so adding a weight (a value
 * head) never changes the others.
 */
export function initWeight(c: GPTConfig, name: string, shape: number[], rng: Rng): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (/ln_[12f]\.weight$/.test(name) || name === 'ln_f.weight') return new Float32Array(n).fill(1);
  if (name.endsWith('.bias')) return new Float32Array(n);
  const std = /c_proj\.weight$/.test(name) ? 0.02 / Math.sqrt(2 * c.nLayers) : 0.02;
  return normal(rng.fork(name), n, std);
}

/** A full random initialisation from `rng`. */
export function initWeights(c: GPTConfig, rng: Rng, shapes = weightShapes(c)): Map<string, WeightArray> {
  const out = new Map<string, WeightArray>();
  for (const [name, shape] of shapes) out.set(name, { shape, data: initWeight(c, name, shape, rng) });
  return out;
}
