import type * as tfc from '@tensorflow/tfjs-core';

/** The tfjs-core namespace, passed in by the caller so that every package shares one engine. */
export type TF = typeof tfc;
export type TensorInfo = tfc.TensorInfo;

/**
 * The parts of tfjs-backend-wasm 4.22's `BackendWasm` that the native kernels use. None of them is
 * public API: `checkWasmInternals` verifies each at install time (and a unit test pins them), so a
 * tfjs upgrade that moves them turns the native kernels off with a reason instead of reading the
 * wrong memory.
 */
export interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: {
    get(dataId: object): { memoryOffset: number; shape: number[]; dtype: string; id: number } | undefined;
    has(dataId: object): boolean;
  };
  makeOutput(shape: number[], dtype: tfc.DataType): TensorInfo;
  incRef(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

function tagOf(x: unknown): string {
  return Object.prototype.toString.call(x).slice(8, -1);
}

/** The wasm backend if it is registered and initialized, without starting an initialization. */
export function initializedWasmBackend(tf: TF): unknown {
  const engine = tf.engine() as unknown as { registry?: Record<string, unknown> };
  return engine.registry?.wasm;
}

/** Byte offset of a tensor's data inside the wasm heap. */
export function heapOffset(backend: WasmBackendInternals, t: TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined) {
    throw new Error('@rlhfjs/native-kernels: a kernel input has no data on the wasm backend');
  }
  return data.memoryOffset;
}

/**
 * The heap to hand to the addon. Read it after every `makeOutput`: an allocation may grow wasm
 * memory, which detaches the previous ArrayBuffer.
 */
export function heapBuffer(backend: WasmBackendInternals): ArrayBuffer {
  return backend.wasm.HEAPU8.buffer as ArrayBuffer;
}

/**
 * Checks that `backend` has every internal the native kernels rely on, then round-trips a small
 * tensor through them: its values must sit in the heap (`wasm.HEAPU8.buffer`) at `dataIdMap.get(dataId).memoryOffset`,
 * and a buffer from `makeOutput` written through the heap must read back through tfjs.
 * Returns a reason when something is off, undefined when all holds.
 */
export function checkWasmInternals(backend: unknown): string | undefined {
  const b = backend as Partial<WasmBackendInternals> | null | undefined;
  if (b == null) return 'the wasm backend is not initialized (await tf.setBackend("wasm") first)';
  const wasm = b.wasm as Partial<WasmBackendInternals['wasm']> | undefined;
  if (wasm == null) return 'tfjs-backend-wasm moved its module: backend.wasm is missing';
  // tag checks rather than instanceof: the heap may come from another realm (jest's vm sandbox)
  const heap = wasm.HEAPU8;
  if (heap === undefined || tagOf(heap) !== 'Uint8Array') return 'backend.wasm.HEAPU8 is not a Uint8Array';
  if (tagOf(heap.buffer) !== 'ArrayBuffer') {
    return 'the wasm heap is a SharedArrayBuffer (threaded wasm build), which the addon does not read';
  }
  if (typeof b.dataIdMap?.get !== 'function') return 'backend.dataIdMap.get is missing';
  for (const fn of ['makeOutput', 'incRef', 'disposeData'] as const) {
    if (typeof b[fn] !== 'function') return `backend.${fn}() is missing`;
  }
  const full = b as WasmBackendInternals & {
    write?(values: Float32Array, shape: number[], dtype: string): object;
    readSync?(dataId: object): ArrayLike<number>;
  };
  if (typeof full.write !== 'function' || typeof full.readSync !== 'function') {
    return 'backend.write() or backend.readSync() is missing';
  }
  const probe = new Float32Array([1.5, -2.25, 3.125]);
  const dataId = full.write(probe, [3], 'float32');
  const made = full.makeOutput([2], 'float32');
  try {
    const data = full.dataIdMap.get(dataId);
    if (data === undefined || typeof data.memoryOffset !== 'number') {
      return 'dataIdMap entries no longer carry memoryOffset';
    }
    const seen = Array.from(new Float32Array(heapBuffer(full), data.memoryOffset, 3));
    if (seen.some((v, i) => v !== probe[i])) {
      return `tensor values are not at memoryOffset in HEAPF32 (saw ${seen.join(', ')})`;
    }
    new Float32Array(heapBuffer(full), heapOffset(full, made), 2).set([7, -8]);
    const back = Array.from(full.readSync(made.dataId));
    if (back[0] !== 7 || back[1] !== -8) {
      return `makeOutput memory written through the heap reads back as ${back.join(', ')}`;
    }
    return undefined;
  } finally {
    full.disposeData(dataId, true);
    full.disposeData(made.dataId, true);
  }
}
