import { DiagnosticError, Tokens, definePlugin, type Experience, type OnlineAlgorithm, type UpdateResult, type BatchShape } from '@rlhfjs/core';
import { resolveBatch } from '../batch-schema';
import { shapeRewards } from '../math/reward-shaping';
import { gaeRows } from '../math/gae';
import { whiten } from '../math/whiten';
import { explainedVariance, flatten } from '../math/stats';
import { clippedPolicyLoss } from '../math/policy-loss';
import { clippedValueLoss } from '../math/value-loss';
import { maskedMean } from '../math/masked';
import { OnlineCore } from './online-core';
import { ONLINE_REQUIRES } from './requires';
import { checkExperience } from './experience-check';
import { iterationMetrics } from './metrics';
import { ppoOptionsSchema, type PPOOptions } from './ppo.options';

/**
 * PPO for language models as TRL's classic PPOTrainer (v0.11.4) runs it: per-token reward
 * r_t = −β·KL_t plus the score at the last token (../math/reward-shaping.ts), GAE, whitened advantages, clipped policy and value losses, several epochs of
 * minibatches, and an early stop when the approx KL to the sampling policy passes `targetKL`.
 */
export class PPO implements OnlineAlgorithm {
  readonly mode = 'online' as const;

  constructor(
    private readonly core: OnlineCore,
    readonly batch: BatchShape,
    private readonly s: PPOOptions,
  ) {}

  async update(exp: Experience): Promise<UpdateResult> {
    const t0 = performance.now();
    const { tf } = this.core;
    checkExperience(exp, 'algorithm/ppo');
    const old = this.core.forwardNoGrad(exp.rollout, { values: true });
    const oldValues = old.values as number[][];
    const tForward = performance.now();
    const { rewards, kl: penaltyKl } = shapeRewards(old.logprobs, exp.refLogprobs, exp.scores, exp.beta, this.s.klEstimator);
    const shaped = this.s.whitenRewards ? whiten(rewards, false) : rewards;
    const { advantages, returns } = gaeRows(shaped, oldValues, this.s.gamma, this.s.lambda);
    const adv = whiten(advantages, true);
    const s = this.s;
    const res = this.core.runEpochs(
      exp.rollout,
      exp.iteration,
      { values: true, entropy: true },
      (mb) => {
        const mask = mb.packed.responseMask;
        const pl = clippedPolicyLoss(tf, mb.out.logprobs, mb.tokens(old.logprobs), mb.tokens(adv), mask, s.clipRange);
        if (!mb.out.values) throw new Error('algorithm/ppo: the policy returned no values; it needs a value head');
        const vl = clippedValueLoss(tf, mb.out.values, mb.tokens(oldValues), mb.tokens(returns), mask, s.clipRangeValue);
        const report: Record<string, import('@tensorflow/tfjs-core').Scalar> = {
          'loss/policy': pl.loss,
          'loss/value': vl.loss,
          approx_kl: pl.approxKl,
          clipfrac: pl.clipfrac,
          'clipfrac/value': vl.clipfrac,
        };
        if (mb.out.entropy) report.entropy = maskedMean(tf, mb.out.entropy, mask);
        return { total: tf.add(pl.loss, tf.mul(s.vfCoef, vl.loss)), report };
      },
      s.targetKL === null ? undefined : (v) => v.approx_kl <= (s.targetKL as number),
    );
    const { metrics, kl } = iterationMetrics(exp.scores, old.logprobs, exp.refLogprobs, exp.beta, penaltyKl);
    return {
      kl,
      metrics: {
        ...metrics,
        ...res.means,
        explained_variance: explainedVariance(flatten(oldValues), flatten(returns)),
        'ppo/steps': res.steps,
        'ppo/early_stop': res.stopped ? 1 : 0,
        'perf/old_logprobs_s': (tForward - t0) / 1000,
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

export const ppoPlugin = definePlugin({
  kind: 'algorithm',
  name: 'ppo',
  requires: ONLINE_REQUIRES,
  description: 'PPO with a value head: per-token KL penalty, GAE, clipped policy and value losses (TRL classic / lm-human-preferences).',
  options: ppoOptionsSchema,
  create: ({ options, container, pointer }) => {
    const { tf } = container.resolve(Tokens.Runtime);
    const policy = container.resolve(Tokens.Policy);
    if (!policy.hasValueHead) {
      throw new DiagnosticError({
        code: 'recipe/needs-value-head',
        message: 'ppo needs a policy with a value head, and this agent has none',
        fix: 'turn on the value head in the agent options, or use a critic-free algorithm (rloo, grpo, reinforce)',
        plugin: 'algorithm/ppo',
        pointer: `${pointer}/use`,
      });
    }
    const b = resolveBatch(options, 'algorithm/ppo', pointer);
    const rng = container.resolve(Tokens.Rng).fork('algorithm/ppo');
    const core = new OnlineCore(tf, policy, rng, { plugin: 'ppo', learningRate: options.learningRate, maxGradNorm: options.maxGradNorm, minibatchSize: b.minibatchSize, epochs: b.epochs });
    return new PPO(core, { promptsPerIteration: b.promptsPerIteration, samplesPerPrompt: b.samplesPerPrompt }, options);
  },
});
