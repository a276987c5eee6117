import type * as tfc from '@tensorflow/tfjs-core';
import { encodePromptWith, type EncodedPrompt, type ForwardOutput, type PolicyModel, type Rng, type Rollout, type SamplingOptions, type SaveOptions, type SequenceBatch, type TF, type Tokenizer } from '@rlhfjs/core';
import type { GPTConfig } from './config';
import { embed, gelu, layerNorm, linear, matMul, matMulTransposeB, tokenLogprobs } from './ops';
import { ensureGradients } from './gradients';
import { generate } from '../generation/generate';
import { saveModel } from './checkpoint-io';
import { initWeight, valueHeadShapes, weightShapes, type WeightArray } from './init';

/** Keys and values of one layer for the tokens seen so far: [B, H, L, dh] each. */
export interface LayerCache {
  k: tfc.Tensor4D;
  v: tfc.Tensor4D;
}

/**
 * A GPT-2-style decoder on tfjs-core: token + learned position embeddings, pre-norm blocks
 * (LayerNorm → causal multi-head attention → residual; LayerNorm → GELU MLP → residual), a final
 * LayerNorm, a tied or untied output projection and an optional scalar value head.
 *
 * Positions count from 0 at each row's first real token (derived from the attention mask), so a
 * left-padded generation batch and a right-padded training batch give the same numbers.
 */
export class GPTModel implements PolicyModel {
  readonly contextSize: number;
  private readonly weights: Map<string, tfc.Variable>;
  private disposed = false;
  /** Token ids removed from the model's distribution (logit −1e9), e.g. end-of-text for fixed-length RL. */
  private suppressed: number[] = [];
  private suppressBias?: tfc.Tensor1D;

  constructor(
    readonly tf: TF,
    readonly config: GPTConfig,
    readonly tokenizer: Tokenizer,
    weights: Map<string, WeightArray | tfc.Tensor>,
    readonly trainable = true,
  ) {
    this.contextSize = config.contextSize;
    ensureGradients(tf);
    if (tokenizer.vocabSize > config.vocabSize) {
      throw new Error(`GPTModel: the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${config.vocabSize}`);
    }
    this.weights = new Map();
    const expected = weightShapes(config);
    for (const [name, shape] of expected) {
      const w = weights.get(name);
      if (!w) throw new Error(`GPTModel: missing weight "${name}" (shape [${shape}])`);
      const t = isTensor(w) ? w : tf.tensor(w.data, w.shape, 'float32');
      if (!sameShape(t.shape, shape)) throw new Error(`GPTModel: weight "${name}" has shape [${t.shape}], expected [${shape}]`);
      this.weights.set(name, tf.variable(t.dtype === 'float32' ? t : tf.cast(t, 'float32'), trainable, undefined, 'float32'));
      if (!isTensor(w)) t.dispose();
    }
    const unknown = [...weights.keys()].filter((k) => !this.weights.has(k));
    if (unknown.length > 0) throw new Error(`GPTModel: unexpected weights ${unknown.join(', ')} for this architecture`);
  }

  get hasValueHead(): boolean {
    return this.config.valueHead;
  }

  private w(name: string): tfc.Variable {
    const v = this.weights.get(name);
    if (!v) throw new Error(`GPTModel: no weight "${name}"`);
    return v;
  }

