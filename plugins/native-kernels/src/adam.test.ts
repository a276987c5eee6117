/**
 * The fused Adam optimizer against tf.train.adam: the same variables, moments and iteration count
 * after several steps, and the stock optimizer itself where the kernel is not installed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { startWasmBackend } from './testing';
import { adam, installNativeKernels, nativeKernelCounts, nativeKernelsAvailable, uninstallNativeKernels } from './index';

const describeNative = nativeKernelsAvailable().ok ? describe : describe.skip;

beforeAll(async () => {
  await startWasmBackend(tf);
});

afterEach(() => uninstallNativeKernels(tf));

/** Runs `steps` updates of a small least-squares problem and returns the variables and optimizer weights. */
async function train(make: () => tf.Optimizer, steps: number): Promise<{ vars: number[][]; weights: number[][]; names: string[] }> {
  const w = tf.variable(tf.tensor2d([[0.5, -1], [2, 0.25], [-0.75, 1.5]]));
  const b = tf.variable(tf.tensor1d([0.1, -0.2]));
  const x = tf.tensor2d([[1, 2, 3], [-1, 0.5, 2], [0, -2, 1], [3, 1, -1]]);
  const y = tf.tensor2d([[1, 0], [0, 1], [1, 1], [-1, 2]]);
  const opt = make();
  for (let i = 0; i < steps; i++) {
    opt.minimize(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar, false, [w, b]);
  }
  const weights = await opt.getWeights();
  const out = {
    vars: [Array.from(w.dataSync()), Array.from(b.dataSync())],
    weights: weights.map((t) => Array.from(t.tensor.dataSync())),
    names: weights.map((t) => t.name),
  };
  opt.dispose();
  tf.dispose([w, b, x, y]);
  return out;
}

function expectAllClose(a: number[][], b: number[][], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => row.forEach((v, j) => {
    if (!(Math.abs(v - b[i][j]) <= tol * (1 + Math.abs(b[i][j])))) throw new Error(`[${i}][${j}]: fused ${v} vs stock ${b[i][j]}`);
  }));
}

describeNative('fused Adam', () => {
  it('matches tf.train.adam: variables, moments, iterations and names after 8 steps', async () => {
    const stock = await train(() => tf.train.adam(0.05, 0.8, 0.95), 8);
    installNativeKernels(tf, { kernels: ['FusedAdam'] });
    nativeKernelCounts(true);
    const fused = await train(() => adam(tf, 0.05, 0.8, 0.95), 8);
    expect(nativeKernelCounts(true).native.RlhfjsAdamStep).toBe(16); // 2 variables x 8 steps
    expectAllClose(fused.vars, stock.vars, 1e-5);
    expectAllClose(fused.weights, stock.weights, 1e-5);
    // <variable name>/m for every variable, then /v (variable names are numbered per process)
    const suffixes = (names: string[]) => names.map((n) => n.replace(/^.*\//, '/'));
    expect(suffixes(fused.names)).toEqual(suffixes(stock.names));
    expect(suffixes(fused.names)).toEqual(['iter', '/m', '/m', '/v', '/v']);
    expect(fused.weights[0]).toEqual([8]); // iterations
    // the variables moved: a bug that skipped the update would leave them at their start
    expect(Math.abs(fused.vars[0][0] - 0.5)).toBeGreaterThan(0.05);
  });

  it('is a tf.AdamOptimizer with the same config, and stock maths where the kernel is not installed', async () => {
    const opt = adam(tf, 0.01);
    expect(opt).toBeInstanceOf(tf.AdamOptimizer);
    expect(opt.getConfig()).toEqual(tf.train.adam(0.01).getConfig());
    opt.dispose();
    const stock = await train(() => tf.train.adam(0.05), 4);
    nativeKernelCounts(true);
    const plain = await train(() => adam(tf, 0.05), 4);
    expect(nativeKernelCounts(true).native.RlhfjsAdamStep).toBeUndefined();
    expect(plain.vars).toEqual(stock.vars);
  });
});
