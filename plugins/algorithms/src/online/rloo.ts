import type { Scalar } from '@tensorflow/tfjs-core';
import { Tokens, definePlugin, type BatchShape, type Experience, type OnlineAlgorithm, type UpdateResult } from '@rlhfjs/core';
import { resolveBatch } from '../batch-schema';
import { klRows } from '../math/kl-estimators';
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
import { rlooOptionsSchema, type RLOOOptions } from './rloo.options';

/**
 * REINFORCE Leave-One-Out (Ahmadian et al. 2024): the sequence reward R = score − β·Σ_t KL_t,
 * baseline = mean R of the other k − 1 samples of the same prompt, and the clipped surrogate over
 * the response tokens with that advantage (with one epoch the ratio is 1 and this is REINFORCE).
 */
export class RLOO implements OnlineAlgorithm {
  readonly mode = 'online' as const;

  constructor(
    private readonly core: OnlineCore,
    readonly batch: BatchShape,
    private readonly s: RLOOOptions,
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
  options: rlooOptionsSchema,
  create: ({ options, container, pointer }) => {
    const { tf } = container.resolve(Tokens.Runtime);
    const policy = container.resolve(Tokens.Policy);
    const b = resolveBatch(options, 'algorithm/rloo', pointer, 2);
    const rng = container.resolve(Tokens.Rng).fork('algorithm/rloo');
    const core = new OnlineCore(tf, policy, rng, { plugin: 'rloo', learningRate: options.learningRate, maxGradNorm: options.maxGradNorm, minibatchSize: b.minibatchSize, epochs: b.epochs });
    return new RLOO(core, { promptsPerIteration: b.promptsPerIteration, samplesPerPrompt: b.samplesPerPrompt }, options);
  },
});
