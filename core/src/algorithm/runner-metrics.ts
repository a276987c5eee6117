/**
 * The metrics the `rl` job (@rlhfjs/plugin-algorithms, jobs/rl-job.ts) adds to what an online
 * algorithm's `update()` returns, each iteration. An algorithm's own metric of the same name is
 * overwritten by the job's, so an algorithm should not report these (it may report `reward/mean`,
 * `loss/*`, `entropy`, ... freely). `reward/<source>` is one per reward source of the recipe.
 */
export const RUNNER_METRICS = {
  'score/mean': 'mean combined reward score of the iteration\'s completions',
  'score/std': 'their standard deviation',
  'kl/mean': 'UpdateResult.kl as the algorithm returned it (mean KL per completion, nats)',
  'kl/beta': 'the β the iteration was trained with (the KL controller\'s value before its update)',
  'response/length_mean': 'generated tokens per completion',
  'perf/generate_s': 'seconds spent sampling',
  'perf/reference_s': 'seconds spent on the reference model\'s log-probs',
  'perf/score_s': 'seconds spent scoring',
  'perf/update_s': 'seconds spent in update()',
  'perf/step_s': 'seconds for the whole iteration',
  'perf/tokens_per_s': 'generated tokens per second of sampling',
  'reward/<source>': 'mean score of each reward source (its name in the recipe)',
} as const;
