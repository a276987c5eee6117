import type { Scalar } from '@tensorflow/tfjs-core';
import { Tokens, definePlugin, type BatchShape, type Experience, type OnlineAlgorithm, type UpdateResult } from '@rlhfjs/core';
import { batchProperties, optimizerProperties, resolveBatch } from '../batch-schema';
import { KL_ESTIMATORS, klEstimateTensor, type KLEstimator } from '../math/kl-estimators';
import { grpoAdvantages } from '../math/group-advantages';
import { clippedPolicyLoss } from '../math/policy-loss';
import { maskedMean, sequenceMean } from '../math/masked';
import { mean } from '../math/stats';
import { OnlineCore, broadcastToTokens } from './online-core';
import { ONLINE_REQUIRES } from './requires';
import { checkExperience } from './experience-check';
import { iterationMetrics } from './metrics';

export interface GRPOSettings {
  clipRange: number;
  klEstimator: KLEstimator;
  eps: number;
}

/**
 * GRPO (Shao et al. 2024, DeepSeekMath): advantage (r − mean_group)/std_group over the k samples
 * of a prompt, the clipped surrogate per token, and β·KL(π‖π_ref) as a loss term on the gradient
 * path (estimator k3 by default); each sequence's token mean, then the mean over sequences.
 */
export class GRPO implements OnlineAlgorithm {
  readonly mode = 'online' as const;
  readonly needsValues = false;

  constructor(
    private readonly core: OnlineCore,
    readonly batch: BatchShape,
    private readonly s: GRPOSettings,
  ) {}

  async update(exp: Experience): Promise<UpdateResult> {
    const t0 = performance.now();
    const { tf } = this.core;
    checkExperience(exp, 'algorithm/grpo');
    const old = this.core.forwardNoGrad(exp.rollout);
    const adv = grpoAdvantages(exp.scores, this.batch.samplesPerPrompt, this.s.eps);
    const advTokens = broadcastToTokens(adv, old.logprobs);
    const beta = exp.beta;
    const res = this.core.runEpochs(exp.rollout, exp.iteration, { entropy: true }, (mb) => {
      const mask = mb.packed.responseMask;
      const logp = mb.out.logprobs;
      const pl = clippedPolicyLoss(tf, logp, mb.tokens(old.logprobs), mb.tokens(advTokens), mask, this.s.clipRange);
      const klTok = klEstimateTensor(tf, logp, mb.tokens(exp.refLogprobs), this.s.klEstimator);
      const policyLoss = sequenceMean(tf, pl.perToken, mask);
      const klLoss = sequenceMean(tf, klTok, mask);
      const report: Record<string, Scalar> = { 'loss/policy': policyLoss, 'loss/kl': klLoss, approx_kl: pl.approxKl, clipfrac: pl.clipfrac };
      if (mb.out.entropy) report.entropy = maskedMean(tf, mb.out.entropy, mask);
      return { total: tf.add(policyLoss, tf.mul(beta, klLoss)), report };
    });
    const { metrics, kl } = iterationMetrics(exp.scores, old.logprobs, exp.refLogprobs, beta);
    return {
      kl,
      metrics: {
        ...metrics,
        ...res.means,
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

export const grpoPlugin = definePlugin({
  kind: 'algorithm',
  name: 'grpo',
  requires: ONLINE_REQUIRES,
  description: 'GRPO: k samples per prompt, advantage = group-normalised score, KL to the reference as a loss term (k3); no value head.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...batchProperties,
      samplesPerPrompt: { ...batchProperties.samplesPerPrompt, minimum: 2, default: 4, description: `${batchProperties.samplesPerPrompt.description} GRPO's group size G (DeepSeekMath: 64; 4–16 on small budgets).` },
      learningRate: {
        type: 'number',
        exclusiveMinimum: 0,
        default: 1e-6,
        description: 'Adam learning rate. 1e-6 is TRL GRPOConfig\'s default for 1B-scale models; a tiny policy (d_model ≤ 128) learns at about 3e-4.',
      },
      ...optimizerProperties,
      clipRange: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Ratio clip ε of the surrogate (DeepSeekMath and TRL: 0.2).' },
      epsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-4, description: 'Added to the group standard deviation before dividing, so a group of equal scores gets advantage 0 (TRL: 1e-4).' },
      klEstimator: { type: 'string', enum: KL_ESTIMATORS, default: 'k3', description: 'Per-token KL estimate in the loss term β·KL: k3 = (r−1) − log r with r = π_ref/π (the GRPO paper\'s choice), or k1, abs, k2 (= mse). β comes from the klController (fixed 0.04 in the paper).' },
    },
  } as const,
  create: ({ options, container, pointer }) => {
    const { tf } = container.resolve(Tokens.Runtime);
    const policy = container.resolve(Tokens.Policy);
    const b = resolveBatch(options, 'algorithm/grpo', pointer, 2);
    const rng = container.resolve(Tokens.Rng).fork('algorithm/grpo');
    const core = new OnlineCore(tf, policy, rng, { plugin: 'grpo', learningRate: options.learningRate, maxGradNorm: options.maxGradNorm, minibatchSize: b.minibatchSize, epochs: b.epochs });
    return new GRPO(core, { promptsPerIteration: b.promptsPerIteration, samplesPerPrompt: b.samplesPerPrompt }, {
      clipRange: options.clipRange,
      klEstimator: options.klEstimator,
      eps: options.epsilon,
    });
  },
});
