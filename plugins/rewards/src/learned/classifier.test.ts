import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { DiagnosticError, Rng, ensureGradients } from '@rlhfjs/core';
import { buildPlugin, runBuiltJob } from '@rlhfjs/core/testing';
import { LabelAppender, makeRecord, pointwiseItem } from '../labels';
import { BagOfEmbeddingsClassifier, buildVocab, classMargin, features } from './bag-classifier';
import { classifierReward, trainClassifierJob } from './classifier-plugins';
import { loadSentimentSentences, splitExamples } from './data';
import { trainClassifier } from './train-classifier';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('wasm');
  if (tf.getBackend() !== 'wasm') throw new Error(`wasm backend did not start (got ${tf.getBackend()})`);
  ensureGradients(tf);
});
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clf-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the sentiment sentences ship in the npm package, both classes present', () => {
  const rows = loadSentimentSentences();
  expect(rows.length).toBe(3003);
  expect(rows.filter((r) => r.label === 1).length).toBe(1500);
  const a = splitExamples(rows, new Rng(3), { validation: 0.1, test: 0.1 });
  const b = splitExamples(rows, new Rng(3), { validation: 0.1, test: 0.1 });
  expect([a.train.length, a.validation.length, a.test.length]).toEqual([2403, 300, 300]);
  expect(a.test).toEqual(b.test); // seeded
  const train = new Set(a.train.map((r) => r.text));
  expect(a.test.filter((r) => train.has(r.text)).length).toBeLessThan(10); // only exact duplicate sentences overlap
});

test('features and vocabulary', () => {
  expect(features('Not good, NOT bad', true)).toEqual(['not', 'good', 'not', 'bad', 'not good', 'good not', 'not bad']);
  expect(buildVocab(['a b a', 'b c'], { maxVocab: 10, minCount: 2, bigrams: false })).toEqual(['a', 'b']);
  expect(buildVocab(['b a', 'a b'], { maxVocab: 1, minCount: 1, bigrams: false })).toEqual(['a']);
});

test('the mean embedding is a normalised count product: logits worked out by hand', () => {
  // vocab [x, y], d = 1, E = [[2], [4]], W = [[1, -1]], b = [0, 0.5]
  const m = new BagOfEmbeddingsClassifier(tf, { classes: ['n', 'p'], vocab: ['x', 'y'], dModel: 1, bigrams: false }, { emb: new Float32Array([2, 4]), w: new Float32Array([1, -1]), b: new Float32Array([0, 0.5]) });
  // "x y y z": known features x, y, y → mean embedding (2 + 4 + 4) / 3 = 10/3 → logits [10/3, −10/3 + 0.5]
  const logits = tf.tidy(() => m.logits(m.encode(['x y y z', 'zzz'])).arraySync());
  expect(logits[0][0]).toBeCloseTo(10 / 3, 5);
  expect(logits[0][1]).toBeCloseTo(-10 / 3 + 0.5, 5);
  expect(logits[1]).toEqual([0, 0.5]); // no known word: the bias alone
  expect(classMargin([Math.log(0.2), Math.log(0.8)], 1)).toBeCloseTo(Math.log(4), 12);
  m.dispose();
});

test('trains on sentiment sentences to well above chance on held-out rows', async () => {
  const rows = loadSentimentSentences();
  const split = splitExamples(rows, new Rng(5), { validation: 0.1, test: 0.1 });
  const small = { train: split.train.slice(0, 1200), validation: split.validation };
  const { model, history } = await trainClassifier(tf, small, { classes: ['negative', 'positive'], epochs: 3, batchSize: 32, learningRate: 0.01, dModel: 16, maxVocab: 3000, minCount: 1, bigrams: true, weightDecay: 0, positive: 1 }, new Rng(5));
  expect(history[2].trainLoss).toBeLessThan(history[0].trainLoss);
  const test = await model.evaluate(split.test);
  expect(test.accuracy).toBeGreaterThan(0.65);
  expect(test.auc).toBeGreaterThan(0.75);
  const lp = await model.logProbs(['I love it, great value', 'terrible, it broke and I hate it']);
  expect(classMargin(lp[0], 1)).toBeGreaterThan(classMargin(lp[1], 1));
  // save → load gives the same numbers
  await model.save(path.join(dir, 'clf'));
  const { model: again } = BagOfEmbeddingsClassifier.load(tf, path.join(dir, 'clf'));
  const lp2 = await again.logProbs(['I love it, great value', 'terrible, it broke and I hate it']);
  lp.forEach((row, i) => row.forEach((v, j) => expect(lp2[i][j]).toBeCloseTo(v, 6)));
  model.dispose();
  again.dispose();
}, 120000);

test('train-classifier job on a labels file, then the classifier reward in its three outputs', async () => {
  const labels = path.join(dir, 'labels.jsonl');
  const app = new LabelAppender(labels);
  const human = { kind: 'human' as const, id: 't', simulated: false };
  const good = ['what a lovely day', 'thank you so much', 'you are very kind', 'have a nice day', 'lovely work, thank you'];
  const bad = ['you stupid thing', 'what crap', 'shut up, idiot', 'stupid crap again', 'idiot, shut up'];
  for (let k = 0; k < 6; k++) {
    good.forEach((t) => app.append(makeRecord(pointwiseItem(`p${k}`, t), { kind: 'label', label: 0 }, human)));
    bad.forEach((t) => app.append(makeRecord(pointwiseItem(`p${k}`, t), { kind: 'label', label: 1 }, human)));
  }
  app.append(makeRecord(pointwiseItem('p', 'unsure'), { kind: 'skip' }, human));
  app.close();
  const out = path.join(dir, 'toxicity-clf');
  const job = await buildPlugin(trainClassifierJob, { data: labels, output: out, classes: ['clean', 'toxic'], epochs: 15, learningRate: 0.05, dModel: 8, testFraction: 0.2 });
  const res = await runBuiltJob(job);
  job.dispose();
  // 60 labels (the skip is dropped); the texts repeat, so held-out rows are easy here
  expect(res.summary).toMatchObject({ checkpoint: out, heldOutExamples: 12, heldOutAccuracy: 1 });
  const meta = JSON.parse(fs.readFileSync(path.join(out, 'classifier.json'), 'utf8'));
  expect(meta.metrics.examples).toEqual({ train: 42, validation: 6, test: 12 });

  const samples = [
    { prompt: 'x', completion: 'thank you, lovely' },
    { prompt: 'x', completion: 'stupid idiot' },
  ];
  const results: Record<string, number[]> = {};
  for (const output of ['logprob', 'logit', 'prob']) {
    const r = await buildPlugin(classifierReward, { checkpoint: out, class: 'clean', output });
    results[output] = (await r.instance.score(samples, { step: 0 })).scores;
    await r.instance.close?.();
    r.dispose();
  }
  expect(results.logit[0]).toBeGreaterThan(0);
  expect(results.logit[1]).toBeLessThan(0);
  results.prob.forEach((p, i) => {
    expect(p).toBeCloseTo(Math.exp(results.logprob[i]), 6);
    // two classes: logit = log p − log(1 − p), i.e. σ(logit) = p
    expect(1 / (1 + Math.exp(-results.logit[i]))).toBeCloseTo(p, 6);
  });
  await expect(buildPlugin(classifierReward, { checkpoint: out, class: 'positive' })).rejects.toThrow(/no class "positive"; its classes: "clean", "toxic"/);
  const missing = buildPlugin(classifierReward, { checkpoint: path.join(dir, 'none') });
  await expect(missing).rejects.toThrow(DiagnosticError);
}, 120000);
