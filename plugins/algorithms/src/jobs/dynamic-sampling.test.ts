import { dynamicSampling, type Collected } from './dynamic-sampling';

/** A batch of groups of k = 2, one letter per prompt, with the given scores. */
function batch(prompts: string[], scores: number[]): Collected {
  const rows = scores.map((_, i) => prompts[Math.floor(i / 2)]);
  return {
    rollout: { promptIds: rows.map(() => [1]), responseIds: rows.map(() => [2]), responseLogprobs: rows.map(() => [-1]), prompts: rows, completions: rows.map((p, i) => `${p}${i % 2}`) },
    refLogprobs: rows.map(() => [-1]),
    samples: rows.map((p, i) => ({ prompt: p, completion: `${p}${i % 2}`, promptId: p })),
    combined: { scores, perSource: { r: scores } },
  };
}

describe('dynamic sampling (DAPO)', () => {
  it('drops the groups whose scores are all equal', async () => {
    const res = await dynamicSampling(batch(['a', 'b', 'c'], [1, 1, 0, 1, 2, 2]), { mode: 'drop', maxRetries: 3 }, 2, async () => {
      throw new Error('drop never draws');
    });
    expect(res.batch.rollout.prompts).toEqual(['b', 'b']);
    expect(res.batch.combined.scores).toEqual([0, 1]);
    expect(res.batch.combined.perSource.r).toEqual([0, 1]);
    expect(res.metrics).toMatchObject({ 'sampling/flat_groups': 2, 'sampling/dropped_groups': 2, 'sampling/groups': 1 });
  });

  it('resamples flat groups in rounds, up to the cap, then drops what is still flat', async () => {
    // round 1 asks for 2 prompts: one informative (d), one flat (e); round 2 asks for 1: flat again (f); cap 2 → f dropped
    const draws: number[] = [];
    const queue = [batch(['d', 'e'], [0, 3, 4, 4]), batch(['f'], [5, 5])];
    const res = await dynamicSampling(batch(['a', 'b', 'c'], [1, 1, 0, 1, 2, 2]), { mode: 'resample', maxRetries: 2 }, 2, async (n) => {
      draws.push(n);
      return queue.shift()!;
    });
    expect(draws).toEqual([2, 1]);
    expect(res.batch.rollout.prompts).toEqual(['b', 'b', 'd', 'd']);
    expect(res.batch.combined.scores).toEqual([0, 1, 0, 3]);
    expect(res.metrics).toMatchObject({ 'sampling/flat_groups': 2, 'sampling/resampled_prompts': 3, 'sampling/resample_rounds': 2, 'sampling/dropped_groups': 1, 'sampling/groups': 2 });
  });

  it('keeps a batch in which every group is flat rather than emptying it', async () => {
    const res = await dynamicSampling(batch(['a'], [1, 1]), { mode: 'drop', maxRetries: 0 }, 2, async () => batch(['z'], [0, 0]));
    expect(res.batch.combined.scores).toEqual([1, 1]);
    expect(res.metrics['sampling/dropped_groups']).toBe(0);
  });
});
