import { RewardSet, RunningMoments } from './reward-set';
import type { RewardSource } from '../contract/reward';

const fixed = (scores: number[]): RewardSource => ({ score: async () => ({ scores }) });
const samples = (n: number) => Array.from({ length: n }, (_, i) => ({ prompt: 'p', completion: `c${i}` }));

describe('RewardSet', () => {
  test('weighted sum of the sources, per-source scores kept', async () => {
    const set = new RewardSet([
      { name: 'a', weight: 2, source: fixed([1, 0, -1]) },
      { name: 'b', weight: -0.5, source: fixed([4, 2, 0]) },
    ]);
    const res = await set.score(samples(3), { step: 0 });
    // 2·1 − 0.5·4 = 0; 2·0 − 0.5·2 = −1; 2·(−1) − 0 = −2
    expect(res.scores).toEqual([0, -1, -2]);
    expect(res.perSource).toEqual({ a: [1, 0, -1], b: [4, 2, 0] });
  });

  test('normalise with running moments, then clip', async () => {
    const set = new RewardSet([{ name: 'a', weight: 1, source: fixed([1, 2, 3, 10]) }], { normalize: true, clip: 1, shuffle: false });
    const res = await set.score(samples(4), { step: 0 });
    // mean 4, sample std sqrt(((−3)²+(−2)²+(−1)²+6²)/3) = sqrt(50/3) ≈ 4.0825
    expect(res.scores[0]).toBeCloseTo(-3 / 4.0825, 3);
    expect(res.scores[3]).toBe(1); // 6/4.08 = 1.47, clipped
  });

  test('the control shuffle keeps the scores but breaks their order, the same way for the same step', async () => {
    const scores = Array.from({ length: 32 }, (_, i) => i);
    const set = new RewardSet([{ name: 'a', weight: 1, source: fixed(scores) }], { normalize: false, clip: null, shuffle: true }, 5);
    const r1 = await set.score(samples(32), { step: 3 });
    const r2 = await set.score(samples(32), { step: 3 });
    const r3 = await set.score(samples(32), { step: 4 });
    expect([...r1.scores].sort((x, y) => x - y)).toEqual(scores);
    expect(r1.scores).not.toEqual(scores);
    expect(r2.scores).toEqual(r1.scores);
    expect(r3.scores).not.toEqual(r1.scores);
  });

  test('a source that returns the wrong number of scores or a NaN is named', async () => {
    await expect(new RewardSet([{ name: 'short', weight: 1, source: fixed([1]) }]).score(samples(2), { step: 0 })).rejects.toThrow('reward "short" returned 1 scores for 2 samples');
    await expect(new RewardSet([{ name: 'nan', weight: 1, source: fixed([1, NaN]) }]).score(samples(2), { step: 0 })).rejects.toThrow('reward "nan" returned a non-finite score (NaN) for sample 1');
  });

  test('running moments match the two-pass formulas', () => {
    const m = new RunningMoments();
    m.update([2, 4, 4, 4]);
    m.update([5, 5, 7, 9]);
    expect(m.mean).toBe(5);
    expect(m.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });
});
