import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..');

/** Every recipe the project ships, as `rlhf validate` would be given them. */
function shippedRecipes(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'models') walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
  };
  walk(path.join(REPO, 'recipes'));
  return out.sort();
}

/**
 * Loading and validating a recipe must not load a tensor runtime: `rlhf validate` answers before any
 * backend starts, and a recipe's errors never wait on one. Runs in a fresh Node process against the
 * built packages (jest keeps its own module registry, so require.cache is only meaningful outside it).
 */
test('loading and validating every shipped recipe leaves no @tensorflow module in require.cache', () => {
  const recipes = shippedRecipes();
  expect(recipes.length).toBeGreaterThan(5);
  const script = `
    const core = require('@rlhfjs/core');
    (async () => {
      for (const f of JSON.parse(process.argv[1])) await core.loadRecipe(f);
      const loaded = Object.keys(require.cache).filter((k) => k.includes('@tensorflow'));
      process.stdout.write(JSON.stringify({ loaded, modules: Object.keys(require.cache).length }));
    })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, JSON.stringify(recipes)], { cwd: REPO, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const res = JSON.parse(r.stdout) as { loaded: string[]; modules: number };
  // the plugin packages really were loaded (so the check covers them), and no tensor runtime with them
  expect(res.modules).toBeGreaterThan(50);
  expect(res.loaded).toEqual([]);
});
