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

/**
 * The relative change of a rate, 1 − p₁/p₀ (a "drop": base rate p₀ = x₀/n₀, trained rate p₁ = x₁/n₁),
 * with its 95% interval from the log risk ratio (Katz): ln(p₁/p₀) ± z·√(1/x₁ − 1/n₁ + 1/x₀ − 1/n₀),
 * mapped through 1 − exp(·). A count of 0 gets ½ added to it and to its n (Haldane), so the interval
 * stays finite. The two samples are taken as independent (evaluations on the same prompts are paired,
 * which makes this interval a little wide).
 */
export function rateDropInterval(x0: number, n0: number, x1: number, n1: number, z = 1.959963984540054): { drop: number; low: number; high: number } {
  const drop = 1 - x1 / n1 / (x0 / n0);
  const [a0, m0] = x0 === 0 ? [0.5, n0 + 0.5] : [x0, n0];
  const [a1, m1] = x1 === 0 ? [0.5, n1 + 0.5] : [x1, n1];
  const logRatio = Math.log(a1 / m1 / (a0 / m0));
  const se = Math.sqrt(1 / a1 - 1 / m1 + 1 / a0 - 1 / m0);
  return { drop, low: 1 - Math.exp(logRatio + z * se), high: 1 - Math.exp(logRatio - z * se) };
}

/** Two-sided 97.5% quantiles of Student's t for 1–10 degrees of freedom (beyond: the normal's 1.96). */
const T975 = [12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252, 2.306004135, 2.262157163, 2.228138852];

/**
 * Mean of a few runs' values with its 95% t interval, mean ± t₀.₉₇₅,ₙ₋₁·s/√n (s the unbiased standard
 * deviation): the run-to-run spread over seeds. One value gives an interval of NaN.
 */
export function meanInterval(xs: readonly number[]): { mean: number; half: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  if (n < 2) return { mean, half: NaN, n };
  const s = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { mean, half: ((n - 1 <= T975.length ? T975[n - 2] : 1.959963984540054) * s) / Math.sqrt(n), n };
}
