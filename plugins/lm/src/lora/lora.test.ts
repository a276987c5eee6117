import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AdamW, DiagnosticError, Rng, packRollout, readSafetensors, type SequenceBatch } from '@rlhfjs/core';
import { tinyModel } from '../model/testing/tiny';
import { loadPolicy } from '../model/checkpoint-io';
import { GPTModel, gptLoraModules } from '../model/gpt';
import { LoraAdapters, matchesTarget, type LoraSettings } from './adapters';
import { mergeGptLora } from './merge';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from './peft-format';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SETTINGS: LoraSettings = { rank: 4, alpha: 8, dropout: 0, targetModules: ['c_attn', 'mlp.c_proj'] };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-lora-'));

function batch(): { batch: SequenceBatch; dispose(): void } {
  const rows = [
    [0, 5, 9, 12, 40, 41, 7],
    [0, 17, 3, 99, 8],
    [0, 60, 61],
  ];
  const p = packRollout(tf, { promptIds: rows.map((r) => r.slice(0, 2)), responseIds: rows.map((r) => r.slice(2)) }, 0);
  return { batch: p.batch, dispose: () => (p.batch.ids.dispose(), p.batch.attentionMask.dispose()) };
}

function logprobs(m: GPTModel): Float32Array {
  const b = batch();
  const out = tf.tidy(() => m.forward(b.batch).logprobs.dataSync() as Float32Array);
  b.dispose();
  return out;
}

/** A saved base checkpoint and a LoRA policy on it (fresh adapters). */
async function baseAndLora(over: Partial<LoraSettings> = {}, valueHead = false): Promise<{ dir: string; policy: GPTModel }> {
  const dir = path.join(tmp(), 'base');
  const m = tinyModel(tf, { valueHead });
  await m.save(dir);
  m.dispose();
  return { dir, policy: loadPolicy(dir, tf, { lora: { settings: { ...SETTINGS, ...over }, rng: new Rng(3) } }) };
}

