import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES, type RunDirectory } from '../runtime/run-dir';
import type { Manifest } from '../runtime/manifest';
import { openRunDir } from '../runner/run';

/** What a command's `<target>` names: a recipe file, or a run directory with the recipe it ran. */
export interface RecipeTarget {
  /** The recipe to load: the file given, or the run's resolved copy. */
  recipeFile: string;
  /** Where the recipe's relative paths start: the run's original recipe folder while it exists, else the run's parent; undefined for a recipe file (its own folder). */
  baseDir?: string;
  /** The run directory, when the target is one. */
  run?: RunDirectory;
}

/** Reads a command's target (absolute path): a run directory gives its recipe and base folder; anything else is taken as a recipe file. */
export function recipeTarget(target: string): RecipeTarget {
  if (!fs.statSync(target, { throwIfNoEntry: false })?.isDirectory()) return { recipeFile: target };
  const run = openRunDir(target);
  const manifest = run.readJson<Manifest>(RUN_FILES.manifest);
  return { recipeFile: run.file(RUN_FILES.recipe), baseDir: fs.existsSync(manifest.recipeDir) ? manifest.recipeDir : path.dirname(run.path), run };
}
