import * as fs from 'node:fs';
import * as path from 'node:path';
import { definePackage, definePlugin, type Job, type JobContext, type JobResult } from '@rlhfjs/core';

const STATE_FILE = 'count-state.json';

interface CountState {
  /** Texts counted so far (the next step). */
  done: number;
  words: number;
}

/**
 * Job: a recipe runs it instead of the RL loop (job: { use: __PLUGIN__ }). It logs one metrics row
 * per text through the run's metrics sink, and owns its checkpoint, so `rlhf train --resume`
 * continues a killed run where its last checkpoint left it.
 */
export const __EXPORT__ = definePlugin({
  kind: 'job',
  name: '__PLUGIN__',
  description: 'Counts the words and characters of texts (listed in the recipe or read from a file), one metrics row per text.',
  requires: [],
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      texts: { type: 'array', items: { type: 'string' }, default: ['A short first text.', 'And a second, slightly longer one.'], description: 'Texts to count, when no file is given.' },
      file: { type: 'string', description: 'A text file (relative to the recipe), one text per line; replaces texts.' },
      checkpointEvery: { type: 'integer', minimum: 0, default: 1, description: 'Write a checkpoint after every N texts (0: never).' },
    },
  } as const,
  create({ options, resolvePath }): Job {
    let state: CountState = { done: 0, words: 0 };
    return {
      async run(ctx: JobContext): Promise<JobResult> {
        const texts = options.file ? fs.readFileSync(resolvePath(options.file), 'utf8').split('\n').filter((l) => l.trim().length > 0) : options.texts;
        ctx.metrics.plan(texts.length);
        for (let step = state.done; step < texts.length; step++) {
          const n = texts[step].split(/\s+/u).filter((w) => w.length > 0).length;
          state = { done: step + 1, words: state.words + n };
          await ctx.metrics.log(step, { words: n, chars: texts[step].length });
          if (options.checkpointEvery > 0 && state.done % options.checkpointEvery === 0) await ctx.checkpoint(state.done);
        }
        return { summary: { texts: texts.length, words: state.words, meanWords: texts.length ? state.words / texts.length : 0 } };
      },
      async saveCheckpoint(dir: string): Promise<void> {
        fs.writeFileSync(path.join(dir, STATE_FILE), JSON.stringify(state));
      },
      async loadCheckpoint(dir: string): Promise<void> {
        state = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')) as CountState;
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
