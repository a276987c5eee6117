import { cpuTf } from '../__fixtures__/tf';
import { klEstimateTensor } from '@rlhfjs/core';
import { maskedMean } from '@rlhfjs/core';
import { responseKlTensor } from './kl-term';

describe('the KL loss term on response tokens', () => {
  // token 0 is padding whose EOS the policy suppresses (log π ≈ −1e9, reference column 0); token 1 a
  // response token with π = 0.5, π_ref = 0.25: k3 = r − 1 − log r with r = π_ref/π = 0.5 → 0.5 − 1 + ln 2 = 0.193147
  it('is k3 on response tokens and exactly 0 elsewhere, where the plain estimate overflows', async () => {
    const tf = await cpuTf();
    const logp = tf.tensor2d([[-1e9, Math.log(0.5)]]);
    const ref = tf.tensor2d([[0, Math.log(0.25)]]);
    const mask = tf.tensor2d([[0, 1]]);
    expect(Array.from(responseKlTensor(tf, logp, ref, mask, 'k3').dataSync()).map((x) => +x.toFixed(6))).toEqual([0, 0.193147]);
    expect(maskedMean(tf, responseKlTensor(tf, logp, ref, mask, 'k3'), mask).dataSync()[0]).toBeCloseTo(0.193147, 5);
    // the estimate without the mask: exp(1e9) = ∞, and ∞·0 makes the masked mean NaN
    expect(maskedMean(tf, klEstimateTensor(tf, logp, ref, 'k3'), mask).dataSync()[0]).toBeNaN();
  });
});
