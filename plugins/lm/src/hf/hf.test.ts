import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packRollout, Rng, type DiagnosticError } from '@rlhfjs/core';
import { diagnosticThrownBy } from '@rlhfjs/core/testing';
import { ByteBPETokenizer } from '../tokenizer/byte-bpe';
import { loadPolicy } from '../model/checkpoint-io';
import { f16ToF32, f32ToBf16, f32ToF16, readHeader, writeSafetensorsFile, type HFDtype } from './safetensors-io';
import { loadHF } from './load';
import { gptCheckpointToHF } from './from-gpt';
import { tensorSpecs, parseHFConfig } from './config';

const BASE = path.resolve(__dirname, '..', '..', '..', '..', 'recipes', 'models', 'base');
const tok = ByteBPETokenizer.train(Array(30).fill('the cat sat on the mat, then the dog ran off'), { vocabSize: 270 });

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-hf-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const LLAMA = { model_type: 'llama', hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, intermediate_size: 24, max_position_embeddings: 32, rms_norm_eps: 1e-5, tie_word_embeddings: false };

/** A tiny random llama folder; `weightsConfig` is the config the weights are made for (default: the same). */
async function tinyLlama(name: string, opts: { config?: Record<string, unknown>; weightsConfig?: Record<string, unknown>; dtype?: HFDtype; shards?: boolean; tokenizer?: object } = {}): Promise<string> {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const config = { ...LLAMA, vocab_size: tok.vocabSize + 2, ...opts.config };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(opts.tokenizer ?? tok.toJSON()));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|endoftext|>', bos_token: '<|endoftext|>' }));
  const arch = parseHFConfig({ ...config, ...opts.weightsConfig }, 'config.json');
  const rng = new Rng(1);
  const tensors = tensorSpecs(arch, '').map((s) => ({ name: s.name, dtype: opts.dtype ?? ('F32' as HFDtype), shape: s.shape, data: () => Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.3) }));
  if (opts.shards) {
    const half = Math.floor(tensors.length / 2);
    await writeSafetensorsFile(path.join(dir, 'model-00001-of-00002.safetensors'), tensors.slice(0, half));
    await writeSafetensorsFile(path.join(dir, 'model-00002-of-00002.safetensors'), tensors.slice(half));
    const weight_map = Object.fromEntries(tensors.map((t, i) => [t.name, `model-0000${i < half ? 1 : 2}-of-00002.safetensors`]));
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map }));
  } else {
    await writeSafetensorsFile(path.join(dir, 'model.safetensors'), tensors);
  }
  return dir;
}

/** The load fails with a DiagnosticError and leaves no tensor behind. */
function refused(dir: string): DiagnosticError {
  const before = tf.memory().numTensors;
  const e = diagnosticThrownBy(() => loadHF(dir, tf));
  expect(tf.memory().numTensors).toBe(before);
  return e;
}

describe('float16 and bfloat16', () => {
  it('converts the values worked out by hand, both ways, ties to even', () => {
    expect([f32ToF16(1), f32ToF16(-2), f32ToF16(65504), f32ToF16(1 / 3), f32ToF16(1e6), f32ToF16(2 ** -24), f32ToF16(0)]).toEqual([0x3c00, 0xc000, 0x7bff, 0x3555, 0x7c00, 0x0001, 0]);
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: to even (1); 1 + 3·2^-11 rounds up to 1 + 2^-9
    expect([f32ToF16(1 + 2 ** -11), f32ToF16(1 + 3 * 2 ** -11)]).toEqual([0x3c00, 0x3c02]);
    expect([f16ToF32(0x3c00), f16ToF32(0xc000), f16ToF32(0x7bff), f16ToF32(0x0001), f16ToF32(0x3555)]).toEqual([1, -2, 65504, 2 ** -24, 0.333251953125]);
    expect([f32ToBf16(1), f32ToBf16(-1), f32ToBf16(1 + 2 ** -8), f32ToBf16(1 + 3 * 2 ** -8), f32ToBf16(3.140625)]).toEqual([0x3f80, 0xbf80, 0x3f80, 0x3f82, 0x4049]);
  });
});

