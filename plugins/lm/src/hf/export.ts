/**
 * Write a Hugging Face model back in the layout it was read from: config.json (the original, with
 * the `rlhfjs` block that names the loading plugin), the weights under their original names, dtypes,
 * shapes (torch Linear weights transposed back to [out, in]) and file split (model.safetensors, or
 * the same shards with model.safetensors.index.json), and the tokenizer files copied verbatim. A
 * value head goes to its own file, value_head.safetensors, never into the model's tensors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import { atomicWriteDir, type SaveOptions } from '@rlhfjs/core';
import type { HFCausalLM } from './model';
import { embeddingName } from './config';
import { INDEX_FILE, SINGLE_FILE, writeSafetensorsFile, type TensorToWrite } from './safetensors-io';

export const VALUE_HEAD_FILE = 'value_head.safetensors';
export const HF_AGENT = { package: '@rlhfjs/plugin-lm', agent: 'hf-causal-lm' } as const;

/** [rows, cols] → [cols, rows]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[o + c];
  }
  return out;
}

/**
 * `extra.weights` replaces the model's own (e.g. with LoRA merged in); `extra.extraFiles` are
 * written beside the model (e.g. a LoRA adapter's two files).
 */
export async function saveHF(model: HFCausalLM, dir: string, opts: SaveOptions = {}, extra: { weights?: Map<string, tfc.Tensor>; extraFiles?: Record<string, string | Uint8Array> } = {}): Promise<void> {
  const src = model.source;
  const weights = extra.weights ?? model.baseWeights();
  const valuesOf = (name: string, linear: boolean) => async (): Promise<Float32Array> => {
    const v = weights.get(name) as tfc.Tensor;
    const data = (await v.data()) as Float32Array;
    // held as [in, out]; written as torch's [out, in]
    return linear ? transpose2d(data, v.shape[0], v.shape[1] as number) : data;
  };
  const f32 = model.saveDtype === 'float32';
  const all: TensorToWrite[] = src.tensors.map((t) => ({ name: t.name, dtype: f32 ? 'F32' : t.dtype, shape: t.shape, data: valuesOf(t.name, t.linear) }));
  if (src.tiedHeadStored) {
    const emb = embeddingName(model.arch, src.prefix);
    all.push({ name: 'lm_head.weight', dtype: f32 ? 'F32' : src.tiedHeadStored, shape: [model.arch.vocabSize, model.arch.hidden], data: valuesOf(emb, false) });
  }
  const config = { ...src.rawConfig, ...(f32 ? { torch_dtype: 'float32' } : {}), ...(opts.config ?? {}), rlhfjs: { ...HF_AGENT } };
  await atomicWriteDir(dir, async (tmp) => {
    fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    if (src.weightMap) {
      const map = src.weightMap;
      const shards = [...new Set(all.map((t) => map[t.name] ?? Object.values(map)[0]))];
      let total = 0;
      const weightMap: Record<string, string> = {};
      for (const shard of shards) {
        const inShard = all.filter((t) => (map[t.name] ?? Object.values(map)[0]) === shard);
        inShard.forEach((t) => (weightMap[t.name] = shard));
        total += await writeSafetensorsFile(path.join(tmp, shard), inShard);
      }
      const index = { metadata: { ...(src.indexMetadata ?? {}), total_size: total }, weight_map: Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]])) };
      fs.writeFileSync(path.join(tmp, INDEX_FILE), JSON.stringify(index, null, 2) + '\n');
    } else {
      await writeSafetensorsFile(path.join(tmp, SINGLE_FILE), all);
    }
    if (model.hasValueHead) {
      const d = model.arch.hidden;
      await writeSafetensorsFile(
        path.join(tmp, VALUE_HEAD_FILE),
        [
          { name: 'v_head.weight', dtype: 'F32', shape: [d, 1], data: valuesOf('v_head.weight', false) },
          { name: 'v_head.bias', dtype: 'F32', shape: [1], data: valuesOf('v_head.bias', false) },
        ],
        { format: 'pt', producer: HF_AGENT.package, note: 'value head of the policy in this folder: value = hidden · v_head.weight + v_head.bias, on the final-norm hidden state' },
      );
    }
    for (const [name, bytes] of src.files) fs.writeFileSync(path.join(tmp, name), bytes);
    for (const [name, content] of Object.entries(extra.extraFiles ?? {})) fs.writeFileSync(path.join(tmp, name), content);
  });
}
