import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../contract/tensor-runtime';

/** ‖g‖ = sqrt(Σ over all gradients of Σ g²), read back as a number (0 for no gradients). */
export function globalNorm(tf: TF, grads: readonly Tensor[]): number {
  if (grads.length === 0) return 0;
  const sq = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const v = sq.dataSync()[0];
  sq.dispose();
  return Math.sqrt(v);
}

/**
 * Clip by global norm as torch.nn.utils.clip_grad_norm_: when ‖g‖ > maxNorm every gradient is
 * multiplied by maxNorm / (‖g‖ + 1e-6). `grads` is null when no clipping was needed (the caller
 * then applies its own tensors unchanged); otherwise new tensors the caller disposes.
 */
export function clipByGlobalNorm(tf: TF, grads: readonly Tensor[], maxNorm: number): { grads: Tensor[] | null; norm: number; scale: number } {
  const norm = globalNorm(tf, grads);
  if (!(norm > maxNorm)) return { grads: null, norm, scale: 1 };
  const scale = maxNorm / (norm + 1e-6);
  return { grads: grads.map((g) => tf.mul(g, scale)), norm, scale };
}
