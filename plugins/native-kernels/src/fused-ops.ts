import type * as tfc from '@tensorflow/tfjs-core';
import { FUSED_KERNEL_NAMES } from './kernels/fused';
import { isOurs } from './install';
import type { TF } from './wasm-internals';

type Tensor = tfc.Tensor;
type GradFn = Parameters<TF['customGrad']>[0];

/** Whether a fused kernel is installed for the backend in use right now. */
export function fusedReady(tf: TF, kernelName: string): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const k = tf.getKernel(kernelName, 'wasm');
  return k !== undefined && isOurs(k.kernelFunc);
}

/**
 * A differentiable op made of a fused forward kernel and its gradient kernel: `forward` runs on the
 * op's inputs and names its value and the tensors the gradient needs; `backward` gets dy and those
 * tensors and returns the gradient of each input.
 */
function withFusedGradient(
  tf: TF,
  inputs: Tensor[],
  forward: (inputs: Tensor[]) => { value: Tensor; saved: Tensor[] },
  backward: (dy: Tensor, saved: Tensor[]) => Tensor | Tensor[],
): Tensor {
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as tfc.GradSaveFunc;
    const { value, saved } = forward(args.slice(0, -1) as Tensor[]);
    save(saved);
    return { value, gradFunc: backward };
  }) as unknown as GradFn);
  return f(...inputs);
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation, from stock ops: x³ as x·x·x (Pow and its gradient are slow on wasm). */
export function geluTanhComposed(tf: TF, x: Tensor): Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), GELU_C);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/**
 * GELU, tanh approximation (GPT-2's "gelu_new"): 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
 * One native pass forward and one backward where the fused kernels are installed (wasm backend,
 * float32); the same maths from stock ops everywhere else.
 */
export function geluTanh(tf: TF, x: Tensor): Tensor {
  if (x.dtype !== 'float32' || !fusedReady(tf, FUSED_KERNEL_NAMES.gelu)) return geluTanhComposed(tf, x);
  const engine = tf.engine();
  return withFusedGradient(
    tf,
    [x],
    ([input]) => ({ value: engine.runKernel(FUSED_KERNEL_NAMES.gelu, { x: input }, {}) as Tensor, saved: [input] }),
    (dy, [sx]) => engine.runKernel(FUSED_KERNEL_NAMES.geluGrad, { dy, x: sx }, {}) as Tensor,
  );
}

/** LayerNorm over the last axis from stock ops (biased variance, as in GPT-2). */
export function layerNormComposed(tf: TF, x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), axis, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/**
 * LayerNorm over the last axis: (x − mean) / √(var + eps) · gamma + beta, gamma and beta of shape
 * [d]. One native pass forward and one backward (dx, dgamma, dbeta) where the fused kernels are
 * installed; the same maths from stock ops elsewhere, or for gamma/beta of another shape.
 */
export function layerNorm(tf: TF, x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const d = x.shape[x.rank - 1];
  const fits = x.rank >= 1 && d > 0 && gamma.rank === 1 && beta.rank === 1 && gamma.shape[0] === d && beta.shape[0] === d;
  const floats = x.dtype === 'float32' && gamma.dtype === 'float32' && beta.dtype === 'float32';
  if (!fits || !floats || !fusedReady(tf, FUSED_KERNEL_NAMES.layerNorm)) return layerNormComposed(tf, x, gamma, beta, eps);
  const engine = tf.engine();
  return withFusedGradient(
    tf,
    [x, gamma, beta],
    ([input, g, b]) => {
      const [y, mean, rstd] = engine.runKernel(FUSED_KERNEL_NAMES.layerNorm, { x: input, gamma: g, beta: b }, { eps }) as Tensor[];
      return { value: y, saved: [input, g, mean, rstd] };
    },
    (dy, [sx, sg, sm, sr]) => engine.runKernel(FUSED_KERNEL_NAMES.layerNormGrad, { dy, x: sx, gamma: sg, mean: sm, rstd: sr }, {}) as Tensor[],
  );
}

/** log softmax(logits)[target] from stock ops: one-hot × logSoftmax, summed over the vocabulary. */
export function tokenLogprobsComposed(tf: TF, logits: Tensor, targets: Tensor): Tensor {
  const v = logits.shape[logits.rank - 1];
  const oneHot = tf.cast(tf.oneHot(tf.reshape(tf.cast(targets, 'int32'), [-1]) as tfc.Tensor1D, v), 'float32');
  return tf.sum(tf.mul(tf.reshape(oneHot, logits.shape), tf.logSoftmax(logits)), -1);
}

/**
 * The log-probability of each target token: logits [..., V], int32 targets [...] → [...], equal to
 * logSoftmax(logits) picked at the target (a target outside [0, V) gives 0 and no gradient, as
 * one-hot × logSoftmax does). Cross-entropy is its negative mean. One native pass forward and one
 * backward where the fused kernels are installed; stock ops elsewhere.
 */
export function tokenLogprobs(tf: TF, logits: Tensor, targets: Tensor): Tensor {
  const v = logits.shape[logits.rank - 1];
  const fits = logits.rank >= 1 && v > 0 && targets.rank === logits.rank - 1 && targets.shape.every((s, i) => s === logits.shape[i]);
  if (!fits || logits.dtype !== 'float32' || targets.dtype !== 'int32' || !fusedReady(tf, FUSED_KERNEL_NAMES.tokenLogprobs)) {
    return tokenLogprobsComposed(tf, logits, targets);
  }
  const engine = tf.engine();
  // targets get no gradient: they are closed over, not an input of the custom gradient
  return withFusedGradient(
    tf,
    [logits],
    ([input]) => {
      const [lp, lse] = engine.runKernel(FUSED_KERNEL_NAMES.tokenLogprobs, { logits: input, targets }, {}) as Tensor[];
      return { value: lp, saved: [input, lse, targets] };
    },
    (dy, [sl, slse, st]) => engine.runKernel(FUSED_KERNEL_NAMES.tokenLogprobsGrad, { dy, logits: sl, targets: st, lse: slse }, {}) as Tensor,
  );
}

/** −Σ p log p of softmax(logits) over the last axis, from stock ops. */
export function entropyComposed(tf: TF, logits: Tensor): Tensor {
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
}

/**
 * The entropy of each softmax distribution: logits [..., V] → [...], −Σ p log p. One native pass
 * forward (max, then Σe and Σe·x together) and one backward where the fused kernels are
 * installed; stock ops elsewhere.
 */
export function entropy(tf: TF, logits: Tensor): Tensor {
  const v = logits.shape[logits.rank - 1];
  if (logits.rank < 1 || !(v > 0) || logits.dtype !== 'float32' || !fusedReady(tf, FUSED_KERNEL_NAMES.entropy)) return entropyComposed(tf, logits);
  const engine = tf.engine();
  return withFusedGradient(
    tf,
    [logits],
    ([input]) => {
      const [h, lse, mu] = engine.runKernel(FUSED_KERNEL_NAMES.entropy, { logits: input }, {}) as Tensor[];
      return { value: h, saved: [input, lse, mu] };
    },
    (dy, [sl, slse, smu]) => engine.runKernel(FUSED_KERNEL_NAMES.entropyGrad, { dy, logits: sl, lse: slse, mu: smu }, {}) as Tensor,
  );
}
