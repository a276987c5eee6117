/**
 * Chat templates: the Jinja source an instruct model's tokenizer_config.json holds under
 * `chat_template`, rendered with `@huggingface/jinja` and the variables Hugging Face `transformers`
 * passes to it (`messages`, `add_generation_prompt`, the special-token strings such as `bos_token`
 * and `eos_token`, plus any extra variables the caller gives).
 */
import { DiagnosticError, type ChatMessage, type Tokenizer } from '@rlhfjs/core';

type JinjaTemplate = { render(items?: Record<string, unknown>): string };
// the package is ESM with a CommonJS build that node's `require` condition selects
const { Template } = require('@huggingface/jinja') as { Template: new (source: string) => JinjaTemplate };

export interface ChatTemplateOptions {
  /** End the text where the assistant's reply begins (the template's `add_generation_prompt`). */
  addGenerationPrompt?: boolean;
  /**
   * Further template variables, e.g. `{ "enable_thinking": false }` or a fixed `date_string` for
   * templates that would otherwise print today's date (which makes runs differ from day to day).
   */
  variables?: Record<string, unknown>;
}

/** Where a template comes from, for error messages. */
export interface ChatTemplateSource {
  file: string;
  pointer?: string;
}

/** A compiled chat template. Construction parses it, so a syntax error surfaces at load time. */
export class ChatTemplate {
  private readonly compiled: JinjaTemplate;

  constructor(
    readonly source: string,
    private readonly where: ChatTemplateSource,
  ) {
    try {
      this.compiled = new Template(source);
    } catch (e) {
      throw new DiagnosticError({
        code: 'tokenizer/bad-chat-template',
        message: `${where.file}: the chat template does not parse (${(e as Error).message})`,
        file: where.file,
        ...(where.pointer === undefined ? {} : { pointer: where.pointer }),
        plugin: 'tokenizer/hf',
        fix: 'Restore the chat_template from the model\'s original tokenizer_config.json (or chat_template.jinja).',
      }, { cause: e });
    }
  }

  /**
   * The text of `messages` under this template. `specialTokens` are the variables named after the
   * tokenizer's special tokens (`bos_token`, `eos_token`, ...); `opts.variables` come last and win.
   */
  render(messages: readonly ChatMessage[], specialTokens: Record<string, unknown>, opts: ChatTemplateOptions = {}): string {
    messages.forEach((m, i) => {
      if (typeof m?.role !== 'string' || typeof m.content !== 'string') {
        throw new DiagnosticError({ code: 'tokenizer/bad-chat-message', message: `message ${i} needs a string "role" and a string "content"`, plugin: 'tokenizer/hf', fix: 'Pass messages such as { role: "user", content: "..." }.' });
      }
    });
    try {
      return this.compiled.render({
        ...specialTokens,
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: opts.addGenerationPrompt ?? false,
        ...opts.variables,
      });
    } catch (e) {
      throw new DiagnosticError({
        code: 'tokenizer/chat-template-failed',
        message: `${this.where.file}: rendering the chat template failed: ${(e as Error).message}`,
        file: this.where.file,
        ...(this.where.pointer === undefined ? {} : { pointer: this.where.pointer }),
        plugin: 'tokenizer/hf',
        fix: 'Check the roles and their order (many templates take an optional system turn, then alternating user and assistant turns), and any variable the template needs.',
      }, { cause: e });
    }
  }
}

/**
 * A prompt as the user turn of a conversation, rendered with the tokenizer's chat template and
 * ending with the assistant's generation prompt: `[system?, user]` with `add_generation_prompt`.
 * The policy puts BOS before every prompt when its tokenizer has one (`bosId`), so a BOS token
 * that the template writes at the start is left out here, or the model would see it twice.
 */
export function chatPromptText(tokenizer: Tokenizer, userText: string, opts: { system?: string; variables?: Record<string, unknown> } = {}): string {
  if (typeof tokenizer.applyChatTemplate !== 'function') {
    throw new DiagnosticError({ code: 'tokenizer/no-chat-template', message: 'the tokenizer cannot apply a chat template', plugin: 'tokenizer/hf', fix: 'Use an instruct model whose tokenizer_config.json holds a chat_template.' });
  }
  const messages: ChatMessage[] = [...(opts.system !== undefined ? [{ role: 'system', content: opts.system }] : []), { role: 'user', content: userText }];
  const text = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true, ...(opts.variables === undefined ? {} : { variables: opts.variables }) });
  const bos = tokenizer.bosId === undefined ? undefined : tokenizer.idToToken?.(tokenizer.bosId);
  return bos !== undefined && bos.length > 0 && text.startsWith(bos) ? text.slice(bos.length) : text;
}
