import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ensureGradients } from '../runtime/gradients';
import { DiagnosticError } from '../diagnostics';
import { AdamW, clipByGlobalNorm, OPTIMIZER_STATE_FILE } from '.';

const owner = { plugin: 'job/test', pointer: '/job/options/learningRate' };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-kit-'));

/** A matrix, a vector and a fixed regression loss Σ (xW + b − y)². */
function problem() {
  const W = tf.variable(tf.tensor2d([0.5, -0.25, 0.125, 1, -0.75, 0.3], [3, 2]));
  const b = tf.variable(tf.tensor1d([0.1, -0.2]));
  const x = tf.tensor2d([1, 2, 3, -1, 0.5, 2], [2, 3]);
  const y = tf.tensor2d([1, 0, 0, 1], [2, 2]);
  const loss = () => tf.sum(tf.square(tf.sub(tf.add(tf.matMul(x, W), b), y))) as tf.Scalar;
  return { W, b, loss, vars: [W, b], values: () => [Array.from(W.dataSync()), Array.from(b.dataSync())] };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  ensureGradients(tf);
});

describe('AdamW (the training kit)', () => {
  it('with clipping and decay off steps exactly as tf.train.adam minimize (bit for bit)', () => {
    const a = problem();
    const b = problem();
    const kit = new AdamW(tf, a.vars, { learningRate: 0.05, owner });
    const ref = tf.train.adam(0.05);
    for (let i = 0; i < 12; i++) {
      const { values } = kit.step(a.loss, { step: i });
      const l = ref.minimize(b.loss, true, b.vars) as tf.Scalar;
      expect(values['loss/total']).toBe(l.dataSync()[0]);
      l.dispose();
    }
    expect(a.values()).toEqual(b.values());
    expect(kit.iterations).toBe(12);
  });

  it('first step with zero gradient on a matrix: only the decoupled decay moves it, θ·(1 − lr·wd)', () => {
    const W = tf.variable(tf.tensor2d([2, -4], [1, 2]));
    const v = tf.variable(tf.tensor1d([3]));
    const kit = new AdamW(tf, [W, v], { learningRate: 0.1, weightDecay: 0.5, owner });
    // loss = 0·ΣW + (v − 3)² → gradients 0 everywhere; Adam's update is 0/(0 + ε) = 0
    kit.step(() => tf.add(tf.mul(tf.sum(W), 0), tf.square(tf.sub(tf.sum(v), 3))) as tf.Scalar, { step: 0 });
    // 1 − 0.1·0.5 = 0.95: [1.9, −3.8]; the vector (rank 1) is not decayed
    expect(Array.from(W.dataSync())).toEqual([Math.fround(2 * Math.fround(0.95)), Math.fround(-4 * Math.fround(0.95))]);
    expect(v.dataSync()[0]).toBe(3);
  });

  it('uses the learning rate given per step: the first Adam step moves by lr·g/(|g| + ε)', () => {
    const p = tf.variable(tf.tensor1d([1, 1]));
    const kit = new AdamW(tf, [p], { learningRate: 1, epsilon: 1e-8, owner });
    // loss = 3·p₀ − 2·p₁: g = [3, −2]; m̂ = g, v̂ = g², step = lr·g/(|g| + 1e-8) ≈ lr·sign(g)
    kit.step(() => tf.sum(tf.mul(p, tf.tensor1d([3, -2]))) as tf.Scalar, { step: 0, learningRate: 0.01 });
    const [a, b] = p.dataSync();
    expect(a).toBeCloseTo(1 - 0.01, 6);
    expect(b).toBeCloseTo(1 + 0.01, 6);
  });

  it('clips the global norm as clip_grad_norm_: [3, 4] and [12] have norm 13; max 6.5 halves them', () => {
    const g = [tf.tensor1d([3, 4]), tf.tensor1d([12])];
    const c = clipByGlobalNorm(tf, g, 6.5);
    expect(c.norm).toBeCloseTo(13, 5);
    expect(c.scale).toBeCloseTo(6.5 / (13 + 1e-6), 9);
    expect(Array.from(c.grads![0].dataSync())).toEqual([expect.closeTo(1.5, 5), expect.closeTo(2, 5)]);
    expect(c.grads![1].dataSync()[0]).toBeCloseTo(6, 5);
    expect(clipByGlobalNorm(tf, g, 20).grads).toBeNull();
    // in a step: a loss whose gradient is [6, 8] (norm 10) clipped to 1 reports the norm before clipping
    const p = tf.variable(tf.tensor1d([0, 0]));
    const kit = new AdamW(tf, [p], { learningRate: 0.1, maxGradNorm: 1, owner });
    const r = kit.step(() => tf.sum(tf.mul(p, tf.tensor1d([6, 8]))) as tf.Scalar, { step: 0 });
    expect(r.values.grad_norm).toBeCloseTo(10, 5);
  });

  it('refuses a non-finite loss or gradient before touching the weights, with one code naming the owner', () => {
    const a = problem();
    const kit = new AdamW(tf, a.vars, { learningRate: 0.05, owner });
    kit.step(a.loss, { step: 0 });
    const before = a.values();
    const nanLoss = () => ({ total: a.loss(), report: { 'loss/policy': tf.scalar(NaN) } });
    const infGrad = () => tf.mul(a.loss(), Infinity) as tf.Scalar;
    for (const [fn, what] of [[nanLoss, 'loss/policy'], [infGrad, 'loss/total']] as const) {
      let err: unknown;
      try {
        kit.step(fn, { step: 7 });
      } catch (e) {
        err = e;
      }
      expect(DiagnosticError.is(err)).toBe(true);
      const d = (err as DiagnosticError).diagnostics[0];
      expect(d).toMatchObject({ code: 'train/non-finite-loss', plugin: 'job/test', pointer: '/job/options/learningRate' });
      expect(d.message).toContain(`${what} is`);
      expect(d.message).toContain('step 7');
      expect(a.values()).toEqual(before);
    }
    expect(kit.iterations).toBe(1);
  });

  it('a restored optimiser continues bit-identically (β₂ᵗ is restored, not recomputed as pow)', async () => {
    // the running optimiser multiplies β₂ into a float32 accumulator; pow(0.999, 6) differs in the last bit
    const acc = tf.tidy(() => {
      let t = tf.scalar(0.999);
      for (let i = 0; i < 5; i++) t = tf.mul(t, 0.999);
      return t.dataSync()[0];
    });
    expect(acc).not.toBe(tf.pow(0.999, 6).dataSync()[0]);

    const a = problem();
    const kitA = new AdamW(tf, a.vars, { learningRate: 0.05, weightDecay: 0.1, maxGradNorm: 2, owner, names: ['W', 'b'] });
    const dir = tmp();
    for (let i = 0; i < 5; i++) kitA.step(a.loss, { step: i, learningRate: 0.05 / (i + 1) });
    await kitA.save(dir);
    const saved = a.values();
    for (let i = 5; i < 10; i++) kitA.step(a.loss, { step: i, learningRate: 0.05 / (i + 1) });

    const b = problem();
    b.W.assign(tf.tensor2d(saved[0], [3, 2]));
    b.b.assign(tf.tensor1d(saved[1]));
    const kitB = new AdamW(tf, b.vars, { learningRate: 0.05, weightDecay: 0.1, maxGradNorm: 2, owner, names: ['W', 'b'] });
    await kitB.load(dir);
    expect(kitB.iterations).toBe(5);
    for (let i = 5; i < 10; i++) kitB.step(b.loss, { step: i, learningRate: 0.05 / (i + 1) });
    expect(b.values()).toEqual(a.values());
    expect(fs.existsSync(path.join(dir, OPTIMIZER_STATE_FILE))).toBe(true);
  });
});