describe('the base model as a GPT-2 folder', () => {
  it('gives the gpt agent\'s log-probs', async () => {
    const out = path.join(root, 'base-gpt2');
    await gptCheckpointToHF(BASE, out);
    const gpt = loadPolicy(BASE, tf);
    const hf = loadHF(out, tf);
    expect(hf.tokenizer.encode('The cat sat on the mat.')).toEqual(gpt.tokenizer.encode('The cat sat on the mat.'));
    expect([hf.tokenizer.bosId, hf.tokenizer.eosId, hf.tokenizer.padId, hf.tokenizer.vocabSize]).toEqual([gpt.tokenizer.bosId, gpt.tokenizer.eosId, gpt.tokenizer.padId, gpt.tokenizer.vocabSize]);
    const rows = ['The cat sat on the mat.', 'A long day at work'].map((t) => hf.encodePrompt(t, 64).ids);
    const packed = packRollout(tf, { promptIds: rows.map((r) => r.slice(0, 1)), responseIds: rows.map((r) => r.slice(1)) }, 0);
    const a = tf.tidy(() => gpt.forward(packed.batch).logprobs).arraySync() as number[][];
    const b = tf.tidy(() => hf.forward(packed.batch).logprobs).arraySync() as number[][];
    let m = 0;
    a.forEach((r, i) => r.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
    expect(m).toBeLessThan(1e-5);
    gpt.dispose();
    hf.dispose();
  });
});

describe('HFCausalLM', () => {
  it('a frozen copy and a value head share nothing with the model and leave no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const m = loadHF(await tinyLlama('copy'), tf, { valueHead: true, rng: new Rng(2) });
    expect(m.hasValueHead).toBe(true);
    const frozen = m.frozenCopy();
    expect(frozen.trainableVariables()).toEqual([]);
    const w = m.namedWeights().get('model.norm.weight') as tf.Variable;
    tf.tidy(() => w.assign(tf.zerosLike(w)));
    expect(tf.tidy(() => tf.max(frozen.namedWeights().get('model.norm.weight')!).dataSync()[0])).toBeGreaterThan(0);
    frozen.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saves in the original dtypes, or all in float32 with saveDtype "float32"', async () => {
    const dir = await tinyLlama('bf16-save', { dtype: 'BF16' });
    for (const saveDtype of ['original', 'float32'] as const) {
      const m = loadHF(dir, tf, { saveDtype });
      const out = path.join(root, `saved-${saveDtype}`);
      await m.save(out);
      const header = readHeader(path.join(out, 'model.safetensors'));
      expect(new Set([...header.values()].map((e) => e.dtype))).toEqual(new Set([saveDtype === 'original' ? 'BF16' : 'F32']));
      const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(cfg.torch_dtype).toBe(saveDtype === 'original' ? undefined : 'float32');
      // BF16 values are exact in float32: both files hold the same numbers
      const back = loadHF(out, tf);
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(back.namedWeights().get('model.norm.weight')!, m.namedWeights().get('model.norm.weight')!))).dataSync()[0])).toBe(0);
      back.dispose();
      m.dispose();
    }
  });

  it('removes embedding rows beyond the tokenizer from the distribution unless fullVocabulary is set', async () => {
    const dir = await tinyLlama('vocab-rows');
    for (const fullVocabulary of [false, true]) {
      const m = loadHF(dir, tf, { fullVocabulary });
      const ids = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
      const p = tf.tidy(() => tf.exp(tf.logSoftmax(m.logits({ ids, attentionMask: tf.ones([1, 3]) as tf.Tensor2D }))).arraySync() as number[][][]);
      const extra = p[0][2].slice(tok.vocabSize).reduce((a, b) => a + b, 0);
      if (fullVocabulary) expect(extra).toBeGreaterThan(1e-4);
      else expect(extra).toBe(0);
      ids.dispose();
      m.dispose();
    }
  });
});

