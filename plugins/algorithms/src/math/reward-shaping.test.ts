import { sequenceRewards, shapeRewards } from '@rlhfjs/core';

// Row 0: log π = [−1, −2, −0.5], log π_ref = [−1.5, −1, −0.5], score 2, β 0.1, k1.
//   KL = [0.5, −1, 0]; r = −β·KL = [−0.05, 0.1, 0]; the score lands on the last token: r_3 = 0 + 2 = 2.
// Row 1: empty completion (score 7 has no token to land on) → no rewards.
describe('per-token reward shaping', () => {
  it('puts −β·KL on every token and the score on the last one', () => {
    const { rewards, kl } = shapeRewards([[-1, -2, -0.5], []], [[-1.5, -1, -0.5], []], [2, 7], 0.1, 'k1');
    expect(kl[0]).toEqual([0.5, -1, 0].map((x) => expect.closeTo(x, 10)));
    expect(rewards[0][0]).toBeCloseTo(-0.05, 10);
    expect(rewards[0][1]).toBeCloseTo(0.1, 10);
    expect(rewards[0][2]).toBeCloseTo(2, 10);
    expect(rewards[1]).toEqual([]);
  });

  it('uses the chosen estimator', () => {
    // k2 = ½·k1² = [0.125, 0.5, 0] → r = [−0.0125, −0.05, 0 + 2]
    const { rewards } = shapeRewards([[-1, -2, -0.5]], [[-1.5, -1, -0.5]], [2], 0.1, 'k2');
    expect(rewards[0][0]).toBeCloseTo(-0.0125, 10);
    expect(rewards[0][1]).toBeCloseTo(-0.05, 10);
    expect(rewards[0][2]).toBeCloseTo(2, 10);
  });

  it('sums the penalty for sequence-level algorithms', () => {
    // R = 2 − 0.1·(0.5 − 1 + 0) = 2.05
    expect(sequenceRewards([[0.5, -1, 0]], [2], 0.1)[0]).toBeCloseTo(2.05, 10);
  });

  it('refuses a score count that does not match', () => {
    expect(() => shapeRewards([[-1]], [[-1]], [1, 2], 0.1, 'k1')).toThrow(/2 scores for 1 completions/);
  });
});
