/**
 * The GEMM behind the native BatchMatMul, on every path this build and CPU can run (OpenBLAS where
 * linked, the own GEMM's AVX2/FMA, NEON and portable kernels, switched at run time), against the
 * stock tfjs wasm kernel: shapes that cut the packed panels and cache blocks at odd places,
 * transposes, batches, broadcast batches, sizes 0 and 1. Then the thread pool: every GEMM and the
 * large elementwise and row-wise kernels give the same bits on 1, 2 and 3 threads.
 * Skipped (not passed) where the addon is not built; RLHFJS_NATIVE_KERNELS_REQUIRED=1 makes that
 * an error, and RLHF_EXPECT_GEMM=<name> (CI) checks which GEMM the build picked by default.
 */
import * as tf from '@tensorflow/tfjs-core';
import { startWasmBackend } from './testing';
import { adam, geluTanh, installNativeKernels, layerNorm, nativeBlasInfo, nativeKernelCounts, nativeKernelsAvailable, setNativeGemm, setNativeThreads, tokenLogprobs, uninstallNativeKernels } from './index';
import type { GemmName } from './index';

const available = nativeKernelsAvailable();
if (!available.ok && process.env.RLHFJS_NATIVE_KERNELS_REQUIRED === '1') {
  throw new Error(`RLHFJS_NATIVE_KERNELS_REQUIRED=1 but ${available.reason}`);
}
const describeNative = available.ok ? describe : describe.skip;
if (!available.ok) console.log(`gemm.test.ts: skipped, ${available.reason}`);
const gemms: GemmName[] = available.ok ? (nativeBlasInfo()?.gemms ?? []) : [];
const startGemm = available.ok ? nativeBlasInfo()?.gemm : undefined;

beforeAll(async () => {
  await startWasmBackend(tf);
});

afterAll(() => {
  uninstallNativeKernels(tf);
  if (available.ok) {
    setNativeGemm('auto');
    setNativeThreads(1);
  }
});

/** Deterministic values in [-2, 2) without tf.random (which differs by backend). */
function values(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (4 * s) / 4294967296 - 2;
  }
  return tf.tensor(v, shape, 'float32');
}

function stockMatMul(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): { shape: number[]; data: Float32Array } {
  uninstallNativeKernels(tf);
  const out = tf.tidy(() => tf.matMul(a, b, ta, tb));
  const r = { shape: out.shape, data: out.dataSync() as Float32Array };
  out.dispose();
  return r;
}

function nativeMatMul(gemm: GemmName, threads: number, a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): { shape: number[]; data: Float32Array } {
  installNativeKernels(tf, { kernels: ['BatchMatMul'], gemm, threads });
  expect(nativeBlasInfo()?.gemm).toBe(gemm);
  nativeKernelCounts(true);
  const out = tf.tidy(() => tf.matMul(a, b, ta, tb));
  expect(nativeKernelCounts(true).native.BatchMatMul).toBe(1);
  const r = { shape: out.shape, data: out.dataSync() as Float32Array };
  out.dispose();
  return r;
}

/** |native - stock| within float32 rounding of a k-term sum of products of values below 2 in size. */
function expectClose(actual: { shape: number[]; data: Float32Array }, expected: { shape: number[]; data: Float32Array }, k: number): void {
  expect(actual.shape).toEqual(expected.shape);
  const tol = 4 * 2 ** -23 * 4 * Math.max(1, k) + 1e-6;
  for (let i = 0; i < expected.data.length; i++) {
    if (!(Math.abs(actual.data[i] - expected.data[i]) <= tol)) {
      throw new Error(`element ${i}: native ${actual.data[i]} vs stock ${expected.data[i]} (tolerance ${tol})`);
    }
  }
}

// [label, a shape, b shape, transposeA, transposeB]; m, n, k chosen to leave partial micro-tiles
// (MR 4/6/8, NR 8/16), to cross the k block (256), the row block (96) and the column block (512).
const SHAPES: [string, number[], number[], boolean, boolean][] = [];
for (const [m, n, k] of [
  [1, 1, 1],
  [1, 7, 3],
  [5, 1, 9],
  [7, 17, 1],
  [6, 16, 8],
  [13, 33, 29],
  [97, 31, 300],
  [100, 530, 65],
  [3, 600, 513],
]) {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      SHAPES.push([`${m}x${n}x${k}`, ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], ta, tb]);
    }
  }
}
SHAPES.push(
  ['batched', [3, 7, 9], [3, 9, 11], false, false],
  ['batched, both transposed', [3, 9, 7], [3, 11, 9], true, true],
  ['4-D attention scores', [2, 3, 10, 8], [2, 3, 10, 8], false, true],
  ['one weight matrix for a batch', [4, 9, 20], [20, 19], false, false],
  ['one weight matrix, transposeA', [4, 20, 9], [20, 19], true, false],
  ['batch broadcast of a', [1, 5, 6], [3, 6, 7], false, false],
);

