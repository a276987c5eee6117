import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LoadedRecipe } from '../recipe/validate';
import { checkpointAgent } from '../agent/checkpoints';
import { planMemory, type MemoryPlan, type MemoryPlanInput, type ModelFootprint } from './memory-plan';

export interface RecipePlan {
  plan: MemoryPlan;
  input: MemoryPlanInput;
  /** What the plan could not count (e.g. a reward model folder that does not exist yet). */
  notes: string[];
}

const num = (o: Record<string, unknown> | undefined, k: string, d: number): number => (typeof o?.[k] === 'number' ? (o[k] as number) : d);

/**
 * The memory plan of an RL recipe, from its agent plugin's `footprint` (model sizes from the
 * checkpoint's config.json or the init options), the algorithm's batch sizes and the reward models'
 * checkpoints. Undefined when the recipe is not an RL run or its agent plugin reports no footprint.
 */
export async function recipeMemoryPlan(loaded: LoadedRecipe, backend: string): Promise<RecipePlan | undefined> {
  const { recipe, registry } = loaded;
  if (recipe.job.use !== 'rl' || !recipe.agent) return undefined;
  const agentDef = registry.find('agent', recipe.agent.use)?.def;
  if (!agentDef?.footprint) return undefined;
  const resolvePath = (p: string) => path.resolve(loaded.baseDir, p);
  const options = (recipe.agent.options ?? {}) as Record<string, unknown>;
  let policy: ModelFootprint | undefined;
  try {
    policy = await agentDef.footprint({ options, resolvePath, pointer: '/agent' });
  } catch {
    // the agent itself reports what is wrong with its options when it is built; no plan here
    return undefined;
  }
  if (!policy) return undefined;
  const notes: string[] = [];
  const rewards: ModelFootprint[] = [];
  for (const [i, r] of recipe.rewards.entries()) {
    const ck = (r.options as Record<string, unknown> | undefined)?.checkpoint;
    if (typeof ck !== 'string') continue;
    const dir = resolvePath(ck);
    if (!fs.existsSync(path.join(dir, 'config.json'))) {
      notes.push(`rewards/${i} (${r.use}): ${dir} does not exist yet; its model is not counted`);
      continue;
    }
    try {
      const found = await checkpointAgent(dir, { registry, searchFrom: [loaded.baseDir] });
      const fp = found.def.footprint ? await found.def.footprint({ options: { checkpoint: dir }, resolvePath, pointer: `/rewards/${i}` }) : undefined;
      if (fp) rewards.push({ ...fp, trainableParameters: 0 });
      else notes.push(`rewards/${i} (${r.use}): its agent plugin reports no footprint; not counted`);
    } catch (e) {
      notes.push(`rewards/${i} (${r.use}): ${(e as Error).message}; not counted`);
    }
  }
  const alg = recipe.algorithm?.options as Record<string, unknown> | undefined;
  const sampling = options.sampling as Record<string, unknown> | undefined;
  const input: MemoryPlanInput = {
    policy,
    rewards,
    minibatchSize: num(alg, 'minibatchSize', 1),
    rolloutBatch: num(alg, 'promptsPerIteration', 1) * num(alg, 'samplesPerPrompt', 1),
    maxNewTokens: num(sampling, 'maxNewTokens', 1),
    backend,
    reference: true,
  };
  return { plan: planMemory(input), input, notes };
}
