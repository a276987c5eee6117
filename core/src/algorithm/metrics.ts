import { mean, std } from './stats';

/** Metrics every online algorithm reports, from the numbers of one iteration. */
export function iterationMetrics(
  scores: readonly number[],
  oldLogprobs: readonly number[][],
  refLogprobs: readonly number[][],
  beta: number,
  penaltyKl?: readonly number[][],
): { metrics: Record<string, number>; kl: number } {
  // k1 summed over a completion's tokens: an unbiased estimate of KL(π‖π_ref) per completion
  const perCompletion = oldLogprobs.map((row, i) => row.reduce((a, lp, t) => a + lp - refLogprobs[i][t], 0));
  const kl = mean(perCompletion);
  return {
    kl,
    metrics: {
      'score/mean': mean(scores),
      'score/std': std(scores),
      'kl/mean': kl,
      'kl/beta': beta,
      // the estimator the penalty used (k1, abs, k2 or k3), summed over a completion and averaged
      ...(penaltyKl ? { 'kl/penalty': mean(penaltyKl.map((r) => r.reduce((a, b) => a + b, 0))) } : {}),
    },
  };
}
