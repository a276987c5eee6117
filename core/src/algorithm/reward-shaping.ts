import { klRows, type KLEstimator } from './kl-estimators';

export interface ShapedRewards {
  /** r_t per response token: −β·KL_t, plus the score at the last token. */
  rewards: number[][];
  /** KL_t per response token, by the chosen estimator. */
  kl: number[][];
}

/**
 * Per-token rewards for PPO on a language model (Ziegler et al. 2019; TRL classic):
 * r_t = −β·KL_t for every response token, and r_T += score at the last non-padding token.
 * A completion with no tokens gets no rewards (its score cannot be credited to an action).
 */
export function shapeRewards(
  logprobs: readonly number[][],
  refLogprobs: readonly number[][],
  scores: readonly number[],
  beta: number,
  estimator: KLEstimator,
): ShapedRewards {
  if (scores.length !== logprobs.length) {
    throw new Error(`shapeRewards: ${scores.length} scores for ${logprobs.length} completions`);
  }
  const kl = klRows(logprobs, refLogprobs, estimator);
  const rewards = kl.map((row, i) => {
    const r = row.map((k) => -beta * k);
    if (r.length > 0) r[r.length - 1] += scores[i];
    return r;
  });
  return { rewards, kl };
}

/**
 * Sequence-level reward used by the critic-free algorithms (RLOO, REINFORCE):
 * R = score − β·Σ_t KL_t.
 */
export function sequenceRewards(kl: readonly number[][], scores: readonly number[], beta: number): number[] {
  return scores.map((s, i) => s - beta * kl[i].reduce((a, b) => a + b, 0));
}
