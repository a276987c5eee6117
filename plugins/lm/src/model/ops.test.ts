import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ensureGradients } from './gradients';
import { embed, gelu, layerNorm, linear, matMul, tokenLogprobs } from './ops';

beforeAll(async () => {
  ensureGradients(tf);
  await tf.setBackend('cpu');
  expect(tf.getBackend()).toBe('cpu');
});

const close = (a: ArrayLike<number>, b: number[], tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  b.forEach((v, i) => expect(Math.abs(a[i] - v)).toBeLessThan(tol));
};

describe('matMul with explicit-transpose gradient', () => {
  it('gives the product and the hand-worked gradients dA = dy·Bᵀ, dB = Aᵀ·dy', () => {
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const b = tf.tensor2d([[5, 6], [7, 8]]);
    close(matMul(tf, a, b).dataSync(), [19, 22, 43, 50]);
    // loss = sum(A·B): dA[i][k] = Σ_j B[k][j] → rows [11, 15]; dB[k][j] = Σ_i A[i][k] → [4, 6] per column
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(matMul(tf, x, y)))([a, b]);
    close(da.dataSync(), [11, 15, 11, 15]);
    close(db.dataSync(), [4, 4, 6, 6]);
  });

  it('matches the stock gradient on batched rank-4 operands', () => {
    const a = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 1);
    const b = tf.randomNormal([2, 3, 5, 6], 0, 1, 'float32', 2);
    const w = tf.randomNormal([2, 3, 4, 6], 0, 1, 'float32', 3);
    const f1 = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matMul(tf, x, y), w));
    const f2 = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), w));
    const g1 = tf.grads(f1)([a, b]);
    const g2 = tf.grads(f2)([a, b]);
    close(g1[0].dataSync(), Array.from(g2[0].dataSync()), 1e-4);
    close(g1[1].dataSync(), Array.from(g2[1].dataSync()), 1e-4);
  });

  it('linear adds the bias and keeps leading axes', () => {
    const x = tf.tensor3d([[[1, 0], [0, 1]]]);
    const w = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const y = linear(tf, x, w, tf.tensor1d([10, 20, 30]));
    expect(y.shape).toEqual([1, 2, 3]);
    close(y.dataSync(), [11, 22, 33, 14, 25, 36]);
  });
});

describe('embedding lookup', () => {
  it('picks rows and sends gradients to the picked rows only (one-hot transpose)', () => {
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const ids = tf.tensor2d([[0, 2], [0, 0]], [2, 2], 'int32');
    const out = embed(tf, table, ids);
    expect(out.shape).toEqual([2, 2, 2]);
    close(out.dataSync(), [1, 2, 5, 6, 1, 2, 1, 2]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embed(tf, t, ids), tf.tensor1d([1, 10]))))(table);
    // row 0 used three times, row 1 never, row 2 once
    close(g.dataSync(), [3, 30, 0, 0, 1, 10]);
  });
});

describe('layer norm and GELU', () => {
  it('normalises [1, 2, 3] to ±√1.5 (population variance 2/3)', () => {
    const y = layerNorm(tf, tf.tensor2d([[1, 2, 3]]), tf.ones([3]), tf.zeros([3]), 0);
    const s = Math.sqrt(1.5);
    close(y.dataSync(), [-s, 0, s]);
    const y2 = layerNorm(tf, tf.tensor2d([[1, 2, 3]]), tf.tensor1d([2, 2, 2]), tf.tensor1d([1, 1, 1]), 0);
    close(y2.dataSync(), [1 - 2 * s, 1, 1 + 2 * s]);
  });

  it('GELU (tanh form) at 0, 1 and −1', () => {
    // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715x³))) at x = 1: 0.841192
    close(gelu(tf, tf.tensor1d([0, 1, -1])).dataSync(), [0, 0.841192, -0.158808]);
  });
});

describe('token log-probs by one-hot × logSoftmax', () => {
  it('scores the target under the softmax, with the entropy', () => {
    // logits [0, ln 3] → p = [1/4, 3/4]
    const logits = tf.tensor3d([[[0, Math.log(3)], [0, Math.log(3)]]]);
    const targets = tf.tensor2d([[1, 0]], [1, 2], 'int32');
    const { logprobs, entropy } = tokenLogprobs(tf, logits, targets, true);
    close(logprobs.dataSync(), [Math.log(0.75), Math.log(0.25)]);
    const h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    close(entropy!.dataSync(), [h, h]);
  });
});
