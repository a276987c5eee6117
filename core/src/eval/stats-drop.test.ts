import { meanInterval, rateDropInterval } from './stats';

describe('relative drop of a rate and its interval', () => {
  // base 233/3000, trained 76/3000 (the README's detox PPO): drop = 1 − 76/233 = 0.673820.
  // ln(76/233) = −1.120305; se = √(1/76 − 1/3000 + 1/233 − 1/3000) = √(0.0131579 + 0.0042918 − 0.0006667) = √0.0167830 = 0.129550
  // ratio interval exp(−1.120305 ± 1.959964·0.129550) = exp(−1.374214), exp(−0.866396) = 0.253038, 0.420466
  // → drop interval [1 − 0.420466, 1 − 0.253038] = [0.579534, 0.746962]
  it('matches the hand calculation (Katz log risk ratio)', () => {
    const r = rateDropInterval(233, 3000, 76, 3000);
    expect(r.drop).toBeCloseTo(0.67382, 5);
    expect(r.low).toBeCloseTo(0.579534, 4);
    expect(r.high).toBeCloseTo(0.746962, 4);
  });
  // 0 of 100 flagged after, 10 of 100 before: ½ added → ln((0.5/100.5)/(10/100)) = ln(0.049751) = −3.000720,
  // se = √(1/0.5 − 1/100.5 + 1/10 − 1/100) = √(2 − 0.009950 + 0.1 − 0.01) = √2.080050 = 1.442238, z·se = 2.826734
  // upper drop = 1 − exp(−3.000720 − 2.826734) = 1 − 0.002946 = 0.997054; lower = 1 − exp(−0.173986) = 1 − 0.840309 = 0.159691
  it('stays finite when nothing is flagged after training', () => {
    const r = rateDropInterval(10, 100, 0, 100);
    expect(r.drop).toBe(1);
    expect(r.high).toBeCloseTo(0.997054, 4);
    expect(r.low).toBeCloseTo(0.159691, 4);
  });
});

describe('mean over seeds', () => {
  // [1, 2, 3]: mean 2, s = 1, half = 4.302653·1/√3 = 2.484138
  it('has a Student t interval', () => {
    const m = meanInterval([1, 2, 3]);
    expect(m.mean).toBe(2);
    expect(m.half).toBeCloseTo(2.484138, 5);
    expect(meanInterval([5]).half).toBeNaN();
  });
});
