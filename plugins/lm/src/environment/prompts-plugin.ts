import { DiagnosticError, Tokens, definePlugin, type Prompt, type Tokenizer } from '@rlhfjs/core';
import { PromptEnvironment } from './prompt-environment';
import { promptsFromCorpus, promptsFromFile, splitPrompts, truncatePrompt } from './prompt-sources';
import { promptsOptionsSchema } from './prompts.options';

const PLUGIN = 'environment/prompts';

export const promptsEnvironment = definePlugin({
  kind: 'environment',
  name: 'prompts',
  description: 'Prompts from a JSONL or text file, or cut from corpus sentences; seeded order reshuffled every epoch, with a held-out set for evaluation.',
  options: promptsOptionsSchema,
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
    const cut = { ...options.cut, seed: options.seed };
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
