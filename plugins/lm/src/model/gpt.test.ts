import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError, Rng, packRollout } from '@rlhfjs/core';
import { tinyModel } from './testing/tiny';
import { validateConfig, parameterCount } from './config';
import { initWeights } from './init';
import { loadPolicy } from './checkpoint-io';

beforeAll(async () => {
  await tf.setBackend('cpu');
  expect(tf.getBackend()).toBe('cpu');
});

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

function batchOf(rows: number[][], pad: number) {
  return packRollout(tf, { promptIds: rows.map((r) => r.slice(0, 1)), responseIds: rows.map((r) => r.slice(1)) }, pad);
}

describe('config', () => {
  it('rejects a head count that does not divide the width, naming the field', () => {
    expect(() => validateConfig({ vocabSize: 10, contextSize: 8, dModel: 30, nLayers: 1, nHeads: 4, dMlp: 8 }, { file: 'x.yaml' })).toThrow(/divisible by nHeads/);
    try {
      validateConfig({ vocabSize: 0, contextSize: 8, dModel: 8, nLayers: 1, nHeads: 2, dMlp: 8 }, { pointer: '/agent/options/init' });
    } catch (e) {
      expect(DiagnosticError.is(e)).toBe(true);
      expect((e as DiagnosticError).diagnostics[0].pointer).toBe('/agent/options/init');
    }
  });

  it('counts parameters like the weights it creates', () => {
    const m = tinyModel(tf, { valueHead: true, tieEmbeddings: false });
    expect(m.parameterCount()).toBe(parameterCount(m.config));
    // vocab V, d 32, 2 layers, mlp 64, context 32: hand count of one block = 2·(2·32) + 32·96 + 96 + 32·32 + 32 + 32·64 + 64 + 64·32 + 32
    const block = 128 + 3072 + 96 + 1024 + 32 + 2048 + 64 + 2048 + 32;
    const V = m.config.vocabSize;
    expect(m.parameterCount()).toBe(V * 32 + 32 * 32 + 2 * block + 64 + 32 * V + 33);
    m.dispose();
  });
});

describe('initialisation', () => {
  it('is seeded, GPT-2 scaled (0.02, residual projections /√(2·nLayers)) and independent per weight', () => {
    const c = validateConfig({ vocabSize: 300, contextSize: 16, dModel: 64, nLayers: 8, nHeads: 4, dMlp: 256 });
    const a = initWeights(c, new Rng(1));
    const b = initWeights(c, new Rng(1));
    expect(maxDiff(a.get('wte')!.data, b.get('wte')!.data)).toBe(0);
    const std = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    expect(std(a.get('wte')!.data)).toBeCloseTo(0.02, 3);
    expect(std(a.get('h.0.mlp.c_proj.weight')!.data)).toBeCloseTo(0.02 / 4, 3);
    expect(a.get('h.0.ln_1.weight')!.data.every((v) => v === 1)).toBe(true);
    expect(a.get('h.0.attn.c_attn.bias')!.data.every((v) => v === 0)).toBe(true);
    const withHead = initWeights({ ...c, valueHead: true }, new Rng(1));
    expect(maxDiff(withHead.get('wte')!.data, a.get('wte')!.data)).toBe(0);
    expect(maxDiff(initWeights(c, new Rng(2)).get('wte')!.data, a.get('wte')!.data)).toBeGreaterThan(0);
  });
});

