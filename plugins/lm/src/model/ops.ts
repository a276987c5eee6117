/**
 * Differentiable building blocks on tfjs-core that avoid the wasm backend's pitfalls (slow
 * transposed matMul, no gradient for a batched gather): matMul gradients with explicit transposes, an embedding lookup
 * whose gradient is a host-side scatter instead of the missing gather gradient, and token
 * log-probs by one-hot × logSoftmax instead of a batched gather.
 *
 * Where the native kernels of @rlhfjs/native-kernels are on (wasm backend), the ops switch to the
 * formulation that is fastest there: matMul with transpose flags (free in BLAS, slow in stock
 * wasm), and the fused GELU, LayerNorm, token log-prob and entropy ops (one native pass forward
 * and one backward each, in place of a dozen elementwise kernels). Elsewhere the stock
 * formulation runs.
 *
 * On the webgpu backend every op stays on the device: matMul with transpose flags (the WebGPU
 * BatchMatMul kernel takes them), and the embedding gradient as an UnsortedSegmentSum kernel
 * instead of the host-side scatter (which reads the gradient back synchronously, impossible there).
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { fusedOps, nativeKernelActive, onWebGPU, type FusedOps, type TF } from '@rlhfjs/core';

type GradFn = Parameters<TF['customGrad']>[0];

/** Swap the last two axes (rank ≥ 2) with an explicit transpose. */
export function swapLast(tf: TF, x: tfc.Tensor): tfc.Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/**
 * `a @ b` (no transpose flags) whose gradient uses explicit transposes:
 * dA = dy @ bᵀ, dB = aᵀ @ dy. Operands of rank 2, or equal-rank batched operands.
 */
export function matMul(tf: TF, a: tfc.Tensor, b: tfc.Tensor): tfc.Tensor {
  // native sgemm and the WebGPU kernel take the gradient's transpose flags for free
  if (nativeKernelActive(tf, 'BatchMatMul') || onWebGPU(tf)) return tf.matMul(a, b);
  const f = tf.customGrad(((x: tfc.Tensor, y: tfc.Tensor, save: (t: tfc.Tensor[]) => void) => {
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tfc.Tensor, saved: tfc.Tensor[]) => {
        const [sx, sy] = saved;
        return [tf.matMul(dy, swapLast(tf, sy)), tf.matMul(swapLast(tf, sx), dy)];
      },
    };
  }) as unknown as GradFn);
  return f(a, b);
}

/** `a @ bᵀ` (b's last two axes swapped), same operand rules as {@link matMul}. */
export function matMulTransposeB(tf: TF, a: tfc.Tensor, b: tfc.Tensor): tfc.Tensor {
  if (nativeKernelActive(tf, 'BatchMatMul') || onWebGPU(tf)) return tf.matMul(a, b, false, true);
  return matMul(tf, a, swapLast(tf, b));
}

/**
 * `x @ w + bias` for x [..., k] and w [k, m] (or w [m, k] used as wᵀ when `transposeW`, e.g. a
 * tied output head): flattened to one 2-D matmul.
 */
export function linear(tf: TF, x: tfc.Tensor, w: tfc.Tensor, bias?: tfc.Tensor, transposeW = false): tfc.Tensor {
  const shape = x.shape;
  const k = shape[shape.length - 1];
  const m = w.shape[transposeW ? 0 : 1] as number;
  const flat = tf.reshape(x, [-1, k]);
  let y = transposeW ? matMulTransposeB(tf, flat, w) : matMul(tf, flat, w);
  if (bias) y = tf.add(y, bias);
  return tf.reshape(y, [...shape.slice(0, -1), m]);
}

/**
 * Rows of `table` [N, d] picked by `ids` (int32, any shape) → [...ids.shape, d].
 * Forward is a gather (correct on every backend without batchDims). The gradient with respect to
 * the table is the scatter-add of dy's rows into the picked rows (what oneHot(ids)ᵀ @ dy computes),
 * done on the host: it costs O(ids · d) instead of a [N × ids] one-hot matmul, and needs no
 * gather gradient (the wasm backend has none). On webgpu the same sum runs on the device as
 * unsortedSegmentSum(dy, ids, N) (float32 accumulation, in an order the GPU picks).
 */
export function embed(tf: TF, table: tfc.Tensor, ids: tfc.Tensor): tfc.Tensor {
  const n = table.shape[0];
  const d = table.shape[1] as number;
  const flatIds = tf.reshape(ids, [-1]) as tfc.Tensor1D;
  if (onWebGPU(tf)) {
    const g = tf.customGrad(((w: tfc.Tensor, save: (t: tfc.Tensor[]) => void) => {
      save([flatIds]);
      return {
        value: tf.gather(w, flatIds, 0),
        gradFunc: (dy: tfc.Tensor, saved: tfc.Tensor[]) => [tf.unsortedSegmentSum(tf.reshape(dy, [-1, d]), saved[0] as tfc.Tensor1D, n)],
      };
    }) as unknown as GradFn);
    return tf.reshape(g(table), [...ids.shape, d]);
  }
  const f = tf.customGrad(((w: tfc.Tensor, save: (t: tfc.Tensor[]) => void) => {
    // the ids must be saved: tensors made in the forward pass are freed before the backward pass
    save([flatIds]);
    return {
      value: tf.gather(w, flatIds, 0),
      gradFunc: (dy: tfc.Tensor, saved: tfc.Tensor[]) => [scatterRows(tf, saved[0].dataSync() as Int32Array, dy, n, d)],
    };
  }) as unknown as GradFn);
  return tf.reshape(f(table), [...ids.shape, d]);
}

