import { definePackage } from '@rlhfjs/core';
import { ppoPlugin } from './online/ppo';
import { rlooPlugin } from './online/rloo';
import { grpoPlugin } from './online/grpo';
import { reinforcePlugin } from './online/reinforce';
import { dpoPlugin } from './offline/dpo';
import { adaptiveKLPlugin, fixedKLPlugin } from './kl/plugins';
import { rlJobPlugin } from './jobs/rl-job';

export { PPO } from './online/ppo';
export { RLOO } from './online/rloo';
export { GRPO } from './online/grpo';
export { Reinforce } from './online/reinforce';
export { DPO } from './offline/dpo';
export { readPairs, parsePairs, type PreferencePair } from './offline/pairs-file';
export { AdaptiveKLController } from './kl/adaptive-controller';
export { FixedKLController } from './kl/fixed-controller';
export { ppoOptionsSchema, type PPOOptions } from './online/ppo.options';
export { rlooOptionsSchema, type RLOOOptions } from './online/rloo.options';
export { grpoOptionsSchema, type GRPOOptions } from './online/grpo.options';
export { reinforceOptionsSchema, type ReinforceOptions } from './online/reinforce.options';
export { dpoOptionsSchema, type DPOOptions } from './offline/dpo.options';
export { fixedKLOptionsSchema, type FixedKLOptions } from './kl/fixed.options';
export { adaptiveKLOptionsSchema, type AdaptiveKLOptions } from './kl/adaptive.options';
// the toolkit these were built on now lives in @rlhfjs/core; re-exported here as before
export { batchProperties, resolveBatch, type BatchOptions, KL_ESTIMATORS, type KLEstimator, klEstimate, klRows, klEstimateTensor, shapeRewards, sequenceRewards, type ShapedRewards, whiten } from '@rlhfjs/core';
export * from './math/gae';
export * from './math/group-advantages';
export * from './math/dpo-loss';
export { clippedPolicyLoss } from '@rlhfjs/core';
export { clippedValueLoss } from './math/value-loss';
export { RLJob, rlJobPlugin, type RLJobParts } from './jobs/rl-job';

export default definePackage({ plugins: [rlJobPlugin, ppoPlugin, rlooPlugin, grpoPlugin, reinforcePlugin, dpoPlugin, fixedKLPlugin, adaptiveKLPlugin] });
