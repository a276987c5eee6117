import type { NativeAddon } from '../addon';
import { heapBuffer, heapOffset, type TensorInfo, type TF, type WasmBackendInternals } from '../wasm-internals';
import { type NativeKernel, collapseDims, sizeOf, stridesOf } from './types';

/** Dtypes whose elements are 4 bytes in the wasm heap: the copy kernels handle these. */
function fourBytes(dtype: string): boolean {
  return dtype === 'float32' || dtype === 'int32';
}

/**
 * Drops size-1 dims and merges a dim into the next inner one where both strides allow, so the
 * innermost run is as long as possible (one memcpy per row).
 */
export function collapseCopy(shape: readonly number[], src: readonly number[], dst: readonly number[]): { shape: Int32Array; src: Int32Array; dst: Int32Array } {
  const c = collapseDims(shape, src, dst);
  return { shape: c.shape, src: c.first, dst: c.second };
}

/** Copies the region shape at `begin` of x into `out` at `outBegin` (all in elements). */
function copyRegion(
  addon: NativeAddon,
  backend: WasmBackendInternals,
  x: TensorInfo,
  begin: readonly number[],
  shape: readonly number[],
  out: TensorInfo,
  outBegin: readonly number[],
): void {
  if (sizeOf(shape) === 0) return;
  const xs = stridesOf(x.shape);
  const os = stridesOf(out.shape);
  let xo = 0;
  let oo = 0;
  for (let d = 0; d < shape.length; d++) {
    xo += begin[d] * xs[d];
    oo += outBegin[d] * os[d];
  }
  const plan = collapseCopy(shape, xs, os);
  addon.stridedCopy(heapBuffer(backend), heapOffset(backend, x) + 4 * xo, heapOffset(backend, out) + 4 * oo, plan.shape, plan.src, plan.dst);
}

export const sliceKernel: NativeKernel = {
  kernelName: 'Slice',
  run({ inputs, backend, attrs }, addon, tf) {
    const { x } = inputs;
    if (!fourBytes(x.dtype)) return null;
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as Parameters<TF['slice_util']['parseSliceParams']>[0], attrs.begin as number[], attrs.size as number[]);
    tf.slice_util.assertParamsValid(x as unknown as Parameters<TF['slice_util']['assertParamsValid']>[0], begin, size);
    const out = backend.makeOutput(size, x.dtype);
    copyRegion(addon, backend, x, begin, size, out, size.map(() => 0));
    return out;
  },
};

export const splitVKernel: NativeKernel = {
  kernelName: 'SplitV',
  run({ inputs, backend, attrs }, addon, tf) {
    const { x } = inputs;
    if (!fourBytes(x.dtype)) return null;
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as Parameters<TF['backend_util']['prepareSplitSize']>[0], attrs.numOrSizeSplits as number[] | number, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const shape = x.shape.slice();
      shape[axis] = s;
      const out = backend.makeOutput(shape, x.dtype);
      copyRegion(addon, backend, x, begin, shape, out, shape.map(() => 0));
      begin[axis] += s;
      return out;
    });
  },
};

export const concatKernel: NativeKernel = {
  kernelName: 'Concat',
  run({ inputs, backend, attrs }, addon, tf) {
    const list = (Array.isArray(inputs) ? inputs : Object.values(inputs)) as TensorInfo[];
    if (list.length === 0 || !list.every((t) => fourBytes(t.dtype) && t.dtype === list[0].dtype)) return null;
    const axis = tf.util.parseAxisParam(attrs.axis as number, list[0].shape)[0];
    const shapes = list.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, axis);
    const outShape = tf.backend_util.computeOutShape(shapes, axis);
    const out = backend.makeOutput(outShape, list[0].dtype);
    const at = new Array<number>(outShape.length).fill(0);
    for (const t of list) {
      copyRegion(addon, backend, t, t.shape.map(() => 0), t.shape, out, at);
      at[axis] += t.shape[axis];
    }
    return out;
  },
};

export const transposeKernel: NativeKernel = {
  kernelName: 'Transpose',
  run({ inputs, backend, attrs }, addon) {
    const { x } = inputs;
    if (!fourBytes(x.dtype)) return null;
    const perm = attrs.perm as number[];
    const outShape = perm.map((p) => x.shape[p]);
    const out = backend.makeOutput(outShape, x.dtype);
    if (sizeOf(outShape) === 0) return out;
    // walk the output in order; read x through its permuted strides
    const xs = stridesOf(x.shape);
    const plan = collapseCopy(outShape, perm.map((p) => xs[p]), stridesOf(outShape));
    addon.stridedCopy(heapBuffer(backend), heapOffset(backend, x), heapOffset(backend, out), plan.shape, plan.src, plan.dst);
    return out;
  },
};

/** Cast kinds, numbered as `rlhf::CastKind` in native/kernels.h. */
const CAST = { int32ToFloat: 0, boolToFloat: 1, floatToInt32: 2, floatToBool: 3, int32ToBool: 4 } as const;

/**
 * Cast: int32/bool to float32, float32 to int32 (truncating like the stock kernel), float32/int32 to
 * bool (x != 0, as on the cpu backend: stock wasm wraps modulo 256, so 256 became false); a cast
 * to the same dtype shares the data. Others (bool to int32, complex64, string) stay stock.
 */
export const castKernel: NativeKernel = {
  kernelName: 'Cast',
  run({ inputs, backend, attrs }, addon) {
    const { x } = inputs;
    const to = attrs.dtype as string;
    if (to === x.dtype && (to === 'float32' || to === 'int32' || to === 'bool')) {
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
    }
    let kind: number;
    if (to === 'float32' && x.dtype === 'int32') kind = CAST.int32ToFloat;
    else if (to === 'float32' && x.dtype === 'bool') kind = CAST.boolToFloat;
    else if (to === 'int32' && x.dtype === 'float32') kind = CAST.floatToInt32;
    else if (to === 'bool' && x.dtype === 'float32') kind = CAST.floatToBool;
    else if (to === 'bool' && x.dtype === 'int32') kind = CAST.int32ToBool;
    else return null;
    const out = backend.makeOutput(x.shape.slice(), to as 'float32' | 'int32' | 'bool');
    const size = sizeOf(x.shape);
    if (size > 0) addon.cast(heapBuffer(backend), kind, heapOffset(backend, x), heapOffset(backend, out), size);
    return out;
  },
};

/**
 * GatherV2 along one axis with batchDims 0 (an embedding lookup): rows of `inner` elements copied
 * by index, every index checked first. An index outside the axis throws the stock kernel's error.
 */
export const gatherKernel: NativeKernel = {
  kernelName: 'GatherV2',
  run({ inputs, backend, attrs }, addon, tf) {
    const { x, indices } = inputs;
    if (!fourBytes(x.dtype) || indices.dtype !== 'int32' || ((attrs.batchDims as number | undefined) ?? 0) !== 0) return null;
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const n = x.shape[axis];
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const out = backend.makeOutput(outShape, x.dtype);
    const count = sizeOf(indices.shape);
    if (count === 0) return out;
    const bad = addon.gather(heapBuffer(backend), heapOffset(backend, x), heapOffset(backend, indices), heapOffset(backend, out), sizeOf(x.shape.slice(0, axis)), n, count, sizeOf(x.shape.slice(axis + 1)));
    if (bad >= 0) {
      const value = new Int32Array(heapBuffer(backend), heapOffset(backend, indices) + 4 * bad, 1)[0];
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${value} is not in [0, ${n - 1}]`);
    }
    return out;
  },
};
