/**
 * The algorithm toolkit: what an RL algorithm plugin builds on, covered by the plugin API version
 * (since 2.1). The built-in algorithms of @rlhfjs/plugin-algorithms are written on it.
 *
 * - the online skeleton: {@link defineOnlineAlgorithm}, {@link OnlineAlgorithmBase} and
 *   {@link OnlineCore} (the no-gradient forward pass of the old policy, epochs × shuffled
 *   minibatches with one optimiser step each, the checkpointed state);
 * - the optimiser: {@link policyOptimizer} (AdamW with global-norm clipping, a non-finite guard and
 *   saved state);
 * - the batch-size words every algorithm shares ({@link batchProperties}, {@link resolveBatch},
 *   {@link batchProblems} for a plugin's `check`);
 * - the maths: KL estimators, masked reductions, whitening, the clipped policy loss, reward shaping;
 * - the metrics every online algorithm reports ({@link iterationMetrics}); the runner adds its own
 *   (see {@link RUNNER_METRICS});
 * - PPO-ptx's pretraining term ({@link ptxProperties}, {@link createPtxTerm}), which every online
 *   algorithm built on the skeleton takes.
 */
export * from './online-core';
export * from './batch-schema';
export * from './kl-estimators';
export * from './masked';
export * from './whiten';
export * from './stats';
export * from './policy-loss';
export * from './reward-shaping';
export * from './metrics';
export * from './experience-check';
export * from './requires';
export * from './runner-metrics';
export * from './ptx';
