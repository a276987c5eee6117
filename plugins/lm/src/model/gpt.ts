import type * as tfc from '@tensorflow/tfjs-core';
import { encodePromptWith, type EncodedPrompt, type ForwardOutput, type PolicyModel, type Rng, type Rollout, type SamplingOptions, type SaveOptions, type SequenceBatch, type TF, type Tokenizer } from '@rlhfjs/core';
import type { GPTConfig } from './config';
import { embed, gelu, layerNorm, linear, matMul, matMulTransposeB, nextTokenForward } from './ops';
import { ensureGradients } from './gradients';
import { generate } from '../generation/generate';
import { saveModel } from './checkpoint-io';
import { initWeight, valueHeadShapes, weightShapes, type WeightArray } from './init';
import type { LoraAdapters, LoraModuleSpec } from '../lora/adapters';
import { mergeGptLora } from '../lora/merge';
import { adapterFiles, toPeftConfig, type PeftLoraConfig } from '../lora/peft-format';

/** How a model is built beside its weights: shared variables (a view) and LoRA adapters. */
export interface GPTModelParts {
  /** Use the given weights (tf.Variable each) as they are, owned by another model: a view that shares them. */
  share?: boolean;
  /** LoRA adapters on the projections (the base weights are then frozen); owned (disposed) by this model. */
  lora?: LoraAdapters;
  /**
   * What {@link GPTModel.frozenCopy} (the KL reference) does with the adapters: 'off' (default) gives
   * the base with its adapters switched off, sharing every base weight; 'copy' keeps a frozen copy
   * of the adapters as they are now (for a run that starts from a trained adapter).
   */
  referenceAdapters?: 'off' | 'copy';
  /** base_model_name_or_path written into adapter_config.json. */
  adapterBase?: string;
}

/**
 * The PEFT module path of each adaptable projection of the project GPT. Its weights are laid out
 * as Hugging Face GPT-2's (`h.<i>.attn.c_attn.weight` [in, out], Conv1D style), so the module paths
 * are GPT2LMHeadModel's: `transformer.h.<i>.attn.c_attn`, `…attn.c_proj`, `…mlp.c_fc`, `…mlp.c_proj`.
 */
export function gptLoraModules(c: GPTConfig): LoraModuleSpec[] {
  const d = c.dModel;
  const out: LoraModuleSpec[] = [];
  for (let i = 0; i < c.nLayers; i++) {
    const p = `transformer.h.${i}.`;
    out.push(
      { name: p + 'attn.c_attn', inFeatures: d, outFeatures: 3 * d },
      { name: p + 'attn.c_proj', inFeatures: d, outFeatures: d },
      { name: p + 'mlp.c_fc', inFeatures: d, outFeatures: c.dMlp },
      { name: p + 'mlp.c_proj', inFeatures: c.dMlp, outFeatures: d },
    );
  }
  return out;
}

