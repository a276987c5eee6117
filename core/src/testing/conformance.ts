import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as semver from 'semver';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { DiagnosticError, formatDiagnostic } from '../diagnostics';
import type { PluginDefinition, PluginPackage } from '../plugin/define';
import { PLUGIN_KINDS, type PluginKind, type PluginKindMap } from '../plugin/kinds';
import { CORE_API_VERSION, isCompatible } from '../plugin/api-version';
import { PluginRegistry } from '../plugin/registry';
import { createAjv } from '../recipe/ajv';
import { BigramPolicy } from './test-policy';
import { checkAlgorithmUpdate } from './algorithm-checks';
import type { ResolvedRecipe } from '../recipe/types';
import { recipeSchema } from '../recipe/envelope';
import { Tokens } from '../container/tokens';
import { Rng } from '../runtime/rng';
import { RunDirectory } from '../runtime/run-dir';
import { RunMetrics } from '../runner/metrics-sink';
import { runJob } from '../runner/run';
import type { Job, JobResult } from '../contract/job';
import { createTensorRuntime } from '../runtime/backend';
import type { TensorRuntime } from '../contract/tensor-runtime';
import { checkContract } from './contract-checks';
import { CheckpointModels } from '../agent/checkpoints';

/** The fields of a plugin package's package.json that the kit checks. */
export interface PackageJsonLike {
  name?: string;
  version?: string;
  main?: string;
  keywords?: string[];
  peerDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** What the factory check of one plugin needs, keyed by `kind/name` (e.g. `reward/contains-word`). */
export interface ConformanceOptions {
  /** The package's package.json (`require('../package.json')`): name, keyword, peer dependency. */
  packageJson?: PackageJsonLike;
  /** Label of the top-level `describe` (default: the package.json name). */
  label?: string;
  /**
   * Options to validate and build with, per plugin, for plugins whose options have required
   * keys (so `{}` is not valid). Each example is validated (defaults filled) and the first one
   * is built. Plugins not listed are validated and built with `{}`.
   */
  examples?: Record<string, Record<string, unknown>[]>;
  /**
   * Plugins whose factory the kit must not build, with the reason (e.g. an algorithm that needs
   * a policy model: `{ 'algorithm/my-ppo': 'needs Tokens.Policy' }`). The reason is printed.
   */
  skipCreate?: Record<string, string>;
  /**
   * Register further collaborators before a factory runs (a tokenizer, a policy, ...). The kit
   * registers Tokens.Runtime (tfjs cpu backend), Tokens.Rng, Tokens.RunDir (a temporary folder),
   * Tokens.Recipe (a minimal resolved recipe), Tokens.Loggers and Tokens.Scorers (both empty) and
   * Tokens.Models (checkpoints' packages resolved from `baseDir`). What it returns is awaited and
   * otherwise ignored, so `(c) => c.registerInstance(...)` fits.
   */
  services?: (container: DependencyContainer, plugin: { kind: PluginKind; name: string }) => unknown;
  /** Folder that `resolvePath` in the factory resolves against (default: process.cwd()). */
  baseDir?: string;
}

/** The result of one check: an empty `problems` list means it passed. */
export interface CheckResult {
  title: string;
  problems: string[];
  /** Set when the check did not run, with the reason. */
  skipped?: string;
}

/** The name a published plugin package takes: `rlhf-plugin-<name>` or `@scope/rlhf-plugin-<name>` (the project's own `@rlhfjs/plugin-<name>` too). */
export const PLUGIN_PACKAGE_NAME = /^(?:(?:@[a-z0-9-~][a-z0-9-._~]*\/)?rlhf-plugin-[a-z0-9-._~]+|@rlhfjs\/plugin-[a-z0-9-._~]+)$/;

/** The keyword `rlhf plugins` and `rlhf schema` look for in node_modules. */
export const PLUGIN_KEYWORD = 'rlhf-plugin';

function corePackageJson(): { name: string; version: string } {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { name: string; version: string };
}

/** The plugins of a package export, or [] when it is not a plugin package. */
export function pluginsOf(exported: unknown): readonly PluginDefinition[] {
  const p = exported as PluginPackage | undefined;
  return p && typeof p === 'object' && p.rlhfPluginPackage === true && Array.isArray(p.plugins) ? p.plugins : [];
}

/**
 * The default export is a plugin package made by definePackage, targets a compatible core API
 * (same major, minor ≤ core's), every definition is well formed, and (kind, name) pairs are unique.
 */
export function checkPackageExport(exported: unknown, packageName = 'the package'): string[] {
  const registry = new PluginRegistry();
  // the registry is fresh, so each plugin/duplicate it reports is this package clashing with
  // itself ("two packages register ..."): said plainly below instead
  const problems = registry
    .addPackage(packageName, exported)
    .filter((d) => d.code !== 'plugin/duplicate')
    .map((d) => formatDiagnostic(d));
  const seen = new Set<string>();
  for (const def of pluginsOf(exported)) {
    const id = `${def.kind}/${def.name}`;
    if (seen.has(id)) problems.push(`${id} is declared twice in ${packageName}: names are unique within a kind (rename one)`);
    seen.add(id);
  }
  return problems;
}

/**
 * Whether an npm dependency range admits a version, judged as npm judges an installed peer
 * dependency (`semver.satisfies`, loose parsing; a prerelease satisfies only a range that names a
 * prerelease of the same major.minor.patch). A spec that is no semver range (a dist-tag, a URL, a
 * path) passes: npm resolves those when installing.
 */
export function rangeAdmits(range: string, version: string): boolean {
  if (semver.validRange(range, { loose: true }) === null) return true;
  return semver.satisfies(version, range, { loose: true });
}

/**
 * package.json metadata: the name follows the convention, the keyword makes `rlhf plugins` find
 * it, `main` is set, and @rlhfjs/core is a peer dependency (one copy of core per project) whose
 * range admits the core running the test.
 */
export function checkPackageJson(pj: PackageJsonLike | undefined): string[] {
  if (!pj) return ['no package.json given: pass { packageJson: require("../package.json") } to testPluginPackage'];
  const problems: string[] = [];
  const core = corePackageJson();
  if (!pj.name || !PLUGIN_PACKAGE_NAME.test(pj.name)) {
    problems.push(`package name ${JSON.stringify(pj.name)} does not follow the convention: name it rlhf-plugin-<name> or @<scope>/rlhf-plugin-<name>`);
  }
  if (!Array.isArray(pj.keywords) || !pj.keywords.includes(PLUGIN_KEYWORD)) {
    problems.push(`keywords lack "${PLUGIN_KEYWORD}": add "keywords": ["${PLUGIN_KEYWORD}", "rlhfjs"] so that \`rlhf plugins\` and \`rlhf schema\` find the package`);
  }
  if (!pj.main) problems.push('"main" is missing: point it at the compiled entry, e.g. "main": "dist/index.js"');
  if (pj.dependencies?.[core.name]) {
    problems.push(`${core.name} is in "dependencies": move it to "peerDependencies" (and "devDependencies" for your tests), so that a project holds one copy of core`);
  }
  const peer = pj.peerDependencies?.[core.name];
  if (!peer) problems.push(`${core.name} is not a peer dependency: add "peerDependencies": { "${core.name}": "^${core.version}" }`);
  else if (!rangeAdmits(peer, core.version)) {
    problems.push(`the peer dependency range ${core.name}@${JSON.stringify(peer)} does not admit the core under test (${core.version}): widen the range or test against a matching core`);
  }
  return problems;
}

/** Every `description`-less property, anywhere in the schema, as JSON pointers into the schema. */
function undocumented(schema: unknown, at: string, out: string[]): void {
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Record<string, unknown>;
  const props = s.properties as Record<string, unknown> | undefined;
  if (props && typeof props === 'object') {
    for (const [k, p] of Object.entries(props)) {
      const ps = p as Record<string, unknown> | boolean;
      const hasRef = typeof ps === 'object' && ps !== null && typeof ps.$ref === 'string';
      if (typeof ps !== 'object' || ps === null || (typeof ps.description !== 'string' && !hasRef) || ps.description === '') out.push(`${at}/properties/${k}`);
      undocumented(ps, `${at}/properties/${k}`, out);
    }
  }
  for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains']) {
    if (s[key] && typeof s[key] === 'object') undocumented(s[key], `${at}/${key}`, out);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
    if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((x, i) => undocumented(x, `${at}/${key}/${i}`, out));
  }
  for (const key of ['$defs', 'definitions']) {
    if (s[key] && typeof s[key] === 'object') for (const [k, x] of Object.entries(s[key] as object)) undocumented(x, `${at}/${key}/${k}`, out);
  }
}

