import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../contract/tensor-runtime';
import { maskedMean } from './masked';

export interface PolicyLossTerms {
  /** max(−A·ratio, −A·clip(ratio, 1−ε, 1+ε)) per token, before averaging. [B, T-1] */
  perToken: Tensor;
  /** Masked mean of `perToken`: the PPO policy loss. */
  loss: Scalar;
  /** Share of response tokens where the clipped branch was taken. */
  clipfrac: Scalar;
  /** ½·mean((log π_new − log π_old)²), TRL's approx KL between the new and the sampling policy. */
  approxKl: Scalar;
}

/**
 * PPO's clipped surrogate (Schulman et al. 2017): ratio = exp(log π_new − log π_old),
 * loss = mean(max(−A·ratio, −A·clip(ratio, 1−ε, 1+ε))) over response tokens.
 */
export function clippedPolicyLoss(tf: TF, logprobs: Tensor, oldLogprobs: Tensor, advantages: Tensor, mask: Tensor, clipRange: number): PolicyLossTerms {
  return tf.tidy(() => {
    const logRatio = tf.sub(logprobs, oldLogprobs);
    const ratio = tf.exp(logRatio);
    const unclipped = tf.mul(tf.neg(advantages), ratio);
    const clipped = tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - clipRange, 1 + clipRange));
    const perToken = tf.maximum(unclipped, clipped);
    return {
      perToken,
      loss: maskedMean(tf, perToken, mask),
      clipfrac: maskedMean(tf, tf.cast(tf.greater(clipped, unclipped), 'float32'), mask),
      approxKl: tf.mul(0.5, maskedMean(tf, tf.square(logRatio), mask)) as Scalar,
    };
  });
}