describe('forward', () => {
  it('returns log-probs [B, T-1] equal to log-softmax of the logits at the next token', () => {
    const m = tinyModel(tf);
    const rows = [[5, 9, 13, 2, 7], [4, 8]];
    const p = batchOf(rows, m.tokenizer.padId);
    const out = m.forward(p.batch, { entropy: true });
    expect(out.logprobs.shape).toEqual([2, 4]);
    expect(out.entropy!.shape).toEqual([2, 4]);
    const logits = m.logits(p.batch).arraySync() as number[][][];
    const lp = out.logprobs.arraySync();
    const ent = out.entropy!.arraySync();
    for (const [b, t] of [[0, 0], [0, 3], [1, 0]]) {
      const row = logits[b][t];
      const mx = Math.max(...row);
      const z = Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0)) + mx;
      expect(lp[b][t]).toBeCloseTo(row[rows[b][t + 1]] - z, 4);
      const h = -row.reduce((s, v) => s + Math.exp(v - z) * (v - z), 0);
      expect(ent[b][t]).toBeCloseTo(h, 4);
    }
    m.dispose();
  });

  it('is causal and ignores padding: a row scores the same alone, padded, or next to a longer row', () => {
    const m = tinyModel(tf);
    const short = [5, 9, 13];
    const alone = m.forward(batchOf([short], m.tokenizer.padId).batch).logprobs.arraySync()[0];
    const together = m.forward(batchOf([short, [1, 2, 3, 4, 5, 6, 7]], m.tokenizer.padId).batch).logprobs.arraySync()[0];
    expect(maxDiff(alone, together.slice(0, 2))).toBeLessThan(1e-5);
    // changing a later token leaves earlier log-probs unchanged
    const changed = m.forward(batchOf([[5, 9, 13, 40]], m.tokenizer.padId).batch).logprobs.arraySync()[0];
    expect(maxDiff(alone, changed.slice(0, 2))).toBeLessThan(1e-5);
    // a left-padded row (positions from its first real token) gives the same numbers
    const ids = tf.tensor2d([[0, 0, 5, 9, 13]], [1, 5], 'int32');
    const mask = tf.tensor2d([[0, 0, 1, 1, 1]]);
    const left = m.forward({ ids, attentionMask: mask }).logprobs.arraySync()[0];
    expect(maxDiff(alone, left.slice(2))).toBeLessThan(1e-5);
    m.dispose();
  });

  it('gives values [B, T-1] from the value head, and refuses sequences longer than the context', () => {
    const m = tinyModel(tf, { valueHead: true, contextSize: 8 });
    const out = m.forward(batchOf([[1, 2, 3]], 0).batch, { values: true });
    expect(out.values!.shape).toEqual([1, 2]);
    expect(() => m.forward(batchOf([[1, 2, 3, 4, 5, 6, 7, 8, 9]], 0).batch)).toThrow(/context window of 8/);
    m.dispose();
  });

  it('trains: a few Adam steps lower the loss of a fixed batch (through the custom gradients)', () => {
    const m = tinyModel(tf, { tieEmbeddings: false, valueHead: true });
    const p = batchOf([[5, 9, 13, 2, 7, 9, 13, 2], [4, 8, 4, 8, 4, 8]], m.tokenizer.padId);
    const opt = tf.train.adam(1e-2);
    const loss = () => {
      const out = m.forward(p.batch, { values: true });
      const nll = tf.div(tf.neg(tf.sum(tf.mul(out.logprobs, p.responseMask))), tf.sum(p.responseMask));
      return tf.add(nll, tf.mul(tf.mean(tf.square(out.values!)), 0.1)) as tf.Scalar;
    };
    const first = loss().dataSync()[0];
    for (let i = 0; i < 15; i++) {
      const { grads } = tf.variableGrads(loss, m.trainableVariables());
      expect(Object.keys(grads).length).toBe(m.trainableVariables().length);
      opt.applyGradients(grads);
      tf.dispose(grads);
    }
    const last = loss().dataSync()[0];
    expect(last).toBeLessThan(first * 0.7);
    m.dispose();
  });
});

