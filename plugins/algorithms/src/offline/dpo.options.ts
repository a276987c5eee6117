import type { OptionsOf } from '@rlhfjs/core';
import { optimizerProperties } from '@rlhfjs/core';

/** Options of the `dpo` algorithm: the schema, and the type derived from it. */
export const dpoOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['pairsFile'],
  properties: {
    pairsFile: {
      type: 'string',
      minLength: 1,
      description: 'JSONL of preference pairs, relative to the recipe: {"prompt", "chosen", "rejected"} per line, or "pair" records of the label format (undo and skipped records honoured).',
    },
    beta: { type: 'number', exclusiveMinimum: 0, default: 0.1, description: 'DPO β: the strength of the implicit KL constraint to the reference (DPO paper and TRL: 0.1).' },
    minibatchSize: {
      type: 'integer',
      minimum: 1,
      default: 8,
      description: 'Preference pairs per gradient step (a pair is one sample: its chosen and its rejected completion are both scored).',
    },
    learningRate: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 1e-6,
      description: 'Adam learning rate. The default, 1e-6, is TRL DPOConfig\'s default for 1B-scale models; a small policy (d_model ≤ 128) trains at about 1e-4 to 3e-4.',
    },
    ...optimizerProperties,
    appendEos: { type: 'boolean', default: true, description: 'Append the end-of-sequence token to each completion, as a finished generation ends with it.' },
  },
} as const;

export type DPOOptions = OptionsOf<typeof dpoOptionsSchema>;
