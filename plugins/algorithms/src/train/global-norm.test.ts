import { cpuTf } from '../__fixtures__/tf';
import { clipByGlobalNorm } from './global-norm';

// grads [3, 4] and [12]: global norm sqrt(9 + 16 + 144) = 13.
//   max 6.5 → scale 6.5/13 = 0.5 → [1.5, 2], [6];  max 20 → unchanged
describe('clip by global norm', () => {
  it('scales every gradient by the same factor', async () => {
    const tf = await cpuTf();
    const g = [tf.tensor1d([3, 4]), tf.tensor1d([12])];
    const c = clipByGlobalNorm(tf, g, 6.5);
    expect(c.norm).toBeCloseTo(13, 5);
    expect(Array.from(c.grads[0].dataSync())).toEqual([expect.closeTo(1.5, 5), expect.closeTo(2, 5)]);
    expect(c.grads[1].dataSync()[0]).toBeCloseTo(6, 5);
    const u = clipByGlobalNorm(tf, g, 20);
    expect(u.scale).toBe(1);
    expect(Array.from(u.grads[0].dataSync())).toEqual([3, 4]);
  });
});
