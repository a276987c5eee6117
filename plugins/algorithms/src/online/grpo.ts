import type { Scalar } from '@tensorflow/tfjs-core';
import type { Experience, OnlineAlgorithm } from '@rlhfjs/core';
import { klEstimateTensor } from '@rlhfjs/core';
import { grpoAdvantages } from '../math/group-advantages';
import { clippedPolicyLoss } from '@rlhfjs/core';
import { sequenceMean } from '@rlhfjs/core';
import { mean } from '@rlhfjs/core';
import { OnlineAlgorithmBase, type IterationPlan, type OldPolicy, broadcastToTokens, defineOnlineAlgorithm } from '@rlhfjs/core';
import { grpoOptionsSchema, type GRPOOptions } from './grpo.options';

/**
 * GRPO (Shao et al. 2024, DeepSeekMath): advantage (r − mean_group)/std_group over the k samples
 * of a prompt, the clipped surrogate per token, and β·KL(π‖π_ref) as a loss term on the gradient
 * path (estimator k3 by default); each sequence's token mean, then the mean over sequences.
 */
export class GRPO extends OnlineAlgorithmBase<GRPOOptions> implements OnlineAlgorithm {
  static override readonly minSamplesPerPrompt = 2;

  protected plan(exp: Experience, old: OldPolicy): IterationPlan {
    const { tf } = this.core;
    const adv = grpoAdvantages(exp.scores, this.batch.samplesPerPrompt, this.s.epsilon);
    const advTokens = broadcastToTokens(adv, old.logprobs);
    const beta = exp.beta;
    return {
      loss: (mb) => {
        const mask = mb.packed.responseMask;
        const logp = mb.out.logprobs;
        const pl = clippedPolicyLoss(tf, logp, mb.tokens(old.logprobs), mb.tokens(advTokens), mask, this.s.clipRange);
        const klTok = klEstimateTensor(tf, logp, mb.tokens(exp.refLogprobs), this.s.klEstimator);
        const policyLoss = sequenceMean(tf, pl.perToken, mask);
        const klLoss = sequenceMean(tf, klTok, mask);
        const report: Record<string, Scalar> = { 'loss/policy': policyLoss, 'loss/kl': klLoss, approx_kl: pl.approxKl, clipfrac: pl.clipfrac };
        return { total: tf.add(policyLoss, tf.mul(beta, klLoss)), report };
      },
      metrics: () => ({ 'advantage/abs_mean': mean(adv.map(Math.abs)) }),
    };
  }
}

export const grpoPlugin = defineOnlineAlgorithm({
  name: 'grpo',
  description: 'GRPO: k samples per prompt, advantage = group-normalised score, KL to the reference as a loss term (k3); no value head.',
  options: grpoOptionsSchema,
  algorithm: GRPO,
});
