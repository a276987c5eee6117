/**
 * Smoke tests on the project's GPT (plugins/lm) at its smallest, on the wasm backend: each online
 * algorithm must raise a simple reward (the share of generated tokens that are single lowercase
 * letters, about 9 % for the untrained model) over a few dozen iterations while KL stays bounded,
 * and DPO must raise the chosen-vs-rejected margin. They assert a rise, not a fixed value.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type OnlineAlgorithm, type PluginDefinition, type TF } from '@rlhfjs/core';
import { wasmTf } from '../__fixtures__/tf';
import { smokeTokenizer, tinyGpt } from '../__fixtures__/tiny-gpt';
import { createPlugin, meanOf, testContainer, trainLoop, type LoopResult } from '../__fixtures__/harness';
import { FixedKLController } from '../kl/fixed-controller';
import { ppoPlugin } from '../online/ppo';
import { reinforcePlugin } from '../online/reinforce';
import { grpoPlugin } from '../online/grpo';
import { rlooPlugin } from '../online/rloo';
import { dpoPlugin, type DPO } from '../offline/dpo';

const SAMPLING = { maxNewTokens: 8, temperature: 1, topK: 0, topP: 1, stop: [] };

async function run(tf: TF, plugin: PluginDefinition<'algorithm', any>, options: Record<string, unknown>, beta: number, iterations = 30): Promise<LoopResult> {
  const tok = smokeTokenizer();
  const policy = tinyGpt(tf, 1, plugin === ppoPlugin);
  const reference = policy.frozenCopy();
  const letters = new Set('abcdefghijklmnopqrstuvwxyz'.split('').map((c) => tok.encode(c)[0]));
  const bos = tok.bosId !== undefined ? [tok.bosId] : [];
  const prompts = ['the', 'a dog', 'we', 'so'].map((t) => bos.concat(tok.encode(t)));
  try {
    const algo = await createPlugin<OnlineAlgorithm>(plugin, options, testContainer(tf, policy, 1, reference));
    return await trainLoop(tf, algo, policy, reference, (ids) => (ids.length ? ids.filter((t) => letters.has(t)).length / ids.length : 0), new FixedKLController({ beta }), iterations, {
      prompts,
      sampling: SAMPLING,
    });
  } finally {
    policy.dispose();
    reference.dispose();
  }
}

function expectRise(res: LoopResult, maxKl: number): void {
  const first = meanOf(res.scores.slice(0, 5));
  const last = meanOf(res.scores.slice(-5));
  expect(last).toBeGreaterThan(first + 0.15);
  for (const k of res.kls) expect(Number.isFinite(k)).toBe(true);
  expect(meanOf(res.kls.slice(-5))).toBeLessThan(maxKl);
}

describe('smoke: online algorithms on a tiny GPT', () => {
  let tf: TF;
  beforeAll(async () => {
    tf = await wasmTf();
  });

  it('ppo raises the reward', async () => {
    expectRise(await run(tf, ppoPlugin, { promptsPerIteration: 16, minibatchSize: 8, learningRate: 0.003, vfCoef: 0.5 }, 0.02), 25);
  });

  it('reinforce raises the reward', async () => {
    expectRise(await run(tf, reinforcePlugin, { promptsPerIteration: 16, learningRate: 0.01 }, 0.05), 15);
  });

  it('rloo raises the reward', async () => {
    expectRise(await run(tf, rlooPlugin, { promptsPerIteration: 4, samplesPerPrompt: 4, learningRate: 0.01 }, 0.05), 15);
  });

  it('grpo raises the reward, and its KL term holds the policy closer to the reference', async () => {
    const loose = await run(tf, grpoPlugin, { promptsPerIteration: 4, samplesPerPrompt: 4, learningRate: 0.005 }, 0);
    const tight = await run(tf, grpoPlugin, { promptsPerIteration: 4, samplesPerPrompt: 4, learningRate: 0.005 }, 0.3);
    expectRise(tight, 15);
    expect(meanOf(tight.kls.slice(-5))).toBeLessThan(0.7 * meanOf(loose.kls.slice(-5)));
  });
});

describe('smoke: dpo on a tiny GPT', () => {
  it('raises the chosen-vs-rejected margin', async () => {
    const tf = await wasmTf();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpo-smoke-'));
    const pairs = [
      { prompt: 'the cat', chosen: ' sat on the mat', rejected: ' ran to the log' },
      { prompt: 'we like', chosen: ' bread and milk', rejected: ' so funny haha' },
      { prompt: 'a dog', chosen: ' sat on the log', rejected: ' ran haha' },
      { prompt: 'so', chosen: ' we like the cat', rejected: ' funny dog' },
    ];
    fs.writeFileSync(path.join(dir, 'pairs.jsonl'), pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const policy = tinyGpt(tf, 2);
    const reference = policy.frozenCopy();
    const dpo = await createPlugin<DPO>(dpoPlugin, { pairsFile: 'pairs.jsonl', minibatchSize: 4, learningRate: 0.003, beta: 0.1 }, testContainer(tf, policy, 1, reference), (p) => path.join(dir, p));
    const before = dpo.evaluate();
    for (let i = 0; i < 20; i++) await dpo.step(i);
    const after = dpo.evaluate();
    expect(after.margin).toBeGreaterThan(before.margin + 0.5);
    expect(after.loss).toBeLessThan(before.loss);
    expect(after.accuracy).toBe(1);
    policy.dispose();
    reference.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
