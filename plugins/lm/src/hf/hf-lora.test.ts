import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdamW, packRollout, readSafetensors, Rng, type SequenceBatch } from '@rlhfjs/core';
import { diagnosticThrownBy } from '@rlhfjs/core/testing';
import { ByteBPETokenizer } from '../tokenizer/byte-bpe';
import { readHeader, writeSafetensorsFile, type HFDtype } from './safetensors-io';
import { loadHF } from './load';
import { parseHFConfig, tensorSpecs } from './config';
import { hfLoraModules } from './lora';
import { hfFootprint } from './footprint';
import type { HFCausalLM } from './model';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from '../lora/peft-format';
import type { LoraSettings } from '../lora/adapters';

const tok = ByteBPETokenizer.train(Array(30).fill('the cat sat on the mat, then the dog ran off'), { vocabSize: 270 });
let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-hf-lora-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const V = tok.vocabSize + 2;
const CONFIGS: Record<string, Record<string, unknown>> = {
  gpt2: { model_type: 'gpt2', n_embd: 16, n_head: 4, n_layer: 2, n_positions: 32, vocab_size: V },
  // grouped-query attention: 4 query heads read 2 key/value heads; untied head
  llama: { model_type: 'llama', hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, intermediate_size: 24, max_position_embeddings: 32, rms_norm_eps: 1e-5, tie_word_embeddings: false, vocab_size: V },
  gpt_neo: { model_type: 'gpt_neo', hidden_size: 16, num_heads: 4, num_layers: 2, attention_types: [[['global', 'local'], 1]], window_size: 3, max_position_embeddings: 32, vocab_size: V },
};

/** A tiny random Hugging Face folder of `type`, its trunk tensors named with `prefix`. */
async function tinyFolder(name: string, type: string, prefix = type === 'llama' ? '' : 'transformer.', dtype: HFDtype = 'F32'): Promise<string> {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(CONFIGS[type]));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tok.toJSON()));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|endoftext|>', bos_token: '<|endoftext|>' }));
  const rng = new Rng(7);
  const specs = tensorSpecs(parseHFConfig(CONFIGS[type], 'config.json'), prefix);
  await writeSafetensorsFile(path.join(dir, 'model.safetensors'), specs.map((s) => ({ name: s.name, dtype, shape: s.shape, data: () => Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.3) })));
  return dir;
}

function batch(): { batch: SequenceBatch; dispose(): void } {
  const rows = [
    [0, 5, 9, 12, 40, 41, 7, 100],
    [0, 17, 3, 99, 8],
    [0, 60, 61],
  ];
  const p = packRollout(tf, { promptIds: rows.map((r) => r.slice(0, 2)), responseIds: rows.map((r) => r.slice(2)) }, 0);
  return { batch: p.batch, dispose: () => (p.batch.ids.dispose(), p.batch.attentionMask.dispose()) };
}

function logprobs(m: HFCausalLM): number[] {
  const b = batch();
  const out = tf.tidy(() => Array.from(m.forward(b.batch).logprobs.dataSync()));
  b.dispose();
  return out;
}

const maxDiff = (a: number[], b: number[]) => a.reduce((d, v, i) => Math.max(d, Math.abs(v - b[i])), 0);
const ALL: Record<string, string[]> = { gpt2: ['c_attn', 'c_proj', 'c_fc'], llama: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], gpt_neo: ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'c_fc', 'c_proj'] };
const settings = (type: string): LoraSettings => ({ rank: 2, alpha: 4, dropout: 0, targetModules: ALL[type] });

describe('adaptable projections', () => {
  it('lists PEFT module paths with their in/out widths worked out from config.json', () => {
    const layer0 = (type: string) => hfLoraModules(parseHFConfig(CONFIGS[type], 'config.json')).filter((m) => /\.(0)\./.test(m.name)).map((m) => [m.name, m.inFeatures, m.outFeatures]);
    expect(layer0('gpt2')).toEqual([
      ['transformer.h.0.attn.c_attn', 16, 48],
      ['transformer.h.0.attn.c_proj', 16, 16],
      ['transformer.h.0.mlp.c_fc', 16, 64],
      ['transformer.h.0.mlp.c_proj', 64, 16],
    ]);
    // GQA: k and v project onto 2 heads × 4 = 8
    expect(layer0('llama')).toEqual([
      ['model.layers.0.self_attn.q_proj', 16, 16],
      ['model.layers.0.self_attn.k_proj', 16, 8],
      ['model.layers.0.self_attn.v_proj', 16, 8],
      ['model.layers.0.self_attn.o_proj', 16, 16],
      ['model.layers.0.mlp.gate_proj', 16, 24],
      ['model.layers.0.mlp.up_proj', 16, 24],
      ['model.layers.0.mlp.down_proj', 24, 16],
    ]);
    expect(layer0('gpt_neo').map((m) => m[0])).toEqual(['q_proj', 'k_proj', 'v_proj', 'out_proj'].map((n) => `transformer.h.0.attn.attention.${n}`).concat(['transformer.h.0.mlp.c_fc', 'transformer.h.0.mlp.c_proj']));
  });
});

