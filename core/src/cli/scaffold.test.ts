/** `rlhf init plugin`: names, refusals and the files it writes (no npm, no compiler: the e2e test does those). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SCAFFOLD_KINDS, TEMPLATE_ROOT, fill, scaffoldFiles, scaffoldNames, type TemplateValues } from './scaffold';
import { CORE_API_VERSION } from '../plugin/api-version';
import { rlhf } from '../testing';

/** The repository's root, whose package.json pins the tool versions the templates must use. */
const REPO = path.resolve(__dirname, '..', '..', '..');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhf-init-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('names: plain, already prefixed, scoped; bad names refused with an example', () => {
  expect(scaffoldNames('polite')).toEqual({ packageName: 'rlhf-plugin-polite', pluginName: 'polite', folder: 'rlhf-plugin-polite' });
  expect(scaffoldNames('rlhf-plugin-polite')).toEqual({ packageName: 'rlhf-plugin-polite', pluginName: 'polite', folder: 'rlhf-plugin-polite' });
  expect(scaffoldNames('@acme/polite-2')).toEqual({ packageName: '@acme/rlhf-plugin-polite-2', pluginName: 'polite-2', folder: 'rlhf-plugin-polite-2' });
  expect(() => scaffoldNames('Polite Reward')).toThrow('"Polite Reward" is not a usable plugin name');
});

test('every kind: all placeholders filled, the plugin named and exported, the recipe uses it, core pinned', () => {
  const core = require('../../package.json').version as string;
  expect(SCAFFOLD_KINDS.sort()).toEqual(['algorithm', 'environment', 'job', 'kl-controller', 'logger', 'reward', 'scorer']);
  for (const kind of SCAFFOLD_KINDS) {
    const files = scaffoldFiles(kind, { packageName: 'rlhf-plugin-x-y', pluginName: 'x-y' });
    for (const [rel, text] of Object.entries(files)) expect([rel, text.match(/__[A-Z_]+__/g)]).toEqual([rel, null]);
    // an algorithm is declared through the toolkit's defineOnlineAlgorithm, which sets its kind
    expect(files['src/index.ts']).toContain(kind === 'algorithm' ? 'defineOnlineAlgorithm({' : `kind: '${kind}'`);
    expect(files['src/index.ts']).toContain("name: 'x-y'");
    expect(files['src/index.ts']).toContain(`definePackage({ apiVersion: '${CORE_API_VERSION}', plugins: [xY`);
    expect(files['src/index.ts']).toContain('as const');
    expect(files['src/index.ts']).toContain('additionalProperties: false');
    expect(files['src/conformance.test.ts']).toContain("testPluginPackage(require('..').default ?? require('..'), { packageJson: require('../package.json') });");
    expect(files['recipes/example.yaml']).toMatch(kind === 'job' ? /use: x-y/ : new RegExp(`use: x-y|\\{ use: x-y`));
    const pj = JSON.parse(files['package.json']);
    expect(pj.peerDependencies).toEqual({ '@rlhfjs/core': `^${core}` });
    expect(pj.devDependencies['@rlhfjs/core']).toBe(core);
    expect(pj.scripts).toMatchObject({ build: 'tsc -p tsconfig.json', test: 'npm run build && jest' });
  }
});

test('the templates: a folder per kind beside common/, tools pinned at the versions this repository builds with', () => {
  const folders = fs.readdirSync(TEMPLATE_ROOT, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  expect(folders.sort()).toEqual(['common', ...SCAFFOLD_KINDS].sort());
  for (const kind of SCAFFOLD_KINDS) {
    const meta = JSON.parse(fs.readFileSync(path.join(TEMPLATE_ROOT, kind, 'template.json'), 'utf8'));
    expect([kind, Object.keys(meta).sort()]).toEqual([kind, ['description', 'recipeNote']]);
    expect([kind, /^[a-z]/.test(meta.description)]).toEqual([kind, true]);
  }
  const root = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).devDependencies as Record<string, string>;
  const pj = JSON.parse(scaffoldFiles('reward', { packageName: 'rlhf-plugin-a', pluginName: 'a' })['package.json']);
  const tools = { ...(pj.devDependencies as Record<string, string>) };
  delete tools['@rlhfjs/core'];
  expect(Object.keys(tools).sort()).toEqual(['@types/jest', '@types/node', 'jest', 'ts-jest', 'typescript']);
  for (const [name, version] of Object.entries(tools)) expect([name, version]).toEqual([name, root[name]]);
});

