import * as fs from 'node:fs';
import * as path from 'node:path';
import { atomicWriteFileSync, definePlugin, writeJsonAtomic, type Job, type JobContext, type JobResult, type OptionsOf } from '@rlhfjs/core';
import { loadCorpus } from './load';
import { corpusSpecSchema, type CorpusSpecInput } from './spec';

export const corpusTextOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['corpus', 'output'],
  properties: {
    corpus: corpusSpecSchema,
    output: {
      type: 'string',
      description: 'JSONL file for the training sentences, one {"text": …} per line, in the corpus\'s seeded order with weights and oversampling applied (relative to the recipe). An online algorithm\'s `ptx.file` reads it (PPO-ptx).',
    },
    heldOutOutput: { type: 'string', description: 'JSONL file for the held-out sentences (the algorithm\'s `ptx.heldOutFile`); leave out to write none.' },
    maxTrain: { type: 'integer', minimum: 1, description: 'Write at most this many training sentences (the first of the seeded order).' },
    maxHeldOut: { type: 'integer', minimum: 1, description: 'Write at most this many held-out sentences.' },
  },
} as const;

export type CorpusTextOptions = OptionsOf<typeof corpusTextOptionsSchema>;

const SUMMARY_FILE = 'corpus-text.json';

/**
 * Writes a corpus spec's training and held-out sentences to JSONL files: how the packaged corpora
 * (and the split a base model was pretrained with) reach an algorithm's pretraining-mix term, which
 * reads text files. One step; a resumed run whose files are in place ends at once.
 */
export class CorpusTextJob implements Job {
  private restored: Record<string, number | string> | undefined;
  private done: Record<string, number | string> | undefined;

  constructor(
    private readonly options: CorpusTextOptions,
    private readonly resolvePath: (p: string) => string,
    private readonly pointer: string,
  ) {}

  async loadCheckpoint(dir: string): Promise<void> {
    this.restored = JSON.parse(fs.readFileSync(path.join(dir, SUMMARY_FILE), 'utf8')) as Record<string, number | string>;
  }

  async saveCheckpoint(dir: string): Promise<void> {
    if (!this.done) throw new Error('job/corpus-text: saveCheckpoint called before the files were written');
    writeJsonAtomic(path.join(dir, SUMMARY_FILE), this.done);
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const o = this.options;
    const file = this.resolvePath(o.output);
    if (this.restored && fs.existsSync(file)) return { summary: this.restored };
    const corpus = loadCorpus(o.corpus as CorpusSpecInput, { resolvePath: this.resolvePath, pointer: `${this.pointer}/options/corpus`, plugin: 'job/corpus-text' });
    const jsonl = (xs: readonly string[]) => xs.map((text) => JSON.stringify({ text })).join('\n') + '\n';
    const train = o.maxTrain === undefined ? corpus.train : corpus.train.slice(0, o.maxTrain);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    atomicWriteFileSync(file, jsonl(train));
    const counts: Record<string, number> = { train: train.length };
    if (o.heldOutOutput) {
      const held = o.maxHeldOut === undefined ? corpus.heldOut : corpus.heldOut.slice(0, o.maxHeldOut);
      const heldFile = this.resolvePath(o.heldOutOutput);
      fs.mkdirSync(path.dirname(heldFile), { recursive: true });
      atomicWriteFileSync(heldFile, jsonl(held));
      counts.heldOut = held.length;
    }
    ctx.metrics.plan(1);
    await ctx.metrics.log(0, counts);
    this.done = { output: path.resolve(file), ...counts };
    await ctx.checkpoint(1);
    return { summary: this.done };
  }
}

export const corpusTextJob = definePlugin({
  kind: 'job',
  name: 'corpus-text',
  description: 'Write the training and held-out sentences of a corpus spec (packaged corpora or files) to JSONL, e.g. for the pretraining-mix term (ptx) of an RL algorithm.',
  options: corpusTextOptionsSchema,
  create: (ctx) => new CorpusTextJob(ctx.options, ctx.resolvePath, ctx.pointer),
});
