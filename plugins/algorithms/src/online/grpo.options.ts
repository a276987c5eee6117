import type { OptionsOf } from '@rlhfjs/core';
import { batchProperties, optimizerProperties } from '@rlhfjs/core';
import { KL_ESTIMATORS } from '@rlhfjs/core';
import { familyLossProperties, groupAdvantageProperties } from '../losses/family.options';
import { ptxProperties } from '@rlhfjs/core';

/** Options of the `grpo` algorithm: the schema, and the type derived from it. */
export const grpoOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...batchProperties,
    samplesPerPrompt: { ...batchProperties.samplesPerPrompt, minimum: 2, default: 4, description: `${batchProperties.samplesPerPrompt.description} GRPO's group size G (DeepSeekMath: 64; 4–16 on small budgets).` },
    learningRate: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 1e-6,
      description: 'Adam learning rate. The default, 1e-6, is TRL GRPOConfig\'s default for 1B-scale models; a small policy (d_model ≤ 128) trains at about 3e-4.',
    },
    ...optimizerProperties,
    clipRange: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Ratio clip ε of the surrogate (DeepSeekMath and TRL: 0.2).' },
    epsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-4, description: 'Added to the group standard deviation before dividing, so a group of equal scores gets advantage 0 (TRL: 1e-4).' },
    klEstimator: {
      type: 'string',
      enum: KL_ESTIMATORS,
      default: 'k3',
      description: 'Per-token KL estimate in the loss term β·KL: k3 = (r−1) − log r with r = π_ref/π (the GRPO paper\'s choice), or k1, abs, k2 (= mse). β comes from the klController (fixed 0.04 in the paper).',
    },
    ...familyLossProperties,
    lossAggregation: { ...familyLossProperties.lossAggregation, default: 'seq-mean-token-mean' },
    ...groupAdvantageProperties,
    ...ptxProperties,
  },
} as const;

export type GRPOOptions = OptionsOf<typeof grpoOptionsSchema>;
