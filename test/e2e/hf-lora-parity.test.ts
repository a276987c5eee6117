/**
 * LoRA on Hugging Face folders against an independent PyTorch computation: the random checkpoints
 * of test/hf-parity/make_checkpoints.py get adapters on every projection (B moved off zero), and
 * the agent's log-probs of base + adapter must agree to 1e-4 with test/hf-parity/lora_logprobs.py,
 * which reads the saved adapter files (PEFT names, lora_A [r, in], lora_B [out, r], fan_in_fan_out)
 * and applies them to the base weights in float64 as PEFT merges them. The merged folder the agent
 * writes must give the same numbers. Skipped (with the reason printed) without python3 and torch.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packRollout, Rng } from '@rlhfjs/core';
import { loadHF, readWeightsLayout } from '@rlhfjs/plugin-lm';

jest.setTimeout(240_000);

const DIR = path.join(__dirname, '..', 'hf-parity');
const TARGETS: Record<string, string[]> = {
  gpt2: ['c_attn', 'c_proj', 'c_fc'],
  gpt_neo: ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'c_fc', 'c_proj'],
  llama: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  qwen2: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
};

function torchMissing(): string | undefined {
  const r = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `python3 is not installed (${r.error.message})`;
  if (r.status !== 0) return `python3 cannot import torch (install Debian's python3-torch): ${r.stderr.trim().split('\n').pop()}`;
  return undefined;
}

let root: string;
let skip: string | undefined;
let variants: Array<{ variant: string; model_type: string; dir: string; sequences: number[][] }> = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  skip = torchMissing();
  if (skip) return console.warn(`SKIPPED hf-lora-parity: ${skip}`);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-hf-lora-parity-'));
  const r = spawnSync('python3', [path.join(DIR, 'make_checkpoints.py'), root], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make_checkpoints.py failed:\n${r.stdout}\n${r.stderr}`);
  variants = JSON.parse(fs.readFileSync(path.join(root, 'parity.json'), 'utf8')).variants;
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

function logprobs(dir: string, seqs: number[][], model = loadHF(dir, tf, { fullVocabulary: true })): number[][] {
  const packed = packRollout(tf, { promptIds: seqs.map((s) => s.slice(0, 1)), responseIds: seqs.map((s) => s.slice(1)) }, model.tokenizer.padId);
  const rows = tf.tidy(() => model.forward(packed.batch).logprobs.arraySync() as number[][]);
  tf.dispose([packed.batch.ids, packed.batch.attentionMask]);
  return seqs.map((s, i) => rows[i].slice(0, s.length - 1));
}

const maxAbsDiff = (a: number[][], b: number[][]) => a.reduce((m, row, i) => row.reduce((mm, v, j) => Math.max(mm, Math.abs(v - b[i][j])), m), 0);

test('base + adapter and the merged folder agree with a float64 PyTorch application of the PEFT adapter, to 1e-4', async () => {
  if (skip) return console.warn(`SKIPPED: ${skip}`);
  const names = ['gpt2-odd', 'gpt2-bare-f16-buffers', 'llama-gqa-untied', 'llama-sharded', 'qwen2-bias-gqa', 'gpt_neo-local'];
  const table = ['variant | adapted modules | max abs diff, adapter vs torch | merged vs torch | adapter vs base'];
  for (const name of names) {
    const v = variants.find((x) => x.variant === name)!;
    const policy = loadHF(v.dir, tf, { fullVocabulary: true, lora: { settings: { rank: 3, alpha: 6, dropout: 0, targetModules: TARGETS[v.model_type] }, rng: new Rng(5) } });
    const rng = new Rng(9);
    for (const m of policy.lora!.moduleNames()) {
      const B = policy.lora!.pair(m)!.B;
      const t = tf.tensor(Float32Array.from({ length: B.size }, () => rng.normal() * 0.3), B.shape);
      B.assign(t);
      t.dispose();
    }
    const ours = logprobs(v.dir, v.sequences, policy);
    const adapterDir = path.join(root, `${name}-lora`);
    const mergedDir = path.join(root, `${name}-merged`);
    await policy.save(adapterDir);
    await policy.save(mergedDir, { mergeAdapters: true });
    const base = policy.baseView();
    const baseLp = logprobs(v.dir, v.sequences, base);
    base.dispose();
    const modules = policy.lora!.moduleNames().length;
    policy.dispose();
    const seqFile = path.join(root, `${name}-seqs.json`);
    const outFile = path.join(root, `${name}-torch.json`);
    fs.writeFileSync(seqFile, JSON.stringify(v.sequences));
    const r = spawnSync('python3', [path.join(DIR, 'lora_logprobs.py'), v.dir, adapterDir, seqFile, outFile], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`lora_logprobs.py failed:\n${r.stdout}\n${r.stderr}`);
    const torch = JSON.parse(fs.readFileSync(outFile, 'utf8')) as number[][];
    const merged = logprobs(mergedDir, v.sequences);
    const dA = maxAbsDiff(ours, torch);
    const dM = maxAbsDiff(merged, torch);
    const dB = maxAbsDiff(ours, baseLp);
    table.push(`${name} | ${modules} | ${dA.toExponential(2)} | ${dM.toExponential(2)} | ${dB.toExponential(2)}`);
    expect(dA).toBeLessThan(1e-4);
    // the merged folder keeps the original dtypes: an F16 base stores W + ΔW rounded to F16 (relative step 2⁻¹¹)
    const f16 = [...readWeightsLayout(mergedDir).entries.values()].some((e) => e.dtype === 'F16');
    expect(f16).toBe(name.includes('f16'));
    expect(dM).toBeLessThan(f16 ? 1e-2 : 1e-4);
    // the adapters change the function (else the parity would be empty)
    expect(dB).toBeGreaterThan(1e-2);
  }
  console.log(table.join('\n'));
});
