import type { OptionsOf } from '@rlhfjs/core';
import { batchProperties, optimizerProperties, sequencePenaltyKlEstimator } from '@rlhfjs/core';
import { ptxProperties } from '@rlhfjs/core';

/** Options of the `rloo` algorithm: the schema, and the type derived from it. */
export const rlooOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...batchProperties,
    samplesPerPrompt: { ...batchProperties.samplesPerPrompt, minimum: 2, default: 4, description: `${batchProperties.samplesPerPrompt.description} RLOO's k (TRL rloo_k: 2; 4 is common).` },
    learningRate: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 3e-6,
      description: 'Adam learning rate. The default, 3e-6, is TRL RLOOConfig\'s default for 1B-scale models; a small policy (d_model ≤ 128) trains at about 3e-4.',
    },
    ...optimizerProperties,
    clipRange: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Ratio clip ε, used when epochs > 1 or minibatches make the update off-policy (TRL: 0.2).' },
    normalizeAdvantages: { type: 'boolean', default: false, description: 'Whiten the advantages over the iteration (TRL normalize_advantage, off by default).' },
    klEstimator: sequencePenaltyKlEstimator,
    ...ptxProperties,
  },
} as const;

export type RLOOOptions = OptionsOf<typeof rlooOptionsSchema>;
