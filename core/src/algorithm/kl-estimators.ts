import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../contract/tensor-runtime';

/**
 * Per-token estimators of KL(π‖π_ref) from the log-probabilities of the sampled token
 * (the KL_t of the shaped reward r_t = −β·KL_t in ./reward-shaping.ts):
 *
 * - `k1`: log π − log π_ref (unbiased, can be negative)
 * - `abs`: |k1|
 * - `k2` (alias `mse`): ½·k1²
 * - `k3`: (r − 1) − log r with r = π_ref/π (unbiased and never negative)
 */
export const KL_ESTIMATORS = ['k1', 'abs', 'k2', 'mse', 'k3'] as const;
export type KLEstimator = (typeof KL_ESTIMATORS)[number];

/** One token's KL estimate from log π(a|s) and log π_ref(a|s). */
export function klEstimate(logprob: number, refLogprob: number, estimator: KLEstimator): number {
  const k1 = logprob - refLogprob;
  switch (estimator) {
    case 'k1':
      return k1;
    case 'abs':
      return Math.abs(k1);
    case 'k2':
    case 'mse':
      return 0.5 * k1 * k1;
    case 'k3': {
      // log r = log π_ref − log π = −k1
      const logR = -k1;
      return Math.expm1(logR) - logR;
    }
  }
}

/** Element-wise {@link klEstimate} over ragged rows (one row per completion). */
export function klRows(logprobs: readonly number[][], refLogprobs: readonly number[][], estimator: KLEstimator): number[][] {
  return logprobs.map((row, i) => {
    const ref = refLogprobs[i];
    if (!ref || ref.length !== row.length) {
      throw new Error(`klRows: row ${i} has ${row.length} log-probs but ${ref ? ref.length : 'no'} reference log-probs`);
    }
    return row.map((lp, t) => klEstimate(lp, ref[t], estimator));
  });
}

/** The same estimators on tensors, for KL terms on the gradient path (GRPO's loss). */
export function klEstimateTensor(tf: TF, logprobs: Tensor, refLogprobs: Tensor, estimator: KLEstimator): Tensor {
  return tf.tidy(() => {
    const k1 = tf.sub(logprobs, refLogprobs);
    switch (estimator) {
      case 'k1':
        return k1;
      case 'abs':
        return tf.abs(k1);
      case 'k2':
      case 'mse':
        return tf.mul(0.5, tf.square(k1));
      case 'k3': {
        const logR = tf.neg(k1);
        return tf.sub(tf.sub(tf.exp(logR), 1), logR);
      }
    }
  });
}
