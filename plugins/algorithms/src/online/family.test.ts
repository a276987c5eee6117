import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, type OnlineAlgorithm, type PluginDefinition, type TF } from '@rlhfjs/core';
import { cpuTf } from '../__fixtures__/tf';
import { BigramPolicy } from '@rlhfjs/core/testing';
import { createPlugin, fractionOf, meanOf, testContainer, trainLoop } from '../__fixtures__/harness';
import { FixedKLController } from '../kl/fixed-controller';
import { grpoPlugin } from './grpo';
import { ppoPlugin } from './ppo';
import { reinforcePPPlugin, reinforcePPBaselinePlugin } from './reinforce-pp';

const C = 4; // token id of "c"

// the members of the GRPO family and REINFORCE++ as recipes would name them; each must learn the toy reward
const cases: Array<[string, PluginDefinition<'algorithm', any>, Record<string, unknown>]> = [
  ['grpo, DAPO loss', grpoPlugin, { promptsPerIteration: 2, samplesPerPrompt: 4, learningRate: 0.05, lossAggregation: 'token-mean', clipLow: 0.2, clipHigh: 0.28 }],
  ['grpo, Dr. GRPO', grpoPlugin, { promptsPerIteration: 2, samplesPerPrompt: 4, learningRate: 0.05, lossAggregation: 'seq-mean-token-sum-norm', lossNormaliser: 6, scaleRewards: 'none' }],
  ['grpo, GSPO', grpoPlugin, { promptsPerIteration: 2, samplesPerPrompt: 4, epochs: 2, minibatchSize: 4, learningRate: 0.05, importanceSamplingLevel: 'sequence', clipLow: 0.03, clipHigh: 0.04 }],
  ['reinforce-pp', reinforcePPPlugin, { promptsPerIteration: 8, learningRate: 0.05 }],
  ['reinforce-pp-baseline', reinforcePPBaselinePlugin, { promptsPerIteration: 2, samplesPerPrompt: 4, learningRate: 0.05 }],
];

describe.each(cases)('%s', (_name, plugin, options) => {
  let tf: TF;
  beforeAll(async () => {
    tf = await cpuTf();
  });

  it('raises the score of a simple reward while KL stays bounded', async () => {
    const policy = BigramPolicy.create(tf, new Rng(3));
    const reference = policy.frozenCopy();
    const algo = await createPlugin<OnlineAlgorithm>(plugin, options, testContainer(tf, policy, 1, reference));
    const res = await trainLoop(tf, algo, policy, reference, fractionOf(C), new FixedKLController({ beta: 0.04 }), 40);
    expect(meanOf(res.scores.slice(-5))).toBeGreaterThan(meanOf(res.scores.slice(0, 5)) + 0.2);
    expect(Math.max(...res.kls)).toBeLessThan(15);
    for (const key of ['loss/policy', 'loss/total', 'approx_kl', 'clipfrac', 'grad_norm']) expect(Number.isFinite(res.metrics[39][key])).toBe(true);
  });
});

describe('PPO-ptx', () => {
  let tf: TF;
  let dir: string;
  beforeAll(async () => {
    tf = await cpuTf();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptx-algo-'));
    // a corpus in which "a" follows everything: the ptx term pulls the policy towards "a", the reward towards "c"
    fs.writeFileSync(path.join(dir, 'train.txt'), ['aaaa', 'aaa', 'baaa', 'aaaaa', 'daaa'].join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'held.txt'), ['aaaa', 'eaaa'].join('\n') + '\n');
  });
  const opts = (coef: number) => ({ promptsPerIteration: 8, minibatchSize: 4, epochs: 1, learningRate: 0.05, ptxCoef: coef, ptx: { file: 'train.txt', heldOutFile: 'held.txt', batchSize: 4, evalEvery: 5 } });

  it('reports loss/ptx every iteration and the held-out perplexity after the first and every evalEvery-th, and holds the corpus\' likelihood up', async () => {
    const run = async (coef: number) => {
      const policy = BigramPolicy.create(tf, new Rng(3), { valueHead: true });
      const reference = policy.frozenCopy();
      const algo = await createPlugin<OnlineAlgorithm>(ppoPlugin, opts(coef), testContainer(tf, policy, 1, reference), (p) => path.join(dir, p));
      return trainLoop(tf, algo, policy, reference, fractionOf(C), new FixedKLController({ beta: 0.02 }), 20);
    };
    const withPtx = await run(2);
    const steps = withPtx.metrics.map((m, i) => (m['ptx/heldout_perplexity'] !== undefined ? i : -1)).filter((i) => i >= 0);
    expect(steps).toEqual([0, 4, 9, 14, 19]);
    expect(withPtx.metrics.every((m) => Number.isFinite(m['loss/ptx']))).toBe(true);
    const without = await run(0);
    expect(without.metrics[19]['loss/ptx']).toBeUndefined();
    // the ptx term makes the held-out corpus likelier over training (the reward alone pulls towards "c")
    const ppl = (await run(2)).metrics[19]['ptx/heldout_perplexity'];
    expect(ppl).toBe(withPtx.metrics[19]['ptx/heldout_perplexity']); // deterministic
    expect(ppl).toBeLessThan(withPtx.metrics[0]['ptx/heldout_perplexity']);
  });

  it('resumes the corpus order from saveState/loadState', async () => {
    const make = async (seed: number) => {
      const policy = BigramPolicy.create(tf, new Rng(seed), { valueHead: true });
      const reference = policy.frozenCopy();
      return { policy, reference, algo: await createPlugin<OnlineAlgorithm>(ppoPlugin, opts(1), testContainer(tf, policy, seed, reference), (p) => path.join(dir, p)) };
    };
    const a = await make(5);
    await trainLoop(tf, a.algo, a.policy, a.reference, fractionOf(C), new FixedKLController({ beta: 0.02 }), 2);
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'ptx-state-'));
    await a.algo.saveState(state);
    expect(JSON.parse(fs.readFileSync(path.join(state, 'algorithm-state.json'), 'utf8')).ptx.position).toBeGreaterThan(0);
    const b = await make(6);
    await b.algo.loadState(state);
    b.policy.loadNamedWeights(a.policy.namedWeights());
    const ra = await trainLoop(tf, a.algo, a.policy, a.reference, fractionOf(C), new FixedKLController({ beta: 0.02 }), 1, { seed: 3 });
    const rb = await trainLoop(tf, b.algo, b.policy, a.reference, fractionOf(C), new FixedKLController({ beta: 0.02 }), 1, { seed: 3 });
    expect(rb.metrics[0]['loss/ptx']).toBe(ra.metrics[0]['loss/ptx']);
  });
});
