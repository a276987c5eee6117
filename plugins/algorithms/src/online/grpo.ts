import type { Scalar } from '@tensorflow/tfjs-core';
import { Tokens, definePlugin, type BatchShape, type Experience, type OnlineAlgorithm, type UpdateResult } from '@rlhfjs/core';
import { resolveBatch } from '../batch-schema';
import { klEstimateTensor } from '../math/kl-estimators';
import { grpoAdvantages } from '../math/group-advantages';
import { clippedPolicyLoss } from '../math/policy-loss';
import { maskedMean, sequenceMean } from '../math/masked';
import { mean } from '../math/stats';
import { OnlineCore, broadcastToTokens } from './online-core';
import { ONLINE_REQUIRES } from './requires';
import { checkExperience } from './experience-check';
import { iterationMetrics } from './metrics';
import { grpoOptionsSchema, type GRPOOptions } from './grpo.options';

/**
 * GRPO (Shao et al. 2024, DeepSeekMath): advantage (r − mean_group)/std_group over the k samples
 * of a prompt, the clipped surrogate per token, and β·KL(π‖π_ref) as a loss term on the gradient
 * path (estimator k3 by default); each sequence's token mean, then the mean over sequences.
 */
export class GRPO implements OnlineAlgorithm {
  readonly mode = 'online' as const;

  constructor(
    private readonly core: OnlineCore,
    readonly batch: BatchShape,
    private readonly s: GRPOOptions,
  ) {}

  async update(exp: Experience): Promise<UpdateResult> {
    const t0 = performance.now();
    const { tf } = this.core;
    checkExperience(exp, 'algorithm/grpo');
    const old = this.core.forwardNoGrad(exp.rollout);
    const adv = grpoAdvantages(exp.scores, this.batch.samplesPerPrompt, this.s.epsilon);
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
  options: grpoOptionsSchema,
  create: ({ options, container, pointer }) => {
    const { tf } = container.resolve(Tokens.Runtime);
    const policy = container.resolve(Tokens.Policy);
    const b = resolveBatch(options, 'algorithm/grpo', pointer, 2);
    const rng = container.resolve(Tokens.Rng).fork('algorithm/grpo');
    const core = new OnlineCore(tf, policy, rng, { plugin: 'grpo', learningRate: options.learningRate, maxGradNorm: options.maxGradNorm, minibatchSize: b.minibatchSize, epochs: b.epochs });
    return new GRPO(core, { promptsPerIteration: b.promptsPerIteration, samplesPerPrompt: b.samplesPerPrompt }, options);
  },
});
