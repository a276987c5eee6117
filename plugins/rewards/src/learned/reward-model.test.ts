import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { CheckpointModels, DiagnosticError, PluginRegistry, Rng, Tokens, ensureGradients, type ModelLoader } from '@rlhfjs/core';
import { buildPlugin, runBuiltJob } from '@rlhfjs/core/testing';
import lm from '@rlhfjs/plugin-lm';
import { tinyModel } from '@rlhfjs/plugin-lm/testing';
import { LabelAppender, makeRecord, pairItem, pointwiseItem, readLabels } from '../labels';
import { bceWithLogit, bradleyTerryLoss } from './metrics';
import { balancedClassWeights, binaryCrossEntropy, bradleyTerry, RewardModel } from './reward-model';
import { rewardModelData, rewardModelReward, trainRewardModelJob } from './reward-model-plugins';

let dir: string;
let base: string;
beforeAll(async () => {
  await tf.setBackend('wasm');
  if (tf.getBackend() !== 'wasm') throw new Error(`wasm backend did not start (got ${tf.getBackend()})`);
  ensureGradients(tf);
});
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rm-'));
  base = path.join(dir, 'base');
  const m = tinyModel(tf);
  await m.save(base);
  m.dispose();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const human = { kind: 'human' as const, id: 't', simulated: false };

/** Tokens.Models over the sources of @rlhfjs/plugin-lm (the package a GPT checkpoint names). */
const models = (c: DependencyContainer): ModelLoader => new CheckpointModels(c, { registry: new PluginRegistry().add('@rlhfjs/plugin-lm', lm) });
const services = { services: (c: DependencyContainer) => void c.registerInstance(Tokens.Models, models(c)) };
/** Tokens.Models in a container holding only the wasm runtime. */
function loader(): ModelLoader {
  const c = rootContainer.createChildContainer();
  c.registerInstance(Tokens.Runtime, { tf, backend: 'wasm', nativeKernels: [] });
  return models(c);
}

test('Bradley–Terry and cross-entropy on tensors match values worked out by hand', () => {
  // r_c − r_r = [1, −0.5]: (−log σ(1) − log σ(−0.5)) / 2 = (0.313261687518 + 0.974076984180) / 2
  const bt = tf.tidy(() => bradleyTerry(tf, tf.tensor1d([2, 0]), tf.tensor1d([1, 0.5])).arraySync());
  expect(bt).toBeCloseTo((0.31326168751822286 + 0.9740769841801067) / 2, 5);
  expect(bt).toBeCloseTo((bradleyTerryLoss(2, 1) + bradleyTerryLoss(0, 0.5)) / 2, 5);
  // margin 1: −log σ(0) = log 2 and −log σ(−1.5) = 1.701413…
  const btm = tf.tidy(() => bradleyTerry(tf, tf.tensor1d([2, 0]), tf.tensor1d([1, 0.5]), 1).arraySync());
  expect(btm).toBeCloseTo((Math.LN2 + 1.7014132779827524) / 2, 5);
  // logits [0, 2], targets [1, 0]: (log 2 + softplus(2)) / 2
  const bce = tf.tidy(() => binaryCrossEntropy(tf, tf.tensor1d([0, 2]), tf.tensor1d([1, 0])).arraySync());
  expect(bce).toBeCloseTo((Math.LN2 + 2.1269280110429727) / 2, 5);
  expect(bce).toBeCloseTo((bceWithLogit(0, 1) + bceWithLogit(2, 0)) / 2, 5);
  // weights [1, 3]: (1·log 2 + 3·softplus(2)) / 4
  const wbce = tf.tidy(() => binaryCrossEntropy(tf, tf.tensor1d([0, 2]), tf.tensor1d([1, 0]), tf.tensor1d([1, 3])).arraySync());
  expect(wbce).toBeCloseTo((Math.LN2 + 3 * 2.1269280110429727) / 4, 5);
  // 1 positive in 4 rows: weights n/(2·n_class) = 4/6 for class 0 and 4/2 for class 1
  expect(balancedClassWeights([0, 0, 1, 0])).toEqual([4 / 6, 2]);
  expect(balancedClassWeights([0, 0])).toEqual([0.5, 0]); // one class only: its weight is n/(2n), the absent one 0
});

test('labels become training data: invert flips pointwise targets, skips are dropped', () => {
  const recs = [
    makeRecord(pointwiseItem('p', 'rude'), { kind: 'label', label: 1 }, human),
    makeRecord(pointwiseItem('p', 'kind'), { kind: 'label', label: 0 }, human),
    makeRecord(pointwiseItem('p', 'meh'), { kind: 'skip' }, human),
    makeRecord(pairItem('p', 'a', 'b'), { kind: 'choice', choice: 'b' }, human),
    makeRecord(pairItem('p', 'c', 'd'), { kind: 'skip' }, human),
  ];
  const d = rewardModelData(recs, true);
  expect(d.pointwise.map((x) => [x.completion, x.target])).toEqual([
    ['rude', 0],
    ['kind', 1],
  ]);
  expect(d.pairs).toEqual([{ prompt: 'p', chosen: 'b', rejected: 'a' }]);
  expect(rewardModelData(recs, false).pointwise.map((x) => x.target)).toEqual([1, 0]);
});

test('the reward is the head at the last real token, whatever the padding', async () => {
  const rm = await RewardModel.fromPolicy(tf, loader(), base, new Rng(1));
  const a = { prompt: 'the cat', completion: ' sat on the mat' };
  const b = { prompt: 'lol', completion: '' };
  const together = await rm.score([a, b]);
  const alone = [(await rm.score([a]))[0], (await rm.score([b]))[0]];
  expect(together[0]).toBeCloseTo(alone[0], 4);
  expect(together[1]).toBeCloseTo(alone[1], 4);
  rm.dispose();
});

