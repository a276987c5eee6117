import type { ModelFootprint } from '../plan/memory-plan';
import type { DependencyContainer } from 'tsyringe';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { PluginKind, PluginKindMap } from './kinds';
import type { Agent, LoadModelOptions, PolicyModel, Tokenizer } from '../contract/agent';
import { CORE_API_VERSION } from './api-version';

/** Options schemas are JSON Schema 2020-12 objects with `additionalProperties: false`. */
export type OptionsSchema = JSONSchema & object;

export interface FactoryContext<O> {
  /** The plugin's options, validated against its schema with defaults filled in. */
  options: O;
  /** The run's child container: ask it for collaborators through `Tokens`. */
  container: DependencyContainer;
  /** Resolve a path written in the recipe (relative to the recipe file). */
  resolvePath(p: string): string;
  /** Where this plugin sits in the recipe, e.g. `/rewards/0`. For error messages. */
  pointer: string;
}

/**
 * A plugin as a package exports it (what {@link definePlugin} returns): its options schema is any
 * {@link OptionsSchema}, and `O` the options type its factory gets.
 */
export type PluginDefinition<K extends PluginKind = PluginKind, O = any> = PluginDeclaration<K, OptionsSchema, O>;

/**
 * What an `agent` plugin declares to be loaded from a checkpoint folder that its policy's `save`
 * wrote (config.json names the package and plugin: `"rlhfjs": { "package", "agent" }`). Both are
 * optional; without them `rlhf eval --checkpoint`, `rlhf generate`, `rlhf tokenize` and models built on
 * a policy (`Tokens.Models`, e.g. a reward model) refuse the plugin's checkpoints with a diagnostic.
 */
export interface AgentCheckpointSupport<O = any> {
  /**
   * Build the agent from the checkpoint folder `dir` (absolute) in place of the source its options
   * name; the other options (sampling, ...) apply as `ctx.options` gives them, validated with
   * defaults filled in. `rlhf eval` passes the recipe's agent options, `rlhf generate` the
   * command line's sampling options only.
   */
  fromCheckpoint(ctx: FactoryContext<O>, dir: string): Agent | Promise<Agent>;
  /**
   * Load the bare policy model saved in `dir` (absolute), for models built on a policy such as a
   * reward model. `container` holds at least `Tokens.Runtime` and `Tokens.Rng`.
   */
  loadModel(dir: string, opts: LoadModelOptions, container: DependencyContainer): PolicyModel | Promise<PolicyModel>;
  /**
   * Load the tokenizer alone from `fileOrDir` (absolute): a checkpoint or model folder, or a
   * tokenizer file such as tokenizer.json. `rlhf tokenize` calls it; it loads no weights.
   */
  loadTokenizer(fileOrDir: string): Tokenizer | Promise<Tokenizer>;
}

/** The options type a schema describes; defaulted properties are present after validation. */
export type OptionsOf<S> = S extends JSONSchema ? FromSchema<S, { keepDefaultedPropertiesOptional: false }> : never;

/** What a plugin's {@link PluginDeclaration.check} gets besides its options. */
export interface PluginCheckContext {
  /** The whole recipe as written, after `--set` overrides (other slots' defaults may not be filled in yet). */
  recipe: Readonly<Record<string, unknown>>;
  /** Where the plugin sits in the recipe, e.g. `/algorithm` or `/rewards/1`. */
  pointer: string;
}

/** One finding of a plugin's {@link PluginDeclaration.check}. */
export interface PluginCheckProblem {
  /** JSON pointer into the plugin's options, e.g. `/minibatchSize` (`''`: the options as a whole). */
  option: string;
  /** What is wrong, in one sentence. */
  message: string;
  /** How to fix it. */
  fix?: string;
  /** A stable code; default `recipe/invalid-option`. */
  code?: string;
}

/** What {@link definePlugin} takes: the options schema `S` as written (its literal type gives `O`). */
export interface PluginDeclaration<K extends PluginKind, S, O> {
  kind: K;
  /** Unique within its kind; what a recipe's `use:` names. Lowercase, dashes. */
  name: string;
  /** One line, shown by `rlhf plugins` and in the bundled schema. */
  description: string;
  /** JSON Schema for `options`; every property has a `description` (and a `default` where sensible). */
  options: S;
  /**
   * The recipe slots this plugin needs (e.g. `['agent', 'algorithm']`), checked by validation when a
   * recipe uses the plugin: a job names the slots it reads, an algorithm those its loop needs.
   */
  requires?: readonly string[];
  /**
   * Checks of the options that a schema cannot state (sizes that must divide each other, options
   * that exclude each other, ...), run by `rlhf validate` and by every command that loads the recipe
   * (so `train` refuses the same recipes), after the options passed the schema, defaults filled in.
   * Return one problem per finding (none: `[]` or nothing); each is reported with the recipe's file
   * and line. Plain code with no side effects: no files, no tensors, no collaborators. Since plugin
   * API 2.1.
   */
  check?(options: O, recipe: PluginCheckContext): readonly PluginCheckProblem[] | void;
  create(ctx: FactoryContext<O>): PluginKindMap[K] | Promise<PluginKindMap[K]>;
  /** For `agent` plugins: see {@link AgentCheckpointSupport.fromCheckpoint}. */
  fromCheckpoint?: AgentCheckpointSupport<O>['fromCheckpoint'];
  /** For `agent` plugins: see {@link AgentCheckpointSupport.loadModel}. */
  loadModel?: AgentCheckpointSupport<O>['loadModel'];
  /** For `agent` plugins: see {@link AgentCheckpointSupport.loadTokenizer}. */
  loadTokenizer?: AgentCheckpointSupport<O>['loadTokenizer'];
  /**
   * For `agent` plugins: the size of the model these options build, read without loading weights
   * or a backend (from a checkpoint's config.json or the init options), for the memory plan
   * (core/src/plan/memory-plan.ts). Also called with `{ checkpoint: dir }` for reward-model folders.
   */
  footprint?(ctx: { options: Record<string, unknown>; resolvePath(p: string): string; pointer: string }): ModelFootprint | undefined | Promise<ModelFootprint | undefined>;
}

/**
 * Declare a plugin. The options type is derived from the schema (one source of truth), with
 * properties that have a `default` typed as present, because validation fills them in.
 */
export function definePlugin<K extends PluginKind, const S extends OptionsSchema, O = OptionsOf<S>>(
  def: PluginDeclaration<K, S, O>,
): PluginDefinition<K, O> {
  const frozen: unknown = Object.freeze({ ...def });
  return frozen as PluginDefinition<K, O>;
}

/** What a plugin package's default export must be. */
export interface PluginPackage {
  /** Marks the object as a plugin package (so a random module is told apart). */
  readonly rlhfPluginPackage: true;
  /** The core plugin API version this package targets, e.g. "2.0". */
  readonly apiVersion: string;
  readonly plugins: readonly PluginDefinition[];
}

export function definePackage(pkg: { apiVersion?: string; plugins: readonly PluginDefinition<any, any>[] }): PluginPackage {
  return Object.freeze({ rlhfPluginPackage: true as const, apiVersion: pkg.apiVersion ?? CORE_API_VERSION, plugins: pkg.plugins });
}
