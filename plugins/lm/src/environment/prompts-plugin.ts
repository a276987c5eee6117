import { DiagnosticError, Tokens, definePlugin, type Prompt, type Tokenizer } from '@rlhfjs/core';
import { PromptEnvironment } from './prompt-environment';
import { promptsFromCorpus, promptsFromFile, splitPrompts, truncatePrompt } from './prompt-sources';
import { promptsOptionsSchema } from './prompts.options';
import { chatPromptText } from '../tokenizer/chat-template';

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

    let tokenizer: Tokenizer | undefined;
    const policyTokenizer = (field: string, what: string): Tokenizer => {
      if (tokenizer) return tokenizer;
      try {
        tokenizer = container.resolve(Tokens.Tokenizer);
        return tokenizer;
      } catch (e) {
        throw new DiagnosticError({
          code: 'environment/no-tokenizer',
          message: `${field} needs the policy tokenizer, but none is registered in this run`,
          pointer: at(field),
          plugin: PLUGIN,
          fix: `Fill the recipe's \`agent\` slot (it registers the tokenizer), or ${what}.`,
        }, { cause: e });
      }
    };

    if (options.maxTokens !== undefined) {
      const tok = policyTokenizer('maxTokens', 'remove maxTokens');
      const max = options.maxTokens;
      const shorten = (p: Prompt): Prompt => ({ id: p.id, text: truncatePrompt(p.text, tok, max, options.truncate) });
      train = train.map(shorten);
      heldOut = heldOut.map(shorten);
    }

    if (!options.chatTemplate) {
      const stray = options.systemPrompt !== undefined ? 'systemPrompt' : Object.keys(options.chatVariables).length > 0 ? 'chatVariables' : undefined;
      if (stray !== undefined) {
        throw new DiagnosticError({ code: 'environment/chat-option-without-template', message: `${stray} is set but chatTemplate is off, so it would be ignored`, pointer: at(stray), plugin: PLUGIN, fix: `Set chatTemplate: true (for an instruct model), or remove ${stray}.` });
      }
    } else {
      const tok = policyTokenizer('chatTemplate', 'set chatTemplate: false');
      if (typeof tok.applyChatTemplate !== 'function' || tok.chatTemplate === undefined) {
        throw new DiagnosticError({
          code: 'environment/no-chat-template',
          message: 'chatTemplate is on, but the policy\'s tokenizer has no chat template',
          pointer: at('chatTemplate'),
          plugin: PLUGIN,
          fix: 'Use an instruct (chat) model as the agent: its tokenizer_config.json holds a chat_template. For a base model, set chatTemplate: false.',
        });
      }
      const chat = { system: options.systemPrompt, variables: { ...options.chatVariables } };
      const wrap = (p: Prompt): Prompt => ({ id: p.id, text: chatPromptText(tok, p.text, chat) });
      train = train.map(wrap);
      heldOut = heldOut.map(wrap);
    }
    return new PromptEnvironment(train, heldOut, { label: PLUGIN });
  },
});
