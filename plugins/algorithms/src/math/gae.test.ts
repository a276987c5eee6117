import { gae, gaeRows } from './gae';

// Three steps: r = [1, 0, 2], V = [0.5, 1.0, 1.5], γ = 0.9, λ = 0.8 (γλ = 0.72), V after the end = 0.
//   t=2: δ = 2 + 0.9·0 − 1.5 = 0.5;            A_2 = 0.5
//   t=1: δ = 0 + 0.9·1.5 − 1.0 = 0.35;         A_1 = 0.35 + 0.72·0.5 = 0.71
//   t=0: δ = 1 + 0.9·1.0 − 0.5 = 1.4;          A_0 = 1.4 + 0.72·0.71 = 1.9112
//   returns = A + V = [2.4112, 1.71, 2.0]
describe('GAE', () => {
  it('matches the three-step hand calculation', () => {
    const { advantages, returns } = gae([1, 0, 2], [0.5, 1.0, 1.5], 0.9, 0.8);
    [1.9112, 0.71, 0.5].forEach((a, t) => expect(advantages[t]).toBeCloseTo(a, 10));
    [2.4112, 1.71, 2.0].forEach((r, t) => expect(returns[t]).toBeCloseTo(r, 10));
  });

  it('with γ = λ = 1 is the reward-to-go minus the value', () => {
    // reward-to-go = [3, 2, 2] → A = [2.5, 1, 0.5]
    const { advantages } = gae([1, 0, 2], [0.5, 1.0, 1.5], 1, 1);
    [2.5, 1, 0.5].forEach((a, t) => expect(advantages[t]).toBeCloseTo(a, 10));
  });

  it('with λ = 0 is the one-step TD error', () => {
    // δ = [1 + 0.9·1 − 0.5, 0 + 0.9·1.5 − 1, 2 − 1.5] = [1.4, 0.35, 0.5]
    const { advantages } = gae([1, 0, 2], [0.5, 1.0, 1.5], 0.9, 0);
    [1.4, 0.35, 0.5].forEach((a, t) => expect(advantages[t]).toBeCloseTo(a, 10));
  });

  it('handles ragged rows, including an empty one', () => {
    const out = gaeRows([[1], []], [[0.25], []], 1, 0.95);
    expect(out.advantages).toEqual([[0.75], []]);
    expect(out.returns).toEqual([[1], []]);
  });
});
