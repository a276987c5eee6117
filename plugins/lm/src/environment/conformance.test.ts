/** The plugin conformance kit of core, run over this folder's plugins (prompts environment, eval-prompts job). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { definePackage } from '@rlhfjs/core';
import { testPluginPackage } from '@rlhfjs/core/testing';
import { promptsEnvironment } from './prompts-plugin';
import { evalPromptsJob } from '../corpus/eval-prompts-job';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-conf-'));
fs.writeFileSync(path.join(dir, 'prompts.jsonl'), Array.from({ length: 40 }, (_, i) => JSON.stringify({ prompt: `prompt number ${i} says` })).join('\n'));
fs.writeFileSync(path.join(dir, 'text.txt'), Array.from({ length: 40 }, (_, i) => `${i} some sentence with enough words in it`).join('\n'));

testPluginPackage(definePackage({ plugins: [promptsEnvironment, evalPromptsJob] }), {
  label: 'plugin-lm environment and corpus plugins',
  baseDir: dir,
  examples: {
    'environment/prompts': [{ path: 'prompts.jsonl' }, { corpus: { sources: [{ name: 'file', path: 'text.txt' }], heldOutFraction: 0.5 }, cut: { minWords: 2, maxWords: 4 } }],
    'job/eval-prompts': [{ corpus: { sources: [{ name: 'file', path: 'text.txt' }], heldOutFraction: 0.5 }, output: 'eval.jsonl', brownShare: 0 }],
  },
});
