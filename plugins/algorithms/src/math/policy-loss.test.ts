import { cpuTf } from '../__fixtures__/tf';
import { clippedPolicyLoss } from '@rlhfjs/core';

// ε = 0.2. Tokens (row 0: three tokens, row 1: one token then padding):
//   1. ratio 1.5, A = 1:  −A·r = −1.5, −A·clip(r) = −1.2 → max −1.2   (clipped branch)
//   2. ratio 0.5, A = 1:  −0.5 vs −0.8 → −0.5                           (not clipped)
//   3. ratio 0.5, A = −1:  0.5 vs 0.8 → 0.8                              (clipped branch)
//   4. ratio 1.1, A = 2:  −2.2 vs −2.2 → −2.2                            (equal: not counted as clipped)
//   5. masked (ratio 3, A = 5): excluded
//   loss = (−1.2 − 0.5 + 0.8 − 2.2)/4 = −0.775;  clipfrac = 2/4 = 0.5
//   approx KL = ½·mean(log r²) = ½·(0.164402 + 0.480453 + 0.480453 + 0.009084)/4 = 0.141799
describe('clipped policy loss', () => {
  it('matches the hand calculation', async () => {
    const tf = await cpuTf();
    const ln = Math.log;
    const logp = tf.tensor2d([[ln(1.5), ln(0.5), ln(0.5)], [ln(1.1), ln(3), 0]]);
    const old = tf.zeros([2, 3]);
    const adv = tf.tensor2d([[1, 1, -1], [2, 5, 0]]);
    const mask = tf.tensor2d([[1, 1, 1], [1, 0, 0]]);
    const out = clippedPolicyLoss(tf, logp, old, adv, mask, 0.2);
    expect(out.loss.dataSync()[0]).toBeCloseTo(-0.775, 5);
    expect(out.clipfrac.dataSync()[0]).toBeCloseTo(0.5, 6);
    expect(out.approxKl.dataSync()[0]).toBeCloseTo(0.141799, 5);
  });

  it('has the policy-gradient gradient −A/N at ratio 1', async () => {
    const tf = await cpuTf();
    // d/dlogp of mean(−A·exp(logp − old)) at logp = old is −A/N per token
    const adv = tf.tensor2d([[2, -1]]);
    const mask = tf.tensor2d([[1, 1]]);
    const g = tf.grad((lp: import('@tensorflow/tfjs-core').Tensor) => clippedPolicyLoss(tf, lp, tf.zeros([1, 2]), adv, mask, 0.2).loss)(tf.zeros([1, 2]));
    const v = g.dataSync();
    expect(v[0]).toBeCloseTo(-1, 6);
    expect(v[1]).toBeCloseTo(0.5, 6);
  });
});