describe('weights', () => {
  it('frozenCopy shares nothing mutable and trains nothing', () => {
    const m = tinyModel(tf);
    const ref = m.frozenCopy();
    expect(ref.trainableVariables()).toEqual([]);
    const before = ref.namedWeights().get('wte')!.dataSync().slice();
    m.namedWeights().forEach((v) => (v as tf.Variable).assign(tf.zerosLike(v)));
    expect(maxDiff(ref.namedWeights().get('wte')!.dataSync(), before)).toBe(0);
    m.dispose();
    // the copy still works after the original is gone
    expect(ref.forward(batchOf([[1, 2, 3]], 0).batch).logprobs.shape).toEqual([1, 2]);
    ref.dispose();
  });

  it('loadNamedWeights copies by name and checks names and shapes', () => {
    const a = tinyModel(tf, {}, 1);
    const b = tinyModel(tf, {}, 2);
    const batch = batchOf([[3, 4, 5, 6]], 0).batch;
    b.loadNamedWeights(a.namedWeights());
    expect(maxDiff(a.forward(batch).logprobs.dataSync(), b.forward(batch).logprobs.dataSync())).toBe(0);
    expect(() => b.loadNamedWeights(new Map([['nope', tf.zeros([1])]]))).toThrow(/unknown weight "nope"/);
    expect(() => b.loadNamedWeights(new Map([['wte', tf.zeros([2, 2])]]))).toThrow(/shape \[2,2\]/);
    a.dispose();
    b.dispose();
  });

  it('saves a checkpoint that loadPolicy restores exactly, and can add a value head', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-ck-'));
    const m = tinyModel(tf, { tieEmbeddings: false });
    await m.save(path.join(dir, 'ck'));
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'ck', 'config.json'), 'utf8'));
    expect(cfg.model_type).toBe('rlhfjs-gpt');
    expect(cfg.rlhfjs).toEqual({ package: '@rlhfjs/plugin-lm', agent: 'gpt' });
    expect(cfg.n_embd).toBe(32);
    const back = loadPolicy(path.join(dir, 'ck'), tf);
    const batch = batchOf([[3, 4, 5, 6]], 0).batch;
    expect(maxDiff(m.forward(batch).logprobs.dataSync(), back.forward(batch).logprobs.dataSync())).toBe(0);
    expect(back.tokenizer.encode('the cat sat')).toEqual(m.tokenizer.encode('the cat sat'));
    const withHead = loadPolicy(path.join(dir, 'ck'), tf, { valueHead: true, rng: new Rng(3) });
    expect(withHead.hasValueHead).toBe(true);
    expect(withHead.forward(batch, { values: true }).values!.shape).toEqual([1, 3]);
    cfg.model_type = 'gpt2';
    fs.writeFileSync(path.join(dir, 'ck', 'config.json'), JSON.stringify(cfg));
    expect(() => loadPolicy(path.join(dir, 'ck'), tf)).toThrow(/model_type/);
    [m, back, withHead].forEach((x) => x.dispose());
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('on the wasm backend', () => {
  it('gives the cpu backend\'s log-probs and gradients (1e-4)', async () => {
    require('@tensorflow/tfjs-backend-wasm');
    const m = tinyModel(tf, { valueHead: true });
    const run = () => {
      const p = batchOf([[5, 9, 13, 2, 7], [4, 8]], m.tokenizer.padId);
      const lp = m.forward(p.batch).logprobs.dataSync().slice();
      const { grads } = tf.variableGrads(() => {
        const out = m.forward(p.batch, { values: true });
        return tf.add(tf.neg(tf.sum(tf.mul(out.logprobs, p.responseMask))), tf.sum(out.values!)) as tf.Scalar;
      }, m.trainableVariables());
      const g = Object.values(grads).map((t) => t.dataSync().slice());
      return { lp, g };
    };
    const onCpu = run();
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(tf.getBackend()).toBe('wasm');
    try {
      const onWasm = run();
      expect(maxDiff(onCpu.lp, onWasm.lp)).toBeLessThan(1e-4);
      expect(onCpu.lp.every((v) => v < 0 && v > -20)).toBe(true);
      onCpu.g.forEach((g, i) => expect(maxDiff(g, onWasm.g[i])).toBeLessThan(1e-4));
      // the embedding gradient is not all zeros (a broken one-hot reads as zeros on wasm)
      expect(onWasm.g.some((g) => g.some((v) => Math.abs(v) > 1e-6))).toBe(true);
    } finally {
      await tf.setBackend('cpu');
      m.dispose();
    }
  });
});