  /**
   * The decoder trunk: ids [B, S] at positions [B, S], attention bias [B, 1, S, L] (0 = may
   * attend, large negative = may not), L = past + S when `cache` holds past keys/values.
   * Returns the final-LayerNorm hidden states [B, S, d] and, when `cache` was given, the new cache.
   */
  trunk(ids: tfc.Tensor2D, positions: tfc.Tensor2D, bias: tfc.Tensor, cache?: Array<LayerCache | undefined>): { hidden: tfc.Tensor3D; cache?: LayerCache[] } {
    const tf = this.tf;
    const { dModel: d, nHeads: H, nLayers } = this.config;
    const dh = d / H;
    const [B, S] = ids.shape;
    const scale = 1 / Math.sqrt(dh);
    let x = tf.add(embed(tf, this.w('wte'), ids), embed(tf, this.w('wpe'), positions));
    const newCache: LayerCache[] = [];
    const heads = (t: tfc.Tensor) => tf.transpose(tf.reshape(t, [B, S, H, dh]), [0, 2, 1, 3]) as tfc.Tensor4D;
    for (let i = 0; i < nLayers; i++) {
      const p = `h.${i}.`;
      const h = layerNorm(tf, x, this.w(p + 'ln_1.weight'), this.w(p + 'ln_1.bias'));
      const qkv = linear(tf, h, this.w(p + 'attn.c_attn.weight'), this.w(p + 'attn.c_attn.bias'));
      const [q0, k0, v0] = tf.split(qkv, 3, 2);
      const q = heads(q0);
      let k = heads(k0);
      let v = heads(v0);
      if (cache) {
        const past = cache[i];
        if (past) {
          k = tf.concat([past.k, k], 2);
          v = tf.concat([past.v, v], 2);
        }
        newCache.push({ k, v });
      }
      const scores = tf.add(tf.mul(matMulTransposeB(tf, q, k), scale), bias);
      const att = matMul(tf, tf.softmax(scores), v);
      const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B, S, d]);
      x = tf.add(x, linear(tf, merged, this.w(p + 'attn.c_proj.weight'), this.w(p + 'attn.c_proj.bias')));
      const h2 = layerNorm(tf, x, this.w(p + 'ln_2.weight'), this.w(p + 'ln_2.bias'));
      const m = linear(tf, gelu(tf, linear(tf, h2, this.w(p + 'mlp.c_fc.weight'), this.w(p + 'mlp.c_fc.bias'))), this.w(p + 'mlp.c_proj.weight'), this.w(p + 'mlp.c_proj.bias'));
      x = tf.add(x, m);
    }
    const hidden = layerNorm(tf, x, this.w('ln_f.weight'), this.w('ln_f.bias')) as tfc.Tensor3D;
    return cache ? { hidden, cache: newCache } : { hidden };
  }

  /** Next-token logits [..., V] from hidden states [..., d]; suppressed tokens get −1e9. */
  logitsFrom(hidden: tfc.Tensor): tfc.Tensor {
    const tf = this.tf;
    // a tied head is wteᵀ [d, V]
    const logits = this.config.tieEmbeddings ? linear(tf, hidden, this.w('wte'), undefined, true) : linear(tf, hidden, this.w('lm_head.weight'));
    return this.suppressBias ? tf.add(logits, this.suppressBias) : logits;
  }

  /**
   * Remove tokens from the model's distribution everywhere it is used (sampling, training
   * log-probs, entropy, scoring), so that every computation sees the same renormalised
   * distribution. Not saved with the weights: it is a setting of whoever loads the model.
   */
  suppressTokens(ids: readonly number[]): this {
    this.suppressBias?.dispose();
    this.suppressBias = undefined;
    this.suppressed = [...new Set(ids)].sort((a, b) => a - b);
    if (this.suppressed.length) {
      const bias = new Float32Array(this.config.vocabSize);
      for (const id of this.suppressed) {
        if (!Number.isInteger(id) || id < 0 || id >= bias.length) throw new Error(`GPTModel: cannot suppress token ${id} (vocabulary ${bias.length})`);
        bias[id] = -1e9;
      }
      this.suppressBias = this.tf.tensor1d(bias);
    }
    return this;
  }

  get suppressedTokens(): readonly number[] {
    return this.suppressed;
  }

  /** Value-head output [...] from hidden states [..., d]. */
  valuesFrom(hidden: tfc.Tensor): tfc.Tensor {
    if (!this.config.valueHead) throw new Error('GPTModel: this model has no value head');
    const tf = this.tf;
    const v = linear(tf, hidden, this.w('v_head.weight'), this.w('v_head.bias'));
    return tf.reshape(v, v.shape.slice(0, -1));
  }

  /** Positions from an attention mask [B, T]: 0 at each row's first real token (pads clamp to 0). */
  positionsFromMask(mask: tfc.Tensor2D): tfc.Tensor2D {
    const tf = this.tf;
    return tf.cast(tf.maximum(tf.sub(tf.cumsum(mask, 1), 1), 0), 'int32') as tfc.Tensor2D;
  }

  /** Additive attention bias [B, 1, T, T]: causal and masking padded keys. */
  causalBias(mask: tfc.Tensor2D): tfc.Tensor4D {
    const tf = this.tf;
    const T = mask.shape[1];
    const causal = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
    const allowed = tf.mul(tf.reshape(causal, [1, 1, T, T]), tf.reshape(mask, [-1, 1, 1, T]));
    return tf.mul(tf.sub(allowed, 1), 1e9) as tfc.Tensor4D;
  }

  /** Hidden states [B, T, d] of a right- or left-padded batch. */
  hiddenStates(batch: SequenceBatch): tfc.Tensor3D {
    const T = batch.ids.shape[1];
    if (T > this.contextSize) {
      throw new Error(`GPTModel.forward: sequences of ${T} tokens exceed the context window of ${this.contextSize}`);
    }
    return this.trunk(batch.ids, this.positionsFromMask(batch.attentionMask), this.causalBias(batch.attentionMask)).hidden;
  }

  /** BOS, the prompt, then the continuation, cut from the left to `room` with BOS kept (core's `encodePromptWith`). */
  encodePrompt(prompt: string, room: number, continuation?: string | readonly number[]): EncodedPrompt {
    return encodePromptWith(this.tokenizer, prompt, room, continuation);
  }

  /** The value head at every position [B, T]: `valuesFrom(hiddenStates(batch))`. */
  values(batch: SequenceBatch): tfc.Tensor2D {
    return this.valuesFrom(this.hiddenStates(batch)) as tfc.Tensor2D;
  }

  forward(batch: SequenceBatch, want: { entropy?: boolean; values?: boolean } = {}): ForwardOutput {
    const tf = this.tf;
    const [B, T] = batch.ids.shape;
    const hidden = this.hiddenStates(batch);
    const h = tf.slice(hidden, [0, 0, 0], [B, T - 1, -1]);
    const targets = tf.slice(batch.ids, [0, 1], [B, T - 1]);
    const { logprobs, entropy } = tokenLogprobs(tf, this.logitsFrom(h), targets, want.entropy === true);
    const out: ForwardOutput = { logprobs: logprobs as tfc.Tensor2D };
    if (entropy) out.entropy = entropy as tfc.Tensor2D;
    if (want.values) out.values = this.valuesFrom(h) as tfc.Tensor2D;
    return out;
  }

  /** Full logits [B, T, V] of a batch (no gradient bookkeeping beyond what the caller sets up). */
  logits(batch: SequenceBatch): tfc.Tensor3D {
    return this.logitsFrom(this.hiddenStates(batch)) as tfc.Tensor3D;
  }

  async generate(prompts: number[][], sampling: SamplingOptions, rng: Rng | readonly Rng[]): Promise<Rollout> {
    return generate(this, prompts, sampling, rng);
  }

  trainableVariables(): tfc.Variable[] {
    return this.trainable ? [...this.weights.values()] : [];
  }

  frozenCopy(): GPTModel {
    const copies = new Map<string, tfc.Tensor>();
    for (const [k, v] of this.weights) copies.set(k, v.clone());
    const m = new GPTModel(this.tf, this.config, this.tokenizer, copies, false);
    copies.forEach((t) => t.dispose());
    return m.suppressTokens(this.suppressed);
  }

  /** A copy with a freshly initialised value head (weights drawn from `rng`). */
  withValueHead(rng: Rng): GPTModel {
    if (this.config.valueHead) return this;
    const config = { ...this.config, valueHead: true };
    const w = new Map<string, WeightArray | tfc.Tensor>(this.weights);
    for (const [name, shape] of valueHeadShapes(config)) w.set(name, { shape, data: initWeight(config, name, shape, rng) });
    return new GPTModel(this.tf, config, this.tokenizer, w, this.trainable).suppressTokens(this.suppressed);
  }

  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    await saveModel(this, dir, { config: opts.config });
  }

  namedWeights(): Map<string, tfc.Tensor> {
    return new Map(this.weights);
  }

  loadNamedWeights(weights: Map<string, tfc.Tensor>): void {
    for (const [name, t] of weights) {
      const v = this.weights.get(name);
      if (!v) throw new Error(`GPTModel.loadNamedWeights: unknown weight "${name}"; known: ${[...this.weights.keys()].join(', ')}`);
      if (!sameShape(v.shape, t.shape)) throw new Error(`GPTModel.loadNamedWeights: "${name}" has shape [${t.shape}], expected [${v.shape}]`);
      v.assign(t.dtype === 'float32' ? t : this.tf.cast(t, 'float32'));
    }
  }

  /** Weights as plain float32 arrays (for checkpoints). */
  async weightArrays(): Promise<Map<string, WeightArray>> {
    const out = new Map<string, WeightArray>();
    for (const [name, v] of this.weights) out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  parameterCount(): number {
    let n = 0;
    this.weights.forEach((v) => (n += v.size));
    return n;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.weights.forEach((v) => v.dispose());
    this.suppressBias?.dispose();
  }
}

function isTensor(x: unknown): x is tfc.Tensor {
  return typeof x === 'object' && x !== null && 'dataSync' in x && 'shape' in x;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
