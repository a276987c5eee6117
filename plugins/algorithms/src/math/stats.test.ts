import { explainedVariance, mean, std, variance } from '@rlhfjs/core';

describe('stats', () => {
  it('mean, variance (population and unbiased), std', () => {
    // [1, 2, 6]: mean 3; squared deviations 4, 1, 9 = 14 → population 14/3, unbiased 7
    expect(mean([1, 2, 6])).toBe(3);
    expect(variance([1, 2, 6])).toBeCloseTo(14 / 3, 12);
    expect(variance([1, 2, 6], true)).toBeCloseTo(7, 12);
    expect(std([1, 2, 6], true)).toBeCloseTo(Math.sqrt(7), 12);
  });

  it('explained variance', () => {
    // returns [1, 2, 4]: mean 7/3, variance (16 + 1 + 25)/9/3 = 14/9
    // residual returns − values = [0, 0, 1]: mean 1/3, variance (1 + 1 + 4)/9/3 = 2/9
    // EV = 1 − (2/9)/(14/9) = 1 − 1/7 = 0.857143
    expect(explainedVariance([1, 2, 3], [1, 2, 4])).toBeCloseTo(6 / 7, 10);
    expect(explainedVariance([1, 2, 4], [1, 2, 4])).toBe(1);
    expect(explainedVariance([0, 0], [3, 3])).toBeNaN();
  });
});
