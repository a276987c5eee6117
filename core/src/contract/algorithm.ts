import type { Rollout } from './agent';

export type Metrics = Record<string, number>;

/** One set of batch-size words for every algorithm. */
export interface BatchShape {
  /** Distinct prompts drawn from the environment per iteration. */
  promptsPerIteration: number;
  /** Completions sampled per prompt (RLOO/GRPO need ≥ 2). Samples per iteration = prompts × samples. */
  samplesPerPrompt: number;
  /**
   * DAPO's dynamic sampling, done by the runner: a group (the samples of one prompt) whose scores are
   * all equal is dropped from the update ("drop"), or replaced by the groups of newly drawn prompts for
   * up to `maxRetries` rounds and dropped if still flat ("resample"). Absent: every group is kept.
   */
  dynamicSampling?: { mode: 'drop' | 'resample'; maxRetries: number };
}

/** Everything one online iteration produced before the update. */
export interface Experience {
  rollout: Rollout;
  /** Combined reward-source score per sample (after weighting, normalising and clipping). */
  scores: number[];
  /** log π_ref of each response token (same shape as rollout.responseLogprobs). */
  refLogprobs: number[][];
  /** KL coefficient β from the KL controller for this iteration. */
  beta: number;
  iteration: number;
  /**
   * The policy that sampled the rollout, when it is not the policy being updated (one step off
   * policy: the weights before the last update): log π_behaviour of each response token, and V(s_t)
   * when that policy has a value head, by the same training forward pass, with those weights.
   * Given, an algorithm takes it as its old policy instead of recomputing one with the current
   * weights, so that its importance ratio π_θ/π_behaviour corrects for the staleness (within its
   * clipping). Absent, the old policy is the current one.
   */
  behaviour?: { logprobs: number[][]; values?: number[][] };
}

export interface UpdateResult {
  metrics: Metrics;
  /** Mean KL(π‖π_ref) per completion, in nats, fed to the KL controller. */
  kl: number;
}

/** An algorithm state is saved to and restored from a checkpoint directory. */
export interface Stateful {
  saveState(dir: string): Promise<void>;
  loadState(dir: string): Promise<void>;
}

/** RL from generated experience (PPO, RLOO, GRPO, REINFORCE). */
export interface OnlineAlgorithm extends Stateful {
  readonly mode: 'online';
  readonly batch: BatchShape;
  update(exp: Experience): Promise<UpdateResult>;
}

/** Training from a fixed dataset (DPO). */
export interface OfflineAlgorithm extends Stateful {
  readonly mode: 'offline';
  step(iteration: number): Promise<UpdateResult>;
}

export type Algorithm = OnlineAlgorithm | OfflineAlgorithm;
