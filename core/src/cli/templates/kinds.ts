/**
 * One small, genuine plugin per kind: its source (src/index.ts), a behaviour test and an example
 * recipe. Written as plain strings (String.raw keeps backslashes); placeholders are __NAMES__.
 * The generated code uses no template literals, so nothing here is interpolated by accident.
 */

export interface KindTemplate {
  /** One line for package.json and the README. */
  description: string;
  source: string;
  test: string;
  recipe: string;
  /** What the README says about running the example recipe. */
  recipeNote: string;
}

const RL_PACKAGES = 'It uses the built-in plugin packages `@rlhfjs/plugin-lm` and `@rlhfjs/plugin-algorithms` for the other slots: install them next to this one to run it.';
const RL_PACKAGES_AND_REWARD = RL_PACKAGES + ' Its reward comes from `rlhf-plugin-keywords`, the example package of the rlhfjs plugin guide (docs/plugins.md); any reward plugin will do.';

/** The slots of an RL recipe that a scaffolded plugin does not fill, from the built-in packages. */
function rlRecipe(slots: { rewards?: string; environment?: string; klController?: string; loggers?: string; scorers?: string }): string {
  return String.raw`# An RL recipe that uses __PLUGIN__ (__KIND__). "plugins" is resolved from this file's folder:
# ".." is this package itself; in your own project, write "__PACKAGE__".
plugins: ["..", "@rlhfjs/plugin-lm", "@rlhfjs/plugin-algorithms"` + (slots.rewards ? '' : ', "rlhf-plugin-keywords"') + String.raw`]
agent:
  use: gpt
  options:
    init:
      contextSize: 32
      dModel: 16
      nLayers: 1
      nHeads: 2
      dMlp: 32
      tokenizer: { corpus: { sources: [ { name: brown, limit: 200 } ] }, vocabSize: 300 }
    sampling: { maxNewTokens: 6 }
environment:
` + (slots.environment ?? String.raw`  use: prompts
  options: { corpus: { sources: [ { name: brown, limit: 200 } ] }, cut: { split: all } }
`) + String.raw`rewards:
` + (slots.rewards ?? String.raw`  - { use: keyword-bonus, weight: 1, options: { keywords: { the: 1, and: 0.5 } } }
`) + String.raw`algorithm: { use: reinforce, options: { promptsPerIteration: 2, samplesPerPrompt: 2 } }
klController: ` + (slots.klController ?? '{ use: fixed }') + '\n' + (slots.loggers ?? '') + (slots.scorers ?? '') + String.raw`runtime: { backend: cpu, steps: 2, seed: 1, outputDir: runs }
`;
}

