import { heapBuffer, heapOffset } from '../wasm-internals';
import { type NativeKernel, collapseDims, sizeOf } from './types';

/** Unary ops, numbered as `rlhf::UnaryOp` in native/kernels.h. */
export const UNARY_OPS = {
  Exp: 0,
  Tanh: 1,
  Log: 2,
  Neg: 3,
  Sqrt: 4,
  Rsqrt: 5,
  Square: 6,
  Sigmoid: 7,
  Relu: 8,
  Abs: 9,
  Reciprocal: 10,
} as const;

/** Binary ops, numbered as `rlhf::BinaryOp` in native/kernels.h (keys are tfjs kernel names). */
export const BINARY_OPS = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
} as const;

function unaryKernel(kernelName: keyof typeof UNARY_OPS): NativeKernel {
  const op = UNARY_OPS[kernelName];
  return {
    kernelName,
    run({ inputs, backend }, addon) {
      const { x } = inputs;
      if (x.dtype !== 'float32') return null;
      const out = backend.makeOutput(x.shape.slice(), 'float32');
      const size = sizeOf(x.shape);
      if (size === 0) return out;
      addon.unary(heapBuffer(backend), op, heapOffset(backend, x), heapOffset(backend, out), size);
      return out;
    },
  };
}

/** The iteration space of a broadcast binary op, with adjacent dims merged wherever both inputs allow. */
export interface BroadcastPlan {
  shape: Int32Array;
  aStrides: Int32Array;
  bStrides: Int32Array;
}

/** Element strides of `shape` seen from `outShape` (right-aligned), 0 along broadcast dims. */
function stridesIn(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let d = rank - 1, s = shape.length - 1; d >= 0; d--, s--) {
    const size = s >= 0 ? shape[s] : 1;
    strides[d] = size === 1 ? 0 : stride;
    stride *= size;
  }
  return strides;
}

/**
 * Collapses the output shape: size-1 dims go, and a dim merges into the next inner one when, for
 * both inputs, stepping it equals stepping the whole inner dim (so [16,64,128] + [128] becomes
 * [1024,128] with b's strides [0,1]).
 */
export function planBroadcast(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): BroadcastPlan {
  const c = collapseDims(outShape, stridesIn(aShape, outShape), stridesIn(bShape, outShape));
  return { shape: c.shape, aStrides: c.first, bStrides: c.second };
}

function binaryKernel(kernelName: keyof typeof BINARY_OPS): NativeKernel {
  const op = BINARY_OPS[kernelName];
  return {
    kernelName,
    run({ inputs, backend }, addon, tf) {
      const { a, b } = inputs;
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
      const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const out = backend.makeOutput(outShape, 'float32');
      if (sizeOf(outShape) === 0) return out;
      const plan = planBroadcast(a.shape, b.shape, outShape);
      addon.binary(
        heapBuffer(backend),
        op,
        heapOffset(backend, a),
        heapOffset(backend, b),
        heapOffset(backend, out),
        plan.shape,
        plan.aStrides,
        plan.bStrides,
      );
      return out;
    },
  };
}

export const unaryKernels: NativeKernel[] = (Object.keys(UNARY_OPS) as (keyof typeof UNARY_OPS)[]).map(unaryKernel);
export const binaryKernels: NativeKernel[] = (Object.keys(BINARY_OPS) as (keyof typeof BINARY_OPS)[]).map(binaryKernel);
