import type { OptionsOf } from '@rlhfjs/core';
import { KL_ESTIMATOR_FORMULAS, batchProperties, optimizerProperties } from '@rlhfjs/core';
import { ptxProperties } from '@rlhfjs/core';
import { KL_ESTIMATORS } from '@rlhfjs/core';

/** Options of the `ppo` algorithm: the schema, and the type derived from it. */
export const ppoOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...batchProperties,
    epochs: { ...batchProperties.epochs, default: 4, description: `${batchProperties.epochs.description} TRL's classic PPO default (ppo_epochs): 4.` },
    learningRate: {
      type: 'number',
      exclusiveMinimum: 0,
      default: 1.41e-5,
      description:
        'Adam learning rate. The default, 1.41e-5, is TRL\'s classic PPO default for models of 125M parameters and more; a small policy (d_model ≤ 128) trains at about 3e-4. Too large a rate lets the KL to the reference grow within a few iterations.',
    },
    ...optimizerProperties,
    gamma: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'Discount γ of GAE (TRL classic: 1.0).' },
    lambda: { type: 'number', minimum: 0, maximum: 1, default: 0.95, description: 'GAE λ (TRL classic: 0.95).' },
    clipRange: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Policy ratio clip ε: the ratio is clipped to [1−ε, 1+ε] (TRL classic: 0.2).' },
    clipRangeValue: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Value clip ε_v: V may move at most ε_v from the rollout value before the loss stops rewarding it (TRL classic: 0.2).' },
    vfCoef: { type: 'number', minimum: 0, default: 0.1, description: 'Weight of the value loss in the total loss (TRL classic: 0.1).' },
    targetKL: {
      type: ['number', 'null'],
      exclusiveMinimum: 0,
      default: 1,
      description: 'Stop the epochs of an iteration once the approx KL between the updated and the sampling policy exceeds this (TRL target_kl: 1.0); null never stops early.',
    },
    whitenRewards: { type: 'boolean', default: false, description: 'Scale the per-token rewards to unit variance before GAE (lm-human-preferences does; TRL classic does not).' },
    klEstimator: { type: 'string', enum: KL_ESTIMATORS, default: 'k1', description: `Per-token KL estimate in the reward: ${KL_ESTIMATOR_FORMULAS}.` },
    ...ptxProperties,
  },
} as const;

export type PPOOptions = OptionsOf<typeof ppoOptionsSchema>;
