import type { BatchShape, Experience } from '@rlhfjs/core';
import { overlongPenalty } from './advantages';

/**
 * The scores a group algorithm's advantages start from: the runner's scores plus DAPO's soft
 * overlong punishment R(|y|)·overlongPenalty of each completion (./advantages.ts), with |y| its
 * response tokens and L_max the agent's maxNewTokens. Unchanged (the same array) when overlongBuffer is 0.
 */
export function overlongScores(exp: Experience, o: { overlongBuffer: number; overlongPenalty: number }, maxNewTokens: number | undefined): number[] {
  if (o.overlongBuffer <= 0 || maxNewTokens === undefined) return exp.scores;
  return exp.scores.map((s, i) => s + overlongPenalty(exp.rollout.responseIds[i].length, maxNewTokens, o.overlongBuffer, o.overlongPenalty));
}

/** The runner-facing part of DAPO's dynamic sampling (nothing when it is off, so the batch shape stays as it was). */
export function groupFilterOf(o: { dynamicSampling: { mode: 'off' | 'drop' | 'resample'; maxRetries: number } }): Pick<BatchShape, 'dynamicSampling'> {
  const d = o.dynamicSampling;
  return d.mode === 'off' ? {} : { dynamicSampling: { mode: d.mode, maxRetries: d.maxRetries } };
}
