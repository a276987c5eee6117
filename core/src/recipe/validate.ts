import * as path from 'node:path';
import { DiagnosticError, type Diagnostic } from '../diagnostics';
import { loadPackages, type LoadedPackage } from '../plugin/load-package';
import { PluginRegistry } from '../plugin/registry';
import type { PluginCheckProblem, PluginDefinition } from '../plugin/define';
import { SLOTS, slotSpec, type PluginKind } from '../plugin/kinds';
import { ajvToDiagnostics, compileCached, createAjv } from './ajv';
import { applyOverrides, parseOverride } from './overrides';
import { RecipeSource } from './source';
import type { ResolvedRecipe, RewardRef, SlotRef } from './types';
import { DEFAULT_JOB, recipeSchema } from './envelope';

export interface LoadRecipeOptions {
  /** `--set path=value` texts, applied after parsing and validated like the file. */
  overrides?: readonly string[];
  /** Use this registry instead of loading the recipe's `plugins` (tests). */
  registry?: PluginRegistry;
  /** Folder that plugin packages and relative paths resolve from (default: the recipe's folder). */
  baseDir?: string;
}

export interface LoadedRecipe {
  recipe: ResolvedRecipe;
  /** Folder that relative paths in the recipe resolve against. */
  baseDir: string;
  source: RecipeSource;
  registry: PluginRegistry;
  packages: LoadedPackage[];
}


const envelopeAjv = createAjv(true);
const validateEnvelope = envelopeAjv.compile(recipeSchema);

/**
 * The one path that `validate`, `train`, `reproduce` and `eval` share: read, parse, apply
 * overrides, validate the envelope, load plugin packages, validate each slot's options against
 * its plugin's schema (defaults filled in), collecting every problem before raising one error.
 * No tensor backend is touched here.
 */
export async function loadRecipe(file: string, opts: LoadRecipeOptions = {}): Promise<LoadedRecipe> {
  const { source, value } = RecipeSource.load(file);
  return validateRecipeValue(source, value as Record<string, unknown>, opts);
}

export async function validateRecipeValue(source: RecipeSource, raw: Record<string, unknown>, opts: LoadRecipeOptions = {}): Promise<LoadedRecipe> {
  const problems: Diagnostic[] = [];
  const value = structuredClone(raw);

  // --set overrides
  const overrides = (opts.overrides ?? []).map(parseOverride);
  const applied = applyOverrides(value, overrides);
  for (const [p, flag] of applied.pointers) source.overridden.set(p, flag);
  problems.push(...applied.problems);

  // pass 1: the envelope
  if (!validateEnvelope(value)) {
    problems.push(...ajvToDiagnostics(validateEnvelope.errors ?? [], { prefix: '' }));
  }
  if (problems.length) throw locate(problems, source);

  // the job and the slots it needs
  const job: SlotRef = typeof value.job === 'string' ? { use: value.job, options: {} } : (value.job as SlotRef);

  // plugin packages, resolved from the recipe's folder
  let registry = opts.registry;
  let packages: LoadedPackage[] = [];
  if (!registry) {
    registry = new PluginRegistry();
    const res = await loadPackages(value.plugins as string[], opts.baseDir ?? source.dir);
    packages = res.loaded;
    problems.push(...res.problems.map((d) => ({ ...d, pointer: d.pointer ?? `/plugins/${(value.plugins as string[]).indexOf(d.plugin ?? '')}` })));
    for (const pkg of packages) {
      problems.push(...registry.addPackage(displayName(pkg), pkg.exported, { version: pkg.version, path: pkg.entry }).map((d) => ({ ...d, pointer: `/plugins/${(value.plugins as string[]).indexOf(pkg.spec)}` })));
    }
    if (problems.length) throw locate(problems, source);
  }

  // the job (a plugin like any other, `rl` by default) and the slots it reads
  const jobPointer = typeof value.job === 'string' ? '/job' : '/job/use';
  const jp = registry.find('job', job.use);
  const required: Array<{ slot: string; by: string }> = [];
  if (!jp) {
    const d = registry.unknown('job', job.use, jobPointer);
    if (job.use === DEFAULT_JOB.use) d.fix = `"${DEFAULT_JOB.use}" (${DEFAULT_JOB.what}, the default job) comes from ${DEFAULT_JOB.package}: add "${DEFAULT_JOB.package}" to the recipe's plugins list. ${d.fix ?? ''}`;
    problems.push(d);
  } else {
    for (const slot of jp.def.requires ?? []) required.push({ slot, by: `the ${job.use} job` });
    problems.push(...validateOptions(registry, 'job', job, '/job', value));
    if (typeof value.job === 'string') value.job = job;
  }
  // and the slots that the plugins the recipe names need (an online algorithm needs rewards, ...)
  for (const { slot, kind } of SLOTS) {
    const v = value[slot];
    for (const ref of (Array.isArray(v) ? v : v === undefined ? [] : [v]) as SlotRef[]) {
      for (const need of registry.find(kind, ref.use)?.def.requires ?? []) required.push({ slot: need, by: `the ${ref.use} ${kind}` });
    }
  }
  const reported = new Set<string>();
  for (const { slot, by } of required) {
    const v = value[slot];
    if (reported.has(slot) || !(v === undefined || (Array.isArray(v) && v.length === 0))) continue;
    reported.add(slot);
    const kind = slotSpec(slot)?.kind;
    const names = kind ? registry.names(kind) : [];
    problems.push({
      code: 'recipe/missing-slot',
      pointer: '',
      message: `${by} needs the slot "${slot}"${Array.isArray(v) ? ' with at least one entry' : ''}`,
      fix: `add ${slot}:${Array.isArray(v) || slot === 'rewards' ? ' [ { use: <name> } ]' : ' { use: <name>, options: {...} }'}${names.length ? ` — ${kind} plugins available: ${names.join(', ')}` : ''}`,
    });
  }

  // pass 2: each slot's options against its plugin's schema
  for (const { slot, kind } of SLOTS) {
    const v = value[slot];
    if (v === undefined) continue;
    if (Array.isArray(v)) v.forEach((ref: SlotRef, i) => problems.push(...validateOptions(registry, kind, ref, `/${slot}/${i}`, value)));
    else problems.push(...validateOptions(registry, kind, v as SlotRef, `/${slot}`, value));
  }
  problems.push(...checkRunFolder(value, source));
  if (problems.length) throw locate(problems, source);

  return { recipe: resolve(value, source, job), baseDir: opts.baseDir ?? source.dir, source, registry, packages };
}

