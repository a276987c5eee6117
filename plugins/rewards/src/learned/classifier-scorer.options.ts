import type { OptionsOf } from '@rlhfjs/core';
import { classifierOptions } from './classifier-plugins';

/** Options of the `classifier` scorer: the schema, and the type derived from it. */
export const classifierScorerOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['checkpoint'],
  properties: {
    checkpoint: classifierOptions.checkpoint,
    class: { type: 'string', minLength: 1, default: 'positive', description: 'The class whose probability is reported.' },
    text: classifierOptions.text,
    name: { type: 'string', minLength: 1, description: 'Column name in evaluation tables (default: classifier-<class>).' },
  },
} as const;

export type ClassifierScorerOptions = OptionsOf<typeof classifierScorerOptionsSchema>;
