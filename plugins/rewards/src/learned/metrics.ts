/** Held-out figures for binary classifiers and reward models. */

/** Fraction of rows where (score > threshold) equals the 0/1 label. */
export function accuracy(scores: readonly number[], labels: readonly number[], threshold = 0): number {
  if (scores.length !== labels.length) throw new Error(`accuracy: ${scores.length} scores for ${labels.length} labels`);
  if (!scores.length) return NaN;
  let ok = 0;
  scores.forEach((s, i) => {
    if ((s > threshold ? 1 : 0) === labels[i]) ok += 1;
  });
  return ok / scores.length;
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative,
 * ties counting one half (the Mann–Whitney U statistic over n⁺·n⁻). NaN when a class is absent.
 */
export function auc(scores: readonly number[], labels: readonly number[]): number {
  if (scores.length !== labels.length) throw new Error(`auc: ${scores.length} scores for ${labels.length} labels`);
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // average ranks (1-based) with ties sharing their mean rank
  const rank = new Array<number>(scores.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) rank[idx[k]] = r;
    i = j + 1;
  }
  let nPos = 0;
  let sumPos = 0;
  labels.forEach((l, i) => {
    if (l === 1) {
      nPos += 1;
      sumPos += rank[i];
    }
  });
  const nNeg = labels.length - nPos;
  if (!nPos || !nNeg) return NaN;
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Fraction of pairs where the chosen completion scores above the rejected one (ties count half). */
export function pairwiseAccuracy(chosen: readonly number[], rejected: readonly number[]): number {
  if (chosen.length !== rejected.length) throw new Error('pairwiseAccuracy: lengths differ');
  if (!chosen.length) return NaN;
  let ok = 0;
  chosen.forEach((c, i) => (ok += c > rejected[i] ? 1 : c === rejected[i] ? 0.5 : 0));
  return ok / chosen.length;
}

/** log σ(x), stable for large |x|. */
export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/** Bradley–Terry loss of one pair: −log σ(r_chosen − r_rejected − margin). */
export function bradleyTerryLoss(rChosen: number, rRejected: number, margin = 0): number {
  return -logSigmoid(rChosen - rRejected - margin);
}

/** Binary cross-entropy of a logit against a 0/1 label. */
export function bceWithLogit(logit: number, label: number): number {
  return -(label * logSigmoid(logit) + (1 - label) * logSigmoid(-logit));
}
