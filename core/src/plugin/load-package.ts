import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { DiagnosticError, type Diagnostic } from '../diagnostics';

export interface LoadedPackage {
  /** The name as the recipe wrote it. */
  spec: string;
  /** package.json name and version, when found. */
  name: string;
  version?: string;
  /** Absolute path of the module that was loaded. */
  entry: string;
  /** Absolute, real path of the package's folder (the one holding its package.json). */
  dir: string;
  /** sha256 (hex) of the package's package.json bytes. */
  packageJsonSha256: string;
  /** The module's default export (or the module itself when it has none). */
  exported: unknown;
}

/**
 * What a recipe's `plugins` entry may be: an npm package name (npm's name grammar: lowercase,
 * optionally `@scope/`, no `..`, no subpath), or a path written as a path (`./x`, `../x`, absolute)
 * to a package folder whose package.json carries the keyword below.
 */
export const PLUGIN_PACKAGE_KEYWORD = 'rlhf-plugin';

/** npm's name grammar for new packages: optional scope, one name segment, 214 characters at most. */
const NPM_NAME = /^(?:@[a-z0-9-*~][a-z0-9-*._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

export function isPackageName(spec: string): boolean {
  return spec.length <= 214 && NPM_NAME.test(spec);
}

export function isPathSpec(spec: string): boolean {
  return spec === '.' || spec === '..' || spec.startsWith('./') || spec.startsWith('../') || path.isAbsolute(spec) || (path.sep === '\\' && (spec.startsWith('.\\') || spec.startsWith('..\\')));
}

/** Resolve a package name or path the way Node would from a file in `fromDir`. */
export function resolvePackage(spec: string, fromDir: string): string {
  const req = createRequire(path.join(fromDir, '__rlhf_recipe__.js'));
  return req.resolve(spec);
}

/** The folder of package `name` as Node's node_modules lookup from `fromDir` finds it (no code runs). */
export function findPackageFolder(name: string, fromDir: string): string | undefined {
  let dir = path.resolve(fromDir);
  while (true) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function refuse(spec: string, message: string, fix: string, code = 'plugin/refused-spec'): DiagnosticError {
  return new DiagnosticError({ code, plugin: spec, message, fix });
}

function inside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Check a plugins entry and find its package folder, package.json and entry module without running
 * any of its code. Throws a DiagnosticError naming the spec when it is refused or not found.
 */
export function inspectPackage(spec: string, fromDir: string): Omit<LoadedPackage, 'exported'> {
  let folder: string;
  const asPath = isPathSpec(spec);
  if (asPath) {
    folder = path.resolve(fromDir, spec);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(folder);
    } catch {
      st = undefined;
    }
    if (!st) {
      throw refuse(spec, `plugin package ${spec} not found (looked for the folder ${folder} from the recipe's folder)`, 'check the path; it is relative to the recipe file and must name a package folder (one with a package.json)', 'plugin/package-not-found');
    }
    if (!st.isDirectory()) {
      throw refuse(spec, `plugins entry ${spec} is a file (${folder}), not a package folder; a recipe loads plugin packages, never single files, so it was not run`, `name the folder that holds the plugin's package.json (with "keywords": ["${PLUGIN_PACKAGE_KEYWORD}"]), or install the package and name it by its npm name`);
    }
  } else if (isPackageName(spec)) {
    const found = findPackageFolder(spec, fromDir);
    if (!found) {
      throw refuse(spec, `plugin package ${spec} is not installed where the recipe can see it (searched node_modules from ${fromDir} upwards)`, `run \`npm install ${spec}\` in the recipe's project, or fix the name in the recipe's plugins list`, 'plugin/package-not-found');
    }
    folder = found;
  } else {
    throw refuse(
      spec,
      `plugins entry ${spec} is neither an npm package name (lowercase, optionally @scope/, no "..", no path inside the package) nor a path written as a path (./x, ../x or absolute); it was not loaded`,
      `name the package by its npm name alone (e.g. "@rlhfjs/plugin-rewards"), or give a path starting with ./ or ../ to a package folder whose package.json has "keywords": ["${PLUGIN_PACKAGE_KEYWORD}"]`,
    );
  }
  const real = fs.realpathSync(folder);
  const pjFile = path.join(real, 'package.json');
  let bytes: Buffer;
  let pj: { name?: unknown; version?: unknown; keywords?: unknown };
  try {
    bytes = fs.readFileSync(pjFile);
    pj = JSON.parse(bytes.toString('utf8')) as typeof pj;
  } catch (err) {
    throw refuse(spec, `plugin package ${spec} has no readable package.json in ${real} (${(err as Error).message.split('\n')[0]}); it was not loaded`, 'a plugin package is a folder with a package.json (name, version, main, keywords)', 'plugin/not-a-package');
  }
  if (asPath && !(Array.isArray(pj.keywords) && pj.keywords.includes(PLUGIN_PACKAGE_KEYWORD))) {
    throw refuse(spec, `the folder ${real} named by ${spec} does not declare itself an rlhfjs plugin package (its package.json has no "${PLUGIN_PACKAGE_KEYWORD}" keyword); it was not loaded`, `add "keywords": ["${PLUGIN_PACKAGE_KEYWORD}", "rlhfjs"] to ${pjFile} if it is a plugin package you trust`, 'plugin/not-a-plugin-package');
  }
  let entry: string;
  try {
    entry = asPath ? resolvePackage(real, fromDir) : resolvePackage(spec, fromDir);
  } catch (err) {
    throw new DiagnosticError({ code: 'plugin/package-not-found', plugin: spec, message: `plugin package ${spec} (${real}) has no main module Node can find`, fix: 'the package.json needs "main" (or "exports") naming a built file; if the package is yours, build it (npm run build)' }, { cause: err });
  }
  const realEntry = fs.realpathSync(entry);
  if (!inside(realEntry, real)) {
    throw refuse(spec, `plugin package ${spec} (${real}) points its main module outside its own folder (${realEntry}); it was not loaded`, 'a plugin package\'s "main"/"exports" must name a file inside the package folder');
  }
  return {
    spec,
    name: typeof pj.name === 'string' ? pj.name : spec,
    version: typeof pj.version === 'string' ? pj.version : undefined,
    entry: realEntry,
    dir: real,
    packageJsonSha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/**
 * Load a plugin package named in a recipe, resolved relative to the recipe's folder. The spec is
 * checked first (see {@link inspectPackage}); no code of the package runs unless it passes.
 * CommonJS packages are required; ES modules are imported.
 */
export async function loadPackage(spec: string, fromDir: string): Promise<LoadedPackage> {
  const info = inspectPackage(spec, fromDir);
  const entry = info.entry;
  let mod: unknown;
  try {
    mod = require(entry);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') {
      mod = await import(pathToFileURL(entry).href);
    } else {
      throw new DiagnosticError(
        {
          code: 'plugin/package-failed',
          plugin: spec,
          message: `plugin package ${spec} failed to load: ${(err as Error).message.split('\n')[0]}`,
          fix: `the error comes from ${entry}; if the package is yours, build it (npm run build) and run its tests`,
        },
        { cause: err },
      );
    }
  }
  const m = mod as { default?: unknown; __esModule?: boolean };
  const exported = m && typeof m === 'object' && 'default' in m && m.default !== undefined ? m.default : mod;
  return { ...info, exported };
}

/** The nearest package.json above a module file. */
export function findPackageJson(file: string): { name?: string; version?: string; dir: string; keywords?: string[] } | undefined {
  let dir = path.dirname(file);
  while (true) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) {
      try {
        const j = JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string; version?: string; keywords?: string[] };
        return { name: j.name, version: j.version, keywords: j.keywords, dir };
      } catch {
        return { dir };
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Installed packages that declare themselves rlhfjs plugins (keyword "rlhf-plugin"), found in
 * node_modules folders from `fromDir` upwards. Used by `rlhf plugins` and `rlhf schema`.
 */
export function discoverPluginPackages(fromDir: string): string[] {
  const found = new Set<string>();
  let dir = path.resolve(fromDir);
  while (true) {
    const nm = path.join(dir, 'node_modules');
    if (fs.existsSync(nm)) {
      for (const entry of safeReaddir(nm)) {
        const names = entry.startsWith('@') ? safeReaddir(path.join(nm, entry)).map((e) => `${entry}/${e}`) : [entry];
        for (const name of names) {
          const pj = path.join(nm, name, 'package.json');
          try {
            const j = JSON.parse(fs.readFileSync(pj, 'utf8')) as { keywords?: string[] };
            if (Array.isArray(j.keywords) && j.keywords.includes('rlhf-plugin')) found.add(name);
          } catch {
            // not a package
          }
        }
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return [...found].sort();
}

function safeReaddir(d: string): string[] {
  try {
    return fs.readdirSync(d).filter((e) => !e.startsWith('.'));
  } catch {
    return [];
  }
}

/** Load every package, collecting problems instead of stopping at the first. */
export async function loadPackages(specs: readonly string[], fromDir: string): Promise<{ loaded: LoadedPackage[]; problems: Diagnostic[] }> {
  const loaded: LoadedPackage[] = [];
  const problems: Diagnostic[] = [];
  for (const spec of specs) {
    try {
      loaded.push(await loadPackage(spec, fromDir));
    } catch (err) {
      if (DiagnosticError.is(err)) problems.push(...err.diagnostics);
      else throw err;
    }
  }
  return { loaded, problems };
}
