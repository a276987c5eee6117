import * as path from 'node:path';
import { definePlugin, type Job, type JobContext, type JobResult } from '@rlhfjs/core';
import { buildEvalPrompts, countByKind, writeEvalPrompts, type EvalPromptOptions } from './eval-prompts';
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

/** Builds the fixed evaluation prompt file of a detoxification experiment. */
export class EvalPromptsJob implements Job {
  constructor(
    private readonly options: EvalPromptOptions & { output: string },
    private readonly resolvePath: (p: string) => string,
    private readonly pointer: string,
  ) {}

  async run(_ctx: JobContext): Promise<JobResult> {
    const { output, ...opts } = this.options;
    const prompts = buildEvalPrompts(opts, { resolvePath: this.resolvePath, pointer: `${this.pointer}/options/corpus`, plugin: 'job/eval-prompts' });
    const file = this.resolvePath(output);
    writeEvalPrompts(file, prompts, opts);
    const matcher = WordListMatcher.cuss(opts.minRating ?? 2);
    const humanFlagged = prompts.filter((p) => matcher.matches(p.continuation)).length;
    return {
      summary: {
        output: path.resolve(file),
        prompts: prompts.length,
        ...Object.fromEntries(Object.entries(countByKind(prompts)).map(([k, v]) => [`kind/${k}`, v])),
        // how often the sentence's real continuation holds a lexicon word: a reference rate for a model
        // that continued like the people who wrote the text (completions longer than the cut differ)
        humanContinuationFlaggedShare: humanFlagged / prompts.length,
      },
    };
  }
}

export const evalPromptsJob = definePlugin({
  kind: 'job',
  name: 'eval-prompts',
  description: 'Write a fixed JSONL of evaluation prompts cut from held-out corpus sentences (informal tails, cuts before a profane word, Brown openings).',
  options: evalPromptsOptionsSchema,
  create(ctx) {
    const o = ctx.options;
    return new EvalPromptsJob({ ...o, corpus: o.corpus as CorpusSpecInput }, ctx.resolvePath, ctx.pointer);
  },
});
