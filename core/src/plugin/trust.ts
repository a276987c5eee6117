import * as fs from 'node:fs';
import * as path from 'node:path';
import { findPackageFolder, isPathSpec, PLUGIN_PACKAGE_KEYWORD, type LoadedPackage } from './load-package';

/** The trust model, as `rlhf validate --help` prints it (docs/plugins.md says the same at more length). */
export const VALIDATE_TRUST = [
  'Trust: naming a plugin package in a recipe runs its code, and validate loads every package the',
  'recipe names. Read a recipe you did not write before validating it, as you would read code.',
  'A plugins entry is accepted only as',
  '  - an npm package name (npm\'s name grammar: optional @scope/, no "..", no path inside the',
  '    package), resolved from node_modules folders from the recipe\'s folder upwards, or',
  '  - a path written as a path (./x, ../x or absolute) to a package folder whose package.json',
  `    has "keywords": ["${PLUGIN_PACKAGE_KEYWORD}"].`,
  'Anything else (a file, a subpath such as @scope/pkg/../x.js, a folder that is not a plugin',
  'package) is refused before any of its code runs. validate prints each package\'s version and',
  'resolved folder, and marks one that was found in a node_modules other than the project\'s own',
  '(the one seen from the current folder). Each run\'s manifest.json records every plugin',
  'package\'s name, version, resolved path and the sha256 of its package.json.',
].join('\n');

/**
 * One line for `validate`: name@version and the resolved folder; a package named by npm name that
 * the current folder's node_modules lookup would not find at the same place is marked with both paths.
 */
export function describePackage(pkg: Pick<LoadedPackage, 'spec' | 'name' | 'version' | 'dir'>, cwd: string): string {
  const head = `package ${pkg.name}@${pkg.version ?? '(no version)'}  ${pkg.dir}`;
  if (isPathSpec(pkg.spec)) return `${head}  (named by path ${pkg.spec})`;
  const own = findPackageFolder(pkg.spec, cwd);
  let ownReal: string | undefined;
  try {
    ownReal = own ? fs.realpathSync(own) : undefined;
  } catch {
    ownReal = undefined;
  }
  if (ownReal === pkg.dir) return head;
  return `${head}  (not the project's own: resolved from ${path.dirname(pkg.dir)}; ${ownReal ? `the project's node_modules has ${ownReal}` : 'the project\'s node_modules has none'})`;
}
