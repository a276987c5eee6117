import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiagnosticError, definePackage, definePlugin, loadRecipe, PluginRegistry, type Diagnostic } from '@rlhfjs/core';
import algorithms from './index';
import { batchProblems } from '@rlhfjs/core';

// the slots an online algorithm needs, as schemas only: validation never builds them
const stub = (kind: 'agent' | 'environment' | 'reward', name: string) =>
  definePlugin({ kind, name, description: 'validation stub', options: { type: 'object', additionalProperties: false, properties: {} } as const, create: () => { throw new Error('not built'); } });
const slots = definePackage({ plugins: [stub('agent', 'gpt'), stub('environment', 'prompts'), stub('reward', 'r')] });

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-batch-check-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function validate(algorithm: string): Promise<Diagnostic[]> {
  const file = path.join(dir, 'r.yaml');
  fs.writeFileSync(file, ['plugins: []', 'agent: { use: gpt }', 'environment: { use: prompts }', 'rewards: [ { use: r } ]', 'klController: { use: fixed }', 'algorithm:', ...algorithm.split('\n').map((l) => '  ' + l), ''].join('\n'));
  const registry = new PluginRegistry();
  registry.add('@rlhfjs/plugin-algorithms', algorithms);
  registry.add('slots', slots);
  try {
    await loadRecipe(file, { registry });
  } catch (err) {
    if (DiagnosticError.is(err)) return err.diagnostics.map((d) => ({ ...d, file: path.basename(d.file ?? '') }));
    throw err;
  }
  return [];
}

describe('the online algorithms check their batch sizes at validation (rlhf validate and train agree)', () => {
  test('a minibatch that does not divide promptsPerIteration × samplesPerPrompt, at its line', async () => {
    expect(await validate('use: rloo\noptions:\n  promptsPerIteration: 2\n  samplesPerPrompt: 2\n  minibatchSize: 3')).toEqual([
      {
        code: 'recipe/invalid-option',
        plugin: 'algorithm/rloo',
        pointer: '/algorithm/options/minibatchSize',
        message: 'minibatchSize 3 does not divide the 4 samples of an iteration (promptsPerIteration 2 × samplesPerPrompt 2)',
        fix: 'choose a divisor of 4 (e.g. 2) or leave minibatchSize out',
        file: 'r.yaml',
        line: 11,
        column: 20,
      },
    ]);
  });

  test('a flow-style recipe too; the check sees defaults (promptsPerIteration 16)', async () => {
    const d = await validate('use: reinforce\noptions: { samplesPerPrompt: 1, minibatchSize: 5 }');
    expect(d.map((x) => [x.plugin, x.pointer, x.line, x.message])).toEqual([
      ['algorithm/reinforce', '/algorithm/options/minibatchSize', 8, 'minibatchSize 5 does not divide the 16 samples of an iteration (promptsPerIteration 16 × samplesPerPrompt 1)'],
    ]);
  });

  test('batchProblems: a group algorithm with one sample per prompt, and a bad minibatch, both at once', () => {
    const d = batchProblems({ promptsPerIteration: 3, samplesPerPrompt: 1, minibatchSize: 2, epochs: 1 }, 'algorithm/x', 2);
    expect(d.map((p) => p.option)).toEqual(['/samplesPerPrompt', '/minibatchSize']);
    expect(d[0].message).toBe('samplesPerPrompt is 1, but algorithm/x compares the samples of one prompt with each other');
    expect(d[1].fix).toBe('choose a divisor of 3 (e.g. 1) or leave minibatchSize out');
  });

  test('sizes that fit pass, for every online algorithm', async () => {
    for (const use of ['ppo', 'rloo', 'grpo', 'reinforce']) {
      expect(await validate(`use: ${use}\noptions: { promptsPerIteration: 3, samplesPerPrompt: 2, minibatchSize: 3 }`)).toEqual([]);
    }
  });
});
