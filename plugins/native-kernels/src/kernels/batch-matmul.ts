import { heapBuffer, heapOffset } from '../wasm-internals';
import { type NativeKernel, sizeOf } from './types';

/**
 * For every output batch (row-major over the broadcast batch shape), the batch index of an operand
 * whose own batch shape is `own` (already left-padded to the output's rank). Returns null when the
 * operand's batches line up one to one (index = output batch) or it has a single batch.
 */
export function batchIndex(own: readonly number[], out: readonly number[]): Int32Array | null {
  const ownSize = sizeOf(own);
  const outSize = sizeOf(out);
  if (ownSize === outSize || ownSize === 1) return null;
  const idx = new Int32Array(outSize);
  const rank = out.length;
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < outSize; i++) {
    let flat = 0;
    for (let d = 0; d < rank; d++) flat = flat * own[d] + (own[d] === 1 ? 0 : coord[d]);
    idx[i] = flat;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d] < out[d]) break;
      coord[d] = 0;
    }
  }
  return idx;
}

function padLeft(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - shape.length).fill(1), ...shape];
}

/** BatchMatMul through OpenBLAS sgemm: BLAS applies the transposes, batch dims broadcast fully. */
export const batchMatMulKernel: NativeKernel = {
  kernelName: 'BatchMatMul',
  run({ inputs, backend, attrs }, addon, tf) {
    const { a, b } = inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    if (a.shape.length < 2 || b.shape.length < 2) return null;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const kA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (kA !== kB) return null; // the stock kernel raises tfjs's own error message
    const k = kA;
    const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = backend.makeOutput([...outBatch, m, n], 'float32');
    const batch = sizeOf(outBatch);
    if (batch * m * n === 0) return out;

    const rank = outBatch.length;
    const aBatch = padLeft(a.shape.slice(0, -2), rank);
    const bBatch = padLeft(b.shape.slice(0, -2), rank);
    const aCount = sizeOf(aBatch);
    const bCount = sizeOf(bBatch);
    const heap = heapBuffer(backend);
    const aOff = heapOffset(backend, a);
    const bOff = heapOffset(backend, b);
    const outOff = heapOffset(backend, out);
    if (bCount === 1 && !transposeA && aCount === batch) {
      // one weight matrix for every batch: a single [batch*m, k] x [k, n] product
      addon.batchMatMul(heap, aOff, bOff, outOff, 1, batch * m, n, k, false, transposeB, 0, 0, null, null);
      return out;
    }
    addon.batchMatMul(
      heap,
      aOff,
      bOff,
      outOff,
      batch,
      m,
      n,
      k,
      transposeA,
      transposeB,
      aCount === 1 ? 0 : m * k,
      bCount === 1 ? 0 : k * n,
      batchIndex(aBatch, outBatch),
      batchIndex(bBatch, outBatch),
    );
    return out;
  },
};
