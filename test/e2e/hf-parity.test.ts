/**
 * Parity of the Hugging Face models (plugins/lm/src/hf) with reference forward passes written in
 * plain PyTorch (test/hf-parity/make_checkpoints.py): for every architecture and variant (odd sizes,
 * grouped-query attention, untied embeddings, Qwen2 biases, F16/BF16 weights, shards, llama3 rope
 * scaling, GPT-Neo local attention) the log-probs of fixed token sequences must agree to 1e-4.
 * Also: the export writes back byte-identical tensors under the original names, dtypes and files.
 * Skipped (with the reason printed) when python3 or its torch module is missing.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packRollout, Rng } from '@rlhfjs/core';
import { generate, loadHF, readSafetensorsHeader as readHeader } from '@rlhfjs/plugin-lm';
import { REPO } from '../helpers/paths';
import { rlhfSync } from './rl-project';

jest.setTimeout(240_000);

const SCRIPT = path.join(__dirname, '..', 'hf-parity', 'make_checkpoints.py');

interface Variant {
  variant: string;
  model_type: string;
  dtype: string;
  shards: number;
  dir: string;
  vocab_size: number;
  tokenizer_vocab: number;
  sequences: number[][];
  /** Over the whole embedding, as transformers computes them. */
  logprobs: number[][];
  /** Renormalised over the tokenizer's ids (the agent's default: embedding rows beyond the tokenizer are removed). */
  logprobs_tokenizer_vocab: number[][];
  /** d(Σ log-probs of the first sequence, whole embedding)/d(tensor), flattened in the file's layout. */
  grads: Record<string, number[]>;
}

function torchMissing(): string | undefined {
  const r = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error) return `python3 is not installed (${r.error.message})`;
  if (r.status !== 0) return `python3 cannot import torch (install Debian's python3-torch): ${r.stderr.trim().split('\n').pop()}`;
  return undefined;
}

let root: string;
let variants: Variant[] = [];
let skip: string | undefined;

