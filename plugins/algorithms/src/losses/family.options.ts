import { IMPORTANCE_SAMPLING_LEVELS, LOSS_AGGREGATIONS } from './policy-loss-family';
import { REWARD_SCALINGS } from './advantages';

/**
 * The options of the GRPO family's one loss (GRPO, DAPO, Dr. GRPO, GSPO, and REINFORCE++'s
 * surrogate), named as verl and TRL name them. Every default reproduces the algorithm as it was.
 */
export const familyLossProperties = {
  lossAggregation: {
    type: 'string',
    enum: LOSS_AGGREGATIONS,
    description:
      'How per-token losses become one number (verl loss_agg_mode): "token-mean" = Σ_{i,t} x / Σ tokens (DAPO; TRL "dapo"/"bnpo"); "seq-mean-token-mean" = mean over sequences of each one\'s token mean (the GRPO paper; TRL "grpo"); "seq-mean-token-sum" = mean over sequences of each one\'s token sum; "seq-mean-token-sum-norm" = Σ_{i,t} x / (B·L) with L = lossNormaliser (Dr. GRPO; TRL "dr_grpo").',
  },
  lossNormaliser: {
    type: ['integer', 'null'],
    minimum: 1,
    default: null,
    description: 'L of "seq-mean-token-sum-norm" (Dr. GRPO\'s constant normaliser); null takes the agent\'s maxNewTokens, the largest completion length.',
  },
  clipLow: {
    type: ['number', 'null'],
    exclusiveMinimum: 0,
    default: null,
    description: 'ε_low: the ratio is clipped from below at 1 − ε_low; null takes clipRange. DAPO: 0.2; GSPO (sequence ratios): 3e-4.',
  },
  clipHigh: {
    type: ['number', 'null'],
    exclusiveMinimum: 0,
    default: null,
    description: 'ε_high: the ratio is clipped from above at 1 + ε_high; null takes clipRange. DAPO\'s clip-higher: 0.28 (keeps exploration: low-probability tokens may grow more); GSPO: 4e-4.',
  },
  importanceSamplingLevel: {
    type: 'string',
    enum: IMPORTANCE_SAMPLING_LEVELS,
    default: 'token',
    description:
      'The ratio of the surrogate (TRL importance_sampling_level): "token" = exp(log π − log π_old) per token; "sequence" = GSPO\'s exp((1/|y|)·Σ_t (log π − log π_old)), one length-normalised ratio per completion, clipped as a whole (use clipLow/clipHigh of about 3e-4/4e-4).',
  },
} as const;

/** Options of the group-relative advantage and DAPO's sampling tricks (GRPO only). */
export const groupAdvantageProperties = {
  scaleRewards: {
    type: 'string',
    enum: REWARD_SCALINGS,
    default: 'group',
    description:
      'What divides the group-centred reward r − mean_group (TRL scale_rewards): "group" = the group\'s std + epsilon (DeepSeekMath, the default); "batch" = the std of all the iteration\'s rewards + epsilon; "none" = nothing (Dr. GRPO).',
  },
  dynamicSampling: {
    type: 'object',
    additionalProperties: false,
    default: { mode: 'off' },
    description: 'DAPO\'s dynamic sampling: groups whose rewards are all equal have advantage 0 and no gradient.',
    properties: {
      mode: {
        type: 'string',
        enum: ['off', 'drop', 'resample'],
        default: 'off',
        description: '"drop": leave those groups out of the update; "resample": draw new prompts for them (from the same seeded streams, so a run stays reproducible) up to maxRetries rounds, then drop what is still flat; "off": keep them.',
      },
      maxRetries: { type: 'integer', minimum: 0, default: 3, description: 'Rounds of resampling per iteration at most (mode "resample").' },
    },
  },
  overlongBuffer: {
    type: 'integer',
    minimum: 0,
    default: 0,
    description:
      'DAPO\'s soft overlong punishment: L_cache, the last tokens before maxNewTokens (L_max) in which a completion is penalised linearly, ((L_max − L_cache) − |y|)/L_cache · overlongPenalty, added to its score; 0 turns it off.',
  },
  overlongPenalty: { type: 'number', minimum: 0, default: 1, description: 'Factor of the overlong punishment (−overlongPenalty at L_max; DAPO: 1).' },
} as const;
