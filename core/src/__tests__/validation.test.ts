import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiagnosticError, loadRecipe, PluginRegistry, createTensorRuntime, formatDiagnostics, type Diagnostic } from '../index';
import { validationPackage } from './validation-plugins';
import { makeProject } from '../testing';
import { FIXTURE_PLUGIN } from '../__fixtures__/external-plugin';

const GOOD = `# a complete RL recipe
plugins: [rlhf-plugin-fixture]
agent:
  use: gpt
  options:
    checkpoint: ./model
environment: { use: prompts, options: { file: prompts.jsonl } }
rewards:
  - use: length-bonus
    weight: 2
    options:
      scale: 0.5
      cap: { max: 3 }
algorithm: { use: ppo, options: { learningRate: 0.0001 } }
klController: { use: adaptive }
runtime: { backend: wasm, seed: 7, steps: 3 }
`;

let project: ReturnType<typeof makeProject>;
beforeAll(() => {
  project = makeProject({ 'rlhf-plugin-fixture': FIXTURE_PLUGIN });
});
afterAll(() => project.cleanup());

function registry(): PluginRegistry {
  const r = new PluginRegistry();
  r.add('test-validation', validationPackage);
  r.add('rlhf-plugin-fixture', require(FIXTURE_PLUGIN));
  return r;
}

async function problems(text: string, name = 'r.yaml', overrides?: string[]): Promise<Diagnostic[]> {
  const file = project.write(name, text);
  try {
    await loadRecipe(file, { registry: registry(), overrides });
  } catch (err) {
    if (DiagnosticError.is(err)) return err.diagnostics;
    throw err;
  }
  throw new Error('expected the recipe to be rejected');
}

