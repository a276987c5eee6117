/**
 * Pins the tfjs-backend-wasm internals the native kernels read. If a tfjs upgrade moves any of
 * them, this fails loudly here (and installNativeKernels turns itself off with the reason).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkWasmInternals, heapBuffer, heapOffset, initializedWasmBackend, type WasmBackendInternals } from './wasm-internals';

beforeAll(async () => {
  require('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  if (tf.getBackend() !== 'wasm') throw new Error(`wasm backend did not start (got ${tf.getBackend()})`);
});

describe('tfjs wasm internals the native kernels rely on', () => {
  it('runs against the tfjs versions the kernels were written for', () => {
    expect(require('@tensorflow/tfjs-backend-wasm/package.json').version).toBe('4.22.0');
    expect(require('@tensorflow/tfjs-core/package.json').version).toBe('4.22.0');
  });

  it('finds the initialized backend in engine().registry without starting one', () => {
    expect(initializedWasmBackend(tf)).toBe(tf.backend());
    expect(tf.backend().constructor.name).toBe('BackendWasm');
  });

  it('reads tensor values in the wasm heap at dataIdMap.get(dataId).memoryOffset', () => {
    const backend = tf.backend() as unknown as WasmBackendInternals;
    expect(Object.prototype.toString.call(backend.wasm.HEAPU8)).toBe('[object Uint8Array]');
    const t = tf.tensor1d([0.5, -1.75, 42]);
    const entry = backend.dataIdMap.get(t.dataId);
    expect(entry).toBeDefined();
    expect(typeof entry?.memoryOffset).toBe('number');
    expect(Array.from(new Float32Array(heapBuffer(backend), heapOffset(backend, t), 3))).toEqual([0.5, -1.75, 42]);
    t.dispose();
  });

  it('has makeOutput, incRef and disposeData with the semantics the kernels use', () => {
    const backend = tf.backend() as unknown as WasmBackendInternals;
    const out = backend.makeOutput([2, 2], 'float32');
    expect(out.shape).toEqual([2, 2]);
    expect(out.dtype).toBe('float32');
    new Float32Array(heapBuffer(backend), heapOffset(backend, out), 4).set([1, 2, 3, 4]);
    const t = tf.engine().makeTensorFromTensorInfo(out);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4]);
    backend.incRef(t.dataId);
    t.dispose(); // one reference left: the data must survive
    expect(backend.dataIdMap.has(out.dataId)).toBe(true);
    expect(backend.disposeData(out.dataId)).toBe(true);
    expect(backend.dataIdMap.has(out.dataId)).toBe(false);
  });

  it('passes every check of checkWasmInternals', () => {
    expect(checkWasmInternals(tf.backend())).toBeUndefined();
  });

  it('registers stock wasm kernels under the names the native kernels replace', () => {
    for (const name of ['BatchMatMul', 'Exp', 'Tanh', 'Sum', 'Max', 'Mean', 'Add', 'Multiply', 'RealDiv', 'Identity']) {
      expect(tf.getKernel(name, 'wasm')?.kernelFunc).toBeInstanceOf(Function);
    }
  });

  it('reports what is missing from a backend that moved its internals', () => {
    expect(checkWasmInternals(undefined)).toMatch(/not initialized/);
    expect(checkWasmInternals({})).toMatch(/backend\.wasm is missing/);
    const backend = tf.backend() as unknown as Record<string, unknown>;
    expect(checkWasmInternals({ wasm: backend.wasm })).toMatch(/dataIdMap/);
    expect(checkWasmInternals({ wasm: backend.wasm, dataIdMap: backend.dataIdMap })).toMatch(/makeOutput/);
    // offsets that do not point at the tensor's values (data stays owned by the real backend)
    const real = (tf.backend() as unknown as WasmBackendInternals).dataIdMap as unknown as {
      get(id: object): { memoryOffset: number };
      set(id: object, v: unknown): void;
      has(id: object): boolean;
    };
    const lying = Object.create(backend) as Record<string, unknown>;
    lying.dataIdMap = {
      get: (id: object) => ({ ...real.get(id), memoryOffset: real.get(id).memoryOffset + 4 }),
      set: (id: object, v: unknown) => real.set(id, v),
      has: (id: object) => real.has(id),
    };
    lying.disposeData = (id: object, force?: boolean) => (tf.backend() as unknown as WasmBackendInternals).disposeData(id, force);
    const numDataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const before = numDataIds();
    expect(checkWasmInternals(lying)).toMatch(/not at memoryOffset/);
    expect(numDataIds()).toBe(before); // the probe buffers were freed

  });
});
