/**
 * A Hugging Face `config.json` read into the handful of numbers the decoders need, and the list of
 * tensors (Hugging Face names and on-disk shapes) each architecture's checkpoint holds.
 */
import { DiagnosticError } from '@rlhfjs/core';

export const SUPPORTED_MODEL_TYPES = ['gpt2', 'llama', 'qwen2', 'gpt_neo'] as const;
export type Family = 'gpt2' | 'llama' | 'gpt_neo';

export interface HFArch {
  /** config.json's model_type, written back on export. */
  modelType: string;
  family: Family;
  vocabSize: number;
  /** Learned positions (gpt2, gpt_neo) or max_position_embeddings (llama family). */
  contextSize: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  eps: number;
  tieEmbeddings: boolean;
  /** llama family: inverse rotary frequencies θ^(−2i/dh), i < dh/2, after any rope_scaling. */
  invFreq?: Float32Array;
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  /** gpt_neo: which layers use local (windowed) attention, and the window. */
  localLayers: boolean[];
  windowSize: number;
}

/** One tensor of a checkpoint: its Hugging Face name, its shape on disk, and whether it is a torch Linear ([out, in], kept transposed in memory). */
export interface TensorSpec {
  name: string;
  shape: number[];
  linear: boolean;
}

type Where = { file: string };

function bad(where: Where, pointer: string, message: string, fix: string): DiagnosticError {
  return new DiagnosticError({ code: 'hf/bad-config', file: where.file, pointer, message: `${where.file}: ${message}`, fix });
}

