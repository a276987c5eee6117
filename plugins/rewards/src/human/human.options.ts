import type { OptionsOf } from '@rlhfjs/core';
import { labellerOptionProperties } from './factory';

/** Options of the `human` reward: the schema, and the type derived from it. */
export const humanRewardOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['labeller', 'labels', 'invert'],
  properties: {
    labeller: {
      type: 'string',
      enum: ['terminal', 'web', 'simulated', 'replay'],
      description:
        'Who answers: "terminal" (keys on stdin), "web" (a page on 127.0.0.1), "simulated" (the whole-word cuss matcher, marked simulated in every label) or "replay" (labels read from the `labels` file by prompt and completion; a completion not there is an error).',
    },
    invert: {
      type: 'boolean',
      description:
        'How a 0/1 label becomes a score. true: label 1 means bad (e.g. toxic), so score = 1 − label (toxic → 0, clean → 1). false: label 1 means good, score = label.',
    },
    skipScore: {
      type: 'number',
      default: 0.5,
      description: 'Score of a completion the labeller skipped (default 0.5: neither good nor bad).',
    },
    ...labellerOptionProperties,
  },
} as const;

export type HumanRewardOptions = OptionsOf<typeof humanRewardOptionsSchema>;
