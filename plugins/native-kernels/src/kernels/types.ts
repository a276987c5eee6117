import type { NativeAddon } from '../addon';
import type { TensorInfo, TF, WasmBackendInternals } from '../wasm-internals';

/** What tfjs passes to a kernel function. */
export interface KernelArgs {
  /** Named inputs; Concat gets an array. */
  inputs: Record<string, TensorInfo>;
  backend: WasmBackendInternals;
  attrs: Record<string, unknown>;
}

/**
 * One native replacement of a tfjs kernel on the wasm backend. `run` returns null for inputs it
 * does not handle (another dtype, an unsupported axis pattern): the stock kernel runs instead.
 */
export interface NativeKernel {
  /** The tfjs kernel name, e.g. 'BatchMatMul'. */
  kernelName: string;
  run(args: KernelArgs, addon: NativeAddon, tf: TF): TensorInfo | TensorInfo[] | null;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major element strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/**
 * Collapses an iteration space walked by two operands with element strides `first` and `second`:
 * size-1 dims go, and a dim merges into the next inner one where, for both operands, stepping it
 * equals stepping the whole inner dim, so the innermost run is as long as possible.
 */
export function collapseDims(shape: readonly number[], first: readonly number[], second: readonly number[]): { shape: Int32Array; first: Int32Array; second: Int32Array } {
  const dims: number[] = [];
  const fs: number[] = [];
  const ss: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && fs[last] === first[d] * shape[d] && ss[last] === second[d] * shape[d]) {
      dims[last] *= shape[d];
      fs[last] = first[d];
      ss[last] = second[d];
    } else {
      dims.push(shape[d]);
      fs.push(first[d]);
      ss.push(second[d]);
    }
  }
  return { shape: Int32Array.from(dims), first: Int32Array.from(fs), second: Int32Array.from(ss) };
}
