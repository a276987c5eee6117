import { definePackage, definePlugin, type RewardResult, type RewardSample, type RewardSource } from '@rlhfjs/core';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');
}

/**
 * Reward: a fixed bonus for every completion that contains a word. Options arrive validated,
 * with defaults filled in; their TypeScript type is derived from the schema below.
 */
export const __EXPORT__ = definePlugin({
  kind: 'reward',
  name: '__PLUGIN__',
  description: 'Scores a completion by whether it contains a configurable word (whole words, any case by default).',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      word: { type: 'string', minLength: 1, default: 'please', description: 'The word to look for in each completion (not in the prompt).' },
      bonus: { type: 'number', default: 1, description: 'Score of a completion that contains the word; every other completion scores 0.' },
      caseSensitive: { type: 'boolean', default: false, description: 'Match the exact letter case of word.' },
      wholeWord: { type: 'boolean', default: true, description: 'Match whole words only ("please" does not match "pleased").' },
    },
  } as const,
  create({ options }): RewardSource {
    const flags = options.caseSensitive ? 'u' : 'iu';
    const word = escapeRegExp(options.word);
    const pattern = options.wholeWord ? new RegExp('(?<![\\p{L}\\p{N}_])' + word + '(?![\\p{L}\\p{N}_])', flags) : new RegExp(word, flags);
    return {
      async score(samples: RewardSample[]): Promise<RewardResult> {
        const hits = samples.map((s) => pattern.test(s.completion));
        return { scores: hits.map((hit) => (hit ? options.bonus : 0)), details: { matched: hits.map((hit) => (hit ? 1 : 0)) } };
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
