import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointedJob, DiagnosticError, Tokens, definePlugin, redactRedisUrl, runKey, writeJsonAtomic, type JobContext, type JobResult, type JobServeContext, type OptionsOf, type Prompt, type RngState } from '@rlhfjs/core';
import { LabelAppender } from '../labels/appender';
import { pairItem, pointwiseItem, type LabelItem, type LabelRecord, type LabelSource } from '../labels/format';
import { createLabeller, labellerOptionProperties } from './factory';
import { LabelQueueCollector, labelQueueName, labelQueueOptionSchema, serveLabelQueue, type LabelQueueOptions } from './label-queue';

export const labelJobOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['labeller', 'labels'],
  properties: {
    labeller: {
      type: 'string',
      enum: ['terminal', 'web', 'simulated'],
      description: 'Who answers: "terminal" (keys on stdin), "web" (a page on 127.0.0.1, URL printed on stderr) or "simulated" (the whole-word cuss matcher; every label it writes says simulated).',
    },
    prompts: { type: 'integer', minimum: 1, default: 32, description: 'Prompts drawn from the environment.' },
    samplesPerPrompt: {
      type: 'integer',
      minimum: 1,
      default: 1,
      description: 'Pointwise: completions sampled per prompt, each labelled 0/1. Pair: pairs per prompt (two completions each, shown as A and B).',
    },
    mode: { type: 'string', enum: ['pointwise', 'pair'], default: 'pointwise', description: 'Label single completions 0/1 ("pointwise") or choose the better of two ("pair").' },
    split: { type: 'string', enum: ['train', 'heldOut'], default: 'train', description: 'Take prompts from the training stream (seeded order) or the held-out set (fixed order).' },
    batchSize: { type: 'integer', minimum: 1, default: 16, description: 'Completions generated per forward batch (memory, not the result).' },
    pairQuestion: { type: 'string', minLength: 1, description: 'The question shown with each pair (default: which completion is better, a or b).' },
    queue: labelQueueOptionSchema,
    ...labellerOptionProperties,
  },
} as const;

export type LabelJobOptions = OptionsOf<typeof labelJobOptionsSchema>;

const PLUGIN = 'job/label';
const STATE_FILE = 'label-state.json';

/** What a checkpoint holds: the completions generated so far and the generation stream. */
interface LabelState {
  /** Generation batches done, and their completions in row order. */
  batches: number;
  completions: string[];
  generate: RngState;
}

/**
 * Offline labelling: sample completions from the agent for prompts from the environment, then have
 * them labelled (0/1, or A/B for pairs) into a labels file. Rerunning the same recipe (same seed)
 * samples the same completions, and the ones already answered are not asked again.
 *
 * Steps: generating batch k is step k (its line is logged at k), labelling is the step after the
 * last batch. A checkpoint holds the completions so far, so a resumed run generates only the rest;
 * the labels themselves are durable in the labels file (appended and fsynced one by one), and a
 * resumed run asks only for the items that have no label in force there: none twice, none lost.
 */
export class LabelJob extends CheckpointedJob<LabelJobOptions, LabelState> {
  protected readonly name = 'label';
  protected readonly checkpointFiles = [STATE_FILE];

  protected async save(live: LabelState, dir: string): Promise<void> {
    writeJsonAtomic(path.join(dir, STATE_FILE), live);
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const c = ctx.container;
    const agent = c.resolve(Tokens.Agent);
    const env = c.resolve(Tokens.Environment);
    const metrics = ctx.metrics;
    const every = c.resolve(Tokens.Recipe).runtime.checkpointEvery;
    const rng = c.resolve(Tokens.Rng).fork('label-job');
    const { policy, sampling } = agent;
    const tok = policy.tokenizer;
    const labels = this.resolvePath(this.o.labels);

    const prompts: Prompt[] = this.o.split === 'train' ? env.nextBatch(this.o.prompts, rng.fork('prompts')) : env.heldOut(this.o.prompts);
    if (prompts.length === 0) {
      throw new DiagnosticError({ code: 'label/no-prompts', message: `the environment has no ${this.o.split} prompts`, fix: 'use split "train", or give the environment held-out prompts', plugin: PLUGIN, pointer: '/job/options/split' });
    }
    const perPrompt = this.o.mode === 'pair' ? 2 * this.o.samplesPerPrompt : this.o.samplesPerPrompt;
    const maxPrompt = Math.max(1, policy.contextSize - sampling.maxNewTokens);
    const rows: Array<{ prompt: Prompt; ids: number[] }> = [];
    for (const p of prompts) {
      const ids = policy.encodePrompt(p.text, maxPrompt).ids;
      for (let k = 0; k < perPrompt; k++) rows.push({ prompt: p, ids });
    }
    const genRng = rng.fork('generate');
    const live: LabelState = { batches: 0, completions: [], generate: genRng.getState() };
    if (this.restoreFrom) {
      Object.assign(live, JSON.parse(fs.readFileSync(path.join(this.restoreFrom, STATE_FILE), 'utf8')) as LabelState);
      genRng.setState(live.generate);
    }
    this.live = live;
    const completions = live.completions;
    const batches = Math.ceil(rows.length / this.o.batchSize);
    metrics.plan(batches + 1); // the generation batches, then the labelling step
    for (let k = live.batches; k < batches; k++) {
      if (ctx.signal?.aborted) throw new Error('label job aborted');
      const chunk = rows.slice(k * this.o.batchSize, (k + 1) * this.o.batchSize);
      const rollout = await policy.generate(
        chunk.map((r) => r.ids),
        sampling,
        genRng,
      );
      completions.push(...rollout.completions);
      live.generate = genRng.getState();
      live.batches = k + 1;
      await metrics.log(k, { 'label/generated': completions.length });
      if (every > 0 && (k + 1) % every === 0) await ctx.checkpoint(k + 1);
    }

    const items: LabelItem[] = [];
    let identicalPairs = 0;
    if (this.o.mode === 'pointwise') {
      rows.forEach((r, k) => items.push(pointwiseItem(r.prompt.text, completions[k], r.prompt.id)));
    } else {
      for (let k = 0; k < rows.length; k += 2) {
        if (completions[k] === completions[k + 1]) {
          identicalPairs += 1;
          continue;
        }
        items.push(pairItem(rows[k].prompt.text, completions[k], completions[k + 1], rows[k].prompt.id));
      }
    }
    const unique = [...new Map(items.map((i) => [i.id, i])).values()];

    const source: LabelSource = { model: agent.source, step: -1 };
    const { labeller, appender } = this.o.queue ? { labeller: undefined, appender: new LabelAppender(labels) } : createLabeller({ ...this.o, labels });
    try {
      const records = labeller ? await labeller.label(unique, { source, signal: ctx.signal }) : await this.collectFromQueue(unique, appender!, source, ctx, labels);
      const answered = records.filter((r) => r !== undefined);
      const skipped = answered.filter((r) => r!.skipped).length;
      const positive = answered.filter((r) => r!.type === 'pointwise' && r!.label === 1).length;
      const labelled = answered.length - skipped;
      const counts: Record<string, number> = { 'label/items': unique.length, 'label/answered': answered.length, 'label/labelled': labelled, 'label/skipped': skipped, 'label/unanswered': unique.length - answered.length };
      if (this.o.mode === 'pointwise') counts['label/positive'] = positive;
      await metrics.log(batches, counts);
      const summary: Record<string, unknown> = {
        labelsFile: labels,
        labeller: labeller?.info ?? { kind: 'human', id: 'label-server queue', simulated: false },
        mode: this.o.mode,
        items: unique.length,
        answered: answered.length,
        labelled,
        skipped,
        unanswered: unique.length - answered.length,
      };
      if (this.o.mode === 'pointwise') {
        summary.positive = positive;
        summary.positiveRate = labelled ? positive / labelled : null;
      } else summary.identicalPairsDropped = identicalPairs;
      return { summary };
    } finally {
      this.live = undefined;
      await labeller?.close?.();
      appender?.close();
    }
  }

