import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container } from 'tsyringe';
import { Rng, RunDirectory, RunMetrics, Tokens, type Job, type Logger, type Metrics, type ResolvedRecipe, type TensorRuntime } from '@rlhfjs/core';
import { ensureGradients } from '../model/gradients';
import { loadPolicy } from '../model/checkpoint-io';
import { packSentences } from './packing';
import { warmupCosine } from './schedule';
import { pretrainPlugin } from './pretrain';

beforeAll(async () => {
  await tf.setBackend('cpu');
  expect(tf.getBackend()).toBe('cpu');
  ensureGradients(tf);
});

describe('warmupCosine', () => {
  const o = { peak: 1e-3, min: 1e-4, warmup: 10, total: 110 };
  it('ramps linearly, then follows the cosine to the minimum (hand values)', () => {
    expect(warmupCosine(0, o)).toBeCloseTo(1e-4, 12);
    expect(warmupCosine(4, o)).toBeCloseTo(5e-4, 12);
    expect(warmupCosine(10, o)).toBeCloseTo(1e-3, 12);
    // halfway through the decay: min + ½(peak − min) = 5.5e-4
    expect(warmupCosine(60, o)).toBeCloseTo(5.5e-4, 12);
    // a quarter: min + ½(peak − min)(1 + cos(π/4)) = 1e-4 + 4.5e-4 · 1.70711 = 8.6820e-4
    expect(warmupCosine(35, o)).toBeCloseTo(1e-4 + 4.5e-4 * (1 + Math.SQRT1_2), 12);
    expect(warmupCosine(110, o)).toBeCloseTo(1e-4, 12);
    expect(warmupCosine(500, o)).toBeCloseTo(1e-4, 12);
  });
  it('decays by the time share when that is further along', () => {
    expect(warmupCosine(20, o, 0.5)).toBeCloseTo(5.5e-4, 12);
    expect(warmupCosine(20, o, 1)).toBeCloseTo(1e-4, 12);
  });
});

describe('packSentences', () => {
  it('packs <eot> s₁ <eot> s₂ … into right-padded rows that start at sentence starts', () => {
    const rows = packSentences([[1, 2], [3, 4, 5], [6], []], 6, 0, 99);
    // a sentence joins a row only if the row keeps room for the closing <eot>:
    // [0 1 2] + [0 3 4 5] + eot = 8 > 6, [0 3 4 5] + [0 6] + eot = 7 > 6
    expect(rows.rows).toBe(3);
    expect(Array.from(rows.ids)).toEqual([0, 1, 2, 0, 99, 99, 0, 3, 4, 5, 0, 99, 0, 6, 0, 99, 99, 99]);
    expect(Array.from(rows.mask)).toEqual([1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0]);
    expect(rows.targets).toBe(3 + 4 + 2);
    const two = packSentences([[1], [2]], 6, 0, 99);
    expect(Array.from(two.ids)).toEqual([0, 1, 0, 2, 0, 99]);
  });
  it('cuts a sentence longer than a row', () => {
    const rows = packSentences([[1, 2, 3, 4, 5, 6, 7, 8]], 5, 0, 99);
    expect(Array.from(rows.ids)).toEqual([0, 1, 2, 3, 0]);
  });
});