describe.each(['gpt2', 'llama', 'gpt_neo'])('LoRA on a %s folder', (type) => {
  it('step 0 is the base bit for bit; only adapters and value head train; merge, reference and saved adapter agree', async () => {
    const dir = await tinyFolder(`${type}-base`, type);
    const base = loadHF(dir, tf);
    const baseLp = logprobs(base);
    const policy = loadHF(dir, tf, { valueHead: true, rng: new Rng(2), lora: { settings: settings(type), rng: new Rng(3) } });
    expect(logprobs(policy)).toEqual(baseLp);

    // trainable: lora_A/lora_B of every adapted module, then the value head; the base is frozen
    const vars = policy.trainableVariables();
    const d = 16;
    const modules = hfLoraModules(base.arch);
    const byHand = modules.reduce((s, m) => s + 2 * (m.inFeatures + m.outFeatures), 0) + d + 1;
    expect(vars.reduce((s, v) => s + v.size, 0)).toBe(byHand);
    expect(policy.lora!.moduleNames()).toEqual(modules.map((m) => m.name));
    const baseVars = [...policy.baseWeights()].filter(([n]) => !n.startsWith('v_head'));
    expect(baseVars.every(([, v]) => !(v as tf.Variable).trainable)).toBe(true);
    const before = new Map(baseVars.map(([n, v]) => [n, { id: v.dataId, data: Array.from(v.dataSync()) }]));

    const opt = new AdamW(tf, vars, { learningRate: 2e-2, owner: { plugin: 'test' } });
    const b = batch();
    for (let i = 0; i < 4; i++) {
      opt.step(() => {
        const out = policy.forward(b.batch, { values: true });
        return tf.add(tf.neg(tf.mean(out.logprobs)), tf.mean(tf.square(out.values!)));
      }, { step: i });
    }
    b.dispose();
    for (const [n, v] of baseVars) {
      expect(v.dataId).toBe(before.get(n)!.id);
      expect(Array.from(v.dataSync())).toEqual(before.get(n)!.data);
    }
    const adapted = logprobs(policy);
    expect(maxDiff(adapted, baseLp)).toBeGreaterThan(1e-3);

    // the KL reference: the same base variables with the adapters off
    const ref = policy.frozenCopy();
    expect(ref.trainableVariables()).toEqual([]);
    expect(ref.baseWeights().get(baseVars[0][0])).toBe(baseVars[0][1]);
    expect(logprobs(ref)).toEqual(baseLp);
    ref.dispose();
    expect(logprobs(policy)).toEqual(adapted);

    // the adapter in PEFT's format beside the unchanged base
    const saved = path.join(root, `${type}-saved`);
    await policy.save(saved);
    const cfg = JSON.parse(fs.readFileSync(path.join(saved, ADAPTER_CONFIG_FILE), 'utf8'));
    expect([cfg.peft_type, cfg.r, cfg.lora_alpha, cfg.target_modules, cfg.fan_in_fan_out, cfg.base_model_name_or_path]).toEqual(['LORA', 2, 4, ALL[type], type === 'gpt2', dir]);
    const { tensors } = readSafetensors(path.join(saved, ADAPTER_WEIGHTS_FILE));
    const expected = new Map<string, number[]>();
    for (const m of modules) {
      expected.set(`base_model.model.${m.name}.lora_A.weight`, [2, m.inFeatures]);
      expected.set(`base_model.model.${m.name}.lora_B.weight`, [m.outFeatures, 2]);
    }
    expect(new Map([...tensors].map(([k, t]) => [k, t.shape]))).toEqual(expected);
    const origHeader = readHeader(path.join(dir, 'model.safetensors'));
    const savedBase = loadHF(saved, tf, { trainable: false });
    // a saved LoRA policy loads with its adapter on, and its reference keeps that adapter
    expect(logprobs(savedBase)).toEqual(adapted);
    const savedRef = savedBase.frozenCopy();
    expect(logprobs(savedRef)).toEqual(adapted);
    savedRef.dispose();
    const plainBase = savedBase.baseView();
    expect(logprobs(plainBase)).toEqual(baseLp);
    plainBase.dispose();
    savedBase.dispose();

    // an adapter-only folder on the base (LoadModelOptions.adapter)
    const only = path.join(root, `${type}-adapter-only`);
    fs.mkdirSync(only);
    for (const f of [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE]) fs.copyFileSync(path.join(saved, f), path.join(only, f));
    const withAdapter = loadHF(dir, tf, { adapter: only, trainable: false });
    expect(logprobs(withAdapter)).toEqual(adapted);
    withAdapter.dispose();

    // merged: a plain folder in the original layout, log-probs of base + adapter to 1e-5
    const merged = path.join(root, `${type}-merged`);
    await policy.save(merged, { mergeAdapters: true });
    expect(fs.existsSync(path.join(merged, ADAPTER_CONFIG_FILE))).toBe(false);
    const mergedHeader = readHeader(path.join(merged, 'model.safetensors'));
    expect([...mergedHeader].map(([k, e]) => [k, e.dtype, e.shape])).toEqual([...origHeader].map(([k, e]) => [k, e.dtype, e.shape]));
    const m = loadHF(merged, tf);
    expect(m.lora).toBeUndefined();
    expect(maxDiff(logprobs(m), adapted)).toBeLessThan(1e-5);
    m.dispose();

    policy.dispose();
    base.dispose();
  });
});

