import type { Scalar } from '@tensorflow/tfjs-core';
import type { BatchShape, Experience, OnlineAlgorithm } from '@rlhfjs/core';
import { responseKlTensor } from '../losses/kl-term';
import { aggregateLoss, familyPolicyLoss } from '../losses/policy-loss-family';
import { overlongScores, groupFilterOf } from '../losses/group-sampling';
import { scaledGroupAdvantages } from '../losses/advantages';
import { mean } from '@rlhfjs/core';
import { OnlineAlgorithmBase, type IterationPlan, type OldPolicy, type OnlineCore, broadcastToTokens, defineOnlineAlgorithm } from '@rlhfjs/core';
import { grpoOptionsSchema, type GRPOOptions } from './grpo.options';

/**
 * GRPO (Shao et al. 2024, DeepSeekMath): advantage (r − mean_group)/std_group over the k samples
 * of a prompt, the clipped surrogate per token, and β·KL(π‖π_ref) as a loss term on the gradient
 * path (estimator k3 by default); each sequence's token mean, then the mean over sequences.
 * Options of the one loss make it DAPO, Dr. GRPO or GSPO (../losses/family.options.ts, docs/algorithms.md);
 * their defaults are the above.
 */
export class GRPO extends OnlineAlgorithmBase<GRPOOptions> implements OnlineAlgorithm {
  static override readonly minSamplesPerPrompt = 2;

  constructor(core: OnlineCore, batch: BatchShape, s: GRPOOptions) {
    super(core, { ...batch, ...groupFilterOf(s) }, s);
  }

  protected plan(exp: Experience, old: OldPolicy): IterationPlan {
    const { tf } = this.core;
    const s = this.s;
    const L = s.lossNormaliser ?? this.core.settings.maxNewTokens ?? 1;
    const adv = scaledGroupAdvantages(overlongScores(exp, s, this.core.settings.maxNewTokens), this.batch.samplesPerPrompt, s.scaleRewards, s.epsilon);
    const advTokens = broadcastToTokens(adv, old.logprobs);
    const beta = exp.beta;
    return {
      loss: (mb) => {
        const mask = mb.packed.responseMask;
        const logp = mb.out.logprobs;
        const pl = familyPolicyLoss(tf, logp, mb.tokens(old.logprobs), mb.tokens(advTokens), mask, { clipLow: s.clipLow ?? s.clipRange, clipHigh: s.clipHigh ?? s.clipRange, level: s.importanceSamplingLevel });
        const klTok = responseKlTensor(tf, logp, mb.tokens(exp.refLogprobs), mask, s.klEstimator);
        const policyLoss = aggregateLoss(tf, pl.perToken, mask, s.lossAggregation, L);
        const klLoss = aggregateLoss(tf, klTok, mask, s.lossAggregation, L);
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
