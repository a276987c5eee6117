import type { Agent } from '../contract/agent';
import type { Environment } from '../contract/environment';
import type { RewardSource, Scorer } from '../contract/reward';
import type { Algorithm } from '../contract/algorithm';
import type { KLController } from '../contract/kl-controller';
import type { Logger } from '../contract/logger';
import type { Job } from '../contract/job';

/** What a factory of each kind must return. */
export interface PluginKindMap {
  agent: Agent;
  environment: Environment;
  reward: RewardSource;
  algorithm: Algorithm;
  'kl-controller': KLController;
  logger: Logger;
  scorer: Scorer;
  job: Job;
}

export type PluginKind = keyof PluginKindMap;

export const PLUGIN_KINDS: readonly PluginKind[] = [
  'agent',
  'environment',
  'reward',
  'algorithm',
  'kl-controller',
  'logger',
  'scorer',
  'job',
];

/** The recipe slot each kind fills (scorers are named by commands such as `rlhf eval`). */
export const SLOT_OF_KIND: Record<PluginKind, string> = {
  agent: 'agent',
  environment: 'environment',
  reward: 'rewards',
  algorithm: 'algorithm',
  'kl-controller': 'klController',
  logger: 'loggers',
  scorer: 'scorers',
  job: 'job',
};
