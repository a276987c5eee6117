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

/** A recipe slot: the envelope property, the plugin kind it holds, one plugin or a list of them. */
export interface SlotSpec {
  slot: string;
  kind: PluginKind;
  list: boolean;
}

/**
 * The one table of the recipe's plugin slots, in the order validation checks them. Everything that
 * lists slots (validation, the editor schema bundle, the CLI) derives from it. The recipe's `job`
 * is not in it: it names what runs rather than filling a slot.
 */
export const SLOTS = [
  { slot: 'agent', kind: 'agent', list: false },
  { slot: 'environment', kind: 'environment', list: false },
  { slot: 'algorithm', kind: 'algorithm', list: false },
  { slot: 'klController', kind: 'kl-controller', list: false },
  { slot: 'rewards', kind: 'reward', list: true },
  { slot: 'loggers', kind: 'logger', list: true },
  { slot: 'scorers', kind: 'scorer', list: true },
] as const satisfies readonly SlotSpec[];

/** Slots that hold one plugin: `{ use, options }`. */
export type SingleSlot = Extract<(typeof SLOTS)[number], { list: false }>['slot'];
/** Slots that hold a list of plugins. */
export type ListSlot = Extract<(typeof SLOTS)[number], { list: true }>['slot'];

export const SINGLE_SLOTS: readonly SingleSlot[] = SLOTS.filter((s) => !s.list).map((s) => s.slot as SingleSlot);
export const LIST_SLOTS: readonly ListSlot[] = SLOTS.filter((s) => s.list).map((s) => s.slot as ListSlot);

/**
 * The recipe slot each kind fills (scorers are named by commands such as `rlhf eval`). Typed so
 * that it fails to compile when a plugin kind other than `job` has no slot in the table.
 */
export const SLOT_OF_KIND: Readonly<Record<PluginKind, string>> = Object.freeze({
  ...(Object.fromEntries(SLOTS.map((s) => [s.kind, s.slot])) as Record<(typeof SLOTS)[number]['kind'], string>),
  job: 'job',
});

/** The table's entry for a slot name, or undefined when the name is not a plugin slot. */
export function slotSpec(slot: string): (typeof SLOTS)[number] | undefined {
  return SLOTS.find((s) => s.slot === slot);
}
