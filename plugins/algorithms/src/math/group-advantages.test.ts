import { grpoAdvantages, rlooAdvantages, rlooBaselines } from './group-advantages';

describe('RLOO baseline', () => {
  // k = 3, rewards [1, 2, 6 | 0, 0, 3] (prompt 0 then prompt 1).
  //   prompt 0: sum 9 → baselines [(9−1)/2, (9−2)/2, (9−6)/2] = [4, 3.5, 1.5]; advantages [−3, −1.5, 4.5]
  //   prompt 1: sum 3 → baselines [1.5, 1.5, 0]; advantages [−1.5, −1.5, 3]
  it('is the mean of the other k − 1 samples of the same prompt', () => {
    expect(rlooBaselines([1, 2, 6, 0, 0, 3], 3)).toEqual([4, 3.5, 1.5, 1.5, 1.5, 0]);
    expect(rlooAdvantages([1, 2, 6, 0, 0, 3], 3)).toEqual([-3, -1.5, 4.5, -1.5, -1.5, 3]);
  });

  it('refuses groups that do not divide the batch', () => {
    expect(() => rlooBaselines([1, 2, 3], 2)).toThrow(/do not split into groups of 2/);
    expect(() => rlooBaselines([1, 2], 1)).toThrow(/≥ 2/);
  });
});

describe('GRPO advantage', () => {
  // [1, 2, 6]: mean 3, unbiased std sqrt(((−2)² + (−1)² + 3²)/2) = sqrt(7) = 2.6457513; + eps 1e-4 = 2.6458513
  //   A = [−2, −1, 3]/2.6458513 = [−0.7559004, −0.3779502, 1.1338506]
  it('normalises within each prompt group', () => {
    const a = grpoAdvantages([1, 2, 6, 5, 5, 5], 3, 1e-4);
    [-0.7559004, -0.3779502, 1.1338506].forEach((x, i) => expect(a[i]).toBeCloseTo(x, 6));
    expect(a.slice(3)).toEqual([0, 0, 0]); // equal scores: no signal
  });
});
