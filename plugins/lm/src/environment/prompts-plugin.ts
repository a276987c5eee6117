import { DiagnosticError, Tokens, definePlugin, type Prompt, type Tokenizer } from '@rlhfjs/core';
import { corpusSpecSchema } from '../corpus/spec';
import { PromptEnvironment } from './prompt-environment';
import { promptsFromCorpus, promptsFromFile, splitPrompts, truncatePrompt } from './prompt-sources';

const PLUGIN = 'environment/prompts';

export const promptsEnvironment = definePlugin({
  kind: 'environment',
  name: 'prompts',
  description: 'Prompts from a JSONL or text file, or cut from corpus sentences; seeded order reshuffled every epoch, with a held-out set for evaluation.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: {
        type: 'string',
        description: 'Prompt file (relative to the recipe): .jsonl/.ndjson holds one JSON object per line, anything else one prompt per line. Give either this or `corpus`.',
      },
      format: {
        type: 'string',
        enum: ['auto', 'lines', 'jsonl'],
        default: 'auto',
        description: 'How to read `path` and `heldOutPath`: "auto" picks JSONL by the .jsonl/.ndjson extension, otherwise one prompt per line.',
      },
      field: { type: 'string', default: 'prompt', description: 'In JSONL files: the field that holds the prompt text.' },
      heldOutPath: {
        type: 'string',
        description: 'A separate file of held-out (evaluation) prompts, same format as `path`. When set, every prompt of the main source is a training prompt and heldOutFraction is not used.',
      },
      heldOutFraction: {
        type: 'number',
        minimum: 0,
        maximum: 0.9,
        default: 0.05,
        description: 'Without heldOutPath: share of prompts kept for evaluation, chosen by a hash of the prompt text and `seed` (stable when the file grows).',
      },
      seed: { type: 'integer', default: 1234, description: 'Seed of the train/held-out split and of the number of words cut from each corpus sentence. The batch order comes from the run\'s random stream.' },
      corpus: corpusSpecSchema,
      cut: {
        type: 'object',
        additionalProperties: false,
        default: {},
        description: 'With `corpus`: how prompts are cut from sentences (the first N words, N between minWords and maxWords by hash).',
        properties: {
          minWords: { type: 'integer', minimum: 1, default: 4, description: 'Fewest words a prompt keeps.' },
          maxWords: { type: 'integer', minimum: 1, default: 8, description: 'Most words a prompt keeps (at least minWords).' },
          minRemainingWords: { type: 'integer', minimum: 0, default: 1, description: 'Words that must remain after the cut; shorter sentences are skipped.' },
          split: {
            type: 'string',
            enum: ['heldOut', 'train', 'all'],
            default: 'heldOut',
            description: 'Which corpus sentences to cut: "heldOut" (sentences a model pretrained on the same corpus spec never saw), "train", or "all".',
          },
        },
      },
      maxTokens: {
        type: 'integer',
        minimum: 1,
        description: 'Shorten prompts to at most this many tokens of the policy tokenizer (not counting the bos token the agent adds). Leave it out to keep prompts whole.',
      },
      truncate: {
        type: 'string',
        enum: ['left', 'right'],
        default: 'left',
        description: 'With maxTokens: "left" drops tokens from the start (keeps the words the completion continues), "right" drops them from the end.',
      },
    },
  } as const,
  create: ({ options, container, resolvePath, pointer }) => {
    const at = (field: string): string => `${pointer}/options/${field}`;
    if ((options.path === undefined) === (options.corpus === undefined)) {
      throw new DiagnosticError({
        code: 'environment/prompt-source',
        message: options.path === undefined ? 'the prompts environment needs a prompt source' : 'the prompts environment got both `path` and `corpus`',
        pointer: `${pointer}/options`,
        plugin: PLUGIN,
        fix: 'Set exactly one of `path` (a prompt file) or `corpus` (cut prompts from corpus sentences).',
      });
    }
    const cut = {
      minWords: options.cut?.minWords ?? 4,
      maxWords: options.cut?.maxWords ?? 8,
      minRemainingWords: options.cut?.minRemainingWords ?? 1,
      split: options.cut?.split ?? 'heldOut',
      seed: options.seed,
    };
    if (cut.maxWords < cut.minWords) {
      throw new DiagnosticError({ code: 'environment/bad-cut', message: `cut.maxWords (${cut.maxWords}) is below cut.minWords (${cut.minWords})`, pointer: at('cut/maxWords'), plugin: PLUGIN, fix: 'Make maxWords at least minWords.' });
    }

    const all: Prompt[] = options.path !== undefined
      ? promptsFromFile({ path: options.path, resolved: resolvePath(options.path), format: options.format, field: options.field, plugin: PLUGIN, pointer: at('path') })
      : promptsFromCorpus(options.corpus!, cut, { resolvePath, pointer: at('corpus'), plugin: PLUGIN });

    let train: Prompt[];
    let heldOut: Prompt[];
    if (options.heldOutPath !== undefined) {
      train = all;
      heldOut = promptsFromFile({ path: options.heldOutPath, resolved: resolvePath(options.heldOutPath), format: options.format, field: options.field, plugin: PLUGIN, pointer: at('heldOutPath') });
    } else {
      ({ train, heldOut } = splitPrompts(all, options.heldOutFraction, options.seed));
    }
    if (train.length === 0) {
      throw new DiagnosticError({
        code: 'environment/no-prompts',
        message: `all ${all.length} prompts landed in the held-out set (heldOutFraction ${options.heldOutFraction}), none is left for training`,
        pointer: at('heldOutFraction'),
        plugin: PLUGIN,
        fix: 'Add prompts, lower heldOutFraction, or give held-out prompts in heldOutPath.',
      });
    }

    if (options.maxTokens !== undefined) {
      let tokenizer: Tokenizer;
      try {
        tokenizer = container.resolve(Tokens.Tokenizer);
      } catch (e) {
        throw new DiagnosticError({
          code: 'environment/no-tokenizer',
          message: 'maxTokens needs the policy tokenizer, but none is registered in this run',
          pointer: at('maxTokens'),
          plugin: PLUGIN,
          fix: 'Fill the recipe\'s `agent` slot (it registers the tokenizer), or remove maxTokens.',
        }, { cause: e });
      }
      const max = options.maxTokens;
      const shorten = (p: Prompt): Prompt => ({ id: p.id, text: truncatePrompt(p.text, tokenizer, max, options.truncate) });
      train = train.map(shorten);
      heldOut = heldOut.map(shorten);
    }
    return new PromptEnvironment(train, heldOut, { label: PLUGIN });
  },
});
