import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '@rlhfjs/core';

/** sqrt(Σ over all gradients of Σ g²), read back as a number. */
export function globalNorm(tf: TF, grads: readonly Tensor[]): number {
  if (grads.length === 0) return 0;
  const sq = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const v = sq.dataSync()[0];
  sq.dispose();
  return Math.sqrt(v);
}

/**
 * Clip by global norm (as torch.nn.utils.clip_grad_norm_): every gradient is scaled by
 * maxNorm/(norm + 1e-6) when the norm exceeds maxNorm. Returns new tensors (the caller disposes
 * the inputs) and the norm before clipping.
 */
export function clipByGlobalNorm(tf: TF, grads: readonly Tensor[], maxNorm: number): { grads: Tensor[]; norm: number; scale: number } {
  const norm = globalNorm(tf, grads);
  const scale = norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  return { grads: grads.map((g) => (scale === 1 ? g.clone() : tf.mul(g, scale))), norm, scale };
}
