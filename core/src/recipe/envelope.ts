/** The recipe envelope schema, from the schemas package (one source of truth). */
export const recipeSchema = require('@rlhfjs/schemas/recipe.schema.json') as Record<string, unknown>;

/**
 * The job a recipe runs when it names none (the envelope's `job` default), and the built-in
 * package that provides it: a recipe without that package is told which one to add.
 */
export const DEFAULT_JOB = {
  use: (recipeSchema as { properties: { job: { default: string } } }).properties.job.default,
  what: 'the RL loop',
  package: '@rlhfjs/plugin-algorithms',
} as const;