describeNative.each(gemms.map((g) => [g]))('GEMM %s', (gemm) => {
  it.each(SHAPES)('%s: %j x %j (transposeA %s, transposeB %s) matches stock wasm', (_label, aShape, bShape, ta, tb) => {
    const a = values(aShape, 11);
    const b = values(bShape, 12);
    const k = ta ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
    expectClose(nativeMatMul(gemm, 1, a, b, ta, tb), stockMatMul(a, b, ta, tb), k);
    a.dispose();
    b.dispose();
  });

  it('broadcasts batch dims both ways ([2,1] with [1,3]) like an explicit tile', () => {
    // the stock kernel is compared on the tiled operands: it does not broadcast both ways itself
    const a = values([2, 1, 5, 6], 13);
    const b = values([1, 3, 6, 7], 14);
    const at = tf.tile(a, [1, 3, 1, 1]);
    const bt = tf.tile(b, [2, 1, 1, 1]);
    expectClose(nativeMatMul(gemm, 1, a, b, false, false), stockMatMul(at, bt, false, false), 6);
    tf.dispose([a, b, at, bt]);
  });

  it('gives empty results for a zero-sized side and zeros for an empty inner dimension', () => {
    installNativeKernels(tf, { kernels: ['BatchMatMul'], gemm });
    const empty = tf.tidy(() => tf.matMul(tf.zeros([0, 4]), values([4, 5], 5)).dataSync());
    expect(empty.length).toBe(0);
    const zeros = tf.tidy(() => tf.matMul(tf.ones([3, 0]), tf.ones([0, 2])).arraySync());
    expect(zeros).toEqual([[0, 0], [0, 0], [0, 0]]);
  });

  it('matches a hand-worked product exactly', () => {
    installNativeKernels(tf, { kernels: ['BatchMatMul'], gemm });
    const out = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), tf.tensor2d([[1, 0], [0, 1], [2, -1]])).arraySync());
    // [1,2,3]·[1,0,2] = 7, [1,2,3]·[0,1,-1] = -1, [4,5,6]·[1,0,2] = 16, [4,5,6]·[0,1,-1] = -1
    expect(out).toEqual([[7, -1], [16, -1]]);
  });

  it.each([
    [[300, 270], [270, 530], false, false],
    [[270, 300], [530, 270], true, true],
    [[6, 100, 130], [6, 150, 130], false, true],
    [[2, 700, 40], [40, 64], false, false],
  ])('gives the same bits on 1, 2 and 3 threads: %j x %j', (aShape, bShape, ta, tb) => {
    const a = values(aShape, 21);
    const b = values(bShape, 22);
    const one = nativeMatMul(gemm, 1, a, b, ta, tb);
    for (const threads of [2, 3]) {
      expect(Buffer.from(nativeMatMul(gemm, threads, a, b, ta, tb).data.buffer).equals(Buffer.from(one.data.buffer))).toBe(true);
    }
    a.dispose();
    b.dispose();
  });
});

describeNative('the thread pool outside GEMM', () => {
  const bytes = (t: tf.Tensor): Buffer => Buffer.from((t.dataSync() as Float32Array).slice().buffer);

  /** A loss through GELU, LayerNorm, broadcast binary ops, Exp and token log-probs, its gradient, and one Adam step. */
  function run(threads: number): Buffer[] {
    installNativeKernels(tf, { threads });
    // above the sizes the kernels split over threads (native/kernels.cc: 2^17 elements)
    const x = values([600, 300], 31);
    const gamma = values([300], 32);
    const beta = values([300], 33);
    const targets = tf.tensor1d(Array.from({ length: 600 }, (_, i) => (i * 37) % 300), 'int32');
    const f = (t: tf.Tensor): tf.Scalar =>
      tf.tidy(() => tf.add(tf.sum(tf.mul(layerNorm(tf, geluTanh(tf, tf.add(t, gamma)), gamma, beta), tf.exp(tf.neg(t)))), tf.sum(tokenLogprobs(tf, t, targets))) as tf.Scalar);
    const { value, grad } = tf.valueAndGrad(f)(x);
    const v = tf.variable(values([700, 200], 34));
    const opt = adam(tf, 0.01);
    opt.minimize(() => tf.tidy(() => tf.sum(tf.square(tf.sub(v, 0.5))) as tf.Scalar));
    const out = [value, grad, v].map(bytes);
    tf.dispose([x, gamma, beta, targets, value, grad, v]);
    opt.dispose();
    return out;
  }

  it('gives the same bits on 1 and 3 threads for GELU, LayerNorm, token log-probs, Adam and broadcast binary ops (forward and gradient)', () => {
    nativeKernelCounts(true);
    const one = run(1);
    const three = run(3);
    const ran = nativeKernelCounts(true).native;
    for (const k of ['RlhfjsGeluTanh', 'RlhfjsGeluTanhGrad', 'RlhfjsLayerNorm', 'RlhfjsLayerNormGrad', 'RlhfjsTokenLogprobs', 'RlhfjsAdamStep', 'Add', 'Multiply', 'Exp']) expect(ran[k] ?? 0).toBeGreaterThan(0);
    for (let i = 0; i < one.length; i++) expect(three[i].equals(one[i])).toBe(true);
  });
});

describeNative('which GEMM runs', () => {
  it('reports the GEMM in use and lists the own portable kernel on every build', () => {
    expect(gemms).toContain('own-scalar');
    if (process.arch === 'x64' && gemms.includes('own-avx2')) expect(gemms).not.toContain('own-neon');
    if (process.env.RLHF_EXPECT_GEMM) expect(startGemm).toBe(process.env.RLHF_EXPECT_GEMM);
    setNativeGemm('own-scalar');
    expect(nativeBlasInfo()?.gemm).toBe('own-scalar');
  });

  it('refuses a GEMM this build or CPU lacks, naming the ones it has', () => {
    const missing = (['openblas', 'own-avx2', 'own-neon'] as const).find((g) => !gemms.includes(g));
    if (missing === undefined) return;
    expect(() => setNativeGemm(missing)).toThrow(new RegExp(`gemm "${missing}" is not available.*available: ${gemms.join(', ')}`, 's'));
  });
});
