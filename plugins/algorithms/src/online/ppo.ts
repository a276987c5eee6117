import type { Scalar } from '@tensorflow/tfjs-core';
import { DiagnosticError, type Experience, type OnlineAlgorithm } from '@rlhfjs/core';
import { shapeRewards } from '@rlhfjs/core';
import { gaeRows } from '../math/gae';
import { whiten } from '@rlhfjs/core';
import { explainedVariance, flatten } from '@rlhfjs/core';
import { clippedPolicyLoss } from '@rlhfjs/core';
import { clippedValueLoss } from '../math/value-loss';
import { OnlineAlgorithmBase, type IterationPlan, type OldPolicy, defineOnlineAlgorithm } from '@rlhfjs/core';
import { ppoOptionsSchema, type PPOOptions } from './ppo.options';

/**
 * PPO for language models as TRL's classic PPOTrainer (v0.11.4) runs it: per-token reward
 * r_t = −β·KL_t plus the score at the last token (../math/reward-shaping.ts), GAE, whitened advantages, clipped policy and value losses, several epochs of
 * minibatches, and an early stop when the approx KL to the sampling policy passes `targetKL`.
 */
export class PPO extends OnlineAlgorithmBase<PPOOptions> implements OnlineAlgorithm {

  protected override readonly oldValues = true;

  protected plan(exp: Experience, old: OldPolicy, t0: number): IterationPlan {
    const { tf } = this.core;
    const s = this.s;
    const oldValues = old.values as number[][];
    const tForward = performance.now();
    const { rewards, kl: penaltyKl } = shapeRewards(old.logprobs, exp.refLogprobs, exp.scores, exp.beta, s.klEstimator);
    const shaped = s.whitenRewards ? whiten(rewards, false) : rewards;
    const { advantages, returns } = gaeRows(shaped, oldValues, s.gamma, s.lambda);
    const adv = whiten(advantages, true);
    return {
      penaltyKl,
      loss: (mb) => {
        const mask = mb.packed.responseMask;
        const pl = clippedPolicyLoss(tf, mb.out.logprobs, mb.tokens(old.logprobs), mb.tokens(adv), mask, s.clipRange);
        if (!mb.out.values) throw new Error('algorithm/ppo: the policy returned no values; it needs a value head');
        const vl = clippedValueLoss(tf, mb.out.values, mb.tokens(oldValues), mb.tokens(returns), mask, s.clipRangeValue);
        const report: Record<string, Scalar> = {
          'loss/policy': pl.loss,
          'loss/value': vl.loss,
          approx_kl: pl.approxKl,
          clipfrac: pl.clipfrac,
          'clipfrac/value': vl.clipfrac,
        };
        return { total: tf.add(pl.loss, tf.mul(s.vfCoef, vl.loss)), report };
      },
      shouldApply: s.targetKL === null ? undefined : (v) => v.approx_kl <= (s.targetKL as number),
      metrics: (res) => ({
        explained_variance: explainedVariance(flatten(oldValues), flatten(returns)),
        'ppo/steps': res.steps,
        'ppo/early_stop': res.stopped ? 1 : 0,
        'perf/old_logprobs_s': (tForward - t0) / 1000,
      }),
    };
  }
}

export const ppoPlugin = defineOnlineAlgorithm({
  name: 'ppo',
  description: 'PPO with a value head: per-token KL penalty, GAE, clipped policy and value losses (TRL classic / lm-human-preferences).',
  options: ppoOptionsSchema,
  checkPolicy: (policy, { pointer }) => {
    if (!policy.hasValueHead) {
      throw new DiagnosticError({
        code: 'recipe/needs-value-head',
        message: 'ppo needs a policy with a value head, and this agent has none',
        fix: 'turn on the value head in the agent options, or use a critic-free algorithm (rloo, grpo, reinforce)',
        plugin: 'algorithm/ppo',
        pointer: `${pointer}/use`,
      });
    }
  },
  algorithm: PPO,
});
