/**
 * Every native kernel against the stock tfjs wasm kernel it replaces: shapes, transposes,
 * broadcasting, size-0 and size-1 edges. Skipped (not passed) where the addon is not built; set
 * RLHFJS_NATIVE_KERNELS_REQUIRED=1 to make a missing addon fail instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { startWasmBackend } from './testing';
import {
  installNativeKernels,
  nativeKernelCounts,
  nativeKernelsAvailable,
  uninstallNativeKernels,
} from './index';

const available = nativeKernelsAvailable();
if (!available.ok && process.env.RLHFJS_NATIVE_KERNELS_REQUIRED === '1') {
  throw new Error(`RLHFJS_NATIVE_KERNELS_REQUIRED=1 but ${available.reason}`);
}
const describeNative = available.ok ? describe : describe.skip;

beforeAll(async () => {
  await startWasmBackend(tf);
});

afterEach(() => uninstallNativeKernels(tf));

/** Deterministic values in [-2, 2) without tf.random (which differs by backend). */
function values(shape: number[], seed: number, positive = false): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 4294967296;
    v[i] = positive ? 0.05 + 3 * u : 4 * u - 2;
  }
  return tf.tensor(v, shape, 'float32');
}

interface Result {
  shape: number[];
  data: Float32Array;
}

function read(t: tf.Tensor): Result {
  return { shape: t.shape, data: t.dataSync() as Float32Array };
}

/** Runs fn with the stock kernels, then with the named native kernels, and checks the native path ran. */
function stockThenNative(kernels: string[], fn: () => tf.Tensor): { stock: Result; native: Result } {
  uninstallNativeKernels(tf);
  const stock = tf.tidy(() => read(fn()));
  expect(installNativeKernels(tf, { kernels }).installed).toEqual(kernels);
  nativeKernelCounts(true);
  const native = tf.tidy(() => read(fn()));
  const ran = nativeKernelCounts(true).native;
  expect(kernels.some((k) => (ran[k] ?? 0) > 0)).toBe(true);
  uninstallNativeKernels(tf);
  return { stock, native };
}

function expectClose(actual: Result, expected: Result, rtol = 2e-6, atol = 1e-6): void {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.data.length).toBe(expected.data.length);
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      expect(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))).toBe(true);
      continue;
    }
    const tol = atol + rtol * Math.abs(e);
    if (!(Math.abs(a - e) <= tol)) {
      throw new Error(`element ${i}: native ${a} vs stock ${e} (|diff| ${Math.abs(a - e)} > ${tol})`);
    }
  }
}

describeNative('BatchMatMul', () => {
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['2-D', [3, 4], [4, 5], false, false],
    ['2-D, transposeA', [4, 3], [4, 5], true, false],
    ['2-D, transposeB', [3, 4], [5, 4], false, true],
    ['2-D, both transposed', [4, 3], [5, 4], true, true],
    ['batched 3-D', [2, 3, 4], [2, 4, 5], false, false],
    ['batched, both transposed', [2, 4, 3], [2, 5, 4], true, true],
    ['4-D attention scores, transposeB', [2, 3, 8, 4], [2, 3, 8, 4], false, true],
    ['one weight matrix for a batch (merged gemm)', [3, 6, 4], [4, 5], false, false],
    ['one weight matrix, transposeB', [3, 6, 4], [5, 4], false, true],
    ['one weight matrix, transposeA (not merged)', [3, 4, 6], [4, 5], true, false],
    ['batch broadcast from 1', [1, 3, 4], [2, 4, 5], false, false],
    ['batch broadcast of a', [2, 3, 4], [1, 4, 5], false, false],
    ['1x1 matrices', [1, 1], [1, 1], false, false],
    ['vector-like rows', [5, 1, 7], [5, 7, 1], false, false],
  ];
  it.each(cases)('%s: %j x %j', (_label, aShape, bShape, ta, tb) => {
    const { stock, native } = stockThenNative(['BatchMatMul'], () =>
      tf.matMul(values(aShape, 1), values(bShape, 2), ta, tb),
    );
    expectClose(native, stock, 1e-5, 1e-5);
  });

  it('broadcasts batch dims both ways ([2,1] with [1,3]) like an explicit tile', () => {
    const a = () => values([2, 1, 3, 4], 3);
    const b = () => values([1, 3, 4, 5], 4);
    uninstallNativeKernels(tf);
    const expected = tf.tidy(() => read(tf.matMul(tf.tile(a(), [1, 3, 1, 1]), tf.tile(b(), [2, 1, 1, 1]))));
    installNativeKernels(tf, { kernels: ['BatchMatMul'] });
    const actual = tf.tidy(() => read(tf.matMul(a(), b())));
    expect(actual.shape).toEqual([2, 3, 3, 5]);
    expectClose(actual, expected, 1e-5, 1e-5);
  });

  it('returns empty results for a zero-sized side and zeros for an empty inner dimension', () => {
    const zeroRows = stockThenNative(['BatchMatMul'], () => tf.matMul(tf.zeros([0, 4]), values([4, 5], 5)));
    expect(zeroRows.native.shape).toEqual([0, 5]);
    expect(zeroRows.native.data.length).toBe(0);
    installNativeKernels(tf, { kernels: ['BatchMatMul'] });
    const emptyInner = tf.tidy(() => read(tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 2]))));
    expect(emptyInner.shape).toEqual([3, 2]);
    expect(Array.from(emptyInner.data)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('matches a hand-worked product', () => {
    installNativeKernels(tf, { kernels: ['BatchMatMul'] });
    const out = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]), false, true).arraySync());
    // [1,2]·[5,6]=17, [1,2]·[7,8]=23, [3,4]·[5,6]=39, [3,4]·[7,8]=53
    expect(out).toEqual([[17, 23], [39, 53]]);
  });

  it('keeps the stock error for mismatched inner dimensions', () => {
    installNativeKernels(tf, { kernels: ['BatchMatMul'] });
    expect(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 2]))).toThrow(/inner shapes/);
  });
});

