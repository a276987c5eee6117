import { cpuTf } from '../__fixtures__/tf';
import { clippedValueLoss } from './value-loss';

// ε_v = 0.2:
//   1. V 1.0, V_old 0.5, R 1.2: V_clip = 0.7; (V−R)² = 0.04, (V_clip−R)² = 0.25 → 0.25 (clipped)
//   2. V 0.4, V_old 0.5, R 0:   V_clip = 0.4; 0.16 and 0.16 → 0.16                (not clipped)
//   3. V −1,  V_old 0,   R −1:  V_clip = −0.2; 0 and 0.64 → 0.64                  (clipped)
//   4. masked
//   loss = ½·(0.25 + 0.16 + 0.64)/3 = 0.175;  clipfrac = 2/3
describe('clipped value loss', () => {
  it('matches the hand calculation', async () => {
    const tf = await cpuTf();
    const out = clippedValueLoss(
      tf,
      tf.tensor2d([[1.0, 0.4], [-1, 9]]),
      tf.tensor2d([[0.5, 0.5], [0, 0]]),
      tf.tensor2d([[1.2, 0], [-1, -9]]),
      tf.tensor2d([[1, 1], [1, 0]]),
      0.2,
    );
    expect(out.loss.dataSync()[0]).toBeCloseTo(0.175, 6);
    expect(out.clipfrac.dataSync()[0]).toBeCloseTo(2 / 3, 6);
  });
});
