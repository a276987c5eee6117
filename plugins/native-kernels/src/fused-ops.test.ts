/**
 * The fused GELU, LayerNorm, token log-prob and entropy ops: native forward and backward against the same maths from stock
 * ops, hand-worked values, no leaked tensors, and the stock fallback where the kernels are not
 * installed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { startWasmBackend } from './testing';
import { entropy, entropyComposed, geluTanh, geluTanhComposed, installNativeKernels, layerNorm, layerNormComposed, nativeKernelCounts, nativeKernelsAvailable, tokenLogprobs, tokenLogprobsComposed, uninstallNativeKernels } from './index';

const describeNative = nativeKernelsAvailable().ok ? describe : describe.skip;

beforeAll(async () => {
  await startWasmBackend(tf);
});

afterEach(() => uninstallNativeKernels(tf));

function values(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 4294967296) * 8 - 4;
  }
  return tf.tensor(v, shape);
}

function expectClose(a: tf.Tensor, b: tf.Tensor, tol: number): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < y.length; i++) {
    if (!(Math.abs(x[i] - y[i]) <= tol * (1 + Math.abs(y[i])))) throw new Error(`element ${i}: fused ${x[i]} vs composed ${y[i]}`);
  }
}

describeNative('fused ops with native kernels', () => {
  it('geluTanh matches hand-worked values and the composed op, forward and backward', () => {
    installNativeKernels(tf, { kernels: ['FusedGelu'] });
    nativeKernelCounts(true);
    tf.tidy(() => {
      // gelu_new(1) = 0.5 (1 + tanh(0.7978845608 * 1.044715)) = 0.8411920; gelu_new(-1) = -0.1588080
      const y = geluTanh(tf, tf.tensor1d([0, 1, -1])).dataSync();
      expect(y[0]).toBe(0);
      expect(y[1]).toBeCloseTo(0.841192, 5);
      expect(y[2]).toBeCloseTo(-0.158808, 5);
      const x = values([64, 96], 3);
      expectClose(geluTanh(tf, x), geluTanhComposed(tf, x), 2e-6);
      const dy = values([64, 96], 4);
      const fused = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(geluTanh(tf, t), dy)))(x);
      const composed = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(geluTanhComposed(tf, t), dy)))(x);
      expectClose(fused, composed, 1e-5);
    });
    const ran = nativeKernelCounts(true).native;
    expect(ran.RlhfjsGeluTanh).toBeGreaterThan(0);
    expect(ran.RlhfjsGeluTanhGrad).toBe(1);
  });

  it('layerNorm matches hand-worked values and the composed op, with gradients for x, gamma and beta', () => {
    installNativeKernels(tf, { kernels: ['FusedLayerNorm'] });
    nativeKernelCounts(true);
    tf.tidy(() => {
      // [1,2,3]: mean 2, biased var 2/3, so y = (x - 2) / sqrt(2/3 + 1e-5) = [-1.2247357, 0, 1.2247357]
      const y = layerNorm(tf, tf.tensor2d([[1, 2, 3]]), tf.ones([3]), tf.zeros([3])).dataSync();
      expect(y[0]).toBeCloseTo(-1.2247357, 5);
      expect(y[1]).toBeCloseTo(0, 6);
      expect(y[2]).toBeCloseTo(1.2247357, 5);
      const x = values([4, 10, 24], 5);
      const g = values([24], 6);
      const b = values([24], 7);
      expectClose(layerNorm(tf, x, g, b), layerNormComposed(tf, x, g, b), 2e-5);
      const dy = values([4, 10, 24], 8);
      const loss = (op: typeof layerNorm) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(op(tf, xx, gg, bb), dy));
      const fused = tf.grads(loss(layerNorm))([x, g, b]);
      const composed = tf.grads(loss(layerNormComposed))([x, g, b]);
      fused.forEach((t, i) => expectClose(t, composed[i], 5e-5));
    });
    const ran = nativeKernelCounts(true).native;
    expect(ran.RlhfjsLayerNorm).toBeGreaterThan(0);
    expect(ran.RlhfjsLayerNormGrad).toBe(1);
  });

  it('tokenLogprobs matches hand-worked values and the composed op, forward and backward', () => {
    installNativeKernels(tf, { kernels: ['FusedTokenLogprobs'] });
    nativeKernelCounts(true);
    tf.tidy(() => {
      // logits [0, ln 3]: softmax [1/4, 3/4], so log p = [ln 0.25, ln 0.75] = [-1.3862944, -0.2876821]
      const logits = tf.tensor2d([[0, Math.log(3)], [0, Math.log(3)]]);
      const lp = tokenLogprobs(tf, logits, tf.tensor1d([0, 1], 'int32')).dataSync();
      expect(lp[0]).toBeCloseTo(-1.3862944, 5);
      expect(lp[1]).toBeCloseTo(-0.2876821, 5);
      const x = values([4, 7, 33], 12);
      const t = tf.tensor2d(Array.from({ length: 28 }, (_, i) => (i * 13) % 33), [4, 7], 'int32');
      expectClose(tokenLogprobs(tf, x, t), tokenLogprobsComposed(tf, x, t), 2e-6);
      const w = values([4, 7], 13);
      const fused = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(tokenLogprobs(tf, l, t), w)))(x);
      const composed = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(tokenLogprobsComposed(tf, l, t), w)))(x);
      expectClose(fused, composed, 1e-5);
      // a target outside the vocabulary: log-prob 0 and no gradient, as with one-hot x logSoftmax
      const bad = tf.tensor1d([1, 2], 'int32');
      const l2 = values([2, 2], 14);
      expect(Array.from(tokenLogprobs(tf, l2, bad).dataSync())[1]).toBe(0);
      const g2 = tf.grad((l: tf.Tensor) => tf.sum(tokenLogprobs(tf, l, bad)))(l2).arraySync() as number[][];
      expect(g2[1]).toEqual([0, 0]);
    });
    const ran = nativeKernelCounts(true).native;
    expect(ran.RlhfjsTokenLogprobs).toBeGreaterThan(0);
    expect(ran.RlhfjsTokenLogprobsGrad).toBe(2);
  });

  it('entropy matches hand-worked values and the composed op, forward and backward, with suppressed tokens', () => {
    installNativeKernels(tf, { kernels: ['FusedEntropy'] });
    nativeKernelCounts(true);
    tf.tidy(() => {
      // uniform over 4: ln 4; p = [1/4, 3/4]: −(¼ ln ¼ + ¾ ln ¾) = 0.5623351; one token left: 0
      const h = entropy(tf, tf.tensor2d([[0, 0, 0, 0], [0, Math.log(3), -1e9, -1e9], [2, -1e9, -1e9, -1e9]])).dataSync();
      expect(h[0]).toBeCloseTo(Math.log(4), 5);
      expect(h[1]).toBeCloseTo(0.5623351, 5);
      expect(h[2]).toBeCloseTo(0, 6);
      // a vocabulary that is not a multiple of 8, large logits, and columns pushed to −1e9
      const x = tf.add(tf.mul(values([3, 5, 37], 21), 4), tf.mul(tf.tensor1d(Array.from({ length: 37 }, (_, i) => (i % 9 === 4 ? -1e9 : 0))), 1));
      expectClose(entropy(tf, x), entropyComposed(tf, x), 2e-6);
      const w = values([3, 5], 22);
      const fused = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(entropy(tf, l), w)))(x);
      const composed = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(entropyComposed(tf, l), w)))(x);
      expectClose(fused, composed, 1e-5);
      // the gradient sums to zero over each row (shifting every logit leaves the entropy unchanged)
      const rowSums = tf.sum(fused, -1).dataSync();
      rowSums.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-5));
    });
    const ran = nativeKernelCounts(true).native;
    expect(ran.RlhfjsEntropy).toBe(3);
    expect(ran.RlhfjsEntropyGrad).toBe(1);
  });

  it('leaks no tensors through the forward and backward passes', () => {
    installNativeKernels(tf, { kernels: ['FusedGelu', 'FusedLayerNorm', 'FusedTokenLogprobs', 'FusedEntropy'] });
    const x = values([8, 16], 9);
    const g = tf.ones([16]);
    const b = tf.zeros([16]);
    const before = tf.memory().numTensors;
    const t = tf.tensor1d([3, 0, 15, 7, 7, 1, 2, 9], 'int32');
    const before2 = tf.memory().numTensors;
    const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
      const y = geluTanh(tf, layerNorm(tf, xx, gg, bb));
      return tf.add(tf.sum(tokenLogprobs(tf, y, t)), tf.sum(entropy(tf, y)));
    })([x, g, b]);
    tf.dispose(grads);
    expect(tf.memory().numTensors).toBe(before2);
    expect(before2).toBe(before + 1);
    tf.dispose([x, g, b, t]);
  });

  it('falls back to stock ops when the fused kernels are not installed or shapes do not fit', () => {
    installNativeKernels(tf, { kernels: ['Exp'] });
    nativeKernelCounts(true);
    tf.tidy(() => {
      const x = values([5, 6], 10);
      expectClose(geluTanh(tf, x), geluTanhComposed(tf, x), 0);
      expectClose(layerNorm(tf, x, tf.ones([6]), tf.zeros([6])), layerNormComposed(tf, x, tf.ones([6]), tf.zeros([6])), 0);
      expectClose(entropy(tf, x), entropyComposed(tf, x), 0);
    });
    const ran = nativeKernelCounts(true).native;
    expect(ran.RlhfjsGeluTanh).toBeUndefined();
    expect(ran.RlhfjsEntropy).toBeUndefined();
    expect(ran.Exp).toBeGreaterThan(0); // the composed ops ran, on the one native kernel installed
    installNativeKernels(tf, { kernels: ['FusedLayerNorm'] });
    nativeKernelCounts(true);
    tf.tidy(() => {
      const x = values([5, 6], 11);
      // a gamma of shape [1, 6] is not the fused kernel's [d]: composed maths, same result
      expectClose(layerNorm(tf, x, tf.ones([1, 6]), tf.zeros([6])), layerNormComposed(tf, x, tf.ones([1, 6]), tf.zeros([6])), 0);
    });
    expect(nativeKernelCounts(true).native.RlhfjsLayerNorm).toBeUndefined();
  });
});