/** out[ids[j]] += rows[j] for a [N, d] output (host-side scatter-add, float64 accumulation). */
export function scatterRows(tf: TF, ids: ArrayLike<number>, rows: tfc.Tensor, n: number, d: number): tfc.Tensor2D {
  const src = rows.dataSync() as Float32Array;
  const acc = new Float64Array(n * d);
  for (let j = 0; j < ids.length; j++) {
    const id = ids[j];
    if (id < 0 || id >= n) throw new Error(`embedding id ${id} is outside the table of ${n} rows`);
    const o = id * d;
    const s = j * d;
    for (let k = 0; k < d; k++) acc[o + k] += src[s + k];
  }
  return tf.tensor2d(Float32Array.from(acc), [n, d], 'float32');
}

/** The native fused ops where `op` is active on the backend in use, else undefined. */
function fused(tf: TF, op: string): FusedOps | undefined {
  return nativeKernelActive(tf, op) ? fusedOps() : undefined;
}

/** LayerNorm over the last axis (eps 1e-5, as in GPT-2). */
export function layerNorm(tf: TF, x: tfc.Tensor, gamma: tfc.Tensor, beta: tfc.Tensor, eps = 1e-5): tfc.Tensor {
  const native = fused(tf, 'FusedLayerNorm');
  if (native) return native.layerNorm(tf, x, gamma, beta, eps);
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), axis, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** GELU, tanh approximation (GPT-2's "gelu_new"). */
export function gelu(tf: TF, x: tfc.Tensor): tfc.Tensor {
  const native = fused(tf, 'FusedGelu');
  if (native) return native.geluTanh(tf, x);
  const c = Math.sqrt(2 / Math.PI);
  // x³ as x·x·x: Pow (and its gradient) is slow on the wasm backend
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), c);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/**
 * log p(target) from logits [..., V] and int32 targets [...]: sum(oneHot × logSoftmax).
 * Optionally also the entropy −Σ p log p of each distribution.
 */
export function tokenLogprobs(
  tf: TF,
  logits: tfc.Tensor,
  targets: tfc.Tensor,
  wantEntropy = false,
): { logprobs: tfc.Tensor; entropy?: tfc.Tensor } {
  const native = fused(tf, 'FusedTokenLogprobs');
  if (native) {
    const lp = native.tokenLogprobs(tf, logits, targets.dtype === 'int32' ? targets : tf.cast(targets, 'int32'));
    if (!wantEntropy) return { logprobs: lp };
    const fusedEntropy = fused(tf, 'FusedEntropy');
    return { logprobs: lp, entropy: fusedEntropy ? fusedEntropy.entropy(tf, logits) : entropyOf(tf, tf.logSoftmax(logits)) };
  }
  const V = logits.shape[logits.rank - 1];
  const logp = tf.logSoftmax(logits);
  const oh = tf.reshape(oneHotF32(tf, tf.reshape(targets, [-1]) as tfc.Tensor1D, V), logits.shape);
  const lp = tf.sum(tf.mul(oh, logp), -1);
  if (!wantEntropy) return { logprobs: lp };
  return { logprobs: lp, entropy: entropyOf(tf, logp) };
}

/** −Σ p log p over the last axis, from log-probabilities. */
function entropyOf(tf: TF, logp: tfc.Tensor): tfc.Tensor {
  return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
}

/**
 * A float32 one-hot matrix. Built as int32 and cast: the wasm backend's OneHot kernel ignores the
 * dtype argument and writes int32 values into a tensor labelled float32 (tfjs 4.22), so
 * `tf.oneHot(..., 'float32')` reads back as garbage there.
 */
export function oneHotF32(tf: TF, ids: tfc.Tensor1D, depth: number): tfc.Tensor2D {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.cast(ids, 'int32') as tfc.Tensor1D, depth), 'float32')) as tfc.Tensor2D;
}

/**
 * A causal language model's training forward pass from its final hidden states [B, T, d]: the
 * log-prob of each next token (position t scores token t+1, so [B, T-1]), optionally the entropy
 * of each next-token distribution and the value head at the same positions.
 */
export function nextTokenForward(
  tf: TF,
  hidden: tfc.Tensor3D,
  ids: tfc.Tensor2D,
  heads: { logitsFrom(h: tfc.Tensor3D): tfc.Tensor; valuesFrom(h: tfc.Tensor3D): tfc.Tensor },
  want: { entropy?: boolean; values?: boolean },
): { logprobs: tfc.Tensor2D; entropy?: tfc.Tensor2D; values?: tfc.Tensor2D } {
  const [B, T] = ids.shape;
  const h = tf.slice(hidden, [0, 0, 0], [B, T - 1, -1]);
  const targets = tf.slice(ids, [0, 1], [B, T - 1]);
  const { logprobs, entropy } = tokenLogprobs(tf, heads.logitsFrom(h), targets, want.entropy === true);
  const out: { logprobs: tfc.Tensor2D; entropy?: tfc.Tensor2D; values?: tfc.Tensor2D } = { logprobs: logprobs as tfc.Tensor2D };
  if (entropy) out.entropy = entropy as tfc.Tensor2D;
  if (want.values) out.values = heads.valuesFrom(h) as tfc.Tensor2D;
  return out;
}
