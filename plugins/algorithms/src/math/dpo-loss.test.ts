import { cpuTf } from '../__fixtures__/tf';
import { dpoLoss, dpoLossValue } from './dpo-loss';

// Pair 0: log π(y_w) = −10, log π(y_l) = −12, log π_ref(y_w) = −11, log π_ref(y_l) = −11, β = 0.5.
//   z = 0.5·[(−10 + 11) − (−12 + 11)] = 0.5·2 = 1;  loss = −log σ(1) = log(1 + e^−1) = 0.3132617
//   implicit rewards: chosen 0.5·1 = 0.5, rejected 0.5·(−1) = −0.5
// Pair 1: the policy equals the reference → z = 0 → loss = log 2 = 0.6931472
describe('DPO loss', () => {
  it('matches the hand calculation', async () => {
    const tf = await cpuTf();
    const t = dpoLoss(tf, tf.tensor1d([-10, -5]), tf.tensor1d([-12, -7]), tf.tensor1d([-11, -5]), tf.tensor1d([-11, -7]), 0.5);
    const l = t.losses.dataSync();
    expect(l[0]).toBeCloseTo(0.3132617, 6);
    expect(l[1]).toBeCloseTo(0.6931472, 6);
    expect(t.chosenRewards.dataSync()[0]).toBeCloseTo(0.5, 6);
    expect(t.rejectedRewards.dataSync()[0]).toBeCloseTo(-0.5, 6);
    expect(dpoLossValue(-10, -12, -11, -11, 0.5)).toBeCloseTo(0.3132617, 7);
  });

  it('stays finite for large margins', async () => {
    const tf = await cpuTf();
    // z = −200: −log σ(−200) ≈ 200 (a naive log(sigmoid) would give Infinity)
    const t = dpoLoss(tf, tf.tensor1d([-500]), tf.tensor1d([-100]), tf.tensor1d([-100]), tf.tensor1d([-100]), 0.5);
    expect(t.losses.dataSync()[0]).toBeCloseTo(200, 3);
    expect(dpoLossValue(-500, -100, -100, -100, 0.5)).toBeCloseTo(200, 6);
  });
});