test('placeholders: names become identifiers and strings, file names lose their leading _, an unknown token is refused', () => {
  const files = scaffoldFiles('reward', { packageName: '@acme/rlhf-plugin-9-lives', pluginName: '9-lives' }, '7.8.9');
  expect(Object.keys(files)).toEqual(['.gitignore', 'README.md', 'jest.config.js', 'package.json', 'recipes/example.yaml', 'src/behaviour.test.ts', 'src/conformance.test.ts', 'src/index.ts', 'tsconfig.json']);
  expect(files['src/index.ts']).toContain('export const plugin9LivesReward = definePlugin({');
  expect(files['src/behaviour.test.ts']).toContain("import { plugin9LivesReward } from './index';");
  expect(files['README.md']).toMatch(/^# @acme\/rlhf-plugin-9-lives\n\nAn rlhfjs plugin package: a reward that scores completions containing a configurable word\.\n/);
  expect(files['README.md']).toContain('scaffolded by `rlhf init plugin` from @rlhfjs/core 7.8.9.');
  expect(JSON.parse(files['package.json'])).toMatchObject({ name: '@acme/rlhf-plugin-9-lives', description: 'rlhfjs plugin: a reward that scores completions containing a configurable word', peerDependencies: { '@rlhfjs/core': '^7.8.9' } });
  const v = { PACKAGE: 'p', PLUGIN: 'q', EXPORT: 'e', KIND: 'reward', CORE_VERSION: '1.0.0', API_VERSION: '1.0', DESCRIPTION: 'd', RECIPE_NOTE: 'n' } satisfies TemplateValues;
  expect(fill("name: '__PLUGIN__', __EXPORT__, __dirname", v, 'x.ts')).toBe("name: 'q', e, __dirname");
  expect(() => fill('const __PLUGN__ = 1;', v, 'x.ts')).toThrow('the template holds an unknown placeholder __PLUGN__');
});

test('rlhf init plugin writes the package and prints the next steps; it never overwrites', async () => {
  const res = await rlhf(['init', 'plugin', 'tidy', '--kind', 'logger', '--dir', dir], dir);
  expect(res.err).toBe('');
  expect(res.code).toBe(0);
  expect(res.out).toContain('created rlhf-plugin-tidy (logger plugin "tidy") in rlhf-plugin-tidy:');
  expect(res.out).toContain('npm test');
  const pkgDir = path.join(dir, 'rlhf-plugin-tidy');
  expect(fs.readdirSync(pkgDir).sort()).toEqual(['.gitignore', 'README.md', 'jest.config.js', 'package.json', 'recipes', 'src', 'tsconfig.json']);
  expect(fs.readdirSync(path.join(pkgDir, 'src')).sort()).toEqual(['behaviour.test.ts', 'conformance.test.ts', 'index.ts']);
  const again = await rlhf(['init', 'plugin', 'tidy', '--dir', dir], dir);
  expect(again.code).toBe(2);
  expect(again.err).toContain('already exists and is not empty; nothing was written');
});

test('agents are refused with where to start instead; an unknown kind lists the kinds', async () => {
  const agent = await rlhf(['init', 'plugin', 'mymodel', '--kind', 'agent', '--dir', dir], dir);
  expect(agent.code).toBe(2);
  expect(agent.err).toContain('rlhf init does not scaffold agent plugins: an agent wraps a policy model');
  expect(agent.err).toContain('then implement the agent interface from docs/plugins.md; the built-in @rlhfjs/plugin-lm is a complete example');
  // algorithms have a template since the toolkit moved into core
  expect(Object.keys(scaffoldFiles('algorithm', { packageName: 'rlhf-plugin-a', pluginName: 'a' }))).toContain('src/index.ts');
  expect(() => scaffoldFiles('rewrd', { packageName: 'rlhf-plugin-a', pluginName: 'a' })).toThrow('unknown plugin kind "rewrd"');
  expect(fs.readdirSync(dir)).toEqual([]);
});
