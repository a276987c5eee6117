import * as fs from 'node:fs';
import * as path from 'node:path';
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
  /** The module's default export (or the module itself when it has none). */
  exported: unknown;
}

/** Resolve a package name or path the way Node would from a file in `fromDir`. */
export function resolvePackage(spec: string, fromDir: string): string {
  const req = createRequire(path.join(fromDir, '__rlhf_recipe__.js'));
  return req.resolve(spec);
}

/**
 * Load a plugin package named in a recipe, resolved relative to the recipe's folder. CommonJS
 * packages are required; ES modules are imported.
 */
export async function loadPackage(spec: string, fromDir: string): Promise<LoadedPackage> {
  let entry: string;
  try {
    entry = resolvePackage(spec, fromDir);
  } catch (err) {
    const isPath = spec.startsWith('.') || path.isAbsolute(spec);
    throw new DiagnosticError({
      code: 'plugin/package-not-found',
      plugin: spec,
      message: isPath
        ? `plugin package ${spec} not found (looked for ${path.resolve(fromDir, spec)} from the recipe's folder)`
        : `plugin package ${spec} is not installed where the recipe can see it (searched node_modules from ${fromDir} upwards)`,
      fix: isPath ? 'check the path; it is relative to the recipe file, and the folder needs a package.json with "main" (or an index.js)' : `run \`npm install ${spec}\` in the recipe's project, or fix the name in the recipe's plugins list`,
    }, { cause: err });
  }
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
  const meta = findPackageJson(entry);
  return { spec, name: meta?.name ?? spec, version: meta?.version, entry, exported };
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
