import { BigramPolicy, buildExperience, buildPlugin, cpuRuntime } from '@rlhfjs/core/testing';
import { Rng, Tokens, shapeRewards, whiten, type OnlineAlgorithm } from '@rlhfjs/core';
import { __EXPORT__ } from './index';

test('advantages by hand: returns to go of r_t = -beta * KL_t (+ score at the end), whitened', () => {
  // one completion of 2 tokens, KL_t = logp - ref = [0.5, -0.5], beta 0.1, score 1:
  // r = [-0.05, 0.05 + 1] = [-0.05, 1.05]; G = [1.0, 1.05]; mean 1.025, unbiased var 0.00125
  const { rewards } = shapeRewards([[-1, -2]], [[-1.5, -1.5]], [1], 0.1, 'k1');
  expect(rewards[0][0]).toBeCloseTo(-0.05, 12);
  expect(rewards[0][1]).toBeCloseTo(1.05, 12);
  const [a] = whiten([[1.0, 1.05]]);
  expect(a[0]).toBeCloseTo(-0.025 / Math.sqrt(0.00125 + 1e-8), 9);
  expect(a[1]).toBeCloseTo(0.025 / Math.sqrt(0.00125 + 1e-8), 9);
});

test('training on the test policy raises the score it is given', async () => {
  const { tf } = await cpuRuntime();
  const policy = BigramPolicy.create(tf, new Rng(7));
  const reference = policy.frozenCopy();
  // score: the share of a completion's tokens that are "a" (id 2)
  const score = (ids: number[]): number => (ids.length ? ids.filter((t) => t === 2).length / ids.length : 0);
  const built = await buildPlugin(__EXPORT__, { promptsPerIteration: 4, samplesPerPrompt: 4, learningRate: 0.05 }, {
    services: (c) => {
      c.registerInstance(Tokens.Policy, policy);
      c.registerInstance(Tokens.Reference, reference);
    },
  });
  const alg = built.instance as OnlineAlgorithm;
  try {
    const before = policy.prob(1, 2);
    for (let it = 0; it < 10; it++) {
      const exp = await buildExperience(tf, policy, reference, new Rng(100 + it), { ...alg.batch, score, beta: 0.01, iteration: it });
      const res = await alg.update(exp);
      expect(Number.isFinite(res.metrics['loss/policy'])).toBe(true);
    }
    // the probability of "a" right after the prompt's first token went up
    expect(policy.prob(1, 2)).toBeGreaterThan(before);
  } finally {
    built.dispose();
    policy.dispose();
    reference.dispose();
  }
}, 60_000);