describe('LoRA on Hugging Face folders, edge cases', () => {
  it('a bare GPT2Model folder (tensors h.0.…) keeps PEFT\'s module paths transformer.h.0.…, and merges in its own names', async () => {
    const dir = await tinyFolder('gpt2-bare', 'gpt2', '');
    const policy = loadHF(dir, tf, { lora: { settings: { rank: 2, alpha: 2, dropout: 0, targetModules: ['c_attn'] }, rng: new Rng(1) } });
    expect(policy.lora!.moduleNames()).toEqual(['transformer.h.0.attn.c_attn', 'transformer.h.1.attn.c_attn']);
    for (const n of policy.lora!.moduleNames()) policy.lora!.pair(n)!.B.assign(tf.fill([48, 2], 0.05));
    const adapted = logprobs(policy);
    const merged = path.join(root, 'gpt2-bare-merged');
    await policy.save(merged, { mergeAdapters: true });
    expect([...readHeader(path.join(merged, 'model.safetensors')).keys()]).toEqual([...readHeader(path.join(dir, 'model.safetensors')).keys()]);
    const m = loadHF(merged, tf);
    expect(maxDiff(logprobs(m), adapted)).toBeLessThan(1e-5);
    m.dispose();
    policy.dispose();
  });

  it('no tensor is left behind, and targets that match nothing are refused with the model\'s module names', async () => {
    const dir = await tinyFolder('llama-edge', 'llama');
    const before = tf.memory().numTensors;
    const e = diagnosticThrownBy(() => loadHF(dir, tf, { lora: { settings: { rank: 2, alpha: 2, dropout: 0, targetModules: ['c_attn'] }, rng: new Rng(1), pointer: '/agent/options/lora' } }));
    expect(e.diagnostics[0].code).toBe('lm/lora-targets');
    expect(e.diagnostics[0].fix).toMatch(/self_attn\.q_proj/);
    expect(tf.memory().numTensors).toBe(before);
    const p = loadHF(dir, tf, { lora: { settings: settings('llama'), rng: new Rng(1) } });
    const r = p.frozenCopy();
    r.dispose();
    p.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the footprint counts parameters from config.json, and LoRA as r·(in + out) per adapted projection', async () => {
    const dir = await tinyFolder('llama-fp', 'llama');
    const m = loadHF(dir, tf, { valueHead: true, rng: new Rng(1), lora: { settings: { rank: 2, alpha: 2, dropout: 0, targetModules: ['q_proj', 'v_proj'] }, rng: new Rng(1) } });
    const fp = hfFootprint({ path: dir, valueHead: true, lora: { rank: 2, targetModules: ['q_proj', 'v_proj'] } }, (p) => p)!;
    // 2 layers × (q: 2·(16 + 16) + v: 2·(16 + 8)) = 224
    expect(fp.parameters - (m.parameterCount() - m.lora!.parameterCount())).toBe(224);
    expect(fp.parameters).toBe(m.parameterCount());
    expect(fp.trainableParameters).toBe(224 + 17);
    expect([fp.nLayers, fp.dModel, fp.nHeads, fp.dMlp, fp.vocabSize, fp.lora]).toEqual([2, 16, 4, 24, V, true]);
    m.dispose();
  });
});
