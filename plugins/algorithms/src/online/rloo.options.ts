import type { OptionsOf } from '@rlhfjs/core';
import { batchProperties, optimizerProperties } from '../batch-schema';
import { KL_ESTIMATORS } from '../math/kl-estimators';

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
    klEstimator: {
      type: 'string',
      enum: KL_ESTIMATORS,
      default: 'k1',
      description: 'Per-token KL estimate summed into the sequence penalty β·Σ_t KL_t: k1 = log π − log π_ref, abs = |k1|, k2 (= mse) = ½·k1², k3 = (r−1) − log r with r = π_ref/π.',
    },
  },
} as const;

export type RLOOOptions = OptionsOf<typeof rlooOptionsSchema>;
