import * as path from 'node:path';
import { discoverPluginPackages, loadPackages } from '../plugin/load-package';
import { PluginRegistry } from '../plugin/registry';
import { DiagnosticError } from '../diagnostics';
import { displayName } from '../recipe/validate';

/**
 * The registry of every plugin package visible from `dir` (keyword "rlhf-plugin" in node_modules)
 * plus the ones named explicitly. For `rlhf plugins` and `rlhf schema`.
 */
export async function knownPlugins(dir: string, extra: readonly string[] = []): Promise<PluginRegistry> {
  const specs = [...new Set([...discoverPluginPackages(dir), ...extra])];
  const { loaded, problems } = await loadPackages(specs, path.resolve(dir));
  const registry = new PluginRegistry();
  for (const pkg of loaded) problems.push(...registry.addPackage(displayName(pkg), pkg.exported, { version: pkg.version, path: pkg.entry }));
  if (problems.length) throw new DiagnosticError(problems);
  return registry;
}
