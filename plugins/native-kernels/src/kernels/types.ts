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