const reward: KindTemplate = {
  description: 'A reward that scores completions containing a configurable word',
  source: String.raw`import { definePackage, definePlugin, type RewardResult, type RewardSample, type RewardSource } from '@rlhfjs/core';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');
}

/**
 * Reward: a fixed bonus for every completion that contains a word. Options arrive validated,
 * with defaults filled in; their TypeScript type is derived from the schema below.
 */
export const __EXPORT__ = definePlugin({
  kind: 'reward',
  name: '__PLUGIN__',
  description: 'Scores a completion by whether it contains a configurable word (whole words, any case by default).',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      word: { type: 'string', minLength: 1, default: 'please', description: 'The word to look for in each completion (not in the prompt).' },
      bonus: { type: 'number', default: 1, description: 'Score of a completion that contains the word; every other completion scores 0.' },
      caseSensitive: { type: 'boolean', default: false, description: 'Match the exact letter case of word.' },
      wholeWord: { type: 'boolean', default: true, description: 'Match whole words only ("please" does not match "pleased").' },
    },
  } as const,
  create({ options }): RewardSource {
    const flags = options.caseSensitive ? 'u' : 'iu';
    const word = escapeRegExp(options.word);
    const pattern = options.wholeWord ? new RegExp('(?<![\\p{L}\\p{N}_])' + word + '(?![\\p{L}\\p{N}_])', flags) : new RegExp(word, flags);
    return {
      async score(samples: RewardSample[]): Promise<RewardResult> {
        const hits = samples.map((s) => pattern.test(s.completion));
        return { scores: hits.map((hit) => (hit ? options.bonus : 0)), details: { matched: hits.map((hit) => (hit ? 1 : 0)) } };
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
`,
  test: String.raw`import { buildPlugin } from '@rlhfjs/core/testing';
import { __EXPORT__ } from './index';

const samples = (completions: string[]) => completions.map((completion) => ({ prompt: 'Could you pass the salt', completion }));

test('scores the bonus where the word occurs as a whole word, in any case', async () => {
  const built = await buildPlugin(__EXPORT__, { word: 'please', bonus: 2 });
  try {
    const res = await built.instance.score(samples([' yes, please!', ' I am pleased', ' PLEASE do', '']), { step: 0 });
    expect(res.scores).toEqual([2, 0, 2, 0]);
    expect(res.details?.matched).toEqual([1, 0, 1, 0]);
  } finally {
    built.dispose();
  }
});

test('caseSensitive and wholeWord change what matches', async () => {
  const built = await buildPlugin(__EXPORT__, { word: 'please', caseSensitive: true, wholeWord: false });
  try {
    const res = await built.instance.score(samples([' pleased', ' PLEASE']), { step: 0 });
    expect(res.scores).toEqual([1, 0]);
  } finally {
    built.dispose();
  }
});
`,
  recipe: rlRecipe({ rewards: '  - { use: __PLUGIN__, weight: 1, options: { word: the, bonus: 1 } }\n' }),
  recipeNote: RL_PACKAGES,
};

const scorer: KindTemplate = {
  description: 'An evaluation scorer that counts words and flags long completions',
  source: String.raw`import { definePackage, definePlugin, type RewardSample, type Scorer } from '@rlhfjs/core';

/**
 * Evaluation scorer: the number of words of each completion, flagged when it exceeds a limit.
 * Scorers never feed the training reward; rlhf eval reports them per checkpoint.
 */
export const __EXPORT__ = definePlugin({
  kind: 'scorer',
  name: '__PLUGIN__',
  description: 'Counts the words of each completion and flags completions longer than maxWords.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxWords: { type: 'integer', minimum: 0, default: 20, description: 'A completion with more words than this is flagged.' },
      label: { type: 'string', minLength: 1, default: '__PLUGIN__', description: 'Column name of this scorer in evaluation tables.' },
    },
  } as const,
  create({ options }): Scorer {
    return {
      name: options.label,
      async score(samples: RewardSample[]) {
        const counts = samples.map((s) => s.completion.split(/\s+/u).filter((w) => w.length > 0).length);
        return { scores: counts, flags: counts.map((n) => n > options.maxWords) };
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
`,
  test: String.raw`import { buildPlugin } from '@rlhfjs/core/testing';
import { __EXPORT__ } from './index';

test('counts words and flags completions over maxWords', async () => {
  const built = await buildPlugin(__EXPORT__, { maxWords: 3 });
  try {
    const completions = [' one two', ' a b  c d e', '', ' x y z'];
    const res = await built.instance.score(completions.map((completion) => ({ prompt: 'p', completion })));
    expect(res.scores).toEqual([2, 5, 0, 3]);
    expect(res.flags).toEqual([false, true, false, false]);
    expect(built.instance.name).toBe('__PLUGIN__');
  } finally {
    built.dispose();
  }
});
`,
  recipe: rlRecipe({ rewards: undefined, scorers: 'scorers:\n  - { use: __PLUGIN__, options: { maxWords: 4 } }\n' }),
  recipeNote: RL_PACKAGES_AND_REWARD + ' `rlhf eval` reports the scorers of a recipe.',
};

