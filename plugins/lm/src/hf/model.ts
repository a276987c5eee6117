/**
 * Hugging Face causal language models on tfjs-core: GPT-2 (also distilgpt2), GPT-Neo and the Llama
 * family (Llama, SmolLM2, Qwen2), with the project's differentiable ops (plugins/lm/src/model/ops.ts).
 *
 * Weights keep their Hugging Face names. torch Linear weights ([out, in] on disk) are held
 * transposed ([in, out]) so every projection is one `x @ W (+ b)`; GPT-2's Conv1D weights are
 * [in, out] on disk already. Every projection goes through {@link HFCausalLM.project}, by module name.
 *
 * Blocks (pre-norm, residual):
 *   gpt2:    x += c_proj(attn(ln_1 x)), scores q·kᵀ/√dh;          x += c_proj(gelu_new(c_fc(ln_2 x)))
 *   gpt_neo: as gpt2 with separate q/k/v/out projections, scores q·kᵀ unscaled, and on "local"
 *            layers a key at column j is seen from query column i only when i − j < window_size
 *   llama:   x += o_proj(attn(rope(q), rope(k), v)) of RMSNorm(x), scores q·kᵀ/√dh, grouped-query
 *            (query head h reads key/value head ⌊h / (H / Hkv)⌋);
 *            x += down_proj(silu(gate_proj h) ⊙ up_proj h), h = RMSNorm(x)
 *   RMSNorm(x) = x / √(mean(x²) + eps) ⊙ w;  silu(x) = x·σ(x);
 *   rope(x) = x ⊙ cos(pθ) + rotate_half(x) ⊙ sin(pθ), rotate_half([x₁, x₂]) = [−x₂, x₁], θ = [invFreq, invFreq].
 * Positions count from 0 at each row's first real token (from the attention mask), as in the gpt agent.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { encodePromptWith, type EncodedPrompt, type ForwardOutput, type PolicyModel, type Rng, type Rollout, type SamplingOptions, type SaveOptions, type SequenceBatch, type TF, type Tokenizer } from '@rlhfjs/core';
import { embed, gelu, layerNorm, linear, matMul, matMulTransposeB, nextTokenForward } from '../model/ops';
import { ensureGradients } from '../model/gradients';
import { generate } from '../generation/generate';
import type { LayerCache } from '../model/gpt';
import type { HFArch } from './config';
import { embeddingName } from './config';
import { saveHF } from './export';
import { mergedWeight, type LoraAdapters } from '../lora/adapters';
import { adapterFiles, toPeftConfig, type PeftLoraConfig } from '../lora/peft-format';
import { hfFanInFanOut, hfWeightModule } from './lora';

export const VALUE_HEAD = { weight: 'v_head.weight', bias: 'v_head.bias' } as const;

/** Where a model came from, to write it back the same way (see ./export.ts). */
export interface HFSource {
  /** config.json as read. */
  rawConfig: Record<string, unknown>;
  /** Prefix of the trunk's tensor names ("transformer." or ""; "" for the llama family, whose names carry "model."). */
  prefix: string;
  /** On-disk dtype and shape of each parameter tensor, by name, in file order. */
  tensors: Array<{ name: string; dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; linear: boolean }>;
  /** The checkpoint stored lm_head.weight although the head is tied (written back as a copy of the embedding). */
  tiedHeadStored?: 'F32' | 'F16' | 'BF16';
  /** Tensor name → shard file, for a sharded checkpoint. */
  weightMap?: Record<string, string>;
  indexMetadata?: Record<string, unknown>;
  /** Tokenizer and generation files copied verbatim on export. */
  files: Map<string, Uint8Array>;
}

/** How a model is built beside its weights: shared variables (a view) and LoRA adapters. */
export interface HFModelParts {
  /** The weights are owned by another model (a view): never disposed here. */
  share?: boolean;
  /** LoRA adapters on the projections (module paths of ./lora.ts); owned (disposed) by this model. */
  lora?: LoraAdapters;
  /** What {@link HFCausalLM.frozenCopy} does with the adapters: 'off' (default, the base shared), or 'copy' (a frozen copy of them, for a run that starts from a trained adapter). */
  referenceAdapters?: 'off' | 'copy';
  /** base_model_name_or_path written into adapter_config.json. */
  adapterBase?: string;
}

