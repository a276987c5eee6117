import { flatten, mean, variance } from './stats';

/**
 * Whitening as TRL's `masked_whiten`: (x − mean)/sqrt(var + 1e-8) over every element of the
 * batch, with the unbiased (n − 1) variance. With `shiftMean` false the mean is added back, so only
 * the scale changes (how TRL whitens rewards). Ragged rows keep their shape.
 */
export function whiten(rows: readonly number[][], shiftMean = true, eps = 1e-8): number[][] {
  const flat = flatten(rows);
  if (flat.length < 2) return rows.map((r) => r.slice());
  const m = mean(flat);
  const inv = 1 / Math.sqrt(variance(flat, true) + eps);
  return rows.map((r) => r.map((x) => (x - m) * inv + (shiftMean ? 0 : m)));
}
