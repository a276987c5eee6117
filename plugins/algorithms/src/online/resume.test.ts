/**
 * Resume is exact for every online algorithm at a shape with several epochs and minibatches:
 * k iterations, state saved, loaded into a fresh policy and a fresh algorithm, continued, must equal
 * the uninterrupted run in every weight and every metric (perf/* timings aside).
 *
 * 2 epochs × 2 minibatches are 4 Adam steps per iteration, so 5 iterations leave Adam at t = 20,
 * where tf's setWeights would recompute β₂ᵗ⁺¹ as pow(0.999, 21), one float32 bit away from the
 * running product the uninterrupted optimiser holds; the training kit restores the product itself.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng, disposePacked, packRollout, responseColumns, type Experience, type OnlineAlgorithm, type PluginDefinition, type PolicyModel, type TF } from '@rlhfjs/core';
import { cpuTf } from '../__fixtures__/tf';
import { BigramPolicy } from '@rlhfjs/core/testing';
import { SAMPLING, createPlugin, fractionOf, testContainer } from '../__fixtures__/harness';
import { ppoPlugin } from './ppo';
import { rlooPlugin } from './rloo';
import { grpoPlugin } from './grpo';
import { reinforcePlugin } from './reinforce';

const C = 4; // token id of "c": the reward is the share of generated c's

const cases: Array<[string, PluginDefinition<'algorithm', any>, Record<string, unknown>, boolean]> = [
  ['ppo', ppoPlugin, { promptsPerIteration: 8, minibatchSize: 4, epochs: 2, learningRate: 0.05, targetKL: null }, true],
  ['rloo', rlooPlugin, { promptsPerIteration: 2, samplesPerPrompt: 4, minibatchSize: 4, epochs: 2, learningRate: 0.05 }, false],
  ['grpo', grpoPlugin, { promptsPerIteration: 2, samplesPerPrompt: 4, minibatchSize: 4, epochs: 2, learningRate: 0.05 }, false],
  ['reinforce', reinforcePlugin, { promptsPerIteration: 8, minibatchSize: 4, epochs: 2, learningRate: 0.05 }, false],
];

async function experience(tf: TF, policy: PolicyModel, reference: PolicyModel, seed: number, iteration: number): Promise<Experience> {
  const rollout = await policy.generate(Array.from({ length: 8 }, () => [1]), SAMPLING, new Rng(seed));
  const packed = packRollout(tf, rollout, 0);
  const lp = tf.tidy(() => reference.forward(packed.batch).logprobs);
  const refLogprobs = responseColumns(lp.arraySync() as number[][], packed);
  lp.dispose();
  disposePacked(packed);
  return { rollout, scores: rollout.responseIds.map(fractionOf(C)), refLogprobs, beta: 0.05, iteration };
}

const weights = (p: PolicyModel) => [...p.namedWeights().values()].map((t) => Array.from(t.dataSync()));
const withoutPerf = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('perf/')));

describe.each(cases)('%s resumes exactly at 2 epochs × 2 minibatches', (name, plugin, options, valueHead) => {
  let tf: TF;
  beforeAll(async () => {
    tf = await cpuTf();
  });

  it('k iterations, save, load into fresh objects, continue = the uninterrupted run', async () => {
    const make = (p: PolicyModel) => createPlugin<OnlineAlgorithm>(plugin, options, testContainer(tf, p, 9));
    const a = BigramPolicy.create(tf, new Rng(6), { valueHead });
    const ref = a.frozenCopy();
    const algoA = await make(a);
    for (let i = 0; i < 5; i++) await algoA.update(await experience(tf, a, ref, 100 + i, i));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-resume-`));
    await algoA.saveState(dir);

    const b = BigramPolicy.create(tf, new Rng(77), { valueHead });
    b.loadNamedWeights(a.namedWeights());
    const algoB = await make(b);
    await algoB.loadState(dir);

    for (let i = 5; i < 9; i++) {
      const ma = (await algoA.update(await experience(tf, a, ref, 100 + i, i))).metrics;
      const mb = (await algoB.update(await experience(tf, b, ref, 100 + i, i))).metrics;
      expect(withoutPerf(mb)).toEqual(withoutPerf(ma));
    }
    expect(weights(b)).toEqual(weights(a));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