/** The weight (h.<i>.….weight, [in, out]) of a module path from {@link gptLoraModules}. */
export function gptWeightOfModule(moduleName: string): string {
  return moduleName.replace(/^transformer\./, '') + '.weight';
}

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
  /** LoRA adapters in use (undefined: the plain model, or a view with the adapters switched off). */
  readonly lora?: LoraAdapters;
  private readonly ownsWeights: boolean;
  private readonly parts: Pick<GPTModelParts, 'referenceAdapters' | 'adapterBase'>;

  constructor(
    readonly tf: TF,
    readonly config: GPTConfig,
    readonly tokenizer: Tokenizer,
    weights: Map<string, WeightArray | tfc.Tensor>,
    readonly trainable = true,
    parts: GPTModelParts = {},
  ) {
    this.contextSize = config.contextSize;
    ensureGradients(tf);
    if (tokenizer.vocabSize > config.vocabSize) {
      throw new Error(`GPTModel: the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${config.vocabSize}`);
    }
    this.lora = parts.lora;
    this.parts = { referenceAdapters: parts.referenceAdapters, adapterBase: parts.adapterBase };
    this.ownsWeights = !parts.share;
    this.weights = new Map();
    if (parts.share) {
      for (const [name, shape] of weightShapes(config)) {
        const w = weights.get(name);
        if (!w || !(w instanceof tf.Variable) || !sameShape(w.shape, shape)) throw new Error(`GPTModel: a view needs the variable "${name}" of shape [${shape}]`);
        this.weights.set(name, w);
      }
      return;
    }
    // with LoRA only the adapters (and a value head) train: the base is held frozen
    const baseTrainable = trainable && !parts.lora;
    const expected = weightShapes(config);
    for (const [name, shape] of expected) {
      const w = weights.get(name);
      if (!w) throw new Error(`GPTModel: missing weight "${name}" (shape [${shape}])`);
      const t = isTensor(w) ? w : tf.tensor(w.data, w.shape, 'float32');
      if (!sameShape(t.shape, shape)) throw new Error(`GPTModel: weight "${name}" has shape [${t.shape}], expected [${shape}]`);
      this.weights.set(name, tf.variable(t.dtype === 'float32' ? t : tf.cast(t, 'float32'), baseTrainable, undefined, 'float32'));
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
   * One projection `x @ W + b` of block weights `<prefix>.weight`/`.bias`, plus its LoRA update
   * (module `transformer.<prefix>`) when an adapter is on. Without adapters it is exactly `linear`.
   */
  private proj(x: tfc.Tensor, prefix: string): tfc.Tensor {
    const y = linear(this.tf, x, this.w(prefix + '.weight'), this.w(prefix + '.bias'));
    return this.lora ? this.lora.project(x, y, 'transformer.' + prefix) : y;
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
      const qkv = this.proj(h, p + 'attn.c_attn');
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
      x = tf.add(x, this.proj(merged, p + 'attn.c_proj'));
      const h2 = layerNorm(tf, x, this.w(p + 'ln_2.weight'), this.w(p + 'ln_2.bias'));
      const m = this.proj(gelu(tf, this.proj(h2, p + 'mlp.c_fc')), p + 'mlp.c_proj');
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
    return nextTokenForward(this.tf, this.hiddenStates(batch), batch.ids, this, want);
  }

  /** Full logits [B, T, V] of a batch (no gradient bookkeeping beyond what the caller sets up). */
  logits(batch: SequenceBatch): tfc.Tensor3D {
    return this.logitsFrom(this.hiddenStates(batch)) as tfc.Tensor3D;
  }

  async generate(prompts: number[][], sampling: SamplingOptions, rng: Rng | readonly Rng[]): Promise<Rollout> {
    return generate(this, prompts, sampling, rng);
  }

  trainableVariables(): tfc.Variable[] {
    if (!this.trainable) return [];
    if (!this.lora) return [...this.weights.values()];
    // with LoRA: the adapters, then the value head; the base stays frozen
    return [...this.lora.variables(), ...valueHeadShapes(this.config).flatMap(([n]) => (this.weights.has(n) ? [this.w(n)] : []))];
  }

  /**
   * The frozen KL reference. Without LoRA: a copy of the weights. With LoRA: a view over this
   * model's own base variables (no weight is copied), with the adapters switched off, or, when the
   * model was built with `referenceAdapters: 'copy'`, with a frozen copy of the adapters.
   */
  frozenCopy(): GPTModel {
    if (this.lora) {
      const keep = this.parts.referenceAdapters === 'copy' ? this.lora.frozenCopy() : undefined;
      return new GPTModel(this.tf, this.config, this.tokenizer, this.weights, false, { share: true, lora: keep }).suppressTokens(this.suppressed);
    }
    const copies = new Map<string, tfc.Tensor>();
    for (const [k, v] of this.weights) copies.set(k, v.clone());
    const m = new GPTModel(this.tf, this.config, this.tokenizer, copies, false);
    copies.forEach((t) => t.dispose());
    return m.suppressTokens(this.suppressed);
  }

  /** A view of this model with its adapters switched off (the base), sharing every weight. */
  baseView(): GPTModel {
    return new GPTModel(this.tf, this.config, this.tokenizer, this.weights, false, { share: true }).suppressTokens(this.suppressed);
  }

  /** A copy with a freshly initialised value head (weights drawn from `rng`). */
  withValueHead(rng: Rng): GPTModel {
    if (this.config.valueHead) return this;
    if (this.lora) throw new Error('GPTModel.withValueHead: add the value head before the adapters');
    const config = { ...this.config, valueHead: true };
    const w = new Map<string, WeightArray | tfc.Tensor>(this.weights);
    for (const [name, shape] of valueHeadShapes(config)) w.set(name, { shape, data: initWeight(config, name, shape, rng) });
    return new GPTModel(this.tf, config, this.tokenizer, w, this.trainable).suppressTokens(this.suppressed);
  }

  /**
   * A model over the same weights with LoRA adapters on (it takes ownership of `adapters`); the base
   * becomes frozen. The caller disposes this model afterwards, as with {@link withValueHead}.
   */
  withLora(adapters: LoraAdapters, o: { referenceAdapters?: 'off' | 'copy'; adapterBase?: string } = {}): GPTModel {
    if (this.lora) throw new Error('GPTModel.withLora: the model already has adapters');
    return new GPTModel(this.tf, this.config, this.tokenizer, new Map<string, tfc.Tensor>(this.weights), this.trainable, { lora: adapters, ...o }).suppressTokens(this.suppressed);
  }

  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    if (opts.mergeAdapters && this.lora) {
      const merged = mergeGptLora(this);
      try {
        await merged.save(dir, { config: opts.config });
      } finally {
        merged.dispose();
      }
      return;
    }
    const extraFiles = this.lora ? await adapterFiles(this.lora, this.peftConfig()) : undefined;
    await saveModel(this, dir, { config: opts.config, extraFiles });
  }

  /** adapter_config.json of this model's adapters. */
  peftConfig(): PeftLoraConfig {
    if (!this.lora) throw new Error('GPTModel.peftConfig: the model has no adapters');
    return toPeftConfig(this.lora.settings, { base: this.parts.adapterBase ?? null, fanInFanOut: true, modulesToSave: this.config.valueHead ? ['v_head'] : undefined });
  }

  /**
   * Named weights for run checkpoints. With LoRA only what trains (adapters under their PEFT names,
   * and the value head): the frozen base is rebuilt from the recipe on resume.
   */
  namedWeights(): Map<string, tfc.Tensor> {
    if (!this.lora) return new Map(this.weights);
    const out = new Map<string, tfc.Tensor>(this.lora.namedTensors());
    for (const [n] of valueHeadShapes(this.config)) if (this.weights.has(n)) out.set(n, this.w(n));
    return out;
  }

  loadNamedWeights(weights: Map<string, tfc.Tensor>): void {
    const adapters = this.lora?.namedTensors();
    for (const [name, t] of weights) {
      const v = this.weights.get(name) ?? adapters?.get(name);
      if (!v) throw new Error(`GPTModel.loadNamedWeights: unknown weight "${name}"; known: ${[...this.weights.keys(), ...(adapters?.keys() ?? [])].join(', ')}`);
      if (!sameShape(v.shape, t.shape)) throw new Error(`GPTModel.loadNamedWeights: "${name}" has shape [${t.shape}], expected [${v.shape}]`);
      v.assign(t.dtype === 'float32' ? t : this.tf.cast(t, 'float32'));
    }
  }

  /** Base weights as plain float32 arrays (for checkpoints; adapters are saved apart). */
  async weightArrays(): Promise<Map<string, WeightArray>> {
    const out = new Map<string, WeightArray>();
    for (const [name, v] of this.weights) out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  parameterCount(): number {
    let n = 0;
    this.weights.forEach((v) => (n += v.size));
    return n + (this.lora?.parameterCount() ?? 0);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.ownsWeights) this.weights.forEach((v) => v.dispose());
    this.lora?.dispose();
    this.suppressBias?.dispose();
  }
}

function isTensor(x: unknown): x is tfc.Tensor {
  return typeof x === 'object' && x !== null && 'dataSync' in x && 'shape' in x;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
