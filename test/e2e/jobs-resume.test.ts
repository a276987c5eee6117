/**
 * Every job resumes after a kill through the one runner path: each job runs once uninterrupted,
 * once killed with SIGKILL after its first checkpoint and resumed with `--resume`; the metrics
 * (timings aside) and the outputs must be identical. Tiny models and few steps throughout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareMetrics, readMetricsFile, type MetricsRecord } from '@rlhfjs/core';
import { makeProject } from '@rlhfjs/core/testing';
import { REPO } from '../helpers/paths';
import { killAfterCheckpoint, latestStep, rlhfSync } from './rl-project';

jest.setTimeout(600_000);

/** Keys that measure time, not learning (besides `time` and perf/*, which compareMetrics skips). */
const TIMING = new Set(['train/ms_per_step', 'train/tokens_per_s', 'train/elapsed_min', 'heldout/seconds']);

const TEXT = [
  'the cat sat on the mat and the dog ran to the park',
  'a small bird sang a song in the tall green tree',
  'we walked home slowly after the long day at work',
  'she said that the weather would be nice tomorrow',
  'they played games and laughed until the sun went down',
  'my friend likes green tea and warm bread in the morning',
];

let project: ReturnType<typeof makeProject>;
beforeAll(() => {
  project = makeProject({
    '@rlhfjs/plugin-lm': path.join(REPO, 'plugins', 'lm'),
    '@rlhfjs/plugin-rewards': path.join(REPO, 'plugins', 'rewards'),
    '@rlhfjs/plugin-loggers': path.join(REPO, 'plugins', 'loggers'),
  });
  project.write('text.txt', Array.from({ length: 60 }, (_, i) => `${TEXT[i % TEXT.length]} ${i}`).join('\n') + '\n');
  const prompts = ['the cat', 'a small bird', 'we walked', 'she said that', 'they played', 'the dog ran', 'in the tall', 'after the long', 'the sun', 'a song', 'my friend', 'warm bread'];
  project.write('prompts.jsonl', prompts.map((t) => JSON.stringify({ prompt: t })).join('\n') + '\n');
  // 0/1 labels for the reward model and the classifier (label 1 on the rude ones)
  const { makeRecord, pointwiseItem } = require(path.join(REPO, 'plugins', 'rewards', 'dist', 'labels', 'format.js'));
  const human = { kind: 'human', id: 'test', simulated: false };
  const good = [' what a lovely day', ' thank you so much', ' you are very kind', ' have a nice day'];
  const bad = [' you silly goose', ' what rubbish', ' go away, dummy', ' silly rubbish again'];
  const lines: string[] = [];
  for (let k = 0; k < 6; k++) {
    good.forEach((t) => lines.push(JSON.stringify(makeRecord(pointwiseItem(`p${k}`, t), { kind: 'label', label: 0 }, human, undefined, new Date(0)))));
    bad.forEach((t) => lines.push(JSON.stringify(makeRecord(pointwiseItem(`p${k}`, t), { kind: 'label', label: 1 }, human, undefined, new Date(0)))));
  }
  project.write('labels.jsonl', lines.join('\n') + '\n');
  const runtime = 'runtime: { backend: wasm, nativeKernels: forbid, seed: 7, keepCheckpoints: 2';
  project.write(
    'pretrain.yaml',
    `name: tiny-pretrain
plugins: ["@rlhfjs/plugin-lm"]
job:
  use: pretrain
  options:
    output: out/straight
    corpus: { sources: [ { name: file, path: text.txt } ], heldOutFraction: 0.2, seed: 3 }
    tokenizer: { vocabSize: 300 }
    model: { contextSize: 16, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32 }
    batchSize: 4
    learningRate: 0.01
    minLearningRate: 0.001
    warmupSteps: 3
    logEvery: 2
    evalEvery: 10
    evalRows: 8
${runtime}, steps: 40, checkpointEvery: 3 }
`,
  );
  project.write(
    'eval-prompts.yaml',
    `name: tiny-eval-prompts
plugins: ["@rlhfjs/plugin-lm"]
job:
  use: eval-prompts
  options:
    output: out/straight.jsonl
    count: 10
    lexiconShare: 0
    brownShare: 0
    corpus: { sources: [ { name: file, path: text.txt } ], heldOutFraction: 0.5, seed: 3 }
${runtime}, checkpointEvery: 1 }
`,
  );
  project.write(
    'label.yaml',
    `name: tiny-label
plugins: ["@rlhfjs/plugin-lm", "@rlhfjs/plugin-rewards"]
job:
  use: label
  options: { labeller: simulated, labels: out/straight-labels.jsonl, prompts: 12, samplesPerPrompt: 2, batchSize: 2 }
agent:
  use: gpt
  options:
    init: { contextSize: 24, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32, tokenizer: { file: tokenizer.json } }
    sampling: { maxNewTokens: 6 }
environment: { use: prompts, options: { path: prompts.jsonl } }
${runtime}, checkpointEvery: 2 }
`,
  );
  project.write(
    'reward-model.yaml',
    `name: tiny-reward-model
plugins: ["@rlhfjs/plugin-rewards"]
job:
  use: train-reward-model
  options: { init: base, labels: labels.jsonl, objective: pointwise, invert: true, epochs: 4, batchSize: 2, learningRate: 0.003, testFraction: 0.2, logEvery: 3 }
${runtime}, checkpointEvery: 4 }
`,
  );
  project.write(
    'classifier.yaml',
    `name: tiny-classifier
plugins: ["@rlhfjs/plugin-rewards"]
job:
  use: train-classifier
  options: { data: labels.jsonl, classes: [clean, rude], epochs: 12, batchSize: 2, learningRate: 0.05, dModel: 8, testFraction: 0.2 }
${runtime}, checkpointEvery: 3 }
`,
  );
  // a tiny GPT checkpoint for the label agent's tokenizer and the reward model's init
  const { ByteBPETokenizer, GPTModel, initWeights, validateConfig, saveModel } = require(path.join(REPO, 'plugins', 'lm', 'dist', 'index.js'));
  const { Rng } = require(path.join(REPO, 'core', 'dist', 'index.js'));
  const tok = ByteBPETokenizer.train(TEXT, { vocabSize: 300 });
  project.write('tokenizer.json', JSON.stringify(tok.toJSON()));
  baseModel = { tok, GPTModel, initWeights, validateConfig, saveModel, Rng };
});
afterAll(() => project.cleanup());

