import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { bundleSchema, createAjv, knownPlugins, recipeSchema } from '@rlhfjs/core';
import { REPO } from './helpers/paths';

const committed = path.join(REPO, 'schemas', 'recipe.bundle.schema.json');
const envelope = path.join(REPO, 'schemas', 'recipe.schema.json');

function shippedRecipes(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'models' && e.name !== 'runs') walk(path.join(d, e.name));
      else if (/\.(ya?ml|json)$/.test(e.name)) out.push(path.join(d, e.name));
    }
  };
  walk(path.join(REPO, 'recipes'));
  return out;
}

describe('the envelope schema file', () => {
  // core/src/recipe/envelope.ts holds the envelope schema that the recipe types are derived from;
  // schemas/recipe.schema.json is generated from it for editors and other tools
  test('schemas/recipe.schema.json is current (regenerate with: npm run schemas)', () => {
    expect(fs.readFileSync(envelope, 'utf8')).toBe(JSON.stringify(recipeSchema, null, 2) + '\n');
  });
});

describe('the editor schema bundle', () => {
  let bundle: Record<string, unknown>;
  beforeAll(async () => {
    bundle = bundleSchema(await knownPlugins(REPO));
  });

  test('the committed bundle is current (regenerate with: npm run schemas)', () => {
    expect(JSON.parse(fs.readFileSync(committed, 'utf8'))).toEqual(JSON.parse(JSON.stringify(bundle)));
  });

  test('it compiles, and every shipped recipe is valid against it, as an editor would check', () => {
    const validate = createAjv(false).compile(bundle);
    const recipes = shippedRecipes();
    expect(recipes.length).toBeGreaterThan(0);
    for (const file of recipes) {
      const ok = validate(parse(fs.readFileSync(file, 'utf8')));
      expect({ file: path.relative(REPO, file), errors: ok ? null : validate.errors }).toEqual({ file: path.relative(REPO, file), errors: null });
    }
  });

  test('a misspelt option is an error under the bundle too', () => {
    const validate = createAjv(false).compile(bundle);
    const ok = validate({ plugins: [], algorithm: { use: 'ppo', options: { lerningRate: 1 } } });
    expect(ok).toBe(false);
  });
});
