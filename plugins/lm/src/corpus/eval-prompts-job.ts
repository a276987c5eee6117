import * as fs from 'node:fs';
import * as path from 'node:path';
import { definePlugin, Tokens, writeJsonAtomic, type Job, type JobContext, type JobResult, type OptionsOf } from '@rlhfjs/core';
import { buildEvalPrompts, countByKind, writeEvalPrompts } from './eval-prompts';
import { WordListMatcher } from './lexicon';
import { corpusSpecSchema, type CorpusSpecInput } from './spec';

export const evalPromptsOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['corpus', 'output'],
  properties: {
    corpus: corpusSpecSchema,
    output: {
      type: 'string',
      description: 'JSONL file to write (relative to the recipe); `<output>.meta.json` beside it records the options and counts. Read it with the prompts environment (`path: <output>`).',
    },
    count: { type: 'integer', minimum: 1, default: 2000, description: 'Prompts to build (fewer if the held-out sentences run out).' },
    lexiconShare: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.15,
      description: 'Share of prompts cut just before a word the cuss lexicon rates at least minRating (capped by how many held-out sentences hold one; raise the oversample rule\'s heldOutFraction for more).',
    },
    brownShare: { type: 'number', minimum: 0, maximum: 1, default: 0.2, description: 'Share of the remaining prompts taken from Brown sentence openings (a control); the rest are informal sentences minus their last 1–3 words.' },
    minRating: { type: 'integer', minimum: 0, maximum: 2, default: 2, description: 'Lowest cuss rating that counts as a lexicon word.' },
    minPromptWords: { type: 'integer', minimum: 1, default: 3, description: 'Fewest words in a prompt.' },
    maxPromptWords: { type: 'integer', minimum: 1, default: 16, description: 'Most words in a prompt (longer openings keep their last words).' },
    seed: { type: 'integer', default: 1234, description: 'Seed of the selection and the cut positions.' },
    split: {
      type: 'string',
      enum: ['heldOut', 'train'],
      default: 'heldOut',
      description: 'Cut held-out sentences (evaluation prompts, unseen in pretraining with the same corpus spec) or training sentences (RL training prompts that never overlap the evaluation ones).',
    },
  },
} as const;

export type EvalPromptsOptions = OptionsOf<typeof evalPromptsOptionsSchema>;

const SUMMARY_FILE = 'eval-prompts.json';

/**
 * Builds the fixed evaluation prompt file of a detoxification experiment. It is one step (step 0,
 * logged with the counts); the checkpoint after it holds the summary, so a resumed run whose
 * output is in place ends without building it again.
 */
export class EvalPromptsJob implements Job {
  private restored: Record<string, number | string> | undefined;
  private done: Record<string, number | string> | undefined;

  constructor(
    private readonly options: EvalPromptsOptions,
    private readonly resolvePath: (p: string) => string,
    private readonly pointer: string,
  ) {}

  async loadCheckpoint(dir: string): Promise<void> {
    this.restored = JSON.parse(fs.readFileSync(path.join(dir, SUMMARY_FILE), 'utf8')) as Record<string, number | string>;
  }

  async saveCheckpoint(dir: string): Promise<void> {
    if (!this.done) throw new Error('job/eval-prompts: saveCheckpoint called before the prompts were written');
    writeJsonAtomic(path.join(dir, SUMMARY_FILE), this.done);
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const { output, ...opts } = this.options;
    const file = this.resolvePath(output);
    if (this.restored && fs.existsSync(file)) return { summary: this.restored };
    const corpusOpts = { ...opts, corpus: opts.corpus as CorpusSpecInput };
    const prompts = buildEvalPrompts(corpusOpts, { resolvePath: this.resolvePath, pointer: `${this.pointer}/options/corpus`, plugin: 'job/eval-prompts' });
    writeEvalPrompts(file, prompts, corpusOpts);
    const matcher = WordListMatcher.cuss(opts.minRating);
    const humanFlagged = prompts.filter((p) => matcher.matches(p.continuation)).length;
    const counts: Record<string, number> = {
      prompts: prompts.length,
      ...Object.fromEntries(Object.entries(countByKind(prompts)).map(([k, v]) => [`kind/${k}`, v])),
      // how often the sentence's real continuation holds a lexicon word: a reference rate for a model
      // that continued like the people who wrote the text (completions longer than the cut differ)
      humanContinuationFlaggedShare: humanFlagged / prompts.length,
    };
    const metrics = ctx.metrics;
    metrics.plan(1);
    await metrics.log(0, counts);
    this.done = { output: path.resolve(file), ...counts };
    await ctx.checkpoint(1);
    return { summary: this.done };
  }
}

export const evalPromptsJob = definePlugin({
  kind: 'job',
  name: 'eval-prompts',
  description: 'Write a fixed JSONL of evaluation prompts cut from held-out corpus sentences (informal tails, cuts before a profane word, Brown openings).',
  options: evalPromptsOptionsSchema,
  create: (ctx) => new EvalPromptsJob(ctx.options, ctx.resolvePath, ctx.pointer),
});
