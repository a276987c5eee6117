import { definePlugin, type RewardSample, type Scorer } from '@rlhfjs/core';

/** Share of distinct words among the words of a text (1 for a text without words). */
export function distinctRatio(text: string): number {
  const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  return words.length ? new Set(words).size / words.length : 1;
}

/**
 * Evaluation scorer: lexical diversity of each completion, flagged when it repeats itself. A policy
 * that games a keyword reward by repeating the keyword shows up here (the reward never sees it).
 */
export const distinctWords = definePlugin({
  kind: 'scorer',
  name: 'distinct-words',
  description: 'Share of distinct words in each completion; flags completions below minRatio (repetition).',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      minRatio: { type: 'number', minimum: 0, maximum: 1, default: 0.6, description: 'A completion whose distinct-word share is below this is flagged as repetitive.' },
      minWords: { type: 'integer', minimum: 1, default: 4, description: 'Completions with fewer words are never flagged (too short to judge).' },
    },
  } as const,
  create({ options }): Scorer {
    return {
      name: 'distinct-words',
      async score(samples: RewardSample[]) {
        const scores = samples.map((s) => distinctRatio(s.completion));
        const counts = samples.map((s) => (s.completion.match(/[\p{L}\p{N}']+/gu) ?? []).length);
        return { scores, flags: scores.map((r, i) => counts[i] >= options.minWords && r < options.minRatio) };
      },
    };
  },
});
