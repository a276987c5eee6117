import type { Scalar } from '@tensorflow/tfjs-core';
import type { Experience, OnlineAlgorithm } from '@rlhfjs/core';
import { klRows } from '@rlhfjs/core';
import { sequenceRewards } from '@rlhfjs/core';
import { movingBaseline } from '../math/moving-baseline';
import { maskedMean } from '@rlhfjs/core';
import { mean } from '@rlhfjs/core';
import { OnlineAlgorithmBase, type IterationPlan, type OldPolicy, defineOnlineAlgorithm } from '@rlhfjs/core';
import { reinforceOptionsSchema, type ReinforceOptions } from './reinforce.options';

/**
 * REINFORCE with a KL penalty and a moving baseline: R = score − β·Σ_t KL_t, A = R − b where b
 * is an exponential moving average of past iterations' mean R, and the loss
 * −(1/B)·Σ_i A_i·Σ_t ratio_{i,t}, whose gradient at ratio = 1 is −(1/B)·Σ_i A_i·∇log π(y_i).
 */
export class Reinforce extends OnlineAlgorithmBase<ReinforceOptions> implements OnlineAlgorithm {
  private baseline: number | null = null;

  protected plan(exp: Experience, old: OldPolicy): IterationPlan {
    const { tf } = this.core;
    const kl = klRows(old.logprobs, exp.refLogprobs, this.s.klEstimator);
    const R = sequenceRewards(kl, exp.scores, exp.beta);
    const step = movingBaseline(R, this.baseline, this.s.baselineDecay);
    const adv = step.advantages;
    return {
      penaltyKl: kl,
      loss: (mb) => {
        const mask = mb.packed.responseMask;
        const ratio = tf.exp(tf.sub(mb.out.logprobs, mb.tokens(old.logprobs)));
        const perSeq = tf.sum(tf.mul(ratio, mask), 1);
        const loss = tf.neg(tf.mean(tf.mul(mb.samples(adv), perSeq))) as Scalar;
        const logRatio = tf.sub(mb.out.logprobs, mb.tokens(old.logprobs));
        const report: Record<string, Scalar> = { 'loss/policy': loss, approx_kl: tf.mul(0.5, maskedMean(tf, tf.square(logRatio), mask)) as Scalar };
        return { total: loss, report };
      },
      metrics: () => {
        this.baseline = step.next;
        return { 'reward/mean': mean(R), baseline: step.baselineUsed };
      },
    };
  }

  protected override ownState(): Record<string, unknown> {
    return { baseline: this.baseline };
  }

  protected override restoreOwnState(state: Record<string, unknown>): void {
    const b = state.baseline;
    if (b !== null && typeof b !== 'number') throw new Error(`algorithm/reinforce: saved baseline is ${JSON.stringify(b)}`);
    this.baseline = b;
  }
}

export const reinforcePlugin = defineOnlineAlgorithm({
  name: 'reinforce',
  description: 'REINFORCE with a KL penalty in the sequence reward and a moving-average baseline; no value head.',
  options: reinforceOptionsSchema,
  algorithm: Reinforce,
});
