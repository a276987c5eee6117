import { definePlugin, type RewardResult, type RewardSample, type RewardSource } from '@rlhfjs/core';

/** Whole-word (or substring) matcher for one keyword. */
export function keywordPattern(word: string, opts: { caseSensitive: boolean; wholeWord: boolean }): RegExp {
  const escaped = word.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');
  const body = opts.wholeWord ? '(?<![\\p{L}\\p{N}_])' + escaped + '(?![\\p{L}\\p{N}_])' : escaped;
  return new RegExp(body, opts.caseSensitive ? 'gu' : 'giu');
}

/**
 * Reward: the weighted sum of the keywords a completion contains (each keyword once, or every
 * occurrence), capped. Weights may be negative, so the same plugin rewards and penalises.
 */
export const keywordBonus = definePlugin({
  kind: 'reward',
  name: 'keyword-bonus',
  description: 'Weighted sum of the keywords found in a completion (whole words by default), capped to [-cap, cap].',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      keywords: {
        type: 'object',
        additionalProperties: { type: 'number', description: 'Score added for this keyword (negative to penalise it).' },
        propertyNames: { minLength: 1 },
        default: { thanks: 1, please: 1 },
        description: 'Keyword → weight, e.g. { thanks: 1, please: 0.5, ugh: -1 }.',
      },
      perOccurrence: { type: 'boolean', default: false, description: 'Count every occurrence of a keyword instead of once per completion.' },
      caseSensitive: { type: 'boolean', default: false, description: 'Match the exact letter case of each keyword.' },
      wholeWord: { type: 'boolean', default: true, description: 'Match whole words only ("thanks" does not match "thanksgiving").' },
      cap: { type: ['number', 'null'], exclusiveMinimum: 0, default: null, description: 'Clip the score to [-cap, cap]; null for no limit.' },
    },
  } as const,
  create({ options }): RewardSource {
    const rules = Object.entries(options.keywords).map(([word, weight]) => ({ weight: weight as number, pattern: keywordPattern(word, options) }));
    const clip = (x: number): number => (options.cap === null ? x : Math.max(-options.cap, Math.min(options.cap, x)));
    return {
      async score(samples: RewardSample[]): Promise<RewardResult> {
        const found: number[] = [];
        const scores = samples.map((s) => {
          let total = 0;
          let hits = 0;
          for (const r of rules) {
            const n = (s.completion.match(r.pattern) ?? []).length;
            const counted = options.perOccurrence ? n : Math.min(n, 1);
            total += counted * r.weight;
            hits += counted;
          }
          found.push(hits);
          return clip(total);
        });
        return { scores, details: { keywords: found } };
      },
    };
  },
});
