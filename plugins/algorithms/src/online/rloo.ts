import type { Scalar } from '@tensorflow/tfjs-core';
import { Tokens, definePlugin, type BatchShape, type Experience, type OnlineAlgorithm, type UpdateResult } from '@rlhfjs/core';
import { batchProperties, optimizerProperties, resolveBatch } from '../batch-schema';
import { KL_ESTIMATORS, klRows, type KLEstimator } from '../math/kl-estimators';
import { sequenceRewards } from '../math/reward-shaping';
import { rlooAdvantages } from '../math/group-advantages';
import { whiten } from '../math/whiten';
import { clippedPolicyLoss } from '../math/policy-loss';
import { maskedMean } from '../math/masked';
import { mean } from '../math/stats';
import { OnlineCore, broadcastToTokens } from './online-core';
import { ONLINE_REQUIRES } from './requires';
import { checkExperience } from './experience-check';
import { iterationMetrics } from './metrics';

export interface RLOOSettings {
  clipRange: number;
  klEstimator: KLEstimator;
  normalizeAdvantages: boolean;
}

/**
 * REINFORCE Leave-One-Out (Ahmadian et al. 2024): the sequence reward R = score − β·Σ_t KL_t,
 * baseline = mean R of the other k − 1 samples of the same prompt, and the clipped surrogate over
 * the response tokens with that advantage (with one epoch the ratio is 1 and this is REINFORCE).
 */
export class RLOO implements OnlineAlgorithm {
  readonly mode = 'online' as const;
  readonly needsValues = false;

  constructor(
    private readonly core: OnlineCore,
    readonly batch: BatchShape,
    private readonly s: RLOOSettings,
  ) {}

  async update(exp: Experience): Promise<UpdateResult> {
    const t0 = performance.now();
    const { tf } = this.core;
    checkExperience(exp, 'algorithm/rloo');
    const old = this.core.forwardNoGrad(exp.rollout);
    const kl = klRows(old.logprobs, exp.refLogprobs, this.s.klEstimator);
    const R = sequenceRewards(kl, exp.scores, exp.beta);
    let adv = rlooAdvantages(R, this.batch.samplesPerPrompt);
    if (this.s.normalizeAdvantages) adv = whiten([adv], true)[0];
    const advTokens = broadcastToTokens(adv, old.logprobs);
    const res = this.core.runEpochs(exp.rollout, exp.iteration, { entropy: true }, (mb) => {
      const mask = mb.packed.responseMask;
      const pl = clippedPolicyLoss(tf, mb.out.logprobs, mb.tokens(old.logprobs), mb.tokens(advTokens), mask, this.s.clipRange);
      const report: Record<string, Scalar> = { 'loss/policy': pl.loss, approx_kl: pl.approxKl, clipfrac: pl.clipfrac };
      if (mb.out.entropy) report.entropy = maskedMean(tf, mb.out.entropy, mask);
      return { total: pl.loss, report };
    });
    const { metrics, kl: klMean } = iterationMetrics(exp.scores, old.logprobs, exp.refLogprobs, exp.beta, kl);
    return {
      kl: klMean,
      metrics: {
        ...metrics,
        ...res.means,
        'reward/mean': mean(R),
        'advantage/abs_mean': mean(adv.map(Math.abs)),
        'perf/algorithm_s': (performance.now() - t0) / 1000,
      },
    };
  }

  saveState(dir: string): Promise<void> {
    return this.core.saveState(dir, {});
  }

  async loadState(dir: string): Promise<void> {
    await this.core.loadState(dir);
  }
}

export const rlooPlugin = definePlugin({
  kind: 'algorithm',
  name: 'rloo',
  requires: ONLINE_REQUIRES,
  description: 'RLOO: k samples per prompt, each baselined by the mean reward of the other k−1; KL penalty in the reward; no value head.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...batchProperties,
      samplesPerPrompt: { ...batchProperties.samplesPerPrompt, minimum: 2, default: 4, description: `${batchProperties.samplesPerPrompt.description} RLOO's k (TRL rloo_k: 2; 4 is common).` },
      learningRate: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 3e-6,
        description: 'Adam learning rate. 3e-6 is TRL RLOOConfig\'s default for 1B-scale models; a tiny policy (d_model ≤ 128) learns at about 3e-4.',
      },
      ...optimizerProperties,
      clipRange: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Ratio clip ε, used when epochs > 1 or minibatches make the update off-policy (TRL: 0.2).' },
      normalizeAdvantages: { type: 'boolean', default: false, description: 'Whiten the advantages over the iteration (TRL normalize_advantage, off by default).' },
      klEstimator: { type: 'string', enum: KL_ESTIMATORS, default: 'k1', description: 'Per-token KL estimate summed into the sequence penalty β·Σ_t KL_t: k1, abs, k2 (= mse) or k3 (see RLHF-MATH.md).' },
    },
  } as const,
  create: ({ options, container, pointer }) => {
    const { tf } = container.resolve(Tokens.Runtime);
    const policy = container.resolve(Tokens.Policy);
    const b = resolveBatch(options, 'algorithm/rloo', pointer, 2);
    const rng = container.resolve(Tokens.Rng).fork('algorithm/rloo');
    const core = new OnlineCore(tf, policy, rng, { plugin: 'rloo', learningRate: options.learningRate, maxGradNorm: options.maxGradNorm, minibatchSize: b.minibatchSize, epochs: b.epochs });
    return new RLOO(core, { promptsPerIteration: b.promptsPerIteration, samplesPerPrompt: b.samplesPerPrompt }, {
      clipRange: options.clipRange,
      klEstimator: options.klEstimator,
      normalizeAdvantages: options.normalizeAdvantages,
    });
  },
});