/** Give every B random values so that the adapters change the function. */
function perturbB(m: GPTModel, seed = 11): void {
  const rng = new Rng(seed);
  for (const name of m.lora!.moduleNames()) {
    const B = m.lora!.pair(name)!.B;
    const data = new Float32Array(B.size).map(() => rng.normal() * 0.2);
    B.assign(tf.tensor(data, B.shape));
  }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

describe('PEFT target_modules matching', () => {
  it('matches a full name or a suffix after a dot, as PEFT does for a list', () => {
    expect(matchesTarget('transformer.h.0.attn.c_proj', ['c_proj'])).toBe(true);
    expect(matchesTarget('transformer.h.0.mlp.c_proj', ['attn.c_proj'])).toBe(false);
    expect(matchesTarget('transformer.h.0.attn.c_attn', ['attn'])).toBe(false);
    expect(matchesTarget('transformer.h.0.attn.c_attn', ['transformer.h.0.attn.c_attn'])).toBe(true);
  });

  it('maps the project GPT onto GPT-2 module paths: c_proj alone adapts both projections of each block', () => {
    const m = tinyModel(tf);
    const a = LoraAdapters.create(tf, { ...SETTINGS, targetModules: ['c_proj'] }, gptLoraModules(m.config), new Rng(1));
    expect(a.moduleNames()).toEqual(['transformer.h.0.attn.c_proj', 'transformer.h.0.mlp.c_proj', 'transformer.h.1.attn.c_proj', 'transformer.h.1.mlp.c_proj']);
    a.dispose();
    m.dispose();
  });
});

describe('initialisation (PEFT default)', () => {
  it('draws A from U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt 5), sets B to 0, and is seeded', () => {
    const m = tinyModel(tf, { dMlp: 256 });
    const specs = gptLoraModules(m.config);
    const a = LoraAdapters.create(tf, { ...SETTINGS, rank: 8, targetModules: ['mlp.c_proj'] }, specs, new Rng(5));
    const b = LoraAdapters.create(tf, { ...SETTINGS, rank: 8, targetModules: ['mlp.c_proj'] }, specs, new Rng(5));
    const A = a.pair('transformer.h.0.mlp.c_proj')!.A.dataSync();
    // in = dMlp = 256: bound 1/16; the variance of U(-c, c) is c²/3
    const bound = 1 / 16;
    expect(Math.max(...A.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...A.map(Math.abs))).toBeGreaterThan(0.98 * bound);
    const variance = A.reduce((s, v) => s + v * v, 0) / A.length;
    expect(variance / (bound * bound / 3)).toBeGreaterThan(0.9);
    expect(variance / (bound * bound / 3)).toBeLessThan(1.1);
    expect(a.pair('transformer.h.0.mlp.c_proj')!.A.shape).toEqual([8, 256]);
    expect(a.pair('transformer.h.0.mlp.c_proj')!.B.shape).toEqual([32, 8]);
    expect(a.pair('transformer.h.0.mlp.c_proj')!.B.dataSync().every((v) => v === 0)).toBe(true);
    expect(maxDiff(A, b.pair('transformer.h.0.mlp.c_proj')!.A.dataSync())).toBe(0);
    // each module draws from its own stream
    expect(maxDiff(A, a.pair('transformer.h.1.mlp.c_proj')!.A.dataSync())).toBeGreaterThan(0);
    a.dispose();
    b.dispose();
    m.dispose();
  });

  it('gives exactly the base model\'s log-probs at step 0 (B = 0), bit for bit', async () => {
    const { dir, policy } = await baseAndLora({ targetModules: ['c_attn', 'c_proj', 'c_fc'] });
    const base = loadPolicy(dir, tf);
    expect(Array.from(logprobs(policy))).toEqual(Array.from(logprobs(base)));
    policy.dispose();
    base.dispose();
  });
});

describe('the low-rank update', () => {
  it('adds ((x·Aᵀ)·Bᵀ)·alpha/r, checked against a hand computation', () => {
    const a = LoraAdapters.create(tf, { rank: 1, alpha: 3, dropout: 0, targetModules: ['p'] }, [{ name: 'm.p', inFeatures: 2, outFeatures: 2 }], new Rng(1));
    const p = a.pair('m.p')!;
    p.A.assign(tf.tensor2d([[1, 2]]));
    p.B.assign(tf.tensor2d([[0.5], [-1]]));
    const x = tf.tensor2d([[3, 4]]);
    // x·Aᵀ = 3 + 8 = 11; ·Bᵀ = [5.5, -11]; ·3/1 = [16.5, -33]
    expect(Array.from(a.delta(x, 'm.p')!.dataSync())).toEqual([16.5, -33]);
    expect(a.delta(x, 'other')).toBeUndefined();
    a.dispose();
  });
});

describe('merge', () => {
  it('merged weights give the log-probs of base + adapter to 1e-5', async () => {
    const { policy } = await baseAndLora({ targetModules: ['c_attn', 'c_proj', 'c_fc'] });
    perturbB(policy);
    const adapted = logprobs(policy);
    const merged = mergeGptLora(policy);
    const plain = logprobs(merged);
    expect(merged.lora).toBeUndefined();
    const base = logprobs(policy.baseView());
    // the adapters matter (else the parity would be empty), and the merge reproduces them
    expect(maxDiff(adapted, base)).toBeGreaterThan(1e-2);
    expect(maxDiff(adapted, plain)).toBeLessThan(1e-5);
    policy.dispose();
    merged.dispose();
  });
});

describe('one shared base', () => {
  it('the reference is the base with adapters off: no weight copied, log-probs equal to the base checkpoint after training', async () => {
    const { dir, policy } = await baseAndLora({}, true);
    const before = tf.memory();
    const ref = policy.frozenCopy();
    const after = tf.memory();
    expect(after.numBytes - before.numBytes).toBe(0);
    expect(after.numTensors - before.numTensors).toBe(0);
    expect(ref.lora).toBeUndefined();
    expect(ref.trainableVariables()).toEqual([]);
    // every base weight is the same variable object
    const pw = policy.baseView().namedWeights();
    for (const [k, v] of ref.namedWeights()) expect(v).toBe(pw.get(k));
    perturbB(policy);
    const base = loadPolicy(dir, tf, { valueHead: false });
    // the saved checkpoint had a value head; the reference's log-probs ignore it
    expect(Array.from(logprobs(ref))).toEqual(Array.from(logprobs(base)));
    expect(maxDiff(logprobs(policy), logprobs(ref))).toBeGreaterThan(1e-3);
    ref.dispose();
    // disposing the reference leaves the policy whole
    expect(logprobs(policy).length).toBeGreaterThan(0);
    policy.dispose();
    base.dispose();
  });
});

describe('only trainable weights train', () => {
  it('gives gradients and Adam moments to the adapters and the value head only, and leaves the frozen base untouched', async () => {
    const { policy } = await baseAndLora({}, true);
    const vars = policy.trainableVariables();
    const count = vars.reduce((s, v) => s + v.size, 0);
    // 2 layers × c_attn (A 4×32, B 96×4) + mlp.c_proj (A 4×64, B 32×4) + value head 32 + 1
    const byHand = 2 * (4 * 32 + 96 * 4) + 2 * (4 * 64 + 32 * 4) + 33;
    expect(count).toBe(byHand);
    expect(count).toBe(policy.lora!.parameterCount() + 33);
    const baseBefore = new Map([...policy.baseView().namedWeights()].map(([k, v]) => [k, { id: v.dataId, data: v.dataSync().slice() }]));
    const opt = new AdamW(tf, vars, { learningRate: 1e-2, owner: { plugin: 'test' } });
    const b = batch();
    for (let i = 0; i < 2; i++) {
      opt.step(() => {
        const out = policy.forward(b.batch, { values: true });
        return tf.add(tf.neg(tf.mean(out.logprobs)), tf.mean(tf.square(out.values!)));
      }, { step: i });
    }
    b.dispose();
    const dir = tmp();
    await opt.save(dir);
    const { tensors } = readSafetensors(path.join(dir, 'optimizer.safetensors'));
    let moments = 0;
    for (const [k, t] of tensors) if (k.startsWith('m.') || k.startsWith('v.')) moments += t.data.length;
    expect(moments).toBe(2 * byHand);
    for (const [k, v] of policy.baseView().namedWeights()) {
      const was = baseBefore.get(k)!;
      if (k.startsWith('v_head')) continue;
      // the same buffer, never reassigned, same values
      expect(v.dataId).toBe(was.id);
      expect(maxDiff(v.dataSync(), was.data)).toBe(0);
    }
    expect(policy.lora!.pair('transformer.h.0.attn.c_attn')!.B.dataSync().some((x) => x !== 0)).toBe(true);
    opt.dispose();
    policy.dispose();
  });
});

describe('PEFT files', () => {
  it('saves adapter_config.json and adapter_model.safetensors with PEFT names and shapes, and loads them back exactly', async () => {
    const { dir: baseDir, policy } = await baseAndLora();
    perturbB(policy);
    const out = path.join(tmp(), 'policy');
    await policy.save(out);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, ADAPTER_CONFIG_FILE), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ['c_attn', 'mlp.c_proj'], bias: 'none', fan_in_fan_out: true, base_model_name_or_path: baseDir });
    const { tensors } = readSafetensors(path.join(out, ADAPTER_WEIGHTS_FILE));
    expect([...tensors.keys()].sort()).toEqual([
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight',
      'base_model.model.transformer.h.0.mlp.c_proj.lora_B.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight',
      'base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight',
    ]);
    expect(tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.shape).toEqual([4, 32]);
    expect(tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape).toEqual([96, 4]);
    expect(tensors.get('base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight')!.shape).toEqual([4, 64]);
    // the saved policy folder loads as base + adapter
    const back = loadPolicy(out, tf);
    expect(back.lora?.moduleNames()).toEqual(policy.lora!.moduleNames());
    expect(Array.from(logprobs(back))).toEqual(Array.from(logprobs(policy)));
    // its reference keeps the adapter it started from
    const ref = back.frozenCopy();
    expect(Array.from(logprobs(ref))).toEqual(Array.from(logprobs(policy)));
    // and it is the starting point of another run: lora.from on the base
    const next = loadPolicy(baseDir, tf, { lora: { settings: { ...SETTINGS, rank: 2, targetModules: ['c_fc'] }, from: out, rng: new Rng(9) } });
    expect(next.lora!.settings.rank).toBe(4);
    expect(Array.from(logprobs(next))).toEqual(Array.from(logprobs(policy)));
    // lora options on a folder that already carries an adapter are refused
    expect(() => loadPolicy(out, tf, { lora: { settings: SETTINGS, rng: new Rng(1) } })).toThrow(/already carries a LoRA adapter/);
    [back, ref, next, policy].forEach((m) => m.dispose());
  });

  it('run checkpoints hold only what trains, and restore it', async () => {
    const { policy } = await baseAndLora({}, true);
    perturbB(policy);
    const names = [...policy.namedWeights().keys()].sort();
    expect(names.filter((n) => !n.includes('lora_'))).toEqual(['v_head.bias', 'v_head.weight']);
    const copy = new Map([...policy.namedWeights()].map(([k, v]) => [k, v.clone()]));
    const { policy: fresh } = await baseAndLora({}, true);
    fresh.loadNamedWeights(copy);
    expect(Array.from(logprobs(fresh))).toEqual(Array.from(logprobs(policy)));
    copy.forEach((t) => t.dispose());
    policy.dispose();
    fresh.dispose();
  });
});

describe('refusals', () => {
  it('refuses dropout > 0 and targets that match nothing, naming the option', async () => {
    const m = tinyModel(tf);
    const specs = gptLoraModules(m.config);
    try {
      LoraAdapters.create(tf, { ...SETTINGS, dropout: 0.1 }, specs, new Rng(1), { pointer: '/agent/options/lora' });
      throw new Error('not refused');
    } catch (e) {
      expect(DiagnosticError.is(e)).toBe(true);
      expect((e as DiagnosticError).diagnostics[0]).toMatchObject({ code: 'lm/lora-dropout', pointer: '/agent/options/lora' });
    }
    expect(() => LoraAdapters.create(tf, { ...SETTINGS, targetModules: ['q_proj'] }, specs, new Rng(1))).toThrow(/match no projection/);
    expect(() => LoraAdapters.create(tf, { ...SETTINGS, rank: 40 }, specs, new Rng(1))).toThrow(/exceeds/);
    m.dispose();
  });
});