const logger: KindTemplate = {
  description: 'A logger that writes chosen metrics as a tab-separated file in the run directory',
  source: String.raw`import * as fs from 'node:fs';
import * as path from 'node:path';
import { definePackage, definePlugin, Tokens, type Logger, type Metrics } from '@rlhfjs/core';

/**
 * Logger: chosen metrics as a tab-separated table in the run directory. The run directory is a
 * collaborator, so it comes from the container (Tokens.RunDir), not from the options.
 */
export const __EXPORT__ = definePlugin({
  kind: 'logger',
  name: '__PLUGIN__',
  description: 'Writes chosen metrics as a tab-separated table (one row per step) in the run directory.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      file: { type: 'string', minLength: 1, default: 'metrics.tsv', description: 'File name, relative to the run directory.' },
      keys: { type: 'array', items: { type: 'string' }, default: [], description: 'Metric names to keep, as columns in this order; empty keeps every metric of the first step, sorted.' },
    },
  } as const,
  create({ options, container }): Logger {
    const file = path.join(container.resolve(Tokens.RunDir).path, options.file);
    let columns: string[] | undefined = options.keys.length ? [...options.keys] : undefined;
    let header = false;
    const cell = (v: number | undefined): string => (v === undefined ? '' : String(v));
    return {
      start({ startStep }) {
        // a resumed run keeps the rows before its checkpoint
        if (startStep > 0 && fs.existsSync(file)) {
          const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
          columns = lines[0]?.split('\t').slice(1) ?? columns;
          fs.writeFileSync(file, lines.filter((l, i) => i === 0 || Number(l.split('\t')[0]) < startStep).join('\n') + '\n');
          header = lines.length > 0;
        }
      },
      log(step: number, metrics: Metrics) {
        columns ??= Object.keys(metrics).sort();
        if (!header) {
          fs.writeFileSync(file, ['step', ...columns].join('\t') + '\n');
          header = true;
        }
        fs.appendFileSync(file, [String(step), ...columns.map((k) => cell(metrics[k]))].join('\t') + '\n');
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
`,
  test: String.raw`import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildPlugin } from '@rlhfjs/core/testing';
import { __EXPORT__ } from './index';

test('writes the chosen metrics, one row per step, in the run directory', async () => {
  const built = await buildPlugin(__EXPORT__, { keys: ['reward/mean', 'kl/mean'] });
  try {
    const l = built.instance;
    await l.start?.({ runDir: built.runDir, totalSteps: 2, startStep: 0 });
    await l.log(0, { 'reward/mean': 0.5, 'kl/mean': 0.25, 'loss/policy': 3 });
    await l.log(1, { 'reward/mean': 0.75 });
    await l.close?.();
    const text = fs.readFileSync(path.join(built.runDir, 'metrics.tsv'), 'utf8');
    expect(text).toBe('step\treward/mean\tkl/mean\n0\t0.5\t0.25\n1\t0.75\t\n');
  } finally {
    built.dispose();
  }
});
`,
  recipe: rlRecipe({ loggers: 'loggers:\n  - { use: __PLUGIN__, options: { keys: [reward/mean, kl/mean] } }\n' }),
  recipeNote: RL_PACKAGES_AND_REWARD,
};

