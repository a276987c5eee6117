/**
 * With the addon unavailable (RLHFJS_NATIVE_KERNELS=off stands in for a failed build), nothing
 * throws: availability says why and how to turn the kernels on, installing is a no-op that says
 * the same, and tfjs keeps its stock kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { startWasmBackend } from './testing';
import { resetAddonCacheForTests } from './addon';
import { adam, entropy, entropyComposed, geluTanh, geluTanhComposed, installNativeKernels, installedNativeKernels, layerNorm, layerNormComposed, nativeBlasInfo, nativeKernelsAvailable, NativeKernelsError, NATIVE_KERNEL_NAMES, tokenLogprobs, tokenLogprobsComposed } from './index';

const FIX = 'to turn them on: apt-get install libopenblas-dev g++ make python3 && npm rebuild @rlhfjs/native-kernels';
let saved: string | undefined;

beforeAll(async () => {
  await startWasmBackend(tf);
  saved = process.env.RLHFJS_NATIVE_KERNELS;
  process.env.RLHFJS_NATIVE_KERNELS = 'off';
  resetAddonCacheForTests();
});

afterAll(() => {
  if (saved === undefined) delete process.env.RLHFJS_NATIVE_KERNELS;
  else process.env.RLHFJS_NATIVE_KERNELS = saved;
  resetAddonCacheForTests();
});

describe('native kernels unavailable', () => {
  it('reports off with the reason and the fix, without throwing', () => {
    expect(nativeKernelsAvailable()).toEqual({
      ok: false,
      reason: `native kernels are off: RLHFJS_NATIVE_KERNELS=off is set; ${FIX}`,
    });
    expect(nativeBlasInfo()).toBeNull();
  });

  it('installs nothing, says why, and leaves the stock kernels registered', () => {
    const before = NATIVE_KERNEL_NAMES.map((n) => tf.getKernel(n, 'wasm')?.kernelFunc);
    const result = installNativeKernels(tf);
    expect(result.installed).toEqual([]);
    expect(result.reason).toContain('RLHFJS_NATIVE_KERNELS=off');
    expect(result.reason).toContain(FIX);
    expect(NATIVE_KERNEL_NAMES.map((n) => tf.getKernel(n, 'wasm')?.kernelFunc)).toEqual(before);
    expect(installedNativeKernels(tf)).toEqual([]);
  });

  it('still computes with the stock kernels', () => {
    const out = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).arraySync());
    expect(out).toEqual([[19, 22], [43, 50]]);
  });

  it('runs the fused ops and the Adam optimizer as their stock-op versions', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([[0.5, -1, 2], [1, 0, -0.25]]);
      expect(Array.from(geluTanh(tf, x).dataSync())).toEqual(Array.from(geluTanhComposed(tf, x).dataSync()));
      const g = tf.ones([3]);
      const b = tf.zeros([3]);
      expect(Array.from(layerNorm(tf, x, g, b).dataSync())).toEqual(Array.from(layerNormComposed(tf, x, g, b).dataSync()));
      const t = tf.tensor1d([2, 0], 'int32');
      expect(Array.from(tokenLogprobs(tf, x, t).dataSync())).toEqual(Array.from(tokenLogprobsComposed(tf, x, t).dataSync()));
      expect(Array.from(entropy(tf, x).dataSync())).toEqual(Array.from(entropyComposed(tf, x).dataSync()));
    });
    const w = tf.variable(tf.tensor1d([1, -2]));
    const opt = adam(tf, 0.1);
    opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar, false, [w]);
    // first Adam step moves each weight by lr against the sign of its gradient: [1 - 0.1, -2 + 0.1]
    const moved = Array.from(w.dataSync());
    expect(moved[0]).toBeCloseTo(0.9, 5);
    expect(moved[1]).toBeCloseTo(-1.9, 5);
    opt.dispose();
    w.dispose();
  });

  it('still rejects bad arguments, naming the field and the closest kernel', () => {
    expect(() => installNativeKernels(tf, { kernels: ['BatchMatmul'] })).toThrow(NativeKernelsError);
    expect(() => installNativeKernels(tf, { kernels: ['BatchMatmul'] })).toThrow(/unknown native kernel "BatchMatmul". Did you mean "BatchMatMul"\?/);
    expect(() => installNativeKernels(tf, { threads: 0 })).toThrow(/threads must be an integer/);
  });

  it('reports a missing build in the same words', () => {
    delete process.env.RLHFJS_NATIVE_KERNELS;
    resetAddonCacheForTests();
    const fs = require('node:fs') as typeof import('node:fs');
    // node-gyp-build finds no file in build/Release nor in prebuilds/<platform>-<arch>
    const spy = jest.spyOn(fs, 'readdirSync').mockReturnValue([]);
    try {
      const state = nativeKernelsAvailable();
      expect(state.ok).toBe(false);
      expect(state.reason).toMatch(/^native kernels are off: the addon was not built and no prebuilt binary fits \(No native build was found for platform=\S+ arch=\S+ .*; looked in \S+build.Release and \S+prebuilds\); /);
      expect(state.reason).toContain(FIX);
    } finally {
      spy.mockRestore();
      process.env.RLHFJS_NATIVE_KERNELS = 'off';
      resetAddonCacheForTests();
    }
  });
});
