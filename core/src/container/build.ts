import * as path from 'node:path';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { DiagnosticError } from '../diagnostics';
import type { TensorRuntime } from '../contract/tensor-runtime';
import type { Agent } from '../contract/agent';
import type { Logger } from '../contract/logger';
import type { Scorer } from '../contract/reward';
import type { Job } from '../contract/job';
import type { PluginKind, PluginKindMap } from '../plugin/kinds';
import type { LoadedRecipe } from '../recipe/validate';
import type { SlotRef } from '../recipe/types';
import { Rng } from '../runtime/rng';
import type { RunDirectory } from '../runtime/run-dir';
import { RewardSet } from '../runner/reward-set';
import { RunMetrics } from '../runner/metrics-sink';
import { CheckpointModels } from '../agent/checkpoints';
import { Tokens } from './tokens';

export interface BuildOptions {
  runtime: TensorRuntime;
  runDir?: RunDirectory;
  /** Folder that relative paths in the recipe are resolved against (default: the recipe's folder). */
  baseDir?: string;
  /** Build only these slots (e.g. agent, environment and scorers for an evaluation). Default: all present. */
  only?: readonly string[];
}

/**
 * Build a run's child container from a validated recipe: the runtime, seed and run directory
 * first, then each slot's plugin in dependency order (agent → reference → environment →
 * rewards → KL controller → algorithm → loggers), each registered under its token so later
 * plugins can ask for earlier ones. Slots absent from the recipe are simply not registered.
 * The root container is never written to: two runs never share state.
 */
export async function buildRunContainer(loaded: LoadedRecipe, opts: BuildOptions): Promise<DependencyContainer> {
  const { recipe, registry } = loaded;
  const c = rootContainer.createChildContainer();
  const baseDir = opts.baseDir ?? loaded.baseDir;
  c.registerInstance(Tokens.Recipe, recipe);
  c.registerInstance(Tokens.Runtime, opts.runtime);
  c.registerInstance(Tokens.Rng, new Rng(recipe.runtime.seed));
  if (opts.runDir) c.registerInstance(Tokens.RunDir, opts.runDir);
  c.registerInstance(Tokens.Models, new CheckpointModels(c, { registry, searchFrom: [baseDir] }));

  const create = async <K extends PluginKind>(kind: K, ref: SlotRef, pointer: string): Promise<PluginKindMap[K]> => {
    const found = registry.find(kind, ref.use);
    if (!found) throw new DiagnosticError(registry.unknown(kind, ref.use, `${pointer}/use`));
    try {
      return (await found.def.create({
        options: ref.options,
        container: c,
        pointer,
        resolvePath: (p: string) => path.resolve(baseDir, p),
      })) as PluginKindMap[K];
    } catch (err) {
      if (DiagnosticError.is(err)) {
        for (const d of err.diagnostics) d.plugin ??= `${kind}/${ref.use}`;
        throw err;
      }
      throw new DiagnosticError(
        { code: 'plugin/create-failed', plugin: `${kind}/${ref.use}`, pointer, message: `${kind} plugin "${ref.use}" (from ${found.packageName}) failed to start: ${(err as Error).message}`, fix: 'see the cause above (--verbose prints the stack)' },
        { exitCode: 1, cause: err },
      );
    }
  };

  const want = (slot: string): boolean => !opts.only || opts.only.includes(slot);
  if (recipe.agent && want('agent')) {
    const agent: Agent = await create('agent', recipe.agent, '/agent');
    c.registerInstance(Tokens.Agent, agent);
    c.registerInstance(Tokens.Policy, agent.policy);
    c.registerInstance(Tokens.Tokenizer, agent.policy.tokenizer);
    // The KL reference: a frozen copy of the policy, made on the first resolve. A plugin that needs
    // it resolves it when it is created, before any update or restored checkpoint changes the policy.
    let reference: ReturnType<typeof agent.policy.frozenCopy> | undefined;
    c.register(Tokens.Reference, { useFactory: () => (reference ??= agent.policy.frozenCopy()) });
  }
  if (recipe.environment && want('environment')) c.registerInstance(Tokens.Environment, await create('environment', recipe.environment, '/environment'));
  if (recipe.rewards.length && want('rewards')) {
    const sources = [];
    for (let i = 0; i < recipe.rewards.length; i++) {
      const r = recipe.rewards[i];
      sources.push({ name: r.name, weight: r.weight, source: await create('reward', r, `/rewards/${i}`) });
    }
    c.registerInstance(Tokens.Rewards, new RewardSet(sources, recipe.rewardProcessing, recipe.runtime.seed));
  }
  if (recipe.klController && want('klController')) c.registerInstance(Tokens.KLController, await create('kl-controller', recipe.klController, '/klController'));
  if (recipe.algorithm && want('algorithm')) c.registerInstance(Tokens.Algorithm, await create('algorithm', recipe.algorithm, '/algorithm'));
  const loggers: Logger[] = [];
  if (want('loggers')) for (let i = 0; i < recipe.loggers.length; i++) loggers.push(await create('logger', recipe.loggers[i], `/loggers/${i}`));
  c.registerInstance(Tokens.Loggers, loggers);
  c.registerInstance(Tokens.Metrics, new RunMetrics(opts.runDir, loggers, { label: recipe.name, totalSteps: recipe.runtime.steps }));
  const scorers: Scorer[] = [];
  if (want('scorers')) for (let i = 0; i < recipe.scorers.length; i++) scorers.push(await create('scorer', recipe.scorers[i], `/scorers/${i}`));
  c.registerInstance(Tokens.Scorers, scorers);
  return c;
}

/** The job plugin a recipe names (`rl`, the default, comes from @rlhfjs/plugin-algorithms like any other). */
export async function createJob(loaded: LoadedRecipe, c: DependencyContainer, baseDir?: string): Promise<Job> {
  const ref = loaded.recipe.job;
  const found = loaded.registry.find('job', ref.use);
  if (!found) throw new DiagnosticError(loaded.registry.unknown('job', ref.use, '/job'));
  return found.def.create({ options: ref.options, container: c, pointer: '/job', resolvePath: (p) => path.resolve(baseDir ?? loaded.baseDir, p) }) as Promise<Job> | Job;
}
