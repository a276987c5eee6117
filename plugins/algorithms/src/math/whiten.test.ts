import { whiten } from '@rlhfjs/core';

// [[1, 3], [5]]: mean 3; unbiased variance ((−2)² + 0² + 2²)/(3 − 1) = 4; std 2.
//   with mean shift: (x − 3)/2 = [[−1, 0], [1]]
//   without:        (x − 3)/2 + 3 = [[2, 3], [4]]
describe('whitening', () => {
  it('centres and scales over all tokens of the batch', () => {
    const w = whiten([[1, 3], [5]], true);
    expect(w[0][0]).toBeCloseTo(-1, 6);
    expect(w[0][1]).toBeCloseTo(0, 6);
    expect(w[1][0]).toBeCloseTo(1, 6);
  });

  it('keeps the mean when shiftMean is false', () => {
    const w = whiten([[1, 3], [5]], false);
    expect(w[0][0]).toBeCloseTo(2, 6);
    expect(w[0][1]).toBeCloseTo(3, 6);
    expect(w[1][0]).toBeCloseTo(4, 6);
  });

  it('leaves a single element alone (no variance to divide by)', () => {
    expect(whiten([[7]], true)).toEqual([[7]]);
  });
});
