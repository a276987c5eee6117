/** Plain-array statistics used outside the gradient path. */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Variance; `unbiased` divides by n − 1 (Bessel), as torch's default and TRL's masked_var do. */
export function variance(xs: readonly number[], unbiased = false): number {
  const n = xs.length;
  if (n === 0 || (unbiased && n < 2)) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return s / (unbiased ? n - 1 : n);
}

export function std(xs: readonly number[], unbiased = false): number {
  return Math.sqrt(variance(xs, unbiased));
}

/**
 * Explained variance of value predictions: 1 − Var[returns − values] / Var[returns].
 * 1 is perfect, 0 no better than a constant, negative worse. NaN when the returns are constant.
 */
export function explainedVariance(values: readonly number[], returns: readonly number[]): number {
  const vr = variance(returns);
  if (vr === 0) return NaN;
  return 1 - variance(returns.map((r, i) => r - values[i])) / vr;
}

export function flatten(rows: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  for (const r of rows) for (const x of r) out.push(x);
  return out;
}
