import type { Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../contract/tensor-runtime';
import { onWebGPU } from '../runtime/native-ops';

/** ‖g‖ = sqrt(Σ over all gradients of Σ g²), read back as a number (0 for no gradients). */
export function globalNorm(tf: TF, grads: readonly Tensor[]): number {
  if (grads.length === 0) return 0;
  const sq = squaredNorm(tf, grads);
  const v = sq.dataSync()[0];
  sq.dispose();
  return Math.sqrt(v);
}

/** {@link globalNorm} read asynchronously (the same number): what a GPU backend needs. */
export async function globalNormAsync(tf: TF, grads: readonly Tensor[]): Promise<number> {
  if (grads.length === 0) return 0;
  const sq = squaredNorm(tf, grads);
  const v = (await sq.data())[0];
  sq.dispose();
  return Math.sqrt(v);
}

function squaredNorm(tf: TF, grads: readonly Tensor[]): Tensor {
  return tf.tidy(() => {
    const squares = grads.map((g) => tf.sum(tf.square(g)));
    return onWebGPU(tf) ? addNChunked(tf, squares) : tf.addN(squares);
  });
}

/**
 * AddN in groups of at most 7 inputs: the WebGPU AddN kernel binds one storage buffer per input,
 * and a device offers 8 per shader stage unless more are asked for (Dawn refuses the pipeline).
 */
function addNChunked(tf: TF, xs: Tensor[]): Tensor {
  let level = xs;
  while (level.length > 1) {
    const next: Tensor[] = [];
    for (let i = 0; i < level.length; i += WEBGPU_MAX_ADDN) {
      const group = level.slice(i, i + WEBGPU_MAX_ADDN);
      next.push(group.length === 1 ? group[0] : tf.addN(group));
    }
    level = next;
  }
  return level[0];
}

const WEBGPU_MAX_ADDN = 7;

/**
 * Clip by global norm as torch.nn.utils.clip_grad_norm_: when ‖g‖ > maxNorm every gradient is
 * multiplied by maxNorm / (‖g‖ + 1e-6). `grads` is null when no clipping was needed (the caller
 * then applies its own tensors unchanged); otherwise new tensors the caller disposes.
 */
export function clipByGlobalNorm(tf: TF, grads: readonly Tensor[], maxNorm: number): { grads: Tensor[] | null; norm: number; scale: number } {
  return clipToNorm(tf, grads, globalNorm(tf, grads), maxNorm);
}

/** {@link clipByGlobalNorm} with the norm read asynchronously (the same numbers). */
export async function clipByGlobalNormAsync(tf: TF, grads: readonly Tensor[], maxNorm: number): Promise<{ grads: Tensor[] | null; norm: number; scale: number }> {
  return clipToNorm(tf, grads, await globalNormAsync(tf, grads), maxNorm);
}

function clipToNorm(tf: TF, grads: readonly Tensor[], norm: number, maxNorm: number): { grads: Tensor[] | null; norm: number; scale: number } {
  if (!(norm > maxNorm)) return { grads: null, norm, scale: 1 };
  const scale = maxNorm / (norm + 1e-6);
  return { grads: grads.map((g) => tf.mul(g, scale)), norm, scale };
}
