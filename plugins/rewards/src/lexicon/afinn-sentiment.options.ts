import type { OptionsOf } from '@rlhfjs/core';

/** Options of the `afinn-sentiment` scorer: the schema, and the type derived from it. */
export const afinnSentimentOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    text: { type: 'string', enum: ['completion', 'prompt-and-completion'], default: 'completion', description: 'Which text is scored.' },
  },
} as const;

export type AfinnSentimentOptions = OptionsOf<typeof afinnSentimentOptionsSchema>;