/** Objects with properties that accept unknown keys (typos in a recipe would pass silently). */
function openObjects(schema: unknown, at: string, out: string[]): void {
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Record<string, unknown>;
  if (s.properties && s.additionalProperties === undefined && s.unevaluatedProperties === undefined) out.push(at || '/');
  for (const [k, p] of Object.entries((s.properties as object) ?? {})) openObjects(p, `${at}/properties/${k}`, out);
  if (s.items && typeof s.items === 'object') openObjects(s.items, `${at}/items`, out);
  for (const key of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((x, i) => openObjects(x, `${at}/${key}/${i}`, out));
}

/**
 * The options schema compiles with Ajv in strict mode (as core compiles it), is an object that
 * refuses unknown keys, and documents every property (the description is what editors and
 * `rlhf plugins` show, and what an error message appends).
 */
export function checkOptionsSchema(def: PluginDefinition): string[] {
  const problems: string[] = [];
  const id = `${def.kind}/${def.name}`;
  const schema = def.options as Record<string, unknown>;
  if (!schema || typeof schema !== 'object') return [`${id}: options is not a JSON Schema object`];
  try {
    createAjv(true).compile(schema);
  } catch (err) {
    problems.push(`${id}: the options schema does not compile in Ajv strict mode: ${(err as Error).message}`);
  }
  if (schema.type !== 'object') problems.push(`${id}: the options schema must have type: 'object' (it has ${JSON.stringify(schema.type)})`);
  if (schema.additionalProperties !== false) problems.push(`${id}: the options schema must set additionalProperties: false, so a misspelt option is an error rather than ignored`);
  const open: string[] = [];
  openObjects(schema, '', open);
  for (const p of open.filter((x) => x !== '/')) problems.push(`${id}: the nested object at ${p} accepts unknown keys: add additionalProperties: false`);
  const missing: string[] = [];
  undocumented(schema, '', missing);
  for (const p of missing) problems.push(`${id}: the option at ${p} has no description: add description: '<what it does, its unit>'`);
  return problems;
}

/**
 * Validating `{}` (or each declared example) passes and fills the defaults; each filled value is
 * re-validated, so a default that breaks its own schema is caught.
 */
export function checkDefaults(def: PluginDefinition, examples?: Record<string, unknown>[]): { problems: string[]; filled: Record<string, unknown>[] } {
  const id = `${def.kind}/${def.name}`;
  const problems: string[] = [];
  const filled: Record<string, unknown>[] = [];
  let validate;
  try {
    validate = createAjv(true).compile(def.options);
  } catch (err) {
    return { problems: [`${id}: the options schema does not compile: ${(err as Error).message}`], filled };
  }
  const cases = examples && examples.length ? examples : [{}];
  cases.forEach((ex, i) => {
    const value = structuredClone(ex);
    const label = examples && examples.length ? `example ${i} ${JSON.stringify(ex)}` : '{} (no options in the recipe)';
    if (!validate(value)) {
      const why = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
      problems.push(
        examples && examples.length
          ? `${id}: ${label} is not valid: ${why}`
          : `${id}: ${label} is not valid: ${why}. Give every option a default, or declare example options: testPluginPackage(pkg, { examples: { '${id}': [{ ... }] } })`,
      );
      return;
    }
    // the defaults that were filled in must themselves be valid (Ajv does not check defaults)
    const again = structuredClone(value);
    if (!validate(again)) problems.push(`${id}: the defaults filled into ${label} do not validate: ${(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`).join('; ')}`);
    filled.push(value as Record<string, unknown>);
  });
  return { problems, filled };
}

let runtimePromise: Promise<TensorRuntime> | undefined;

/** The tfjs cpu backend, loaded once per test file. */
export function cpuRuntime(): Promise<TensorRuntime> {
  runtimePromise ??= createTensorRuntime({ backend: 'cpu', nativeKernels: 'forbid' });
  return runtimePromise;
}

let envelopeValidator: ReturnType<ReturnType<typeof createAjv>['compile']> | undefined;

/** A resolved recipe with the envelope's defaults (filled in by the envelope schema itself), for plugins that read `Tokens.Recipe`. */
export function minimalRecipe(runDir: string): ResolvedRecipe {
  envelopeValidator ??= createAjv(true).compile(recipeSchema);
  const value: Record<string, unknown> = { name: 'conformance', plugins: [], runtime: { backend: 'cpu', seed: 0, steps: 1, outputDir: runDir } };
  if (!envelopeValidator(value)) throw new Error(`the conformance recipe does not validate: ${JSON.stringify(envelopeValidator.errors)}`);
  return { ...value, job: { use: 'rl', options: {} }, rewards: [], loggers: [], scorers: [] } as unknown as ResolvedRecipe;
}

/** What every run's container holds for a plugin's factory: cpu runtime, seeded Rng, run directory, recipe, empty loggers and scorers, checkpoint models. */
async function registerRunServices(c: DependencyContainer, tmp: string, opts: Pick<ConformanceOptions, 'baseDir'>): Promise<TensorRuntime> {
  const runtime = await cpuRuntime();
  c.registerInstance(Tokens.Runtime, runtime);
  c.registerInstance(Tokens.Rng, new Rng(1234));
  c.registerInstance(Tokens.RunDir, new RunDirectory(tmp));
  c.registerInstance(Tokens.Recipe, minimalRecipe(tmp));
  c.registerInstance(Tokens.Loggers, []);
  c.registerInstance(Tokens.Scorers, []);
  c.registerInstance(Tokens.Models, new CheckpointModels(c, { searchFrom: [opts.baseDir ?? process.cwd()] }));
  return runtime;
}

/**
 * Build the plugin with its (filled) options in a fresh child container holding what every run
 * has, then exercise the object it returns against its kind's interface.
 */
export async function checkFactory(def: PluginDefinition, options: Record<string, unknown>, opts: ConformanceOptions = {}): Promise<string[]> {
  const id = `${def.kind}/${def.name}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-conformance-'));
  const c = rootContainer.createChildContainer();
  try {
    const runtime = await registerRunServices(c, tmp, opts);
    if (def.kind === 'algorithm') {
      // an algorithm trains a policy: the tiny test policy (with a value head) and its frozen copy
      const policy = BigramPolicy.create(runtime.tf, new Rng(7), { valueHead: true });
      c.registerInstance(Tokens.Policy, policy);
      c.registerInstance(Tokens.Reference, policy.frozenCopy());
    }
    await opts.services?.(c, { kind: def.kind, name: def.name });
    let built: unknown;
    try {
      built = await def.create({ options: structuredClone(options), container: c, pointer: `/conformance/${def.kind}`, resolvePath: (p) => path.resolve(opts.baseDir ?? process.cwd(), p) });
    } catch (err) {
      const msg = (err as Error).message ?? String(err);
      const unregistered = /unregistered dependency token: "?Symbol\(rlhfjs\.token\.(\w+)\)/.exec(msg);
      if (unregistered) {
        return [
          `${id}: the factory asks for Tokens.${unregistered[1]}, which the kit does not register. Register it with testPluginPackage(pkg, { services: (c) => c.registerInstance(Tokens.${unregistered[1]}, ...) }), or skip building it with { skipCreate: { '${id}': 'needs Tokens.${unregistered[1]}' } }`,
        ];
      }
      const detail = DiagnosticError.is(err) ? err.diagnostics.map((d) => formatDiagnostic(d)).join('\n') : msg;
      return [`${id}: the factory threw with options ${JSON.stringify(options)}: ${detail}`];
    }
    return await checkContract(def.kind, id, built, { tmp, runtime });
  } finally {
    c.clearInstances();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** What {@link buildPlugin} returns: the built component, its container and its run directory. */
export interface BuiltPlugin<T> {
  instance: T;
  container: DependencyContainer;
  /** The temporary run directory registered as Tokens.RunDir. */
  runDir: string;
  /** The options after validation, defaults filled in. */
  options: Record<string, unknown>;
  /** Remove the temporary run directory and the container's instances. */
  dispose(): void;
}

/**
 * Build one plugin the way a run would, for behaviour tests: the options are validated against the
 * plugin's schema (defaults filled in; invalid options throw with every problem), then the factory
 * runs in a fresh child container holding what every run has (see {@link ConformanceOptions.services}).
 */
export async function buildPlugin<K extends PluginKind>(
  def: PluginDefinition<K>,
  options: Record<string, unknown> = {},
  opts: Pick<ConformanceOptions, 'services' | 'baseDir'> = {},
): Promise<BuiltPlugin<PluginKindMap[K]>> {
  const validate = createAjv(true).compile(def.options);
  const filled = structuredClone(options);
  if (!validate(filled)) {
    throw new Error(`${def.kind}/${def.name}: invalid options ${JSON.stringify(options)}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')}`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-plugin-test-'));
  const c = rootContainer.createChildContainer();
  const dispose = (): void => {
    c.clearInstances();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await registerRunServices(c, tmp, opts);
    c.registerInstance(Tokens.Metrics, new RunMetrics(new RunDirectory(tmp), [], { label: def.name, totalSteps: 1, stream: null }));
    await opts.services?.(c, { kind: def.kind, name: def.name });
    const instance = await def.create({ options: filled as never, container: c, pointer: `/test/${def.kind}`, resolvePath: (p) => path.resolve(opts.baseDir ?? process.cwd(), p) });
    return { instance, container: c, runDir: tmp, options: filled as Record<string, unknown>, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}

/**
 * Run a job built by {@link buildPlugin} the way `rlhf train` runs it: through the runner's one
 * path, with the run's metrics sink and atomic checkpoints; `resume: true` restores the last
 * checkpoint of the built plugin's run directory first, as `rlhf train --resume` does.
 */
export function runBuiltJob(built: BuiltPlugin<Job>, opts: { resume?: boolean; signal?: AbortSignal } = {}): Promise<JobResult> {
  return runJob(built.instance, built.container, new RunDirectory(built.runDir), { resume: opts.resume ?? false, signal: opts.signal });
}

/** Everything the kit checks, without a test runner: the list of results (for tools and for testing the kit). */
export async function checkPluginPackage(exported: unknown, opts: ConformanceOptions = {}): Promise<CheckResult[]> {
  const name = opts.packageJson?.name ?? 'the package';
  const results: CheckResult[] = [];
  results.push({ title: 'default export is a plugin package for a compatible core API', problems: checkPackageExport(exported, name) });
  if (opts.packageJson !== undefined) results.push({ title: 'package.json metadata', problems: checkPackageJson(opts.packageJson) });
  for (const def of pluginsOf(exported)) results.push(...(await checkPlugin(def, opts)));
  return results;
}

async function checkPlugin(def: PluginDefinition, opts: ConformanceOptions): Promise<CheckResult[]> {
  const id = `${def.kind}/${def.name}`;
  const schema: CheckResult = { title: `${id}: options schema compiles (Ajv strict), refuses unknown keys, documents every property`, problems: checkOptionsSchema(def) };
  const d = checkDefaults(def, opts.examples?.[id]);
  const defaults: CheckResult = { title: `${id}: ${opts.examples?.[id] ? 'example options validate' : 'defaults validate ({} is valid options)'}`, problems: d.problems };
  const factory: CheckResult = { title: `${id}: factory builds in a fresh container and honours the ${def.kind} contract`, problems: [] };
  if (opts.skipCreate?.[id]) factory.skipped = opts.skipCreate[id];
  else if (!PLUGIN_KINDS.includes(def.kind) || typeof def.create !== 'function') factory.skipped = 'not a well-formed definition (reported above)';
  else if (!d.filled.length) factory.problems.push(`${id}: not built, because no valid options are available (see the defaults check)`);
  else factory.problems = await checkFactory(def, d.filled[0], opts);
  if (def.kind !== 'algorithm') return [schema, defaults, factory];
  const update: CheckResult = { title: `${id}: one update() on the test policy is finite and moves the weights; saveState/loadState continues it exactly`, problems: [] };
  if (factory.skipped) update.skipped = factory.skipped;
  else if (factory.problems.length) update.skipped = 'the factory check failed';
  else update.problems = await checkAlgorithmUpdate(def, d.filled[0], opts);
  return [schema, defaults, factory, update];
}

interface JestLike {
  describe(name: string, fn: () => void): void;
  test(name: string, fn: () => Promise<void> | void, timeout?: number): void;
}

function jestGlobals(): JestLike {
  const g = globalThis as unknown as Partial<JestLike> & { it?: JestLike['test'] };
  const t = g.test ?? g.it;
  if (typeof g.describe !== 'function' || typeof t !== 'function') {
    throw new Error('testPluginPackage declares tests: call it at the top level of a test file run by jest (or by a runner with jest-style globals). Outside a test runner, use checkPluginPackage().');
  }
  return { describe: g.describe.bind(g), test: t.bind(g) };
}

function fail(problems: string[]): void {
  if (problems.length) throw new Error(`${problems.length} problem${problems.length > 1 ? 's' : ''}:\n- ${problems.join('\n- ')}`);
}

/**
 * Declare the conformance tests of a plugin package, in one line of a jest test file:
 *
 * ```ts
 * import { testPluginPackage } from '@rlhfjs/core/testing';
 * testPluginPackage(require('..').default ?? require('..'), { packageJson: require('../package.json') });
 * ```
 *
 * One test per check: the export is a plugin package for a compatible API with unique names; the
 * package.json follows the conventions; and per plugin, the options schema compiles in strict
 * mode with every property described, the defaults validate, and the factory builds in a fresh
 * container (tfjs cpu backend, seeded Rng, temporary run directory) and returns an object that
 * honours its kind's interface.
 */
export function testPluginPackage(exported: unknown, opts: ConformanceOptions = {}): void {
  const { describe, test } = jestGlobals();
  const label = opts.label ?? opts.packageJson?.name ?? 'plugin package';
  describe(`${label}: rlhfjs plugin conformance (core API ${CORE_API_VERSION})`, () => {
    test('default export is a plugin package for a compatible core API, names unique per kind', () => {
      const p = exported as PluginPackage | undefined;
      const problems = checkPackageExport(exported, label);
      if (p && typeof p.apiVersion === 'string' && !isCompatible(p.apiVersion)) problems.push(`(this core provides plugin API ${CORE_API_VERSION}; the package says ${p.apiVersion})`);
      fail(problems);
    });
    if (opts.packageJson !== undefined) test('package.json: name rlhf-plugin-*, keyword rlhf-plugin, @rlhfjs/core as a peer dependency', () => fail(checkPackageJson(opts.packageJson)));
    for (const def of pluginsOf(exported)) {
      const id = `${def.kind}/${def.name}`;
      describe(id, () => {
        test('options schema compiles in Ajv strict mode, refuses unknown keys, describes every property', () => fail(checkOptionsSchema(def)));
        test(opts.examples?.[id] ? 'example options validate' : 'defaults validate: {} is valid and gets the defaults filled in', () => fail(checkDefaults(def, opts.examples?.[id]).problems));
        const skip = opts.skipCreate?.[id];
        test(skip ? `factory not built here: ${skip}` : `factory builds in a fresh container and honours the ${def.kind} contract`, async () => {
          if (skip) return;
          const d = checkDefaults(def, opts.examples?.[id]);
          if (!d.filled.length) fail([`${id}: not built, because no valid options are available (see the defaults test)`]);
          fail(await checkFactory(def, d.filled[0], opts));
        }, 60_000);
        if (def.kind === 'algorithm' && !skip) {
          test('online: one update() on the test policy is finite and moves the weights; saveState/loadState continues it exactly', async () => {
            const d = checkDefaults(def, opts.examples?.[id]);
            if (!d.filled.length) fail([`${id}: not trained, because no valid options are available (see the defaults test)`]);
            fail(await checkAlgorithmUpdate(def, d.filled[0], opts));
          }, 120_000);
        }
      });
    }
  });
}
