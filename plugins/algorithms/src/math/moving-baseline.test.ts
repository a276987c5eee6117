import { movingBaseline } from './moving-baseline';

describe('moving baseline', () => {
  it('uses past iterations and then decays towards the batch mean', () => {
    // iteration 1, R = [1, 3], no history: baseline = own mean 2 → A = [−1, 1]; b ← 2
    const a = movingBaseline([1, 3], null, 0.9);
    expect(a.advantages).toEqual([-1, 1]);
    expect(a.next).toBe(2);
    // iteration 2, R = [5, 7] (mean 6): A = R − 2 = [3, 5]; b ← 0.9·2 + 0.1·6 = 2.4
    const b = movingBaseline([5, 7], a.next, 0.9);
    expect(b.advantages).toEqual([3, 5]);
    expect(b.next).toBeCloseTo(2.4, 12);
  });
});
