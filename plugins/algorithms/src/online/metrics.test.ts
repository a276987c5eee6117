import { iterationMetrics } from '@rlhfjs/core';
import { klRows } from '@rlhfjs/core';

describe('iteration metrics', () => {
  it('report k1 per completion for the controller and the penalty estimator beside it', () => {
    // completion 0: log π − log π_ref = [0.5, −0.25] → k1 sum 0.25; completion 1: [1] → 1. mean 0.625
    // k2 sums: ½(0.25 + 0.0625) = 0.15625 and ½·1 = 0.5 → mean 0.328125
    // scores [1, 3]: mean 2, population std 1
    const lp = [[-1, -2], [-0.5]];
    const ref = [[-1.5, -1.75], [-1.5]];
    const out = iterationMetrics([1, 3], lp, ref, 0.1, klRows(lp, ref, 'k2'));
    expect(out.kl).toBeCloseTo(0.625, 12);
    expect(out.metrics['kl/mean']).toBeCloseTo(0.625, 12);
    expect(out.metrics['kl/penalty']).toBeCloseTo(0.328125, 12);
    expect(out.metrics['kl/beta']).toBe(0.1);
    expect(out.metrics['score/mean']).toBe(2);
    expect(out.metrics['score/std']).toBe(1);
  });
});