/** The run folder `<outputDir>/<runName>` (or `<name>-<timestamp>`) must lie strictly inside outputDir. */
function checkRunFolder(value: Record<string, unknown>, source: RecipeSource): Diagnostic[] {
  const runtime = value.runtime as { outputDir?: unknown; runName?: unknown } | undefined;
  const outputDir = typeof runtime?.outputDir === 'string' ? runtime.outputDir : 'runs';
  const runName = typeof runtime?.runName === 'string' ? runtime.runName : undefined;
  const name = runName ?? `${(value.name as string | undefined) ?? path.basename(source.file).replace(/\.(ya?ml|json)$/i, '')}-x`;
  const out = path.resolve(source.dir, outputDir);
  const rel = path.relative(out, path.resolve(out, name));
  if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && !rel.includes(path.sep)) return [];
  return [{
    code: 'recipe/run-name-outside',
    pointer: runName !== undefined ? '/runtime/runName' : '/name',
    message: `the run folder name ${JSON.stringify(runName ?? value.name)} does not name a folder directly inside outputDir (${out})`,
    fix: 'use a plain name of letters, digits, ".", "_" and "-", other than "." and ".."',
  }];
}

/** A package named by path is shown under its package.json name (with the path), by name otherwise. */
export function displayName(pkg: { spec: string; name: string }): string {
  return pkg.spec.startsWith('.') || path.isAbsolute(pkg.spec) ? (pkg.name !== pkg.spec ? `${pkg.name} (${pkg.spec})` : pkg.spec) : pkg.spec;
}

function validateOptions(registry: PluginRegistry, kind: PluginKind, ref: SlotRef, pointer: string, recipe: Record<string, unknown>): Diagnostic[] {
  const found = registry.find(kind, ref.use);
  if (!found) return [registry.unknown(kind, ref.use, `${pointer}/use`)];
  ref.options ??= {};
  const plugin = `${kind}/${ref.use}`;
  let validate;
  try {
    validate = compileCached(found.def.options);
  } catch (err) {
    return [{ code: 'plugin/bad-schema', plugin, pointer, message: `the options schema of ${plugin} (from ${found.packageName}) does not compile: ${(err as Error).message}`, fix: `this is a bug in ${found.packageName}; report it to its authors` }];
  }
  if (!validate(ref.options)) return ajvToDiagnostics(validate.errors ?? [], { prefix: `${pointer}/options`, plugin });
  return runCheck(found.def, found.packageName, ref.options, recipe, pointer, plugin);
}

/** A plugin's own checks of its (schema-valid, defaults filled) options, as diagnostics that point into the recipe. */
function runCheck(def: PluginDefinition, packageName: string, options: unknown, recipe: Record<string, unknown>, pointer: string, plugin: string): Diagnostic[] {
  if (typeof def.check !== 'function') return [];
  let found: readonly PluginCheckProblem[] | void;
  try {
    found = def.check(options, { recipe, pointer });
  } catch (err) {
    return [{ code: 'plugin/check-failed', plugin, pointer, message: `the check() of ${plugin} (from ${packageName}) threw: ${(err as Error).message}`, fix: `this is a bug in ${packageName}; report it to its authors` }];
  }
  return (found ?? []).map((p) => ({
    code: p.code ?? 'recipe/invalid-option',
    plugin,
    pointer: `${pointer}/options${p.option}`,
    message: p.message,
    ...(p.fix ? { fix: p.fix } : {}),
  }));
}

function resolve(value: Record<string, unknown>, source: RecipeSource, job: SlotRef): ResolvedRecipe {
  const rewards = ((value.rewards as Array<Partial<RewardRef> & SlotRef>) ?? []).map((r, i, all) => {
    const dup = all.filter((o) => (o.name ?? o.use) === (r.name ?? r.use)).length > 1;
    return { use: r.use, options: r.options, weight: r.weight ?? 1, name: r.name ?? (dup ? `${r.use}-${i}` : r.use) };
  });
  const name = (value.name as string | undefined) ?? path.basename(source.file).replace(/\.(ya?ml|json)$/i, '');
  return {
    ...(value as object),
    name,
    job,
    plugins: value.plugins as string[],
    rewards,
    loggers: (value.loggers as SlotRef[]) ?? [],
    scorers: (value.scorers as SlotRef[]) ?? [],
  } as ResolvedRecipe;
}

/** Attach file, line and column to each diagnostic. */
export function locate(problems: Diagnostic[], source: RecipeSource): DiagnosticError {
  return new DiagnosticError(
    problems.map((d) => {
      if (d.pointer === undefined) return { file: source.file, ...d };
      const isKey = d.code === 'recipe/unknown-key';
      const loc = source.locate(d.pointer, { key: isKey });
      if (loc.viaOverride) return { ...d, file: `${source.file} (${loc.viaOverride})` };
      return { ...d, file: source.file, line: loc.line, column: loc.column };
    }),
  );
}
