/** Wilson score interval for a binomial rate (95% by default); well-behaved at 0 and n. */
export function wilsonInterval(successes: number, n: number, z = 1.959963984540054): { rate: number; low: number; high: number } {
  if (n === 0) return { rate: NaN, low: NaN, high: NaN };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { rate: p, low: successes === 0 ? 0 : Math.max(0, centre - half), high: successes === n ? 1 : Math.min(1, centre + half) };
}

/**
 * Two-proportion z-test (pooled), two-sided p-value: is rate a (x1/n1) different from rate b?
 */
export function twoProportionPValue(x1: number, n1: number, x2: number, n2: number): number {
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  if (se === 0) return 1;
  const z = Math.abs(x1 / n1 - x2 / n2) / se;
  return 2 * (1 - normalCdf(z));
}

function normalCdf(z: number): number {
  // Abramowitz–Stegun 7.1.26 on erf
  const t = 1 / (1 + 0.3275911 * (z / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return 0.5 * (1 + y);
}
