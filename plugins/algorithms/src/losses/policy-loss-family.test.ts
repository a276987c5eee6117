import type { Tensor } from '@tensorflow/tfjs-core';
import { cpuTf } from '../__fixtures__/tf';
import { aggregateLoss, familyPolicyLoss } from './policy-loss-family';

const ln = Math.log;

describe('loss aggregation', () => {
  // x = [[1, 2, 3], [4, 9, 9]], mask [[1, 1, 1], [1, 0, 0]] (the 9s are padding):
  //   token-mean:              (1 + 2 + 3 + 4)/4          = 2.5
  //   seq-mean-token-mean:     ((1 + 2 + 3)/3 + 4/1)/2    = (2 + 4)/2 = 3
  //   seq-mean-token-sum:      ((1 + 2 + 3) + 4)/2        = 5
  //   seq-mean-token-sum-norm: (1 + 2 + 3 + 4)/(B·L), L = 8 → 10/16 = 0.625
  it.each([
    ['token-mean', 2.5],
    ['seq-mean-token-mean', 3],
    ['seq-mean-token-sum', 5],
    ['seq-mean-token-sum-norm', 0.625],
  ] as const)('%s matches the hand calculation', async (mode, want) => {
    const tf = await cpuTf();
    const x = tf.tensor2d([[1, 2, 3], [4, 9, 9]]);
    const mask = tf.tensor2d([[1, 1, 1], [1, 0, 0]]);
    expect(aggregateLoss(tf, x, mask, mode, 8).dataSync()[0]).toBeCloseTo(want, 6);
  });
});

describe('the family surrogate', () => {
  // DAPO's clip-higher, ε_low = 0.2, ε_high = 0.28, token level (one row of four tokens):
  //   1. ratio 1.5,  A = 1:  −1.5 vs −A·1.28 = −1.28 → −1.28 (clipped)
  //   2. ratio 1.25, A = 1:  −1.25 vs −1.25          → −1.25 (inside [0.8, 1.28]; symmetric ε = 0.2 would clip it to −1.2)
  //   3. ratio 0.5,  A = −1:  0.5 vs 0.8             →  0.8  (clipped)
  //   4. ratio 0.9,  A = 2:  −1.8 vs −1.8            → −1.8
  //   token mean = (−1.28 − 1.25 + 0.8 − 1.8)/4 = −0.8825; clipfrac = 2/4
  it('clips asymmetrically (DAPO clip-higher)', async () => {
    const tf = await cpuTf();
    const logp = tf.tensor2d([[ln(1.5), ln(1.25), ln(0.5), ln(0.9)]]);
    const adv = tf.tensor2d([[1, 1, -1, 2]]);
    const mask = tf.ones([1, 4]);
    const out = familyPolicyLoss(tf, logp, tf.zeros([1, 4]), adv, mask, { clipLow: 0.2, clipHigh: 0.28, level: 'token' });
    expect(out.loss.dataSync()[0]).toBeCloseTo(-0.8825, 5);
    expect(out.clipfrac.dataSync()[0]).toBeCloseTo(0.5, 6);
    const sym = familyPolicyLoss(tf, logp, tf.zeros([1, 4]), adv, mask, { clipLow: 0.2, clipHigh: 0.2, level: 'token' });
    // (−1.2 − 1.2 + 0.8 − 1.8)/4 = −0.85
    expect(sym.loss.dataSync()[0]).toBeCloseTo(-0.85, 5);
  });

  // GSPO, ε = 0.2, sequence level. Row 0: log-ratios ln 1.5, ln 0.5, 0 over three tokens, A = 1:
  //   ρ_0 = exp((ln 1.5 + ln 0.5 + 0)/3) = 0.75^(1/3) = 0.908560, inside the clip → −0.908560 on each token.
  // Row 1: log-ratio ln 2 on its one token (the padding holds 5s, masked out), A = 1:
  //   ρ_1 = 2 → max(−2, −1.2) = −1.2 (clipped).
  //   token-mean = (3·(−0.908560) − 1.2)/4 = −0.981420; seq-mean-token-mean = (−0.908560 − 1.2)/2 = −1.054280; clipfrac 1/4
  it('uses one length-normalised ratio per sequence (GSPO)', async () => {
    const tf = await cpuTf();
    const logp = tf.tensor2d([[ln(1.5), ln(0.5), 0], [ln(2), 5, 5]]);
    const adv = tf.ones([2, 3]);
    const mask = tf.tensor2d([[1, 1, 1], [1, 0, 0]]);
    const out = familyPolicyLoss(tf, logp, tf.zeros([2, 3]), adv, mask, { clipLow: 0.2, clipHigh: 0.2, level: 'sequence' });
    expect(out.loss.dataSync()[0]).toBeCloseTo(-0.98142, 5);
    expect(aggregateLoss(tf, out.perToken, mask, 'seq-mean-token-mean').dataSync()[0]).toBeCloseTo(-1.05428, 5);
    expect(out.clipfrac.dataSync()[0]).toBeCloseTo(0.25, 6);
  });

  // One row, log-ratios (ln 1.1, 0), A = 1, token-mean of −A·ρ with ρ = exp((ln 1.1 + 0)/2) = 1.048809:
  //   loss = −ρ, ∂loss/∂log π_t = −ρ/2 = −0.524404 on both tokens (the token-level ratio would give −1.1/2 and −1/2).
  it('sends the sequence ratio\'s gradient to every token equally', async () => {
    const tf = await cpuTf();
    const mask = tf.ones([1, 2]);
    const g = tf.grad((lp: Tensor) => familyPolicyLoss(tf, lp, tf.zeros([1, 2]), tf.ones([1, 2]), mask, { clipLow: 0.2, clipHigh: 0.2, level: 'sequence' }).loss)(tf.tensor2d([[ln(1.1), 0]]));
    const v = g.dataSync();
    expect(v[0]).toBeCloseTo(-0.524404, 5);
    expect(v[1]).toBeCloseTo(-0.524404, 5);
  });
});
