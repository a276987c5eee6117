import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../contract/tensor-runtime';

/** Σ(x·mask) / max(Σmask, 1): the mean over response tokens of a padded [B, T-1] matrix. */
export function maskedMean(tf: TF, x: Tensor, mask: Tensor): Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1)) as Scalar);
}

/** Per-row Σ_t x·mask: e.g. the log-probability of each whole response. Shape [B]. */
export function maskedRowSum(tf: TF, x: Tensor, mask: Tensor): Tensor {
  return tf.tidy(() => tf.sum(tf.mul(x, mask), 1));
}

/** Per-row mean over the row's own response tokens, then the mean over rows (GRPO's averaging). */
export function sequenceMean(tf: TF, x: Tensor, mask: Tensor): Scalar {
  return tf.tidy(() => {
    const perRow = tf.div(tf.sum(tf.mul(x, mask), 1), tf.maximum(tf.sum(mask, 1), 1));
    return tf.mean(perRow) as Scalar;
  });
}
