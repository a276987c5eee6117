import {
  OnlineAlgorithmBase,
  batchProperties,
  clippedPolicyLoss,
  defineOnlineAlgorithm,
  definePackage,
  mean,
  optimizerProperties,
  ptxProperties,
  shapeRewards,
  whiten,
  type Experience,
  type IterationPlan,
  type OldPolicy,
  type OnlineAlgorithm,
  type OptionsOf,
} from '@rlhfjs/core';

const options = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...batchProperties,
    learningRate: { type: 'number', exclusiveMinimum: 0, default: 1e-4, description: 'Adam learning rate.' },
    ...optimizerProperties,
    clipRange: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Ratio clip epsilon of the surrogate loss.' },
    // PPO-ptx: a pretraining-loss term mixed into every update (off unless ptxCoef > 0)
    ...ptxProperties,
  },
} as const;

/**
 * REINFORCE++-style: per-token rewards r_t = -beta * KL_t (k1), plus the score at the last token;
 * the return G_t = sum_{s >= t} r_s; advantages A_t = whiten(G) over every token of the batch (no
 * critic); loss = the clipped surrogate mean(max(-A * ratio, -A * clip(ratio, 1 - eps, 1 + eps))).
 * The toolkit does the rest: the old policy's log-probs, epochs x minibatches, the optimiser, state.
 */
export class WhitenedReturns extends OnlineAlgorithmBase<OptionsOf<typeof options>> implements OnlineAlgorithm {
  protected plan(exp: Experience, old: OldPolicy): IterationPlan {
    const { tf } = this.core;
    const { rewards, kl } = shapeRewards(old.logprobs, exp.refLogprobs, exp.scores, exp.beta, 'k1');
    const returns = rewards.map((r) => r.map((_, t) => r.slice(t).reduce((a, b) => a + b, 0)));
    const advantages = whiten(returns);
    return {
      penaltyKl: kl,
      loss: (mb) => {
        const terms = clippedPolicyLoss(tf, mb.out.logprobs, mb.tokens(old.logprobs), mb.tokens(advantages), mb.packed.responseMask, this.s.clipRange);
        return { total: terms.loss, report: { 'loss/policy': terms.loss, clipfrac: terms.clipfrac } };
      },
      metrics: () => ({ 'return/mean': mean(returns.map((g) => g[0] ?? 0)) }),
    };
  }
}

export const __EXPORT__ = defineOnlineAlgorithm({
  name: '__PLUGIN__',
  description: 'REINFORCE++-style: token-level KL penalty, returns to go whitened over the batch, clipped surrogate; no critic.',
  options,
  algorithm: WhitenedReturns,
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
