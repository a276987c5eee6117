import type { OptionsOf } from '@rlhfjs/core';

/** Options of the `console` logger: the schema, and the type derived from it. */
export const consoleLoggerOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    every: { type: 'integer', minimum: 1, default: 1, description: 'Print every N steps.' },
    keys: {
      type: 'array',
      items: { type: 'string' },
      default: ['score/mean', 'kl/mean', 'kl/beta', 'loss/policy', 'loss/value'],
      description: 'Metric names to print, in order; missing ones are skipped. An empty list prints every metric.',
    },
    stream: { enum: ['stderr', 'stdout'], default: 'stderr', description: 'Where to print.' },
  },
} as const;

export type ConsoleLoggerOptions = OptionsOf<typeof consoleLoggerOptionsSchema>;
