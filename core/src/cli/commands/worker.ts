import * as path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { recipeTarget } from '../run-target';
import { DiagnosticError } from '../../diagnostics';
import { buildRunContainer } from '../../container/build';
import { Tokens } from '../../container/tokens';
import { loadRecipe } from '../../recipe/validate';
import { createTensorRuntime } from '../../runtime/backend';
import { connectRedis, redactRedisUrl } from '../../scaleout/redis';
import { startRolloutWorker } from '../../scaleout/worker';
import { queueBase } from '../../scaleout/trainer';
import { queueNames } from '../../scaleout/queue';

/**
 * `rlhf worker <recipe | run-dir> --redis <url>`: build the recipe's agent, KL reference and reward
 * sources, then take rollout jobs from the recipe's BullMQ queue until SIGINT or SIGTERM.
 */
export function registerWorker(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'worker <target>',
    'take rollout jobs (generation, reference log-probs, rewards) of runs of a recipe from its Redis queue (runtime.workers)',
    (y) =>
      y
        .positional('target', { type: 'string', demandOption: true, describe: 'the recipe the trainer runs, or its run directory' })
        .option('redis', { type: 'string', describe: 'Redis URL (default: runtime.workers.redis of the recipe)' })
        .option('weights', { type: 'string', describe: 'the shared weights folder (default: runtime.workers.weights, relative to the recipe)' })
        .option('concurrency', { type: 'number', default: 1, describe: 'jobs taken at once' })
        .option('set', { type: 'string', array: true, describe: 'override recipe values, as for train' })
        .option('stop-with-parent', { type: 'boolean', default: false, describe: 'stop when the process that started this one ends (how the trainer starts its own workers, runtime.workers.count)' }),
    async (a) => {
      const target = h.abs(a.target as string);
      const { recipeFile, baseDir } = recipeTarget(target);
      const loaded = await loadRecipe(recipeFile, { baseDir, overrides: (a.set as string[] | undefined) ?? [] });
      const { recipe } = loaded;
      const cfg = recipe.runtime.workers;
      const url = (a.redis as string | undefined) ?? cfg?.redis;
      if (!url) {
        throw new DiagnosticError({ code: 'cli/usage', file: recipeFile, pointer: '/runtime/workers/redis', message: 'rlhf worker needs the Redis server of the queue', fix: 'pass --redis redis://host:port, or set runtime.workers.redis in the recipe' });
      }
      if (!recipe.agent || !recipe.rewards.length) {
        throw new DiagnosticError({ code: 'cli/usage', file: recipeFile, message: 'rlhf worker needs an RL recipe (agent and rewards slots)', fix: 'point it at the recipe the trainer runs' });
      }
      const runtime = await createTensorRuntime(recipe.runtime);
      const c = await buildRunContainer(loaded, { runtime, only: ['agent', 'rewards'] });
      const agent = c.resolve(Tokens.Agent);
      // made before any weights are loaded: the reference is the policy as the recipe builds it
      const reference = c.resolve(Tokens.Reference);
      const rewards = c.resolve(Tokens.Rewards);
      const redis = await connectRedis(url, { pointer: a.redis ? undefined : '/runtime/workers/redis' });
      const queue = queueBase(recipe);
      const weights = a.weights ? h.abs(a.weights as string) : path.resolve(loaded.baseDir, cfg?.weights ?? 'weights');
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const { worker, done } = startRolloutWorker({ tf: runtime.tf, agent, reference, rewards }, redis, {
        queue,
        weights,
        concurrency: Math.max(1, Math.floor(a.concurrency as number)),
        lockDurationMs: cfg?.lockDurationMs ?? 60_000,
        stalledIntervalMs: cfg?.stalledIntervalMs ?? 30_000,
        maxStalledCount: cfg?.maxStalledCount ?? 2,
        log,
      });
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        void worker.close();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (a['stop-with-parent']) {
        // a trainer killed outright cannot stop its workers: they notice that they were handed to another parent
        const parent = process.ppid;
        setInterval(() => {
          if (process.ppid !== parent) stop();
        }, 1000).unref();
      }
      h.out(`worker ${process.pid}: taking rollout jobs from ${queueNames(queue).rollout} at ${redactRedisUrl(url)}, weights from ${weights}`);
      await done;
      await redis.quit();
      await rewards.close();
    },
  );
}
