import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import { DiagnosticError } from '../diagnostics';
import type { Agent, LoadModelOptions, ModelLoader, PolicyModel } from '../contract/agent';
import type { FactoryContext } from '../plugin/define';
import { loadPackage } from '../plugin/load-package';
import { PluginRegistry, type RegisteredPlugin } from '../plugin/registry';

/** The file of a checkpoint folder that names the plugin that wrote it. */
export const CHECKPOINT_CONFIG = 'config.json';

/** The config.json of a checkpoint folder. */
export function readCheckpointConfig(dir: string): Record<string, unknown> {
  const file = path.join(dir, CHECKPOINT_CONFIG);
  if (!fs.existsSync(file)) {
    throw new DiagnosticError({ code: 'checkpoint/missing', file: dir, message: `${dir} is not a checkpoint folder (no ${CHECKPOINT_CONFIG})`, fix: 'pass a folder written by a policy (e.g. recipes/models/base or <run>/final)' });
  }
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new DiagnosticError({ code: 'checkpoint/bad-config', file, message: `${file} is not valid JSON: ${(err as Error).message}`, fix: 'save the checkpoint again' }, { cause: err });
  }
}

/**
 * The plugin that loads a plain Hugging Face model folder (a config.json with `model_type` and
 * `architectures` but no `rlhfjs` block, as downloaded from the Hub). Named by string: core loads it
 * like any package.
 */
export const HF_FOLDER_LOADER = { package: '@rlhfjs/plugin-lm', agent: 'hf-causal-lm' } as const;

export interface CheckpointAgentLookup {
  /** Plugins the run already loaded; a checkpoint whose agent plugin is among them uses it. */
  registry?: PluginRegistry;
  /** Folders to resolve the writing package from when the registry lacks it (after the checkpoint folder itself). */
  searchFrom?: readonly string[];
}

/**
 * The agent plugin that wrote a checkpoint folder, from its config.json's
 * `"rlhfjs": { "package", "agent" }`: taken from the registry when the run loaded that package,
 * else the package is loaded from the checkpoint's folder or one of `searchFrom`.
 */
export async function checkpointAgent(dir: string, lookup: CheckpointAgentLookup = {}): Promise<RegisteredPlugin> {
  const cfg = readCheckpointConfig(dir);
  const file = path.join(dir, CHECKPOINT_CONFIG);
  let writer = cfg.rlhfjs as { package?: unknown; agent?: unknown } | undefined;
  // a Hugging Face folder straight from the Hub names no writer: its model_type and architectures say what it is
  if (writer === undefined && typeof cfg.model_type === 'string' && Array.isArray(cfg.architectures)) writer = HF_FOLDER_LOADER;
  const pkgName = writer?.package;
  const agentName = writer?.agent;
  if (typeof pkgName !== 'string' || typeof agentName !== 'string' || !pkgName || !agentName) {
    throw new DiagnosticError({ code: 'checkpoint/unknown-writer', file, message: `${CHECKPOINT_CONFIG} does not say which plugin wrote it (no "rlhfjs": { "package", "agent" })`, fix: 'use a checkpoint written by an rlhfjs agent plugin, or a Hugging Face model folder (its config.json names a model_type and architectures)' });
  }
  const known = lookup.registry?.find('agent', agentName);
  // a package loaded from a path is registered as "name (path)"
  if (known && (known.packageName === pkgName || known.packageName.startsWith(`${pkgName} (`))) return known;
  let pkg;
  const from = [dir, ...(lookup.searchFrom ?? [])];
  for (let i = 0; ; i++) {
    try {
      pkg = await loadPackage(pkgName, from[i]);
      break;
    } catch (err) {
      if (i === from.length - 1) throw err;
    }
  }
  const registry = new PluginRegistry().add(pkgName, pkg.exported, { version: pkg.version });
  const found = registry.find('agent', agentName);
  if (!found) throw new DiagnosticError({ ...registry.unknown('agent', agentName, '/rlhfjs/agent'), file });
  return found;
}

/** Throw `agent/no-checkpoint-loading` unless the agent plugin declares `fromCheckpoint`. */
export function assertLoadsCheckpoints(found: RegisteredPlugin, dir: string, pointer?: string): void {
  const { def } = found;
  if (typeof def.fromCheckpoint === 'function') return;
  throw new DiagnosticError({
    code: 'agent/no-checkpoint-loading',
    plugin: `agent/${def.name}`,
    pointer,
    message: `the agent plugin "${def.name}" (from ${found.packageName}) does not declare fromCheckpoint, so it cannot load the checkpoint folder ${dir}`,
    fix: `use an agent plugin that declares fromCheckpoint(ctx, dir) (docs/plugins.md, "Loading an agent from a checkpoint"), or add it to ${found.packageName}`,
  });
}

/** Build an agent from a checkpoint folder through its plugin's declared `fromCheckpoint`. */
export async function agentFromCheckpointWith(found: RegisteredPlugin, dir: string, ctx: FactoryContext<Record<string, unknown>>): Promise<Agent> {
  assertLoadsCheckpoints(found, dir, ctx.pointer || undefined);
  try {
    return await found.def.fromCheckpoint!(ctx, dir);
  } catch (err) {
    if (DiagnosticError.is(err)) for (const d of err.diagnostics) d.plugin ??= `agent/${found.def.name}`;
    throw err;
  }
}

/** {@link ModelLoader} over the agent plugins that wrote each checkpoint (`Tokens.Models`). */
export class CheckpointModels implements ModelLoader {
  constructor(
    private readonly container: DependencyContainer,
    private readonly lookup: CheckpointAgentLookup = {},
  ) {}

  readConfig(dir: string): Record<string, unknown> {
    return readCheckpointConfig(dir);
  }

  async load(dir: string, opts: LoadModelOptions = {}): Promise<PolicyModel> {
    const found = await checkpointAgent(dir, this.lookup);
    const { def } = found;
    if (typeof def.loadModel !== 'function') {
      throw new DiagnosticError({
        code: 'checkpoint/no-model-loading',
        file: dir,
        plugin: `agent/${def.name}`,
        message: `${dir} was written by the agent plugin "${def.name}" (from ${found.packageName}), which does not declare loadModel, so its model cannot be loaded for other uses (e.g. as a reward model)`,
        fix: `start from a checkpoint of an agent plugin that declares loadModel(dir, opts, container) (docs/plugins.md), such as the gpt agent of @rlhfjs/plugin-lm`,
      });
    }
    return def.loadModel(dir, opts, this.container);
  }
}
