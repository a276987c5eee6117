import type * as tfc from '@tensorflow/tfjs-core';
import type { TF } from '../contract/tensor-runtime';

type Tensor = tfc.Tensor;

/**
 * The fused ops of the optional @rlhfjs/native-kernels package. Each one runs as one native pass
 * forward and one backward where its kernels are installed on the backend in use (wasm with the
 * native kernels on), and falls back to the same maths from stock ops everywhere else.
 */
export interface FusedOps {
  /** GELU, tanh approximation (GPT-2's gelu_new). */
  geluTanh(tf: TF, x: Tensor): Tensor;
  /** LayerNorm over the last axis, gamma and beta of shape [d], biased variance. */
  layerNorm(tf: TF, x: Tensor, gamma: Tensor, beta: Tensor, eps?: number): Tensor;
  /** log softmax(logits)[target]: logits [..., V] float32, targets [...] int32 → [...]. */
  tokenLogprobs(tf: TF, logits: Tensor, targets: Tensor): Tensor;
  /** −Σ p log p of softmax(logits) over the last axis: [..., V] → [...]. */
  entropy(tf: TF, logits: Tensor): Tensor;
  /** A tf.AdamOptimizer whose update is one native pass per variable. */
  adam(tf: TF, learningRate?: number, beta1?: number, beta2?: number, epsilon?: number): tfc.AdamOptimizer;
  /** Whether one native kernel or fused op is active on the wasm backend right now. */
  nativeKernelActive(tf: TF, name: string): boolean;
}

let loaded: FusedOps | null | undefined;

/**
 * The fused ops of @rlhfjs/native-kernels, or undefined where that package is not installed (it is
 * an optional dependency: npm drops it when its addon cannot be built). Loaded once.
 */
export function fusedOps(): FusedOps | undefined {
  if (loaded === undefined) {
    try {
      loaded = require('@rlhfjs/native-kernels') as FusedOps;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/**
 * Whether a native kernel (a tfjs kernel name such as "BatchMatMul", or a fused op such as
 * "FusedGelu") replaces the stock one on the backend in use now. Model code asks this where the
 * fastest formulation differs between the two: with native BatchMatMul, matMul's transpose flags
 * cost nothing, while stock wasm is faster with explicit transposes.
 */
export function nativeKernelActive(tf: TF, name: string): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const ops = fusedOps();
  return ops !== undefined && ops.nativeKernelActive(tf, name);
}

/**
 * Whether the backend in use is webgpu, where every op must stay on the device: model code picks
 * the GPU formulation there (matMul with transpose flags, which the WebGPU BatchMatMul kernel
 * takes for free; device-side scatters instead of host-side loops, which would need a synchronous
 * read the webgpu backend cannot do in Node).
 */
export function onWebGPU(tf: TF): boolean {
  return tf.getBackend() === 'webgpu';
}

/**
 * `tf.train.adam(learningRate, beta1, beta2, epsilon)`, whose update runs as one native pass per
 * variable where the native kernels are on. It is a tf.AdamOptimizer either way: same state, same
 * getWeights/setWeights, the same numbers to float32 rounding.
 */
export function adamOptimizer(tf: TF, learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tfc.AdamOptimizer {
  const ops = fusedOps();
  return ops ? ops.adam(tf, learningRate, beta1, beta2, epsilon) : tf.train.adam(learningRate, beta1, beta2, epsilon);
}
