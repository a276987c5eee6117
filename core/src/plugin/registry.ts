import { DiagnosticError, didYouMean, type Diagnostic } from '../diagnostics';
import { CORE_API_VERSION, isCompatible } from './api-version';
import type { PluginDefinition, PluginPackage } from './define';
import { PLUGIN_KINDS, type PluginKind } from './kinds';

export interface RegisteredPlugin {
  def: PluginDefinition;
  /** The npm package (or path) that provided it. */
  packageName: string;
  packageVersion?: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9-]*$/;

/**
 * The plugins a run may use: filled from plugin packages only (nothing registers on import),
 * one registry per run.
 */
export class PluginRegistry {
  private readonly byKind = new Map<PluginKind, Map<string, RegisteredPlugin>>();
  /** Packages added, with their versions, for the manifest. */
  readonly packages = new Map<string, { version?: string; path?: string }>();

  /** Add every plugin of a package; problems are returned, not thrown, so all can be reported at once. */
  addPackage(packageName: string, exported: unknown, info: { version?: string; path?: string } = {}): Diagnostic[] {
    const problems = checkPackageShape(packageName, exported);
    if (problems.length) return problems;
    const pkg = exported as PluginPackage;
    this.packages.set(packageName, info);
    for (const def of pkg.plugins) {
      const kind = def.kind;
      let map = this.byKind.get(kind);
      if (!map) this.byKind.set(kind, (map = new Map()));
      const existing = map.get(def.name);
      if (existing) {
        problems.push({
          code: 'plugin/duplicate',
          plugin: `${kind}/${def.name}`,
          message: `two packages register the ${kind} plugin "${def.name}": ${existing.packageName} and ${packageName}`,
          fix: `remove one of the two packages from the recipe's plugins list, or rename the plugin in one of them`,
        });
        continue;
      }
      map.set(def.name, { def, packageName, packageVersion: info.version });
    }
    return problems;
  }

  /** Add a package or throw all its problems. */
  add(packageName: string, exported: unknown, info: { version?: string; path?: string } = {}): this {
    const problems = this.addPackage(packageName, exported, info);
    if (problems.length) throw new DiagnosticError(problems);
    return this;
  }

  find(kind: PluginKind, name: string): RegisteredPlugin | undefined {
    return this.byKind.get(kind)?.get(name);
  }

  names(kind: PluginKind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }

  all(): RegisteredPlugin[] {
    const out: RegisteredPlugin[] = [];
    for (const kind of PLUGIN_KINDS) for (const p of this.byKind.get(kind)?.values() ?? []) out.push(p);
    return out;
  }

  /** The diagnostic for a name that is not registered, listing what is and the closest match. */
  unknown(kind: PluginKind, name: string, pointer: string): Diagnostic {
    const names = this.names(kind);
    const hint = didYouMean(name, names);
    return {
      code: 'recipe/unknown-plugin',
      pointer,
      message: `unknown ${kind} plugin "${name}".${hint ? ' ' + hint : ''}`,
      fix: names.length
        ? `registered ${kind} plugins: ${names.join(', ')}. A plugin from another package needs that package in the recipe's plugins list`
        : `no package in the recipe's plugins list provides ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} plugin; add one (rlhf plugins lists the installed ones)`,
    };
  }
}

function checkPackageShape(packageName: string, exported: unknown): Diagnostic[] {
  const fixExport = `default-export definePackage({ plugins: [...] }) from '@rlhfjs/core' in ${packageName}'s main module`;
  if (!exported || typeof exported !== 'object' || (exported as PluginPackage).rlhfPluginPackage !== true) {
    const hasPlugins = !!exported && typeof exported === 'object' && Array.isArray((exported as PluginPackage).plugins);
    return [
      {
        code: 'plugin/not-a-plugin-package',
        plugin: packageName,
        message: `${packageName} is not an rlhfjs plugin package: its default export ${hasPlugins ? 'has a plugins list but was not made by definePackage' : 'is not a plugin package'}`,
        fix: fixExport,
      },
    ];
  }
  const pkg = exported as PluginPackage;
  if (typeof pkg.apiVersion !== 'string' || !isCompatible(pkg.apiVersion)) {
    return [
      {
        code: 'plugin/api-version',
        plugin: packageName,
        message: `${packageName} targets plugin API ${String(pkg.apiVersion)}, but this core provides API ${CORE_API_VERSION}`,
        fix: `install a version of ${packageName} built for API ${CORE_API_VERSION.split('.')[0]}.x, or a version of @rlhfjs/core that provides API ${String(pkg.apiVersion)}`,
      },
    ];
  }
  const problems: Diagnostic[] = [];
  if (!Array.isArray(pkg.plugins)) return [{ code: 'plugin/not-a-plugin-package', plugin: packageName, message: `${packageName}: plugins must be a list`, fix: fixExport }];
  pkg.plugins.forEach((def, i) => {
    const where = `${packageName} plugins[${i}]`;
    const bad = (message: string, fix: string): void => void problems.push({ code: 'plugin/bad-definition', plugin: packageName, message: `${where}: ${message}`, fix });
    if (!def || typeof def !== 'object') return bad('is not a plugin definition', 'build each plugin with definePlugin({...})');
    if (!PLUGIN_KINDS.includes(def.kind)) bad(`unknown kind "${String(def.kind)}". ${didYouMean(String(def.kind), PLUGIN_KINDS)}`, `kind is one of ${PLUGIN_KINDS.join(', ')}`);
    if (typeof def.name !== 'string' || !NAME_RE.test(def.name)) bad(`name ${JSON.stringify(def.name)} is not a lowercase dashed name`, 'use e.g. "my-reward"');
    if (typeof def.create !== 'function') bad(`plugin "${String(def.name)}" has no create() factory`, 'add create({ options, container }) returning the component');
    if (!def.options || typeof def.options !== 'object') bad(`plugin "${String(def.name)}" has no options schema`, 'add options: { type: "object", additionalProperties: false, properties: {} }');
    if (typeof def.description !== 'string' || !def.description) bad(`plugin "${String(def.name)}" has no description`, 'add a one-line description');
    if (def.check !== undefined && typeof def.check !== 'function') bad(`plugin "${String(def.name)}": check must be a function`, 'declare check(options, { recipe, pointer }) returning a list of problems, or leave it out');
    for (const k of ['fromCheckpoint', 'loadModel', 'loadTokenizer', 'footprint'] as const) {
      if (def[k] === undefined) continue;
      if (def.kind !== 'agent') bad(`plugin "${String(def.name)}" declares ${k}, which only agent plugins have`, `remove ${k}, or make the plugin an agent`);
      else if (typeof def[k] !== 'function') bad(`plugin "${String(def.name)}": ${k} must be a function`, 'see docs/plugins.md, "Loading an agent from a checkpoint"');
    }
  });
  return problems;
}