  /**
   * The `queue` option: put the items without a label in force on the queue, then append the
   * answers the label servers give, each once, until every item has one. This job is the only
   * writer of the labels file; the queue's job ids are the run's key and the item id, so a resumed
   * run puts the same jobs (a no-op for those still queued) and reads answers given meanwhile.
   */
  private async collectFromQueue(items: LabelItem[], appender: LabelAppender, source: LabelSource, ctx: JobContext, labels: string): Promise<Array<LabelRecord | undefined>> {
    const q = this.o.queue as LabelQueueOptions;
    const name = labelQueueName(ctx.container.resolve(Tokens.Recipe).name, q);
    const collector = await LabelQueueCollector.open(q, name, runKey(ctx.runDir));
    const say = (line: string) => process.stderr.write(`${line}\n`);
    try {
      const put = await collector.put(items, appender, source);
      say(`label queue ${name} at ${redactRedisUrl(q.redis)}: ${put.length} item(s) queued, ${items.length - put.length} of ${items.length} already labelled in ${labels}`);
      if (put.length) say(`start a label server per person (each prints its page's URL): npx rlhf label-server ${ctx.runDir} --redis ${redactRedisUrl(q.redis)} [--port N] [--set job.options.labellerId=<name>]`);
      await collector.collect(put, appender, { signal: ctx.signal, progress: (done, total) => say(`labelled ${done}/${total} queued item(s)`) });
    } finally {
      await collector.close();
    }
    return items.map((i) => appender.current(i.id));
  }

  /** `rlhf label-server`: serve the queue's items on a page of this process (see {@link serveLabelQueue}). */
  async serve(ctx: JobServeContext): Promise<void> {
    if (!this.o.queue) {
      throw new DiagnosticError({
        code: 'label/no-queue',
        plugin: PLUGIN,
        file: ctx.recipeFile,
        pointer: '/job/options',
        message: 'rlhf label-server serves the items a label job puts on a queue, but this label job has no "queue" option (it labels in its own process)',
        fix: 'add queue: { redis: redis://127.0.0.1:6379 } and labeller: web to job.options, and run the label job with the same recipe',
      });
    }
    const q: LabelQueueOptions = { ...(this.o.queue as LabelQueueOptions), redis: ctx.redis ?? this.o.queue.redis };
    await serveLabelQueue({
      queue: q,
      name: labelQueueName(ctx.recipeName, q),
      labellerId: this.o.labellerId,
      port: ctx.port ?? this.o.port,
      question: this.o.question,
      pairQuestion: this.o.pairQuestion,
      out: ctx.out,
      log: ctx.log,
      signal: ctx.signal,
    });
  }
}

export const labelJob = definePlugin({
  kind: 'job',
  name: 'label',
  description: 'Sample completions from the agent for environment prompts and label them (0/1 or A/B pairs) at a terminal, on a local web page, or with the simulated labeller, into a labels file.',
  requires: ['agent', 'environment'],
  options: labelJobOptionsSchema,
  check: (o) => (o.queue && o.labeller !== 'web' ? [{ option: '/labeller', message: `the queue option hands the items to label servers, which show them on the web page, but labeller is "${o.labeller}"`, fix: 'set labeller: web (or drop the queue option)' }] : []),
  create: ({ options, resolvePath }) => new LabelJob(options, resolvePath),
});