describeNative('unary kernels', () => {
  const ops: [string, (x: tf.Tensor) => tf.Tensor, boolean][] = [
    ['Exp', tf.exp, false],
    ['Tanh', tf.tanh, false],
    ['Log', tf.log, true],
    ['Neg', tf.neg, false],
    ['Sqrt', tf.sqrt, true],
    ['Rsqrt', tf.rsqrt, true],
    ['Square', tf.square, false],
    ['Sigmoid', tf.sigmoid, false],
    ['Relu', tf.relu, false],
    ['Abs', tf.abs, false],
    ['Reciprocal', tf.reciprocal, true],
  ];
  it.each(ops)('%s over shapes [1000], [3,7], [1], [] and []-sized', (name, op, positive) => {
    for (const shape of [[1000], [3, 7], [1], []]) {
      const { stock, native } = stockThenNative([name], () => op(values(shape, shape.length + 11, positive)));
      expectClose(native, stock, 4e-6, 1e-7);
    }
    const empty = stockThenNative([name], () => op(tf.add(tf.zeros([0, 3]), 1)));
    expect(empty.native.shape).toEqual([0, 3]);
  });

  it('Exp and Tanh agree with stock at the extremes (overflow, underflow, saturation)', () => {
    const xs = [-200, -103, -88, -20, -1e-6, 0, 1e-6, 0.3, 9, 20, 88, 88.7, 89, 200];
    for (const [name, op] of [['Exp', tf.exp], ['Tanh', tf.tanh]] as const) {
      const { stock, native } = stockThenNative([name], () => op(tf.tensor1d(xs)));
      expectClose(native, stock, 4e-6, 1e-30);
    }
  });

  it('Exp, Tanh and Sigmoid stay within a few ulp of stock over a dense sweep of their range', () => {
    // the native versions are branch-free polynomials (so they vectorize), not libm calls
    const sweep = (lo: number, hi: number) => tf.linspace(lo, hi, 40001);
    for (const [name, op, lo, hi] of [['Exp', tf.exp, -103, 88.7], ['Tanh', tf.tanh, -12, 12], ['Sigmoid', tf.sigmoid, -30, 30]] as const) {
      const { stock, native } = stockThenNative([name], () => op(sweep(lo, hi)));
      expectClose(native, stock, 1e-6, 1e-38);
    }
  });

  it('hands int32 inputs to the stock kernel', () => {
    installNativeKernels(tf, { kernels: ['Neg', 'Abs'] });
    nativeKernelCounts(true);
    const out = tf.tidy(() => tf.abs(tf.neg(tf.tensor1d([3, -4], 'int32'))).arraySync());
    expect(out).toEqual([3, 4]);
    expect(nativeKernelCounts(true).stock).toEqual({ Neg: 1, Abs: 1 });
  });
});