describe('pretrain job', () => {
  const lines = [
    'the cat sat on the mat',
    'the dog sat on the log',
    'a bird sang in the tree',
    'we ate bread and jam today',
    'the sun is warm and bright',
    'my friend likes green tea',
  ];

  function setup(dir: string, steps: number) {
    fs.writeFileSync(path.join(dir, 'text.txt'), Array.from({ length: 40 }, (_, i) => lines[i % lines.length] + (i >= 6 ? ` ${i}` : '')).join('\n') + '\n');
    const c = container.createChildContainer();
    const runtime: TensorRuntime = { tf, backend: 'cpu', nativeKernels: [] };
    const logged: Array<[number, Metrics]> = [];
    const logger: Logger = { log: (s, m) => void logged.push([s, m]) };
    c.registerInstance(Tokens.Runtime, runtime);
    c.registerInstance(Tokens.Rng, new Rng(5));
    const runDir = new RunDirectory(path.join(dir, 'run'));
    fs.mkdirSync(runDir.path, { recursive: true });
    c.registerInstance(Tokens.RunDir, runDir);
    c.registerInstance(Tokens.Loggers, [logger]);
    c.registerInstance(Tokens.Recipe, { runtime: { steps, checkpointEvery: 10, keepCheckpoints: 1 } } as unknown as ResolvedRecipe);
    const options = {
      corpus: { sources: [{ name: 'file', path: 'text.txt', format: 'auto', field: 'text', weight: 1 }], heldOutFraction: 0.2, seed: 3, oversample: [] },
      output: 'out/model',
      tokenizer: { vocabSize: 300, minFrequency: 2, maxSentences: 1000 },
      model: { contextSize: 16, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32, tieEmbeddings: true },
      batchSize: 4,
      learningRate: 0.01,
      minLearningRate: 0.001,
      warmupSteps: 2,
      beta1: 0.9,
      beta2: 0.95,
      weightDecay: 0,
      gradClip: 1,
      logEvery: 5,
      evalEvery: 10,
      evalRows: 8,
      maxMinutes: 0,
    };
    const job = pretrainPlugin.create({ options: options as never, container: c, pointer: '/job', resolvePath: (p) => path.resolve(dir, p) }) as Job;
    const metrics = new RunMetrics(runDir, [logger], { label: 'pretrain', totalSteps: steps, stream: null });
    const checkpoint = (step: number) => runDir.writeCheckpoint(step, (tmp) => job.saveCheckpoint!(tmp, step), 1);
    return { c, job, runDir, logged, ctx: (startStep: number) => ({ container: c, runDir: runDir.path, startStep, metrics, checkpoint }) };
  }

  it('trains the tokenizer and model, lowers held-out loss, checkpoints, saves, and resumes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pretrain-'));
    const { job, runDir, logged, ctx } = setup(dir, 20);
    const res = await job.run(ctx(0));
    expect(res.summary.steps).toBe(20);
    const held = logged.filter(([, m]) => 'heldout/loss' in m).map(([, m]) => m['heldout/loss']);
    expect(held.length).toBe(2);
    expect(held[1]).toBeLessThan(Math.log(300));
    const train = logged.filter(([, m]) => 'train/loss' in m).map(([, m]) => m['train/loss']);
    expect(train[train.length - 1]).toBeLessThan(train[0]);
    expect(runDir.readMetrics().length).toBe(logged.length);
    const model = loadPolicy(path.join(dir, 'out/model'), tf);
    expect(model.config.vocabSize).toBe(300);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'out/model/config.json'), 'utf8'));
    expect(cfg.pretrain.step).toBe(20);
    expect(cfg.pretrain.heldOutLoss).toBeCloseTo(held[1], 6);
    expect(runDir.latestCheckpoint()?.step).toBe(20);

    // resume a longer run from the step-20 checkpoint: the weights continue from there
    const more = setup(dir, 30);
    const ck = more.runDir.latestCheckpoint()!;
    await more.job.loadCheckpoint!(ck.dir, ck.step);
    more.runDir.truncateMetrics(ck.step);
    const again = await more.job.run(more.ctx(ck.step));
    expect(again.summary.steps).toBe(30);
    // step s (0-based) is logged at s: the first training line after the step-20 checkpoint is step 24
    const steps = more.runDir.readMetrics().map((r) => r.step);
    expect(Math.min(...steps.filter((s) => s >= 20))).toBe(24);
    expect(more.logged.filter(([, m]) => 'train/loss' in m).map(([s]) => s)).toEqual([24, 29]);
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