describe('recipe validation', () => {
  test('a good recipe resolves with every default filled in', async () => {
    const file = project.write('good.yaml', GOOD);
    const { recipe } = await loadRecipe(file, { registry: registry() });
    expect(recipe.name).toBe('good');
    expect(recipe.job).toEqual({ use: 'rl', options: {} });
    expect(recipe.agent!.options).toEqual({ checkpoint: './model', sampling: { temperature: 1, maxNewTokens: 24 } });
    expect(recipe.algorithm!.options).toEqual({ learningRate: 0.0001, epochs: 4 });
    expect(recipe.klController!.options).toEqual({ target: 6 });
    expect(recipe.rewards).toEqual([{ use: 'length-bonus', name: 'length-bonus', weight: 2, options: { scale: 0.5, cap: { max: 3 } } }]);
    expect(recipe.runtime).toMatchObject({ backend: 'wasm', seed: 7, steps: 3, checkpointEvery: 10, outputDir: 'runs', nativeKernels: 'allow' });
    expect(recipe.rewardProcessing).toEqual({ normalize: false, clip: null, shuffle: false });
  });

  test('JSON recipes go through the same path and get positions too', async () => {
    const obj = { plugins: ['rlhf-plugin-fixture'], agent: { use: 'gpt' }, environment: { use: 'prompts' }, rewards: [{ use: 'length-bonus' }], algorithm: { use: 'ppo', options: { epochs: 'four' } }, klController: { use: 'fixed' } };
    const text = JSON.stringify(obj, null, 2);
    const ds = await problems(text, 'r.json');
    expect(ds).toHaveLength(1);
    const line = text.split('\n').findIndex((l) => l.includes('"epochs"')) + 1;
    expect(ds[0]).toMatchObject({ pointer: '/algorithm/options/epochs', plugin: 'algorithm/ppo', line, column: 17 });
    expect(ds[0].message).toBe('must be integer, got string "four"');
    expect(ds[0].fix).toContain('Passes over each batch');
  });

  test('malformed YAML names the line', async () => {
    const ds = await problems('plugins: []\nagent:\n  use: gpt\n   options: {}\n');
    expect(ds[0].code).toBe('recipe/syntax');
    expect(ds[0].line).toBeGreaterThanOrEqual(3);
    expect(ds[0].line).toBeLessThanOrEqual(4);
    expect(ds[0].message).toMatch(/YAML syntax error/);
  });

  test('an empty file says so', async () => {
    const ds = await problems('# only a comment\n\n');
    expect(ds[0]).toMatchObject({ code: 'recipe/empty' });
    expect(ds[0].message).toBe('the recipe is empty');
  });

  test('a list instead of a map says how to fix it', async () => {
    const ds = await problems('- plugins: []\n- agent: {use: gpt}\n');
    expect(ds[0].code).toBe('recipe/not-a-map');
    expect(ds[0].message).toContain('this file holds a list');
    expect(ds[0].fix).toContain('remove the leading "- "');
  });

  test('a missing slot lists the plugins that could fill it', async () => {
    const ds = await problems(GOOD.replace(/algorithm: .*\n/, ''));
    expect(ds).toHaveLength(1);
    expect(ds[0].message).toBe('the rl job needs the slot "algorithm"');
    expect(ds[0].fix).toContain('algorithm plugins available: ppo');
  });

  test('a plugin names the slots it needs too: an online algorithm without rewards is told to add them', async () => {
    const ds = await problems(GOOD.replace(/rewards:\n(  .*\n)+/, ''));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code: 'recipe/missing-slot', message: 'the ppo algorithm needs the slot "rewards"' });
    expect(ds[0].fix).toBe('add rewards: [ { use: <name> } ] — reward plugins available: length-bonus');
    // a slot two plugins need is reported once, by the job that reads it
    const both = await problems(GOOD.replace('agent:\n  use: gpt\n  options:\n    checkpoint: ./model\n', ''));
    expect(both.map((d) => d.message)).toEqual(['the rl job needs the slot "agent"']);
  });

  test('the default job (rl) without the package that provides it names the package to add', async () => {
    const file = project.write('no-rl.yaml', GOOD);
    const only = new PluginRegistry().add('rlhf-plugin-fixture', require(FIXTURE_PLUGIN));
    const err = await loadRecipe(file, { registry: only }).catch((e: unknown) => e);
    expect(DiagnosticError.is(err)).toBe(true);
    const ds = (err as DiagnosticError).diagnostics;
    expect(ds.find((d) => d.pointer === '/job')).toMatchObject({ code: 'recipe/unknown-plugin', message: 'unknown job plugin "rl".' });
    expect(ds.find((d) => d.pointer === '/job')!.fix).toMatch(/^"rl" \(the RL loop, the default job\) comes from @rlhfjs\/plugin-algorithms: add "@rlhfjs\/plugin-algorithms" to the recipe's plugins list/);
  });

  test('the rl job takes no options', async () => {
    const ds = await problems(GOOD.replace('plugins: [rlhf-plugin-fixture]\n', 'plugins: [rlhf-plugin-fixture]\njob: { use: rl, options: { steps: 3 } }\n'));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code: 'recipe/unknown-key', pointer: '/job/options/steps', plugin: 'job/rl', line: 3 });
  });

  test('a wrong type deep inside a plugin\'s options points at the line and the plugin', async () => {
    const ds = await problems(GOOD.replace('cap: { max: 3 }', 'cap: { max: lots }'));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ pointer: '/rewards/0/options/cap/max', plugin: 'reward/length-bonus', line: 13 });
    expect(ds[0].message).toBe('must be number, got string "lots"');
    expect(ds[0].fix).toBe('max: Largest score.');
    expect(formatDiagnostics(ds)).toContain('r.yaml:13:');
  });

  test('unknown keys are reported with the closest allowed key, all at once', async () => {
    const ds = await problems(GOOD.replace('learningRate: 0.0001', 'lerningRate: 0.0001').replace('runtime: {', 'runtim: {'));
    expect(ds.map((d) => d.message).sort()).toEqual(['unknown key "runtim". Did you mean "runtime"?'].sort());
    // envelope problems stop before plugin options are checked; fix them and the next pass reports
    const ds2 = await problems(GOOD.replace('learningRate: 0.0001', 'lerningRate: 0.0001'));
    expect(ds2[0]).toMatchObject({ code: 'recipe/unknown-key', pointer: '/algorithm/options/lerningRate', plugin: 'algorithm/ppo', line: 14 });
    expect(ds2[0].message).toBe('unknown key "lerningRate". Did you mean "learningRate"?');
  });

  test('an unknown plugin name lists the registered ones and the closest match', async () => {
    const ds = await problems(GOOD.replace('klController: { use: adaptive }', 'klController: { use: adaptiv }'));
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ code: 'recipe/unknown-plugin', pointer: '/klController/use', line: 15 });
    expect(ds[0].message).toBe('unknown kl-controller plugin "adaptiv". Did you mean "adaptive"?');
    expect(ds[0].fix).toContain('registered kl-controller plugins: adaptive, fixed');
  });

  test('an unknown package names the package and how to install it', async () => {
    const file = project.write('pkg.yaml', GOOD.replace('plugins: [rlhf-plugin-fixture]', 'plugins: [rlhf-plugin-nope]'));
    const err = await loadRecipe(file).catch((e: unknown) => e);
    expect(DiagnosticError.is(err)).toBe(true);
    const d = (err as DiagnosticError).diagnostics[0];
    expect(d).toMatchObject({ code: 'plugin/package-not-found', plugin: 'rlhf-plugin-nope', line: 2 });
    expect(d.fix).toContain('npm install rlhf-plugin-nope');
  });

  test('--set overrides are validated like the file', async () => {
    const file = project.write('set.yaml', GOOD);
    const { recipe } = await loadRecipe(file, { registry: registry(), overrides: ['algorithm.options.learningRate=1e-5', 'rewards[0].weight=0.5', 'runtime.seed=11'] });
    expect(recipe.algorithm!.options.learningRate).toBe(1e-5);
    expect(recipe.rewards[0].weight).toBe(0.5);
    expect(recipe.runtime.seed).toBe(11);
    const ds = await problems(GOOD, 'set2.yaml', ['algorithm.options.epochs=many']);
    expect(ds[0]).toMatchObject({ pointer: '/algorithm/options/epochs', message: 'must be integer, got string "many"' });
    expect(ds[0].file).toContain('--set algorithm.options.epochs=many');
  });

  test('a --set on a path that does not exist is refused with the keys that do', async () => {
    const ds = await problems(GOOD, 'set3.yaml', ['algoritm.options.learningRate=1e-5']);
    expect(ds[0].code).toBe('cli/set-path-missing');
    expect(ds[0].message).toContain('the recipe has nothing at /algoritm. Did you mean "algorithm"?');
  });

  test('a backend that is not installed says how to install it', async () => {
    const err = await createTensorRuntime({ backend: 'tensorflow' }).catch((e: unknown) => e);
    expect(DiagnosticError.is(err)).toBe(true);
    const d = (err as DiagnosticError).diagnostics[0];
    expect(d.code).toBe('runtime/backend-not-installed');
    expect(d.message).toBe('runtime.backend is "tensorflow", but @tensorflow/tfjs-node is not installed');
    expect(d.fix).toContain('npm install @tensorflow/tfjs-node@4.22.0');
  });

  test('plugin packages resolve from the recipe\'s folder, not from the caller', async () => {
    const file = project.write('nested/deeper/r.yaml', 'plugins: [rlhf-plugin-fixture]\njob: { use: count-words, options: { text: "one two" } }\nloggers: [ { use: memory } ]\n');
    const { registry: reg, packages } = await loadRecipe(file);
    expect(packages[0]).toMatchObject({ name: 'rlhf-plugin-fixture', version: '1.2.3' });
    expect(fs.realpathSync(path.dirname(packages[0].entry))).toBe(fs.realpathSync(FIXTURE_PLUGIN));
    expect(reg.find('reward', 'length-bonus')?.packageName).toBe('rlhf-plugin-fixture');
  }, 30000);
});
