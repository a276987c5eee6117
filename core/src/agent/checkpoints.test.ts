import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { container as rootContainer } from 'tsyringe';
import { makeProject, rlhf } from '../testing';
import type { PolicyModel } from '../contract/agent';
import { DiagnosticError } from '../diagnostics';
import { definePackage, definePlugin } from '../plugin/define';
import { PluginRegistry } from '../plugin/registry';
import { Rng } from '../runtime/rng';
import { CheckpointModels, agentFromCheckpointWith, checkpointAgent } from './checkpoints';

const noOptions = { type: 'object', additionalProperties: false, properties: {} } as const;
/** Stands in for a third-party model: only what the test reads. */
const fakeModel = (dir: string, opts: object) => ({ dir, opts, hasValueHead: true }) as unknown as PolicyModel;

const withLoader = definePlugin({
  kind: 'agent',
  name: 'tiny-lm',
  description: 'A third-party agent whose checkpoints can back other models.',
  options: noOptions,
  create: () => {
    throw new Error('not built in these tests');
  },
  loadModel: (dir, opts) => fakeModel(dir, opts),
});
const without = definePlugin({ kind: 'agent', name: 'plain', description: 'An agent that declares no checkpoint loading.', options: noOptions, create: withLoader.create });
const registry = new PluginRegistry().add('rlhf-plugin-tiny-lm', definePackage({ plugins: [withLoader, without] }));

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const writeConfig = (cfg: object): void => fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return DiagnosticError.is(err) ? err.diagnostics[0].code : String(err);
};

describe('Tokens.Models (CheckpointModels)', () => {
  test('loads a checkpoint through the agent plugin its config.json names, passing the options on', async () => {
    writeConfig({ rlhfjs: { package: 'rlhf-plugin-tiny-lm', agent: 'tiny-lm' }, note: 'x' });
    const c = rootContainer.createChildContainer();
    const models = new CheckpointModels(c, { registry });
    const rng = new Rng(3);
    const m = (await models.load(dir, { valueHead: true, rng, trainable: false })) as unknown as { dir: string; opts: object };
    expect(m.dir).toBe(dir);
    expect(m.opts).toEqual({ valueHead: true, rng, trainable: false });
    expect(models.readConfig(dir).note).toBe('x');
  });

  test('says which plugin wrote a checkpoint it cannot load, and why', async () => {
    const models = new CheckpointModels(rootContainer.createChildContainer(), { registry });
    expect(await codeOf(models.load(path.join(dir, 'nope')))).toBe('checkpoint/missing');
    writeConfig({ model_type: 'x' });
    expect(await codeOf(models.load(dir))).toBe('checkpoint/unknown-writer');
    writeConfig({ rlhfjs: { package: 'rlhf-plugin-tiny-lm', agent: 'plain' } });
    expect(await codeOf(models.load(dir))).toBe('checkpoint/no-model-loading');
    writeConfig({ rlhfjs: { package: 'rlhf-plugin-not-installed', agent: 'tiny-lm' } });
    expect(await codeOf(models.load(dir))).toBe('plugin/package-not-found');
  });
});

describe('fromCheckpoint', () => {
  test('an agent plugin without it is refused with a diagnostic that names it', async () => {
    writeConfig({ rlhfjs: { package: 'rlhf-plugin-tiny-lm', agent: 'plain' } });
    const found = await checkpointAgent(dir, { registry });
    const err = await agentFromCheckpointWith(found, dir, { options: {}, container: rootContainer, pointer: '/agent', resolvePath: (p) => p }).catch((e: unknown) => e);
    expect(DiagnosticError.is(err)).toBe(true);
    expect((err as DiagnosticError).diagnostics[0]).toMatchObject({ code: 'agent/no-checkpoint-loading', plugin: 'agent/plain', pointer: '/agent' });
    expect((err as Error).message).toContain('does not declare fromCheckpoint');
  });

  test('only agent plugins may declare checkpoint loading', () => {
    const reward = definePlugin({ kind: 'reward', name: 'odd', description: 'A reward that claims to load agents.', options: noOptions, create: () => ({ score: async () => ({ scores: [] }) }), fromCheckpoint: () => ({}) as never });
    const problems = new PluginRegistry().addPackage('odd', definePackage({ plugins: [reward] }));
    expect(problems).toEqual([expect.objectContaining({ code: 'plugin/bad-definition', message: expect.stringContaining('declares fromCheckpoint, which only agent plugins have') })]);
  });

  test('rlhf generate on a checkpoint of an agent without fromCheckpoint exits 2 with the diagnostic', async () => {
    const project = makeProject();
    try {
      project.write('node_modules/rlhf-plugin-plain/package.json', JSON.stringify({ name: 'rlhf-plugin-plain', version: '1.0.0', main: 'index.js' }));
      project.write(
        'node_modules/rlhf-plugin-plain/index.js',
        `const { definePackage, definePlugin } = require('@rlhfjs/core');
module.exports = definePackage({ plugins: [definePlugin({ kind: 'agent', name: 'plain', description: 'No checkpoint loading.', options: { type: 'object', additionalProperties: false, properties: {} }, create() { throw new Error('unused'); } })] });
`,
      );
      project.write('ckpt/config.json', JSON.stringify({ rlhfjs: { package: 'rlhf-plugin-plain', agent: 'plain' } }));
      const res = await rlhf(['generate', 'ckpt', '-p', 'hello'], project.dir);
      expect(res.code).toBe(2);
      expect(res.err).toContain('the agent plugin "plain" (from rlhf-plugin-plain) does not declare fromCheckpoint');
    } finally {
      project.cleanup();
    }
  });
});
