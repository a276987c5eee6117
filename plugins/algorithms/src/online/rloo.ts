import type { Scalar } from '@tensorflow/tfjs-core';
import type { Experience, OnlineAlgorithm } from '@rlhfjs/core';
import { klRows } from '@rlhfjs/core';
import { sequenceRewards } from '@rlhfjs/core';
import { rlooAdvantages } from '../math/group-advantages';
import { whiten } from '@rlhfjs/core';
import { clippedPolicyLoss } from '@rlhfjs/core';
import { mean } from '@rlhfjs/core';
import { OnlineAlgorithmBase, type IterationPlan, type OldPolicy, broadcastToTokens, defineOnlineAlgorithm } from '@rlhfjs/core';
import { rlooOptionsSchema, type RLOOOptions } from './rloo.options';

/**
 * REINFORCE Leave-One-Out (Ahmadian et al. 2024): the sequence reward R = score − β·Σ_t KL_t,
 * baseline = mean R of the other k − 1 samples of the same prompt, and the clipped surrogate over
 * the response tokens with that advantage (with one epoch the ratio is 1 and this is REINFORCE).
 */
export class RLOO extends OnlineAlgorithmBase<RLOOOptions> implements OnlineAlgorithm {
  static override readonly minSamplesPerPrompt = 2;

  protected plan(exp: Experience, old: OldPolicy): IterationPlan {
    const { tf } = this.core;
    const kl = klRows(old.logprobs, exp.refLogprobs, this.s.klEstimator);
    const R = sequenceRewards(kl, exp.scores, exp.beta);
    let adv = rlooAdvantages(R, this.batch.samplesPerPrompt);
    if (this.s.normalizeAdvantages) adv = whiten([adv], true)[0];
    const advTokens = broadcastToTokens(adv, old.logprobs);
    return {
      penaltyKl: kl,
      loss: (mb) => {
        const pl = clippedPolicyLoss(tf, mb.out.logprobs, mb.tokens(old.logprobs), mb.tokens(advTokens), mb.packed.responseMask, this.s.clipRange);
        const report: Record<string, Scalar> = { 'loss/policy': pl.loss, approx_kl: pl.approxKl, clipfrac: pl.clipfrac };
        return { total: pl.loss, report };
      },
      metrics: () => ({ 'reward/mean': mean(R), 'advantage/abs_mean': mean(adv.map(Math.abs)) }),
    };
  }
}

export const rlooPlugin = defineOnlineAlgorithm({
  name: 'rloo',
  description: 'RLOO: k samples per prompt, each baselined by the mean reward of the other k−1; KL penalty in the reward; no value head.',
  options: rlooOptionsSchema,
  algorithm: RLOO,
});