describe('bad Hugging Face folders: each error names the file, the tensor and the fix, and nothing is loaded', () => {
  it('loads a good tiny llama (F32, BF16, sharded)', async () => {
    for (const [name, o] of [['ok', {}], ['ok-bf16', { dtype: 'BF16' as HFDtype }], ['ok-shards', { shards: true }]] as const) {
      const m = loadHF(await tinyLlama(name, o), tf);
      expect(m.parameterCount()).toBe(tensorSpecs(m.arch, '').reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0));
      m.dispose();
    }
  });

  it('a folder without config.json', async () => {
    const dir = await tinyLlama('no-config');
    fs.rmSync(path.join(dir, 'config.json'));
    const e = refused(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'hf/no-config', file: path.join(dir, 'config.json') });
    expect(e.diagnostics[0].fix).toMatch(/config\.json/);
  });

  it('an unsupported model_type, listing the supported ones', async () => {
    const e = refused(await tinyLlama('bert', { config: { model_type: 'bert' }, weightsConfig: { model_type: 'llama' } }));
    expect(e.diagnostics[0]).toMatchObject({ code: 'hf/unsupported-model-type', pointer: '/model_type' });
    expect(e.message).toMatch(/"bert" is not supported; supported model types: gpt2, llama, qwen2, gpt_neo/);
  });

  it('pickle weights, with how to convert them', async () => {
    const dir = path.join(root, 'pickle');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...LLAMA, vocab_size: 300 }));
    fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'not read');
    const e = refused(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'hf/pickle-weights', file: path.join(dir, 'pytorch_model.bin') });
    expect(e.diagnostics[0].fix).toMatch(/safetensors\.torch import save_file/);
  });

  it('weights that disagree with config.json, every tensor listed', async () => {
    let e = refused(await tinyLlama('layers', { config: { num_hidden_layers: 3 }, weightsConfig: { num_hidden_layers: 2 } }));
    expect(e.diagnostics.every((d) => d.code === 'hf/missing-tensor')).toBe(true);
    expect(e.diagnostics.map((d) => /"(.*?)"/.exec(d.message)![1])).toEqual(tensorSpecs(parseHFConfig({ ...LLAMA, vocab_size: 300, num_hidden_layers: 3 }, 'c'), '').filter((s) => s.name.startsWith('model.layers.2.')).map((s) => s.name));
    expect(e.diagnostics[0].file).toMatch(/model\.safetensors$/);
    expect(e.diagnostics[0].fix).toMatch(/num_hidden_layers/);
    e = refused(await tinyLlama('kv', { config: { num_key_value_heads: 4 }, weightsConfig: { num_key_value_heads: 2 } }));
    expect(e.diagnostics.map((d) => d.message.replace(/^.*?: /, ''))).toEqual([
      'tensor "model.layers.0.self_attn.k_proj.weight" has shape [8,16], config.json implies [16,16]',
      'tensor "model.layers.0.self_attn.v_proj.weight" has shape [8,16], config.json implies [16,16]',
      'tensor "model.layers.1.self_attn.k_proj.weight" has shape [8,16], config.json implies [16,16]',
      'tensor "model.layers.1.self_attn.v_proj.weight" has shape [8,16], config.json implies [16,16]',
    ]);
    e = refused(await tinyLlama('tied', { config: { tie_word_embeddings: true }, weightsConfig: { tie_word_embeddings: false, vocab_size: tok.vocabSize + 5 } }));
    expect(e.diagnostics.map((d) => d.code)).toEqual(['hf/shape-mismatch', 'hf/unexpected-tensor']);
  });

  it('a missing shard', async () => {
    const dir = await tinyLlama('shard', { shards: true });
    fs.rmSync(path.join(dir, 'model-00002-of-00002.safetensors'));
    const e = refused(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'hf/missing-shard', file: path.join(dir, 'model-00002-of-00002.safetensors') });
    expect(e.diagnostics[0].fix).toBe(`Download model-00002-of-00002.safetensors into ${dir}.`);
  });

  it('an unknown dtype, naming the tensor', async () => {
    const dir = await tinyLlama('i8');
    const file = path.join(dir, 'model.safetensors');
    const bytes = fs.readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: number[] }>;
    header['model.norm.weight'].dtype = 'I8';
    header['model.norm.weight'].data_offsets[1] = header['model.norm.weight'].data_offsets[0] + 16;
    const text = Buffer.from(JSON.stringify(header).padEnd(n, ' '));
    fs.writeFileSync(file, Buffer.concat([bytes.subarray(0, 8), text, bytes.subarray(8 + n)]));
    const e = refused(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'hf/unknown-dtype', file });
    expect(e.message).toMatch(/tensor "model\.norm\.weight" has dtype "I8"; only F32, F16 and BF16/);
  });

  it('a tokenizer larger than the embedding', async () => {
    const e = refused(await tinyLlama('vocab', { config: { vocab_size: tok.vocabSize - 1 } }));
    expect(e.diagnostics[0]).toMatchObject({ code: 'hf/tokenizer-larger-than-embedding' });
    expect(e.message).toContain(`has ${tok.vocabSize} tokens, but the embedding "model.embed_tokens.weight"`);
    expect(e.diagnostics[0].fix).toMatch(/resize_token_embeddings/);
  });

  it('an unsupported rope_scaling, naming the field', async () => {
    const e = refused(await tinyLlama('yarn', { config: { rope_scaling: { rope_type: 'yarn', factor: 4 } }, weightsConfig: { rope_scaling: null } }));
    expect(e.diagnostics[0]).toMatchObject({ code: 'hf/not-supported', pointer: '/rope_scaling/rope_type' });
    expect(e.message).toMatch(/rope_scaling type "yarn" is not supported/);
  });
});
