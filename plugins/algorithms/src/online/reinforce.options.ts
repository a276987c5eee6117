import type { OptionsOf } from '@rlhfjs/core';
import { batchProperties, optimizerProperties, sequencePenaltyKlEstimator } from '@rlhfjs/core';
import { ptxProperties } from '@rlhfjs/core';

/** Options of the `reinforce` algorithm: the schema, and the type derived from it. */
export const reinforceOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...batchProperties,
    learningRate: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 3e-4,
      description: 'Adam learning rate. The default, 3e-4, suits small policies (d_model ≤ 128, under a million parameters); use 1e-5 or less for models of 100M parameters and more.',
    },
    ...optimizerProperties,
    baselineDecay: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.9,
      description: 'Decay of the baseline b ← decay·b + (1−decay)·mean(R) after each iteration; 0 uses only the last iteration. The first iteration uses its own mean.',
    },
    klEstimator: sequencePenaltyKlEstimator,
    ...ptxProperties,
  },
} as const;

export type ReinforceOptions = OptionsOf<typeof reinforceOptionsSchema>;
