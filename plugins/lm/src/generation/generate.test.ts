import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng, packRollout, responseColumns, type SamplingOptions } from '@rlhfjs/core';
import { tinyModel } from '../model/testing/tiny';
import { generate } from './generate';
import { sampleToken } from './sample';

const SAMPLING: SamplingOptions = { maxNewTokens: 10, temperature: 1, topK: 0, topP: 1, stop: [] };

beforeAll(async () => {
  await tf.setBackend('cpu');
  expect(tf.getBackend()).toBe('cpu');
});

const maxDiff = (a: number[], b: number[]) => Math.max(0, ...a.map((v, i) => Math.abs(v - b[i])));

describe('sampleToken', () => {
  it('draws by inverse CDF and reports the temperature-scaled log-prob', () => {
    // logits [0, ln 3]: p = [0.25, 0.75]. Find draws of a seeded stream and check each by hand.
    const logits = [0, Math.log(3)];
    const u = new Rng(5);
    const draws = [u.next(), u.next(), u.next()];
    const rng = new Rng(5);
    for (const d of draws) {
      const { token, logprob } = sampleToken(logits, 2, { temperature: 1, topK: 0, topP: 1 }, rng);
      expect(token).toBe(d < 0.25 ? 0 : 1);
      expect(logprob).toBeCloseTo(Math.log(token === 0 ? 0.25 : 0.75), 10);
    }
    // temperature 2: p ∝ [1, √3] → p1 = √3 / (1 + √3)
    const t2 = sampleToken(logits, 2, { temperature: 2, topK: 1, topP: 1 }, new Rng(1));
    expect(t2.token).toBe(1);
    expect(t2.logprob).toBeCloseTo(Math.log(Math.sqrt(3) / (1 + Math.sqrt(3))), 10);
  });

  it('top-k 1 is greedy; top-p keeps the smallest set reaching p', () => {
    const logits = [Math.log(0.1), Math.log(0.5), Math.log(0.4)];
    const rng = new Rng(9);
    for (let i = 0; i < 20; i++) expect(sampleToken(logits, 3, { temperature: 1, topK: 1, topP: 1 }, rng).token).toBe(1);
    // p = 0.85 → {1 (0.5), 2 (0.4)}: token 0 never drawn
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(sampleToken(logits, 3, { temperature: 1, topK: 0, topP: 0.85 }, rng).token);
    expect([...seen].sort()).toEqual([1, 2]);
  });
});

describe('generate fits its prompts', () => {
  it('cuts a prompt longer than its window from the left, keeping BOS, and reads an empty prompt as BOS', async () => {
    const m = tinyModel(tf); // context 32
    const bos = m.tokenizer.bosId!;
    const long = [bos, ...Array.from({ length: 40 }, (_, i) => 3 + i)];
    const r = await generate(m, [long, []], { ...SAMPLING, maxNewTokens: 4 }, new Rng(1));
    // room 32 − 4 = 28: BOS + the last 27 tokens (16…42)
    expect(r.promptIds[0]).toEqual([bos, ...Array.from({ length: 27 }, (_, i) => 16 + i)]);
    expect(r.promptIds[1]).toEqual([bos]);
    m.dispose();
  });
});