beforeAll(async () => {
  await tf.setBackend('cpu');
  skip = torchMissing();
  if (skip) {
    console.warn(`SKIPPED hf-parity: ${skip}`);
    return;
  }
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-hf-parity-'));
  const r = spawnSync('python3', [SCRIPT, root], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed:\n${r.stdout}\n${r.stderr}`);
  variants = (JSON.parse(fs.readFileSync(path.join(root, 'parity.json'), 'utf8')) as { variants: Variant[] }).variants;
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** The log-probs of each sequence's tokens 1..n−1 from one right-padded batch of all of them. */
function batchLogprobs(dir: string, seqs: number[][], fullVocabulary = false): number[][] {
  const model = loadHF(dir, tf, { fullVocabulary });
  try {
    const packed = packRollout(tf, { promptIds: seqs.map((s) => s.slice(0, 1)), responseIds: seqs.map((s) => s.slice(1)) }, model.tokenizer.padId);
    const lp = tf.tidy(() => model.forward(packed.batch).logprobs);
    const rows = lp.arraySync() as number[][];
    tf.dispose([lp, packed.batch.ids, packed.batch.attentionMask]);
    return seqs.map((s, i) => rows[i].slice(0, s.length - 1));
  } finally {
    model.dispose();
  }
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i].length);
    row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j]))));
  });
  return m;
}

describe('Hugging Face checkpoints against PyTorch reference forward passes', () => {
  test('log-probs agree to 1e-4 (max abs, float32) for every architecture and variant', () => {
    if (skip) return console.warn(`SKIPPED: ${skip}`);
    expect(variants.map((v) => v.variant)).toEqual([
      'gpt2-odd', 'gpt2-bare-f16-buffers', 'gpt2-untied', 'llama-gqa-untied', 'llama-tied-bf16', 'llama-sharded', 'llama3-rope-scaling', 'qwen2-bias-gqa', 'gpt_neo-local',
    ]);
    const table: string[] = [
      'architecture | variant | dtype | shards | vocab (embedding/tokenizer) | tokens | max abs diff, full vocabulary | max abs diff, tokenizer vocabulary (default)',
      '--- | --- | --- | --- | --- | --- | --- | ---',
    ];
    const diffs: Record<string, number> = {};
    for (const v of variants) {
      const full = maxAbsDiff(batchLogprobs(v.dir, v.sequences, true), v.logprobs);
      const restricted = maxAbsDiff(batchLogprobs(v.dir, v.sequences), v.logprobs_tokenizer_vocab);
      diffs[`${v.variant} full`] = full;
      diffs[`${v.variant} tokenizer`] = restricted;
      table.push(`${v.model_type} | ${v.variant} | ${v.dtype} | ${v.shards} | ${v.vocab_size}/${v.tokenizer_vocab} | ${v.logprobs.reduce((a, r) => a + r.length, 0)} | ${full.toExponential(2)} | ${restricted.toExponential(2)}`);
    }
    console.log(`hf parity (reference: PyTorch float64 forward passes, test/hf-parity/make_checkpoints.py)\n${table.join('\n')}`);
    for (const [name, d] of Object.entries(diffs)) expect([name, d <= 1e-4]).toEqual([name, true]);
  });

  test('gradients of the log-probs agree with PyTorch autograd to 1e-4 of their scale', () => {
    if (skip) return console.warn(`SKIPPED: ${skip}`);
    const table: string[] = ['architecture | variant | tensor | max abs gradient | max abs diff', '--- | --- | --- | --- | ---'];
    const bad: string[] = [];
    for (const v of variants) {
      const model = loadHF(v.dir, tf, { fullVocabulary: true });
      const seq = v.sequences[0];
      const ids = tf.tensor2d(Int32Array.from(seq), [1, seq.length], 'int32');
      const mask = tf.ones([1, seq.length]) as tf.Tensor2D;
      const vars = model.namedWeights() as Map<string, tf.Variable>;
      const wanted = Object.keys(v.grads).map((n) => vars.get(n)!);
      const { value, grads } = tf.variableGrads(() => tf.sum(model.forward({ ids, attentionMask: mask }).logprobs) as tf.Scalar, wanted);
      for (const [name, ref] of Object.entries(v.grads)) {
        const g = grads[vars.get(name)!.name];
        let ours = g.dataSync() as Float32Array;
        // torch Linear weights are held transposed ([in, out]); the reference is in the file's [out, in]
        const linear = model.source.tensors.find((t) => t.name === name)!.linear;
        if (linear) ours = tf.tidy(() => tf.transpose(g).dataSync() as Float32Array);
        let scale = 0;
        let diff = 0;
        ref.forEach((r, i) => {
          scale = Math.max(scale, Math.abs(r));
          diff = Math.max(diff, Math.abs(r - ours[i]));
        });
        expect([name, ours.length]).toEqual([name, ref.length]);
        table.push(`${v.model_type} | ${v.variant} | ${name} | ${scale.toFixed(3)} | ${diff.toExponential(2)}`);
        if (!(diff <= 1e-4 * Math.max(1, scale))) bad.push(`${v.variant} ${name}: ${diff}`);
      }
      tf.dispose([value, ids, mask, ...Object.values(grads)]);
      model.dispose();
    }
    console.log(`hf gradient parity (reference: PyTorch float64 autograd)\n${table.join('\n')}`);
    expect(bad).toEqual([]);
  });

  test('export writes the same files, names, dtypes, shapes and bytes, and loads back to the same log-probs', async () => {
    if (skip) return console.warn(`SKIPPED: ${skip}`);
    for (const v of variants) {
      const model = loadHF(v.dir, tf);
      const out = path.join(root, 'export', v.variant);
      await model.save(out);
      model.dispose();
      const weightFiles = (d: string) => fs.readdirSync(d).filter((f) => f.endsWith('.safetensors') || f.endsWith('.index.json')).sort();
      expect([v.variant, weightFiles(out)]).toEqual([v.variant, weightFiles(v.dir)]);
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) expect(fs.readFileSync(path.join(out, f))).toEqual(fs.readFileSync(path.join(v.dir, f)));
      const cfgIn = JSON.parse(fs.readFileSync(path.join(v.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      const cfgOut = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(cfgOut).toEqual({ ...cfgIn, rlhfjs: { package: '@rlhfjs/plugin-lm', agent: 'hf-causal-lm' } });
      for (const f of weightFiles(v.dir).filter((x) => x.endsWith('.safetensors'))) {
        const a = readHeader(path.join(v.dir, f));
        const b = readHeader(path.join(out, f));
        // non-parameter buffers (GPT-2's attn.bias causal masks) are not written back
        const params = [...a.keys()].filter((k) => !/\.attn\.bias$/.test(k)).sort();
        expect([v.variant, f, [...b.keys()].sort()]).toEqual([v.variant, f, params]);
        const fa = fs.readFileSync(path.join(v.dir, f));
        const fb = fs.readFileSync(path.join(out, f));
        for (const name of params) {
          const ea = a.get(name)!;
          const eb = b.get(name)!;
          expect([name, eb.dtype, eb.shape]).toEqual([name, ea.dtype, ea.shape]);
          expect([name, fb.subarray(eb.begin, eb.end).equals(fa.subarray(ea.begin, ea.end))]).toEqual([name, true]);
        }
      }
      expect(maxAbsDiff(batchLogprobs(out, v.sequences), v.logprobs_tokenizer_vocab)).toBeLessThanOrEqual(1e-4);
    }
  });

  test('KV-cache sampling scores each token as a full forward pass does (GQA, rope, local attention)', async () => {
    if (skip) return console.warn(`SKIPPED: ${skip}`);
    for (const name of ['llama-gqa-untied', 'gpt_neo-local', 'qwen2-bias-gqa', 'gpt2-odd']) {
      const v = variants.find((x) => x.variant === name)!;
      const model = loadHF(v.dir, tf, { valueHead: true, rng: new Rng(3) });
      const prompts = [v.sequences[1].slice(0, 3), v.sequences[0].slice(0, 6)];
      const sampling = { maxNewTokens: 9, temperature: 1, topK: 0, topP: 1, stop: [] };
      const cached = await generate(model, prompts, sampling, new Rng(5));
      const uncached = await generate(model, prompts, sampling, new Rng(5), { useCache: false });
      expect(cached.responseIds).toEqual(uncached.responseIds);
      const packed = packRollout(tf, cached, model.tokenizer.padId);
      const lp = tf.tidy(() => model.forward(packed.batch).logprobs).arraySync() as number[][];
      cached.responseIds.forEach((r, i) => {
        const start = cached.promptIds[i].length - 1;
        const full = lp[i].slice(start, start + r.length);
        expect([name, i, maxAbsDiff([full], [cached.responseLogprobs[i]])]).toEqual([name, i, expect.any(Number)]);
        expect([name, i, maxAbsDiff([full], [cached.responseLogprobs[i]]) < 1e-4]).toEqual([name, i, true]);
      });
      tf.dispose([packed.batch.ids, packed.batch.attentionMask]);
      model.dispose();
    }
  });

  test('rlhf generate and rlhf logprobs run on every architecture, from the plain Hugging Face folder', () => {
    if (skip) return console.warn(`SKIPPED: ${skip}`);
    for (const name of ['gpt2-bare-f16-buffers', 'gpt_neo-local', 'llama-sharded', 'qwen2-bias-gqa']) {
      const v = variants.find((x) => x.variant === name)!;
      const gen = rlhfSync(['generate', v.dir, '-p', 'the cat', '--max-new-tokens', '5', '--json'], REPO);
      expect([name, gen.code, gen.stderr.split('\n').filter((l) => /error/i.test(l))]).toEqual([name, 0, []]);
      const row = JSON.parse(gen.stdout.trim()) as { prompt: string; completion: string; logprob: number };
      expect([name, row.prompt, Number.isFinite(row.logprob) && row.logprob < 0]).toEqual([name, 'the cat', true]);
      // a text scored from the command line: BOS (when the tokenizer adds one), then the text's tokens
      const lp = rlhfSync(['logprobs', v.dir, '--text', 'the cat sat'], REPO);
      expect([name, lp.code]).toEqual([name, 0]);
      const out = JSON.parse(lp.stdout.trim()) as { tokens: Array<{ text: string; logprob: number | null }> };
      const texts = out.tokens.map((t) => t.text);
      // no BOS: these tokenizers neither set add_bos_token nor have a post-processor that adds one
      // (as transformers' GPT-2 tokenizer, a bos_token in tokenizer_config.json alone adds nothing)
      expect([name, texts.join('')]).toEqual([name, 'the cat sat']);
      expect([name, out.tokens[0].logprob]).toEqual([name, null]);
    }
  });
});