function int(cfg: Record<string, unknown>, where: Where, ...keys: string[]): number {
  for (const k of keys) {
    const v = cfg[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(where, `/${k}`, `${k} must be a positive integer (got ${JSON.stringify(v)})`, `Correct ${k} in config.json.`);
    return v;
  }
  throw bad(where, `/${keys[0]}`, `${keys.join(' / ')} is missing`, `Add ${keys[0]} to config.json (the value the weights were trained with).`);
}

function num(cfg: Record<string, unknown>, key: string, dflt: number, where: Where): number {
  const v = cfg[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(where, `/${key}`, `${key} must be a number (got ${JSON.stringify(v)})`, `Correct ${key} in config.json.`);
  return v;
}

function notSupported(where: Where, pointer: string, message: string): DiagnosticError {
  return new DiagnosticError({ code: 'hf/not-supported', file: where.file, pointer, message: `${where.file}: ${message}`, fix: 'Use a model without this setting, or convert it to one of the supported forms.' });
}

/** Read config.json; errors name the file and the field. */
export function parseHFConfig(cfg: Record<string, unknown>, file: string): HFArch {
  const where = { file };
  const modelType = cfg.model_type;
  if (typeof modelType !== 'string' || !(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw new DiagnosticError({
      code: 'hf/unsupported-model-type',
      file,
      pointer: '/model_type',
      message: `${file}: model_type ${JSON.stringify(modelType)} is not supported; supported model types: ${SUPPORTED_MODEL_TYPES.join(', ')}`,
      fix:
        modelType === 'rlhfjs-gpt'
          ? 'This is a checkpoint of the project\'s own GPT: load it with the gpt agent (`checkpoint: <dir>`), or write it as a GPT-2 folder with the hf-export job.'
          : `Use a checkpoint of one of ${SUPPORTED_MODEL_TYPES.join(', ')} (e.g. gpt2, distilgpt2, EleutherAI/gpt-neo-125m, HuggingFaceTB/SmolLM2-135M, Qwen/Qwen2.5-0.5B).`,
    });
  }
  if ((cfg.is_encoder_decoder as boolean | undefined) === true) throw notSupported(where, '/is_encoder_decoder', 'encoder-decoder models are not supported');
  if (modelType === 'gpt2') {
    const hidden = int(cfg, where, 'n_embd');
    const heads = int(cfg, where, 'n_head');
    if (hidden % heads !== 0) throw bad(where, '/n_head', `n_embd (${hidden}) is not divisible by n_head (${heads})`, 'Correct n_head in config.json.');
    const act = cfg.activation_function ?? 'gelu_new';
    if (act !== 'gelu_new') throw notSupported(where, '/activation_function', `activation_function ${JSON.stringify(act)} is not supported (only "gelu_new", GPT-2's tanh-approximated GELU)`);
    if (cfg.scale_attn_by_inverse_layer_idx === true) throw notSupported(where, '/scale_attn_by_inverse_layer_idx', 'scale_attn_by_inverse_layer_idx is not supported');
    if (cfg.scale_attn_weights === false) throw notSupported(where, '/scale_attn_weights', 'scale_attn_weights false is not supported');
    const layers = int(cfg, where, 'n_layer');
    return {
      modelType, family: 'gpt2', vocabSize: int(cfg, where, 'vocab_size'), contextSize: int(cfg, where, 'n_positions', 'n_ctx'), hidden, layers, heads, kvHeads: heads, headDim: hidden / heads,
      intermediate: (cfg.n_inner as number | null | undefined) ?? 4 * hidden, eps: num(cfg, 'layer_norm_epsilon', 1e-5, where), tieEmbeddings: cfg.tie_word_embeddings !== false,
      qkvBias: true, oBias: true, mlpBias: true, localLayers: new Array<boolean>(layers).fill(false), windowSize: 0,
    };
  }
  if (modelType === 'gpt_neo') {
    const hidden = int(cfg, where, 'hidden_size');
    const heads = int(cfg, where, 'num_heads');
    if (hidden % heads !== 0) throw bad(where, '/num_heads', `hidden_size (${hidden}) is not divisible by num_heads (${heads})`, 'Correct num_heads in config.json.');
    const act = cfg.activation_function ?? 'gelu_new';
    if (act !== 'gelu_new') throw notSupported(where, '/activation_function', `activation_function ${JSON.stringify(act)} is not supported (only "gelu_new")`);
    const layers = int(cfg, where, 'num_layers');
    // attention_types: [[["global", "local"], 6]] expands to the per-layer list
    const types: string[] = [];
    const spec = cfg.attention_types as Array<[string[], number]> | undefined;
    if (Array.isArray(spec)) for (const [kinds, n] of spec) for (let i = 0; i < n; i++) types.push(...kinds);
    else if (Array.isArray(cfg.attention_layers)) types.push(...(cfg.attention_layers as string[]));
    if (types.length !== layers || types.some((t) => t !== 'global' && t !== 'local')) {
      throw bad(where, '/attention_types', `attention_types expands to ${types.length} layers (${types.join(', ')}), but num_layers is ${layers}`, 'Correct attention_types (e.g. [[["global", "local"], 6]] for 12 layers).');
    }
    return {
      modelType, family: 'gpt_neo', vocabSize: int(cfg, where, 'vocab_size'), contextSize: int(cfg, where, 'max_position_embeddings'), hidden, layers, heads, kvHeads: heads, headDim: hidden / heads,
      intermediate: (cfg.intermediate_size as number | null | undefined) ?? 4 * hidden, eps: num(cfg, 'layer_norm_epsilon', 1e-5, where), tieEmbeddings: cfg.tie_word_embeddings !== false,
      qkvBias: false, oBias: true, mlpBias: true, localLayers: types.map((t) => t === 'local'), windowSize: int(cfg, where, 'window_size'),
    };
  }
  // llama, qwen2
  const hidden = int(cfg, where, 'hidden_size');
  const heads = int(cfg, where, 'num_attention_heads');
  const kvHeads = cfg.num_key_value_heads === undefined || cfg.num_key_value_heads === null ? heads : int(cfg, where, 'num_key_value_heads');
  if (heads % kvHeads !== 0) throw bad(where, '/num_key_value_heads', `num_attention_heads (${heads}) is not a multiple of num_key_value_heads (${kvHeads})`, 'Correct num_key_value_heads in config.json.');
  const headDim = cfg.head_dim === undefined || cfg.head_dim === null ? hidden / heads : int(cfg, where, 'head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw bad(where, '/head_dim', `the head dimension ${headDim} must be an even integer`, 'Set head_dim (or hidden_size / num_attention_heads) to an even integer.');
  const act = cfg.hidden_act ?? 'silu';
  if (act !== 'silu') throw notSupported(where, '/hidden_act', `hidden_act ${JSON.stringify(act)} is not supported (only "silu", the SwiGLU MLP)`);
  if (modelType === 'qwen2' && cfg.use_sliding_window === true) throw notSupported(where, '/use_sliding_window', 'use_sliding_window true is not supported');
  if (cfg.pretraining_tp !== undefined && cfg.pretraining_tp !== 1) throw notSupported(where, '/pretraining_tp', `pretraining_tp ${JSON.stringify(cfg.pretraining_tp)} is not supported (only 1)`);
  const theta = num(cfg, 'rope_theta', 10000, where);
  const attnBias = cfg.attention_bias === true;
  return {
    modelType, family: 'llama', vocabSize: int(cfg, where, 'vocab_size'), contextSize: int(cfg, where, 'max_position_embeddings'), hidden, layers: int(cfg, where, 'num_hidden_layers'), heads, kvHeads, headDim,
    intermediate: int(cfg, where, 'intermediate_size'), eps: num(cfg, 'rms_norm_eps', 1e-6, where),
    // LlamaConfig and Qwen2Config default tie_word_embeddings to false
    tieEmbeddings: cfg.tie_word_embeddings === true,
    invFreq: ropeInvFreq(headDim, theta, cfg.rope_scaling, where),
    qkvBias: modelType === 'qwen2' || attnBias, oBias: modelType !== 'qwen2' && attnBias, mlpBias: modelType !== 'qwen2' && cfg.mlp_bias === true,
    localLayers: [], windowSize: 0,
  };
}

/**
 * Rotary inverse frequencies: invFreq_i = θ^(−2i/dh), i < dh/2 (computed in float32 as PyTorch does).
 * With rope_scaling type "llama3" (factor f, low_freq_factor lo, high_freq_factor hi, original
 * context C): with wavelength λ = 2π / invFreq, frequencies with λ > C/lo are divided by f, those with
 * λ < C/hi are kept, and in between s = (C/λ − lo)/(hi − lo) blends them: (1 − s)·invFreq/f + s·invFreq.
 */
export function ropeInvFreq(dh: number, theta: number, scaling: unknown, where: Where): Float32Array {
  const inv = new Float32Array(dh / 2);
  // torch: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), in float32
  for (let i = 0; i < dh / 2; i++) inv[i] = 1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / dh)));
  if (scaling === undefined || scaling === null) return inv;
  const s = scaling as Record<string, unknown>;
  const type = s.rope_type ?? s.type;
  if (type === 'default') return inv;
  if (type !== 'llama3') {
    throw new DiagnosticError({
      code: 'hf/not-supported',
      file: where.file,
      pointer: '/rope_scaling/rope_type',
      message: `${where.file}: rope_scaling type ${JSON.stringify(type)} is not supported (only "llama3" or none)`,
      fix: 'Use a checkpoint without rope_scaling, or with rope_scaling.rope_type "llama3".',
    });
  }
  const need = (k: string): number => {
    const v = s[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(where, `/rope_scaling/${k}`, `rope_scaling.${k} must be a number (got ${JSON.stringify(v)})`, `Set rope_scaling.${k}.`);
    return v;
  };
  const factor = need('factor');
  const lo = need('low_freq_factor');
  const hi = need('high_freq_factor');
  const C = need('original_max_position_embeddings');
  const loWave = C / lo;
  const hiWave = C / hi;
  for (let i = 0; i < inv.length; i++) {
    const f = inv[i];
    const wave = (2 * Math.PI) / f;
    let v = wave > loWave ? f / factor : f;
    if (!(wave < hiWave) && !(wave > loWave)) {
      const sm = (C / wave - lo) / (hi - lo);
      v = (1 - sm) * (v / factor) + sm * v;
    }
    inv[i] = v;
  }
  return inv;
}

/** Tensors a checkpoint of `a` holds (without the optional tied lm_head and non-parameter buffers), names with `prefix`. */
export function tensorSpecs(a: HFArch, prefix: string): TensorSpec[] {
  const d = a.hidden;
  const out: TensorSpec[] = [];
  const add = (name: string, shape: number[], linear = false) => out.push({ name, shape, linear });
  if (a.family === 'gpt2' || a.family === 'gpt_neo') {
    const p = prefix;
    add(`${p}wte.weight`, [a.vocabSize, d]);
    add(`${p}wpe.weight`, [a.contextSize, d]);
    for (let i = 0; i < a.layers; i++) {
      const h = `${p}h.${i}.`;
      add(`${h}ln_1.weight`, [d]);
      add(`${h}ln_1.bias`, [d]);
      if (a.family === 'gpt2') {
        // Conv1D weights are stored [in, out]
        add(`${h}attn.c_attn.weight`, [d, 3 * d]);
        add(`${h}attn.c_attn.bias`, [3 * d]);
        add(`${h}attn.c_proj.weight`, [d, d]);
        add(`${h}attn.c_proj.bias`, [d]);
      } else {
        for (const m of ['q_proj', 'k_proj', 'v_proj']) add(`${h}attn.attention.${m}.weight`, [d, d], true);
        add(`${h}attn.attention.out_proj.weight`, [d, d], true);
        add(`${h}attn.attention.out_proj.bias`, [d]);
      }
      add(`${h}ln_2.weight`, [d]);
      add(`${h}ln_2.bias`, [d]);
      const lin = a.family === 'gpt_neo';
      add(`${h}mlp.c_fc.weight`, lin ? [a.intermediate, d] : [d, a.intermediate], lin);
      add(`${h}mlp.c_fc.bias`, [a.intermediate]);
      add(`${h}mlp.c_proj.weight`, lin ? [d, a.intermediate] : [a.intermediate, d], lin);
      add(`${h}mlp.c_proj.bias`, [d]);
    }
    add(`${p}ln_f.weight`, [d]);
    add(`${p}ln_f.bias`, [d]);
  } else {
    const q = a.heads * a.headDim;
    const kv = a.kvHeads * a.headDim;
    add('model.embed_tokens.weight', [a.vocabSize, d]);
    for (let i = 0; i < a.layers; i++) {
      const h = `model.layers.${i}.`;
      add(`${h}input_layernorm.weight`, [d]);
      add(`${h}self_attn.q_proj.weight`, [q, d], true);
      add(`${h}self_attn.k_proj.weight`, [kv, d], true);
      add(`${h}self_attn.v_proj.weight`, [kv, d], true);
      if (a.qkvBias) {
        add(`${h}self_attn.q_proj.bias`, [q]);
        add(`${h}self_attn.k_proj.bias`, [kv]);
        add(`${h}self_attn.v_proj.bias`, [kv]);
      }
      add(`${h}self_attn.o_proj.weight`, [d, q], true);
      if (a.oBias) add(`${h}self_attn.o_proj.bias`, [d]);
      add(`${h}post_attention_layernorm.weight`, [d]);
      add(`${h}mlp.gate_proj.weight`, [a.intermediate, d], true);
      add(`${h}mlp.up_proj.weight`, [a.intermediate, d], true);
      add(`${h}mlp.down_proj.weight`, [d, a.intermediate], true);
      if (a.mlpBias) {
        add(`${h}mlp.gate_proj.bias`, [a.intermediate]);
        add(`${h}mlp.up_proj.bias`, [a.intermediate]);
        add(`${h}mlp.down_proj.bias`, [d]);
      }
    }
    add('model.norm.weight', [d]);
  }
  if (!a.tieEmbeddings) add('lm_head.weight', [a.vocabSize, d], true);
  return out;
}

/** Buffers some checkpoints carry that are not parameters (causal masks, cached rotary frequencies): skipped on load. */
export function isBuffer(name: string): boolean {
  return /\.attn\.(bias|masked_bias)$/.test(name) || /\.attn\.attention\.(bias|masked_bias)$/.test(name) || /rotary_emb\.inv_freq$/.test(name);
}

/** The embedding tensor's name. */
export function embeddingName(a: HFArch, prefix: string): string {
  return a.family === 'llama' ? 'model.embed_tokens.weight' : `${prefix}wte.weight`;
}