export class HFCausalLM implements PolicyModel {
  readonly contextSize: number;
  /** What generation needs of the config. */
  readonly config: { vocabSize: number };
  private readonly weights: Map<string, tfc.Variable>;
  private readonly invFreq?: tfc.Tensor1D;
  private disposed = false;
  private suppressed: number[] = [];
  private suppressBias?: tfc.Tensor1D;
  /** LoRA adapters in use (undefined: the plain model, or a view with its adapters off). */
  readonly lora?: LoraAdapters;
  /** Module name as {@link project} gets it → PEFT module path, for the adapted modules. */
  private readonly loraOf = new Map<string, string>();
  private readonly parts: HFModelParts;

  /** Takes ownership of `weights` (float32 variables, Linear weights already [in, out]). */
  constructor(
    readonly tf: TF,
    readonly arch: HFArch,
    readonly tokenizer: Tokenizer,
    weights: Map<string, tfc.Variable>,
    readonly source: HFSource,
    readonly trainable = true,
    /** Keep the embedding rows beyond the tokenizer's vocabulary in the distribution (as transformers does); default off. */
    readonly fullVocabulary = false,
    /** Write the weights in the dtypes they were read in ("original"), or all in float32. */
    readonly saveDtype: 'original' | 'float32' = 'original',
    parts: HFModelParts = {},
  ) {
    ensureGradients(tf);
    this.parts = parts;
    this.lora = parts.lora;
    if (parts.lora) for (const m of parts.lora.moduleNames()) this.loraOf.set(hfWeightModule(arch, source.prefix, m), m);
    this.contextSize = arch.contextSize;
    this.config = { vocabSize: arch.vocabSize };
    this.weights = weights;
    if (arch.invFreq) this.invFreq = tf.tensor1d(arch.invFreq, 'float32');
    this.suppressTokens([]);
  }

  get hasValueHead(): boolean {
    return this.weights.has(VALUE_HEAD.weight);
  }

  private w(name: string): tfc.Variable {
    const v = this.weights.get(name);
    if (!v) throw new Error(`HFCausalLM: no weight "${name}"`);
    return v;
  }

  /** The one place every projection of the model goes through: `x @ W + b` of the module `name` (its `.weight`, and `.bias` when it has one). */
  project(x: tfc.Tensor, name: string): tfc.Tensor {
    const y = linear(this.tf, x, this.w(`${name}.weight`), this.weights.get(`${name}.bias`));
    if (!this.lora) return y;
    // y + ((x·Aᵀ)·Bᵀ)·(α/r) where the module has an adapter (../lora/adapters.ts)
    const m = this.loraOf.get(name);
    return m ? this.lora.project(x, y, m) : y;
  }

