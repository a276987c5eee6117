import { heapBuffer, heapOffset } from '../wasm-internals';
import { type NativeKernel, sizeOf } from './types';

/** Reductions, numbered as `rlhf::ReduceOp` in native/kernels.h. */
export const REDUCE_OPS = { Sum: 0, Max: 1, Min: 2, Mean: 3 } as const;

/**
 * The tensor seen as [outer, reduce, inner] when the reduced axes form one contiguous run once
 * size-1 dims are ignored; null otherwise (the stock kernel, which transposes, handles that).
 */
export function reductionView(shape: readonly number[], axes: readonly number[]): { outer: number; reduce: number; inner: number } | null {
  const reduced = new Set(axes);
  let outer = 1;
  let reduce = 1;
  let inner = 1;
  // 0: before the reduced run, 1: inside it, 2: after it
  let phase = 0;
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    if (reduced.has(d)) {
      if (phase === 2) return null;
      phase = 1;
      reduce *= shape[d];
    } else {
      if (phase === 1) phase = 2;
      if (phase === 0) outer *= shape[d];
      else inner *= shape[d];
    }
  }
  return { outer, reduce, inner };
}

function reduceKernel(kernelName: keyof typeof REDUCE_OPS): NativeKernel {
  const op = REDUCE_OPS[kernelName];
  return {
    kernelName,
    run({ inputs, backend, attrs }, addon, tf) {
      const { x } = inputs;
      if (x.dtype !== 'float32') return null;
      // Max names its axes `reductionIndices`, the others `axis`
      const axisAttr = (kernelName === 'Max' ? attrs.reductionIndices : attrs.axis) as number | number[];
      const axes = tf.util.parseAxisParam(axisAttr, x.shape);
      const view = reductionView(x.shape, axes);
      if (view === null) return null;
      const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, [...axes].sort((p, q) => p - q));
      const finalShape = attrs.keepDims === true ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
      const out = backend.makeOutput(finalShape, 'float32');
      if (sizeOf(finalShape) === 0) return out;
      addon.reduce(heapBuffer(backend), op, heapOffset(backend, x), heapOffset(backend, out), view.outer, view.reduce, view.inner);
      return out;
    },
  };
}

export const reduceKernels: NativeKernel[] = (Object.keys(REDUCE_OPS) as (keyof typeof REDUCE_OPS)[]).map(reduceKernel);
