import type { BatchShape, Rollout } from '@rlhfjs/core';
import { flatGroups } from '../losses/advantages';

/** What one round of the loop collected for a list of prompts: the rollout, reference log-probs, the samples and their scores. */
export interface Collected {
  rollout: Rollout;
  refLogprobs: number[][];
  samples: Array<{ prompt: string; completion: string; promptId: string }>;
  combined: { scores: number[]; perSource: Record<string, number[]>; details?: Record<string, Array<number | string | null>> };
}

/** The rows of the given groups (prompts), in that order; rows of a group are consecutive. */
export function selectGroups(c: Collected, groups: readonly number[], k: number): Collected {
  const rows = groups.flatMap((g) => Array.from({ length: k }, (_, j) => g * k + j));
  const pick = <T>(xs: readonly T[]): T[] => rows.map((i) => xs[i]);
  const r = c.rollout;
  return {
    rollout: {
      promptIds: pick(r.promptIds),
      responseIds: pick(r.responseIds),
      responseLogprobs: pick(r.responseLogprobs),
      ...(r.values ? { values: pick(r.values) } : {}),
      prompts: pick(r.prompts),
      completions: pick(r.completions),
    },
    refLogprobs: pick(c.refLogprobs),
    samples: pick(c.samples),
    combined: {
      scores: pick(c.combined.scores),
      perSource: Object.fromEntries(Object.entries(c.combined.perSource).map(([k2, v]) => [k2, pick(v)])),
    },
  };
}

/** `a`'s rows, then `b`'s. */
export function concatCollected(a: Collected, b: Collected): Collected {
  const r = a.rollout;
  const s = b.rollout;
  return {
    rollout: {
      promptIds: [...r.promptIds, ...s.promptIds],
      responseIds: [...r.responseIds, ...s.responseIds],
      responseLogprobs: [...r.responseLogprobs, ...s.responseLogprobs],
      ...(r.values && s.values ? { values: [...r.values, ...s.values] } : {}),
      prompts: [...r.prompts, ...s.prompts],
      completions: [...r.completions, ...s.completions],
    },
    refLogprobs: [...a.refLogprobs, ...b.refLogprobs],
    samples: [...a.samples, ...b.samples],
    combined: {
      scores: [...a.combined.scores, ...b.combined.scores],
      perSource: Object.fromEntries(Object.keys(a.combined.perSource).map((k) => [k, [...a.combined.perSource[k], ...(b.combined.perSource[k] ?? [])]])),
    },
  };
}

/**
 * DAPO's dynamic sampling over one iteration's batch. With "resample", the flat groups (all scores
 * equal) are replaced by the groups of as many newly drawn prompts (`draw`, which takes its prompts
 * and samples from the loop's seeded streams, so the run stays reproducible and resumable), for up to
 * `maxRetries` rounds; then, in both modes, the groups still flat are dropped. When every group is
 * flat the batch is kept as it is (its group advantages are 0 anyway) rather than emptied.
 */
export async function dynamicSampling(
  first: Collected,
  ds: NonNullable<BatchShape['dynamicSampling']>,
  k: number,
  draw: (prompts: number) => Promise<Collected>,
): Promise<{ batch: Collected; metrics: Record<string, number> }> {
  let batch = first;
  let flat = flatGroups(batch.combined.scores, k);
  const flatFirst = flat.length;
  let rounds = 0;
  let drawn = 0;
  const keep = (c: Collected, f: readonly number[]) => {
    const bad = new Set(f);
    const groups = c.combined.scores.length / k;
    return selectGroups(c, Array.from({ length: groups }, (_, g) => g).filter((g) => !bad.has(g)), k);
  };
  if (ds.mode === 'resample') {
    while (flat.length > 0 && rounds < ds.maxRetries) {
      rounds += 1;
      drawn += flat.length;
      const extra = await draw(flat.length);
      batch = concatCollected(keep(batch, flat), extra);
      flat = flatGroups(batch.combined.scores, k);
    }
  }
  const groups = batch.combined.scores.length / k;
  const dropped = flat.length < groups ? flat.length : 0;
  if (dropped > 0) batch = keep(batch, flat);
  return {
    batch,
    metrics: { 'sampling/flat_groups': flatFirst, 'sampling/resampled_prompts': drawn, 'sampling/resample_rounds': rounds, 'sampling/dropped_groups': dropped, 'sampling/groups': batch.combined.scores.length / k },
  };
}