describeNative('broadcast binary kernels', () => {
  const shapes: [number[], number[]][] = [
    [[4, 5], [4, 5]],
    [[2, 3, 4], [4]],
    [[4], [2, 3, 4]],
    [[2, 3, 4], [3, 1]],
    [[2, 1, 4], [1, 3, 1]],
    [[16, 4, 8, 8], [8, 8]],
    [[2, 3], []],
    [[], [2, 3]],
    [[1], []],
    [[1, 1, 1], [1]],
    [[0, 3], [1, 3]],
  ];
  const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, boolean][] = [
    ['Add', tf.add, false],
    ['Sub', tf.sub, false],
    ['Multiply', tf.mul, false],
    ['RealDiv', tf.div, true],
    ['Maximum', tf.maximum, false],
    ['Minimum', tf.minimum, false],
    ['SquaredDifference', tf.squaredDifference, false],
  ];
  it.each(ops)('%s over same-shape, trailing, middle, two-way, scalar and empty broadcasts', (name, op, positiveB) => {
    for (const [aShape, bShape] of shapes) {
      const { stock, native } = stockThenNative([name], () => op(values(aShape, 5), values(bShape, 9, positiveB)));
      expectClose(native, stock);
    }
  });

  it('divides by zero to ±Infinity and 0/0 to NaN like stock', () => {
    const { stock, native } = stockThenNative(['RealDiv'], () => tf.div(tf.tensor1d([1, -1, 0]), tf.tensor1d([0, 0, 0])));
    expect(Array.from(native.data)).toEqual([Infinity, -Infinity, NaN]);
    expectClose(native, stock);
  });

  it('keeps the stock error for incompatible shapes', () => {
    installNativeKernels(tf, { kernels: ['Add'] });
    expect(() => tf.add(tf.zeros([2, 3]), tf.zeros([4]))).toThrow(/broadcast/i);
  });
});

describeNative('reductions', () => {
  const cases: [number[], number | number[] | null, boolean][] = [
    [[4, 37], -1, false],
    [[4, 37], 0, false],
    [[3, 5, 6], 1, false],
    [[3, 5, 6], [0, 1], true],
    [[3, 5, 6], [1, 2], false],
    [[3, 5, 6], null, false],
    [[3, 1, 6], [0, 1], false],
    [[1, 9], 1, true],
    [[7], 0, true],
    [[1], 0, false],
  ];
  const ops: [string, (x: tf.Tensor, axis: number | number[] | null, keep: boolean) => tf.Tensor][] = [
    ['Sum', (x, a, k) => tf.sum(x, a ?? undefined, k)],
    ['Max', (x, a, k) => tf.max(x, a ?? undefined, k)],
    ['Min', (x, a, k) => tf.min(x, a ?? undefined, k)],
    ['Mean', (x, a, k) => tf.mean(x, a ?? undefined, k)],
  ];
  it.each(ops)('%s over inner, outer, middle, several and all axes, keepDims', (name, op) => {
    for (const [shape, axis, keep] of cases) {
      const { stock, native } = stockThenNative([name], () => op(values(shape, 21), axis, keep));
      expectClose(native, stock, 1e-5, 1e-6);
    }
  });

  it('hands non-contiguous axes ([0, 2] of a 3-D tensor) to the stock kernel', () => {
    uninstallNativeKernels(tf);
    const stock = tf.tidy(() => read(tf.sum(values([3, 4, 5], 8), [0, 2])));
    installNativeKernels(tf, { kernels: ['Sum'] });
    nativeKernelCounts(true);
    const native = tf.tidy(() => read(tf.sum(values([3, 4, 5], 8), [0, 2])));
    expect(nativeKernelCounts(true)).toEqual({ native: {}, stock: { Sum: 1 } });
    expectClose(native, stock);
  });

  it('sums an empty axis to zeros and matches hand-worked values', () => {
    installNativeKernels(tf, { kernels: ['Sum', 'Mean', 'Max'] });
    expect(tf.tidy(() => tf.sum(tf.zeros([0, 3]), 0).arraySync())).toEqual([0, 0, 0]);
    const x = () => tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    expect(tf.tidy(() => tf.sum(x(), 1).arraySync())).toEqual([6, 15]);
    expect(tf.tidy(() => tf.mean(x(), 0).arraySync())).toEqual([2.5, 3.5, 4.5]);
    expect(tf.tidy(() => tf.max(x(), 1, true).arraySync())).toEqual([[3], [6]]);
  });
});

