import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, type OnlineAlgorithm, type PluginDefinition, type TF } from '@rlhfjs/core';
import { cpuTf } from '../__fixtures__/tf';
import { BigramPolicy } from '@rlhfjs/core/testing';
import { createPlugin, fractionOf, meanOf, resolveOptions, testContainer, trainLoop } from '../__fixtures__/harness';
import { FixedKLController } from '../kl/fixed-controller';
import { rlooPlugin } from './rloo';
import { grpoPlugin } from './grpo';
import { reinforcePlugin } from './reinforce';

const C = 4; // token id of "c"

const cases: Array<[string, PluginDefinition<'algorithm', any>, Record<string, unknown>, number]> = [
  ['rloo', rlooPlugin, { promptsPerIteration: 2, samplesPerPrompt: 4, learningRate: 0.1 }, 0.05],
  ['grpo', grpoPlugin, { promptsPerIteration: 2, samplesPerPrompt: 4, learningRate: 0.05 }, 0.04],
  ['reinforce', reinforcePlugin, { promptsPerIteration: 8, learningRate: 0.05 }, 0.05],
];

describe.each(cases)('%s plugin', (name, plugin, options, beta) => {
  let tf: TF;
  beforeAll(async () => {
    tf = await cpuTf();
  });

  it('raises the score of a simple reward while KL stays bounded', async () => {
    const policy = BigramPolicy.create(tf, new Rng(3));
    const reference = policy.frozenCopy();
    const algo = await createPlugin<OnlineAlgorithm>(plugin, options, testContainer(tf, policy, 1, reference));
    const res = await trainLoop(tf, algo, policy, reference, fractionOf(C), new FixedKLController({ beta }), 40);
    const first = meanOf(res.scores.slice(0, 5));
    const last = meanOf(res.scores.slice(-5));
    expect(last).toBeGreaterThan(first + 0.25);
    expect(Math.max(...res.kls)).toBeLessThan(15);
    const m = res.metrics[res.metrics.length - 1];
    for (const key of ['score/mean', 'score/std', 'kl/mean', 'kl/beta', 'loss/policy', 'loss/total', 'entropy', 'approx_kl', 'grad_norm']) {
      expect(Number.isFinite(m[key])).toBe(true);
    }
  });

  it('resumes exactly from saveState/loadState', async () => {
    const a = BigramPolicy.create(tf, new Rng(4));
    const reference = a.frozenCopy();
    const algoA = await createPlugin<OnlineAlgorithm>(plugin, options, testContainer(tf, a, 2, reference));
    await trainLoop(tf, algoA, a, reference, fractionOf(C), new FixedKLController({ beta }), 3, { seed: 21 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-state-`));
    await algoA.saveState(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'algorithm-state.json'), 'utf8')).algorithm).toBe(name);

    const b = BigramPolicy.create(tf, new Rng(4));
    b.loadNamedWeights(a.namedWeights());
    const algoB = await createPlugin<OnlineAlgorithm>(plugin, options, testContainer(tf, b, 77, reference));
    await algoB.loadState(dir);
    // the same two further iterations (same sampling seed) on both: identical weights afterwards
    await trainLoop(tf, algoA, a, reference, fractionOf(C), new FixedKLController({ beta }), 2, { seed: 22 });
    await trainLoop(tf, algoB, b, reference, fractionOf(C), new FixedKLController({ beta }), 2, { seed: 22 });
    expect(Array.from(b.namedWeights().get('logits')!.dataSync())).toEqual(Array.from(a.namedWeights().get('logits')!.dataSync()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the state of another algorithm', async () => {
    const p = BigramPolicy.create(tf, new Rng(5));
    const algo = await createPlugin<OnlineAlgorithm>(plugin, options, testContainer(tf, p));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'other-state-'));
    fs.writeFileSync(path.join(dir, 'algorithm-state.json'), JSON.stringify({ algorithm: 'something-else', rng: { s: [1, 2, 3, 4] } }));
    await expect(algo.loadState(dir)).rejects.toThrow(/holds the state of something-else/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('group algorithms', () => {
  it('need at least two samples per prompt', () => {
    expect(() => resolveOptions(rlooPlugin, { samplesPerPrompt: 1 })).toThrow(/samplesPerPrompt must be >= 2/);
    expect(() => resolveOptions(grpoPlugin, { samplesPerPrompt: 1 })).toThrow(/samplesPerPrompt must be >= 2/);
  });

  it('GRPO with equal scores in every group moves only by the KL term', async () => {
    const tf = await cpuTf();
    const policy = BigramPolicy.create(tf, new Rng(8));
    const reference = policy.frozenCopy();
    const algo = await createPlugin<OnlineAlgorithm>(grpoPlugin, { promptsPerIteration: 2, samplesPerPrompt: 4, learningRate: 0.05 }, testContainer(tf, policy, 1, reference));
    // advantages are all 0 and the policy equals the reference, so the k3 term has zero gradient too
    const before = Array.from(policy.namedWeights().get('logits')!.dataSync());
    const res = await trainLoop(tf, algo, policy, reference, () => 1, new FixedKLController({ beta: 0.04 }), 1);
    expect(res.metrics[0]['grad_norm']).toBeCloseTo(0, 6);
    expect(Array.from(policy.namedWeights().get('logits')!.dataSync())).toEqual(before);
  });
});