const klController: KindTemplate = {
  description: 'A KL controller whose coefficient decays geometrically to a floor',
  source: String.raw`import { definePackage, definePlugin, type KLController } from '@rlhfjs/core';

/**
 * KL controller: beta_k = max(min, initial * decay^k) after k updates, whatever KL was observed.
 * Its state (beta and k) is plain JSON, stored in checkpoints so a resumed run continues the schedule.
 */
export const __EXPORT__ = definePlugin({
  kind: 'kl-controller',
  name: '__PLUGIN__',
  description: 'KL coefficient that decays geometrically each iteration, down to a floor.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      initial: { type: 'number', minimum: 0, default: 0.2, description: 'Coefficient beta of the first iteration.' },
      decay: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.9, description: 'Factor applied to beta after every iteration.' },
      min: { type: 'number', minimum: 0, default: 0.05, description: 'beta never falls below this floor.' },
    },
  } as const,
  create({ options }): KLController {
    let updates = 0;
    const beta = (): number => Math.max(options.min, options.initial * Math.pow(options.decay, updates));
    return {
      get value() {
        return beta();
      },
      update() {
        updates += 1;
      },
      getState() {
        return { value: beta(), updates };
      },
      setState(state) {
        if (typeof state.updates !== 'number') throw new Error('kl-controller/__PLUGIN__: the checkpoint state has no "updates" count');
        updates = state.updates;
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
`,
  test: String.raw`import { buildPlugin } from '@rlhfjs/core/testing';
import { __EXPORT__ } from './index';

test('beta decays geometrically to the floor, and the state restores it', async () => {
  const built = await buildPlugin(__EXPORT__, { initial: 0.2, decay: 0.9, min: 0.05 });
  try {
    const kl = built.instance;
    expect(kl.value).toBe(0.2);
    kl.update(3.0, 8);
    kl.update(0.1, 8);
    expect(kl.value).toBeCloseTo(0.162, 12); // 0.2 * 0.9^2
    const saved = kl.getState();
    for (let i = 0; i < 10; i++) kl.update(1, 8);
    expect(kl.value).toBeCloseTo(0.0564859072962, 12); // 0.2 * 0.9^12
    kl.update(1, 8);
    kl.update(1, 8);
    expect(kl.value).toBe(0.05); // 0.2 * 0.9^14 = 0.0458 is below the floor
    kl.setState(saved);
    expect(kl.value).toBeCloseTo(0.162, 12);
  } finally {
    built.dispose();
  }
});
`,
  recipe: rlRecipe({ klController: '{ use: __PLUGIN__, options: { initial: 0.2, decay: 0.95 } }' }),
  recipeNote: RL_PACKAGES_AND_REWARD,
};

const environment: KindTemplate = {
  description: 'An environment that serves prompts written in the recipe, reshuffled every epoch',
  source: String.raw`import { definePackage, definePlugin, DiagnosticError, type Environment, type Prompt } from '@rlhfjs/core';
import type { Rng } from '@rlhfjs/core';

interface State {
  /** Order of the training prompts in the current epoch (null before the first batch). */
  order: number[] | null;
  /** Next position in order. */
  position: number;
}

/**
 * Environment: prompts listed in the recipe. The last heldOut prompts are kept for evaluation;
 * the rest are served in an order shuffled with the run's data stream, anew every epoch.
 */
export const __EXPORT__ = definePlugin({
  kind: 'environment',
  name: '__PLUGIN__',
  description: 'Serves prompts listed in the recipe, reshuffled every epoch; the last few are held out for evaluation.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      prompts: {
        type: 'array',
        items: { type: 'string' },
        minItems: 2,
        default: ['The weather today is', 'My favourite meal is', 'On weekends I like to', 'The best book I read was', 'A good friend is someone who', 'The garden looks'],
        description: 'The prompts, in the order written; the last heldOut of them are evaluation prompts.',
      },
      heldOut: { type: 'integer', minimum: 0, default: 1, description: 'How many prompts, from the end of the list, are kept for evaluation only.' },
    },
  } as const,
  create({ options, pointer }): Environment {
    const all: Prompt[] = options.prompts.map((text, i) => ({ id: '__PLUGIN__:' + i, text }));
    if (options.heldOut >= all.length) {
      throw new DiagnosticError({
        code: '__PLUGIN__/held-out',
        pointer: pointer + '/options/heldOut',
        message: 'heldOut (' + options.heldOut + ') leaves no training prompts out of ' + all.length,
        fix: 'lower heldOut or add prompts',
      });
    }
    const train = all.slice(0, all.length - options.heldOut);
    const held = all.slice(all.length - options.heldOut);
    let state: State = { order: null, position: 0 };
    return {
      size: train.length,
      nextBatch(n: number, rng: Rng): Prompt[] {
        const out: Prompt[] = [];
        while (out.length < n) {
          if (state.order === null || state.position >= state.order.length) state = { order: rng.shuffle(train.map((_, i) => i)), position: 0 };
          out.push(train[state.order![state.position++]]);
        }
        return out;
      },
      heldOut(limit?: number): Prompt[] {
        return held.slice(0, limit ?? held.length);
      },
      getState(): State {
        return { order: state.order ? [...state.order] : null, position: state.position };
      },
      setState(s: unknown) {
        const v = s as State;
        state = { order: v.order ? [...v.order] : null, position: v.position };
      },
    };
  },
});

/** What a recipe's plugins list loads: data only, nothing registers on import. */
export default definePackage({ apiVersion: '__API_VERSION__', plugins: [__EXPORT__] });
`,
  test: String.raw`import { Rng } from '@rlhfjs/core';
import { buildPlugin } from '@rlhfjs/core/testing';
import { __EXPORT__ } from './index';

test('one epoch serves every training prompt once; the held-out prompts are never served', async () => {
  const built = await buildPlugin(__EXPORT__, { prompts: ['a', 'b', 'c', 'd', 'e'], heldOut: 2 });
  try {
    const env = built.instance;
    expect(env.size).toBe(3);
    expect(env.heldOut().map((p) => p.text)).toEqual(['d', 'e']);
    const rng = new Rng(3);
    const epoch = env.nextBatch(3, rng).map((p) => p.text);
    expect([...epoch].sort()).toEqual(['a', 'b', 'c']);
    const saved = env.getState();
    const rngAtSave = rng.getState();
    const next = env.nextBatch(4, rng).map((p) => p.text);
    expect([...next.slice(0, 3)].sort()).toEqual(['a', 'b', 'c']); // a new epoch, a new order
    // a resumed run (state and random stream restored) sees the same prompts
    env.setState(JSON.parse(JSON.stringify(saved)));
    expect(env.nextBatch(4, new Rng(rngAtSave)).map((p) => p.text)).toEqual(next);
  } finally {
    built.dispose();
  }
});

test('heldOut must leave training prompts', async () => {
  await expect(buildPlugin(__EXPORT__, { prompts: ['a', 'b'], heldOut: 2 })).rejects.toThrow(/leaves no training prompts/);
});
`,
  recipe: rlRecipe({ environment: '  use: __PLUGIN__\n  options: { heldOut: 1 }\n' }),
  recipeNote: RL_PACKAGES_AND_REWARD,
};

