/**
 * Every DI token a plugin may ask for, in one file. Tokens are global symbols
 * (`Symbol.for`), so a plugin package that bundles its own copy of core still finds them.
 */
import type { InjectionToken } from 'tsyringe';
import type { TensorRuntime } from '../contract/tensor-runtime';
import type { Agent, ModelLoader, PolicyModel, Tokenizer } from '../contract/agent';
import type { Environment } from '../contract/environment';
import type { Algorithm } from '../contract/algorithm';
import type { KLController } from '../contract/kl-controller';
import type { Logger } from '../contract/logger';
import type { MetricsSink } from '../contract/job';
import type { Scorer } from '../contract/reward';
import type { Rng } from '../runtime/rng';
import type { RunDirectory } from '../runtime/run-dir';
import type { ResolvedRecipe } from '../recipe/types';
import type { RewardSet } from '../runner/reward-set';

function token<T>(name: string): InjectionToken<T> {
  return Symbol.for(`rlhfjs.token.${name}`) as InjectionToken<T>;
}

export const Tokens = {
  /** tfjs namespace + active backend. Registered before any plugin is built. */
  Runtime: token<TensorRuntime>('Runtime'),
  /** The run's root random stream (seeded from `runtime.seed`); `fork(label)` it, never share draws. */
  Rng: token<Rng>('Rng'),
  /** The resolved recipe (defaults filled in). */
  Recipe: token<ResolvedRecipe>('Recipe'),
  /** The run directory (absent for `validate`). */
  RunDir: token<RunDirectory>('RunDir'),
  /** What the `agent` slot built. */
  Agent: token<Agent>('Agent'),
  /** The policy being trained (`Agent.policy`). */
  Policy: token<PolicyModel>('Policy'),
  /** The policy's tokenizer. */
  Tokenizer: token<Tokenizer>('Tokenizer'),
  /** A frozen copy of the initial policy, for the KL penalty. Built on first resolve: resolve it in your factory, before the policy changes. */
  Reference: token<PolicyModel>('Reference'),
  /** Policy models from checkpoint folders, loaded through the agent plugin that wrote each (e.g. a reward model's backbone). Always registered. */
  Models: token<ModelLoader>('Models'),
  Environment: token<Environment>('Environment'),
  /** The weighted reward sources of the `rewards` slot. */
  Rewards: token<RewardSet>('Rewards'),
  KLController: token<KLController>('KLController'),
  Algorithm: token<Algorithm>('Algorithm'),
  /** The evaluation scorers of the `scorers` slot. */
  Scorers: token<Scorer[]>('Scorers'),
  /** The metric sinks of the `loggers` slot. */
  Loggers: token<Logger[]>('Loggers'),
  /** The run's one metrics sink: metrics.jsonl, the loggers and the progress line. Every job logs through it. */
  Metrics: token<MetricsSink>('Metrics'),
} as const;
