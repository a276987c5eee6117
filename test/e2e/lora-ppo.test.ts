import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { packRollout, readSafetensors } from '@rlhfjs/core';
import { REPO } from '../helpers/paths';
import { makeRlProject, rlhfSync } from './rl-project';

jest.setTimeout(300_000);

// loaded from the built package, as the CLI loads it
const lm = require(path.join(REPO, 'plugins', 'lm', 'dist', 'model', 'checkpoint-io.js')) as typeof import('../../plugins/lm/src/model/checkpoint-io');

function logprobs(dir: string): Float32Array {
  const m = lm.loadPolicy(dir, tf);
  const rows = [
    [0, 5, 9, 12, 40, 41, 7],
    [0, 17, 3, 99, 8],
  ];
  const p = packRollout(tf, { promptIds: rows.map((r) => r.slice(0, 2)), responseIds: rows.map((r) => r.slice(2)) }, 0);
  const out = tf.tidy(() => m.forward(p.batch).logprobs.dataSync() as Float32Array);
  m.dispose();
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('PPO with LoRA through the CLI', () => {
  it('trains adapters only, saves them in PEFT format in checkpoints and final/, and merges them into a plain checkpoint', () => {
    const p = makeRlProject({ steps: 3, checkpointEvery: 2 });
    const recipe = fs
      .readFileSync(path.join(p.dir, 'tiny-ppo.yaml'), 'utf8')
      .replace('name: tiny-ppo', 'name: tiny-ppo-lora')
      .replace('    valueHead: true', '    valueHead: true\n    lora: { rank: 2, alpha: 4, targetModules: [c_attn, c_fc] }');
    p.write('lora.yaml', recipe);
    const run = path.join(p.dir, 'run');
    const r = rlhfSync(['train', 'lora.yaml', '--out', run], p.dir);
    expect(r.code).toBe(0);
    // step 1: the policy (fresh adapters, B = 0) and the reference (the base) are the same function
    const first = JSON.parse(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').split('\n')[0]);
    expect(first['kl/mean'] ?? first.metrics?.['kl/mean']).toBe(0);
    const final = path.join(run, 'final');
    for (const f of ['config.json', 'model.safetensors', 'adapter_config.json', 'adapter_model.safetensors']) expect(fs.existsSync(path.join(final, f))).toBe(true);
    const ck = path.join(run, 'checkpoints', 'step-000002');
    expect(fs.existsSync(path.join(ck, 'policy', 'adapter_model.safetensors'))).toBe(true);
    // d 16, 1 layer: c_attn A 2×16 + B 48×2, c_fc A 2×16 + B 32×2, value head 17
    const trainable = 2 * 16 + 48 * 2 + 2 * 16 + 32 * 2 + 17;
    const { tensors } = readSafetensors(path.join(ck, 'algorithm', 'optimizer.safetensors'));
    let moments = 0;
    for (const [k, t] of tensors) if (/^[mv]\./.test(k)) moments += t.data.length;
    expect(moments).toBe(2 * trainable);
    const { tensors: weights } = readSafetensors(path.join(ck, 'weights.safetensors'));
    expect([...weights.values()].reduce((s, t) => s + t.data.length, 0)).toBe(trainable);

    const merged = path.join(p.dir, 'merged');
    const m = rlhfSync(['merge-lora', 'run', '--out', 'merged'], p.dir);
    expect(m.stderr.trim()).toBe('');
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/merged .* into merged/);
    expect(fs.existsSync(path.join(merged, 'adapter_config.json'))).toBe(false);
    const a = logprobs(final);
    const b = logprobs(merged);
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    expect(d).toBeLessThan(1e-5);
    // the adapters moved: the merged model is not the random-init base
    const base = lm.loadPolicy(final, tf);
    const baseDir = path.join(p.dir, 'base-only');
    return base.baseView().save(baseDir).then(() => {
      base.dispose();
      const c = logprobs(baseDir);
      let e = 0;
      for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - c[i]));
      expect(e).toBeGreaterThan(0);
    });
  });
});

describe('rlhf validate --plan', () => {
  const smoke = path.join(REPO, 'recipes', 'lora', 'gpt2-124m-smoke.yaml');

  it('prints the memory plan of the 124M LoRA smoke recipe, which fits the wasm heap', () => {
    const r = rlhfSync(['validate', '--plan', smoke], REPO);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/memory plan \(wasm\): peak tensor memory ≈ [\d.]+ MiB during \w+ of a 4095\.9 MiB limit/);
    // 124M parameters (+ LoRA and value head) in float32, nothing for the reference
    expect(r.stdout).toMatch(/policyWeights\s+474\.\d MiB/);
    expect(r.stdout).toMatch(/referenceWeights\s+0\.0 MiB/);
  });

  it('refuses a GPT-2-large-shaped recipe over the wasm heap, naming the limit and what helps', () => {
    const sets = ['nLayers=36', 'dModel=1280', 'nHeads=20', 'dMlp=5120'].flatMap((s) => ['--set', `agent.options.init.${s}`]);
    const r = rlhfSync(['validate', '--plan', smoke, ...sets], REPO);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs about [\d.]+ MiB of tensor memory at its peak/);
    expect(r.stderr).toContain('4294901760 bytes');
    expect(r.stderr).toMatch(/promptsPerIteration|minibatchSize/);
  });
});
