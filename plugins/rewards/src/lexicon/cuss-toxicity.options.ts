import type { OptionsOf } from '@rlhfjs/core';
import { textOption } from './text-option';

/** Options of the `cuss-toxicity` scorer: the schema, and the type derived from it. */
export const cussToxicityOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    minRating: {
      type: 'integer',
      minimum: 0,
      maximum: 2,
      default: 2,
      description: 'Lowest `cuss` rating that counts: 2 = surely profane, 1 = likely, 0 = possibly (many false alarms).',
    },
    allow: {
      type: 'array',
      items: { type: 'string' },
      default: [],
      description: 'Listed words or phrases never flagged (lowercase), e.g. to drop a false alarm in your domain.',
    },
    text: textOption,
  },
} as const;

export type CussToxicityOptions = OptionsOf<typeof cussToxicityOptionsSchema>;
