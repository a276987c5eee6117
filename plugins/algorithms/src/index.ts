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
export { batchProperties, resolveBatch } from './batch-schema';
export * from './math/kl-estimators';
export * from './math/reward-shaping';
export * from './math/gae';
export * from './math/whiten';
export * from './math/group-advantages';
export * from './math/dpo-loss';
export { clippedPolicyLoss } from './math/policy-loss';
export { clippedValueLoss } from './math/value-loss';
export { RLJob, rlJobPlugin, type RLJobParts } from './jobs/rl-job';

export default definePackage({ plugins: [rlJobPlugin, ppoPlugin, rlooPlugin, grpoPlugin, reinforcePlugin, dpoPlugin, fixedKLPlugin, adaptiveKLPlugin] });
