import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '@rlhfjs/core';
import { klEstimateTensor, type KLEstimator } from '@rlhfjs/core';

/**
 * The per-token KL estimate of a loss term (GRPO's β·KL), computed on response tokens only: where
 * mask = 0 (prompt and padding) log π is replaced by log π_ref, so the estimate there is exactly 0.
 * The masked reduction would drop those positions anyway, but not an infinity: padding is the EOS
 * id, and a policy that suppresses EOS gives it log π ≈ −1e9, so k3's exp(log π_ref − log π)
 * overflows and inf·0 turns the whole loss into NaN. On response tokens the values, and the
 * gradient, are those of klEstimateTensor.
 */
export function responseKlTensor(tf: TF, logprobs: Tensor, refLogprobs: Tensor, mask: Tensor, estimator: KLEstimator): Tensor {
  return tf.tidy(() => klEstimateTensor(tf, tf.where(tf.greater(mask, 0), logprobs, refLogprobs), refLogprobs, estimator));
}
