import { cpuTf } from '../__fixtures__/tf';
import { klEstimate, klEstimateTensor, klRows } from '@rlhfjs/core';

// Hand calculation, token A: log π = −1, log π_ref = −2.
//   k1 = −1 − (−2) = 1;  abs = 1;  k2 = ½·1² = 0.5
//   k3: r = π_ref/π = e^(−2+1) = e^−1 = 0.367879; (r − 1) − log r = −0.632121 + 1 = 0.367879
// Token B: log π = −2, log π_ref = −1.
//   k1 = −1;  abs = 1;  k2 = 0.5;  k3: r = e^1 = 2.718282; (r − 1) − 1 = 0.718282
describe('KL estimators', () => {
  it('match the hand-worked values', () => {
    expect(klEstimate(-1, -2, 'k1')).toBeCloseTo(1, 6);
    expect(klEstimate(-1, -2, 'abs')).toBeCloseTo(1, 6);
    expect(klEstimate(-1, -2, 'k2')).toBeCloseTo(0.5, 6);
    expect(klEstimate(-1, -2, 'mse')).toBeCloseTo(0.5, 6);
    expect(klEstimate(-1, -2, 'k3')).toBeCloseTo(0.367879, 6);
    expect(klEstimate(-2, -1, 'k1')).toBeCloseTo(-1, 6);
    expect(klEstimate(-2, -1, 'abs')).toBeCloseTo(1, 6);
    expect(klEstimate(-2, -1, 'k2')).toBeCloseTo(0.5, 6);
    expect(klEstimate(-2, -1, 'k3')).toBeCloseTo(0.718282, 6);
  });

  it('are zero when the policies agree', () => {
    for (const e of ['k1', 'abs', 'k2', 'k3'] as const) expect(klEstimate(-0.7, -0.7, e)).toBe(0);
  });

  it('give the same numbers on tensors', async () => {
    const tf = await cpuTf();
    const lp = tf.tensor1d([-1, -2]);
    const ref = tf.tensor1d([-2, -1]);
    const want = { k1: [1, -1], abs: [1, 1], k2: [0.5, 0.5], mse: [0.5, 0.5], k3: [0.367879, 0.718282] };
    for (const [e, w] of Object.entries(want)) {
      const got = Array.from(klEstimateTensor(tf, lp, ref, e as 'k1').dataSync());
      got.forEach((g, i) => expect(g).toBeCloseTo(w[i], 5));
    }
  });

  it('refuses rows of different lengths', () => {
    expect(() => klRows([[-1, -2]], [[-1]], 'k1')).toThrow(/row 0 has 2 log-probs but 1/);
  });
});
