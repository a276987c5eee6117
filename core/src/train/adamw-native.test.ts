/**
 * The training kit over the fused native Adam (wasm with @rlhfjs/native-kernels on): the fused
 * update reads the optimiser's learning rate on every step, so a schedule reaches it; weight
 * decay is the kit's own stock multiply before the update; and a restored optimiser continues
 * bit-identically on the fused path too (its bias corrections come from the restored accumulators).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTensorRuntime } from '../runtime/backend';
import { nativeKernelActive } from '../runtime/native-ops';
import type { TF } from '../contract/tensor-runtime';
import { AdamW } from '.';

const owner = { plugin: 'job/test', pointer: '/job/options/learningRate' };

function problem(tf: TF) {
  const W = tf.variable(tf.tensor2d([0.5, -0.25, 0.125, 1, -0.75, 0.3], [3, 2]));
  const b = tf.variable(tf.tensor1d([0.1, -0.2]));
  const x = tf.tensor2d([1, 2, 3, -1, 0.5, 2], [2, 3]);
  const y = tf.tensor2d([1, 0, 0, 1], [2, 2]);
  const loss = () => tf.sum(tf.square(tf.sub(tf.add(tf.matMul(x, W), b), y))) as import('@tensorflow/tfjs-core').Scalar;
  return { W, b, loss, vars: [W, b], values: () => [Array.from(W.dataSync()), Array.from(b.dataSync())] };
}

const lrAt = (i: number) => 0.05 / (1 + i);

describe('AdamW on the fused native Adam', () => {
  let tf: TF;
  let fused = false;
  beforeAll(async () => {
    const rt = await createTensorRuntime({ backend: 'wasm', nativeKernels: 'allow' });
    tf = rt.tf;
    fused = nativeKernelActive(tf, 'FusedAdam') || rt.nativeKernels.includes('FusedAdam');
  });

  it('follows a per-step learning rate and decoupled decay as the stock update does (to float32 rounding)', () => {
    const a = problem(tf);
    const kit = new AdamW(tf, a.vars, { learningRate: 1, weightDecay: 0.1, maxGradNorm: 5, owner });
    for (let i = 0; i < 8; i++) kit.step(a.loss, { step: i, learningRate: lrAt(i) });
    // the same steps by hand with tf.train.adam: decay θ·(1 − lr·wd) on the matrix, then Adam at lr
    const b = problem(tf);
    const ref = tf.train.adam(1);
    for (let i = 0; i < 8; i++) {
      const lr = lrAt(i);
      (ref as unknown as { learningRate: number }).learningRate = lr;
      const { grads } = tf.variableGrads(b.loss, b.vars);
      const gs = b.vars.map((v) => grads[v.name]);
      const norm = Math.sqrt(gs.reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0], 0));
      const scaled = norm > 5 ? gs.map((g) => tf.mul(g, 5 / (norm + 1e-6))) : gs;
      b.W.assign(tf.mul(b.W, 1 - lr * 0.1));
      ref.applyGradients(b.vars.map((v, k) => ({ name: v.name, tensor: scaled[k] })));
    }
    const [wa, ba] = a.values();
    const [wb, bb] = b.values();
    [...wa, ...ba].forEach((v, k) => expect(v).toBeCloseTo([...wb, ...bb][k], 5));
  });

  it('continues bit-identically after save and load', async () => {
    if (!fused) process.stderr.write('(native kernels are off here: this checks the stock wasm path)\n');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-kit-native-'));
    const a = problem(tf);
    const kitA = new AdamW(tf, a.vars, { learningRate: 0.05, weightDecay: 0.1, owner });
    for (let i = 0; i < 5; i++) kitA.step(a.loss, { step: i, learningRate: lrAt(i) });
    await kitA.save(dir);
    const saved = a.values();
    for (let i = 5; i < 12; i++) kitA.step(a.loss, { step: i, learningRate: lrAt(i) });
    const b = problem(tf);
    b.W.assign(tf.tensor2d(saved[0], [3, 2]));
    b.b.assign(tf.tensor1d(saved[1]));
    const kitB = new AdamW(tf, b.vars, { learningRate: 0.05, weightDecay: 0.1, owner });
    await kitB.load(dir);
    for (let i = 5; i < 12; i++) kitB.step(b.loss, { step: i, learningRate: lrAt(i) });
    expect(b.values()).toEqual(a.values());
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