  private rmsNorm(x: tfc.Tensor, name: string): tfc.Tensor {
    const tf = this.tf;
    const ms = tf.mean(tf.mul(x, x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, this.arch.eps))), this.w(`${name}.weight`));
  }

  private ln(x: tfc.Tensor, name: string): tfc.Tensor {
    return layerNorm(this.tf, x, this.w(`${name}.weight`), this.w(`${name}.bias`), this.arch.eps);
  }

  /**
   * Attention of q [B, H, S, dh] over k, v [B, Hkv, L, dh] with additive bias [B|1, 1, S, L];
   * query head h reads key/value head ⌊h / g⌋, g = H / Hkv (q regrouped to [B, Hkv, g·S, dh]).
   * Returns [B, S, H·dh].
   */
  private attend(q: tfc.Tensor4D, k: tfc.Tensor4D, v: tfc.Tensor4D, bias: tfc.Tensor, scale: number | undefined): tfc.Tensor {
    const tf = this.tf;
    const [B, H, S, dh] = q.shape;
    const Hkv = k.shape[1];
    const L = k.shape[2];
    const g = H / Hkv;
    const qg = g === 1 ? q : tf.reshape(q, [B, Hkv, g * S, dh]);
    let scores = matMulTransposeB(tf, qg, k);
    if (g !== 1) scores = tf.reshape(scores, [B, H, S, L]);
    if (scale !== undefined) scores = tf.mul(scores, scale);
    let p = tf.softmax(tf.add(scores, bias));
    if (g !== 1) p = tf.reshape(p, [B, Hkv, g * S, L]);
    let att = matMul(tf, p, v);
    if (g !== 1) att = tf.reshape(att, [B, H, S, dh]);
    return tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B, S, H * dh]);
  }

  /** cos and sin of position · θ, each [B, 1, S, dh]. */
  private rotary(positions: tfc.Tensor2D): { cos: tfc.Tensor; sin: tfc.Tensor } {
    const tf = this.tf;
    const [B, S] = positions.shape;
    const half = this.invFreq!.shape[0];
    const ang = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [B, 1, S, 1]), tf.reshape(this.invFreq!, [1, 1, 1, half]));
    const emb = tf.concat([ang, ang], 3);
    return { cos: tf.cos(emb), sin: tf.sin(emb) };
  }

  private rope(x: tfc.Tensor4D, r: { cos: tfc.Tensor; sin: tfc.Tensor }): tfc.Tensor4D {
    const tf = this.tf;
    const half = x.shape[3] / 2;
    const [x1, x2] = tf.split(x, [half, half], 3);
    const rot = tf.concat([tf.neg(x2), x1], 3);
    return tf.add(tf.mul(x, r.cos), tf.mul(rot, r.sin)) as tfc.Tensor4D;
  }

  /**
   * The decoder trunk: ids [B, S] at positions [B, S], attention bias [B, 1, S, L] (0 = may attend,
   * large negative = may not), L = past + S when `cache` holds past keys/values (the grid columns of
   * the S new tokens are the last S of L). Returns the final-norm hidden states [B, S, d] and, when
   * `cache` was given, the new cache (keys/values per key/value head).
   */
  trunk(ids: tfc.Tensor2D, positions: tfc.Tensor2D, bias: tfc.Tensor, cache?: Array<LayerCache | undefined>): { hidden: tfc.Tensor3D; cache?: LayerCache[] } {
    const tf = this.tf;
    const a = this.arch;
    const [B, S] = ids.shape;
    const dh = a.headDim;
    const split = (t: tfc.Tensor, heads: number) => tf.transpose(tf.reshape(t, [B, S, heads, dh]), [0, 2, 1, 3]) as tfc.Tensor4D;
    const newCache: LayerCache[] = [];
    const withCache = (i: number, k: tfc.Tensor4D, v: tfc.Tensor4D): [tfc.Tensor4D, tfc.Tensor4D] => {
      if (!cache) return [k, v];
      const past = cache[i];
      if (past) {
        k = tf.concat([past.k, k], 2);
        v = tf.concat([past.v, v], 2);
      }
      newCache.push({ k, v });
      return [k, v];
    };
    const p = this.source.prefix;
    let x: tfc.Tensor;
    if (a.family === 'llama') {
      x = embed(tf, this.w(embeddingName(a, p)), ids);
      const r = this.rotary(positions);
      const scale = 1 / Math.sqrt(dh);
      for (let i = 0; i < a.layers; i++) {
        const n = `model.layers.${i}.`;
        const h = this.rmsNorm(x, `${n}input_layernorm`);
        const q = this.rope(split(this.project(h, `${n}self_attn.q_proj`), a.heads), r);
        const [k, v] = withCache(i, this.rope(split(this.project(h, `${n}self_attn.k_proj`), a.kvHeads), r), split(this.project(h, `${n}self_attn.v_proj`), a.kvHeads));
        x = tf.add(x, this.project(this.attend(q, k, v, bias, scale), `${n}self_attn.o_proj`));
        const h2 = this.rmsNorm(x, `${n}post_attention_layernorm`);
        const gate = this.project(h2, `${n}mlp.gate_proj`);
        const act = tf.mul(gate, tf.sigmoid(gate));
        x = tf.add(x, this.project(tf.mul(act, this.project(h2, `${n}mlp.up_proj`)), `${n}mlp.down_proj`));
      }
      const hidden = this.rmsNorm(x, 'model.norm') as tfc.Tensor3D;
      return cache ? { hidden, cache: newCache } : { hidden };
    }
    x = tf.add(embed(tf, this.w(`${p}wte.weight`), ids), embed(tf, this.w(`${p}wpe.weight`), positions));
    const L = bias.shape[3] as number;
    let local: tfc.Tensor | undefined;
    if (a.localLayers.some(Boolean)) {
      // a key at grid column j is visible from query column q = L − S + i only when q − j < window
      const m = new Float32Array(S * L);
      for (let i = 0; i < S; i++) for (let j = 0; j < L; j++) if (L - S + i - j >= a.windowSize) m[i * L + j] = -1e9;
      local = tf.tensor4d(m, [1, 1, S, L], 'float32');
    }
    for (let i = 0; i < a.layers; i++) {
      const n = `${p}h.${i}.`;
      const h = this.ln(x, `${n}ln_1`);
      let att: tfc.Tensor;
      if (a.family === 'gpt2') {
        const [q0, k0, v0] = tf.split(this.project(h, `${n}attn.c_attn`), 3, 2);
        const [k, v] = withCache(i, split(k0, a.heads), split(v0, a.heads));
        att = this.project(this.attend(split(q0, a.heads), k, v, bias, 1 / Math.sqrt(dh)), `${n}attn.c_proj`);
      } else {
        const an = `${n}attn.attention.`;
        const [k, v] = withCache(i, split(this.project(h, `${an}k_proj`), a.heads), split(this.project(h, `${an}v_proj`), a.heads));
        const b = a.localLayers[i] && local ? tf.add(bias, local) : bias;
        att = this.project(this.attend(split(this.project(h, `${an}q_proj`), a.heads), k, v, b, undefined), `${an}out_proj`);
      }
      x = tf.add(x, att);
      const h2 = this.ln(x, `${n}ln_2`);
      x = tf.add(x, this.project(gelu(tf, this.project(h2, `${n}mlp.c_fc`)), `${n}mlp.c_proj`));
    }
    const hidden = this.ln(x, `${p}ln_f`) as tfc.Tensor3D;
    return cache ? { hidden, cache: newCache } : { hidden };
  }

  /** Next-token logits [..., V] from hidden states [..., d]; suppressed tokens get −1e9. */
  logitsFrom(hidden: tfc.Tensor): tfc.Tensor {
    const tf = this.tf;
    // a tied head is Eᵀ [d, V]; an untied lm_head is held as [d, V]
    const logits = this.arch.tieEmbeddings ? linear(tf, hidden, this.w(embeddingName(this.arch, this.source.prefix)), undefined, true) : this.project(hidden, 'lm_head');
    return this.suppressBias ? tf.add(logits, this.suppressBias) : logits;
  }

  /**
   * Remove tokens from the model's distribution everywhere it is used (sampling, training
   * log-probs, entropy, scoring): logit −1e9. Ids at or above the tokenizer's vocabulary (rows an
   * embedding is padded with, e.g. Qwen2.5's) are always removed unless the model was loaded with
   * `fullVocabulary`, so that sampling (over the tokenizer's ids) and scoring see one distribution.
   */
  suppressTokens(ids: readonly number[]): this {
    this.suppressBias?.dispose();
    this.suppressBias = undefined;
    this.suppressed = [...new Set(ids)].sort((x, y) => x - y);
    const V = this.arch.vocabSize;
    const from = this.fullVocabulary ? V : Math.min(V, this.tokenizer.vocabSize);
    if (this.suppressed.length || from < V) {
      const bias = new Float32Array(V);
      for (const id of this.suppressed) {
        if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`HFCausalLM: cannot suppress token ${id} (vocabulary ${V})`);
        bias[id] = -1e9;
      }
      bias.fill(-1e9, from);
      this.suppressBias = this.tf.tensor1d(bias);
    }
    return this;
  }

  get suppressedTokens(): readonly number[] {
    return this.suppressed;
  }

  valuesFrom(hidden: tfc.Tensor): tfc.Tensor {
    if (!this.hasValueHead) throw new Error('HFCausalLM: this model has no value head');
    const v = this.project(hidden, 'v_head');
    return this.tf.reshape(v, v.shape.slice(0, -1));
  }

  positionsFromMask(mask: tfc.Tensor2D): tfc.Tensor2D {
    const tf = this.tf;
    return tf.cast(tf.maximum(tf.sub(tf.cumsum(mask, 1), 1), 0), 'int32') as tfc.Tensor2D;
  }

  causalBias(mask: tfc.Tensor2D): tfc.Tensor4D {
    const tf = this.tf;
    const T = mask.shape[1];
    const causal = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
    const allowed = tf.mul(tf.reshape(causal, [1, 1, T, T]), tf.reshape(mask, [-1, 1, 1, T]));
    return tf.mul(tf.sub(allowed, 1), 1e9) as tfc.Tensor4D;
  }

  hiddenStates(batch: SequenceBatch): tfc.Tensor3D {
    const T = batch.ids.shape[1];
    if (T > this.contextSize) throw new Error(`HFCausalLM.forward: sequences of ${T} tokens exceed the context window of ${this.contextSize}`);
    return this.trunk(batch.ids, this.positionsFromMask(batch.attentionMask), this.causalBias(batch.attentionMask)).hidden;
  }

  encodePrompt(prompt: string, room: number, continuation?: string | readonly number[]): EncodedPrompt {
    return encodePromptWith(this.tokenizer, prompt, room, continuation);
  }

  values(batch: SequenceBatch): tfc.Tensor2D {
    return this.valuesFrom(this.hiddenStates(batch)) as tfc.Tensor2D;
  }

  forward(batch: SequenceBatch, want: { entropy?: boolean; values?: boolean } = {}): ForwardOutput {
    return nextTokenForward(this.tf, this.hiddenStates(batch), batch.ids, this, want);
  }

  logits(batch: SequenceBatch): tfc.Tensor3D {
    return this.logitsFrom(this.hiddenStates(batch)) as tfc.Tensor3D;
  }

  async generate(prompts: number[][], sampling: SamplingOptions, rng: Rng): Promise<Rollout> {
    return generate(this, prompts, sampling, rng);
  }

  trainableVariables(): tfc.Variable[] {
    if (!this.trainable) return [];
    if (!this.lora) return [...this.weights.values()];
    // with LoRA: the adapters, then the value head; the base stays frozen
    return [...this.lora.variables(), ...[VALUE_HEAD.weight, VALUE_HEAD.bias].flatMap((n) => (this.weights.has(n) ? [this.w(n)] : []))];
  }

  private rebuild(weights: Map<string, tfc.Variable>, trainable: boolean, parts: HFModelParts = {}): HFCausalLM {
    return new HFCausalLM(this.tf, this.arch, this.tokenizer, weights, this.source, trainable, this.fullVocabulary, this.saveDtype, parts).suppressTokens(this.suppressed);
  }

  /** Give up this model's weights to a new model (this one is spent). */
  private handOver(): Map<string, tfc.Variable> {
    const weights = new Map(this.weights);
    this.weights.clear();
    this.invFreq?.dispose();
    this.suppressBias?.dispose();
    this.disposed = true;
    return weights;
  }

  /**
   * The frozen KL reference. Without LoRA: a copy of the weights. With LoRA: a view over this
   * model's own base variables (no weight is copied) with the adapters switched off, or, when the
   * model was built with `referenceAdapters: 'copy'`, with a frozen copy of the adapters.
   */
  frozenCopy(): HFCausalLM {
    if (this.lora) return this.rebuild(this.weights, false, { share: true, lora: this.parts.referenceAdapters === 'copy' ? this.lora.frozenCopy() : undefined });
    const copies = new Map<string, tfc.Variable>();
    for (const [k, v] of this.weights) {
      const c = v.clone();
      copies.set(k, this.tf.variable(c, false, undefined, 'float32'));
      c.dispose();
    }
    return this.rebuild(copies, false);
  }

  /** A model with a freshly initialised value head (weight ~ N(0, 0.02²) from `rng.fork('v_head.weight')`, bias 0); this one is consumed. */
  withValueHead(rng: Rng): HFCausalLM {
    if (this.hasValueHead) return this;
    if (this.lora || this.parts.share) throw new Error('HFCausalLM.withValueHead: add the value head before the adapters');
    const d = this.arch.hidden;
    const r = rng.fork(VALUE_HEAD.weight);
    const w = new Float32Array(d);
    for (let i = 0; i < d; i++) w[i] = r.normal() * 0.02;
    const weights = new Map(this.weights);
    const wt = this.tf.tensor2d(w, [d, 1]);
    const bt = this.tf.zeros([1]);
    weights.set(VALUE_HEAD.weight, this.tf.variable(wt, this.trainable, undefined, 'float32'));
    weights.set(VALUE_HEAD.bias, this.tf.variable(bt, this.trainable, undefined, 'float32'));
    this.tf.dispose([wt, bt]);
    this.handOver();
    return this.rebuild(weights, this.trainable);
  }

  /**
   * This model with LoRA adapters on (it takes ownership of `adapters`; this model is spent, its
   * variables move over). The base variables are marked frozen; only the adapters and a value head
   * train.
   */
  withLora(adapters: LoraAdapters, o: { referenceAdapters?: 'off' | 'copy'; adapterBase?: string } = {}): HFCausalLM {
    if (this.lora || this.parts.share) throw new Error('HFCausalLM.withLora: the model already has adapters or is a view');
    for (const [n, v] of this.weights) if (n !== VALUE_HEAD.weight && n !== VALUE_HEAD.bias) v.trainable = false;
    return this.rebuild(this.handOver(), this.trainable, { lora: adapters, ...o });
  }

  /** A view of this model with its adapters switched off (the base), sharing every weight. */
  baseView(): HFCausalLM {
    return this.rebuild(this.weights, false, { share: true });
  }

  /** adapter_config.json of this model's adapters (fan_in_fan_out for GPT-2's Conv1D). */
  peftConfig(): PeftLoraConfig {
    if (!this.lora) throw new Error('HFCausalLM.peftConfig: the model has no adapters');
    return toPeftConfig(this.lora.settings, { base: this.parts.adapterBase ?? null, fanInFanOut: hfFanInFanOut(this.arch), modulesToSave: this.hasValueHead ? ['v_head'] : undefined });
  }

  /** Every base weight (and the value head) by its Hugging Face name, Linear weights held [in, out]; what ./export.ts writes. */
  baseWeights(): Map<string, tfc.Tensor> {
    return new Map(this.weights);
  }

  /**
   * Write the model in the Hugging Face layout it was read from (./export.ts). With LoRA, the
   * adapter (adapter_config.json + adapter_model.safetensors) beside the unchanged base; with
   * `mergeAdapters`, a plain folder whose adapted weights are W + (B·A)·(α/r) (held as [in, out]:
   * W + (Aᵀ·Bᵀ)·(α/r)), in the original layout and dtypes.
   */
  async save(dir: string, opts: SaveOptions = {}): Promise<void> {
    const lora = this.lora;
    if (!lora) return saveHF(this, dir, opts);
    if (!opts.mergeAdapters) return saveHF(this, dir, opts, { extraFiles: await adapterFiles(lora, this.peftConfig()) });
    const weights = this.baseWeights();
    const made: tfc.Tensor[] = [];
    try {
      for (const m of lora.moduleNames()) {
        const name = `${hfWeightModule(this.arch, this.source.prefix, m)}.weight`;
        const merged = mergedWeight(this.tf, weights.get(name)!, lora.pair(m)!, lora.scaling, true);
        made.push(merged);
        weights.set(name, merged);
      }
      await saveHF(this, dir, { config: opts.config }, { weights });
    } finally {
      this.tf.dispose(made);
    }
  }

  /** Named weights (scale-out broadcasts). With LoRA only what trains: the adapters under PEFT's names, and the value head. */
  namedWeights(): Map<string, tfc.Tensor> {
    if (!this.lora) return new Map(this.weights);
    const out = new Map<string, tfc.Tensor>(this.lora.namedTensors());
    for (const n of [VALUE_HEAD.weight, VALUE_HEAD.bias]) if (this.weights.has(n)) out.set(n, this.w(n));
    return out;
  }

  loadNamedWeights(weights: Map<string, tfc.Tensor>): void {
    const adapters = this.lora?.namedTensors();
    for (const [name, t] of weights) {
      const v = this.weights.get(name) ?? adapters?.get(name);
      if (!v) throw new Error(`HFCausalLM.loadNamedWeights: unknown weight "${name}"`);
      if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i])) throw new Error(`HFCausalLM.loadNamedWeights: "${name}" has shape [${t.shape}], expected [${v.shape}]`);
      v.assign(t.dtype === 'float32' ? t : this.tf.cast(t, 'float32'));
    }
  }

  parameterCount(): number {
    let n = 0;
    this.weights.forEach((v) => (n += v.size));
    return n + (this.lora?.parameterCount() ?? 0);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.parts.share) this.weights.forEach((v) => v.dispose());
    this.lora?.dispose();
    this.invFreq?.dispose();
    this.suppressBias?.dispose();
  }
}
