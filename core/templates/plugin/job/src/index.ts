import * as fs from 'node:fs';
import { definePackage, definePlugin, Tokens, type Job, type JobResult } from '@rlhfjs/core';

/**
 * Job: a recipe runs it instead of the RL loop (job: { use: __PLUGIN__ }). It logs one metrics row
 * per text through the run directory and the recipe's loggers, both taken from the container.
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
    },
  } as const,
  create({ options, container, resolvePath }): Job {
    return {
      async run(): Promise<JobResult> {
        const texts = options.file ? fs.readFileSync(resolvePath(options.file), 'utf8').split('\n').filter((l) => l.trim().length > 0) : options.texts;
        const runDir = container.resolve(Tokens.RunDir);
        const loggers = container.resolve(Tokens.Loggers);
        for (const l of loggers) await l.start?.({ runDir: runDir.path, totalSteps: texts.length, startStep: 0 });
        let words = 0;
        for (let step = 0; step < texts.length; step++) {
          const n = texts[step].split(/\s+/u).filter((w) => w.length > 0).length;
          words += n;
          const metrics = { words: n, chars: texts[step].length };
          runDir.appendMetrics(step, metrics);
          for (const l of loggers) await l.log(step, metrics);
        }
        for (const l of loggers) await l.close?.();
        return { summary: { texts: texts.length, words, meanWords: texts.length ? words / texts.length : 0 } };
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