test('policy and reward model see the same ids for a prompt longer than the window: BOS kept, the same left cut', async () => {
  const policy = tinyModel(tf); // context 32, the same tokenizer as the base checkpoint
  const tok = policy.tokenizer;
  const bos = tok.bosId!;
  const long = 'the cat sat on the mat and the dog sat on the log and we went to the shop and bought some bread and milk';
  const promptTokens = tok.encode(long);
  expect(promptTokens.length).toBeGreaterThan(40);
  // the rollout's prompt: room = 32 − 8 new tokens = 24, BOS + the last 23 prompt tokens
  const room = policy.contextSize - 8;
  const ids = policy.encodePrompt(long, room).ids;
  expect(ids).toEqual([bos, ...promptTokens.slice(promptTokens.length - 23)]);
  const rollout = await policy.generate([ids], { maxNewTokens: 8, temperature: 1, topK: 0, topP: 1, stop: [] }, new Rng(5));
  expect(rollout.promptIds[0]).toEqual(ids);
  // the reward model, loaded through Tokens.Models, scores prompt + completion in its 32 tokens by the same rule
  const rm = await RewardModel.fromPolicy(tf, loader(), base, new Rng(1));
  const completion = ' the cat sat';
  const seq = [...promptTokens, ...tok.encode(completion)];
  const rmIds = rm.encode({ prompt: long, completion });
  expect(rmIds).toEqual([bos, ...seq.slice(seq.length - 31)]);
  expect(rmIds).toEqual(policy.encodePrompt(long, policy.contextSize, completion).ids);
  // and the prompt's own ids: the same for the policy at the same room
  expect(rm.model.encodePrompt(long, room).ids).toEqual(ids);
  rm.dispose();
  policy.dispose();
});

test('train-reward-model on pairs (Bradley–Terry), then the reward-model reward ranks chosen above rejected', async () => {
  const labels = path.join(dir, 'pairs.jsonl');
  const app = new LabelAppender(labels);
  const prompts = ['the dog', 'we went', 'a quick', 'lol that', 'the mat', 'some bread', 'the log', 'brown fox'];
  for (const p of prompts) {
    for (let k = 0; k < 3; k++) {
      const good = [' the cat sat', ' a cat sat on', ' the cat and the cat'][k];
      const bad = [' omg haha', ' lol omg', ' haha lol omg'][k];
      app.append(makeRecord(pairItem(p, good, bad), { kind: 'choice', choice: 'a' }, human));
    }
  }
  app.close();
  expect(readLabels(labels).labels).toHaveLength(24);
  const out = path.join(dir, 'rm');
  const job = await buildPlugin(trainRewardModelJob, { init: base, labels, output: out, epochs: 4, batchSize: 6, learningRate: 0.005, testFraction: 0.25 }, services);
  const res = await runBuiltJob(job);
  const metrics = fs.readFileSync(path.join(job.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  job.dispose();
  expect(res.summary).toMatchObject({ objective: 'pairs', trainExamples: 18, heldOutExamples: 6 });
  // 18 pairs / 6 per step × 4 epochs = 12 steps: the last (0-based step 11) is logged (logEvery 20), then the held-out line
  expect(metrics.map((m) => m.step)).toEqual([11, 11]);
  expect(metrics[0]['train/epoch']).toBe(4);
  expect(metrics[1]['heldout/pairwiseAccuracy']).toBe(1);
  const heldOut = res.summary.heldOut as { pairwiseAccuracy: number; meanMargin: number };
  expect(heldOut.pairwiseAccuracy).toBe(1);
  expect(heldOut.meanMargin).toBeGreaterThan(0.5);

  const built = await buildPlugin(rewardModelReward, { checkpoint: out }, services);
  const r = await built.instance.score(
    [
      { prompt: 'the shop', completion: ' the cat sat' },
      { prompt: 'the shop', completion: ' lol omg' },
    ],
    { step: 0 },
  );
  expect(r.scores[0]).toBeGreaterThan(r.scores[1]);
  await built.instance.close?.();
  built.dispose();
  // a plain policy checkpoint is not a reward model
  await expect(buildPlugin(rewardModelReward, { checkpoint: base }, services)).rejects.toThrow(/not a reward model/);
}, 120000);

test('pointwise labels need invert; with it the model learns r > 0 for label 0 when 1 means bad', async () => {
  const labels = path.join(dir, 'points.jsonl');
  const app = new LabelAppender(labels);
  const prompts = ['the dog', 'we went', 'a quick', 'lol that', 'the mat', 'some bread'];
  for (const p of prompts) {
    app.append(makeRecord(pointwiseItem(p, ' the cat sat'), { kind: 'label', label: 0 }, human));
    app.append(makeRecord(pointwiseItem(p, ' omg haha lol'), { kind: 'label', label: 1 }, human));
  }
  app.close();
  const noInvert = await buildPlugin(trainRewardModelJob, { init: base, labels }, services);
  let err: unknown;
  try {
    await runBuiltJob(noInvert);
  } catch (e) {
    err = e;
  }
  noInvert.dispose();
  expect(DiagnosticError.is(err)).toBe(true);
  expect((err as Error).message).toMatch(/needs "invert"/);

  const job = await buildPlugin(trainRewardModelJob, { init: base, labels, invert: true, epochs: 8, batchSize: 4, learningRate: 0.003, testFraction: 0.34 }, services);
  const res = await runBuiltJob(job);
  job.dispose();
  expect(res.summary).toMatchObject({ objective: 'pointwise', trainExamples: 8, heldOutExamples: 4 });
  expect((res.summary.heldOut as { accuracy: number }).accuracy).toBe(1);
}, 120000);
