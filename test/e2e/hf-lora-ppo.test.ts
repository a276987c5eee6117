/**
 * recipes/hf/3-ppo-lora.yaml through the CLI: PPO training LoRA adapters on a Hugging Face GPT-2
 * folder (the base converted by recipes/hf/1-convert.yaml), killed and resumed to the same numbers;
 * each saved policy is the base folder unchanged plus PEFT's two adapter files; `rlhf merge-lora`
 * writes a plain GPT-2 folder in the same layout whose log-probs equal base + adapter to 1e-5.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { packRollout, readSafetensors } from '@rlhfjs/core';
import { loadHF, readSafetensorsHeader as readHeader } from '@rlhfjs/plugin-lm';
import { REPO } from '../helpers/paths';
import { killAfterCheckpoint, rlhfSync } from './rl-project';

jest.setTimeout(300_000);

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-hf-lora-ppo-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ok = (r: { code: number; stderr: string }) => expect({ code: r.code, errors: r.stderr.split('\n').filter((l) => /error/i.test(l)) }).toEqual({ code: 0, errors: [] });
const lines = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const withoutClock = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'time' && !k.startsWith('perf/')));

function logprobs(dir: string): number[] {
  const m = loadHF(dir, tf);
  const rows = [m.encodePrompt('The food was great', 32).ids, m.encodePrompt('My day was long', 32).ids];
  const p = packRollout(tf, { promptIds: rows.map((r) => r.slice(0, 1)), responseIds: rows.map((r) => r.slice(1)) }, m.tokenizer.padId);
  const out = tf.tidy(() => Array.from(m.forward(p.batch).logprobs.dataSync()));
  tf.dispose([p.batch.ids, p.batch.attentionMask]);
  m.dispose();
  return out;
}

test('PPO with LoRA on a Hugging Face folder: adapters only, resumable, PEFT files, merge', async () => {
  const base = path.join(tmp, 'base-gpt2');
  ok(rlhfSync(['train', 'recipes/hf/1-convert.yaml', '--set', `job.options.output=${base}`, '--out', path.join(tmp, 'convert')], REPO));
  const ppo = (out: string) => ['train', 'recipes/hf/3-ppo-lora.yaml', '--set', `agent.options.path=${base}`, '--set', 'runtime.steps=3', '--set', 'runtime.checkpointEvery=1', '--set', 'algorithm.options.promptsPerIteration=4', '--set', 'algorithm.options.minibatchSize=4', '--out', out];
  const straight = path.join(tmp, 'ppo');
  ok(rlhfSync(ppo(straight), REPO));
  // step 1: fresh adapters (B = 0) and the reference (the base, adapters off) are one function
  expect(lines(straight)[0]['kl/mean']).toBe(0);
  const killed = path.join(tmp, 'ppo-killed');
  await killAfterCheckpoint(ppo(killed), REPO, killed, 1);
  ok(rlhfSync(['train', '--resume', killed], REPO));
  expect(withoutClock(lines(killed).pop()!)).toEqual(withoutClock(lines(straight).pop()!));

  const final = path.join(straight, 'final');
  expect(fs.readdirSync(final).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'value_head.safetensors']);
  // the base is written back unchanged, tensor by tensor
  const bytesOf = (file: string, name: string) => {
    const e = readHeader(file).get(name)!;
    return fs.readFileSync(file).subarray(e.begin, e.end);
  };
  const baseNames = [...readHeader(path.join(base, 'model.safetensors')).keys()].sort();
  expect([...readHeader(path.join(final, 'model.safetensors')).keys()].sort()).toEqual(baseNames);
  for (const n of baseNames) expect(bytesOf(path.join(final, 'model.safetensors'), n).equals(bytesOf(path.join(base, 'model.safetensors'), n))).toBe(true);
  const cfg = JSON.parse(fs.readFileSync(path.join(final, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  expect([cfg.r, cfg.lora_alpha, cfg.target_modules, cfg.fan_in_fan_out]).toEqual([8, 16, ['c_attn', 'c_proj'], true]);
  // the base folder of recipes/hf: 4 layers, d 128; c_attn 128 → 384, attn.c_proj and mlp.c_proj (512 → 128)
  const perLayer = 8 * (128 + 384) + 8 * (128 + 128) + 8 * (512 + 128);
  const { tensors } = readSafetensors(path.join(final, 'adapter_model.safetensors'));
  expect([...tensors.values()].reduce((s, t) => s + t.data.length, 0)).toBe(4 * perLayer);
  expect(tensors.get('base_model.model.transformer.h.3.mlp.c_proj.lora_A.weight')!.shape).toEqual([8, 512]);
  // a run checkpoint's weights are what trains: the adapters and the value head (d + 1)
  const { tensors: w } = readSafetensors(path.join(straight, 'checkpoints', 'step-000002', 'weights.safetensors'));
  expect([...w.values()].reduce((s, t) => s + t.data.length, 0)).toBe(4 * perLayer + 129);

  const m = rlhfSync(['merge-lora', straight, '--out', path.join(tmp, 'merged')], REPO);
  ok(m);
  const merged = path.join(tmp, 'merged');
  expect(fs.existsSync(path.join(merged, 'adapter_config.json'))).toBe(false);
  expect([...readHeader(path.join(merged, 'model.safetensors')).keys()].sort()).toEqual(baseNames);
  const a = logprobs(final);
  const b = logprobs(merged);
  const c = logprobs(base);
  expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-5);
  // the adapters moved
  expect(Math.max(...a.map((v, i) => Math.abs(v - c[i])))).toBeGreaterThan(1e-6);
});
