import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The recipe envelope schema, read from the schemas package (one source of truth). Looked up
 * from this file's folder so it works from sources, from dist and from an installed package.
 */
function loadEnvelope(): Record<string, unknown> {
  const candidates = [path.join(__dirname, '..', '..', '..', 'schemas', 'recipe.schema.json'), path.join(__dirname, '..', '..', 'schemas', 'recipe.schema.json')];
  for (const c of candidates) if (fs.existsSync(c)) return JSON.parse(fs.readFileSync(c, 'utf8')) as Record<string, unknown>;
  // installed as a dependency
  return require('@rlhfjs/schemas/recipe.schema.json') as Record<string, unknown>;
}

export const recipeSchema = loadEnvelope();
