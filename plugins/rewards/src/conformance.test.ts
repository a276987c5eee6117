/** The plugin conformance kit of core, run over every plugin of this package. */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { CheckpointModels, PluginRegistry, Rng, Tokens } from '@rlhfjs/core';
import { testPluginPackage } from '@rlhfjs/core/testing';
import lm from '@rlhfjs/plugin-lm';
import { tinyModel } from '@rlhfjs/plugin-lm/testing';
import pkg from './index';
import { BagOfEmbeddingsClassifier } from './learned/bag-classifier';
import { RewardModel } from './learned/reward-model';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rewards-conf-'));
fs.writeFileSync(path.join(dir, 'reward.cjs'), 'module.exports = (samples) => samples.map((s) => s.completion.length);\n');

const httpOptions: Record<string, unknown> = { url: 'http://127.0.0.1:9/score' };
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => res.end(JSON.stringify({ scores: (JSON.parse(body) as { samples: unknown[] }).samples.map(() => 0.5) })));
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  httpOptions.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/score`;
  await tf.setBackend('cpu');
  const clf = new BagOfEmbeddingsClassifier(tf, { classes: ['negative', 'positive'], vocab: ['good', 'bad'], dModel: 2, bigrams: false }, undefined, new Rng(1));
  await clf.save(path.join(dir, 'classifier'));
  clf.dispose();
  const rm = new RewardModel(tf, tinyModel(tf, { valueHead: true }));
  await rm.save(path.join(dir, 'reward-model'), { objective: 'pairs' });
  rm.dispose();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

testPluginPackage(pkg, {
  packageJson: require('../package.json'),
  baseDir: dir,
  // GPT checkpoints load through the sources of @rlhfjs/plugin-lm
  services: (c) => void c.registerInstance(Tokens.Models, new CheckpointModels(c, { registry: new PluginRegistry().add('@rlhfjs/plugin-lm', lm) })),
  examples: {
    'reward/human': [{ labeller: 'simulated', labels: 'human.jsonl', invert: true }],
    'reward/function': [{ module: 'reward.cjs' }],
    'reward/http': [httpOptions],
    'reward/classifier': [{ checkpoint: 'classifier' }],
    'scorer/classifier': [{ checkpoint: 'classifier', class: 'positive' }],
    'reward/reward-model': [{ checkpoint: 'reward-model' }],
    'job/label': [{ labeller: 'simulated', labels: 'labels.jsonl' }],
    'job/train-reward-model': [{ init: 'base', labels: 'labels.jsonl' }],
  },
});