describeNative('Identity', () => {
  it('shares data without a copy and keeps it alive until the last reference goes', () => {
    installNativeKernels(tf, { kernels: ['Identity'] });
    const before = tf.memory().numDataBuffers;
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    expect(tf.memory().numDataBuffers - before).toBe(1); // one buffer for both tensors
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(before);
  });

  it('trains the same through gradients that pass Identity', () => {
    // d/dx sum(clone(x) * x) = 2x
    const grad = () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.clone(x), x)))(values([6], 4));
    const { stock, native } = stockThenNative(['Identity'], grad);
    expectClose(native, stock);
    const twice = tf.tidy(() => read(tf.mul(values([6], 4), 2)));
    expectClose(native, twice);
  });
});

describeNative('copy kernels (Slice, SplitV, Concat, Transpose) and Cast', () => {
  it('Slice over inner, outer and middle regions, int32, and empty sizes', () => {
    const cases: [number[], number[], number[]][] = [
      [[6, 9], [1, 2], [3, 4]],
      [[6, 9], [0, 3], [-1, 3]],
      [[4, 5, 6], [1, 0, 2], [2, 5, 3]],
      [[4, 5, 6], [0, 2, 0], [4, 1, 6]],
      [[7], [3], [4]],
      [[3, 4], [1, 1], [0, 2]],
    ];
    for (const [shape, begin, size] of cases) {
      const { stock, native } = stockThenNative(['Slice'], () => tf.slice(values(shape, 2), begin, size));
      expectClose(native, stock, 0, 0);
    }
    installNativeKernels(tf, { kernels: ['Slice'] });
    const ints = tf.tidy(() => tf.slice(tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32'), [0, 1], [2, 2]).arraySync());
    expect(ints).toEqual([[2, 3], [5, 6]]);
  });

  it('SplitV into equal parts and given sizes along each axis', () => {
    for (const [shape, splits, axis] of [[[6, 12], 3, 1], [[6, 12], [1, 2, 3], 0], [[2, 3, 8], [5, 0, 3], 2]] as [number[], number | number[], number][]) {
      uninstallNativeKernels(tf);
      const stock = tf.tidy(() => tf.split(values(shape, 3), splits, axis).map(read));
      installNativeKernels(tf, { kernels: ['SplitV'] });
      nativeKernelCounts(true);
      const native = tf.tidy(() => tf.split(values(shape, 3), splits, axis).map(read));
      expect(nativeKernelCounts(true).native.SplitV).toBe(1);
      expect(native.length).toBe(stock.length);
      native.forEach((n, i) => expectClose(n, stock[i], 0, 0));
    }
  });

  it('Concat along each axis, with an empty input and int32', () => {
    const cases: [number[][], number][] = [
      [[[2, 3], [2, 5]], 1],
      [[[2, 3], [4, 3], [1, 3]], 0],
      [[[2, 3, 4], [2, 1, 4], [2, 0, 4]], 1],
      [[[3], [2]], 0],
    ];
    for (const [shapes, axis] of cases) {
      const { stock, native } = stockThenNative(['Concat'], () => tf.concat(shapes.map((s, i) => values(s, 30 + i)), axis));
      expectClose(native, stock, 0, 0);
    }
    installNativeKernels(tf, { kernels: ['Concat'] });
    const ints = tf.tidy(() => tf.concat([tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3], 'int32')]).arraySync());
    expect(ints).toEqual([1, 2, 3]);
  });

  it('Transpose with the permutations of attention heads, matrices and reversals', () => {
    const cases: [number[], number[]][] = [
      [[3, 5], [1, 0]],
      [[2, 6, 4, 3], [0, 2, 1, 3]],
      [[2, 4, 6, 3], [0, 2, 1, 3]],
      [[2, 3, 4], [2, 1, 0]],
      [[2, 3, 4], [0, 1, 2]],
      [[1, 5, 1], [2, 1, 0]],
      [[0, 3], [1, 0]],
    ];
    for (const [shape, perm] of cases) {
      const { stock, native } = stockThenNative(['Transpose'], () => tf.transpose(values(shape, 6), perm));
      expectClose(native, stock, 0, 0);
    }
  });

  it('Cast int32 and bool to float32, float32 to int32 (truncating), and same-dtype without a copy', () => {
    const xs = [-3.7, -0.5, 0, 0.9, 2.5, 1e10, -1e10, NaN, Infinity];
    const { stock, native } = stockThenNative(['Cast'], () => tf.cast(tf.tensor1d(xs), 'int32'));
    expect(Array.from(native.data)).toEqual(Array.from(stock.data));
    expect(Array.from(native.data).slice(0, 5)).toEqual([-3, 0, 0, 0, 2]);
    const fromInt = stockThenNative(['Cast'], () => tf.cast(tf.tensor1d([-7, 0, 123456789], 'int32'), 'float32'));
    expectClose(fromInt.native, fromInt.stock, 0, 0);
    const fromBool = stockThenNative(['Cast'], () => tf.cast(tf.tensor1d([1, 0, 1, 1, 0], 'bool'), 'float32'));
    expect(Array.from(fromBool.native.data)).toEqual([1, 0, 1, 1, 0]);
    installNativeKernels(tf, { kernels: ['Cast'] });
    const before = tf.memory().numDataBuffers;
    const x = tf.tensor1d([1, 2]);
    const y = tf.cast(x, 'float32');
    expect(tf.memory().numDataBuffers - before).toBe(1);
    tf.dispose([x, y]);
    // to bool is x != 0 as on the cpu backend (stock wasm wraps modulo 256: 256 -> 0, -1 -> 255)
    expect(tf.tidy(() => Array.from(tf.cast(tf.tensor1d([0, 2, -1, 256, 0.25]), 'bool').dataSync()))).toEqual([0, 1, 1, 1, 1]);
    expect(tf.tidy(() => Array.from(tf.cast(tf.tensor1d([0, 7, 256], 'int32'), 'bool').dataSync()))).toEqual([0, 1, 1]);
    nativeKernelCounts(true);
    expect(tf.tidy(() => tf.cast(tf.tensor1d([true, false], 'bool'), 'int32').arraySync())).toEqual([1, 0]);
    expect(nativeKernelCounts(true).stock.Cast).toBe(1); // bool to int32 stays stock
  });
});

