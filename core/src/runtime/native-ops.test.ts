/**
 * A machine where @rlhfjs/native-kernels is not installed at all (npm drops an optional dependency
 * whose build failed): the runtime says so in one line and runs on stock wasm, `require` is a
 * recipe error, and the native-op door hands every plugin the stock formulation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createTensorRuntime } from './backend';
import { adamOptimizer, fusedOps, nativeKernelActive } from './native-ops';
import { DiagnosticError } from '../diagnostics';

jest.mock('@rlhfjs/native-kernels', () => {
  const err = new Error("Cannot find module '@rlhfjs/native-kernels' from 'core/src/runtime/backend.ts'") as NodeJS.ErrnoException;
  err.code = 'MODULE_NOT_FOUND';
  throw err;
});

describe('native kernels package not installed', () => {
  it('runs on stock wasm and says once, in one line, that the kernels are off and how to turn them on', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const rt = await createTensorRuntime({ backend: 'wasm', nativeKernels: 'allow' });
      expect(rt.backend).toBe('wasm');
      expect(rt.nativeKernels).toEqual([]);
      await createTensorRuntime({ backend: 'wasm' });
    } finally {
      spy.mockRestore();
    }
    const notices = lines.filter((l) => l.includes('native kernels are off'));
    expect(notices).toEqual([
      'native kernels are off: @rlhfjs/native-kernels is not installed; to turn them on: apt-get install libopenblas-dev g++ make python3 && npm rebuild @rlhfjs/native-kernels (stock wasm kernels are used)\n',
    ]);
  });

  it('makes nativeKernels: require a recipe error at /runtime/nativeKernels with the fix', async () => {
    const err = await createTensorRuntime({ backend: 'wasm', nativeKernels: 'require' }).catch((e: unknown) => e);
    expect(DiagnosticError.is(err)).toBe(true);
    const d = (err as DiagnosticError).diagnostics[0];
    expect(d.pointer).toBe('/runtime/nativeKernels');
    expect(d.message).toContain('@rlhfjs/native-kernels is not installed');
    expect(d.fix).toContain('npm rebuild @rlhfjs/native-kernels');
  });

  it('gives plugins the stock formulation: no fused ops, no native kernel, the stock Adam', async () => {
    await createTensorRuntime({ backend: 'wasm', nativeKernels: 'forbid' });
    expect(tf.getBackend()).toBe('wasm');
    expect(fusedOps()).toBeUndefined();
    expect(nativeKernelActive(tf, 'BatchMatMul')).toBe(false);
    const opt = adamOptimizer(tf, 0.1);
    expect(Object.getPrototypeOf(opt)).toBe(tf.AdamOptimizer.prototype);
    const w = tf.variable(tf.tensor1d([1, -2]));
    opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar, false, [w]);
    // Adam's first step moves each weight by lr against the sign of its gradient
    const moved = Array.from(w.dataSync());
    expect(moved[0]).toBeCloseTo(0.9, 5);
    expect(moved[1]).toBeCloseTo(-1.9, 5);
    opt.dispose();
    w.dispose();
  });
});