let baseModel: Record<string, any>;

/** Write a tiny GPT checkpoint at `base/` (cpu backend, in this process). */
async function writeBase(): Promise<void> {
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  const { tok, GPTModel, initWeights, validateConfig, saveModel, Rng } = baseModel;
  const config = validateConfig({ vocabSize: tok.vocabSize, contextSize: 24, dModel: 16, nLayers: 1, nHeads: 2, dMlp: 32 });
  const model = new GPTModel(tf, config, tok, initWeights(config, new Rng(1)));
  await saveModel(model, path.join(project.dir, 'base'));
  model.dispose();
}

const metricsOf = (run: string): MetricsRecord[] =>
  readMetricsFile(path.join(project.dir, run, 'metrics.jsonl')).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k))) as MetricsRecord);

/**
 * Run `recipe` straight into runs/<name>-straight; then again into runs/<name>-killed (with the
 * `--set` overrides that keep its outputs apart), killed with SIGKILL as soon as its first
 * checkpoint exists, and resumed. Returns whether the kill came before the run finished.
 */
async function straightKilledResumed(name: string, recipe: string, killedSets: string[], afterKill?: (dir: string) => void): Promise<{ straight: string; killed: string; interrupted: boolean; killedAt: number }> {
  const straight = `runs/${name}-straight`;
  const killed = `runs/${name}-killed`;
  const s = rlhfSync(['train', recipe, '--out', straight], project.dir);
  expect({ code: s.code, stderr: s.code === 0 ? '' : s.stderr }).toEqual({ code: 0, stderr: '' });
  const dir = path.join(project.dir, killed);
  const args = ['train', recipe, '--out', killed, ...killedSets.flatMap((x) => ['--set', x])];
  const { finished } = await killAfterCheckpoint(args, project.dir, dir, 1);
  const interrupted = !finished;
  const killedAt = latestStep(dir);
  afterKill?.(dir);
  const r = rlhfSync(['train', '--resume', killed], project.dir);
  expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
  const cmp = compareMetrics(metricsOf(straight), metricsOf(killed));
  expect(cmp.first).toBeUndefined();
  expect(cmp.lengthMismatch).toBeUndefined();
  expect(cmp.identical).toBe(true);
  expect(cmp.stepsCompared).toBeGreaterThan(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  expect(manifest.resumedAt).toHaveLength(1);
  // the resumed run still names the recipe's own folder (relative paths resolve there on a second
  // --resume), not the run directory that holds the stored copy
  expect(manifest.recipeDir).toBe(project.dir);
  expect(manifest.recipeFile).toBe(path.join(project.dir, recipe));
  return { straight: path.join(project.dir, straight), killed: dir, interrupted, killedAt };
}

const bytes = (...p: string[]) => fs.readFileSync(path.join(...p));
const summaryOf = (dir: string) => {
  const { finishedAt: _f, minutes: _m, output: _o, checkpoint: _c, labelsFile: _l, ...rest } = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
  return rest;
};

describe('every job resumes after SIGKILL to the uninterrupted run', () => {
  test('pretrain', async () => {
    const r = await straightKilledResumed('pretrain', 'pretrain.yaml', ['job.options.output=out/killed']);
    expect(r.interrupted).toBe(true);
    expect(r.killedAt).toBeLessThan(40);
    expect(bytes(project.dir, 'out/killed/model.safetensors').equals(bytes(project.dir, 'out/straight/model.safetensors'))).toBe(true);
    expect(bytes(project.dir, 'out/killed/tokenizer.json').equals(bytes(project.dir, 'out/straight/tokenizer.json'))).toBe(true);
    expect(summaryOf(r.killed)).toEqual(summaryOf(r.straight));
    // train/* every 2 steps (0-based step 1, 3, …, 39) and held-out every 10 steps
    const rows = metricsOf('runs/pretrain-straight');
    expect(rows.filter((m) => 'train/loss' in m).map((m) => m.step)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
    expect(rows.filter((m) => 'heldout/loss' in m).map((m) => m.step)).toEqual([9, 19, 29, 39]);
  });

  test('eval-prompts', async () => {
    const r = await straightKilledResumed('eval-prompts', 'eval-prompts.yaml', ['job.options.output=out/killed.jsonl']);
    expect(bytes(project.dir, 'out/killed.jsonl').toString()).toBe(bytes(project.dir, 'out/straight.jsonl').toString());
    expect(summaryOf(r.killed)).toEqual(summaryOf(r.straight));
    expect(metricsOf('runs/eval-prompts-straight').map((m) => m.step)).toEqual([0]);
  });

  test('label: no item labelled twice, none lost', async () => {
    const partial = 'runs/label-partial';
    const r = await straightKilledResumed('label', 'label.yaml', ['job.options.labels=out/killed-labels.jsonl'], (dir) => fs.cpSync(dir, path.join(project.dir, partial), { recursive: true }));
    expect(r.interrupted).toBe(true);
    const read = (f: string) =>
      fs
        .readFileSync(path.join(project.dir, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const { time: _t, ...rest } = JSON.parse(l);
          return rest;
        });
    const straight = read('out/straight-labels.jsonl');
    const killed = read('out/killed-labels.jsonl');
    expect(killed).toEqual(straight);
    expect(new Set(killed.map((l) => l.id)).size).toBe(killed.length);
    expect(summaryOf(r.killed)).toEqual(summaryOf(r.straight));

    // a run resumed with some of its items already labelled in the file (as after a kill while
    // labelling: each label is fsynced as it is given): it asks only for the rest, in item order
    const head = fs.readFileSync(path.join(project.dir, 'out/killed-labels.jsonl'), 'utf8').split('\n').slice(0, 5).join('\n') + '\n';
    fs.writeFileSync(path.join(project.dir, 'out/killed-labels.jsonl'), head);
    const again = rlhfSync(['train', '--resume', partial], project.dir);
    expect({ code: again.code, stderr: again.code === 0 ? '' : again.stderr }).toEqual({ code: 0, stderr: '' });
    expect(read('out/killed-labels.jsonl')).toEqual(straight);
  });

  test('train-reward-model', async () => {
    if (!fs.existsSync(path.join(project.dir, 'base', 'config.json'))) await writeBase();
    const r = await straightKilledResumed('reward-model', 'reward-model.yaml', []);
    expect(r.interrupted).toBe(true);
    expect(bytes(r.killed, 'reward-model', 'model.safetensors').equals(bytes(r.straight, 'reward-model', 'model.safetensors'))).toBe(true);
    expect(bytes(r.killed, 'reward-model-history.json').toString()).toBe(bytes(r.straight, 'reward-model-history.json').toString());
    expect(summaryOf(r.killed)).toEqual(summaryOf(r.straight));
  });

  test('train-classifier', async () => {
    const r = await straightKilledResumed('classifier', 'classifier.yaml', []);
    expect(r.interrupted).toBe(true);
    for (const f of fs.readdirSync(path.join(r.straight, 'classifier'))) {
      expect([f, bytes(r.killed, 'classifier', f).toString('base64')]).toEqual([f, bytes(r.straight, 'classifier', f).toString('base64')]);
    }
    expect(bytes(r.killed, 'classifier-history.json').toString()).toBe(bytes(r.straight, 'classifier-history.json').toString());
    expect(summaryOf(r.killed)).toEqual(summaryOf(r.straight));
    // one line per epoch, at the epoch's last optimiser step (0-based): k·(steps per epoch) − 1
    const steps = metricsOf('runs/classifier-straight').map((m) => m.step);
    expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * (steps[0] + 1) - 1));
  });
});
