import { AdaptiveKLController } from './adaptive-controller';
import { FixedKLController } from './fixed-controller';

describe('adaptive KL controller', () => {
  // β₀ = 0.2, target 6, horizon 10000, 256 episodes per update (n/horizon = 0.0256).
  //   KL 9:   e = clip(3/6, ±0.2) = 0.2   → β = 0.2·(1 + 0.2·0.0256) = 0.2·1.00512 = 0.201024
  //   KL 6.6: e = 0.6/6 = 0.1             → β = 0.201024·1.00256 = 0.2015386214
  //   KL 0:   e = clip(−1, ±0.2) = −0.2   → β = 0.2015386214·0.99488 = 0.2005067437
  it('follows the Ziegler update over a few steps', () => {
    const c = new AdaptiveKLController({ initialBeta: 0.2, target: 6, horizon: 10000 });
    expect(c.value).toBe(0.2);
    c.update(9, 256);
    expect(c.value).toBeCloseTo(0.201024, 10);
    c.update(6.6, 256);
    expect(c.value).toBeCloseTo(0.2015386214, 9);
    c.update(0, 256);
    expect(c.value).toBeCloseTo(0.2005067437, 9);
  });

  it('round-trips its state', () => {
    const a = new AdaptiveKLController({ initialBeta: 0.2, target: 6, horizon: 10000 });
    a.update(9, 256);
    const b = new AdaptiveKLController({ initialBeta: 0.2, target: 6, horizon: 10000 });
    b.setState(a.getState());
    a.update(3, 100);
    b.update(3, 100);
    expect(b.value).toBe(a.value);
    expect(() => b.update(NaN, 1)).toThrow(/NaN/);
  });
});

describe('fixed KL controller', () => {
  it('keeps β whatever the KL', () => {
    const c = new FixedKLController({ beta: 0.05 });
    c.update(100, 64);
    c.update(-3, 64);
    expect(c.value).toBe(0.05);
    expect(() => c.setState({ value: 0.1 })).toThrow(/β = 0.1 but the recipe says 0.05/);
  });
});