const job: KindTemplate = {
  description: 'A job that counts the words of texts and logs one metrics row per text',
  source: String.raw`import * as fs from 'node:fs';
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
`,
  test: String.raw`import { buildPlugin } from '@rlhfjs/core/testing';
import { RunDirectory } from '@rlhfjs/core';
import { __EXPORT__ } from './index';

test('logs one row per text and sums the words', async () => {
  const built = await buildPlugin(__EXPORT__, { texts: ['a b c', 'd  e', ''] });
  try {
    const res = await built.instance.run({ container: built.container, runDir: built.runDir, resume: false });
    expect(res.summary).toEqual({ texts: 3, words: 5, meanWords: 5 / 3 });
    const rows = new RunDirectory(built.runDir).readMetrics();
    expect(rows.map((r) => [r.step, r.words, r.chars])).toEqual([[0, 3, 5], [1, 2, 4], [2, 0, 0]]);
  } finally {
    built.dispose();
  }
});
`,
  recipe: String.raw`# Runs __PLUGIN__ (a job) instead of the RL loop. "plugins" is resolved from this file's folder:
# ".." is this package itself; in your own project, write "__PACKAGE__".
plugins: [".."]
job:
  use: __PLUGIN__
  options:
    texts: ["The first line of text.", "A second one."]
runtime: { backend: cpu, steps: 1, outputDir: runs }
`,
  recipeNote: 'It needs no other plugin package: `npx rlhf train recipes/example.yaml` runs it.',
};

/** The kinds `rlhf init plugin --kind` scaffolds. */
export const KIND_TEMPLATES: Record<string, KindTemplate> = {
  reward,
  scorer,
  logger,
  'kl-controller': klController,
  environment,
  job,
};
