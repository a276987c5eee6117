import { definePackage, definePlugin, type RewardSample, type Scorer } from '@rlhfjs/core';

/**
 * Evaluation scorer: the number of words of each completion, flagged when it exceeds a limit.
 * Scorers never feed the training reward; rlhf eval reports them per checkpoint.
 */
export const __EXPORT__ = definePlugin({
  kind: 'scorer',
  name: '__PLUGIN__',
  description: 'Counts the words of each completion and flags completions longer than maxWords.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxWords: { type: 'integer', minimum: 0, default: 20, description: 'A completion with more words than this is flagged.' },
      label: { type: 'string', minLength: 1, default: '__PLUGIN__', description: 'Column name of this scorer in evaluation tables.' },
    },
  } as const,
  create({ options }): Scorer {
    return {
      name: options.label,
      async score(samples: RewardSample[]) {
        const counts = samples.map((s) => s.completion.split(/\s+/u).filter((w) => w.length > 0).length);
        return { scores: counts, flags: counts.map((n) => n > options.maxWords) };
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
