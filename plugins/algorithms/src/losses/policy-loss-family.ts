import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '@rlhfjs/core';
import { maskedMean, sequenceMean } from '@rlhfjs/core';
import { clippedPolicyLoss, type PolicyLossTerms } from '@rlhfjs/core';

/**
 * How per-token losses x_{i,t} (sample i, response token t, mask m_{i,t}, B samples) become one
 * number, in the words verl uses (TRL's loss types in brackets):
 *
 * - `token-mean` [dapo, bnpo]: Σ_{i,t} m·x / Σ_{i,t} m — every token of the batch weighs the same (DAPO);
 * - `seq-mean-token-mean` [grpo]: (1/B)·Σ_i (Σ_t m·x / Σ_t m) — each sequence's token mean, then the
 *   mean over sequences (the GRPO paper; long sequences' tokens weigh less);
 * - `seq-mean-token-sum`: (1/B)·Σ_i Σ_t m·x — each sequence's token sum, then the mean over sequences;
 * - `seq-mean-token-sum-norm` [dr_grpo]: Σ_{i,t} m·x / (B·L) with a constant L (Dr. GRPO: the largest
 *   completion length, `maxNewTokens`), which removes GRPO's length bias.
 */
export const LOSS_AGGREGATIONS = ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum', 'seq-mean-token-sum-norm'] as const;
export type LossAggregation = (typeof LOSS_AGGREGATIONS)[number];

/** The ratio of the surrogate: per token (PPO, GRPO, DAPO) or one per sequence (GSPO). */
export const IMPORTANCE_SAMPLING_LEVELS = ['token', 'sequence'] as const;
export type ImportanceSamplingLevel = (typeof IMPORTANCE_SAMPLING_LEVELS)[number];

/** Reduce per-token losses [B, T-1] under `mask` to a scalar by `mode` (formulas at {@link LOSS_AGGREGATIONS}); `normaliser` is L of `seq-mean-token-sum-norm`. */
export function aggregateLoss(tf: TF, x: Tensor, mask: Tensor, mode: LossAggregation, normaliser = 1): Scalar {
  switch (mode) {
    case 'token-mean':
      return maskedMean(tf, x, mask);
    case 'seq-mean-token-mean':
      return sequenceMean(tf, x, mask);
    case 'seq-mean-token-sum':
      return tf.tidy(() => tf.mean(tf.sum(tf.mul(x, mask), 1)) as Scalar);
    case 'seq-mean-token-sum-norm':
      return tf.tidy(() => tf.div(tf.sum(tf.mul(x, mask)), x.shape[0] * normaliser) as Scalar);
  }
}

export interface FamilyLossOptions {
  /** ε_low: the ratio is clipped from below at 1 − ε_low. */
  clipLow: number;
  /** ε_high: the ratio is clipped from above at 1 + ε_high (DAPO's clip-higher: ε_high > ε_low). */
  clipHigh: number;
  level: ImportanceSamplingLevel;
}

/**
 * The clipped surrogate of the GRPO family, per token, before aggregation:
 *
 *   x_{i,t} = max(−A_{i,t}·ρ, −A_{i,t}·clip(ρ, 1 − ε_low, 1 + ε_high))
 *
 * with ρ = ρ_{i,t} = exp(log π_θ(y_t) − log π_old(y_t)) at `level: token` (PPO, GRPO, DAPO), and at
 * `level: sequence` GSPO's length-normalised sequence ratio, the same for every token of sample i:
 *
 *   ρ_i = exp( (1/|y_i|)·Σ_t m_{i,t}·(log π_θ(y_t) − log π_old(y_t)) ).
 *
 * With ε_low = ε_high and token level this is exactly {@link clippedPolicyLoss} (it is called).
 * `loss` is the token mean of x; `clipfrac` the share of response tokens on the clipped branch;
 * `approxKl` ½·mean((log π_θ − log π_old)²) over tokens, as for PPO.
 */
export function familyPolicyLoss(tf: TF, logprobs: Tensor, oldLogprobs: Tensor, advantages: Tensor, mask: Tensor, o: FamilyLossOptions): PolicyLossTerms {
  if (o.level === 'token' && o.clipLow === o.clipHigh) return clippedPolicyLoss(tf, logprobs, oldLogprobs, advantages, mask, o.clipLow);
  return tf.tidy(() => {
    const logRatio = tf.sub(logprobs, oldLogprobs);
    const level =
      o.level === 'sequence'
        ? // [B, 1]: the masked mean of the log-ratio over each sequence's response tokens
          tf.div(tf.sum(tf.mul(logRatio, mask), 1, true), tf.maximum(tf.sum(mask, 1, true), 1))
        : logRatio;
    const ratio = tf.exp(level);
    const unclipped = tf.mul(tf.neg(advantages), ratio);
    const clipped = tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - o.clipLow, 1 + o.clipHigh));
    const perToken = tf.maximum(unclipped, clipped);
    return {
      perToken,
      loss: maskedMean(tf, perToken, mask),
      clipfrac: maskedMean(tf, tf.cast(tf.greater(clipped, unclipped), 'float32'), mask),
      approxKl: tf.mul(0.5, maskedMean(tf, tf.square(logRatio), mask)) as Scalar,
    };
  });
}
