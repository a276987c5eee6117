import type { OptionsOf } from '@rlhfjs/core';
import { KL_ESTIMATOR_FORMULAS, batchProperties, optimizerProperties } from '@rlhfjs/core';
import { KL_ESTIMATORS } from '@rlhfjs/core';
import { familyLossProperties } from '../losses/family.options';
import { ptxProperties } from '@rlhfjs/core';

const properties = {
  ...batchProperties,
  learningRate: {
    type: 'number',
    exclusiveMinimum: 0,
    default: 1e-6,
    description: 'Adam learning rate. The default, 1e-6, is OpenRLHF\'s actor default for 1B-scale models; a small policy (d_model ≤ 128) trains at about 3e-4.',
  },
  ...optimizerProperties,
  clipRange: { type: 'number', exclusiveMinimum: 0, default: 0.2, description: 'Ratio clip ε of the surrogate (OpenRLHF eps_clip: 0.2); clipLow/clipHigh override either side.' },
  gamma: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'Discount γ of the returns G_t = Σ_{s≥t} γ^{s−t}·r_s (OpenRLHF: 1).' },
  klEstimator: { type: 'string', enum: KL_ESTIMATORS, default: 'k1', description: `Per-token KL estimate of the reward penalty r_t = −β·KL_t: ${KL_ESTIMATOR_FORMULAS} (OpenRLHF's default: k1).` },
  ...familyLossProperties,
  lossAggregation: { ...familyLossProperties.lossAggregation, default: 'token-mean' },
  ...ptxProperties,
} as const;

/** Options of the `reinforce-pp` algorithm: the schema, and the type derived from it. */
export const reinforcePPOptionsSchema = { type: 'object', additionalProperties: false, properties } as const;

/** Options of `reinforce-pp-baseline`: the same, with at least 2 samples per prompt (4 by default). */
export const reinforcePPBaselineOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...properties,
    samplesPerPrompt: { ...batchProperties.samplesPerPrompt, minimum: 2, default: 4, description: `${batchProperties.samplesPerPrompt.description} The group whose mean score is the baseline (OpenRLHF n_samples_per_prompt).` },
  },
} as const;

export type ReinforcePPOptions = OptionsOf<typeof reinforcePPOptionsSchema>;
