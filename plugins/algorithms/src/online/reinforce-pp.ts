import type { Scalar } from '@tensorflow/tfjs-core';
import type { Experience, OnlineAlgorithm } from '@rlhfjs/core';
import { shapeRewards } from '@rlhfjs/core';
import { flatten, mean } from '@rlhfjs/core';
import { aggregateLoss, familyPolicyLoss } from '../losses/policy-loss-family';
import { groupCentred, reinforcePlusPlusAdvantages } from '../losses/advantages';
import { OnlineAlgorithmBase, type IterationPlan, type OldPolicy, defineOnlineAlgorithm } from '@rlhfjs/core';
import { reinforcePPBaselineOptionsSchema, reinforcePPOptionsSchema, type ReinforcePPOptions } from './reinforce-pp.options';

/**
 * REINFORCE++ (Hu 2025; OpenRLHF `reinforce_plus_plus`): no critic and no group. Per-token rewards
 * r_t = −β·KL_t with the score added at the last token, returns G_t = Σ_{s≥t} γ^{s−t}·r_s, and the
 * advantage A_t = whiten(G_t) over every response token of the batch (../losses/advantages.ts); the
 * clipped surrogate per token, aggregated by `lossAggregation` (token-mean, as OpenRLHF).
 */
export class ReinforcePP extends OnlineAlgorithmBase<ReinforcePPOptions> implements OnlineAlgorithm {
  /** REINFORCE++-baseline subtracts the group's mean score before the KL penalty and the batch whitening. */
  protected readonly groupBaseline: boolean = false;

  protected plan(exp: Experience, old: OldPolicy): IterationPlan {
    const { tf } = this.core;
    const s = this.s;
    const L = s.lossNormaliser ?? this.core.settings.maxNewTokens ?? 1;
    const scores = this.groupBaseline ? groupCentred(exp.scores, this.batch.samplesPerPrompt) : exp.scores;
    const { rewards, kl } = shapeRewards(old.logprobs, exp.refLogprobs, scores, exp.beta, s.klEstimator);
    const { advantages } = reinforcePlusPlusAdvantages(rewards, s.gamma);
    return {
      penaltyKl: kl,
      loss: (mb) => {
        const mask = mb.packed.responseMask;
        const pl = familyPolicyLoss(tf, mb.out.logprobs, mb.tokens(old.logprobs), mb.tokens(advantages), mask, { clipLow: s.clipLow ?? s.clipRange, clipHigh: s.clipHigh ?? s.clipRange, level: s.importanceSamplingLevel });
        const loss = aggregateLoss(tf, pl.perToken, mask, s.lossAggregation, L);
        const report: Record<string, Scalar> = { 'loss/policy': loss, approx_kl: pl.approxKl, clipfrac: pl.clipfrac };
        return { total: loss, report };
      },
      metrics: () => ({ 'advantage/abs_mean': mean(flatten(advantages).map(Math.abs)) }),
    };
  }
}

/** REINFORCE++-baseline (OpenRLHF `reinforce_plus_plus_baseline`): score − mean score of the prompt's k samples, then REINFORCE++. */
export class ReinforcePPBaseline extends ReinforcePP {
  static override readonly minSamplesPerPrompt = 2;
  protected override readonly groupBaseline = true;
}

export const reinforcePPPlugin = defineOnlineAlgorithm({
  name: 'reinforce-pp',
  description: 'REINFORCE++: per-token KL penalty in the reward, returns-to-go whitened over the batch, clipped surrogate; no value head, no group.',
  options: reinforcePPOptionsSchema,
  algorithm: ReinforcePP,
});

export const reinforcePPBaselinePlugin = defineOnlineAlgorithm({
  name: 'reinforce-pp-baseline',
  description: 'REINFORCE++-baseline: the score minus its group mean, then REINFORCE++ (per-token KL penalty, batch-whitened returns); k ≥ 2 samples per prompt.',
  options: reinforcePPBaselineOptionsSchema,
  algorithm: ReinforcePPBaseline,
});
