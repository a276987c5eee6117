import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { recipeTarget } from '../run-target';
import { DiagnosticError } from '../../diagnostics';
import { container as rootContainer } from 'tsyringe';
import { Tokens } from '../../container/tokens';
import { createJob } from '../../container/build';
import { loadRecipe } from '../../recipe/validate';
import { Rng } from '../../runtime/rng';

/**
 * `rlhf label-server <recipe | run-dir> [--redis url] [--port n]`: the serving side of a job that
 * hands its items to people through a queue (`Job.serve`; the `label` job with its `queue`
 * option). Core knows no plugin: it builds the recipe's job alone (no model, no backend) and calls
 * its `serve` until SIGINT or SIGTERM.
 */
export function registerLabelServer(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'label-server <target>',
    "serve the items a label job put on its Redis queue (job.options.queue) on a page on 127.0.0.1 with its own token; start one per person",
    (y) =>
      y
        .positional('target', { type: 'string', demandOption: true, describe: 'the label recipe (job: label with options.queue), or its run directory' })
        .option('redis', { type: 'string', describe: 'Redis URL (default: job.options.queue.redis of the recipe)' })
        .option('port', { type: 'number', describe: 'port of the page on 127.0.0.1 (default: job.options.port; 0 picks a free one)' })
        .option('set', { type: 'string', array: true, describe: 'override recipe values, as for train' }),
    async (a) => {
      const target = h.abs(a.target as string);
      const { recipeFile, baseDir } = recipeTarget(target);
      const loaded = await loadRecipe(recipeFile, { baseDir, overrides: (a.set as string[] | undefined) ?? [] });
      const { recipe } = loaded;
      // the job alone: a serving side needs no model and no tensor backend
      const c = rootContainer.createChildContainer();
      c.registerInstance(Tokens.Recipe, recipe);
      c.registerInstance(Tokens.Rng, new Rng(recipe.runtime.seed));
      const job = await createJob(loaded, c, baseDir);
      if (typeof job.serve !== 'function') {
        throw new DiagnosticError({
          code: 'cli/no-serving-side',
          file: recipeFile,
          pointer: '/job',
          message: `rlhf label-server serves the items of a label job that puts them on a queue, but this recipe's job is "${recipe.job.use}", which has nothing to serve`,
          fix: 'point it at the label recipe the label job runs (job: { use: label, options: { labeller: web, queue: { redis: redis://host:port }, ... } })',
        });
      }
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await job.serve({
        recipeName: recipe.name,
        recipeFile,
        redis: a.redis as string | undefined,
        port: a.port as number | undefined,
        out: (line) => h.out(line),
        log: (line) => process.stderr.write(`${line}\n`),
        signal: ac.signal,
      });
    },
  );
}
