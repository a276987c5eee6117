/** The recipe envelope schema, from the schemas package (one source of truth). */
export const recipeSchema = require('@rlhfjs/schemas/recipe.schema.json') as Record<string, unknown>;