describe('generate', () => {
  const prompts = (m: ReturnType<typeof tinyModel>) => [
    [m.tokenizer.bosId!, ...m.tokenizer.encode('the cat sat on')],
    [m.tokenizer.bosId!, ...m.tokenizer.encode('lol')],
    [m.tokenizer.bosId!, ...m.tokenizer.encode('we went to the shop and bought')],
  ];

  it('with the KV cache gives the same tokens and log-probs (1e-4) as recomputing the sequence', async () => {
    const m = tinyModel(tf, { valueHead: true });
    const a = await generate(m, prompts(m), SAMPLING, new Rng(11), { useCache: true });
    const b = await generate(m, prompts(m), SAMPLING, new Rng(11), { useCache: false });
    expect(a.responseIds).toEqual(b.responseIds);
    a.responseLogprobs.forEach((row, i) => expect(maxDiff(row, b.responseLogprobs[i])).toBeLessThan(1e-4));
    a.values!.forEach((row, i) => expect(maxDiff(row, b.values![i])).toBeLessThan(1e-4));
    m.dispose();
  });

  it('cached step logits equal the full-sequence logits (1e-4)', () => {
    const m = tinyModel(tf);
    const ids = [3, 17, 42, 8, 99, 5];
    const full = m.logits({ ids: tf.tensor2d([ids], [1, 6], 'int32'), attentionMask: tf.ones([1, 6]) as tf.Tensor2D }).arraySync()[0];
    // prefill 4 tokens, then two single-token steps through the cache
    const bias = (S: number, L: number) => tf.tensor4d(Array.from({ length: S * L }, (_, k) => (k % L <= L - S + Math.floor(k / L) ? 0 : -1e9)), [1, 1, S, L]);
    const pre = m.trunk(tf.tensor2d([ids.slice(0, 4)], [1, 4], 'int32'), tf.tensor2d([[0, 1, 2, 3]], [1, 4], 'int32'), bias(4, 4), []);
    let cache = pre.cache!;
    for (const t of [4, 5]) {
      const r = m.trunk(tf.tensor2d([[ids[t]]], [1, 1], 'int32'), tf.tensor2d([[t]], [1, 1], 'int32'), tf.zeros([1, 1, 1, t + 1]), cache);
      cache = r.cache!;
      const step = (m.logitsFrom(r.hidden) as tf.Tensor3D).arraySync()[0][0];
      expect(maxDiff(step, full[t])).toBeLessThan(1e-4);
    }
    m.dispose();
  });

  it('log-probs and values equal forward() on packRollout of the result (prompts of different lengths, 1e-4)', async () => {
    const m = tinyModel(tf, { valueHead: true });
    const r = await generate(m, prompts(m), { ...SAMPLING, maxNewTokens: 12 }, new Rng(3));
    expect(new Set(r.promptIds.map((p) => p.length)).size).toBe(3);
    const packed = packRollout(tf, r, m.tokenizer.padId);
    const out = m.forward(packed.batch, { values: true });
    const lp = responseColumns(out.logprobs.arraySync(), packed);
    const vals = responseColumns(out.values!.arraySync(), packed);
    lp.forEach((row, i) => {
      expect(row.length).toBe(r.responseIds[i].length);
      expect(maxDiff(row, r.responseLogprobs[i])).toBeLessThan(1e-4);
      expect(maxDiff(vals[i], r.values![i])).toBeLessThan(1e-4);
    });
    m.dispose();
  });

  it('is reproducible from the seed and differs across seeds', async () => {
    const m = tinyModel(tf);
    const a = await generate(m, prompts(m), SAMPLING, new Rng(1));
    const b = await generate(m, prompts(m), SAMPLING, new Rng(1));
    const c = await generate(m, prompts(m), SAMPLING, new Rng(2));
    expect(a.responseIds).toEqual(b.responseIds);
    expect(a.completions).toEqual(b.completions);
    expect(c.responseIds).not.toEqual(a.responseIds);
    m.dispose();
  });

  it('a suppressed end-of-text is never drawn, and generation, forward and the frozen copy agree on the renormalised distribution', async () => {
    // "eos is certain": logit(eos) = 10·|b|² = 10·d, every other logit 0; suppressed, the rest are uniform
    const m = tinyModel(tf, { tieEmbeddings: false });
    const w = m.namedWeights();
    const d = m.config.dModel;
    const V = m.config.vocabSize;
    const eos = m.tokenizer.eosId;
    (w.get('ln_f.weight') as tf.Variable).assign(tf.zeros([d]));
    (w.get('ln_f.bias') as tf.Variable).assign(tf.ones([d]));
    const head = new Float32Array(d * V);
    for (let i = 0; i < d; i++) head[i * V + eos] = 10;
    (w.get('lm_head.weight') as tf.Variable).assign(tf.tensor2d(head, [d, V]));
    m.suppressTokens([eos]);
    const p = [[m.tokenizer.encode('the')[0]]];
    const r = await generate(m, p, SAMPLING, new Rng(1));
    expect(r.responseIds[0]).toHaveLength(SAMPLING.maxNewTokens);
    expect(r.responseIds[0].includes(eos)).toBe(false);
    // uniform over the V − 1 other tokens: log-prob −log(V − 1) for each
    for (const lp of r.responseLogprobs[0]) expect(lp).toBeCloseTo(-Math.log(V - 1), 4);
    const packed = packRollout(tf, r, m.tokenizer.padId);
    const fwd = responseColumns((await m.forward(packed.batch).logprobs.array()) as number[][], packed);
    expect(maxDiff(fwd[0], r.responseLogprobs[0])).toBeLessThan(1e-4);
    const ref = m.frozenCopy();
    expect(ref.suppressedTokens).toEqual([eos]);
    const fwdRef = responseColumns((await ref.forward(packed.batch).logprobs.array()) as number[][], packed);
    expect(maxDiff(fwdRef[0], r.responseLogprobs[0])).toBeLessThan(1e-4);
    // lifting the suppression restores the model's own distribution
    m.suppressTokens([]);
    expect((await generate(m, p, SAMPLING, new Rng(1))).responseIds[0]).toEqual([eos]);
  });

  it('stops at eos (kept in responseIds, not in the text) and at stop strings (kept in the text)', async () => {
    // make eos the certain next token: the final LayerNorm outputs its bias b (gain 0), and only the
    // eos column of the untied output matrix is non-zero (10·b), so logit(eos) = 10·|b|² and the rest 0
    const m = tinyModel(tf, { tieEmbeddings: false });
    const w = m.namedWeights();
    const d = m.config.dModel;
    const eos = m.tokenizer.eosId;
    (w.get('ln_f.weight') as tf.Variable).assign(tf.zeros([d]));
    (w.get('ln_f.bias') as tf.Variable).assign(tf.ones([d]));
    const head = new Float32Array(d * m.config.vocabSize);
    for (let i = 0; i < d; i++) head[i * m.config.vocabSize + eos] = 10;
    (w.get('lm_head.weight') as tf.Variable).assign(tf.tensor2d(head, [d, m.config.vocabSize]));
    const p = [[m.tokenizer.encode('the')[0]]];
    const r = await generate(m, p, SAMPLING, new Rng(1));
    expect(r.responseIds[0]).toEqual([eos]);
    expect(r.completions[0]).toBe('');
    expect(r.responseLogprobs[0][0]).toBeGreaterThan(-1e-6);
    // stop strings: whatever greedy decoding writes first, stopping on its text ends right there
    const free = tinyModel(tf, {}, 21);
    const g = await generate(free, p, { ...SAMPLING, topK: 1 }, new Rng(1));
    const firstText = free.tokenizer.decode([g.responseIds[0][0]]);
    const stopped = await generate(free, p, { ...SAMPLING, topK: 1, stop: [firstText] }, new Rng(1));
    expect(stopped.responseIds[0]).toEqual([g.responseIds[0][0]]);
    expect(stopped.completions[0]).toBe(firstText);
    expect(g.responseIds[0].length).toBe(10);
    m.dispose();
    free.dispose();
  });

  it('leaves no tensors behind', async () => {
    const m = tinyModel(tf, { valueHead: true });
    await generate(m, prompts(m), SAMPLING, new Rng(1));
    const before = tf.memory().numTensors;
    await generate(m, prompts(m), { ...SAMPLING, stop: ['e'] }, new Rng(2));
    await generate(m, prompts(m), SAMPLING, new Rng(3), { useCache: false });
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('truncates prompts so prompt + completion fit the context window', async () => {
    const m = tinyModel(tf, { contextSize: 16 });
    const long = [m.tokenizer.bosId!, ...Array.from({ length: 30 }, (_, i) => 10 + i)];
    const r = await generate(m, [long], { ...SAMPLING, maxNewTokens: 6 }, new Rng(1));
    expect(r.promptIds[0]).toEqual([m.tokenizer.bosId, ...long.slice(long.length - 9)]);
    expect(r.promptIds[0].length + r.responseIds[0].length).toBeLessThanOrEqual(16);
    await expect(generate(m, [long], { ...SAMPLING, maxNewTokens: 16 }, new Rng(1))).rejects.toThrow(/no room for a prompt/);
    m.dispose();
  });

  it('gives the same logits on the cpu and wasm backends (1e-4)', async () => {
    const m = tinyModel(tf, { valueHead: true });
    const batch = packRollout(tf, { promptIds: prompts(m), responseIds: [[5, 6], [], [7]] }, m.tokenizer.padId).batch;
    const onCpu = m.logits(batch).dataSync().slice();
    const rCpu = await generate(m, prompts(m), SAMPLING, new Rng(4));
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(tf.getBackend()).toBe('wasm');
    try {
      const onWasm = m.logits(batch).dataSync();
      let d = 0;
      for (let i = 0; i < onCpu.length; i++) d = Math.max(d, Math.abs(onCpu[i] - onWasm[i]));
      expect(d).toBeLessThan(1e-4);
      const rWasm = await generate(m, prompts(m), SAMPLING, new Rng(4));
      expect(rWasm.responseIds).toEqual(rCpu.responseIds);
    } finally {
      await tf.setBackend('cpu');
      m.dispose();
    }
  });
});
