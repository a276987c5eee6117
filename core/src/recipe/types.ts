import type { RecipeEnvelope } from './envelope';

/**
 * The recipe types, derived from the envelope schema (`recipeSchema` in `envelope.ts`): what
 * the schema declares with a `default` is present, because validation fills it in.
 */

/** A slot that names a plugin: `{ use, options }`. */
export type SlotRef = Required<NonNullable<RecipeEnvelope['agent']>>;

/**
 * A reward source after validation: `weight` defaults to 1; `name` (the label in metrics,
 * `score/<name>`) defaults to `use`, made unique with an index.
 */
export type RewardRef = Required<NonNullable<RecipeEnvelope['rewards']>[number]>;

/** What happens to the combined score before the algorithm sees it. */
export type RewardProcessing = RecipeEnvelope['rewardProcessing'];

/**
 * A recipe after validation: every default filled in, the job as `{ use, options }`, every
 * reward named and weighted, the list slots present. What a run directory stores.
 */
export type ResolvedRecipe = Omit<RecipeEnvelope, 'name' | 'job' | 'rewards' | 'loggers' | 'scorers'> & {
  name: string;
  job: SlotRef;
  rewards: RewardRef[];
  loggers: SlotRef[];
  scorers: SlotRef[];
};
