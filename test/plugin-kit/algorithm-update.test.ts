/**
 * The kit trains an algorithm for real (checkAlgorithmUpdate): the built-in online algorithms pass,
 * and algorithms written on the toolkit with one defect each fail with a message that says what.
 */
import { OnlineAlgorithmBase, batchProperties, clippedPolicyLoss, defineOnlineAlgorithm, mean, optimizerProperties, sequenceRewards, klRows, type Experience, type IterationPlan, type OldPolicy, type OnlineAlgorithm, type OptionsOf, type PluginDefinition, type Scalar } from '@rlhfjs/core';
import { checkAlgorithmUpdate, checkDefaults, checkPluginPackage, BigramPolicy, buildExperience, cpuRuntime } from '@rlhfjs/core/testing';
import { Rng, definePackage } from '@rlhfjs/core';
import algorithms from '@rlhfjs/plugin-algorithms';

const SMALL = { promptsPerIteration: 2, samplesPerPrompt: 2 };

function filled(def: PluginDefinition, example: Record<string, unknown>): Record<string, unknown> {
  const d = checkDefaults(def, [example]);
  expect(d.problems).toEqual([]);
  return d.filled[0];
}

test.each(['reinforce', 'rloo', 'grpo', 'ppo'])('the built-in %s: finite, moves the weights, continues exactly after saveState/loadState', async (name) => {
  const def = algorithms.plugins.find((p) => p.kind === 'algorithm' && p.name === name)!;
  expect(await checkAlgorithmUpdate(def, filled(def, SMALL))).toEqual([]);
}, 120_000);

// REINFORCE on the toolkit with a moving baseline b ← 0.9·b + 0.1·mean(R); `saves` decides whether
// the baseline goes into the saved state; `frozen` multiplies the loss by 0 (no gradient)
const schema = { type: 'object', additionalProperties: false, properties: { ...batchProperties, learningRate: { type: 'number', default: 0.05, description: 'Adam learning rate.' }, ...optimizerProperties } } as const;
type Options = OptionsOf<typeof schema>;

function baselineAlgorithm(name: string, flaw: { forgetsBaseline?: boolean; frozen?: boolean }): PluginDefinition {
  class Alg extends OnlineAlgorithmBase<Options> implements OnlineAlgorithm {
    private baseline = 0;
    protected plan(exp: Experience, old: OldPolicy): IterationPlan {
      const { tf } = this.core;
      const R = sequenceRewards(klRows(old.logprobs, exp.refLogprobs, 'k1'), exp.scores, exp.beta);
      const adv = R.map((r) => r - this.baseline);
      return {
        loss: (mb) => {
          const terms = clippedPolicyLoss(tf, mb.out.logprobs, mb.tokens(old.logprobs), mb.column(adv), mb.packed.responseMask, 0.2);
          const total = (flaw.frozen ? tf.mul(0, terms.loss) : terms.loss) as Scalar;
          return { total, report: { 'loss/policy': terms.loss } };
        },
        metrics: () => {
          this.baseline = 0.9 * this.baseline + 0.1 * mean(R);
          return { baseline: this.baseline };
        },
      };
    }
    protected override ownState(): Record<string, unknown> {
      return flaw.forgetsBaseline ? {} : { baseline: this.baseline };
    }
    protected override restoreOwnState(state: Record<string, unknown>): void {
      if (!flaw.forgetsBaseline) this.baseline = state.baseline as number;
    }
  }
  return defineOnlineAlgorithm<Options>({ name, description: 'Test algorithm.', options: schema, algorithm: Alg }) as PluginDefinition;
}

test('a toolkit algorithm that saves its state passes; one that forgets its baseline, and one whose loss has no gradient, fail with the reason', async () => {
  const good = baselineAlgorithm('baseline', {});
  expect(await checkAlgorithmUpdate(good, filled(good, SMALL))).toEqual([]);

  const forgets = baselineAlgorithm('forgets', { forgetsBaseline: true });
  const p1 = await checkAlgorithmUpdate(forgets, filled(forgets, SMALL));
  expect(p1).toHaveLength(2);
  expect(p1[0]).toMatch(/^algorithm\/forgets: after saveState\/loadState the next update\(\) differs from the original's: .*baseline .* vs .*; save everything the update depends on/);
  expect(p1[1]).toBe("algorithm/forgets: after saveState/loadState the next update() leaves different weights than the original's");

  const frozen = baselineAlgorithm('frozen', { frozen: true });
  expect(await checkAlgorithmUpdate(frozen, filled(frozen, SMALL))).toEqual(['algorithm/frozen: update() did not change any trainable weight of the policy']);
}, 120_000);

test('testPluginPackage builds an algorithm on the test policy (no skipCreate needed) and runs the update check', async () => {
  const results = await checkPluginPackage(definePackage({ plugins: [baselineAlgorithm('baseline', {})] }));
  expect(results.flatMap((r) => r.problems)).toEqual([]);
});

test('buildExperience: one row per sample, the reference log-probs of each response token, a score per completion', async () => {
  const { tf } = await cpuRuntime();
  const policy = BigramPolicy.create(tf, new Rng(7));
  const reference = policy.frozenCopy();
  try {
    const exp = await buildExperience(tf, policy, reference, new Rng(3), { promptsPerIteration: 3, samplesPerPrompt: 2, score: (ids) => ids.length });
    expect(exp.rollout.responseIds).toHaveLength(6);
    expect(exp.refLogprobs.map((r) => r.length)).toEqual(exp.rollout.responseIds.map((r) => r.length));
    expect(exp.scores).toEqual(exp.rollout.responseIds.map((r) => r.length));
    // the policy is its own reference here: log π_ref of each token is log of the bigram's probability
    exp.rollout.responseIds.forEach((ids, i) => {
      const prev = [...exp.rollout.promptIds[i], ...ids];
      ids.forEach((tok, t) => expect(exp.refLogprobs[i][t]).toBeCloseTo(Math.log(policy.prob(prev[exp.rollout.promptIds[i].length + t - 1], tok)), 5));
    });
  } finally {
    policy.dispose();
    reference.dispose();
  }
});
