import type { Scalar } from '@tensorflow/tfjs-core';
import { Tokens, definePlugin, type BatchShape, type Experience, type OnlineAlgorithm, type UpdateResult } from '@rlhfjs/core';
import { resolveBatch } from '../batch-schema';
import { klRows } from '../math/kl-estimators';
import { sequenceRewards } from '../math/reward-shaping';
import { movingBaseline } from '../math/moving-baseline';
import { maskedMean } from '../math/masked';
import { mean } from '../math/stats';
import { OnlineCore } from './online-core';
import { ONLINE_REQUIRES } from './requires';
import { checkExperience } from './experience-check';
import { iterationMetrics } from './metrics';
import { reinforceOptionsSchema, type ReinforceOptions } from './reinforce.options';

/**
 * REINFORCE with a KL penalty and a moving baseline: R = score − β·Σ_t KL_t, A = R − b where b
 * is an exponential moving average of past iterations' mean R, and the loss
 * −(1/B)·Σ_i A_i·Σ_t ratio_{i,t}, whose gradient at ratio = 1 is −(1/B)·Σ_i A_i·∇log π(y_i).
 */
export class Reinforce implements OnlineAlgorithm {
  readonly mode = 'online' as const;
  private baseline: number | null = null;

  constructor(
    private readonly core: OnlineCore,
    readonly batch: BatchShape,
    private readonly s: ReinforceOptions,
  ) {}

  async update(exp: Experience): Promise<UpdateResult> {
    const t0 = performance.now();
    const { tf } = this.core;
    checkExperience(exp, 'algorithm/reinforce');
    const old = this.core.forwardNoGrad(exp.rollout);
    const kl = klRows(old.logprobs, exp.refLogprobs, this.s.klEstimator);
    const R = sequenceRewards(kl, exp.scores, exp.beta);
    const step = movingBaseline(R, this.baseline, this.s.baselineDecay);
    const adv = step.advantages;
    const res = this.core.runEpochs(exp.rollout, exp.iteration, { entropy: true }, (mb) => {
      const mask = mb.packed.responseMask;
      const ratio = tf.exp(tf.sub(mb.out.logprobs, mb.tokens(old.logprobs)));
      const perSeq = tf.sum(tf.mul(ratio, mask), 1);
      const loss = tf.neg(tf.mean(tf.mul(mb.samples(adv), perSeq))) as Scalar;
      const logRatio = tf.sub(mb.out.logprobs, mb.tokens(old.logprobs));
      const report: Record<string, Scalar> = { 'loss/policy': loss, approx_kl: tf.mul(0.5, maskedMean(tf, tf.square(logRatio), mask)) as Scalar };
      if (mb.out.entropy) report.entropy = maskedMean(tf, mb.out.entropy, mask);
      return { total: loss, report };
    });
    const usedBaseline = step.baselineUsed;
    this.baseline = step.next;
    const { metrics, kl: klMean } = iterationMetrics(exp.scores, old.logprobs, exp.refLogprobs, exp.beta, kl);
    return {
      kl: klMean,
      metrics: {
        ...metrics,
        ...res.means,
        'reward/mean': mean(R),
        baseline: usedBaseline,
        'perf/algorithm_s': (performance.now() - t0) / 1000,
      },
    };
  }

  saveState(dir: string): Promise<void> {
    return this.core.saveState(dir, { baseline: this.baseline });
  }

  async loadState(dir: string): Promise<void> {
    const state = await this.core.loadState(dir);
    const b = state.baseline;
    if (b !== null && typeof b !== 'number') throw new Error(`algorithm/reinforce: saved baseline is ${JSON.stringify(b)}`);
    this.baseline = b;
  }
}

export const reinforcePlugin = definePlugin({
  kind: 'algorithm',
  name: 'reinforce',
  requires: ONLINE_REQUIRES,
  description: 'REINFORCE with a KL penalty in the sequence reward and a moving-average baseline; no value head.',
  options: reinforceOptionsSchema,
  create: ({ options, container, pointer }) => {
    const { tf } = container.resolve(Tokens.Runtime);
    const policy = container.resolve(Tokens.Policy);
    const b = resolveBatch(options, 'algorithm/reinforce', pointer);
    const rng = container.resolve(Tokens.Rng).fork('algorithm/reinforce');
    const core = new OnlineCore(tf, policy, rng, { plugin: 'reinforce', learningRate: options.learningRate, maxGradNorm: options.maxGradNorm, minibatchSize: b.minibatchSize, epochs: b.epochs });
    return new Reinforce(core, { promptsPerIteration: b.promptsPerIteration, samplesPerPrompt: b.samplesPerPrompt }, options);
  },
});
