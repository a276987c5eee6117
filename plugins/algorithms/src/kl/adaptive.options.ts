import type { OptionsOf } from '@rlhfjs/core';

/** Options of the `adaptive` KL controller: the schema, and the type derived from it. */
export const adaptiveKLOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    initialBeta: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 0.2,
      description: 'β before the first update (TRL classic: 0.2; lm-human-preferences launch: 0.15).',
    },
    target: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 6,
      description: 'Target KL per completion in nats, summed over tokens (TRL classic: 6).',
    },
    horizon: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 10000,
      description: 'Horizon in episodes: each update changes β by at most 20 %·(episodes in the batch / horizon) (TRL classic: 10000).',
    },
  },
} as const;

export type AdaptiveKLOptions = OptionsOf<typeof adaptiveKLOptionsSchema>;