describeNative('GatherV2', () => {
  const ids = (v: number[], shape = [v.length]) => tf.tensor(v, shape, 'int32');

  it('gathers rows, columns and middle slices with repeated ids, matching stock exactly', () => {
    const cases: [number[], number[], number[], number][] = [
      [[7, 4], [3, 0, 3, 6, 1], [5], 0], // an embedding lookup, with a repeat
      [[7, 4], [2, 2, 5, 0, 1, 6], [2, 3], 0], // ids of rank 2
      [[3, 6], [5, 0, 2], [3], 1], // along the last axis
      [[2, 5, 3], [4, 4, 0], [3], 1], // along a middle axis
      [[5], [4, 0], [2], 0], // a vector
      [[7, 4], [], [0], 0], // no ids
    ];
    for (const [shape, v, idShape, axis] of cases) {
      const { stock, native } = stockThenNative(['GatherV2'], () => tf.gather(values(shape, 11), ids(v, idShape), axis));
      expectClose(native, stock, 0, 0);
    }
    installNativeKernels(tf, { kernels: ['GatherV2'] });
    expect(tf.tidy(() => tf.gather(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), ids([2, 0])).arraySync())).toEqual([[5, 6], [1, 2]]);
  });

  it('throws the stock error for an id outside the table and leaks nothing', () => {
    installNativeKernels(tf, { kernels: ['GatherV2'] });
    const table = values([4, 3], 5);
    const bad = ids([1, 4]);
    const before = tf.memory().numTensors;
    expect(() => tf.gather(table, bad)).toThrow('GatherV2: the index value 4 is not in [0, 3]');
    expect(() => tf.gather(table, ids([-1]))).toThrow('GatherV2: the index value -1 is not in [0, 3]');
    expect(tf.memory().numTensors).toBe(before + 1); // only the second ids tensor
    tf.dispose([table, bad]);
  });

  it('hands batchDims > 0 to the stock kernel', () => {
    const { stock, native } = (() => {
      uninstallNativeKernels(tf);
      const f = () => tf.tidy(() => read(tf.gather(values([2, 4, 3], 8), ids([0, 3, 1, 1], [2, 2]), 1, 1)));
      const s = f();
      installNativeKernels(tf, { kernels: ['GatherV2'] });
      nativeKernelCounts(true);
      const n = f();
      expect(nativeKernelCounts(true).stock.GatherV2).toBe(1);
      return { stock: s, native: n };
    })();
    expectClose(native, stock, 0, 0);
  });
});
