/**
 * The project's own GPT checkpoints (model_type "rlhfjs-gpt", e.g. recipes/models/base) written as
 * Hugging Face GPT-2 folders. The architectures are the same (learned positions, pre-LayerNorm
 * blocks with eps 1e-5, gelu_new MLP, fused c_attn, Conv1D weights [in, out]), so the conversion is
 * renaming: `wte` → `transformer.wte.weight`, `h.i.*` → `transformer.h.i.*`, `ln_f.*` →
 * `transformer.ln_f.*`; an untied head [d, V] becomes `lm_head.weight` [V, d] (torch Linear).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { atomicWriteDir } from '@rlhfjs/core';
import { readCheckpoint } from '../checkpoint/checkpoint';
import { fromCheckpointConfig } from '../model/checkpoint-io';
import { transpose2d, VALUE_HEAD_FILE } from './export';
import { SINGLE_FILE, writeSafetensorsFile, type TensorToWrite } from './safetensors-io';

/** Convert the checkpoint folder `src` (written by the gpt agent or the pretrain job) to a GPT-2 folder `out` (atomically). */
export async function gptCheckpointToHF(src: string, out: string): Promise<{ parameters: number; tensors: number }> {
  const ck = readCheckpoint(src);
  const c = fromCheckpointConfig(ck.config, path.join(src, 'config.json'));
  const tok = ck.tokenizer;
  const eos = tok.decode([tok.eosId]);
  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.contextSize,
    n_ctx: c.contextSize,
    n_embd: c.dModel,
    n_layer: c.nLayers,
    n_head: c.nHeads,
    n_inner: c.dMlp,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    use_cache: true,
    bos_token_id: tok.bosId,
    eos_token_id: tok.eosId,
    tie_word_embeddings: c.tieEmbeddings,
    torch_dtype: 'float32',
  };
  // add_bos_token: the project's models are trained with BOS before every text, and keep it here
  const tokenizerConfig = { bos_token: eos, eos_token: eos, unk_token: eos, add_bos_token: true, add_prefix_space: false, model_max_length: c.contextSize, tokenizer_class: 'GPT2Tokenizer' };
  const tensors: TensorToWrite[] = [];
  const head: TensorToWrite[] = [];
  let parameters = 0;
  for (const [name, t] of ck.tensors) {
    const data = t.data as Float32Array;
    if (name === 'v_head.weight' || name === 'v_head.bias') {
      head.push({ name, dtype: 'F32', shape: t.shape, data: () => data });
      continue;
    }
    parameters += data.length;
    if (name === 'lm_head.weight') {
      tensors.push({ name, dtype: 'F32', shape: [t.shape[1], t.shape[0]], data: () => transpose2d(data, t.shape[0], t.shape[1]) });
      continue;
    }
    const hfName = name === 'wte' || name === 'wpe' ? `transformer.${name}.weight` : `transformer.${name}`;
    tensors.push({ name: hfName, dtype: 'F32', shape: t.shape, data: () => data });
  }
  await atomicWriteDir(out, async (tmp) => {
    fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    fs.writeFileSync(path.join(tmp, 'tokenizer.json'), JSON.stringify(tok.toJSON(), null, 2) + '\n');
    fs.writeFileSync(path.join(tmp, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2) + '\n');
    await writeSafetensorsFile(path.join(tmp, SINGLE_FILE), tensors);
    if (head.length === 2) await writeSafetensorsFile(path.join(tmp, VALUE_HEAD_FILE), head);
  });
  return { parameters, tensors: tensors.length };
}
